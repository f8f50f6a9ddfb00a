/*
 * pbjson_wkt.c - the special JSON forms of the well-known types: Timestamp and Duration
 * (strings), the wrappers (their scalar), Struct / Value / ListValue (arbitrary JSON),
 * FieldMask ("a.b,fooBar"), and Any (not supported on input; output is
 * {"@type": url, "value": base64} since no type registry is available here).
 * Empty needs nothing special: it is an object without fields.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/field_mask.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"

#include "pbjson_internal.h"

/* ---- output ---- */

static json_t *encode_value(pbj_ctx *ctx, const Google__Protobuf__Value *v);

static json_t *encode_struct(pbj_ctx *ctx, const Google__Protobuf__Struct *s)
{
    json_t *obj = json_object();
    for (size_t i = 0; obj && i < s->n_fields; i++) {
        const Google__Protobuf__Struct__FieldsEntry *e = s->fields[i];
        if (!e)
            continue;
        json_t *v = encode_value(ctx, e->value);
        const char *key = e->key ? e->key : "";
        if (!v || (json_object_set_new(obj, key, v) < 0 && pbj_utf8_valid(key, strlen(key)))) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static json_t *encode_list(pbj_ctx *ctx, const Google__Protobuf__ListValue *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n_values; i++) {
        if (json_array_append_new(a, encode_value(ctx, l->values[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *encode_value(pbj_ctx *ctx, const Google__Protobuf__Value *v)
{
    if (!v)
        return json_null();
    switch (v->kind_case) {
    case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
        if (isnan(v->number_value))
            return json_string("NaN");
        if (isinf(v->number_value))
            return json_string(v->number_value < 0 ? "-Infinity" : "Infinity");
        return json_real(v->number_value);
    case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE:
        return pbj_encode_scalar(ctx, protobuf_c_message_descriptor_get_field(v->base.descriptor, 3),
                                 &v->string_value);
    case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE:
        return json_boolean(v->bool_value);
    case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE:
        return v->struct_value ? encode_struct(ctx, v->struct_value) : json_object();
    case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE:
        return v->list_value ? encode_list(ctx, v->list_value) : json_array();
    default:
        return json_null();
    }
}

static json_t *encode_field_mask(const Google__Protobuf__FieldMask *fm)
{
    size_t total = 1;
    for (size_t i = 0; i < fm->n_paths; i++)
        total += (fm->paths[i] ? strlen(fm->paths[i]) : 0) + 1;
    char *buf = malloc(total);
    if (!buf)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < fm->n_paths; i++) {
        if (i)
            buf[o++] = ',';
        if (fm->paths[i] && pbj_camel_name(fm->paths[i], buf + o, total - o))
            o += strlen(buf + o);
    }
    buf[o] = '\0';
    json_t *j = json_string(buf);
    free(buf);
    return j;
}

json_t *pbj_wkt_encode(pbj_ctx *ctx, pbj_wkt kind, const ProtobufCMessage *msg)
{
    char text[40];
    switch (kind) {
    case PBJ_WKT_TIMESTAMP: {
        const Google__Protobuf__Timestamp *t = (const void *)msg;
        /* out of the RFC 3339 range: no text exists, null says "no valid time" */
        return pbj_timestamp_format(t->seconds, t->nanos, text) ? json_string(text) : json_null();
    }
    case PBJ_WKT_DURATION: {
        const Google__Protobuf__Duration *d = (const void *)msg;
        return pbj_duration_format(d->seconds, d->nanos, text) ? json_string(text) : json_null();
    }
    case PBJ_WKT_WRAPPER: {
        const ProtobufCFieldDescriptor *fd = &msg->descriptor->fields[0];
        return pbj_encode_scalar(ctx, fd, pbj_member(msg, fd->offset));
    }
    case PBJ_WKT_STRUCT:
        return encode_struct(ctx, (const void *)msg);
    case PBJ_WKT_VALUE:
        return encode_value(ctx, (const void *)msg);
    case PBJ_WKT_LIST_VALUE:
        return encode_list(ctx, (const void *)msg);
    case PBJ_WKT_FIELD_MASK:
        return encode_field_mask((const void *)msg);
    case PBJ_WKT_ANY: {
        const Google__Protobuf__Any *a = (const void *)msg;
        json_t *obj = json_object();
        const ProtobufCFieldDescriptor *vfd = protobuf_c_message_descriptor_get_field(msg->descriptor, 2);
        if (obj && (json_object_set_new(obj, "@type", json_string(a->type_url ? a->type_url : "")) < 0 ||
                    json_object_set_new(obj, "value", pbj_encode_scalar(ctx, vfd, &a->value)) < 0)) {
            json_decref(obj);
            return NULL;
        }
        return obj;
    }
    case PBJ_WKT_NONE:
        break;
    }
    return NULL;
}

/* ---- input ---- */

static int decode_time(pbj_ctx *ctx, bool timestamp, ProtobufCMessage *msg, const json_t *j)
{
    int64_t s;
    int32_t n;
    if (!json_is_string(j))
        return pbj_fail(ctx, "expected a %s string, got a non-string",
                        timestamp ? "RFC 3339 timestamp" : "duration");
    const char *text = json_string_value(j);
    bool ok = timestamp ? pbj_timestamp_parse(text, &s, &n) : pbj_duration_parse(text, &s, &n);
    if (!ok)
        return pbj_fail(ctx, timestamp ? "expected an RFC 3339 timestamp like "
                                         "\"1972-01-01T10:00:20.021Z\" (years 0001-9999)"
                                       : "expected a duration like \"1.5s\" or \"-3s\"");
    if (timestamp) {
        ((Google__Protobuf__Timestamp *)msg)->seconds = s;
        ((Google__Protobuf__Timestamp *)msg)->nanos = n;
    } else {
        ((Google__Protobuf__Duration *)msg)->seconds = s;
        ((Google__Protobuf__Duration *)msg)->nanos = n;
    }
    return 0;
}

static int decode_struct(pbj_ctx *ctx, Google__Protobuf__Struct *s, const json_t *j)
{
    if (!json_is_object(j))
        return pbj_fail(ctx, "expected an object, got a non-object");
    const ProtobufCFieldDescriptor *fd = &s->base.descriptor->fields[0];
    pbj_clear_field(ctx, &s->base, fd);
    /* the map decoder does exactly this: Struct is map<string, Value> */
    return pbj_decode_field(ctx, &s->base, fd, j);
}

static int decode_value(pbj_ctx *ctx, Google__Protobuf__Value *v, const json_t *j)
{
    const ProtobufCMessageDescriptor *d = v->base.descriptor;
    if (v->kind_case) /* merging onto a set Value: release what its member owns */
        pbj_clear_field(ctx, &v->base, protobuf_c_message_descriptor_get_field(d, v->kind_case));
    switch (json_typeof(j)) {
    case JSON_NULL:
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
        v->null_value = GOOGLE__PROTOBUF__NULL_VALUE__NULL_VALUE;
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
        v->bool_value = json_is_true(j);
        return 0;
    case JSON_INTEGER:
    case JSON_REAL:
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
        v->number_value = json_number_value(j);
        return 0;
    case JSON_STRING:
        return pbj_decode_field(ctx, &v->base, protobuf_c_message_descriptor_get_field_by_name(d, "string_value"), j);
    case JSON_OBJECT:
        return pbj_decode_field(ctx, &v->base, protobuf_c_message_descriptor_get_field_by_name(d, "struct_value"), j);
    case JSON_ARRAY:
        return pbj_decode_field(ctx, &v->base, protobuf_c_message_descriptor_get_field_by_name(d, "list_value"), j);
    }
    return pbj_fail(ctx, "unsupported JSON value");
}

static int decode_list(pbj_ctx *ctx, Google__Protobuf__ListValue *l, const json_t *j)
{
    if (!json_is_array(j))
        return pbj_fail(ctx, "expected an array, got a non-array");
    return pbj_decode_field(ctx, &l->base, &l->base.descriptor->fields[0], j);
}

/* "a.b,fooBar" → ["a.b", "foo_bar"]; snake_case paths are accepted as they are. */
static int decode_field_mask(pbj_ctx *ctx, Google__Protobuf__FieldMask *fm, const json_t *j)
{
    if (!json_is_string(j))
        return pbj_fail(ctx, "expected a field mask string like \"a.b,c\"");
    const ProtobufCFieldDescriptor *fd = &fm->base.descriptor->fields[0];
    pbj_clear_field(ctx, &fm->base, fd);
    const char *s = json_string_value(j);
    while (*s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s), o = 0;
        char *snake = pbj_alloc(ctx, len * 2 + 1);
        if (!snake)
            return -1;
        for (size_t i = 0; i < len; i++) {
            char c = s[i];
            if (c >= 'A' && c <= 'Z') {
                snake[o++] = '_';
                c = (char)(c - 'A' + 'a');
            }
            snake[o++] = c;
        }
        snake[o] = '\0';
        json_t *p = json_string(snake);
        pbj_free(ctx, snake);
        int rc = p ? pbj_append_element(ctx, &fm->base, fd, p) : pbj_fail(ctx, "invalid field mask");
        json_decref(p);
        if (rc < 0)
            return -1;
        if (!end)
            break;
        s = end + 1;
    }
    return 0;
}

int pbj_wkt_decode(pbj_ctx *ctx, pbj_wkt kind, ProtobufCMessage *msg, const json_t *j)
{
    switch (kind) {
    case PBJ_WKT_TIMESTAMP:
    case PBJ_WKT_DURATION:
        return decode_time(ctx, kind == PBJ_WKT_TIMESTAMP, msg, j);
    case PBJ_WKT_WRAPPER: {
        const ProtobufCFieldDescriptor *fd = &msg->descriptor->fields[0];
        pbj_clear_field(ctx, msg, fd);
        return pbj_decode_scalar(ctx, fd, j, pbj_member(msg, fd->offset));
    }
    case PBJ_WKT_STRUCT:
        return decode_struct(ctx, (void *)msg, j);
    case PBJ_WKT_VALUE:
        return decode_value(ctx, (void *)msg, j);
    case PBJ_WKT_LIST_VALUE:
        return decode_list(ctx, (void *)msg, j);
    case PBJ_WKT_FIELD_MASK:
        return decode_field_mask(ctx, (void *)msg, j);
    case PBJ_WKT_ANY:
        return pbj_fail(ctx, "Any is not supported");
    case PBJ_WKT_NONE:
        break;
    }
    return pbj_fail(ctx, "unsupported well-known type");
}
