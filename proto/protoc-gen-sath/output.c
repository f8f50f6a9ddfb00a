/*
 * output.c - CodeGeneratorResponse assembly (see output.h).
 */
#include "output.h"

#include <stdlib.h>
#include <string.h>

void output_init(output *o)
{
    const Google__Protobuf__Compiler__CodeGeneratorResponse init =
        GOOGLE__PROTOBUF__COMPILER__CODE_GENERATOR_RESPONSE__INIT;
    o->resp = init;
    o->cap = 0;
    /* We understand proto3 `optional` (we never look at field presence). */
    o->resp.has_supported_features = 1;
    o->resp.supported_features =
        GOOGLE__PROTOBUF__COMPILER__CODE_GENERATOR_RESPONSE__FEATURE__FEATURE_PROTO3_OPTIONAL;
}

int output_add(output *o, const char *name, strbuf *content)
{
    char *text = strbuf_detach(content);
    char *fname = strdup(name);
    Google__Protobuf__Compiler__CodeGeneratorResponse__File *f = malloc(sizeof *f);
    if (o->resp.n_file == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        void *p = realloc(o->resp.file, cap * sizeof *o->resp.file);
        if (p != NULL) {
            o->resp.file = p;
            o->cap = cap;
        }
    }
    if (text == NULL || fname == NULL || f == NULL || o->resp.n_file == o->cap) {
        free(text);
        free(fname);
        free(f);
        return -1;
    }
    const Google__Protobuf__Compiler__CodeGeneratorResponse__File init =
        GOOGLE__PROTOBUF__COMPILER__CODE_GENERATOR_RESPONSE__FILE__INIT;
    *f = init;
    f->name = fname;
    f->content = text;
    o->resp.file[o->resp.n_file++] = f;
    return 0;
}

static void drop_files(output *o)
{
    for (size_t i = 0; i < o->resp.n_file; i++) {
        free(o->resp.file[i]->name);
        free(o->resp.file[i]->content);
        free(o->resp.file[i]);
    }
    free(o->resp.file);
    o->resp.file = NULL;
    o->resp.n_file = 0;
    o->cap = 0;
}

void output_set_error(output *o, const char *message)
{
    drop_files(o);
    free(o->resp.error);
    /* NULL on exhaustion: main() sees no error text and fails the process instead. */
    o->resp.error = strdup(message ? message : "out of memory");
}

void output_release(output *o)
{
    drop_files(o);
    free(o->resp.error);
    o->resp.error = NULL;
}
