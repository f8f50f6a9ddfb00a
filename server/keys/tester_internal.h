/*
 * tester_internal.h - what the provider testers share (tester_http.c).
 */
#ifndef SATHD_KEYS_TESTER_INTERNAL_H
#define SATHD_KEYS_TESTER_INTERNAL_H

#include <curl/curl.h>
#include <jansson.h>

#include "sathd/keytest.h"

/* A provider's answer: status code and body (malloc'd, NUL-terminated; free with
 * kt_http_free). */
typedef struct kt_http {
    long status;
    char *body;
    size_t len;
} kt_http;

/* GETs `url` with `headers` within timeout_ms, timing the round trip into
 * out->latency_ms.  0 when an HTTP answer arrived (whatever its status); -1 when none
 * did, with out->outcome = UNREACHABLE and a reason in out->message. */
int kt_http_get(const char *url, struct curl_slist *headers, long timeout_ms, kt_http *resp,
                sathd_keytest_result *out);
void kt_http_free(kt_http *resp);
/* The common request of every tester: `header_rc` is the result of building `headers`
 * (non-zero: out of memory); the headers are always wiped and freed.  GETs `url` and
 * parses the body: 0 with *resp filled (free with kt_http_free) and *json the body as a
 * JSON object or NULL (json_decref it); -1 when no answer came (out says why). */
int kt_get_json(const char *url, struct curl_slist *headers, int header_rc, long timeout_ms,
                kt_http *resp, json_t **json, sathd_keytest_result *out);
/* Sets the outcome and message (copied, scrubbed of key and secret, bounded). */
void kt_fail(sathd_keytest_result *out, sathd_keytest_outcome outcome, const char *msg,
             const char *key, const char *secret);
/* Adds a permission / warning (silently dropped past the limits). */
void kt_add_perm(sathd_keytest_result *out, const char *perm);
void kt_add_warning(sathd_keytest_result *out, const char *warning);
/* Wipes every header line (they carry credentials) and frees the list. */
void kt_headers_free(struct curl_slist *list);
/* Parses the body as a JSON object; NULL when it is not one. */
json_t *kt_json(const kt_http *resp);
/* Unix time in milliseconds. */
int64_t kt_now_ms(void);
/* Appends a header line "name: value" to *list; 0 or -1 (out of memory). */
int kt_header(struct curl_slist **list, const char *name, const char *value);

#endif
