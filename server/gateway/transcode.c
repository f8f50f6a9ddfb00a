/*
 * transcode.c - the google.api.http mapping between HTTP and request/response messages.
 *
 * Rules (issue 3): body "*" maps the JSON object to the whole request, body "field" to
 * one field; path variables and query parameters set the other fields through
 * sathd_pbjson_set_from_string (repeated keys append, dotted names reach nested fields);
 * an unknown query parameter is a 400.  A body sent to a method whose rule has none is a
 * 400 too (rather than silently dropped).  A body needs Content-Type application/json
 * (parameters such as charset allowed), else 415.
 *
 * google.api.HttpBody, as grpc-gateway does it: a method whose request type is HttpBody
 * gets the request body as raw bytes (`data`, never parsed) and its Content-Type
 * (`content_type`), whatever that type is; a method whose response type is HttpBody
 * answers with `data` as the body and `content_type` as its Content-Type.  This is what
 * lets a handler check a signature over the exact bytes sent (Stripe webhooks).
 */
#include "transcode.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "google/api/httpbody.pb-c.h"
#include "sathd/pbjson.h"
#include "sathd/registry.h"

static char *arena_printf(sathd_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <stdarg.h>

static char *arena_printf(sathd_arena *a, const char *fmt, ...)
{
    char tmp[768];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    size_t len = (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1;
    char *d = sathd_arena_alloc(a, len + 1);
    if (d) {
        memcpy(d, tmp, len);
        d[len] = '\0';
    }
    return d;
}

static int is_json_type(const char *ct)
{
    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, "; \t");
    return n == strlen("application/json") && strncasecmp(ct, "application/json", n) == 0;
}

static const char *field_error(sathd_arena *a, const sathd_pbjson_error *e)
{
    if (e->field[0])
        return arena_printf(a, "invalid value for field \"%s\": %s", e->field, e->message);
    return arena_printf(a, "invalid request: %s", e->message);
}

/* A new message of `desc` with its defaults, in the arena. */
static ProtobufCMessage *empty_message(sathd_arena *a, const ProtobufCMessageDescriptor *desc)
{
    ProtobufCMessage *m = sathd_arena_calloc(a, desc->sizeof_message);
    if (m)
        desc->message_init(m);
    return m;
}

/* Parses the body as JSON; NULL with *why on a syntax error. */
static json_t *parse_body(sathd_arena *a, const sathd_gw_http_in *in, const char **why)
{
    json_error_t je;
    json_t *j = json_loadb(in->body, in->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        /* jansson's text names its own API for this one ("without JSON_ALLOW_NUL"). */
        const char *what = json_error_code(&je) == json_error_null_character
                               ? "a string contains \\u0000 (NUL), which is not allowed"
                               : je.text;
        *why = arena_printf(a, "malformed JSON at line %d column %d (byte %d): %s", je.line,
                            je.column, je.position, what);
    }
    return j;
}

static int apply_body(sathd_arena *a, const sathd_gw_http_in *in, ProtobufCMessage **msg,
                      const char **why)
{
    const sathd_method_desc *m = in->match->method;
    const char *rule = m->http.body ? m->http.body : "";
    ProtobufCAllocator *alloc = sathd_arena_allocator(a);
    sathd_pbjson_error e = {0};
    if (in->body_len == 0 || !rule[0]) {
        if (in->body_len > 0 && !rule[0]) {
            *why = arena_printf(a, "%s %s takes no request body", m->http.verb, m->http.path);
            return 400;
        }
        *msg = empty_message(a, m->input);
        return *msg ? 0 : 500;
    }
    if (!is_json_type(in->content_type)) {
        *why = "Content-Type must be application/json";
        return 415;
    }
    json_t *j = parse_body(a, in, why);
    if (!j)
        return 400;
    int rc = 0;
    if (strcmp(rule, "*") == 0) {
        if (sathd_pbjson_decode(m->input, j, alloc, msg, &e) != 0)
            rc = 400;
    } else {
        *msg = empty_message(a, m->input);
        if (!*msg)
            rc = 500;
        else if (sathd_pbjson_merge_field(*msg, rule, j, alloc, &e) != 0)
            rc = 400;
    }
    json_decref(j);
    if (rc == 400)
        *why = field_error(a, &e);
    return rc;
}

int sathd_gw_is_http_body(const ProtobufCMessageDescriptor *d)
{
    return d == &google__api__http_body__descriptor;
}

/* HttpBody request: the raw bytes and their Content-Type, copied into the arena. */
static int raw_body(sathd_arena *a, const sathd_gw_http_in *in, ProtobufCMessage **msg,
                    const char **why)
{
    if (in->n_query > 0) {
        *why = "this endpoint takes no query parameters";
        return 400;
    }
    Google__Api__HttpBody *hb = sathd_arena_calloc(a, sizeof *hb);
    const char *ct = in->content_type ? in->content_type : "";
    size_t ctl = strlen(ct);
    char *ctype = sathd_arena_alloc(a, ctl + 1);
    uint8_t *data = in->body_len ? sathd_arena_alloc(a, in->body_len) : NULL;
    if (!hb || !ctype || (in->body_len && !data))
        return 500;
    google__api__http_body__init(hb);
    memcpy(ctype, ct, ctl + 1);
    if (in->body_len)
        memcpy(data, in->body, in->body_len);
    hb->content_type = ctype;
    hb->data.data = data;
    hb->data.len = in->body_len;
    *msg = &hb->base;
    return 0;
}

int sathd_gw_build_request(sathd_arena *a, const sathd_gw_http_in *in, ProtobufCMessage **out,
                           const char **why)
{
    ProtobufCMessage *msg = NULL;
    ProtobufCAllocator *alloc = sathd_arena_allocator(a);
    sathd_pbjson_error e = {0};
    *why = NULL;
    if (sathd_gw_is_http_body(in->match->method->input)) {
        int hrc = raw_body(a, in, &msg, why);
        if (hrc == 0)
            *out = msg;
        return hrc;
    }
    int rc = apply_body(a, in, &msg, why);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < in->match->n_vars; i++) {
        const sathd_gw_var *v = &in->match->vars[i];
        if (sathd_pbjson_set_from_string(msg, v->field, v->value, alloc, &e) != 0) {
            *why = arena_printf(a, "invalid path parameter \"%s\": %s", v->field, e.message);
            return 400;
        }
    }
    for (size_t i = 0; i < in->n_query; i++) {
        const sathd_gw_query *q = &in->query[i];
        size_t kl = strlen(q->key), vl = q->value ? strlen(q->value) : 0;
        char *key = sathd_arena_alloc(a, kl + 1), *val = sathd_arena_alloc(a, vl + 1);
        if (!key || !val)
            return 500;
        if (sathd_gw_percent_decode(q->key, kl, key, 1) < 0 ||
            sathd_gw_percent_decode(q->value ? q->value : "", vl, val, 1) < 0) {
            *why = "malformed percent-encoding in the query string";
            return 400;
        }
        const char *body = in->match->method->http.body;
        if (body && strcmp(body, "*") == 0) {
            *why = arena_printf(a, "unknown query parameter \"%.100s\"", key);
            return 400;
        }
        memset(&e, 0, sizeof e);
        if (sathd_pbjson_set_from_string(msg, key, val, alloc, &e) != 0) {
            if (!sathd_pbjson_find_field(in->match->method->input, key) && !strchr(key, '.'))
                *why = arena_printf(a, "unknown query parameter \"%.100s\"", key);
            else
                *why = arena_printf(a, "invalid query parameter \"%.100s\": %s", key, e.message);
            return 400;
        }
    }
    *out = msg;
    return 0;
}

char *sathd_gw_dump(sathd_arena *a, const json_t *j, size_t *len)
{
    size_t cap = 1024;
    for (int tries = 0; tries < 2; tries++) {
        char *buf = sathd_arena_alloc(a, cap);
        if (!buf)
            return NULL;
        size_t n = json_dumpb(j, buf, cap, JSON_COMPACT | JSON_ENCODE_ANY);
        if (n == 0)
            return NULL;
        if (n <= cap) {
            *len = n;
            return buf;
        }
        cap = n;
    }
    return NULL;
}

char *sathd_gw_response_body(sathd_arena *a, const sathd_method_desc *m,
                             const ProtobufCMessage *resp, size_t *len, const char **ctype)
{
    if (!sathd_gw_is_http_body(m->output)) {
        *ctype = "application/json";
        return sathd_gw_response_json(a, m, resp, len);
    }
    const Google__Api__HttpBody *hb = (const Google__Api__HttpBody *)resp;
    *ctype = hb->content_type && hb->content_type[0] ? hb->content_type : "application/octet-stream";
    *len = hb->data.len;
    char *body = sathd_arena_alloc(a, hb->data.len + 1);
    if (body && hb->data.len)
        memcpy(body, hb->data.data, hb->data.len);
    return body;
}

char *sathd_gw_response_json(sathd_arena *a, const sathd_method_desc *m,
                             const ProtobufCMessage *resp, size_t *len)
{
    json_t *j = sathd_pbjson_encode(resp, 0);
    if (!j)
        return NULL;
    const json_t *part = j;
    const char *rb = m->http.response_body;
    if (rb && rb[0]) {
        part = json_object_get(j, rb);
        if (!part)
            part = json_null();
    }
    char *s = sathd_gw_dump(a, part, len);
    json_decref(j);
    return s;
}

char *sathd_gw_error_json(sathd_arena *a, int grpc_code, const char *message, size_t *len)
{
    json_t *j = json_pack("{s:i,s:s,s:[],s:s}", "code", grpc_code, "message",
                          message ? message : "", "details", "detail", message ? message : "");
    if (!j)
        return NULL;
    char *s = sathd_gw_dump(a, j, len);
    json_decref(j);
    return s;
}
