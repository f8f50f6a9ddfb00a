/*
 * pbjson_encode.c - protobuf-c message → JSON, the output half of the proto3 JSON
 * mapping.  Matches python's json_format.MessageToDict(preserving_proto_field_name=True,
 * including_default_value_fields=True) by default: every non-message singular field is
 * emitted (zeros, "", false, the enum's name), empty repeated fields as [] and maps as
 * {}; unset message fields, unset oneof members and unset optional fields are omitted.
 * 64-bit integers are strings, bytes standard base64, NaN/Infinity strings.
 * A NULL return always means out of memory.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pbjson_internal.h"

/* A JSON string of s, with invalid UTF-8 (possible in strings unpacked from the wire)
 * replaced by U+FFFD so the document stays valid. */
static json_t *string_value(const char *s, size_t len)
{
    if (pbj_utf8_valid(s, len))
        return json_stringn(s, len);
    size_t n = 0;
    char *buf = pbj_utf8_scrub(s, len, &n);
    json_t *j = buf ? json_stringn(buf, n) : NULL;
    free(buf);
    return j;
}

static json_t *int64_string(long long v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    return json_string(buf);
}

static json_t *uint64_string(unsigned long long v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%llu", v);
    return json_string(buf);
}

static json_t *double_value(double d)
{
    if (isnan(d))
        return json_string("NaN");
    if (isinf(d))
        return json_string(d < 0 ? "-Infinity" : "Infinity");
    return json_real(d);
}

/* The shortest decimal of at least 6 significant digits that reads back as the same
 * float, as a double: what python's json_format prints for float fields (its
 * ToShortestFloat), so 0.1f is 0.1 and not 0.10000000149011612. */
static json_t *float_value(float f)
{
    if (isnan(f) || isinf(f))
        return double_value(f);
    char buf[48];
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, (double)f);
        if (strtof(buf, NULL) == f)
            break;
    }
    return json_real(strtod(buf, NULL));
}

static json_t *bytes_value(const ProtobufCBinaryData *b)
{
    size_t cap = sodium_base64_encoded_len(b->len, sodium_base64_VARIANT_ORIGINAL);
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    sodium_bin2base64(buf, cap, b->data ? b->data : (const unsigned char *)"", b->len,
                      sodium_base64_VARIANT_ORIGINAL);
    json_t *j = json_string(buf);
    free(buf);
    return j;
}

static json_t *enum_value(pbj_ctx *ctx, const ProtobufCFieldDescriptor *fd, int32_t v)
{
    const ProtobufCEnumDescriptor *ed = fd->descriptor;
    if (strcmp(ed->name, "google.protobuf.NullValue") == 0)
        return json_null();
    const ProtobufCEnumValue *ev =
        (ctx->flags & SATHD_PBJSON_ENUMS_AS_INTS) ? NULL : protobuf_c_enum_descriptor_get_value(ed, v);
    return ev ? json_string(ev->name) : json_integer(v);
}

json_t *pbj_encode_scalar(pbj_ctx *ctx, const ProtobufCFieldDescriptor *fd, const void *src)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)src);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)src);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return int64_string(*(const int64_t *)src);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return uint64_string(*(const uint64_t *)src);
    case PROTOBUF_C_TYPE_FLOAT:
        return float_value(*(const float *)src);
    case PROTOBUF_C_TYPE_DOUBLE:
        return double_value(*(const double *)src);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)src);
    case PROTOBUF_C_TYPE_ENUM:
        return enum_value(ctx, fd, *(const int32_t *)src);
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(const char *const *)src;
        return s ? string_value(s, strlen(s)) : json_string("");
    }
    case PROTOBUF_C_TYPE_BYTES:
        return bytes_value(src);
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(const ProtobufCMessage *const *)src;
        if (m)
            return pbj_encode_message(ctx, m);
        /* an absent element of a repeated message field: its empty message */
        ProtobufCMessage *empty = malloc(((const ProtobufCMessageDescriptor *)fd->descriptor)->sizeof_message);
        if (!empty)
            return NULL;
        protobuf_c_message_init(fd->descriptor, empty);
        json_t *j = pbj_encode_message(ctx, empty);
        free(empty);
        return j;
    }
    }
    return NULL;
}

/* A map key as JSON object key text. */
static bool map_key_text(const ProtobufCFieldDescriptor *kfd, const void *src, char *buf, size_t n)
{
    switch (kfd->type) {
    case PROTOBUF_C_TYPE_STRING:
        return false; /* used directly */
    case PROTOBUF_C_TYPE_BOOL:
        snprintf(buf, n, "%s", *(const protobuf_c_boolean *)src ? "true" : "false");
        return true;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        snprintf(buf, n, "%lld", (long long)*(const int64_t *)src);
        return true;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        snprintf(buf, n, "%llu", (unsigned long long)*(const uint64_t *)src);
        return true;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        snprintf(buf, n, "%u", (unsigned)*(const uint32_t *)src);
        return true;
    default:
        snprintf(buf, n, "%d", (int)*(const int32_t *)src);
        return true;
    }
}

static json_t *encode_map(pbj_ctx *ctx, const ProtobufCFieldDescriptor *fd, size_t n,
                          ProtobufCMessage *const *arr)
{
    const ProtobufCMessageDescriptor *ed = fd->descriptor;
    json_t *obj = json_object();
    for (size_t i = 0; obj && i < n; i++) {
        if (!arr[i])
            continue;
        const void *k = pbj_member(arr[i], ed->fields[0].offset);
        char buf[32];
        const char *key = buf;
        if (!map_key_text(&ed->fields[0], k, buf, sizeof(buf)))
            key = *(const char *const *)k ? *(const char *const *)k : "";
        json_t *v = pbj_encode_scalar(ctx, &ed->fields[1], pbj_member(arr[i], ed->fields[1].offset));
        if (!v) {
            json_decref(obj);
            return NULL;
        }
        /* a key that is not UTF-8 (unpacked from the wire) cannot be a JSON key: it is
         * dropped; any other failure is out of memory */
        if (json_object_set_new(obj, key, v) < 0 && pbj_utf8_valid(key, strlen(key))) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static json_t *encode_repeated(pbj_ctx *ctx, const ProtobufCFieldDescriptor *fd, size_t n,
                               const char *arr)
{
    size_t sz = pbj_scalar_size(fd->type);
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, pbj_encode_scalar(ctx, fd, arr + i * sz)) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static bool is_default(const ProtobufCFieldDescriptor *fd, const void *src)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(const char *const *)src;
        return !s || !*s;
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)src)->len == 0;
    case PROTOBUF_C_TYPE_FLOAT:
        return *(const float *)src == 0 && !signbit(*(const float *)src);
    case PROTOBUF_C_TYPE_DOUBLE:
        return *(const double *)src == 0 && !signbit(*(const double *)src);
    default: {
        static const unsigned char zero[8];
        return memcmp(src, zero, pbj_scalar_size(fd->type)) == 0;
    }
    }
}

bool pbj_skip_field(const pbj_ctx *ctx, const ProtobufCMessage *msg,
                    const ProtobufCFieldDescriptor *fd)
{
    bool omit_defaults = ctx->flags & SATHD_PBJSON_OMIT_DEFAULTS;
    if (fd->label == PROTOBUF_C_LABEL_REPEATED)
        return omit_defaults && *(const size_t *)pbj_member(msg, fd->quantifier_offset) == 0;
    bool tracked = (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
                   fd->label == PROTOBUF_C_LABEL_OPTIONAL || fd->type == PROTOBUF_C_TYPE_MESSAGE;
    return tracked ? !pbj_field_present(msg, fd)
                   : omit_defaults && is_default(fd, pbj_member(msg, fd->offset));
}

json_t *pbj_encode_field(pbj_ctx *ctx, const ProtobufCMessage *msg,
                         const ProtobufCFieldDescriptor *fd)
{
    const void *src = pbj_member(msg, fd->offset);
    if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t n = *(const size_t *)pbj_member(msg, fd->quantifier_offset);
        if (pbj_is_map(fd))
            return encode_map(ctx, fd, n, *(ProtobufCMessage *const *const *)src);
        return encode_repeated(ctx, fd, n, *(const char *const *)src);
    }
    return pbj_encode_scalar(ctx, fd, src);
}

static json_t *encode_object(pbj_ctx *ctx, const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    json_t *obj = json_object();
    for (unsigned i = 0; obj && i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &desc->fields[i];
        if (pbj_skip_field(ctx, msg, fd))
            continue;
        json_t *v = pbj_encode_field(ctx, msg, fd);
        char camel[256];
        const char *name = fd->name;
        if ((ctx->flags & SATHD_PBJSON_CAMEL_CASE) && pbj_camel_name(fd->name, camel, sizeof(camel)))
            name = camel;
        if (json_object_set_new(obj, name, v) < 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

json_t *pbj_encode_message(pbj_ctx *ctx, const ProtobufCMessage *msg)
{
    pbj_wkt kind = pbj_wkt_of(msg->descriptor);
    return kind != PBJ_WKT_NONE ? pbj_wkt_encode(ctx, kind, msg) : encode_object(ctx, msg);
}
