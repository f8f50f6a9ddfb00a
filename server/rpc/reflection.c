/*
 * reflection.c - grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo.
 *
 * The descriptor set (serialized FileDescriptorProtos, e.g. the generated
 * sath_v1_file_descriptors) is parsed once at start-up; requests are answered from the
 * parsed form.  A file answer carries the file and all its transitive dependencies,
 * the file first, as grpc's own reflection service does.  All five request kinds are
 * answered (list_services, file_by_filename, file_containing_symbol,
 * file_containing_extension, all_extension_numbers_of_type); unknown names get a
 * NOT_FOUND error_response on the still open stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "sathd/log.h"
#include "stream.h"

typedef Google__Protobuf__FileDescriptorProto file_proto;
typedef Google__Protobuf__DescriptorProto msg_proto;
typedef Grpc__Reflection__V1alpha__ServerReflectionRequest refl_req;
typedef Grpc__Reflection__V1alpha__ServerReflectionResponse refl_resp;

struct sathd_reflection {
    const sathd_registry *reg;
    const sathd_file_descriptor *fds;
    size_t n;
    file_proto **files; /* parsed fds[i] */
};

sathd_reflection *sathd_reflection_new(const sathd_registry *reg,
                                       const sathd_file_descriptor *fds, size_t n_fds,
                                       char *err, size_t errlen)
{
    sathd_reflection *r = calloc(1, sizeof *r);
    if (!r || (n_fds && !(r->files = calloc(n_fds, sizeof *r->files)))) {
        free(r);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->reg = reg;
    r->fds = fds;
    r->n = n_fds;
    for (size_t i = 0; i < n_fds; i++) {
        r->files[i] = google__protobuf__file_descriptor_proto__unpack(NULL, fds[i].len, fds[i].data);
        if (!r->files[i]) {
            snprintf(err, errlen, "descriptor %s is not a FileDescriptorProto",
                     fds[i].name ? fds[i].name : "?");
            sathd_reflection_free(r);
            return NULL;
        }
    }
    return r;
}

void sathd_reflection_free(sathd_reflection *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        if (r->files[i])
            google__protobuf__file_descriptor_proto__free_unpacked(r->files[i], NULL);
    free(r->files);
    free(r);
}

static long file_index(const sathd_reflection *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->files[i]->name && strcmp(r->files[i]->name, name) == 0)
            return (long)i;
    return -1;
}

/* Full name scope.name into buf (scope may be ""); 0 when it does not fit. */
static int join(char *buf, size_t size, const char *scope, const char *name)
{
    int n = *scope ? snprintf(buf, size, "%s.%s", scope, name) : snprintf(buf, size, "%s", name);
    return n > 0 && (size_t)n < size;
}

/* Is `sym` one of `msgs` (in `scope`), a message or enum nested in one of them? */
static int in_messages(const char *sym, const char *scope, msg_proto **msgs, size_t n)
{
    char full[512], sub[512];
    for (size_t i = 0; i < n; i++) {
        const msg_proto *m = msgs[i];
        if (!join(full, sizeof full, scope, m->name))
            continue;
        if (strcmp(sym, full) == 0)
            return 1;
        size_t fl = strlen(full);
        if (strncmp(sym, full, fl) != 0 || sym[fl] != '.')
            continue; /* not below this message */
        for (size_t e = 0; e < m->n_enum_type; e++)
            if (join(sub, sizeof sub, full, m->enum_type[e]->name) && strcmp(sym, sub) == 0)
                return 1;
        if (in_messages(sym, full, m->nested_type, m->n_nested_type))
            return 1;
    }
    return 0;
}

/* Does file `f` define `sym` (service, method, message, enum; no leading dot)? */
static int file_has_symbol(const file_proto *f, const char *sym)
{
    const char *pkg = f->package ? f->package : "";
    char full[512], meth[512];
    for (size_t s = 0; s < f->n_service; s++) {
        const Google__Protobuf__ServiceDescriptorProto *sv = f->service[s];
        if (!join(full, sizeof full, pkg, sv->name))
            continue;
        if (strcmp(sym, full) == 0)
            return 1;
        for (size_t m = 0; m < sv->n_method; m++)
            if (join(meth, sizeof meth, full, sv->method[m]->name) && strcmp(sym, meth) == 0)
                return 1;
    }
    for (size_t e = 0; e < f->n_enum_type; e++)
        if (join(full, sizeof full, pkg, f->enum_type[e]->name) && strcmp(sym, full) == 0)
            return 1;
    return in_messages(sym, pkg, f->message_type, f->n_message_type);
}

/* Extensions of one type: with number >= 0 looks for that extension, otherwise collects
 * every number into out (when non-NULL) and counts them in n. */
typedef struct ext_query {
    const char *extendee; /* fully qualified, leading dot */
    int32_t number;
    int32_t *out;
    size_t n;
} ext_query;

static int scan_fields(Google__Protobuf__FieldDescriptorProto **f, size_t n, ext_query *q)
{
    for (size_t i = 0; i < n; i++) {
        if (!f[i]->extendee || strcmp(f[i]->extendee, q->extendee) != 0)
            continue;
        if (q->number >= 0 && f[i]->number == q->number)
            return 1;
        if (q->out)
            q->out[q->n] = f[i]->number;
        q->n++;
    }
    return 0;
}

static int scan_messages(msg_proto **m, size_t n, ext_query *q)
{
    for (size_t i = 0; i < n; i++)
        if (scan_fields(m[i]->extension, m[i]->n_extension, q) ||
            scan_messages(m[i]->nested_type, m[i]->n_nested_type, q))
            return 1;
    return 0;
}

/* 1 when file f declares the extension q looks for (number >= 0); else collects. */
static int scan_file(const file_proto *f, ext_query *q)
{
    return scan_fields(f->extension, f->n_extension, q) ||
           scan_messages(f->message_type, f->n_message_type, q);
}

/* Appends file i and its transitive imports (depth first) to `out`, once each. */
static void add_with_deps(const sathd_reflection *r, size_t i, unsigned char *seen, size_t *order,
                          size_t *n)
{
    if (seen[i])
        return;
    seen[i] = 1;
    order[(*n)++] = i;
    for (size_t d = 0; d < r->files[i]->n_dependency; d++) {
        long j = file_index(r, r->files[i]->dependency[d]);
        if (j >= 0)
            add_with_deps(r, (size_t)j, seen, order, n);
    }
}

static void set_error(refl_resp *rs, sathd_arena *a, int code, const char *msg)
{
    Grpc__Reflection__V1alpha__ErrorResponse *e = sathd_arena_alloc(a, sizeof *e);
    if (!e)
        return;
    grpc__reflection__v1alpha__error_response__init(e);
    e->error_code = code;
    e->error_message = (char *)msg;
    rs->message_response_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
    rs->error_response = e;
}

static void answer_file(const sathd_reflection *r, refl_resp *rs, sathd_arena *a, long idx)
{
    if (idx < 0) {
        set_error(rs, a, GRPC_STATUS_NOT_FOUND, "not found");
        return;
    }
    unsigned char *seen = sathd_arena_calloc(a, r->n);
    size_t *order = sathd_arena_alloc(a, r->n * sizeof *order);
    Grpc__Reflection__V1alpha__FileDescriptorResponse *fr = sathd_arena_alloc(a, sizeof *fr);
    ProtobufCBinaryData *bins = sathd_arena_alloc(a, r->n * sizeof *bins);
    if (!seen || !order || !fr || !bins) {
        set_error(rs, a, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    size_t n = 0;
    add_with_deps(r, (size_t)idx, seen, order, &n);
    for (size_t i = 0; i < n; i++) {
        bins[i].data = (uint8_t *)r->fds[order[i]].data; /* only read by pack */
        bins[i].len = r->fds[order[i]].len;
    }
    grpc__reflection__v1alpha__file_descriptor_response__init(fr);
    fr->n_file_descriptor_proto = n;
    fr->file_descriptor_proto = bins;
    rs->message_response_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
    rs->file_descriptor_response = fr;
}

static void answer_list(const sathd_reflection *r, refl_resp *rs, sathd_arena *a)
{
    size_t nreg = sathd_registry_count(r->reg), n = 0;
    const char **names = sathd_arena_alloc(a, (nreg + 2) * sizeof *names);
    if (!names) {
        set_error(rs, a, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    names[n++] = "grpc.reflection.v1alpha.ServerReflection";
    names[n++] = "grpc.health.v1.Health";
    for (size_t i = 0; i < nreg; i++) {
        const char *s = sathd_registry_at(r->reg, i)->desc->service;
        size_t k = 0;
        while (s && k < n && strcmp(names[k], s) != 0)
            k++;
        if (s && k == n)
            names[n++] = s;
    }
    Grpc__Reflection__V1alpha__ListServiceResponse *lr = sathd_arena_alloc(a, sizeof *lr);
    Grpc__Reflection__V1alpha__ServiceResponse *svc = sathd_arena_alloc(a, n * sizeof *svc);
    Grpc__Reflection__V1alpha__ServiceResponse **ptrs = sathd_arena_alloc(a, n * sizeof *ptrs);
    if (!lr || !svc || !ptrs) {
        set_error(rs, a, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    grpc__reflection__v1alpha__list_service_response__init(lr);
    for (size_t i = 0; i < n; i++) {
        grpc__reflection__v1alpha__service_response__init(&svc[i]);
        svc[i].name = (char *)names[i];
        ptrs[i] = &svc[i];
    }
    lr->n_service = n;
    lr->service = ptrs;
    rs->message_response_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
    rs->list_services_response = lr;
}

static long file_of_symbol(const sathd_reflection *r, const char *sym)
{
    if (*sym == '.')
        sym++;
    for (size_t i = 0; i < r->n; i++)
        if (file_has_symbol(r->files[i], sym))
            return (long)i;
    return -1;
}

static long file_of_extension(const sathd_reflection *r, const Grpc__Reflection__V1alpha__ExtensionRequest *e,
                              sathd_arena *a)
{
    if (!e || !e->containing_type || !*e->containing_type || e->extension_number < 0)
        return -1;
    ext_query q = {sathd_arena_alloc(a, strlen(e->containing_type) + 2), e->extension_number, NULL, 0};
    if (!q.extendee)
        return -1;
    strcpy((char *)q.extendee + 1, e->containing_type);
    *(char *)q.extendee = '.';
    for (size_t i = 0; i < r->n; i++)
        if (scan_file(r->files[i], &q))
            return (long)i;
    return -1;
}

static void answer_extension_numbers(const sathd_reflection *r, refl_resp *rs, sathd_arena *a,
                                     const char *type)
{
    if (*type == '.')
        type++;
    if (file_of_symbol(r, type) < 0) {
        set_error(rs, a, GRPC_STATUS_NOT_FOUND, "type not found");
        return;
    }
    char *dotted = sathd_arena_alloc(a, strlen(type) + 2);
    Grpc__Reflection__V1alpha__ExtensionNumberResponse *er = sathd_arena_alloc(a, sizeof *er);
    if (!dotted || !er) {
        set_error(rs, a, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    dotted[0] = '.';
    strcpy(dotted + 1, type);
    ext_query q = {dotted, -1, NULL, 0};
    for (size_t i = 0; i < r->n; i++) /* count, then fill */
        scan_file(r->files[i], &q);
    q.out = sathd_arena_alloc(a, (q.n ? q.n : 1) * sizeof *q.out);
    if (!q.out) {
        set_error(rs, a, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    q.n = 0;
    for (size_t i = 0; i < r->n; i++)
        scan_file(r->files[i], &q);
    grpc__reflection__v1alpha__extension_number_response__init(er);
    er->base_type_name = dotted + 1;
    er->n_extension_number = q.n;
    er->extension_number = q.out;
    rs->message_response_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
    rs->all_extension_numbers_response = er;
}

static void answer(const sathd_reflection *r, const refl_req *rq, refl_resp *rs, sathd_arena *a)
{
    rs->valid_host = rq->host;
    rs->original_request = (refl_req *)rq;
    switch (rq->message_request_case) {
    case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
        answer_list(r, rs, a);
        break;
    case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
        answer_file(r, rs, a, file_index(r, rq->file_by_filename));
        break;
    case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
        answer_file(r, rs, a, file_of_symbol(r, rq->file_containing_symbol));
        break;
    case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
        answer_file(r, rs, a, file_of_extension(r, rq->file_containing_extension, a));
        break;
    case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
        answer_extension_numbers(r, rs, a, rq->all_extension_numbers_of_type);
        break;
    default:
        set_error(rs, a, GRPC_STATUS_UNIMPLEMENTED, "request type not supported");
        break;
    }
}

/* One request/response exchange; 0 when the stream ended (half-close or error). */
static int exchange(const sathd_reflection *r, grpc_call *call, grpc_completion_queue *cq,
                    sathd_arena *a, int *first)
{
    grpc_byte_buffer *in = NULL;
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &in;
    if (!sathd_stream_batch(call, cq, &op, 1, -1) || !in)
        return 0;
    size_t len = 0;
    uint8_t *data = sathd_stream_read_all(in, a, &len);
    grpc_byte_buffer_destroy(in);
    refl_req *rq = data ? grpc__reflection__v1alpha__server_reflection_request__unpack(
                              sathd_arena_allocator(a), len, data)
                        : NULL;
    if (!rq)
        return -1;
    refl_resp rs = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__INIT;
    answer(r, rq, &rs, a);
    grpc_byte_buffer *out = sathd_stream_pack(&rs.base);
    grpc_op ops[2];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    if (*first)
        ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = out;
    int ok = sathd_stream_batch(call, cq, ops, n, 30000);
    grpc_byte_buffer_destroy(out);
    *first = 0;
    return ok ? 1 : -2;
}

void sathd_reflection_serve(void *arg, grpc_call *call, grpc_completion_queue *cq,
                            grpc_byte_buffer *payload)
{
    (void)payload; /* registered without initial payload: requests are read here */
    const sathd_reflection *r = arg;
    sathd_arena *a = sathd_arena_new(0);
    if (!a) {
        sathd_stream_finish(call, cq, 1, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    int first = 1, rc;
    while ((rc = exchange(r, call, cq, a, &first)) == 1)
        sathd_arena_reset(a);
    sathd_arena_free(a);
    if (rc == -1)
        sathd_stream_finish(call, cq, first, GRPC_STATUS_INVALID_ARGUMENT,
                            "malformed request message");
    else
        sathd_stream_finish(call, cq, first, GRPC_STATUS_OK, NULL);
}
