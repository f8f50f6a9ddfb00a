/*
 * emit_routes.c - once per package: sath/v1/routes.sath.{h,c}.
 *
 *   - <prefix>_all_methods: pointers to every method descriptor of every service, in
 *     request (file), service and method order; the REST gateway's route table.
 *   - <prefix>_file_descriptors: every FileDescriptorProto of the request (the files
 *     to generate and all their imports, dependencies first, as protoc orders them),
 *     serialized for the gRPC reflection service.  source_code_info is left out to keep
 *     the binary small; unknown fields (our custom options) are re-serialized by
 *     protobuf-c, so clients of reflection still see the HTTP rules.
 */
#include "emit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int emit_header(const gen_model *m, output *out, char **err)
{
    strbuf sb = STRBUF_INIT;
    char *pkg = emit_path("the protos of package ", m->package);
    emit_banner(&sb, "Route table (all methods) and embedded file descriptors.", pkg ? pkg : "");
    free(pkg);
    strbuf_printf(&sb, "#ifndef %s_ROUTES_SATH_H\n#define %s_ROUTES_SATH_H\n\n",
                  m->upper_prefix, m->upper_prefix);
    strbuf_append(&sb, "#include <stddef.h>\n\n#include \"sathd/registry.h\"\n\n");
    strbuf_append(&sb, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    strbuf_printf(&sb, "#define %s_N_ALL_METHODS %zu\n", m->upper_prefix, m->n_methods);
    strbuf_printf(&sb, "/* Every method of package %s, in proto order. */\n", m->package);
    strbuf_printf(&sb, "extern const sathd_method_desc *const %s_all_methods[];\n", m->prefix);
    strbuf_printf(&sb, "extern const size_t %s_n_all_methods;\n\n", m->prefix);
    strbuf_append(&sb, "/* Serialized FileDescriptorProtos of the package and all its imports,\n"
                       " * dependencies before dependents. */\n");
    strbuf_printf(&sb, "extern const sathd_file_descriptor %s_file_descriptors[];\n", m->prefix);
    strbuf_printf(&sb, "extern const size_t %s_n_file_descriptors;\n", m->prefix);
    strbuf_append(&sb, "\n#ifdef __cplusplus\n}\n#endif\n");
    strbuf_printf(&sb, "#endif /* %s_ROUTES_SATH_H */\n", m->upper_prefix);
    char *name = emit_path(m->dir, "/routes.sath.h");
    int rc = emit_finish(out, name, &sb, err);
    free(name);
    return rc;
}

static void emit_all_methods(strbuf *sb, const gen_model *m)
{
    strbuf_printf(sb, "\nconst sathd_method_desc *const %s_all_methods[] = {\n", m->prefix);
    for (size_t f = 0; f < m->n_files; f++)
        for (size_t s = 0; s < m->files[f].n_services; s++)
            for (size_t i = 0; i < m->files[f].services[s].n_methods; i++)
                strbuf_printf(sb, "    &%s_%s_methods[%zu], /* %s */\n", m->prefix,
                              m->files[f].services[s].snake, i,
                              m->files[f].services[s].methods[i].name);
    if (m->n_methods == 0)
        strbuf_append(sb, "    NULL, /* C forbids empty arrays; the count below is 0 */\n");
    strbuf_append(sb, "};\n");
    strbuf_printf(sb, "const size_t %s_n_all_methods = %s_N_ALL_METHODS;\n", m->prefix,
                  m->upper_prefix);
}

/* Writes one descriptor as a static byte array named <prefix>_fd_<index>. */
static int emit_descriptor(strbuf *sb, const gen_model *m, size_t index, char **err)
{
    Google__Protobuf__FileDescriptorProto copy = *m->req->proto_file[index];
    copy.source_code_info = NULL; /* shallow copy: the request itself stays untouched */
    size_t len = protobuf_c_message_get_packed_size(&copy.base);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL) {
        *err = strdup("out of memory while serializing descriptors");
        return -1;
    }
    protobuf_c_message_pack(&copy.base, buf);
    strbuf_append(sb, "\n/* ");
    strbuf_append_comment_safe(sb, copy.name);
    strbuf_printf(sb, " */\nstatic const uint8_t %s_fd_%zu[%zu] = {", m->prefix, index, len);
    for (size_t i = 0; i < len; i++)
        strbuf_printf(sb, "%s0x%02x,", (i % 16 == 0) ? "\n    " : " ", (unsigned)buf[i]);
    strbuf_append(sb, "\n};\n");
    free(buf);
    return 0;
}

static int emit_source(const gen_model *m, output *out, char **err)
{
    strbuf sb = STRBUF_INIT;
    char *pkg = emit_path("the protos of package ", m->package);
    emit_banner(&sb, "Route table (all methods) and embedded file descriptors.", pkg ? pkg : "");
    free(pkg);
    strbuf_printf(&sb, "#include \"%s/routes.sath.h\"\n\n#include <stdint.h>\n\n", m->dir);
    for (size_t f = 0; f < m->n_files; f++)
        strbuf_printf(&sb, "#include \"%s.sath-server.h\"\n", m->files[f].stem);
    emit_all_methods(&sb, m);
    const Google__Protobuf__Compiler__CodeGeneratorRequest *req = m->req;
    for (size_t i = 0; i < req->n_proto_file; i++)
        if (emit_descriptor(&sb, m, i, err) != 0) {
            strbuf_release(&sb);
            return -1;
        }
    strbuf_printf(&sb, "\nconst sathd_file_descriptor %s_file_descriptors[] = {\n", m->prefix);
    for (size_t i = 0; i < req->n_proto_file; i++) {
        strbuf_append(&sb, "    { .name = \"");
        strbuf_append_c_escaped(&sb, req->proto_file[i]->name);
        strbuf_printf(&sb, "\", .data = %s_fd_%zu, .len = sizeof %s_fd_%zu },\n", m->prefix, i,
                      m->prefix, i);
    }
    if (req->n_proto_file == 0)
        strbuf_append(&sb, "    { .name = NULL, .data = NULL, .len = 0 },\n");
    strbuf_append(&sb, "};\n");
    strbuf_printf(&sb, "const size_t %s_n_file_descriptors = %zu;\n", m->prefix, req->n_proto_file);
    char *name = emit_path(m->dir, "/routes.sath.c");
    int rc = emit_finish(out, name, &sb, err);
    free(name);
    return rc;
}

int emit_routes(const gen_model *m, output *out, char **err)
{
    if (emit_header(m, out, err) != 0)
        return -1;
    return emit_source(m, out, err);
}
