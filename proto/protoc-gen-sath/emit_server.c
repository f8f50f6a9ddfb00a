/*
 * emit_server.c - server-side code per proto file: sath/v1/<stem>.sath-server.{h,c}.
 *
 * The shape of this code is the contract in server/rpc/include/sathd/registry.h: a typed
 * handler table per service, a const sathd_method_desc array (method descriptors with
 * their HTTP rules), static adapters of type sathd_unary_fn, and a bind function that
 * adds every method to a registry.  Generated code must build clean under the
 * project's picky warnings, so it casts through `const void *` and uses designated
 * initializers throughout.
 */
#include "emit.h"

#include <stdlib.h>

static void emit_table(strbuf *sb, const gen_model *m, const gen_service *s)
{
    strbuf_printf(sb, "\n/* Handlers of %s", s->full_name);
    strbuf_append(sb, s->comment ? ":\n" : ".\n");
    emit_comment_lines(sb, "", s->comment);
    strbuf_append(sb, " * A NULL entry answers UNIMPLEMENTED. */\n");
    strbuf_printf(sb, "typedef struct %s_%s_impl {\n", m->prefix, s->snake);
    for (size_t i = 0; i < s->n_methods; i++) {
        const gen_method *gm = &s->methods[i];
        strbuf_append(sb, "    /* ");
        if (gm->opt.has_http) {
            strbuf_append_comment_safe(sb, gm->opt.verb);
            strbuf_append(sb, " ");
            strbuf_append_comment_safe(sb, gm->opt.path);
            strbuf_printf(sb, " -> %d%s\n", gm->opt.success_code,
                          gm->opt.is_public ? " (public)" : "");
        } else {
            strbuf_append(sb, "gRPC only, run token\n");
        }
        emit_comment_lines(sb, "    ", gm->comment);
        strbuf_append(sb, "     */\n");
        size_t before = sb->len;
        strbuf_printf(sb, "    int (*%s)(", gm->member);
        size_t width = sb->len - before;
        if (gm->server_streaming)
            strbuf_printf(sb, "sathd_call *call, const %s *req,\n%*ssathd_writer *out);"
                              " /* sends %s messages */\n",
                          gm->input_type, (int)width, "", gm->output_type);
        else
            strbuf_printf(sb, "sathd_call *call, const %s *req,\n%*s%s *resp);\n", gm->input_type,
                          (int)width, "", gm->output_type);
    }
    strbuf_printf(sb, "} %s_%s_impl;\n\n", m->prefix, s->snake);
    strbuf_printf(sb, "#define %s_%s_N_METHODS %zu\n", m->upper_prefix, s->upper, s->n_methods);
    strbuf_printf(sb, "extern const sathd_method_desc %s_%s_methods[%s_%s_N_METHODS];\n\n",
                  m->prefix, s->snake, m->upper_prefix, s->upper);
    strbuf_printf(sb, "/* Adds every method of %s to `reg`, dispatching to `impl` (which must\n"
                      " * outlive the registry; NULL makes every method UNIMPLEMENTED).\n"
                      " * Returns 0, or -1 when sathd_registry_add fails. */\n",
                  s->full_name);
    strbuf_printf(sb, "int %s_%s_bind(sathd_registry *reg, const %s_%s_impl *impl);\n",
                  m->prefix, s->snake, m->prefix, s->snake);
}

static int emit_header(const gen_model *m, const gen_file *f, output *out, char **err)
{
    strbuf sb = STRBUF_INIT;
    emit_banner(&sb, "Server handler tables and method descriptors.", f->proto->name);
    strbuf_printf(&sb, "#ifndef %s_SATH_SERVER_H\n#define %s_SATH_SERVER_H\n\n", f->guard, f->guard);
    strbuf_printf(&sb, "#include \"sathd/registry.h\"\n#include \"%s.pb-c.h\"\n\n", f->stem);
    strbuf_append(&sb, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n");
    for (size_t s = 0; s < f->n_services; s++)
        emit_table(&sb, m, &f->services[s]);
    strbuf_append(&sb, "\n#ifdef __cplusplus\n}\n#endif\n");
    strbuf_printf(&sb, "#endif /* %s_SATH_SERVER_H */\n", f->guard);
    char *name = emit_path(f->stem, ".sath-server.h");
    int rc = emit_finish(out, name, &sb, err);
    free(name);
    return rc;
}

static void emit_desc(strbuf *sb, const gen_service *s, const gen_method *gm)
{
    strbuf_append(sb, "    {\n");
    strbuf_printf(sb, "        .service = \"%s\",\n", s->full_name);
    strbuf_printf(sb, "        .name = \"%s\",\n", gm->name);
    strbuf_printf(sb, "        .path = \"/%s/%s\",\n", s->full_name, gm->name);
    strbuf_printf(sb, "        .input = &%s__descriptor,\n", gm->input_lower);
    strbuf_printf(sb, "        .output = &%s__descriptor,\n", gm->output_lower);
    strbuf_printf(sb, "        .flags = %s%s,\n",
                  gm->opt.is_public      ? "SATHD_METHOD_PUBLIC"
                  : gm->opt.is_run_token ? "SATHD_METHOD_RUN_TOKEN"
                                         : "0u",
                  gm->server_streaming ? " | SATHD_METHOD_SERVER_STREAMING" : "");
    if (!gm->opt.has_http) { /* gRPC only: http.verb NULL, so no route */
        strbuf_append(sb, "        .http = {.verb = NULL},\n    },\n");
        return;
    }
    strbuf_append(sb, "        .http = {\n            .verb = \"");
    strbuf_append_c_escaped(sb, gm->opt.verb);
    strbuf_append(sb, "\",\n            .path = \"");
    strbuf_append_c_escaped(sb, gm->opt.path);
    strbuf_append(sb, "\",\n            .body = \"");
    strbuf_append_c_escaped(sb, gm->opt.body);
    strbuf_append(sb, "\",\n            .response_body = \"");
    strbuf_append_c_escaped(sb, gm->opt.response_body);
    strbuf_printf(sb, "\",\n            .success_code = %d,\n        },\n    },\n",
                  gm->opt.success_code);
}

/* Every adapter's first lines: a method the service's table leaves NULL answers
 * UNIMPLEMENTED (a service may be bound before all its methods are written). */
static void emit_unimplemented_guard(strbuf *sb, const gen_model *m, const gen_service *s,
                                     const gen_method *gm)
{
    strbuf_printf(sb, "    const %s_%s_impl *table = impl;\n", m->prefix, s->snake);
    strbuf_printf(sb, "    if (table == NULL || table->%s == NULL)\n", gm->member);
    strbuf_printf(sb, "        return sathd_call_error(call, SATHD_UNIMPLEMENTED, \"%%s\",\n"
                      "                                \"%s/%s is not implemented yet\");\n",
                  s->full_name, gm->name);
}

/* The adapter checks the message types because it is the last place where a generic
 * message becomes a typed one: a runtime bug must give INTERNAL, not memory corruption. */
static void emit_stream_adapter(strbuf *sb, const gen_model *m, const gen_service *s,
                                const gen_method *gm)
{
    strbuf_printf(sb, "\nstatic int %s_%s_%s_adapter(sathd_call *call, const void *impl,\n"
                      "    const ProtobufCMessage *req, sathd_writer *out)\n{\n",
                  m->prefix, s->snake, gm->snake);
    emit_unimplemented_guard(sb, m, s, gm);
    strbuf_printf(sb, "    if (req == NULL || out == NULL || req->descriptor != &%s__descriptor)\n",
                  gm->input_lower);
    strbuf_printf(sb, "        return sathd_call_error(call, SATHD_INTERNAL, \"%%s\",\n"
                      "                                \"%s/%s: message type mismatch\");\n",
                  s->full_name, gm->name);
    strbuf_printf(sb, "    return table->%s(call, (const %s *)(const void *)req, out);\n}\n",
                  gm->member, gm->input_type);
}

static void emit_adapter(strbuf *sb, const gen_model *m, const gen_service *s, const gen_method *gm)
{
    if (gm->server_streaming) {
        emit_stream_adapter(sb, m, s, gm);
        return;
    }
    strbuf_printf(sb, "\nstatic int %s_%s_%s_adapter(sathd_call *call, const void *impl,\n"
                      "    const ProtobufCMessage *req, ProtobufCMessage *resp)\n{\n",
                  m->prefix, s->snake, gm->snake);
    emit_unimplemented_guard(sb, m, s, gm);
    strbuf_printf(sb, "    if (req == NULL || resp == NULL || req->descriptor != &%s__descriptor ||\n"
                      "        resp->descriptor != &%s__descriptor)\n",
                  gm->input_lower, gm->output_lower);
    strbuf_printf(sb, "        return sathd_call_error(call, SATHD_INTERNAL, \"%%s\",\n"
                      "                                \"%s/%s: message type mismatch\");\n",
                  s->full_name, gm->name);
    strbuf_printf(sb, "    return table->%s(call, (const %s *)(const void *)req,\n"
                      "                     (%s *)(void *)resp);\n}\n",
                  gm->member, gm->input_type, gm->output_type);
}

static void emit_service_source(strbuf *sb, const gen_model *m, const gen_service *s)
{
    strbuf_printf(sb, "\n/* ---- %s ---- */\n\n", s->full_name);
    strbuf_printf(sb, "const sathd_method_desc %s_%s_methods[%s_%s_N_METHODS] = {\n",
                  m->prefix, s->snake, m->upper_prefix, s->upper);
    for (size_t i = 0; i < s->n_methods; i++)
        emit_desc(sb, s, &s->methods[i]);
    strbuf_append(sb, "};\n");
    for (size_t i = 0; i < s->n_methods; i++)
        emit_adapter(sb, m, s, &s->methods[i]);
    strbuf_printf(sb, "\nint %s_%s_bind(sathd_registry *reg, const %s_%s_impl *impl)\n{\n",
                  m->prefix, s->snake, m->prefix, s->snake);
    for (size_t i = 0; i < s->n_methods; i++)
        strbuf_printf(sb, "    if (sathd_registry_add%s(reg, &%s_%s_methods[%zu], %s_%s_%s_adapter, impl) != 0)\n"
                          "        return -1;\n",
                      s->methods[i].server_streaming ? "_stream" : "", m->prefix, s->snake, i,
                      m->prefix, s->snake, s->methods[i].snake);
    strbuf_append(sb, "    return 0;\n}\n");
}

static int emit_source(const gen_model *m, const gen_file *f, output *out, char **err)
{
    strbuf sb = STRBUF_INIT;
    emit_banner(&sb, "Server method descriptors, adapters and bind functions.", f->proto->name);
    strbuf_printf(&sb, "#include \"%s.sath-server.h\"\n\n#include <stddef.h>\n\n"
                       "#include \"sathd/call.h\"\n",
                  f->stem);
    for (size_t s = 0; s < f->n_services; s++)
        emit_service_source(&sb, m, &f->services[s]);
    char *name = emit_path(f->stem, ".sath-server.c");
    int rc = emit_finish(out, name, &sb, err);
    free(name);
    return rc;
}

int emit_server(const gen_model *m, output *out, char **err)
{
    for (size_t i = 0; i < m->n_files; i++) {
        if (emit_header(m, &m->files[i], out, err) != 0 ||
            emit_source(m, &m->files[i], out, err) != 0)
            return -1;
    }
    return 0;
}
