/*
 * openapi_params.c - request message -> path, query and body (see openapi_params.h).
 */
#include "openapi_params.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#define FIELD(x) GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_##x
#define REPEATED GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED
/* Nesting depth of dotted query names; deeper (or recursive) messages are left out. */
#define MAX_QUERY_DEPTH 4

void oa_template_release(oa_template *t)
{
    free(t->path);
    for (size_t i = 0; i < t->n_vars; i++)
        free(t->vars[i]);
    memset(t, 0, sizeof *t);
}

int oa_template_parse(const char *tmpl, oa_template *out)
{
    memset(out, 0, sizeof *out);
    strbuf sb = STRBUF_INIT;
    for (const char *p = tmpl; *p;) {
        if (*p != '{') {
            const char *next = strchr(p, '{');
            size_t n = next ? (size_t)(next - p) : strlen(p);
            if (memchr(p, '}', n) != NULL)
                goto fail;
            strbuf_append_len(&sb, p, n);
            p += n;
            continue;
        }
        const char *close = strchr(p, '}');
        if (close == NULL || out->n_vars == OA_MAX_VARS)
            goto fail;
        const char *eq = memchr(p, '=', (size_t)(close - p));
        size_t n = (size_t)((eq ? eq : close) - (p + 1));
        if (n == 0)
            goto fail;
        char *var = strndup(p + 1, n);
        if (var == NULL)
            goto fail;
        out->vars[out->n_vars++] = var;
        strbuf_printf(&sb, "{%s}", var);
        p = close + 1;
    }
    out->path = strbuf_detach(&sb);
    if (out->path == NULL)
        goto fail;
    return 0;
fail:
    strbuf_release(&sb);
    oa_template_release(out);
    return -1;
}

/* Resolves dotted `path` from message `root` to the last field's owner and index. */
static bool resolve(const oa_schemas *s, const oa_type *root, const char *path, oa_type *owner,
                    size_t *index)
{
    *owner = *root;
    char *copy = strdup(path);
    bool ok = copy != NULL;
    char *save = NULL;
    for (char *seg = copy ? strtok_r(copy, ".", &save) : NULL; ok && seg != NULL;) {
        const Google__Protobuf__FieldDescriptorProto *f = oa_field_find(owner->msg, seg, index);
        char *next = strtok_r(NULL, ".", &save);
        if (f == NULL)
            ok = false;
        else if (next != NULL)
            ok = f->type == FIELD(MESSAGE) && f->label != REPEATED &&
                 oa_type_find(s->req, f->type_name, owner) && owner->msg != NULL;
        seg = next;
    }
    free(copy);
    return ok;
}

static bool is_bound(const oa_template *tmpl, const char *name)
{
    for (size_t i = 0; i < tmpl->n_vars; i++)
        if (strcmp(tmpl->vars[i], name) == 0)
            return true;
    return false;
}

json_t *oa_path_params(oa_schemas *s, const oa_type *req, const oa_template *tmpl)
{
    json_t *params = json_array();
    for (size_t i = 0; params != NULL && i < tmpl->n_vars; i++) {
        oa_type owner;
        size_t idx;
        if (!resolve(s, req, tmpl->vars[i], &owner, &idx)) {
            json_decref(params);
            return NULL;
        }
        json_t *schema = oa_schema_for_field_type(s, owner.msg->field[idx]);
        char *doc = oa_field_comment(&owner, idx);
        json_t *p = json_pack("{s:s,s:s,s:b,s:o*}", "name", tmpl->vars[i], "in", "path",
                              "required", 1, "schema", schema);
        if (p != NULL && doc != NULL)
            json_object_set_new(p, "description", json_string(doc));
        free(doc);
        if (p == NULL || json_array_append_new(params, p) != 0)
            s->failed = true;
    }
    return params;
}

/* Whether a value of `f` can be written as one query string value. */
static bool query_scalar(const Google__Protobuf__FieldDescriptorProto *f)
{
    if (f->type == FIELD(GROUP))
        return false;
    if (f->type != FIELD(MESSAGE))
        return true;
    static const char *const OK[] = {
        ".google.protobuf.Timestamp", ".google.protobuf.Duration", ".google.protobuf.FieldMask",
        ".google.protobuf.DoubleValue", ".google.protobuf.FloatValue", ".google.protobuf.Int64Value",
        ".google.protobuf.UInt64Value", ".google.protobuf.Int32Value", ".google.protobuf.UInt32Value",
        ".google.protobuf.BoolValue", ".google.protobuf.StringValue", ".google.protobuf.BytesValue",
    };
    for (size_t i = 0; i < sizeof OK / sizeof OK[0]; i++)
        if (strcmp(f->type_name, OK[i]) == 0)
            return true;
    return false;
}

static void add_query_param(oa_schemas *s, const oa_type *t, size_t i, const char *name,
                            json_t *params)
{
    const Google__Protobuf__FieldDescriptorProto *f = t->msg->field[i];
    json_t *schema = oa_schema_for_field_type(s, f);
    char *doc = oa_field_comment(t, i);
    json_t *p = json_pack("{s:s,s:s,s:b,s:o*}", "name", name, "in", "query", "required", 0,
                          "schema", schema);
    if (p != NULL && doc != NULL)
        json_object_set_new(p, "description", json_string(doc));
    if (p != NULL && f->label == REPEATED) {
        json_object_set_new(p, "style", json_string("form"));
        json_object_set_new(p, "explode", json_true());
    }
    free(doc);
    if (p == NULL || json_array_append_new(params, p) != 0)
        s->failed = true;
}

static void query_fields(oa_schemas *s, const oa_type *t, const char *prefix,
                         const oa_template *tmpl, const char *body, json_t *params, int depth)
{
    for (size_t i = 0; i < t->msg->n_field; i++) {
        const Google__Protobuf__FieldDescriptorProto *f = t->msg->field[i];
        strbuf sb = STRBUF_INIT;
        strbuf_printf(&sb, "%s%s", prefix, f->name);
        char *name = strbuf_detach(&sb);
        if (name == NULL) {
            s->failed = true;
            return;
        }
        oa_type sub;
        if (is_bound(tmpl, name) || (depth == 0 && strcmp(name, body) == 0)) {
            /* bound by the path or carried by the body */
        } else if (query_scalar(f)) {
            add_query_param(s, t, i, name, params);
        } else if (f->label != REPEATED && depth + 1 < MAX_QUERY_DEPTH &&
                   oa_type_find(s->req, f->type_name, &sub) && sub.msg != NULL &&
                   !oa_is_well_known(f->type_name)) {
            strbuf nb = STRBUF_INIT;
            strbuf_printf(&nb, "%s.", name);
            char *nested = strbuf_detach(&nb);
            if (nested == NULL)
                s->failed = true;
            else
                query_fields(s, &sub, nested, tmpl, body, params, depth + 1);
            free(nested);
        }
        free(name);
    }
}

void oa_query_params(oa_schemas *s, const oa_type *req, const oa_template *tmpl,
                     const char *body, json_t *params)
{
    if (strcmp(body, "*") != 0)
        query_fields(s, req, "", tmpl, body, params, 0);
}

bool oa_is_http_body(const char *full_name)
{
    return strcmp(full_name, ".google.api.HttpBody") == 0;
}

json_t *oa_request_body(oa_schemas *s, const oa_type *req, const oa_template *tmpl,
                        const char *body)
{
    json_t *schema = NULL;
    if (*body == '\0')
        return NULL;
    if (oa_is_http_body(req->full_name)) /* raw bytes of any type, as the gateway passes them */
        return json_pack("{s:b,s:{s:{s:{s:s,s:s}}}}", "required", 1, "content", "*/*", "schema",
                         "type", "string", "format", "binary");
    if (strcmp(body, "*") == 0) {
        const char *skip[OA_MAX_VARS];
        size_t n_skip = 0;
        for (size_t i = 0; i < tmpl->n_vars; i++)
            if (strchr(tmpl->vars[i], '.') == NULL)
                skip[n_skip++] = tmpl->vars[i];
        schema = n_skip ? oa_schema_object(s, req, skip, n_skip)
                        : oa_schema_for_type(s, req->full_name, false);
    } else {
        size_t idx;
        const Google__Protobuf__FieldDescriptorProto *f = oa_field_find(req->msg, body, &idx);
        schema = f ? oa_schema_for_field_type(s, f) : NULL;
    }
    if (schema == NULL) {
        s->failed = true;
        return NULL;
    }
    return json_pack("{s:b,s:{s:{s:o}}}", "required", 1, "content", "application/json", "schema",
                     schema);
}
