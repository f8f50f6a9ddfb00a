/*
 * emit_client.c - SDK client stubs per proto file: sath/v1/<stem>.sath-client.{h,c},
 * plus the umbrella header sath/v1/sath.sath-client.h.
 *
 * Each stub is a one-line call of the SDK's private sath__unary() (sdk/src/unary.h)
 * with the method's gRPC path and its input and output descriptors (the SDK refuses a
 * request of another type).  Stubs are named sath_<service without "Service">_<method>:
 * AuthService.Login -> sath_auth_login; each has an asynchronous twin
 * sath_auth_login_async() calling sath__unary_async().
 * They are compiled by libsathclient itself (target sath_gen_client), so SATH_EXTERN
 * takes the SDK's visibility settings.
 */
#include "emit.h"

#include <stdlib.h>

/* Server-streaming stub: sath_<svc>_<method>(c, req, on_message, arg, opts), with a
 * typed callback.  Doc first. */
static void emit_stream_doc(strbuf *sb, const gen_service *s, const gen_method *gm)
{
    strbuf_printf(sb, "\n/*\n * %s.%s (server streaming): ", s->name, gm->name);
    strbuf_append_comment_safe(sb, gm->opt.verb);
    strbuf_append(sb, " ");
    strbuf_append_comment_safe(sb, gm->opt.path);
    strbuf_append(sb, "\n");
    if (gm->comment != NULL) {
        strbuf_append(sb, " *\n");
        emit_comment_lines(sb, "", gm->comment);
    }
    strbuf_append(sb, " *\n"
                      " * Calls `on_message` for every message as it arrives (the message is freed after\n"
                      " * the callback returns; copy what you keep).  A non-zero return from the callback\n"
                      " * cancels the stream (result SATH_CANCELLED).  Returns the stream's final status:\n"
                      " * SATH_OK when the server ended it normally.\n */\n");
}

static void emit_stream_signature(strbuf *sb, const char *lead, const gen_service *s,
                                  const gen_method *gm)
{
    size_t before = sb->len;
    strbuf_printf(sb, "%sint sath_%s_%s(", lead, s->short_snake, gm->snake);
    size_t width = sb->len - before;
    strbuf_printf(sb, "sath_client *c, const %s *req,\n%*ssath_%s_%s_fn on_message, void *arg,\n"
                      "%*ssath_call_opts *opts)",
                  gm->input_type, (int)width, "", s->short_snake, gm->snake, (int)width, "");
}

static void emit_doc(strbuf *sb, const gen_service *s, const gen_method *gm)
{
    strbuf_printf(sb, "\n/*\n * %s.%s: ", s->name, gm->name);
    if (gm->opt.has_http) {
        strbuf_append_comment_safe(sb, gm->opt.verb);
        strbuf_append(sb, " ");
        strbuf_append_comment_safe(sb, gm->opt.path);
    } else {
        strbuf_append(sb, "gRPC only");
    }
    strbuf_append(sb, gm->opt.is_public      ? " (no access token needed)\n"
                      : gm->opt.is_run_token ? " (run token only)\n"
                                             : "\n");
    if (gm->comment != NULL) {
        strbuf_append(sb, " *\n");
        emit_comment_lines(sb, "", gm->comment);
    }
    strbuf_printf(sb, " *\n"
                      " * `req` must be a %s made with its __INIT macro (SATH_EINVAL\n"
                      " * otherwise).  On success *resp is a new message the caller frees with\n"
                      " * %s__free_unpacked(*resp, NULL); on failure *resp is NULL and the\n"
                      " * return value is the status (see sath_strerror).  `resp` may be NULL\n"
                      " * when the response is not wanted.  The _async twin starts the call and\n"
                      " * returns; `cb` gets the status and the %s (see sath/async.h).\n */\n",
                  gm->input_type, gm->output_lower, gm->output_type);
}

/* Writes `lead` + the stub's prototype, wrapped after the request parameter and
 * aligned under the opening parenthesis. */
static void emit_signature(strbuf *sb, const char *lead, const gen_service *s, const gen_method *gm)
{
    size_t before = sb->len;
    strbuf_printf(sb, "%sint sath_%s_%s(", lead, s->short_snake, gm->snake);
    size_t width = sb->len - before;
    strbuf_printf(sb, "sath_client *c, const %s *req,\n%*s%s **resp, sath_call_opts *opts)",
                  gm->input_type, (int)width, "", gm->output_type);
}

/* The asynchronous twin's prototype, wrapped like emit_signature(). */
static void emit_async_signature(strbuf *sb, const char *lead, const gen_service *s,
                                 const gen_method *gm)
{
    size_t before = sb->len;
    strbuf_printf(sb, "%sint sath_%s_%s_async(", lead, s->short_snake, gm->snake);
    size_t width = sb->len - before;
    strbuf_printf(sb, "sath_client *c, const %s *req,\n%*ssath_async_cb cb, void *userdata,\n"
                      "%*sconst sath_call_opts *opts, sath_async_call **call)",
                  gm->input_type, (int)width, "", (int)width, "");
}

static int emit_header(const gen_file *f, output *out, char **err)
{
    strbuf sb = STRBUF_INIT;
    emit_banner(&sb, "Client stubs (libsathclient).", f->proto->name);
    strbuf_printf(&sb, "#ifndef %s_SATH_CLIENT_H\n#define %s_SATH_CLIENT_H\n\n", f->guard, f->guard);
    strbuf_printf(&sb, "#include \"sath/export.h\"\n#include \"sath/async.h\"\n"
                       "#include \"sath/client.h\"\n#include \"%s.pb-c.h\"\n\n",
                  f->stem);
    strbuf_append(&sb, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n");
    for (size_t i = 0; i < f->n_services; i++) {
        const gen_service *s = &f->services[i];
        strbuf_printf(&sb, "\n/* ---- %s", s->full_name);
        strbuf_append(&sb, s->comment ? "\n" : " ---- */\n");
        if (s->comment) {
            emit_comment_lines(&sb, "", s->comment);
            strbuf_append(&sb, " */\n");
        }
        for (size_t j = 0; j < s->n_methods; j++) {
            const gen_method *gm = &s->methods[j];
            if (gm->server_streaming) {
                emit_stream_doc(&sb, s, gm);
                strbuf_printf(&sb, "typedef int (*sath_%s_%s_fn)(void *arg, const %s *msg);\n",
                              s->short_snake, gm->snake, gm->output_type);
                emit_stream_signature(&sb, "SATH_EXTERN ", s, gm);
                strbuf_append(&sb, ";\n");
                continue;
            }
            emit_doc(&sb, s, gm);
            emit_signature(&sb, "SATH_EXTERN ", s, gm);
            strbuf_append(&sb, ";\n");
            emit_async_signature(&sb, "SATH_EXTERN ", s, &s->methods[j]);
            strbuf_append(&sb, ";\n");
        }
    }
    strbuf_append(&sb, "\n#ifdef __cplusplus\n}\n#endif\n");
    strbuf_printf(&sb, "#endif /* %s_SATH_CLIENT_H */\n", f->guard);
    char *name = emit_path(f->stem, ".sath-client.h");
    int rc = emit_finish(out, name, &sb, err);
    free(name);
    return rc;
}

/* The typed response pointer is filled from a separate ProtobufCMessage * so no object
 * is ever written through a pointer of another type (strict aliasing). */
/* The typed callback is reached through a trampoline: calling it through a generic
 * function pointer type would be undefined behaviour. */
static void emit_stream_stub(strbuf *sb, const gen_service *s, const gen_method *gm)
{
    strbuf_printf(sb, "\ntypedef struct sath_%s_%s_tramp {\n    sath_%s_%s_fn fn;\n    void *arg;\n"
                      "} sath_%s_%s_tramp;\n",
                  s->short_snake, gm->snake, s->short_snake, gm->snake, s->short_snake, gm->snake);
    strbuf_printf(sb, "\nstatic int sath_%s_%s_on(void *p, const ProtobufCMessage *m)\n{\n"
                      "    const sath_%s_%s_tramp *t = p;\n"
                      "    return t->fn(t->arg, (const %s *)(const void *)m);\n}\n",
                  s->short_snake, gm->snake, s->short_snake, gm->snake, gm->output_type);
    strbuf_append(sb, "\n");
    emit_stream_signature(sb, "", s, gm);
    strbuf_printf(sb, "\n{\n    sath_%s_%s_tramp t = {on_message, arg};\n", s->short_snake, gm->snake);
    strbuf_printf(sb, "    return sath__server_stream(c, \"/%s/%s\", &%s__descriptor,\n"
                      "                               req != NULL ? &req->base : NULL, &%s__descriptor,\n"
                      "                               on_message != NULL ? sath_%s_%s_on : NULL, &t, opts);\n}\n",
                  s->full_name, gm->name, gm->input_lower, gm->output_lower, s->short_snake, gm->snake);
}

static void emit_stub(strbuf *sb, const gen_service *s, const gen_method *gm)
{
    if (gm->server_streaming) {
        emit_stream_stub(sb, s, gm);
        return;
    }
    strbuf_append(sb, "\n");
    emit_signature(sb, "", s, gm);
    strbuf_append(sb, "\n{\n    ProtobufCMessage *out = NULL;\n");
    strbuf_printf(sb, "    int rc = sath__unary(c, \"/%s/%s\", &%s__descriptor,\n"
                      "                         req != NULL ? &req->base : NULL, &%s__descriptor,\n"
                      "                         resp != NULL ? &out : NULL, opts);\n",
                  s->full_name, gm->name, gm->input_lower, gm->output_lower);
    strbuf_printf(sb, "    if (resp != NULL)\n        *resp = (%s *)(void *)out;\n    return rc;\n}\n",
                  gm->output_type);
    strbuf_append(sb, "\n");
    emit_async_signature(sb, "", s, gm);
    strbuf_printf(sb, "\n{\n    return sath__unary_async(c, \"/%s/%s\", &%s__descriptor,\n"
                      "                             req != NULL ? &req->base : NULL, &%s__descriptor,\n"
                      "                             cb, userdata, opts, call);\n}\n",
                  s->full_name, gm->name, gm->input_lower, gm->output_lower);
}

static int emit_source(const gen_file *f, output *out, char **err)
{
    strbuf sb = STRBUF_INIT;
    emit_banner(&sb, "Client stubs (libsathclient).", f->proto->name);
    strbuf_printf(&sb, "#include \"%s.sath-client.h\"\n\n#include <stddef.h>\n\n#include \"unary.h\"\n",
                  f->stem);
    for (size_t i = 0; i < f->n_services; i++)
        for (size_t j = 0; j < f->services[i].n_methods; j++)
            emit_stub(&sb, &f->services[i], &f->services[i].methods[j]);
    char *name = emit_path(f->stem, ".sath-client.c");
    int rc = emit_finish(out, name, &sb, err);
    free(name);
    return rc;
}

static int emit_umbrella(const gen_model *m, output *out, char **err)
{
    strbuf sb = STRBUF_INIT;
    emit_banner(&sb, "Every client stub header of the package.", m->package);
    strbuf_printf(&sb, "#ifndef %s_SATH_SATH_CLIENT_H\n#define %s_SATH_SATH_CLIENT_H\n\n",
                  m->upper_prefix, m->upper_prefix);
    for (size_t i = 0; i < m->n_files; i++)
        strbuf_printf(&sb, "#include \"%s.sath-client.h\"\n", m->files[i].stem);
    strbuf_printf(&sb, "\n#endif /* %s_SATH_SATH_CLIENT_H */\n", m->upper_prefix);
    char *name = emit_path(m->dir, "/sath.sath-client.h");
    int rc = emit_finish(out, name, &sb, err);
    free(name);
    return rc;
}

int emit_client(const gen_model *m, output *out, char **err)
{
    if (m->n_files == 0)
        return 0;
    for (size_t i = 0; i < m->n_files; i++)
        if (emit_header(&m->files[i], out, err) != 0 || emit_source(&m->files[i], out, err) != 0)
            return -1;
    return emit_umbrella(m, out, err);
}
