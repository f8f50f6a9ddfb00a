/*
 * openapi_doc.h - the OpenAPI 3.0.3 document of a package's REST surface, as a
 * jansson value (emit_openapi.c serializes it, openapi_html.c renders it).
 */
#ifndef SATH_GEN_OPENAPI_DOC_H
#define SATH_GEN_OPENAPI_DOC_H

#include <jansson.h>

#include "model.h"

/* Builds the document of every method of `m`; `version` becomes info.version.
 * Returns a new reference (caller json_decref's it), or NULL with *err set (caller
 * frees) when a method's HTTP rule cannot be described, or NULL with *err NULL when
 * memory ran out. */
json_t *openapi_doc_build(const gen_model *m, const char *version, char **err);

#endif /* SATH_GEN_OPENAPI_DOC_H */
