/*
 * pbjson_decode.c - JSON → protobuf-c message, the input half of the proto3 JSON
 * mapping: field lookup by proto or lowerCamelCase name, scalars with range checks,
 * repeated fields, maps, oneofs and nested messages (well-known types are handed to
 * pbjson_wkt.c).  Every error names the field path.
 *
 * Invariant: the message being filled stays consistent for
 * protobuf_c_message_free_unpacked at every step (arrays are stored with their count
 * before their elements are decoded, elements start zeroed), so a failed decode can be
 * released as a whole.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pbjson_internal.h"

static const char *json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

/* Characters a number written as a JSON string may hold (no spaces, no "0x", no "inf"). */
static bool numeric_text(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!strchr("0123456789+-.eE", *s))
            return false;
    return true;
}

/* An integral double from a JSON number or a numeric string; *is_int tells whether an
 * exact int64 / uint64 was read instead (then *i or *u hold it). */
typedef struct int_value {
    int kind; /* 0 double, 1 int64, 2 uint64 */
    double d;
    long long i;
    unsigned long long u;
} int_value;

static int read_integer(pbj_ctx *ctx, const json_t *j, int_value *v)
{
    if (json_is_integer(j)) {
        v->kind = 1;
        v->i = json_integer_value(j);
        return 0;
    }
    if (json_is_real(j)) {
        v->kind = 0;
        v->d = json_real_value(j);
    } else if (json_is_string(j)) {
        const char *s = json_string_value(j);
        if (!numeric_text(s))
            return pbj_fail(ctx, "expected an integer, got \"%.32s\"", s);
        char *end;
        errno = 0;
        if (s[0] == '-') {
            long long x = strtoll(s, &end, 10);
            if (*end == '\0' && errno == 0) {
                v->kind = 1;
                v->i = x;
                return 0;
            }
        } else {
            unsigned long long x = strtoull(s, &end, 10);
            if (*end == '\0' && errno == 0) {
                v->kind = 2;
                v->u = x;
                return 0;
            }
        }
        errno = 0;
        v->d = strtod(s, &end);
        if (*end != '\0')
            return pbj_fail(ctx, "expected an integer, got \"%.32s\"", s);
        v->kind = 0;
    } else {
        return pbj_fail(ctx, "expected an integer, got %s", json_kind(j));
    }
    if (!isfinite(v->d) || v->d != floor(v->d))
        return pbj_fail(ctx, "expected an integer, got a non-integral number");
    return 0;
}

static int to_signed(pbj_ctx *ctx, const json_t *j, int64_t min, int64_t max, int64_t *out)
{
    int_value v;
    if (read_integer(ctx, j, &v) < 0)
        return -1;
    bool ok;
    if (v.kind == 1) {
        ok = v.i >= min && v.i <= max;
        *out = v.i;
    } else if (v.kind == 2) {
        ok = v.u <= (unsigned long long)max;
        *out = (int64_t)v.u;
    } else {
        ok = v.d >= (double)min && v.d < -(double)min && v.d <= (double)max;
        *out = ok ? (int64_t)v.d : 0;
    }
    return ok ? 0 : pbj_fail(ctx, "integer out of range");
}

static int to_unsigned(pbj_ctx *ctx, const json_t *j, uint64_t max, uint64_t *out)
{
    int_value v;
    if (read_integer(ctx, j, &v) < 0)
        return -1;
    bool ok;
    if (v.kind == 1) {
        ok = v.i >= 0 && (uint64_t)v.i <= max;
        *out = (uint64_t)v.i;
    } else if (v.kind == 2) {
        ok = v.u <= max;
        *out = v.u;
    } else {
        ok = v.d >= 0 && v.d < 18446744073709551616.0 && v.d <= (double)max;
        *out = ok ? (uint64_t)v.d : 0;
    }
    return ok ? 0 : pbj_fail(ctx, "integer out of range");
}

static int to_double(pbj_ctx *ctx, const json_t *j, bool is_float, double *out)
{
    if (json_is_number(j)) {
        *out = json_number_value(j);
    } else if (json_is_string(j)) {
        const char *s = json_string_value(j);
        if (strcmp(s, "NaN") == 0) {
            *out = NAN;
            return 0;
        }
        if (strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0) {
            *out = s[0] == '-' ? -INFINITY : INFINITY;
            return 0;
        }
        char *end;
        if (!numeric_text(s) || ((void)(*out = strtod(s, &end)), *end != '\0'))
            return pbj_fail(ctx, "expected a number, got \"%.32s\"", s);
    } else {
        return pbj_fail(ctx, "expected a number, got %s", json_kind(j));
    }
    if (!isfinite(*out) || (is_float && fabs(*out) > FLT_MAX))
        return pbj_fail(ctx, "number out of range");
    return 0;
}

/* Standard or URL-safe base64, padded or not; the alphabet is checked first because
 * libsodium 1.0.18 lets bytes >= 0x80 through. */
static int to_bytes(pbj_ctx *ctx, const json_t *j, ProtobufCBinaryData *out)
{
    if (!json_is_string(j))
        return pbj_fail(ctx, "expected a base64 string, got %s", json_kind(j));
    const char *s = json_string_value(j);
    size_t len = json_string_length(j);
    bool std = false, url = false;
    size_t pad = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad || !(((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ||
                     c == '+' || c == '/' || c == '-' || c == '_'))
            return pbj_fail(ctx, "invalid base64");
        std |= c == '+' || c == '/';
        url |= c == '-' || c == '_';
    }
    if (std && url)
        return pbj_fail(ctx, "invalid base64 (mixed alphabets)");
    int variant = url ? (pad ? sodium_base64_VARIANT_URLSAFE : sodium_base64_VARIANT_URLSAFE_NO_PADDING)
                      : (pad ? sodium_base64_VARIANT_ORIGINAL : sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    size_t cap = len / 4 * 3 + 3, n = 0;
    uint8_t *buf = pbj_alloc(ctx, cap);
    if (!buf)
        return -1;
    if (sodium_base642bin(buf, cap, s, len, NULL, &n, NULL, variant) != 0) {
        pbj_free(ctx, buf);
        return pbj_fail(ctx, "invalid base64");
    }
    out->data = buf;
    out->len = n;
    return 0;
}

static int to_enum(pbj_ctx *ctx, const ProtobufCFieldDescriptor *fd, const json_t *j, int32_t *out)
{
    const ProtobufCEnumDescriptor *ed = fd->descriptor;
    if (json_is_string(j)) {
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value_by_name(ed, json_string_value(j));
        if (!ev)
            return pbj_fail(ctx, "unknown value \"%.48s\" of enum %s", json_string_value(j),
                            ed->name);
        *out = ev->value;
        return 0;
    }
    if (json_is_null(j) && strcmp(ed->name, "google.protobuf.NullValue") == 0) {
        *out = 0;
        return 0;
    }
    int64_t v;
    if (!json_is_number(j))
        return pbj_fail(ctx, "expected an enum name or number, got %s", json_kind(j));
    if (to_signed(ctx, j, INT32_MIN, INT32_MAX, &v) < 0)
        return -1;
    *out = (int32_t)v; /* proto3 enums are open: unknown numbers are kept */
    return 0;
}

int pbj_decode_scalar(pbj_ctx *ctx, const ProtobufCFieldDescriptor *fd, const json_t *j, void *dst)
{
    int64_t s;
    uint64_t u;
    double d;
    switch (fd->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (to_signed(ctx, j, INT32_MIN, INT32_MAX, &s) < 0)
            return -1;
        *(int32_t *)dst = (int32_t)s;
        return 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (to_signed(ctx, j, INT64_MIN, INT64_MAX, &s) < 0)
            return -1;
        *(int64_t *)dst = s;
        return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (to_unsigned(ctx, j, UINT32_MAX, &u) < 0)
            return -1;
        *(uint32_t *)dst = (uint32_t)u;
        return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (to_unsigned(ctx, j, UINT64_MAX, &u) < 0)
            return -1;
        *(uint64_t *)dst = u;
        return 0;
    case PROTOBUF_C_TYPE_FLOAT:
        if (to_double(ctx, j, true, &d) < 0)
            return -1;
        *(float *)dst = (float)d;
        return 0;
    case PROTOBUF_C_TYPE_DOUBLE:
        if (to_double(ctx, j, false, &d) < 0)
            return -1;
        *(double *)dst = d;
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(j))
            return pbj_fail(ctx, "expected true or false, got %s", json_kind(j));
        *(protobuf_c_boolean *)dst = json_is_true(j);
        return 0;
    case PROTOBUF_C_TYPE_ENUM:
        return to_enum(ctx, fd, j, dst);
    case PROTOBUF_C_TYPE_STRING:
        if (!json_is_string(j))
            return pbj_fail(ctx, "expected a string, got %s", json_kind(j));
        if (!pbj_utf8_valid(json_string_value(j), json_string_length(j)))
            return pbj_fail(ctx, "invalid UTF-8");
        *(char **)dst = pbj_strndup(ctx, json_string_value(j), json_string_length(j));
        return *(char **)dst ? 0 : -1;
    case PROTOBUF_C_TYPE_BYTES:
        return to_bytes(ctx, j, dst);
    case PROTOBUF_C_TYPE_MESSAGE:
        return pbj_decode_new(ctx, fd->descriptor, j, dst);
    }
    return pbj_fail(ctx, "unsupported field type");
}

int pbj_decode_new(pbj_ctx *ctx, const ProtobufCMessageDescriptor *desc, const json_t *j,
                   ProtobufCMessage **out)
{
    ProtobufCMessage *m = pbj_new_message(ctx, desc);
    if (!m)
        return -1;
    *out = m; /* stored first: the caller's message frees it if decoding fails */
    return pbj_decode_into(ctx, m, j);
}

/* Map keys arrive as JSON object keys: read them as the key field's type. */
static int decode_map_key(pbj_ctx *ctx, const ProtobufCFieldDescriptor *kfd, const char *key,
                          void *dst)
{
    int rc;
    json_t *k;
    if (kfd->type == PROTOBUF_C_TYPE_BOOL) {
        if (strcmp(key, "true") && strcmp(key, "false"))
            return pbj_fail(ctx, "expected a boolean map key, got \"%.32s\"", key);
        k = json_boolean(key[0] == 't');
    } else {
        k = json_string(key);
    }
    if (!k)
        return pbj_fail(ctx, "invalid map key");
    rc = pbj_decode_scalar(ctx, kfd, k, dst);
    json_decref(k);
    return rc;
}

static int decode_map(pbj_ctx *ctx, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd,
                      const json_t *j)
{
    if (!json_is_object(j))
        return pbj_fail(ctx, "expected an object (map), got %s", json_kind(j));
    const ProtobufCMessageDescriptor *ed = fd->descriptor;
    size_t n = json_object_size(j);
    ProtobufCMessage **arr = pbj_alloc(ctx, n * sizeof(*arr));
    if (!arr)
        return -1;
    memset(arr, 0, n * sizeof(*arr));
    *(ProtobufCMessage ***)pbj_member(msg, fd->offset) = arr;
    *(size_t *)pbj_member(msg, fd->quantifier_offset) = n;
    const char *key;
    json_t *val;
    size_t i = 0;
    json_object_foreach((json_t *)j, key, val) {
        size_t saved = pbj_path_push_key(ctx, key);
        ProtobufCMessage *e = arr[i++] = pbj_new_message(ctx, ed);
        int rc = e ? decode_map_key(ctx, &ed->fields[0], key, pbj_member(e, ed->fields[0].offset)) : -1;
        if (rc == 0 && json_is_null(val) && ed->fields[1].type != PROTOBUF_C_TYPE_MESSAGE)
            rc = pbj_fail(ctx, "map values may not be null");
        if (rc == 0)
            rc = pbj_decode_field(ctx, e, &ed->fields[1], val);
        if (rc == 0 && ed->fields[1].type == PROTOBUF_C_TYPE_MESSAGE &&
            !*(void **)pbj_member(e, ed->fields[1].offset))
            rc = pbj_fail(ctx, "map values may not be null");
        pbj_path_pop(ctx, saved);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int decode_repeated(pbj_ctx *ctx, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd,
                           const json_t *j)
{
    if (!json_is_array(j))
        return pbj_fail(ctx, "expected an array, got %s", json_kind(j));
    size_t n = json_array_size(j), sz = pbj_scalar_size(fd->type);
    char *arr = pbj_alloc(ctx, n * sz);
    if (!arr)
        return -1;
    memset(arr, 0, n * sz);
    *(char **)pbj_member(msg, fd->offset) = arr;
    *(size_t *)pbj_member(msg, fd->quantifier_offset) = n;
    for (size_t i = 0; i < n; i++) {
        const json_t *el = json_array_get(j, i);
        size_t saved = pbj_path_push_index(ctx, i);
        int rc = 0;
        if (json_is_null(el) && !(fd->type == PROTOBUF_C_TYPE_MESSAGE &&
                                  pbj_wkt_of(fd->descriptor) == PBJ_WKT_VALUE))
            rc = pbj_fail(ctx, "array elements may not be null");
        else
            rc = pbj_decode_scalar(ctx, fd, el, arr + i * sz);
        pbj_path_pop(ctx, saved);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int pbj_append_element(pbj_ctx *ctx, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd,
                       const json_t *j)
{
    size_t *n = pbj_member(msg, fd->quantifier_offset);
    char **slot = pbj_member(msg, fd->offset);
    size_t sz = pbj_scalar_size(fd->type);
    char *arr = pbj_alloc(ctx, (*n + 1) * sz);
    if (!arr)
        return -1;
    if (*n)
        memcpy(arr, *slot, *n * sz);
    memset(arr + *n * sz, 0, sz);
    pbj_free(ctx, *slot);
    *slot = arr;
    size_t saved = pbj_path_push_index(ctx, *n);
    (*n)++;
    int rc = pbj_decode_scalar(ctx, fd, j, arr + (*n - 1) * sz);
    pbj_path_pop(ctx, saved);
    return rc;
}

/* JSON null: the field's default, except where null is itself a value. */
static int decode_null(pbj_ctx *ctx, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd)
{
    pbj_clear_field(ctx, msg, fd);
    if (fd->type == PROTOBUF_C_TYPE_MESSAGE && fd->label != PROTOBUF_C_LABEL_REPEATED &&
        pbj_wkt_of(fd->descriptor) == PBJ_WKT_VALUE) {
        ProtobufCMessage **slot = pbj_member(msg, fd->offset);
        if (pbj_decode_new(ctx, fd->descriptor, json_null(), slot) < 0)
            return -1;
        pbj_mark_present(msg, fd);
    } else if (fd->type == PROTOBUF_C_TYPE_ENUM && (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
               strcmp(((const ProtobufCEnumDescriptor *)fd->descriptor)->name,
                      "google.protobuf.NullValue") == 0) {
        *(int32_t *)pbj_member(msg, fd->offset) = 0;
        pbj_mark_present(msg, fd);
    }
    return 0;
}

int pbj_decode_field(pbj_ctx *ctx, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd,
                     const json_t *j)
{
    if (json_is_null(j))
        return decode_null(ctx, msg, fd);
    if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
        pbj_clear_field(ctx, msg, fd);
        return pbj_is_map(fd) ? decode_map(ctx, msg, fd, j) : decode_repeated(ctx, msg, fd, j);
    }
    void *slot = pbj_member(msg, fd->offset);
    if (fd->type == PROTOBUF_C_TYPE_MESSAGE && pbj_field_present(msg, fd) &&
        *(ProtobufCMessage **)slot) {
        /* merge into what is there (body: "field" onto path-variable values) */
        return pbj_decode_into(ctx, *(ProtobufCMessage **)slot, j);
    }
    /* a oneof sibling may own the shared storage: release it first */
    if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t c = *(uint32_t *)pbj_member(msg, fd->quantifier_offset);
        const ProtobufCFieldDescriptor *cur =
            c ? protobuf_c_message_descriptor_get_field(msg->descriptor, c) : NULL;
        if (cur)
            pbj_clear_field(ctx, msg, cur);
    } else {
        pbj_clear_field(ctx, msg, fd);
    }
    if (fd->type == PROTOBUF_C_TYPE_STRING)
        *(char **)slot = NULL; /* no default pointer may be freed if decoding fails */
    pbj_mark_present(msg, fd);
    int rc = pbj_decode_scalar(ctx, fd, j, slot);
    if (rc < 0 && fd->type == PROTOBUF_C_TYPE_STRING && !*(char **)slot)
        *(const char **)slot = (const char *)fd->default_value;
    return rc;
}

/* Whether two members of one oneof (same case member offset) appear in obj, or one
 * field appears twice (proto name and json name). */
static int check_duplicates(pbj_ctx *ctx, const ProtobufCMessageDescriptor *desc,
                            const ProtobufCFieldDescriptor *fd, const unsigned char *seen_field,
                            const char *key)
{
    unsigned idx = (unsigned)(fd - desc->fields);
    if (seen_field[idx])
        return pbj_fail(ctx, "field \"%.48s\" given twice", key);
    if (!(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return 0;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        if (seen_field[i] && (desc->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            desc->fields[i].quantifier_offset == fd->quantifier_offset)
            return pbj_fail(ctx, "\"%.48s\" and \"%.48s\" are members of one oneof: give at most one",
                            desc->fields[i].name, fd->name);
    }
    return 0;
}

static int decode_object(pbj_ctx *ctx, ProtobufCMessage *msg, const json_t *j)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    if (!json_is_object(j))
        return pbj_fail(ctx, "expected an object (%s), got %s", desc->name, json_kind(j));
    unsigned char *seen = pbj_alloc(ctx, desc->n_fields + 1);
    if (!seen)
        return -1;
    memset(seen, 0, desc->n_fields + 1);
    const char *key;
    json_t *val;
    int rc = 0;
    json_object_foreach((json_t *)j, key, val) {
        const ProtobufCFieldDescriptor *fd = sathd_pbjson_find_field(desc, key);
        size_t saved = pbj_path_push_name(ctx, fd ? fd->name : key);
        if (!fd)
            rc = pbj_fail(ctx, "unknown field \"%.48s\" in %s", key, desc->name);
        else
            rc = check_duplicates(ctx, desc, fd, seen, key);
        if (rc == 0) {
            seen[fd - desc->fields] = 1;
            rc = pbj_decode_field(ctx, msg, fd, val);
        }
        pbj_path_pop(ctx, saved);
        if (rc < 0)
            break;
    }
    pbj_free(ctx, seen);
    return rc;
}

int pbj_decode_into(pbj_ctx *ctx, ProtobufCMessage *msg, const json_t *j)
{
    if (ctx->depth >= PBJ_MAX_DEPTH)
        return pbj_fail(ctx, "nesting deeper than %d levels", PBJ_MAX_DEPTH);
    ctx->depth++;
    pbj_wkt kind = pbj_wkt_of(msg->descriptor);
    int rc = kind != PBJ_WKT_NONE ? pbj_wkt_decode(ctx, kind, msg, j) : decode_object(ctx, msg, j);
    ctx->depth--;
    return rc;
}
