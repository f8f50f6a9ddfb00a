/*
 * main.c - protoc-gen-sath entry point: CodeGeneratorRequest on stdin,
 * CodeGeneratorResponse on stdout.
 *
 * Usage (protoc finds the plugin by its name):
 *   protoc --plugin=protoc-gen-sath=PATH --sath_out=DIR [--sath_opt=package=NAME] -I... FILES
 * Code is generated for the services of package NAME (default "sath.v1") among FILES;
 * the embedded descriptor set covers every file protoc hands over.
 *
 * Error protocol: a problem with the protos (say, a method without an HTTP rule) is
 * reported in CodeGeneratorResponse.error, which protoc prints before exiting
 * non-zero.  Problems with the plugin's own I/O go to stderr with exit status 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "model.h"
#include "output.h"

#define DEFAULT_PACKAGE "sath.v1"

/* Emitters in the order they run; add new kinds of output here. */
static const struct {
    const char *name;
    emitter_fn fn;
} EMITTERS[] = {
    { "server", emit_server },
    { "client", emit_client },
    { "routes", emit_routes },
    { "openapi", emit_openapi },
};

/* Reads all of `in`.  Returns a malloc'd buffer (caller frees) or NULL on error. */
static uint8_t *read_all(FILE *in, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, in);
        if (n < cap)
            break;
        uint8_t *p = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (p == NULL) {
            free(buf);
            return NULL;
        }
        buf = p;
        cap *= 2;
    }
    if (buf != NULL && ferror(in)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Parses "package=NAME" (the only parameter).  Returns the package (pointing into
 * `param` or a literal), or NULL with *err set for an unknown parameter. */
static const char *parse_package(const char *param, char **err)
{
    if (param == NULL || *param == '\0')
        return DEFAULT_PACKAGE;
    if (strncmp(param, "package=", 8) == 0 && param[8] != '\0' && strchr(param, ',') == NULL)
        return param + 8;
    *err = strdup("unknown parameter (expected package=NAME)");
    return NULL;
}

/* Runs the model and all emitters, filling `out` with files or an error.  Returns -1
 * only when not even the error could be recorded (memory exhausted). */
static int generate(const Google__Protobuf__Compiler__CodeGeneratorRequest *req, output *out)
{
    char *err = NULL;
    int ok = 0;
    const char *package = parse_package(req->parameter, &err);
    gen_model model;
    if (package != NULL && model_build(req, package, &model, &err) == 0) {
        ok = 1;
        for (size_t i = 0; ok && i < sizeof EMITTERS / sizeof EMITTERS[0]; i++)
            ok = EMITTERS[i].fn(&model, out, &err) == 0;
        model_release(&model);
    }
    if (!ok)
        output_set_error(out, err); /* err NULL means memory ran out */
    free(err);
    return (!ok && out->resp.error == NULL) ? -1 : 0;
}

static int write_response(const output *out)
{
    size_t len = protobuf_c_message_get_packed_size(&out->resp.base);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL)
        return -1;
    protobuf_c_message_pack(&out->resp.base, buf);
    int rc = (fwrite(buf, 1, len, stdout) == len && fflush(stdout) == 0) ? 0 : -1;
    free(buf);
    return rc;
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fputs("protoc-gen-sath: a protoc plugin; run it through protoc --sath_out=DIR\n", stderr);
        return 2;
    }
    size_t len = 0;
    uint8_t *data = read_all(stdin, &len);
    if (data == NULL) {
        fputs("protoc-gen-sath: cannot read the request from stdin\n", stderr);
        return 1;
    }
    Google__Protobuf__Compiler__CodeGeneratorRequest *req =
        google__protobuf__compiler__code_generator_request__unpack(NULL, len, data);
    free(data);
    if (req == NULL) {
        fputs("protoc-gen-sath: stdin is not a CodeGeneratorRequest\n", stderr);
        return 1;
    }
    output out;
    output_init(&out);
    int failed = generate(req, &out) != 0;
    if (failed)
        fputs("protoc-gen-sath: out of memory\n", stderr);
    else if (write_response(&out) != 0) {
        fputs("protoc-gen-sath: cannot write the response to stdout\n", stderr);
        failed = 1;
    }
    output_release(&out);
    google__protobuf__compiler__code_generator_request__free_unpacked(req, NULL);
    return failed ? 1 : 0;
}
