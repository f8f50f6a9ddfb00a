/*
 * test_http.c - one HTTP request from a test (test_http.h).
 */
#include "test_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf {
    char *p;
    size_t n;
} buf;

static size_t sink(char *d, size_t s, size_t m, void *arg)
{
    buf *b = arg;
    char *q = realloc(b->p, b->n + s * m + 1);
    if (!q)
        return 0;
    memcpy(q + b->n, d, s * m);
    b->p = q;
    b->n += s * m;
    b->p[b->n] = '\0';
    return s * m;
}

char *test_http(const char *method, const char *url, const char *bearer, const char *json_body,
                long *status)
{
    *status = 0;
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    buf b = {0};
    struct curl_slist *hl = NULL;
    char auth[2048];
    if (bearer) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
        hl = curl_slist_append(hl, auth);
    }
    if (json_body) {
        hl = curl_slist_append(hl, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json_body);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        free(b.p);
        *status = 0;
        return NULL;
    }
    return b.p ? b.p : calloc(1, 1);
}
