/*
 * openapi_html.c - the HTML reference page (see openapi_html.h).
 *
 * Every text taken from the document is HTML-escaped; the page links nothing
 * outside itself except /openapi.json.
 */
#include "openapi_html.h"

#include <string.h>

#include "strbuf.h"

static void esc(strbuf *sb, const char *s)
{
    for (; s != NULL && *s; s++)
        switch (*s) {
        case '<': strbuf_append(sb, "&lt;"); break;
        case '>': strbuf_append(sb, "&gt;"); break;
        case '&': strbuf_append(sb, "&amp;"); break;
        case '"': strbuf_append(sb, "&quot;"); break;
        default: strbuf_append_len(sb, s, 1);
        }
}

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* A short type label of a schema: "string (int64)", "array of Plan", "→ BotConfig". */
static void type_label(strbuf *sb, const json_t *schema)
{
    const char *ref = str(schema, "$ref");
    const json_t *all = json_object_get(schema, "allOf");
    if (ref == NULL && json_array_size(all) == 1)
        ref = str(json_array_get(all, 0), "$ref");
    if (ref != NULL) {
        const char *name = strrchr(ref, '/') ? strrchr(ref, '/') + 1 : ref;
        strbuf_append(sb, "<a href=\"#schema-");
        esc(sb, name);
        strbuf_append(sb, "\">");
        esc(sb, name);
        strbuf_append(sb, "</a>");
        return;
    }
    const char *type = str(schema, "type");
    if (type != NULL && strcmp(type, "array") == 0) {
        strbuf_append(sb, "array of ");
        type_label(sb, json_object_get(schema, "items"));
        return;
    }
    if (type != NULL && strcmp(type, "object") == 0 && json_is_object(json_object_get(schema, "additionalProperties"))) {
        strbuf_append(sb, "map of ");
        type_label(sb, json_object_get(schema, "additionalProperties"));
        return;
    }
    esc(sb, type ? type : "any");
    if (str(schema, "format") != NULL) {
        strbuf_append(sb, " (");
        esc(sb, str(schema, "format"));
        strbuf_append(sb, ")");
    }
    if (json_is_true(json_object_get(schema, "nullable")))
        strbuf_append(sb, ", nullable");
}

static void para(strbuf *sb, const char *text)
{
    if (text == NULL)
        return;
    strbuf_append(sb, "<p class=\"doc\">");
    esc(sb, text);
    strbuf_append(sb, "</p>\n");
}

static void parameters(strbuf *sb, const json_t *params, const json_t *body)
{
    if (json_array_size(params) == 0 && body == NULL)
        return;
    strbuf_append(sb, "<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr>\n");
    size_t i;
    const json_t *p;
    json_array_foreach(params, i, p) {
        strbuf_append(sb, "<tr><td><code>");
        esc(sb, str(p, "name"));
        strbuf_append(sb, "</code></td><td>");
        esc(sb, str(p, "in"));
        strbuf_append(sb, "</td><td>");
        type_label(sb, json_object_get(p, "schema"));
        strbuf_append(sb, "</td><td>");
        esc(sb, str(p, "description"));
        strbuf_append(sb, "</td></tr>\n");
    }
    if (body != NULL) {
        const json_t *schema =
            json_object_get(json_object_get(json_object_get(body, "content"), "application/json"),
                            "schema");
        strbuf_append(sb, "<tr><td><em>body</em></td><td>body</td><td>");
        if (json_object_get(schema, "properties") != NULL)
            strbuf_append(sb, "object (the request fields not in the path)");
        else
            type_label(sb, schema);
        strbuf_append(sb, "</td><td>JSON</td></tr>\n");
    }
    strbuf_append(sb, "</table>\n");
}

static void responses(strbuf *sb, const json_t *resp)
{
    const char *code;
    const json_t *r;
    strbuf_append(sb, "<p class=\"responses\">Responses: ");
    json_object_foreach((json_t *)resp, code, r) {
        const json_t *schema = json_object_get(
            json_object_get(json_object_get(r, "content"), "application/json"), "schema");
        strbuf_append(sb, "<span class=\"code\">");
        esc(sb, code);
        if (schema != NULL && str(r, "$ref") == NULL && code[0] == '2') {
            strbuf_append(sb, " ");
            type_label(sb, schema);
        }
        strbuf_append(sb, "</span> ");
    }
    strbuf_append(sb, "</p>\n");
}

static void operations(strbuf *sb, const json_t *paths)
{
    const char *path, *verb;
    const json_t *item, *op;
    json_object_foreach((json_t *)paths, path, item) {
        json_object_foreach((json_t *)item, verb, op) {
            strbuf_append(sb, "<section class=\"op\" id=\"op-");
            esc(sb, str(op, "operationId"));
            strbuf_append(sb, "\"><h3><span class=\"verb\">");
            for (const char *v = verb; *v; v++)
                strbuf_append_len(sb, (const char[]){ (char)(*v >= 'a' && *v <= 'z' ? *v - 32 : *v) }, 1);
            strbuf_append(sb, "</span> <code>");
            esc(sb, path);
            strbuf_append(sb, "</code> <small>");
            esc(sb, str(op, "operationId"));
            strbuf_append(sb, json_array_size(json_object_get(op, "security")) ? " · bearer token"
                                                                                : " · public");
            strbuf_append(sb, "</small></h3>\n");
            para(sb, str(op, "description"));
            parameters(sb, json_object_get(op, "parameters"), json_object_get(op, "requestBody"));
            responses(sb, json_object_get(op, "responses"));
            strbuf_append(sb, "</section>\n");
        }
    }
}

static void schemas(strbuf *sb, const json_t *all)
{
    const char *name, *prop;
    const json_t *schema, *ps;
    json_object_foreach((json_t *)all, name, schema) {
        strbuf_append(sb, "<section class=\"schema\" id=\"schema-");
        esc(sb, name);
        strbuf_append(sb, "\"><h3>");
        esc(sb, name);
        strbuf_append(sb, "</h3>\n");
        para(sb, str(schema, "description"));
        const json_t *props = json_object_get(schema, "properties");
        if (json_object_size(props) > 0) {
            strbuf_append(sb, "<table><tr><th>Field</th><th>Type</th><th>Description</th></tr>\n");
            json_object_foreach((json_t *)props, prop, ps) {
                strbuf_append(sb, "<tr><td><code>");
                esc(sb, prop);
                strbuf_append(sb, "</code></td><td>");
                type_label(sb, ps);
                strbuf_append(sb, "</td><td>");
                esc(sb, str(ps, "description"));
                strbuf_append(sb, "</td></tr>\n");
            }
            strbuf_append(sb, "</table>\n");
        }
        strbuf_append(sb, "</section>\n");
    }
}

static const char STYLE[] =
    "body{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}"
    "code{background:#f3f3f3;padding:0 .2em}table{border-collapse:collapse;width:100%}"
    "td,th{border:1px solid #ddd;padding:.3em;text-align:left;vertical-align:top}"
    ".verb{font-weight:bold;color:#0a5}.doc{white-space:pre-line}.code{margin-right:.6em}"
    "section{border-top:1px solid #ccc;margin-top:1em}";

char *openapi_html_render(const json_t *doc)
{
    strbuf sb = STRBUF_INIT;
    const json_t *info = json_object_get(doc, "info");
    strbuf_append(&sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>");
    esc(&sb, str(info, "title"));
    strbuf_printf(&sb, " reference</title>\n<style>%s</style></head>\n<body>\n<h1>", STYLE);
    esc(&sb, str(info, "title"));
    strbuf_append(&sb, " <small>");
    esc(&sb, str(info, "version"));
    strbuf_append(&sb, "</small></h1>\n");
    para(&sb, str(info, "description"));
    strbuf_append(&sb, "<p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a>. "
                       "Authenticated calls send <code>Authorization: Bearer &lt;access_token&gt;</code>; "
                       "errors are <a href=\"#schema-Status\">Status</a> objects.</p>\n");
    size_t i;
    const json_t *tag;
    json_array_foreach(json_object_get(doc, "tags"), i, tag) {
        strbuf_append(&sb, "<h2>");
        esc(&sb, str(tag, "name"));
        strbuf_append(&sb, "</h2>\n");
        para(&sb, str(tag, "description"));
        json_t *subset = json_object();
        const char *path;
        json_t *item;
        json_object_foreach(json_object_get(doc, "paths"), path, item) {
            const char *verb;
            json_t *op;
            json_object_foreach(item, verb, op) {
                if (strcmp(json_string_value(json_array_get(json_object_get(op, "tags"), 0)),
                           str(tag, "name")) != 0)
                    continue;
                json_t *one = json_object_get(subset, path);
                if (one == NULL) {
                    one = json_object();
                    json_object_set_new(subset, path, one);
                }
                json_object_set(one, verb, op);
            }
        }
        operations(&sb, subset);
        json_decref(subset);
    }
    strbuf_append(&sb, "<h2>Schemas</h2>\n");
    schemas(&sb, json_object_get(json_object_get(doc, "components"), "schemas"));
    strbuf_append(&sb, "</body></html>\n");
    return strbuf_detach(&sb);
}
