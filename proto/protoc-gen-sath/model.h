/*
 * model.h - what the emitters generate from: the services of one proto package,
 * resolved from a CodeGeneratorRequest into C names, HTTP rules and doc comments.
 *
 * Building the model is where the contract is enforced: every method must be unary or
 * server-streaming and carry a google.api.http rule, and every type must resolve to a message of a file
 * in the request.  Emitters then only format; they never fail on the contract.
 *
 * Ownership: strings typed `char *` are owned by the model (model_release frees them);
 * `const char *` ones point into the request, which must outlive the model.
 */
#ifndef SATH_GEN_MODEL_H
#define SATH_GEN_MODEL_H

#include <stddef.h>

#include "google/protobuf/compiler/plugin.pb-c.h"
#include "options.h"

typedef struct gen_method {
    const char *name;    /* "GetMe" */
    char *snake;         /* "get_me" (function name part) */
    char *member;        /* "get_me"; C keywords get '_': "register_" (table member) */
    char *input_type;    /* protobuf-c type, "Sath__V1__GetMeRequest" */
    char *input_lower;   /* "sath__v1__get_me_request" */
    char *output_type;
    char *output_lower;
    const char *comment; /* leading proto comment, or NULL */
    options_method opt;  /* http rule, success code, public flag */
    int server_streaming; /* `returns (stream T)` (client streaming is refused) */
} gen_method;

typedef struct gen_service {
    const char *name;    /* "AuthService" */
    char *full_name;     /* "sath.v1.AuthService" */
    char *snake;         /* "auth_service" */
    char *upper;         /* "AUTH_SERVICE" */
    char *short_snake;   /* "auth" (name without the "Service" suffix) */
    const char *comment;
    gen_method *methods;
    size_t n_methods;
} gen_service;

typedef struct gen_file {
    const Google__Protobuf__FileDescriptorProto *proto;
    char *stem;          /* "sath/v1/auth" */
    char *guard;         /* "SATH_V1_AUTH" (include-guard stem) */
    gen_service *services;
    size_t n_services;
} gen_file;

typedef struct gen_model {
    const Google__Protobuf__Compiler__CodeGeneratorRequest *req;
    const char *package; /* "sath.v1" */
    char *prefix;        /* "sath_v1" */
    char *upper_prefix;  /* "SATH_V1" */
    char *dir;           /* "sath/v1" */
    /* Files to generate that belong to `package` and define services, in request order. */
    gen_file *files;
    size_t n_files;
    size_t n_methods;    /* over all files */
} gen_model;

/* Builds the model of `package` from `req`.  Returns 0, or -1 with a message naming
 * the offending file/method in *err (caller frees it); the model is released on error. */
int model_build(const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                const char *package, gen_model *m, char **err);
void model_release(gen_model *m);

#endif /* SATH_GEN_MODEL_H */
