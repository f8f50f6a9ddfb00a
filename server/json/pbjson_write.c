/*
 * pbjson_write.c - protobuf-c message -> JSON text directly, without a jansson tree:
 * the REST gateway's response path (sathd_pbjson_dumpb in sathd/pbjson.h).
 *
 * The output is byte for byte what json_dumpb(sathd_pbjson_encode(msg, flags),
 * JSON_COMPACT | JSON_ENCODE_ANY) gives -- same mapping (pbjson_encode.c's rules),
 * same key order, same string escaping, integers, base64 -- so the python json_format
 * oracle keeps judging it, and the fuzzer checks the two against each other.  Values
 * that are rare in our API and subtle to print (floating point, maps, whose duplicate
 * keys jansson collapses, and the Struct/Value/ListValue/Any/FieldMask types) are
 * built with the jansson encoder and dumped in place, so they are exact by construction.
 *
 * Like json_dumpb, the writer fills at most `cap` bytes and returns the full length:
 * the caller retries with a bigger buffer when it did not fit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "pbjson_internal.h"

typedef struct writer {
    char *buf;
    size_t cap, len;
    int failed; /* out of memory in a slow path */
    pbj_ctx *ctx;
} writer;

static void put(writer *w, const char *s, size_t n)
{
    if (w->len < w->cap)
        memcpy(w->buf + w->len, s, n <= w->cap - w->len ? n : w->cap - w->len);
    w->len += n;
}

static void put_str(writer *w, const char *s) { put(w, s, strlen(s)); }

/* A jansson value dumped in place (the slow paths); takes the reference. */
static void put_json(writer *w, json_t *j)
{
    if (!j) {
        w->failed = 1;
        return;
    }
    char stack[512];
    size_t n = json_dumpb(j, stack, sizeof stack, JSON_COMPACT | JSON_ENCODE_ANY);
    if (n == 0) {
        w->failed = 1;
    } else if (n <= sizeof stack) {
        put(w, stack, n);
    } else {
        char *heap = malloc(n);
        if (heap && json_dumpb(j, heap, n, JSON_COMPACT | JSON_ENCODE_ANY) == n)
            put(w, heap, n);
        else
            w->failed = 1;
        free(heap);
    }
    json_decref(j);
}

/* jansson's escaping: '"', '\\', the five short escapes, other controls as \u00XX;
 * everything else (UTF-8 included) as is. */
static void put_escaped(writer *w, const char *s, size_t len)
{
    size_t run = 0;
    put(w, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[8];
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c < 0x20) {
            switch (c) {
            case '\b': esc = "\\b"; break;
            case '\f': esc = "\\f"; break;
            case '\n': esc = "\\n"; break;
            case '\r': esc = "\\r"; break;
            case '\t': esc = "\\t"; break;
            default:
                snprintf(u, sizeof u, "\\u%04X", c);
                esc = u;
            }
        }
        if (!esc)
            continue;
        put(w, s + run, i - run);
        put_str(w, esc);
        run = i + 1;
    }
    put(w, s + run, len - run);
    put(w, "\"", 1);
}

/* A string field: invalid UTF-8 (possible from the wire) becomes U+FFFD, as in
 * pbjson_encode.c. */
static void put_string(writer *w, const char *s)
{
    size_t len = s ? strlen(s) : 0, n = 0;
    if (!s || pbj_utf8_valid(s, len)) {
        put_escaped(w, s ? s : "", len);
        return;
    }
    char *buf = pbj_utf8_scrub(s, len, &n);
    if (buf)
        put_escaped(w, buf, n);
    else
        w->failed = 1;
    free(buf);
}

/* An integer, in quotes when `quoted` (64-bit integers are JSON strings). */
static void put_ll(writer *w, long long v, int quoted)
{
    char b[32];
    int n = quoted ? snprintf(b, sizeof b, "\"%lld\"", v) : snprintf(b, sizeof b, "%lld", v);
    put(w, b, (size_t)n);
}

static void put_ull_quoted(writer *w, unsigned long long v)
{
    char b[32];
    put(w, b, (size_t)snprintf(b, sizeof b, "\"%llu\"", v));
}

static void put_bytes(writer *w, const ProtobufCBinaryData *b)
{
    size_t cap = sodium_base64_encoded_len(b->len, sodium_base64_VARIANT_ORIGINAL);
    char stack[256], *out = cap <= sizeof stack ? stack : malloc(cap);
    if (!out) {
        w->failed = 1;
        return;
    }
    sodium_bin2base64(out, cap, b->data ? b->data : (const unsigned char *)"", b->len,
                      sodium_base64_VARIANT_ORIGINAL);
    put(w, "\"", 1);
    put(w, out, cap - 1);
    put(w, "\"", 1);
    if (out != stack)
        free(out);
}

static void write_message(writer *w, const ProtobufCMessage *msg);

static void write_scalar(writer *w, const ProtobufCFieldDescriptor *fd, const void *src)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        put_ll(w, *(const int32_t *)src, 0);
        return;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        put_ll(w, *(const uint32_t *)src, 0);
        return;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        put_ll(w, (long long)*(const int64_t *)src, 1);
        return;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        put_ull_quoted(w, (unsigned long long)*(const uint64_t *)src);
        return;
    case PROTOBUF_C_TYPE_BOOL:
        put_str(w, *(const protobuf_c_boolean *)src ? "true" : "false");
        return;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *ed = fd->descriptor;
        int32_t v = *(const int32_t *)src;
        const ProtobufCEnumValue *ev = NULL;
        if (strcmp(ed->name, "google.protobuf.NullValue") == 0) {
            put_str(w, "null");
            return;
        }
        if (!(w->ctx->flags & SATHD_PBJSON_ENUMS_AS_INTS))
            ev = protobuf_c_enum_descriptor_get_value(ed, v);
        if (ev)
            put_escaped(w, ev->name, strlen(ev->name));
        else
            put_ll(w, v, 0);
        return;
    }
    case PROTOBUF_C_TYPE_STRING:
        put_string(w, *(const char *const *)src);
        return;
    case PROTOBUF_C_TYPE_BYTES:
        put_bytes(w, src);
        return;
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
        put_json(w, pbj_encode_scalar(w->ctx, fd, src));
        return;
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(const ProtobufCMessage *const *)src;
        if (m) {
            write_message(w, m);
            return;
        }
        /* an absent element of a repeated message field: its empty message */
        ProtobufCMessage *empty =
            malloc(((const ProtobufCMessageDescriptor *)fd->descriptor)->sizeof_message);
        if (!empty) {
            w->failed = 1;
            return;
        }
        protobuf_c_message_init(fd->descriptor, empty);
        write_message(w, empty);
        free(empty);
        return;
    }
    }
    w->failed = 1;
}

/* The value of one field (the caller decided it is emitted). */
static void write_field_value(writer *w, const ProtobufCMessage *msg,
                              const ProtobufCFieldDescriptor *fd)
{
    const void *src = pbj_member(msg, fd->offset);
    if (fd->label != PROTOBUF_C_LABEL_REPEATED) {
        write_scalar(w, fd, src);
        return;
    }
    size_t n = *(const size_t *)pbj_member(msg, fd->quantifier_offset);
    if (pbj_is_map(fd)) {
        put_json(w, pbj_encode_field(w->ctx, msg, fd));
        return;
    }
    const char *arr = *(const char *const *)src;
    size_t sz = pbj_scalar_size(fd->type);
    put(w, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(w, ",", 1);
        write_scalar(w, fd, arr + i * sz);
    }
    put(w, "]", 1);
}

static void write_object(writer *w, const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    int first = 1;
    put(w, "{", 1);
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &desc->fields[i];
        if (pbj_skip_field(w->ctx, msg, fd))
            continue;
        char camel[256];
        const char *name = fd->name;
        if ((w->ctx->flags & SATHD_PBJSON_CAMEL_CASE) && pbj_camel_name(fd->name, camel, sizeof camel))
            name = camel;
        if (!first)
            put(w, ",", 1);
        first = 0;
        put_escaped(w, name, strlen(name));
        put(w, ":", 1);
        write_field_value(w, msg, fd);
    }
    put(w, "}", 1);
}

static void write_message(writer *w, const ProtobufCMessage *msg)
{
    char text[40];
    switch (pbj_wkt_of(msg->descriptor)) {
    case PBJ_WKT_NONE:
        write_object(w, msg);
        return;
    case PBJ_WKT_TIMESTAMP: {
        const Google__Protobuf__Timestamp *t = (const void *)msg;
        if (pbj_timestamp_format(t->seconds, t->nanos, text))
            put_escaped(w, text, strlen(text));
        else
            put_str(w, "null");
        return;
    }
    case PBJ_WKT_DURATION: {
        const Google__Protobuf__Duration *d = (const void *)msg;
        if (pbj_duration_format(d->seconds, d->nanos, text))
            put_escaped(w, text, strlen(text));
        else
            put_str(w, "null");
        return;
    }
    case PBJ_WKT_WRAPPER: {
        const ProtobufCFieldDescriptor *fd = &msg->descriptor->fields[0];
        write_scalar(w, fd, pbj_member(msg, fd->offset));
        return;
    }
    default:
        put_json(w, pbj_encode_message(w->ctx, msg));
        return;
    }
}

size_t sathd_pbjson_dumpb(const ProtobufCMessage *msg, const char *field, unsigned flags,
                          char *buf, size_t cap)
{
    pbj_ctx ctx;
    pbj_ctx_init(&ctx, NULL, NULL, flags);
    writer w = {.buf = buf, .cap = cap, .ctx = &ctx};
    if (!field) {
        write_message(&w, msg);
    } else {
        /* one field of the message: what json_object_get on the encoded object gives */
        const ProtobufCFieldDescriptor *fd = NULL;
        for (unsigned i = 0; i < msg->descriptor->n_fields; i++)
            if (strcmp(msg->descriptor->fields[i].name, field) == 0)
                fd = &msg->descriptor->fields[i];
        if (!fd || pbj_skip_field(&ctx, msg, fd))
            put_str(&w, "null");
        else
            write_field_value(&w, msg, fd);
    }
    return w.failed ? 0 : w.len;
}
