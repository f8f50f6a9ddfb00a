/*
 * tester_http.c - the provider testers' one request (a bounded GET through the shared
 * outbound client, server/httpc) and the result helpers they share (see
 * tester_internal.h).
 */
#include "tester_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

int64_t kt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kt_fail(sathd_keytest_result *out, sathd_keytest_outcome outcome, const char *msg,
             const char *key, const char *secret)
{
    /* sathd_httpc_scrub redacts over the whole text before it cuts, so a secret is
     * never shown half. */
    const char *secrets[] = {key ? key : "", secret ? secret : "", NULL};
    const char *m = msg ? msg : "";
    sathd_httpc_scrub(m, strlen(m), secrets, SATHD_KEYTEST_MSG_MAX, out->message,
                      sizeof out->message);
    out->outcome = outcome;
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

int kt_header(kt_headers *h, const char *name, const char *value)
{
    if (h->n >= KT_MAX_HEADERS) {
        h->failed = 1;
        return -1;
    }
    char *line = h->lines[h->n];
    int n = snprintf(line, sizeof h->lines[0], "%s: %s", name, value);
    if (n < 0 || (size_t)n >= sizeof h->lines[0]) {
        h->failed = 1;
        return -1;
    }
    h->list[h->n++] = line;
    h->list[h->n] = NULL;
    return 0;
}

static json_t *as_object(const sathd_httpc_response *resp)
{
    json_t *j = json_loadb(resp->body, resp->body_len, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

int kt_get_json(const sathd_keytest_endpoints *ep, const char *url, kt_headers *h, int guarded,
                long timeout_ms, sathd_httpc_response *resp, json_t **json,
                sathd_keytest_result *out)
{
    *json = NULL;
    memset(resp, 0, sizeof *resp);
    if (h->failed) {
        sodium_memzero(h->lines, sizeof h->lines);
        kt_fail(out, SATHD_KT_BAD_RESPONSE, "credential too long to send", NULL, NULL);
        return -1;
    }
    sathd_httpc_request req = {
        .url = url,
        .headers = h->list,
        .secret_headers = (1u << KT_MAX_HEADERS) - 1,
        .timeout_ms = timeout_ms,
        .connect_timeout_ms = timeout_ms < 5000 ? timeout_ms : 5000,
        .max_response = SATHD_KEYTEST_MAX_BODY,
        /* one user's credentials: never a connection another request used or will use */
        .flags = SATHD_HTTPC_FRESH | (guarded ? SATHD_HTTPC_GUARD_SSRF : 0u),
    };
    sathd_httpc_err err = sathd_httpc_do(ep->http, &req, resp);
    sodium_memzero(h->lines, sizeof h->lines);
    out->latency_ms = resp->elapsed_ms;
    if (err == SATHD_HTTPC_EBLOCKED) {
        kt_fail(out, SATHD_KT_BLOCKED,
                "base_url leads to a private, local or reserved address, which is not allowed",
                NULL, NULL);
        return -1;
    }
    if (err != SATHD_HTTPC_OK) {
        char why[128];
        snprintf(why, sizeof why, "provider unreachable: %s", sathd_httpc_strerror(err));
        kt_fail(out, SATHD_KT_UNREACHABLE, why, NULL, NULL);
        sathd_httpc_response_free(resp);
        return -1;
    }
    *json = as_object(resp);
    return 0;
}
