/*
 * openapi_doc.c - the OpenAPI document: info, tags, paths, operations, shared error
 * responses and the bearer security scheme (see openapi_doc.h).  Schemas of the
 * messages come from openapi_types.c, parameters and bodies from openapi_params.c.
 */
#include "openapi_doc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openapi_params.h"
#include "sathd/status.h"
#include "openapi_types.h"

/* The gRPC statuses (server/status/include/sathd/status.h); the error responses of the
 * document are derived from them, one per HTTP status the gateway answers with. */
typedef struct {
    const char *name;
    int http;
    const char *text;
} status_row;
#define STATUS_ROW_(name, grpc, http, text) { #name, http, text },
static const status_row STATUSES[] = { SATHD_STATUS_MAP(STATUS_ROW_) };
#undef STATUS_ROW_
#define N_STATUSES (sizeof STATUSES / sizeof STATUSES[0])

/* Component name of an error response: the HTTP reason phrase in UpperCamelCase. */
static const char *http_component(int http)
{
    switch (http) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 409: return "Conflict";
    case 429: return "TooManyRequests";
    case 499: return "ClientClosedRequest";
    case 500: return "InternalError";
    case 501: return "NotImplemented";
    case 503: return "Unavailable";
    case 504: return "GatewayTimeout";
    default: return NULL;
    }
}

/* The distinct HTTP error statuses of STATUSES, ascending, into out[]; their count. */
static size_t error_statuses(int out[N_STATUSES])
{
    size_t n = 0;
    for (size_t i = 0; i < N_STATUSES; i++) {
        int h = STATUSES[i].http;
        if (h < 400)
            continue;
        size_t k = 0;
        while (k < n && out[k] < h)
            k++;
        if (k < n && out[k] == h)
            continue;
        memmove(out + k + 1, out + k, (n - k) * sizeof out[0]);
        out[k] = h;
        n++;
    }
    return n;
}

/* "NAME: text; NAME: text." for every gRPC status answered with `http`; caller frees. */
static char *error_description(int http)
{
    size_t cap = 1;
    for (size_t i = 0; i < N_STATUSES; i++)
        if (STATUSES[i].http == http)
            cap += strlen(STATUSES[i].name) + strlen(STATUSES[i].text) + 4;
    char *d = malloc(cap), *p = d;
    if (d == NULL)
        return NULL;
    *p = '\0';
    for (size_t i = 0; i < N_STATUSES; i++)
        if (STATUSES[i].http == http)
            p += sprintf(p, "%s%s: %s", p == d ? "" : "; ", STATUSES[i].name, STATUSES[i].text);
    if (p != d)
        strcpy(p, ".");
    return d;
}

/* The component name of the error response for `http`, into buf. */
static const char *error_name(int http, char *buf, size_t len)
{
    const char *n = http_component(http);
    if (n != NULL)
        return n;
    snprintf(buf, len, "Http%d", http);
    return buf;
}

static char *errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *errorf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return strdup(buf);
}

static json_t *status_schema(void)
{
    return json_pack(
        "{s:s,s:s,s:[s,s],s:{s:{s:s,s:s,s:s},s:{s:s,s:s},s:{s:s,s:{s:s,s:{s:{s:s}},s:b},s:s},"
        "s:{s:s,s:s}}}",
        "type", "object", "description",
        "The error body of every failed call: google.rpc.Status in the proto3 JSON mapping, plus "
        "`detail`, the same text as `message`, for clients of the earlier FastAPI platform.",
        "required", "code", "message", "properties",
        "code", "type", "integer", "format", "int32", "description", "The google.rpc.Code value.",
        "message", "type", "string", "description", "Developer-facing error message in English.",
        "details", "type", "array", "items", "type", "object", "properties", "@type", "type", "string",
        "additionalProperties", 1, "description", "Error details (google.protobuf.Any objects).",
        "detail", "type", "string", "description", "Same as message (FastAPI compatibility).");
}

static json_t *error_response(const char *description, int http)
{
    json_t *r = json_pack("{s:s,s:{s:{s:{s:s}}}}", "description", description, "content",
                          "application/json", "schema", "$ref", "#/components/schemas/Status");
    if (r != NULL && http == 401)
        json_object_set_new(r, "headers",
            json_pack("{s:{s:s,s:{s:s}}}", "WWW-Authenticate", "description",
                      "`Bearer` (RFC 6750).", "schema", "type", "string"));
    if (r != NULL && http == 429)
        json_object_set_new(r, "headers",
            json_pack("{s:{s:s,s:{s:s}}}", "Retry-After", "description",
                      "Seconds to wait before retrying.", "schema", "type", "integer"));
    return r;
}

static json_t *error_responses(void)
{
    int https[N_STATUSES];
    size_t n = error_statuses(https);
    json_t *out = json_object();
    for (size_t i = 0; out != NULL && i <= n; i++) {
        char buf[16];
        char *d = i < n ? error_description(https[i]) : strdup("Any other error, as a google.rpc.Status.");
        const char *name = i < n ? error_name(https[i], buf, sizeof buf) : "Error";
        json_t *r = d ? error_response(d, i < n ? https[i] : 0) : NULL;
        free(d);
        if (r == NULL || json_object_set_new(out, name, r) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* 1 when the comment names a gRPC status answered with `http`. */
static bool comment_names(const char *c, int http)
{
    for (size_t i = 0; i < N_STATUSES; i++)
        if (STATUSES[i].http == http && strstr(c, STATUSES[i].name) != NULL)
            return true;
    return false;
}

/* Which error responses an operation lists: the ones its contract implies (every call
 * can be malformed, throttled, cancelled, time out or meet a failing backend), plus
 * those its comment names by gRPC code. */
static json_t *operation_errors(const gen_method *gm, const oa_template *tmpl)
{
    const char *c = gm->comment ? gm->comment : "";
    int https[N_STATUSES];
    size_t n = error_statuses(https);
    json_t *out = json_object();
    for (size_t i = 0; out != NULL && i <= n; i++) {
        char buf[16], ref[96], code[16];
        if (i == n) {
            json_object_set_new(out, "default", json_pack("{s:s}", "$ref", "#/components/responses/Error"));
            break;
        }
        int h = https[i];
        bool want = comment_names(c, h);
        switch (h) {
        case 401: case 403: want = want || !gm->opt.is_public; break;
        case 404: want = want || tmpl->n_vars > 0; break;
        case 409: want = want || gm->opt.success_code == 201; break;
        default: want = true; break;
        }
        if (!want)
            continue;
        snprintf(ref, sizeof ref, "#/components/responses/%s", error_name(h, buf, sizeof buf));
        snprintf(code, sizeof code, "%d", h);
        json_object_set_new(out, code, json_pack("{s:s}", "$ref", ref));
    }
    return out;
}

static const char *reason(int code)
{
    switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content (empty body)";
    default: return "Success";
    }
}

static json_t *success_response(oa_schemas *s, const gen_method *gm, const oa_type *resp)
{
    if (gm->opt.success_code == 204)
        return json_pack("{s:s}", "description", reason(204));
    json_t *schema = NULL;
    if (oa_is_http_body(resp->full_name)) /* the handler's bytes, with its Content-Type */
        return json_pack("{s:s,s:{s:{s:{s:s,s:s}}}}", "description", reason(gm->opt.success_code),
                         "content", "*/*", "schema", "type", "string", "format", "binary");
    if (*gm->opt.response_body != '\0') {
        const Google__Protobuf__FieldDescriptorProto *f =
            oa_field_find(resp->msg, gm->opt.response_body, NULL);
        schema = f ? oa_schema_for_field_type(s, f) : NULL;
    } else {
        schema = oa_schema_for_type(s, resp->full_name, false);
    }
    if (schema == NULL)
        return NULL;
    return json_pack("{s:s,s:{s:{s:o}}}", "description", reason(gm->opt.success_code), "content",
                     "application/json", "schema", schema);
}

/* First sentence (or line) of a cleaned comment; caller frees. */
static char *summary_of(const char *doc)
{
    size_t n = strcspn(doc, "\n");
    for (size_t i = 0; i + 1 < n; i++)
        if (doc[i] == '.' && isspace((unsigned char)doc[i + 1])) {
            n = i + 1;
            break;
        }
    return strndup(doc, n);
}

static json_t *operation(oa_schemas *s, const gen_service *svc, const gen_method *gm,
                         const oa_type *req, const oa_type *resp, const oa_template *tmpl)
{
    char op_id[256];
    snprintf(op_id, sizeof op_id, "%s_%s", svc->name, gm->name);
    json_t *params = oa_path_params(s, req, tmpl);
    if (params == NULL)
        return NULL;
    oa_query_params(s, req, tmpl, gm->opt.body, params);
    json_t *op = json_pack("{s:[s],s:s}", "tags", svc->name, "operationId", op_id);
    char *doc = oa_clean_comment(gm->comment);
    char *summary = doc ? summary_of(doc) : NULL;
    if (op != NULL && summary != NULL)
        json_object_set_new(op, "summary", json_string(summary));
    if (op != NULL && doc != NULL)
        json_object_set_new(op, "description", json_string(doc));
    free(summary);
    free(doc);
    if (op != NULL && json_array_size(params) > 0)
        json_object_set(op, "parameters", params);
    json_decref(params);
    json_t *body = oa_request_body(s, req, tmpl, gm->opt.body);
    if (op != NULL && body != NULL)
        json_object_set(op, "requestBody", body);
    json_decref(body);
    json_t *responses = operation_errors(gm, tmpl);
    json_t *ok = success_response(s, gm, resp);
    char code[8];
    snprintf(code, sizeof code, "%d", gm->opt.success_code);
    if (op == NULL || responses == NULL || ok == NULL) {
        json_decref(op);
        json_decref(responses);
        json_decref(ok);
        return NULL;
    }
    json_t *all = json_object(); /* success first, then the errors in code order */
    json_object_set_new(all, code, ok);
    json_object_update(all, responses);
    json_decref(responses);
    json_object_set_new(op, "responses", all);
    json_object_set_new(op, "security", gm->opt.is_public ? json_array()
                                                           : json_pack("[{s:[]}]", "bearerAuth"));
    return op;
}

static bool standard_verb(const char *verb)
{
    static const char *const V[] = { "GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS" };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++)
        if (strcmp(V[i], verb) == 0)
            return true;
    return false;
}

/* Adds method `gm` to `paths` (nothing for a custom verb).  -1 with *err set for a
 * rule that names no field or binds a path and verb twice. */
static int add_method(oa_schemas *s, json_t *paths, const gen_service *svc, const gen_method *gm,
                      const char *input, const char *output_, char **err)
{
    oa_type req, resp;
    oa_template tmpl;
    /* OpenAPI 3.0 has no custom methods: such a route is served but not documented. */
    if (!standard_verb(gm->opt.verb))
        return 0;
    if (!oa_type_find(s->req, input, &req) || !oa_type_find(s->req, output_, &resp) ||
        req.msg == NULL || resp.msg == NULL) {
        *err = errorf("%s/%s: cannot resolve %s or %s", svc->full_name, gm->name, input, output_);
        return -1;
    }
    if (oa_template_parse(gm->opt.path, &tmpl) != 0) {
        *err = errorf("%s/%s: malformed path template %s", svc->full_name, gm->name, gm->opt.path);
        return -1;
    }
    json_t *op = operation(s, svc, gm, &req, &resp, &tmpl);
    if (op == NULL) {
        *err = errorf("%s/%s: path %s, body \"%s\" or response_body \"%s\" names no field",
                      svc->full_name, gm->name, gm->opt.path, gm->opt.body, gm->opt.response_body);
        oa_template_release(&tmpl);
        return -1;
    }
    json_t *item = json_object_get(paths, tmpl.path);
    if (item == NULL) {
        item = json_object();
        json_object_set_new(paths, tmpl.path, item);
    }
    char verb[16];
    size_t i = 0;
    for (; gm->opt.verb[i] && i + 1 < sizeof verb; i++)
        verb[i] = (char)tolower((unsigned char)gm->opt.verb[i]);
    verb[i] = '\0';
    int rc = 0;
    if (item == NULL || json_object_get(item, verb) != NULL) {
        *err = errorf("%s/%s: %s %s is bound twice", svc->full_name, gm->name, gm->opt.verb,
                      tmpl.path);
        rc = -1;
    } else {
        json_object_set(item, verb, op);
    }
    json_decref(op);
    oa_template_release(&tmpl);
    return rc;
}

/* The method's input/output full names (".sath.v1.X") from its descriptor. */
static const Google__Protobuf__MethodDescriptorProto *
method_proto(const gen_file *gf, size_t s, size_t i)
{
    return gf->proto->service[s]->method[i];
}

static int add_paths(oa_schemas *s, const gen_model *m, json_t *paths, json_t *tags, char **err)
{
    for (size_t f = 0; f < m->n_files; f++)
        for (size_t k = 0; k < m->files[f].n_services; k++) {
            const gen_service *svc = &m->files[f].services[k];
            size_t routed = 0;
            for (size_t i = 0; i < svc->n_methods; i++)
                routed += svc->methods[i].opt.has_http;
            if (routed == 0)
                continue; /* gRPC only (BotAgentService): not in the REST document */
            char *doc = oa_clean_comment(svc->comment);
            json_t *tag = json_pack("{s:s}", "name", svc->name);
            if (tag != NULL && doc != NULL)
                json_object_set_new(tag, "description", json_string(doc));
            free(doc);
            json_array_append_new(tags, tag);
            for (size_t i = 0; i < svc->n_methods; i++) {
                const Google__Protobuf__MethodDescriptorProto *md = method_proto(&m->files[f], k, i);
                if (!svc->methods[i].opt.has_http)
                    continue; /* gRPC only (run-token methods) */
                if (add_method(s, paths, svc, &svc->methods[i], md->input_type, md->output_type,
                               err) != 0)
                    return -1;
            }
        }
    return s->failed ? -1 : 0;
}

json_t *openapi_doc_build(const gen_model *m, const char *version, char **err)
{
    *err = NULL;
    oa_schemas s;
    oa_schemas_init(&s, m->req, m->package);
    json_t *paths = json_object(), *tags = json_array();
    json_t *doc = NULL;
    if (!s.failed && paths && tags && json_object_set_new(s.schemas, "Status", status_schema()) == 0 &&
        add_paths(&s, m, paths, tags, err) == 0) {
        json_t *schemas = oa_schemas_flush(&s);
        doc = json_pack(
            "{s:s,s:{s:s,s:s,s:s},s:[{s:s}],s:O,s:O,s:{s:o*,s:o*,s:{s:{s:s,s:s,s:s,s:s}}}}",
            "openapi", "3.0.3", "info", "title", "SATH Platform API", "version", version,
            "description", "REST/JSON gateway of the SATH platform: every call is transcoded onto "
            "the gRPC method named by its operationId (package sath.v1). JSON follows the proto3 "
            "JSON mapping with the proto field names; 64-bit integers are strings.",
            "servers", "url", "/", "tags", tags, "paths", paths, "components", "schemas", schemas,
            "responses", error_responses(), "securitySchemes", "bearerAuth", "type", "http",
            "scheme", "bearer", "bearerFormat", "JWT", "description",
            "The access token from AuthService.Login or Refresh, as `Authorization: Bearer <token>`.");
    }
    json_decref(paths);
    json_decref(tags);
    oa_schemas_release(&s);
    return doc;
}
