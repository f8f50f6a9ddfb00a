/*
 * http.c - one HTTP request through libcurl (see http.h).
 */
#include "http.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BODY (4u << 20)

typedef struct sink {
    char *p;
    size_t n, cap;
    int too_big;
} sink;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    sink *s = arg;
    size_t n = size * nmemb;
    if (s->n + n + 1 > MAX_BODY) {
        s->too_big = 1;
        return 0;
    }
    if (s->n + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->n + n + 1)
            cap *= 2;
        char *q = realloc(s->p, cap);
        if (!q)
            return 0;
        s->p = q;
        s->cap = cap;
    }
    memcpy(s->p + s->n, ptr, n);
    s->n += n;
    s->p[s->n] = '\0';
    return n;
}

int bot_http_do(const char *method, const char *url, const char *const *headers,
                const char *body, long timeout_ms, bot_http_resp *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sink s = {0};
    struct curl_slist *hl = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "sath-bot/0.1");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    /* curl_slist_append copied each header, an API key among them: wipe the copies too */
    for (struct curl_slist *n = hl; n; n = n->next)
        sodium_memzero(n->data, strlen(n->data));
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        out->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
        snprintf(err, errlen, "%s", s.too_big ? "response too large" : curl_easy_strerror(rc));
        free(s.p);
        out->status = 0;
        return -1;
    }
    out->body = s.p ? s.p : calloc(1, 1);
    out->len = s.n;
    return 0;
}

void bot_http_resp_free(bot_http_resp *r)
{
    free(r->body);
    r->body = NULL;
}

void bot_sleep_ms(long ms, volatile int *stop)
{
    while (ms > 0 && !(stop && *stop)) {
        long step = ms < 50 ? ms : 50;
        struct timespec ts = {0, step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}
