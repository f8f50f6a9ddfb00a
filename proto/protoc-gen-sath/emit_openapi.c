/*
 * emit_openapi.c - once per package: the OpenAPI 3.0.3 description of the REST
 * surface, as
 *   openapi.json                  the document (served at /openapi.json, validated in tests)
 *   api-reference.html            a plain HTML rendering (the /docs fallback without npm)
 *   <dir>/openapi.sath.{h,c}      the document embedded as <prefix>_openapi_json[_len]
 *
 * The document follows what the gateway does: the google.api.http rules, the proto3
 * JSON mapping, (sath.v1.http_success_code), (sath.v1.public_method) and the
 * google.rpc.Status error body.  Output is deterministic: paths and operations in
 * proto order, component schemas sorted by name.
 *
 * Plugin parameter: "openapi_version=X" (inside a comma list) sets info.version;
 * default 1.0.0.
 */
#include "emit.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "openapi_doc.h"
#include "openapi_html.h"

static char *version_param(const char *param)
{
    static const char KEY[] = "openapi_version=";
    const char *p = param ? strstr(param, KEY) : NULL;
    if (p == NULL || (p != param && p[-1] != ','))
        return strdup("1.0.0");
    p += sizeof KEY - 1;
    size_t n = strcspn(p, ",");
    return n ? strndup(p, n) : strdup("1.0.0");
}

static int emit_embed_header(const gen_model *m, output *out, char **err)
{
    strbuf sb = STRBUF_INIT;
    char *pkg = emit_path("the protos of package ", m->package);
    emit_banner(&sb, "The OpenAPI 3.0 document of the REST gateway, embedded.", pkg ? pkg : "");
    free(pkg);
    strbuf_printf(&sb, "#ifndef %s_OPENAPI_SATH_H\n#define %s_OPENAPI_SATH_H\n\n",
                  m->upper_prefix, m->upper_prefix);
    strbuf_append(&sb, "#include <stddef.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    strbuf_append(&sb, "/* openapi.json as UTF-8 text, NUL-terminated; the length excludes the NUL. */\n");
    strbuf_printf(&sb, "extern const char %s_openapi_json[];\n", m->prefix);
    strbuf_printf(&sb, "extern const size_t %s_openapi_json_len;\n", m->prefix);
    strbuf_append(&sb, "\n#ifdef __cplusplus\n}\n#endif\n");
    strbuf_printf(&sb, "#endif /* %s_OPENAPI_SATH_H */\n", m->upper_prefix);
    char *name = emit_path(m->dir, "/openapi.sath.h");
    int rc = emit_finish(out, name, &sb, err);
    free(name);
    return rc;
}

/* A byte array rather than a string literal: the document is far longer than the
 * 4095 characters C11 promises for literals (-Woverlength-strings). */
static int emit_embed_source(const gen_model *m, const char *json, output *out, char **err)
{
    strbuf sb = STRBUF_INIT;
    char *pkg = emit_path("the protos of package ", m->package);
    emit_banner(&sb, "The OpenAPI 3.0 document of the REST gateway, embedded.", pkg ? pkg : "");
    free(pkg);
    strbuf_printf(&sb, "#include \"%s/openapi.sath.h\"\n\n", m->dir);
    size_t len = strlen(json);
    strbuf_printf(&sb, "const char %s_openapi_json[%zu] = {", m->prefix, len + 1);
    for (size_t i = 0; i <= len; i++)
        strbuf_printf(&sb, "%s0x%02x,", (i % 16 == 0) ? "\n    " : " ",
                      (unsigned)(unsigned char)json[i]);
    strbuf_append(&sb, "\n};\n");
    strbuf_printf(&sb, "const size_t %s_openapi_json_len = %zu;\n", m->prefix, len);
    char *name = emit_path(m->dir, "/openapi.sath.c");
    int rc = emit_finish(out, name, &sb, err);
    free(name);
    return rc;
}

static int emit_text(output *out, const char *name, const char *text, char **err)
{
    strbuf sb = STRBUF_INIT;
    strbuf_append(&sb, text);
    return emit_finish(out, name, &sb, err);
}

int emit_openapi(const gen_model *m, output *out, char **err)
{
    char *version = version_param(m->req->parameter);
    json_t *doc = version ? openapi_doc_build(m, version, err) : NULL;
    free(version);
    if (doc == NULL) {
        if (*err == NULL)
            *err = strdup("out of memory while generating openapi.json");
        return -1;
    }
    char *json = json_dumps(doc, JSON_INDENT(2));
    char *html = openapi_html_render(doc);
    json_decref(doc);
    strbuf text = STRBUF_INIT;
    if (json != NULL)
        strbuf_printf(&text, "%s\n", json);
    free(json);
    char *full = strbuf_detach(&text);
    int rc = -1;
    if (full != NULL && html != NULL)
        rc = (emit_text(out, "openapi.json", full, err) == 0 &&
              emit_text(out, "api-reference.html", html, err) == 0 &&
              emit_embed_header(m, out, err) == 0 && emit_embed_source(m, full, out, err) == 0)
                 ? 0 : -1;
    else
        *err = strdup("out of memory while generating openapi.json");
    free(full);
    free(html);
    return rc;
}
