/*
 * tester_internal.h - what the provider testers share (tester_http.c).
 */
#ifndef SATHD_KEYS_TESTER_INTERNAL_H
#define SATHD_KEYS_TESTER_INTERNAL_H

#include <jansson.h>

#include "sathd/httpc.h"
#include "sathd/keytest.h"

#define KT_MAX_HEADERS 6

/* A request's header lines; every one may carry a credential, so all are secret and
 * wiped once the request is done (kt_get_json does it). */
typedef struct kt_headers {
    char lines[KT_MAX_HEADERS][1100];
    const char *list[KT_MAX_HEADERS + 1];
    size_t n;
    int failed; /* a line did not fit */
} kt_headers;

/* Appends "name: value"; 0, or -1 (and the request will not be sent) when it does not fit. */
int kt_header(kt_headers *h, const char *name, const char *value);
/* The common request of every tester: GETs `url` with the headers `h` (wiped
 * afterwards, also on failure) within timeout_ms; `guarded` sends it through the SSRF
 * guard and keeps only a category of any failure.  0 with *resp filled (free with
 * sathd_httpc_response_free) and *json the body as a JSON object or NULL (json_decref
 * it); -1 when no answer came (out says why). */
int kt_get_json(const sathd_keytest_endpoints *ep, const char *url, kt_headers *h, int guarded,
                long timeout_ms, sathd_httpc_response *resp, json_t **json,
                sathd_keytest_result *out);
/* Sets the outcome and message (copied, scrubbed of key and secret, bounded). */
void kt_fail(sathd_keytest_result *out, sathd_keytest_outcome outcome, const char *msg,
             const char *key, const char *secret);
/* Adds a permission / warning (silently dropped past the limits). */
void kt_add_perm(sathd_keytest_result *out, const char *perm);
void kt_add_warning(sathd_keytest_result *out, const char *warning);
/* Unix time in milliseconds. */
int64_t kt_now_ms(void);

#endif
