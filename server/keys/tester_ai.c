/*
 * tester_ai.c - connection tests of AI-provider keys: GET {base}/v1/models with
 * "Authorization: Bearer <key>" (OpenAI and compatible) or "x-api-key: <key>" and
 * "anthropic-version: 2023-06-01" (Anthropic).  Both answer errors as
 * {"error":{"message":"..."}} with a 4xx status; OpenAI's message may quote part of
 * the key, which kt_fail scrubs.  A user-supplied base URL (OpenAI-compatible) goes
 * through the SSRF guard, and only the status of its answer is reported, never its text.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "tester_internal.h"

static void read_error(sathd_keytest_result *out, const sathd_httpc_response *r, json_t *j,
                       const char *who, int untrusted, const char *key)
{
    json_t *e = j && !untrusted ? json_object_get(j, "error") : NULL;
    const char *m = json_string_value(json_object_get(e, "message"));
    char msg[1024];
    if (m)
        snprintf(msg, sizeof msg, "%s %ld: %s", who, r->status, m);
    else
        snprintf(msg, sizeof msg, "%s answered HTTP %ld", who, r->status);
    sathd_keytest_outcome o = r->status >= 500 ? SATHD_KT_UNREACHABLE
                              : r->status >= 400 ? SATHD_KT_REJECTED
                                                 : SATHD_KT_BAD_RESPONSE;
    kt_fail(out, o, msg, key, NULL);
}

void sathd_keytest_ai(const sathd_keytest_endpoints *ep, int provider, const char *base_url,
                      const char *api_key, long timeout_ms, sathd_keytest_result *out)
{
    memset(out, 0, sizeof *out);
    const char *base = provider == SATHD_KT_ANTHROPIC           ? ep->anthropic
                       : provider == SATHD_KT_OPENAI_COMPATIBLE ? base_url
                                                                : ep->openai;
    const char *who = provider == SATHD_KT_ANTHROPIC ? "anthropic" : "openai";
    if (!base || !*base) {
        kt_fail(out, SATHD_KT_BAD_RESPONSE, "no base URL for this provider", NULL, NULL);
        return;
    }
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    char url[2048];
    snprintf(url, sizeof url, "%.*s/v1/models", (int)blen, base);
    kt_headers h = {0};
    if (provider == SATHD_KT_ANTHROPIC) {
        if (kt_header(&h, "x-api-key", api_key) == 0)
            kt_header(&h, "anthropic-version", "2023-06-01");
    } else {
        char bearer[1100];
        snprintf(bearer, sizeof bearer, "Bearer %s", api_key);
        kt_header(&h, "Authorization", bearer);
        sodium_memzero(bearer, sizeof bearer);
    }
    int untrusted = provider == SATHD_KT_OPENAI_COMPATIBLE;
    sathd_httpc_response r;
    json_t *j;
    if (kt_get_json(ep, url, &h, untrusted, timeout_ms, &r, &j, out) != 0)
        return;
    if (r.status == 200 && j && json_is_array(json_object_get(j, "data"))) {
        out->outcome = SATHD_KT_OK;
        kt_add_perm(out, "models:list");
    } else {
        read_error(out, &r, j, untrusted ? "openai_compatible" : who, untrusted, api_key);
    }
    json_decref(j);
    sathd_httpc_response_free(&r);
}
