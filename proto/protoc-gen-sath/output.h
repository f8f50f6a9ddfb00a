/*
 * output.h - the generated files, collected into a CodeGeneratorResponse.
 *
 * The response and everything in it are allocated with malloc by this module and
 * released by output_release (never by protobuf-c's free_unpacked, which assumes
 * its own allocation layout).
 */
#ifndef SATH_GEN_OUTPUT_H
#define SATH_GEN_OUTPUT_H

#include <stddef.h>

#include "google/protobuf/compiler/plugin.pb-c.h"
#include "strbuf.h"

typedef struct output {
    Google__Protobuf__Compiler__CodeGeneratorResponse resp;
    size_t cap; /* allocated entries of resp.file */
} output;

void output_init(output *o);
/* Adds file `name` (relative to the --sath_out dir) with the text of `content`, which
 * is consumed (released) either way.  Returns 0, or -1 when memory is exhausted or
 * `content` had failed. */
int output_add(output *o, const char *name, strbuf *content);
/* Makes the response report `message` to protoc instead of files (protoc prints it and
 * exits non-zero).  Already added files are dropped. */
void output_set_error(output *o, const char *message);
void output_release(output *o);

#endif /* SATH_GEN_OUTPUT_H */
