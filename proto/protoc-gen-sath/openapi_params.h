/*
 * openapi_params.h - how one method's request message is spread over the HTTP
 * request, per the google.api.http rules: path variables, query parameters and body.
 *
 * All json_t results are new references the caller owns; NULL means memory ran out
 * or (for path variables) that a variable names no field of the request.
 */
#ifndef SATH_GEN_OPENAPI_PARAMS_H
#define SATH_GEN_OPENAPI_PARAMS_H

#include <jansson.h>

#include "openapi_types.h"

#define OA_MAX_VARS 16

/* A URL template split into its OpenAPI form and its variables. */
typedef struct oa_template {
    char *path;                 /* "/api/v1/keys/exchange/{id}" ({a=*} becomes {a}) */
    char *vars[OA_MAX_VARS];    /* field paths bound by the template: "id", "config.id" */
    size_t n_vars;
} oa_template;

/* Parses `tmpl`.  Returns 0, or -1 (caller owns nothing) when it is malformed (an
 * unbalanced brace, too many variables) or memory ran out. */
int oa_template_parse(const char *tmpl, oa_template *out);
void oa_template_release(oa_template *t);

/* The OpenAPI "in: path" parameters of `tmpl`, typed by the request fields. */
json_t *oa_path_params(oa_schemas *s, const oa_type *req, const oa_template *tmpl);
/* The "in: query" parameters: every request field not bound by the path nor by the
 * body field `body` ("" for none), nested messages flattened to dotted names,
 * repeated scalars as exploded form arrays.  Appended to `params`. */
void oa_query_params(oa_schemas *s, const oa_type *req, const oa_template *tmpl,
                     const char *body, json_t *params);
/* True for google.api.HttpBody (".google.api.HttpBody"): raw bytes in and out, so the
 * document gives any content type, binary, instead of a JSON schema. */
bool oa_is_http_body(const char *full_name);
/* The requestBody object for body "*" (the request minus path-bound fields) or a
 * field name (that field's schema); NULL with nothing set when body is "".  For an
 * HttpBody request: any content type, binary. */
json_t *oa_request_body(oa_schemas *s, const oa_type *req, const oa_template *tmpl,
                        const char *body);

#endif /* SATH_GEN_OPENAPI_PARAMS_H */
