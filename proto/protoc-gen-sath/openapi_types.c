/*
 * openapi_types.c - proto types as OpenAPI schemas (see openapi_types.h).
 *
 * Invariant of a schema set: every key of `schemas` is either described (an object)
 * or still null with its full name queued in `pending`; oa_schemas_flush runs the
 * queue until every reachable type is described.
 */
#include "openapi_types.h"

#include <stdlib.h>
#include <string.h>

#include "comments.h"
#include "strbuf.h"

#define FIELD(x) GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_##x
#define REPEATED GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED

/* FileDescriptorProto / DescriptorProto / EnumDescriptorProto field numbers. */
enum { P_FILE_MESSAGE = 4, P_FILE_ENUM = 5, P_MSG_FIELD = 2, P_MSG_NESTED = 3, P_MSG_ENUM = 4,
       P_ENUM_VALUE = 2 };

static bool name_is(const char *name, const char *p, size_t len)
{
    return strlen(name) == len && strncmp(name, p, len) == 0;
}

/* Walks `rel` ("Outer.Inner") through the messages of `f`, filling `out`. */
static bool find_in_file(const Google__Protobuf__FileDescriptorProto *f, const char *rel,
                         oa_type *out)
{
    size_t n_msg = f->n_message_type, n_enum = f->n_enum_type;
    Google__Protobuf__DescriptorProto **msgs = f->message_type;
    Google__Protobuf__EnumDescriptorProto **enums = f->enum_type;
    int32_t msg_tag = P_FILE_MESSAGE, enum_tag = P_FILE_ENUM;
    out->n_path = 0;
    for (const char *p = rel;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (out->n_path + 2 > OA_MAX_PATH)
            return false;
        const Google__Protobuf__DescriptorProto *hit = NULL;
        for (size_t i = 0; i < n_msg && hit == NULL; i++)
            if (name_is(msgs[i]->name, p, len)) {
                hit = msgs[i];
                out->path[out->n_path++] = msg_tag;
                out->path[out->n_path++] = (int32_t)i;
            }
        if (dot == NULL && hit == NULL) {
            for (size_t i = 0; i < n_enum; i++)
                if (name_is(enums[i]->name, p, len)) {
                    out->enm = enums[i];
                    out->path[out->n_path++] = enum_tag;
                    out->path[out->n_path++] = (int32_t)i;
                    return true;
                }
            return false;
        }
        if (hit == NULL)
            return false;
        if (dot == NULL) {
            out->msg = hit;
            return true;
        }
        n_msg = hit->n_nested_type;
        msgs = hit->nested_type;
        n_enum = hit->n_enum_type;
        enums = hit->enum_type;
        msg_tag = P_MSG_NESTED;
        enum_tag = P_MSG_ENUM;
        p = dot + 1;
    }
}

bool oa_type_find(const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                  const char *full_name, oa_type *out)
{
    memset(out, 0, sizeof *out);
    if (full_name == NULL || full_name[0] != '.')
        return false;
    for (size_t i = 0; i < req->n_proto_file; i++) {
        const Google__Protobuf__FileDescriptorProto *f = req->proto_file[i];
        const char *pkg = f->package ? f->package : "";
        size_t plen = strlen(pkg);
        const char *rel = full_name + 1;
        if (plen > 0) {
            if (strncmp(rel, pkg, plen) != 0 || rel[plen] != '.')
                continue;
            rel += plen + 1;
        }
        memset(out, 0, sizeof *out);
        if (find_in_file(f, rel, out)) {
            out->file = f;
            out->full_name = full_name;
            return true;
        }
    }
    memset(out, 0, sizeof *out);
    return false;
}

const Google__Protobuf__FieldDescriptorProto *
oa_field_find(const Google__Protobuf__DescriptorProto *msg, const char *name, size_t *index)
{
    for (size_t i = 0; i < msg->n_field; i++)
        if (strcmp(msg->field[i]->name, name) == 0) {
            if (index != NULL)
                *index = i;
            return msg->field[i];
        }
    return NULL;
}

char *oa_clean_comment(const char *comment)
{
    if (comment == NULL)
        return NULL;
    strbuf sb = STRBUF_INIT;
    const char *p = comment;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *line = p;
        if (len > 0 && line[0] == ' ') {
            line++;
            len--;
        }
        while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\r'))
            len--;
        if (sb.len > 0 || len > 0) {
            if (sb.len > 0)
                strbuf_append(&sb, "\n");
            strbuf_append_len(&sb, line, len);
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    while (sb.len > 0 && sb.data[sb.len - 1] == '\n')
        sb.data[--sb.len] = '\0';
    if (sb.len == 0) {
        strbuf_release(&sb);
        return NULL;
    }
    return strbuf_detach(&sb);
}

static char *comment_at(const oa_type *t, int32_t tag, size_t index)
{
    int32_t path[OA_MAX_PATH + 2];
    memcpy(path, t->path, t->n_path * sizeof *path);
    size_t n = t->n_path;
    if (tag >= 0) {
        path[n++] = tag;
        path[n++] = (int32_t)index;
    }
    return oa_clean_comment(comments_leading(t->file, path, n));
}

char *oa_field_comment(const oa_type *t, size_t index)
{
    return comment_at(t, P_MSG_FIELD, index);
}

char *oa_type_comment(const oa_type *t)
{
    return comment_at(t, -1, 0);
}

void oa_schemas_init(oa_schemas *s, const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                     const char *package)
{
    s->req = req;
    s->package = package;
    s->schemas = json_object();
    s->pending = json_array();
    s->failed = s->schemas == NULL || s->pending == NULL;
}

void oa_schemas_release(oa_schemas *s)
{
    json_decref(s->schemas);
    json_decref(s->pending);
    s->schemas = s->pending = NULL;
}

/* Well-known types and their JSON forms, as JSON text parsed on use. */
static const struct {
    const char *name;
    const char *schema;
} WELL_KNOWN[] = {
    { ".google.protobuf.Timestamp", "{\"type\":\"string\",\"format\":\"date-time\"}" },
    { ".google.protobuf.Duration",
      "{\"type\":\"string\",\"pattern\":\"^-?[0-9]+(\\\\.[0-9]{1,9})?s$\",\"example\":\"1.5s\"}" },
    { ".google.protobuf.FieldMask", "{\"type\":\"string\",\"example\":\"name,email\"}" },
    { ".google.protobuf.Empty", "{\"type\":\"object\"}" },
    { ".google.protobuf.Struct", "{\"type\":\"object\",\"additionalProperties\":true}" },
    { ".google.protobuf.Value", "{}" },
    { ".google.protobuf.ListValue", "{\"type\":\"array\",\"items\":{}}" },
    { ".google.protobuf.Any", "{\"type\":\"object\",\"properties\":{\"@type\":{\"type\":\"string\"}},"
                              "\"additionalProperties\":true}" },
    { ".google.protobuf.DoubleValue", "{\"type\":\"number\",\"format\":\"double\",\"nullable\":true}" },
    { ".google.protobuf.FloatValue", "{\"type\":\"number\",\"format\":\"float\",\"nullable\":true}" },
    { ".google.protobuf.Int64Value", "{\"type\":\"string\",\"format\":\"int64\",\"nullable\":true}" },
    { ".google.protobuf.UInt64Value", "{\"type\":\"string\",\"format\":\"uint64\",\"nullable\":true}" },
    { ".google.protobuf.Int32Value", "{\"type\":\"integer\",\"format\":\"int32\",\"nullable\":true}" },
    { ".google.protobuf.UInt32Value",
      "{\"type\":\"integer\",\"format\":\"int64\",\"minimum\":0,\"maximum\":4294967295,\"nullable\":true}" },
    { ".google.protobuf.BoolValue", "{\"type\":\"boolean\",\"nullable\":true}" },
    { ".google.protobuf.StringValue", "{\"type\":\"string\",\"nullable\":true}" },
    { ".google.protobuf.BytesValue", "{\"type\":\"string\",\"format\":\"byte\",\"nullable\":true}" },
};

static const char *well_known_schema(const char *full_name)
{
    for (size_t i = 0; i < sizeof WELL_KNOWN / sizeof WELL_KNOWN[0]; i++)
        if (strcmp(WELL_KNOWN[i].name, full_name) == 0)
            return WELL_KNOWN[i].schema;
    return NULL;
}

bool oa_is_well_known(const char *full_name)
{
    return full_name != NULL && well_known_schema(full_name) != NULL;
}

static json_t *parse(const char *text)
{
    return json_loads(text, 0, NULL);
}

/* Component name: the package-relative name inside our package, else the full name. */
static char *component_name(const oa_schemas *s, const char *full_name)
{
    const char *n = full_name + 1;
    size_t plen = strlen(s->package);
    if (strncmp(n, s->package, plen) == 0 && n[plen] == '.')
        n += plen + 1;
    return strdup(n);
}

json_t *oa_schema_for_type(oa_schemas *s, const char *full_name, bool is_enum)
{
    const char *wk = is_enum ? NULL : well_known_schema(full_name);
    if (wk != NULL)
        return parse(wk);
    char *name = component_name(s, full_name);
    if (name == NULL)
        return NULL;
    if (json_object_get(s->schemas, name) == NULL) {
        if (json_object_set_new(s->schemas, name, json_null()) != 0 ||
            json_array_append_new(s->pending, json_string(full_name)) != 0)
            s->failed = true;
    }
    strbuf ref = STRBUF_INIT;
    strbuf_printf(&ref, "#/components/schemas/%s", name);
    free(name);
    char *r = strbuf_detach(&ref);
    json_t *out = r ? json_pack("{s:s}", "$ref", r) : NULL;
    free(r);
    return out;
}

/* Schema of a scalar field type; NULL for message/enum/group. */
static json_t *scalar_schema(Google__Protobuf__FieldDescriptorProto__Type t)
{
    switch (t) {
    case FIELD(DOUBLE): return json_pack("{s:s,s:s}", "type", "number", "format", "double");
    case FIELD(FLOAT): return json_pack("{s:s,s:s}", "type", "number", "format", "float");
    case FIELD(INT64): case FIELD(SINT64): case FIELD(SFIXED64):
        return json_pack("{s:s,s:s}", "type", "string", "format", "int64");
    case FIELD(UINT64): case FIELD(FIXED64):
        return json_pack("{s:s,s:s}", "type", "string", "format", "uint64");
    case FIELD(INT32): case FIELD(SINT32): case FIELD(SFIXED32):
        return json_pack("{s:s,s:s}", "type", "integer", "format", "int32");
    case FIELD(UINT32): case FIELD(FIXED32):
        return json_pack("{s:s,s:s,s:i,s:I}", "type", "integer", "format", "int64", "minimum", 0,
                         "maximum", (json_int_t)4294967295);
    case FIELD(BOOL): return json_pack("{s:s}", "type", "boolean");
    case FIELD(STRING): return json_pack("{s:s}", "type", "string");
    case FIELD(BYTES): return json_pack("{s:s,s:s}", "type", "string", "format", "byte");
    default: return NULL;
    }
}

/* Schema of one value of `f` (no repetition). */
static json_t *value_schema(oa_schemas *s, const Google__Protobuf__FieldDescriptorProto *f)
{
    if (f->type == FIELD(MESSAGE) || f->type == FIELD(ENUM))
        return oa_schema_for_type(s, f->type_name, f->type == FIELD(ENUM));
    json_t *out = scalar_schema(f->type);
    if (out == NULL)
        s->failed = true; /* groups: not part of proto3 */
    return out;
}

/* The map entry message of `f`, or NULL when `f` is not a map field. */
static const Google__Protobuf__DescriptorProto *map_entry(oa_schemas *s,
                                                          const Google__Protobuf__FieldDescriptorProto *f)
{
    oa_type t;
    if (f->label != REPEATED || f->type != FIELD(MESSAGE) || !oa_type_find(s->req, f->type_name, &t))
        return NULL;
    const Google__Protobuf__MessageOptions *o = t.msg->options;
    return (o != NULL && o->has_map_entry && o->map_entry && t.msg->n_field == 2) ? t.msg : NULL;
}

json_t *oa_schema_for_field_type(oa_schemas *s, const Google__Protobuf__FieldDescriptorProto *f)
{
    const Google__Protobuf__DescriptorProto *entry = map_entry(s, f);
    if (entry != NULL) {
        const Google__Protobuf__FieldDescriptorProto *v = oa_field_find(entry, "value", NULL);
        json_t *vs = v ? value_schema(s, v) : NULL;
        return vs ? json_pack("{s:s,s:o}", "type", "object", "additionalProperties", vs) : NULL;
    }
    json_t *item = value_schema(s, f);
    if (item == NULL || f->label != REPEATED)
        return item;
    return json_pack("{s:s,s:o}", "type", "array", "items", item);
}

/* Adds `description` to `schema` (consumed); a bare $ref is wrapped in allOf because
 * OpenAPI 3.0 ignores the siblings of $ref. */
static json_t *describe(json_t *schema, const char *description)
{
    if (schema == NULL || description == NULL)
        return schema;
    if (json_object_get(schema, "$ref") != NULL)
        return json_pack("{s:s,s:[o]}", "description", description, "allOf", schema);
    json_object_set_new(schema, "description", json_string(description));
    return schema;
}

json_t *oa_schema_for_field(oa_schemas *s, const oa_type *owner, size_t index)
{
    json_t *schema = oa_schema_for_field_type(s, owner->msg->field[index]);
    char *doc = oa_field_comment(owner, index);
    schema = describe(schema, doc);
    free(doc);
    return schema;
}

static bool skipped(const char *name, const char *const *skip, size_t n_skip)
{
    for (size_t i = 0; i < n_skip; i++)
        if (strcmp(skip[i], name) == 0)
            return true;
    return false;
}

json_t *oa_schema_object(oa_schemas *s, const oa_type *t, const char *const *skip, size_t n_skip)
{
    json_t *props = json_object();
    json_t *out = json_pack("{s:s}", "type", "object");
    if (props == NULL || out == NULL) {
        json_decref(props);
        json_decref(out);
        return NULL;
    }
    for (size_t i = 0; i < t->msg->n_field; i++) {
        if (skipped(t->msg->field[i]->name, skip, n_skip))
            continue;
        json_t *fs = oa_schema_for_field(s, t, i);
        if (fs == NULL || json_object_set_new(props, t->msg->field[i]->name, fs) != 0)
            s->failed = true;
    }
    json_object_set_new(out, "properties", props);
    return out;
}

static json_t *enum_schema(const oa_type *t)
{
    json_t *names = json_array();
    strbuf doc = STRBUF_INIT;
    char *head = oa_type_comment(t);
    if (head != NULL)
        strbuf_printf(&doc, "%s\n\n", head);
    free(head);
    for (size_t i = 0; names != NULL && i < t->enm->n_value; i++) {
        const char *vn = t->enm->value[i]->name;
        json_array_append_new(names, json_string(vn));
        int32_t path[OA_MAX_PATH + 2];
        memcpy(path, t->path, t->n_path * sizeof *path);
        path[t->n_path] = P_ENUM_VALUE;
        path[t->n_path + 1] = (int32_t)i;
        char *vdoc = oa_clean_comment(comments_leading(t->file, path, t->n_path + 2));
        strbuf_printf(&doc, "- `%s`%s%s\n", vn, vdoc ? ": " : "", vdoc ? vdoc : "");
        free(vdoc);
    }
    while (doc.len > 0 && doc.data[doc.len - 1] == '\n')
        doc.data[--doc.len] = '\0';
    char *d = strbuf_detach(&doc);
    json_t *out = (names && d) ? json_pack("{s:s,s:o,s:s}", "type", "string", "enum", names,
                                           "description", d)
                               : NULL;
    if (out == NULL)
        json_decref(names);
    free(d);
    return out;
}

static json_t *describe_type(oa_schemas *s, const char *full_name)
{
    oa_type t;
    if (!oa_type_find(s->req, full_name, &t))
        return NULL;
    if (t.enm != NULL)
        return enum_schema(&t);
    /* description first: it reads better in the generated file */
    char *doc = oa_type_comment(&t);
    json_t *out = doc ? json_pack("{s:s}", "description", doc) : json_object();
    free(doc);
    json_t *obj = oa_schema_object(s, &t, NULL, 0);
    if (out == NULL || obj == NULL || json_object_update(out, obj) != 0) {
        json_decref(out);
        out = NULL;
    }
    json_decref(obj);
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of `obj` with its keys in byte order (the value references are shared). */
static json_t *sorted_object(json_t *obj)
{
    size_t n = json_object_size(obj), i = 0;
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    json_t *out = json_object();
    const char *k;
    json_t *v;
    if (keys == NULL || out == NULL) {
        free(keys);
        json_decref(out);
        return NULL;
    }
    json_object_foreach(obj, k, v)
        keys[i++] = k;
    qsort(keys, n, sizeof *keys, cmp_str);
    for (i = 0; i < n; i++)
        json_object_set(out, keys[i], json_object_get(obj, keys[i]));
    free(keys);
    return out;
}

json_t *oa_schemas_flush(oa_schemas *s)
{
    for (size_t i = 0; !s->failed && i < json_array_size(s->pending); i++) {
        const char *full = json_string_value(json_array_get(s->pending, i));
        char *name = component_name(s, full);
        json_t *schema = name ? describe_type(s, full) : NULL;
        if (schema == NULL || json_object_set_new(s->schemas, name, schema) != 0)
            s->failed = true;
        free(name);
    }
    return s->failed ? NULL : sorted_object(s->schemas);
}
