/*
 * model.c - building the generator model from a CodeGeneratorRequest (see model.h).
 */
#include "model.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comments.h"
#include "names.h"
#include "strbuf.h"

static char *errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *errorf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return strdup(buf);
}

/* Whether message `rel` ("Outer.Inner") is defined in `file`. */
static bool file_defines(const Google__Protobuf__FileDescriptorProto *file, const char *rel)
{
    size_t n = file->n_message_type;
    Google__Protobuf__DescriptorProto **msgs = file->message_type;
    const char *p = rel;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        const Google__Protobuf__DescriptorProto *hit = NULL;
        for (size_t i = 0; i < n && hit == NULL; i++)
            if (strlen(msgs[i]->name) == len && strncmp(msgs[i]->name, p, len) == 0)
                hit = msgs[i];
        if (hit == NULL)
            return false;
        if (dot == NULL)
            return true;
        n = hit->n_nested_type;
        msgs = hit->nested_type;
        p = dot + 1;
    }
}

/* Resolves a fully-qualified type (".sath.v1.LoginRequest") to its protobuf-c names. */
static int resolve_type(const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                        const char *type, char **c_type, char **c_lower)
{
    if (type == NULL || type[0] != '.')
        return -1;
    for (size_t i = 0; i < req->n_proto_file; i++) {
        const Google__Protobuf__FileDescriptorProto *f = req->proto_file[i];
        const char *pkg = f->package ? f->package : "";
        size_t plen = strlen(pkg);
        const char *rel;
        if (plen == 0)
            rel = type + 1;
        else if (strncmp(type + 1, pkg, plen) == 0 && type[1 + plen] == '.')
            rel = type + 2 + plen;
        else
            continue;
        if (!file_defines(f, rel))
            continue;
        *c_type = names_pbc_type(pkg, rel);
        *c_lower = names_pbc_lower(pkg, rel);
        return (*c_type && *c_lower) ? 0 : -1;
    }
    return -1;
}

static int build_method(const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                        const Google__Protobuf__FileDescriptorProto *file, const gen_service *svc,
                        int32_t s_idx, int32_t m_idx, gen_method *gm, char **err)
{
    const Google__Protobuf__MethodDescriptorProto *md = file->service[s_idx]->method[m_idx];
    gm->name = md->name;
    if (md->client_streaming) {
        *err = errorf("%s: %s/%s is a client-streaming method; only unary and server-streaming "
                      "methods are supported", file->name, svc->full_name, md->name);
        return -1;
    }
    gm->server_streaming = md->server_streaming;
    char *oerr = NULL;
    if (options_method_read(md->options, &gm->opt, &oerr) != 0) {
        *err = errorf("%s: %s/%s: %s", file->name, svc->full_name, md->name,
                      oerr ? oerr : "out of memory");
        free(oerr);
        return -1;
    }
    if (gm->opt.is_run_token && (gm->opt.has_http || gm->opt.is_public)) {
        *err = errorf("%s: method %s/%s: a (sath.v1.run_token_method) is neither public nor "
                      "routed over REST", file->name, svc->full_name, md->name);
        return -1;
    }
    if (!gm->opt.has_http && !gm->opt.is_run_token) {
        *err = errorf("%s: method %s/%s has no (google.api.http) option; every method of the "
                      "contract needs an HTTP rule", file->name, svc->full_name, md->name);
        return -1;
    }
    if (resolve_type(req, md->input_type, &gm->input_type, &gm->input_lower) != 0 ||
        resolve_type(req, md->output_type, &gm->output_type, &gm->output_lower) != 0) {
        *err = errorf("%s: %s/%s: cannot resolve input %s or output %s", file->name,
                      svc->full_name, md->name, md->input_type, md->output_type);
        return -1;
    }
    gm->snake = names_camel_to_snake(md->name);
    gm->member = names_member(md->name);
    const int32_t path[4] = { COMMENTS_FILE_SERVICE, s_idx, COMMENTS_SERVICE_METHOD, m_idx };
    gm->comment = comments_leading(file, path, 4);
    if (gm->snake == NULL || gm->member == NULL) {
        *err = strdup("out of memory");
        return -1;
    }
    return 0;
}

/* "AuthService" -> "auth"; a name without the suffix is used whole. */
static char *short_snake(const char *name)
{
    size_t n = strlen(name);
    const size_t suffix = strlen("Service");
    char *base = (n > suffix && strcmp(name + n - suffix, "Service") == 0) ? strndup(name, n - suffix)
                                                                          : strdup(name);
    char *out = base ? names_camel_to_snake(base) : NULL;
    free(base);
    return out;
}

static int build_service(const gen_model *m, const Google__Protobuf__FileDescriptorProto *file,
                         int32_t s_idx, gen_service *gs, char **err)
{
    const Google__Protobuf__ServiceDescriptorProto *sd = file->service[s_idx];
    strbuf full = STRBUF_INIT;
    strbuf_printf(&full, "%s.%s", m->package, sd->name);
    gs->name = sd->name;
    gs->full_name = strbuf_detach(&full);
    gs->snake = names_camel_to_snake(sd->name);
    gs->upper = gs->snake ? names_upper(gs->snake) : NULL;
    gs->short_snake = short_snake(sd->name);
    const int32_t path[2] = { COMMENTS_FILE_SERVICE, s_idx };
    gs->comment = comments_leading(file, path, 2);
    if (!gs->full_name || !gs->snake || !gs->upper || !gs->short_snake) {
        *err = strdup("out of memory");
        return -1;
    }
    if (sd->n_method == 0) {
        *err = errorf("%s: service %s has no methods", file->name, gs->full_name);
        return -1;
    }
    gs->methods = calloc(sd->n_method, sizeof *gs->methods);
    if (gs->methods == NULL) {
        *err = strdup("out of memory");
        return -1;
    }
    for (size_t i = 0; i < sd->n_method; i++) {
        gs->n_methods++;
        if (build_method(m->req, file, gs, s_idx, (int32_t)i, &gs->methods[i], err) != 0)
            return -1;
    }
    return 0;
}

static const Google__Protobuf__FileDescriptorProto *
find_file(const Google__Protobuf__Compiler__CodeGeneratorRequest *req, const char *name)
{
    for (size_t i = 0; i < req->n_proto_file; i++)
        if (strcmp(req->proto_file[i]->name, name) == 0)
            return req->proto_file[i];
    return NULL;
}

static int build_file(gen_model *m, const Google__Protobuf__FileDescriptorProto *file, char **err)
{
    gen_file *gf = &m->files[m->n_files++];
    gf->proto = file;
    gf->stem = names_proto_stem(file->name);
    char *ident = gf->stem ? names_identifier(gf->stem) : NULL;
    gf->guard = ident ? names_upper(ident) : NULL;
    free(ident);
    gf->services = calloc(file->n_service, sizeof *gf->services);
    if (!gf->stem || !gf->guard || !gf->services) {
        *err = strdup("out of memory");
        return -1;
    }
    for (size_t s = 0; s < file->n_service; s++) {
        gf->n_services++;
        if (build_service(m, file, (int32_t)s, &gf->services[s], err) != 0)
            return -1;
        m->n_methods += gf->services[s].n_methods;
    }
    return 0;
}

/* "<dir>/sath.proto" would generate "<dir>/sath.sath-client.h", the umbrella header. */
static bool clashes_with_package_files(const gen_model *m, const char *proto_name)
{
    size_t n = strlen(m->dir);
    return strncmp(proto_name, m->dir, n) == 0 && strcmp(proto_name + n, "/sath.proto") == 0;
}

int model_build(const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                const char *package, gen_model *m, char **err)
{
    memset(m, 0, sizeof *m);
    *err = NULL;
    m->req = req;
    m->package = package;
    m->prefix = names_package_prefix(package);
    m->upper_prefix = m->prefix ? names_upper(m->prefix) : NULL;
    m->dir = names_package_dir(package);
    m->files = calloc(req->n_file_to_generate + 1, sizeof *m->files);
    if (!m->prefix || !m->upper_prefix || !m->dir || !m->files) {
        *err = strdup("out of memory");
        model_release(m);
        return -1;
    }
    for (size_t i = 0; i < req->n_file_to_generate; i++) {
        const Google__Protobuf__FileDescriptorProto *f = find_file(req, req->file_to_generate[i]);
        if (f == NULL) {
            *err = errorf("%s: not among the request's proto files", req->file_to_generate[i]);
            model_release(m);
            return -1;
        }
        if (f->n_service == 0 || f->package == NULL || strcmp(f->package, package) != 0)
            continue;
        if (clashes_with_package_files(m, f->name)) {
            *err = errorf("%s: the name clashes with the generated %s/sath.sath-client.h; "
                          "rename the file", f->name, m->dir);
            model_release(m);
            return -1;
        }
        if (build_file(m, f, err) != 0) {
            model_release(m);
            return -1;
        }
    }
    return 0;
}

static void release_service(gen_service *s)
{
    for (size_t i = 0; i < s->n_methods; i++) {
        gen_method *gm = &s->methods[i];
        free(gm->snake);
        free(gm->member);
        free(gm->input_type);
        free(gm->input_lower);
        free(gm->output_type);
        free(gm->output_lower);
        options_method_release(&gm->opt);
    }
    free(s->methods);
    free(s->full_name);
    free(s->snake);
    free(s->upper);
    free(s->short_snake);
}

void model_release(gen_model *m)
{
    for (size_t f = 0; f < m->n_files; f++) {
        for (size_t s = 0; s < m->files[f].n_services; s++)
            release_service(&m->files[f].services[s]);
        free(m->files[f].services);
        free(m->files[f].stem);
        free(m->files[f].guard);
    }
    free(m->files);
    free(m->prefix);
    free(m->upper_prefix);
    free(m->dir);
    memset(m, 0, sizeof *m);
}
