/*
 * options.h - the custom method options of the SATH contract, read from the wire.
 *
 * protobuf-c does not decode extensions: (google.api.http), (sath.v1.http_success_code)
 * and (sath.v1.public_method) arrive as unknown fields of MethodOptions.  This module
 * finds them by field number and decodes them into a plain struct.
 */
#ifndef SATH_GEN_OPTIONS_H
#define SATH_GEN_OPTIONS_H

#include <stdbool.h>

#include "google/protobuf/descriptor.pb-c.h"

#define OPTIONS_TAG_GOOGLE_API_HTTP 72295728u
#define OPTIONS_TAG_HTTP_SUCCESS_CODE 51001u
#define OPTIONS_TAG_PUBLIC_METHOD 51002u
#define OPTIONS_TAG_RUN_TOKEN_METHOD 51003u

/* What the generator needs of one method's options.  All strings are owned by the
 * struct (options_method_release frees them). */
typedef struct options_method {
    bool has_http;       /* a google.api.http rule was present */
    char *verb;          /* upper case: GET POST PUT DELETE PATCH or a custom kind */
    char *path;          /* URL template */
    char *body;          /* "" | "*" | field name */
    char *response_body; /* "" | field name */
    int success_code;    /* 200 unless (sath.v1.http_success_code) is set non-zero */
    bool is_public;      /* (sath.v1.public_method) */
    bool is_run_token;   /* (sath.v1.run_token_method): run tokens only, no REST route */
} options_method;

/* Decodes the options of `opts` (may be NULL: no options).  Returns 0, or -1 with a
 * message in `err` (caller frees it with free()) when an option is malformed or memory
 * is exhausted.  On error `out` holds nothing to release. */
int options_method_read(const Google__Protobuf__MethodOptions *opts, options_method *out,
                        char **err);
void options_method_release(options_method *m);

#endif /* SATH_GEN_OPTIONS_H */
