/*
 * openapi_html.h - a plain, script-free HTML reference page rendered from the
 * OpenAPI document: what /docs serves when Swagger UI could not be fetched.
 */
#ifndef SATH_GEN_OPENAPI_HTML_H
#define SATH_GEN_OPENAPI_HTML_H

#include <jansson.h>

/* Renders `doc` (an OpenAPI 3.0 document as built by openapi_doc_build).  Returns
 * the page (caller frees), or NULL when memory ran out. */
char *openapi_html_render(const json_t *doc);

#endif /* SATH_GEN_OPENAPI_HTML_H */
