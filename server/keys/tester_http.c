/*
 * tester_http.c - one bounded HTTP GET for the provider testers, and the result
 * helpers they share (see tester_internal.h).
 */
#include "tester_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "util.h"

int sathd_keytest_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int64_t kt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kt_fail(sathd_keytest_result *out, sathd_keytest_outcome outcome, const char *msg,
             const char *key, const char *secret)
{
    /* Scrub in a large buffer first, so a secret is never cut in half before redaction. */
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", msg ? msg : "");
    const char *secrets[] = {key ? key : "", secret ? secret : "", NULL};
    sathd_keys_scrub(buf, sizeof buf, SATHD_KEYTEST_MSG_MAX, secrets);
    out->outcome = outcome;
    memcpy(out->message, buf, strlen(buf) + 1); /* scrub cut it to SATHD_KEYTEST_MSG_MAX */
    sodium_memzero(buf, sizeof buf);
}

void kt_add_perm(sathd_keytest_result *out, const char *perm)
{
    if (out->n_perms < SATHD_KEYTEST_MAX_PERMS && perm && *perm) {
        char *p = out->perms[out->n_perms++];
        snprintf(p, sizeof out->perms[0], "%s", perm);
        for (; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                *p = '?';
    }
}

void kt_add_warning(sathd_keytest_result *out, const char *warning)
{
    if (out->n_warnings < SATHD_KEYTEST_MAX_WARNINGS)
        snprintf(out->warnings[out->n_warnings++], sizeof out->warnings[0], "%s", warning);
}

int kt_header(struct curl_slist **list, const char *name, const char *value)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "%s: %s", name, value);
    struct curl_slist *l = NULL;
    if (n > 0 && (size_t)n < sizeof line)
        l = curl_slist_append(*list, line);
    sodium_memzero(line, sizeof line); /* may hold a credential */
    if (!l)
        return -1;
    *list = l;
    return 0;
}

void kt_headers_free(struct curl_slist *list)
{
    for (struct curl_slist *l = list; l; l = l->next)
        sodium_memzero(l->data, strlen(l->data));
    curl_slist_free_all(list);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    kt_http *r = ud;
    size_t n = size * nmemb;
    if (r->len + n > SATHD_KEYTEST_MAX_BODY)
        return 0; /* aborts the transfer: no provider answer to these calls is this big */
    /* grow by copy, so a moved-from buffer can be wiped rather than left to realloc */
    char *b = malloc(r->len + n + 1);
    if (!b)
        return 0;
    if (r->body) {
        memcpy(b, r->body, r->len);
        sodium_memzero(r->body, r->len);
        free(r->body);
    }
    memcpy(b + r->len, data, n);
    r->len += n;
    b[r->len] = '\0';
    r->body = b;
    return n;
}

int kt_http_get(const char *url, struct curl_slist *headers, long timeout_ms, kt_http *resp,
                sathd_keytest_result *out)
{
    memset(resp, 0, sizeof *resp);
    CURL *h = curl_easy_init();
    if (!h) {
        kt_fail(out, SATHD_KT_UNREACHABLE, "cannot create an HTTP client", NULL, NULL);
        return -1;
    }
    long connect_ms = timeout_ms < 5000 ? timeout_ms : 5000;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "sathd-keytest/1");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    int64_t t0 = mono_ms();
    CURLcode rc = curl_easy_perform(h);
    out->latency_ms = mono_ms() - t0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        char why[256];
        snprintf(why, sizeof why, "provider unreachable: %s%s", curl_easy_strerror(rc),
                 rc == CURLE_OPERATION_TIMEDOUT ? " (no answer within the timeout)" : "");
        kt_fail(out, SATHD_KT_UNREACHABLE, why, NULL, NULL);
        kt_http_free(resp);
        return -1;
    }
    if (!resp->body && !(resp->body = calloc(1, 1))) {
        kt_fail(out, SATHD_KT_UNREACHABLE, "out of memory", NULL, NULL);
        return -1;
    }
    return 0;
}

void kt_http_free(kt_http *resp)
{
    if (resp->body)
        sodium_memzero(resp->body, resp->len); /* providers may echo the key back */
    free(resp->body);
    memset(resp, 0, sizeof *resp);
}

json_t *kt_json(const kt_http *resp)
{
    json_t *j = json_loadb(resp->body, resp->len, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

int kt_get_json(const char *url, struct curl_slist *headers, int header_rc, long timeout_ms,
                kt_http *resp, json_t **json, sathd_keytest_result *out)
{
    *json = NULL;
    if (header_rc != 0) {
        kt_headers_free(headers);
        kt_fail(out, SATHD_KT_UNREACHABLE, "out of memory", NULL, NULL);
        return -1;
    }
    int rc = kt_http_get(url, headers, timeout_ms, resp, out);
    kt_headers_free(headers);
    if (rc != 0)
        return -1;
    *json = kt_json(resp);
    return 0;
}
