/*
 * options.c - decoding the SATH custom method options from unknown fields.
 *
 * Wire facts relied on (protobuf-c 1.4 ProtobufCMessageUnknownField):
 *   - a varint field's `data` is the raw varint;
 *   - a length-delimited field's `data` starts with the length varint, followed by
 *     the payload (here a serialized google.api.HttpRule).
 * When a field appears more than once the last occurrence wins, as protobuf does for
 * scalars (for the HttpRule message protobuf would merge; the contract never repeats it).
 */
#include "options.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/api/http.pb-c.h"

/* Reads a varint from data[0..len).  Returns the number of bytes used, 0 if malformed. */
static size_t read_varint(const uint8_t *data, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len && i < 10; i++) {
        v |= (uint64_t)(data[i] & 0x7f) << (7 * i);
        if ((data[i] & 0x80) == 0) {
            *out = v;
            return i + 1;
        }
    }
    return 0;
}

static const ProtobufCMessageUnknownField *find_last(const ProtobufCMessage *msg, uint32_t tag)
{
    const ProtobufCMessageUnknownField *found = NULL;
    for (unsigned i = 0; i < msg->n_unknown_fields; i++)
        if (msg->unknown_fields[i].tag == tag)
            found = &msg->unknown_fields[i];
    return found;
}

static char *fmt_err(const char *what, uint32_t tag)
{
    char buf[160];
    snprintf(buf, sizeof buf, "malformed %s option (field %u)", what, (unsigned)tag);
    return strdup(buf);
}

/* Reads a varint option; *present=false when absent.  -1 when malformed. */
static int read_varint_option(const ProtobufCMessage *msg, uint32_t tag, const char *what,
                              bool *present, uint64_t *value, char **err)
{
    const ProtobufCMessageUnknownField *f = find_last(msg, tag);
    *present = false;
    if (f == NULL)
        return 0;
    if (f->wire_type != PROTOBUF_C_WIRE_TYPE_VARINT || read_varint(f->data, f->len, value) == 0) {
        *err = fmt_err(what, tag);
        return -1;
    }
    *present = true;
    return 0;
}

static char *upper_dup(const char *s)
{
    char *out = strdup(s);
    if (out != NULL)
        for (char *p = out; *p; p++)
            *p = (char)toupper((unsigned char)*p);
    return out;
}

/* Fills verb/path/body/response_body of `out` from a decoded rule. */
static int copy_rule(const Google__Api__HttpRule *rule, options_method *out, char **err)
{
    const char *verb = NULL, *path = NULL;
    switch (rule->pattern_case) {
    case GOOGLE__API__HTTP_RULE__PATTERN_GET: verb = "GET"; path = rule->get; break;
    case GOOGLE__API__HTTP_RULE__PATTERN_PUT: verb = "PUT"; path = rule->put; break;
    case GOOGLE__API__HTTP_RULE__PATTERN_POST: verb = "POST"; path = rule->post; break;
    case GOOGLE__API__HTTP_RULE__PATTERN_DELETE: verb = "DELETE"; path = rule->delete_; break;
    case GOOGLE__API__HTTP_RULE__PATTERN_PATCH: verb = "PATCH"; path = rule->patch; break;
    case GOOGLE__API__HTTP_RULE__PATTERN_CUSTOM:
        if (rule->custom != NULL) {
            verb = rule->custom->kind;
            path = rule->custom->path;
        }
        break;
    default: break;
    }
    if (verb == NULL || path == NULL || *verb == '\0' || *path == '\0') {
        *err = strdup("google.api.http rule has no verb/path pattern");
        return -1;
    }
    if (rule->n_additional_bindings > 0) {
        *err = strdup("google.api.http additional_bindings are not supported");
        return -1;
    }
    out->verb = upper_dup(verb);
    out->path = strdup(path);
    out->body = strdup(rule->body ? rule->body : "");
    out->response_body = strdup(rule->response_body ? rule->response_body : "");
    if (!out->verb || !out->path || !out->body || !out->response_body) {
        *err = strdup("out of memory");
        return -1;
    }
    return 0;
}

static int read_http_rule(const ProtobufCMessage *msg, options_method *out, char **err)
{
    const ProtobufCMessageUnknownField *f = find_last(msg, OPTIONS_TAG_GOOGLE_API_HTTP);
    if (f == NULL)
        return 0;
    uint64_t n = 0;
    size_t skip = f->wire_type == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED
                      ? read_varint(f->data, f->len, &n) : 0;
    if (skip == 0 || n != f->len - skip) {
        *err = fmt_err("google.api.http", OPTIONS_TAG_GOOGLE_API_HTTP);
        return -1;
    }
    Google__Api__HttpRule *rule = google__api__http_rule__unpack(NULL, f->len - skip, f->data + skip);
    if (rule == NULL) {
        *err = fmt_err("google.api.http", OPTIONS_TAG_GOOGLE_API_HTTP);
        return -1;
    }
    int rc = copy_rule(rule, out, err);
    google__api__http_rule__free_unpacked(rule, NULL);
    if (rc == 0)
        out->has_http = true;
    return rc;
}

int options_method_read(const Google__Protobuf__MethodOptions *opts, options_method *out,
                        char **err)
{
    memset(out, 0, sizeof *out);
    out->success_code = 200;
    *err = NULL;
    if (opts == NULL)
        return 0;
    const ProtobufCMessage *msg = &opts->base;
    bool present;
    uint64_t v;
    if (read_varint_option(msg, OPTIONS_TAG_HTTP_SUCCESS_CODE, "(sath.v1.http_success_code)",
                           &present, &v, err) != 0)
        return -1;
    if (present && v != 0) {
        /* int32 on the wire: negative values are sign-extended to 10 bytes. */
        int64_t code = (int64_t)v;
        if (code < 100 || code > 599) {
            char buf[120];
            snprintf(buf, sizeof buf, "(sath.v1.http_success_code) %lld is not an HTTP status",
                     (long long)code);
            *err = strdup(buf);
            return -1;
        }
        out->success_code = (int)code;
    }
    if (read_varint_option(msg, OPTIONS_TAG_PUBLIC_METHOD, "(sath.v1.public_method)",
                           &present, &v, err) != 0)
        return -1;
    out->is_public = present && v != 0;
    if (read_varint_option(msg, OPTIONS_TAG_RUN_TOKEN_METHOD, "(sath.v1.run_token_method)",
                           &present, &v, err) != 0)
        return -1;
    out->is_run_token = present && v != 0;
    if (read_http_rule(msg, out, err) != 0) {
        options_method_release(out);
        return -1;
    }
    return 0;
}

void options_method_release(options_method *m)
{
    free(m->verb);
    free(m->path);
    free(m->body);
    free(m->response_body);
    memset(m, 0, sizeof *m);
}
