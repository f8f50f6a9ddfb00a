/*
 * openapi_types.h - proto types as OpenAPI 3.0 schemas, following the proto3 JSON
 * mapping (the mapping the REST gateway speaks): snake_case proto field names,
 * 64-bit integers as strings, enums by name, well-known types by their JSON form.
 *
 * A schema set (oa_schemas) collects one component schema per message or enum that
 * an operation reaches; schemas refer to each other with $ref, so recursive messages
 * are fine.  All json_t values returned are new references the caller owns
 * (json_decref); NULL means memory ran out.
 */
#ifndef SATH_GEN_OPENAPI_TYPES_H
#define SATH_GEN_OPENAPI_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "google/protobuf/compiler/plugin.pb-c.h"

#define OA_MAX_PATH 32

/* A message or enum found in the request, with the source_code_info path of its
 * declaration (for comments).  Pointers point into the request. */
typedef struct oa_type {
    const Google__Protobuf__FileDescriptorProto *file;
    const Google__Protobuf__DescriptorProto *msg; /* set for messages */
    const Google__Protobuf__EnumDescriptorProto *enm; /* set for enums */
    const char *full_name; /* ".sath.v1.Outer.Inner" (points into the field or method) */
    int32_t path[OA_MAX_PATH];
    size_t n_path;
} oa_type;

typedef struct oa_schemas {
    const Google__Protobuf__Compiler__CodeGeneratorRequest *req;
    const char *package; /* types of this package get short component names */
    json_t *schemas;     /* component name -> schema, in discovery order */
    json_t *pending;     /* array of full names still to describe */
    bool failed;         /* memory ran out or a type did not resolve */
} oa_schemas;

/* Finds the message or enum named `full_name` (leading dot).  false when unknown. */
bool oa_type_find(const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                  const char *full_name, oa_type *out);
/* A field of message `msg` by proto name, with its index; NULL when absent. */
const Google__Protobuf__FieldDescriptorProto *
oa_field_find(const Google__Protobuf__DescriptorProto *msg, const char *name, size_t *index);
/* The leading comment of field `index` of message type `t`, cleaned (see
 * oa_clean_comment); caller frees; NULL when there is none. */
char *oa_field_comment(const oa_type *t, size_t index);
/* The leading comment of `t` itself, cleaned; caller frees; NULL when none. */
char *oa_type_comment(const oa_type *t);
/* A proto comment without the space after "//" and without edge blank lines; NULL
 * for NULL or empty input.  Caller frees. */
char *oa_clean_comment(const char *comment);

void oa_schemas_init(oa_schemas *s, const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                     const char *package);
void oa_schemas_release(oa_schemas *s);
/* The schema of message/enum `full_name`: a $ref to its component (queued for
 * oa_schemas_flush) or, for well-known types, the inline JSON form. */
json_t *oa_schema_for_type(oa_schemas *s, const char *full_name, bool is_enum);
/* The schema of one field: arrays for repeated, objects for maps, descriptions from
 * the field's comment (index is the field's index in `owner`). */
json_t *oa_schema_for_field(oa_schemas *s, const oa_type *owner, size_t index);
/* The value schema of field `f` ignoring its comment (a $ref stays a bare $ref). */
json_t *oa_schema_for_field_type(oa_schemas *s, const Google__Protobuf__FieldDescriptorProto *f);
/* An object schema of message `t`'s fields, leaving out fields named in `skip`
 * (n_skip names).  Used for request bodies that lack the path-bound fields. */
json_t *oa_schema_object(oa_schemas *s, const oa_type *t, const char *const *skip, size_t n_skip);
/* Describes every queued message/enum (and what they reach) and returns the
 * components.schemas object sorted by name.  NULL when s->failed. */
json_t *oa_schemas_flush(oa_schemas *s);
/* Whether `full_name` is a well-known type mapped to a JSON scalar or container. */
bool oa_is_well_known(const char *full_name);

#endif /* SATH_GEN_OPENAPI_TYPES_H */
