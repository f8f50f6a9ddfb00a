/*
 * server.c - the gRPC server on grpc core's C API; the only file of sathd_rpc that
 * drives grpc calls for unary methods (stream.c/health.c/reflection.c hold the
 * streaming glue).  Keep the grpc surface here small: the core API changes between
 * minor versions.
 *
 * Threads: N workers, each with its own completion queue registered before start.
 * Each worker keeps K requests posted per registered unary method (plus K generic ones
 * for unknown methods and a couple per streaming method: Watch, reflection, and every
 * server-streaming method of the registry, served by stream_method.c) on its queue.  When a request
 * completes, its state moves into an `active` record, the slot is re-posted at once,
 * and the handler runs synchronously in the worker; the response goes out in one batch
 * whose completion (tag = the active record) comes back through the same loop, which
 * then releases the call.  Nothing of a call lives in the arena once the batch has been
 * started, so the worker resets its arena right away.
 *
 * Tags: every tag points at a struct whose first member is an int `kind`.
 * Invariants: a slot is posted at most once; an active record is either on the free
 * list or owns a call with a batch in flight.
 */
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sathd/log.h"
#include "stream.h"
#include "wire_check.h"

enum { TAG_UNARY = 1, TAG_GENERIC, TAG_STREAM, TAG_ACTIVE, TAG_SHUTDOWN };
enum { STREAM_WATCH, STREAM_REFLECTION, STREAM_METHOD /* a registry entry that streams */ };

#define WATCH_PATH "/grpc.health.v1.Health/Watch"
#define REFLECTION_PATH "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
#define STREAM_SLOTS 2

typedef struct worker worker;

#define TRAIL_MAX 4

typedef struct slot {
    int kind;
    worker *w;
    const sathd_registry_entry *m; /* TAG_UNARY */
    void *handle;                  /* registered method; NULL for TAG_GENERIC */
    int stream;                    /* STREAM_* for TAG_STREAM */
    int posted;
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array md;
    grpc_byte_buffer *payload;
    grpc_call_details details;     /* TAG_GENERIC */
    grpc_completion_queue *bound;  /* TAG_STREAM: pluck queue handed to the stream */
} slot;

typedef struct active {
    int kind; /* TAG_ACTIVE */
    struct active *next;
    grpc_call *call;
    grpc_metadata_array md; /* keeps its capacity across calls (swapped with slots) */
    grpc_byte_buffer *send;
    grpc_slice details;
    int has_details;
    grpc_metadata rid; /* x-request-id sent back in the initial metadata */
    int has_rid;
    grpc_metadata trail[TRAIL_MAX]; /* rate-limit refusal: retry info (retry_trailers) */
    size_t n_trail;
    int later_status; /* a refusal waiting in the worker's `delayed` list */
    int64_t due_ns;
    int cancelled;
} active;

struct worker {
    sathd_rpc_server *srv;
    pthread_t thread;
    int started;
    grpc_completion_queue *cq;
    sathd_arena *arena;
    slot *slots;
    size_t n_slots;
    active *free_list;
    active *delayed;   /* rate-limit refusals to send at due_ns, earliest first */
    size_t n_delayed;
    /* calls taken but not yet released, plus one while a new call is being handled;
     * shutdown waits for 0 before destroying the server and shutting the queue down */
    atomic_int inflight;
};

struct sathd_rpc_server {
    sathd_registry *reg;
    sathd_call_env env;
    sathd_health_ctx health;
    sathd_reflection *refl;
    sathd_streams streams;
    int streams_ok;
    atomic_int stopping;
    grpc_server *server;
    grpc_completion_queue *shutdown_cq;
    void **handles; /* per registry index */
    void *watch_handle, *refl_handle;
    worker *workers;
    int n_workers;
    int calls_per_method;
    int port;
    char *addr;
    char *cert_pem, *key_pem;
    char *client_ca_pem; /* NULL: no client certificate asked for */
    size_t key_len;
    int started, shut_down;
    int no_reflection;
};

/* ---- metadata and time --------------------------------------------------------- */

const char *sathd_rpc_md_get(void *ud, sathd_call *call, const char *key)
{
    const grpc_metadata_array *md = ud;
    size_t kl = strlen(key);
    for (size_t i = 0; i < md->count; i++) {
        const grpc_metadata *e = &md->metadata[i];
        if (GRPC_SLICE_LENGTH(e->key) == kl && memcmp(GRPC_SLICE_START_PTR(e->key), key, kl) == 0)
            return sathd_call_strndup(call, (const char *)GRPC_SLICE_START_PTR(e->value),
                                      GRPC_SLICE_LENGTH(e->value));
    }
    return NULL;
}

int64_t sathd_rpc_deadline_ns(gpr_timespec d)
{
    if (d.tv_sec == INT64_MAX)
        return INT64_MAX;
    gpr_timespec left = gpr_time_sub(d, gpr_now(d.clock_type));
    if (left.tv_sec > 1000000000)
        return INT64_MAX;
    return sathd_rpc_now_ns() + left.tv_sec * 1000000000 + left.tv_nsec;
}

/* ---- posting requests -------------------------------------------------------- */

static void post(slot *s)
{
    sathd_rpc_server *srv = s->w->srv;
    if (s->posted || atomic_load(&srv->stopping))
        return;
    grpc_call_error e;
    grpc_completion_queue *cq = s->w->cq;
    if (s->kind == TAG_GENERIC)
        e = grpc_server_request_call(srv->server, &s->call, &s->details, &s->md, cq, cq, s);
    else if (s->kind == TAG_STREAM)
        e = grpc_server_request_registered_call(srv->server, s->handle, &s->call, &s->deadline,
                                                &s->md,
                                                s->stream != STREAM_REFLECTION ? &s->payload : NULL,
                                                s->bound, cq, s);
    else
        e = grpc_server_request_registered_call(srv->server, s->handle, &s->call, &s->deadline,
                                                &s->md, &s->payload, cq, cq, s);
    s->posted = e == GRPC_CALL_OK;
    if (!s->posted)
        sathd_log(SATHD_LOG_ERROR, "msg=\"cannot request call\" error=\"%s\"",
                  grpc_call_error_to_string(e));
}

/* ---- active calls -------------------------------------------------------------- */

static active *active_get(worker *w)
{
    active *a = w->free_list;
    if (a) {
        w->free_list = a->next;
        return a;
    }
    a = calloc(1, sizeof *a);
    if (a) {
        a->kind = TAG_ACTIVE;
        grpc_metadata_array_init(&a->md);
    }
    return a;
}

static void active_release(worker *w, active *a)
{
    if (a->send)
        grpc_byte_buffer_destroy(a->send);
    if (a->has_details)
        grpc_slice_unref(a->details);
    if (a->has_rid)
        grpc_slice_unref(a->rid.value);
    for (size_t i = 0; i < a->n_trail; i++)
        grpc_slice_unref(a->trail[i].value);
    a->n_trail = 0;
    if (a->call)
        grpc_call_unref(a->call);
    a->send = NULL;
    a->has_details = 0;
    a->has_rid = 0;
    a->call = NULL;
    a->md.count = 0; /* entries pointed into the call; the array's capacity is kept */
    a->next = w->free_list;
    w->free_list = a;
    atomic_fetch_sub_explicit(&w->inflight, 1, memory_order_release);
}

/* Moves the call of `s` into a fresh active record (NULL when out of memory: the call
 * is then cancelled and dropped). */
static active *take(worker *w, slot *s)
{
    active *a = active_get(w);
    if (!a) {
        grpc_call_cancel_with_status(s->call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory", NULL);
        grpc_call_unref(s->call);
        s->call = NULL;
        s->md.count = 0;
        return NULL;
    }
    atomic_fetch_add_explicit(&w->inflight, 1, memory_order_relaxed);
    grpc_metadata_array tmp = a->md;
    a->md = s->md;
    s->md = tmp;
    a->call = s->call;
    s->call = NULL;
    return a;
}

/* Sends status (+ message) and releases `a` when the batch completes. */
static void respond(worker *w, active *a, int status, const char *msg)
{
    grpc_op ops[4];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    if (msg) {
        a->details = grpc_slice_from_copied_string(msg);
        a->has_details = 1;
    }
    ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
    if (a->has_rid) {
        ops[n].data.send_initial_metadata.count = 1;
        ops[n].data.send_initial_metadata.metadata = &a->rid;
    }
    n++;
    if (a->send) {
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = a->send;
    }
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.trailing_metadata_count = a->n_trail;
    ops[n].data.send_status_from_server.trailing_metadata = a->n_trail ? a->trail : NULL;
    ops[n].data.send_status_from_server.status = (grpc_status_code)status;
    ops[n++].data.send_status_from_server.status_details = a->has_details ? &a->details : NULL;
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n++].data.recv_close_on_server.cancelled = &a->cancelled;
    grpc_call_error e = grpc_call_start_batch(a->call, ops, n, a, NULL);
    if (e != GRPC_CALL_OK) {
        sathd_log(SATHD_LOG_ERROR, "msg=\"cannot send response\" error=\"%s\"",
                  grpc_call_error_to_string(e));
        active_release(w, a);
    }
}

/* Decodes the request payload into the arena; NULL when absent or malformed (with the
 * call's error set when a string field is the reason). */
static ProtobufCMessage *decode(sathd_call *call, const sathd_method_desc *d,
                                grpc_byte_buffer *payload, sathd_arena *ar)
{
    grpc_byte_buffer_reader r;
    if (!payload || !grpc_byte_buffer_reader_init(&r, payload))
        return NULL;
    grpc_slice s = grpc_byte_buffer_reader_readall(&r); /* no copy when one slice */
    grpc_byte_buffer_reader_destroy(&r);
    ProtobufCMessage *m = NULL;
    const ProtobufCFieldDescriptor *bad = NULL;
    if (sathd_wire_check_strings(d->input, GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), &bad) == 0)
        m = protobuf_c_message_unpack(d->input, sathd_arena_allocator(ar), GRPC_SLICE_LENGTH(s),
                                      GRPC_SLICE_START_PTR(s));
    else if (bad)
        sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                         "field %s: string is not valid UTF-8 or contains NUL", bad->name);
    grpc_slice_unref(s);
    return m;
}

/* A call refused by a rate limit is answered late, by up to REFUSAL_DELAY_MS (never later
 * than its own retry-after): a client that waits for its answers before sending more -
 * every gRPC client with a bounded number of calls in flight - then floods at a small
 * fraction of the rate it could, so a storm of refused logins cannot take the CPU from
 * everybody else.  The worker keeps serving meanwhile; the refusal waits in its
 * `delayed` list (bounded: when full, refusals go out at once). */
#define REFUSAL_DELAY_MS 250
#define DELAYED_MAX 1024

static void respond(worker *w, active *a, int status, const char *msg);

static void respond_later(worker *w, active *a, int status, const char *msg,
                          int64_t retry_after_s)
{
    if (w->n_delayed >= DELAYED_MAX) {
        respond(w, a, status, msg);
        return;
    }
    int64_t delay_ms = retry_after_s * 1000 < REFUSAL_DELAY_MS ? retry_after_s * 1000
                                                                : REFUSAL_DELAY_MS;
    if (msg) {
        a->details = grpc_slice_from_copied_string(msg);
        a->has_details = 1;
    }
    a->later_status = status;
    a->due_ns = sathd_rpc_now_ns() + delay_ms * 1000000;
    active **pp = &w->delayed;
    while (*pp && (*pp)->due_ns <= a->due_ns)
        pp = &(*pp)->next;
    a->next = *pp;
    *pp = a;
    w->n_delayed++;
}

/* Sends the delayed refusals that are due. */
static void flush_delayed(worker *w)
{
    int64_t now = sathd_rpc_now_ns();
    while (w->delayed && w->delayed->due_ns <= now) {
        active *a = w->delayed;
        w->delayed = a->next;
        a->next = NULL;
        w->n_delayed--;
        respond(w, a, a->later_status, NULL); /* details were set by respond_later */
    }
}

/* How long the worker may wait for its queue: until the next delayed refusal is due. */
static gpr_timespec next_wake(const worker *w)
{
    if (!w->delayed)
        return gpr_inf_future(GPR_CLOCK_MONOTONIC);
    int64_t left = w->delayed->due_ns - sathd_rpc_now_ns();
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                        gpr_time_from_nanos(left > 0 ? left : 0, GPR_TIMESPAN));
}

/* Appends a varint to p; returns the new end. */
static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static void add_trailer(active *a, const char *key, grpc_slice value)
{
    grpc_metadata *m = &a->trail[a->n_trail++];
    memset(m, 0, sizeof *m);
    m->key = grpc_slice_from_static_string(key);
    m->value = value;
}

/* A call refused by a rate limit tells the client when to come back, as gRPC's rich
 * error model says (google.rpc.Status with a google.rpc.RetryInfo detail in
 * grpc-status-details-bin) and in plain text (retry-after, seconds) plus the limit
 * itself in the IETF header syntax (ratelimit-policy, ratelimit) for simple clients. */
static void retry_trailers(active *a, sathd_call *call, int status)
{
    const sathd_ratelimit_info *rl = sathd_call_ratelimit(call);
    if (status != SATHD_RESOURCE_EXHAUSTED || !rl || rl->retry_after_s <= 0)
        return;
    static const char type_url[] = "type.googleapis.com/google.rpc.RetryInfo";
    const char *msg = sathd_call_message(call);
    size_t mlen = msg ? strlen(msg) : 0;
    if (mlen > 512)
        mlen = 512;
    unsigned char dur[24], info[32], any[128], buf[768], *p;
    p = put_varint(dur, 0x08); /* Duration.seconds */
    p = put_varint(p, (uint64_t)rl->retry_after_s);
    size_t dlen = (size_t)(p - dur);
    p = put_varint(info, 0x0a); /* RetryInfo.retry_delay */
    p = put_varint(p, dlen);
    memcpy(p, dur, dlen), p += dlen;
    size_t ilen = (size_t)(p - info);
    p = put_varint(any, 0x0a); /* Any.type_url */
    p = put_varint(p, sizeof type_url - 1);
    memcpy(p, type_url, sizeof type_url - 1), p += sizeof type_url - 1;
    p = put_varint(p, 0x12); /* Any.value */
    p = put_varint(p, ilen);
    memcpy(p, info, ilen), p += ilen;
    size_t alen = (size_t)(p - any);
    p = put_varint(buf, 0x08); /* Status.code */
    p = put_varint(p, (uint64_t)status);
    p = put_varint(p, 0x12); /* Status.message */
    p = put_varint(p, mlen);
    memcpy(p, msg, mlen), p += mlen;
    p = put_varint(p, 0x1a); /* Status.details */
    p = put_varint(p, alen);
    memcpy(p, any, alen), p += alen;
    add_trailer(a, "grpc-status-details-bin", grpc_slice_from_copied_buffer((const char *)buf,
                                                                          (size_t)(p - buf)));
    char text[160];
    snprintf(text, sizeof text, "%lld", (long long)rl->retry_after_s);
    add_trailer(a, "retry-after", grpc_slice_from_copied_string(text));
    snprintf(text, sizeof text, "\"%s\";q=%lld;w=%lld", rl->policy, (long long)rl->quota,
             (long long)rl->window_s);
    add_trailer(a, "ratelimit-policy", grpc_slice_from_copied_string(text));
    snprintf(text, sizeof text, "\"%s\";r=%lld;t=%lld", rl->policy, (long long)rl->remaining,
             (long long)rl->reset_s);
    add_trailer(a, "ratelimit", grpc_slice_from_copied_string(text));
}

static void serve_unary(worker *w, active *a, const sathd_registry_entry *m,
                        grpc_byte_buffer *payload, gpr_timespec dl)
{
    sathd_arena *ar = w->arena;
    char *peer = grpc_call_get_peer(a->call);
    sathd_call *call = sathd_call_new(ar, &w->srv->env, m, sathd_rpc_md_get, &a->md, peer, sathd_rpc_deadline_ns(dl));
    gpr_free(peer);
    int status = SATHD_RESOURCE_EXHAUSTED;
    const char *msg = "out of memory";
    if (call) {
        ProtobufCMessage *resp = NULL;
        ProtobufCMessage *req = decode(call, m->desc, payload, ar);
        status = sathd_call_run(call, m, req, &resp);
        msg = sathd_call_message(call);
        memset(&a->rid, 0, sizeof a->rid);
        a->rid.key = grpc_slice_from_static_string("x-request-id");
        a->rid.value = grpc_slice_from_copied_string(sathd_call_request_id(call));
        a->has_rid = 1;
        retry_trailers(a, call, status);
        if (status == SATHD_OK && resp) {
            size_t size = protobuf_c_message_get_packed_size(resp);
            grpc_slice s = grpc_slice_malloc(size);
            protobuf_c_message_pack(resp, GRPC_SLICE_START_PTR(s));
            a->send = grpc_raw_byte_buffer_create(&s, 1);
            grpc_slice_unref(s);
        }
    }
    if (payload)
        grpc_byte_buffer_destroy(payload);
    const sathd_ratelimit_info *rl = call ? sathd_call_ratelimit(call) : NULL;
    if (status == SATHD_RESOURCE_EXHAUSTED && rl && rl->retry_after_s > 0)
        respond_later(w, a, status, msg, rl->retry_after_s); /* copies msg too */
    else
        respond(w, a, status, msg); /* copies msg: the arena may go now */
    sathd_arena_reset(ar);
}

/* ---- the worker loop ------------------------------------------------------------ */

static void on_unary(worker *w, slot *s)
{
    active *a = take(w, s);
    grpc_byte_buffer *payload = s->payload;
    gpr_timespec dl = s->deadline;
    s->payload = NULL;
    post(s);
    if (a)
        serve_unary(w, a, s->m, payload, dl);
    else if (payload)
        grpc_byte_buffer_destroy(payload);
}

/* The access line of an unknown method; the path is client input, so only a safe
 * subset of it is logged. */
static void log_unknown(grpc_call *call, grpc_slice method)
{
    if (!sathd_log_enabled(SATHD_LOG_INFO))
        return;
    char path[129];
    size_t n = GRPC_SLICE_LENGTH(method) < 128 ? GRPC_SLICE_LENGTH(method) : 128;
    const unsigned char *p = GRPC_SLICE_START_PTR(method);
    for (size_t i = 0; i < n; i++)
        path[i] = (isalnum(p[i]) || strchr("./_-", p[i])) && p[i] ? (char)p[i] : '_';
    path[n] = '\0';
    char *peer = grpc_call_get_peer(call);
    sathd_log(SATHD_LOG_INFO, "msg=access request_id=- method=%s peer=%s user=- status=UNIMPLEMENTED",
              n ? path : "-", peer ? peer : "-");
    gpr_free(peer);
}

static void on_generic(worker *w, slot *s)
{
    if (s->call)
        log_unknown(s->call, s->details.method);
    active *a = take(w, s);
    grpc_call_details_destroy(&s->details);
    grpc_call_details_init(&s->details);
    post(s);
    if (a)
        respond(w, a, GRPC_STATUS_UNIMPLEMENTED, "unknown method");
}

static void out_of_memory(void *arg, grpc_call *call, grpc_completion_queue *cq,
                          grpc_byte_buffer *payload)
{
    (void)arg, (void)payload;
    sathd_stream_finish(call, cq, 1, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
}

static void on_stream(worker *w, slot *s)
{
    sathd_rpc_server *srv = w->srv;
    grpc_call *call = s->call;
    grpc_completion_queue *cq = s->bound;
    grpc_byte_buffer *payload = s->payload;
    s->call = NULL;
    s->payload = NULL;
    s->bound = grpc_completion_queue_create_for_pluck(NULL);
    if (s->stream == STREAM_METHOD) {
        /* the metadata entries point into the call, which the stream now owns */
        sathd_method_stream *ms = calloc(1, sizeof *ms);
        if (ms) {
            ms->env = &srv->env;
            ms->entry = s->m;
            ms->stopping = &srv->stopping;
            ms->deadline = s->deadline;
            ms->md = s->md;
            grpc_metadata_array_init(&s->md);
        } else {
            s->md.count = 0;
        }
        post(s);
        if (sathd_streams_start(&srv->streams, ms ? sathd_method_stream_serve : out_of_memory, ms,
                                call, cq, payload) != 0)
            sathd_method_stream_free(ms);
        return;
    }
    s->md.count = 0;
    post(s);
    if (s->stream == STREAM_WATCH)
        sathd_streams_start(&srv->streams, sathd_health_watch, &srv->health, call, cq, payload);
    else
        sathd_streams_start(&srv->streams, sathd_reflection_serve, srv->refl, call, cq, payload);
}

static void *worker_main(void *p)
{
    worker *w = p;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(w->cq, next_wake(w), NULL);
        flush_delayed(w);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type != GRPC_OP_COMPLETE)
            continue;
        int kind = *(int *)ev.tag;
        if (kind == TAG_ACTIVE) {
            active_release(w, ev.tag);
            continue;
        }
        slot *s = ev.tag;
        s->posted = 0;
        if (!ev.success) { /* server shutting down: the request was not filled */
            s->md.count = 0;
            continue;
        }
        /* counted while handling, so shutdown cannot destroy the server between the
         * stopping check in post() and the request it makes */
        atomic_fetch_add(&w->inflight, 1);
        if (kind == TAG_UNARY)
            on_unary(w, s);
        else if (kind == TAG_GENERIC)
            on_generic(w, s);
        else
            on_stream(w, s);
        atomic_fetch_sub_explicit(&w->inflight, 1, memory_order_release);
    }
    while (w->delayed) { /* not expected: shutdown waits for them; never leak one */
        active *a = w->delayed;
        w->delayed = a->next;
        active_release(w, a);
    }
    return NULL;
}

/* ---- construction --------------------------------------------------------------- */

/* Whole file as a NUL-terminated string (caller frees); NULL on error. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 4096) {
            char *b = realloc(buf, cap + 65536);
            if (!b)
                break;
            buf = b;
            cap += 65536;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    int bad = ferror(f) || !buf;
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int load_tls(sathd_rpc_server *s, const sathd_rpc_opts *o, char *err, size_t errlen)
{
    if (!o->tls_cert_file && !o->tls_key_file && !o->tls_client_ca_file)
        return 0;
    if (!o->tls_cert_file || !o->tls_key_file) {
        snprintf(err, errlen, "TLS needs both a certificate and a key file");
        return -1;
    }
    size_t n;
    s->cert_pem = read_file(o->tls_cert_file, &n);
    s->key_pem = read_file(o->tls_key_file, &s->key_len);
    if (!s->cert_pem || !s->key_pem) {
        snprintf(err, errlen, "cannot read %s", s->cert_pem ? o->tls_key_file : o->tls_cert_file);
        return -1;
    }
    if (o->tls_client_ca_file && !(s->client_ca_pem = read_file(o->tls_client_ca_file, &n))) {
        snprintf(err, errlen, "cannot read %s", o->tls_client_ca_file);
        return -1;
    }
    return 0;
}

static int register_methods(sathd_rpc_server *s, char *err, size_t errlen)
{
    size_t n = sathd_registry_count(s->reg);
    s->handles = calloc(n ? n : 1, sizeof *s->handles);
    if (!s->handles) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *path = sathd_registry_at(s->reg, i)->desc->path;
        s->handles[i] = grpc_server_register_method(s->server, path, NULL,
                                                    GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
        if (!s->handles[i]) {
            snprintf(err, errlen, "cannot register %s", path);
            return -1;
        }
    }
    s->watch_handle = grpc_server_register_method(s->server, WATCH_PATH, NULL,
                                                  GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
    /* Without reflection its path is simply unknown (UNIMPLEMENTED), as on any server. */
    s->refl_handle = s->no_reflection ? NULL
                                      : grpc_server_register_method(s->server, REFLECTION_PATH, NULL,
                                                                    GRPC_SRM_PAYLOAD_NONE, 0);
    if (!s->watch_handle || (!s->refl_handle && !s->no_reflection)) {
        snprintf(err, errlen, "cannot register the streaming methods");
        return -1;
    }
    return 0;
}

static int create_grpc(sathd_rpc_server *s, const sathd_rpc_opts *o)
{
    size_t max = o->max_message_bytes ? o->max_message_bytes : 4u << 20;
    if (max > INT32_MAX)
        max = INT32_MAX;
    grpc_arg args[3];
    args[0].type = args[1].type = args[2].type = GRPC_ARG_INTEGER;
    args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
    args[0].value.integer = args[1].value.integer = (int)max;
    /* No SO_REUSEPORT: with it another process of the same user could bind our port and
     * take a share of the connections, and with port 0 grpc core binds one listener per
     * polling thread, each on a different random port. */
    args[2].key = (char *)GRPC_ARG_ALLOW_REUSEPORT;
    args[2].value.integer = 0;
    grpc_channel_args ca = {3, args};
    s->server = grpc_server_create(&ca, NULL);
    s->shutdown_cq = grpc_completion_queue_create_for_next(NULL);
    if (!s->server || !s->shutdown_cq)
        return -1;
    grpc_server_register_completion_queue(s->server, s->shutdown_cq, NULL);
    for (int i = 0; i < s->n_workers; i++) {
        worker *w = &s->workers[i];
        w->srv = s;
        atomic_init(&w->inflight, 0);
        w->cq = grpc_completion_queue_create_for_next(NULL);
        w->arena = sathd_arena_new(0);
        if (!w->cq || !w->arena)
            return -1;
        grpc_server_register_completion_queue(s->server, w->cq, NULL);
    }
    return 0;
}

sathd_rpc_server *sathd_rpc_server_new(const sathd_rpc_opts *o, sathd_registry *reg,
                                       sathd_app *app, const sathd_rpc_hooks *hooks,
                                       const sathd_file_descriptor *fds, size_t n_fds,
                                       char *err, size_t errlen)
{
    if (!o || !o->addr || !reg) {
        snprintf(err, errlen, "address and registry are required");
        return NULL;
    }
    sathd_rpc_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->reg = reg;
    s->n_workers = o->workers > 0 ? o->workers : 2;
    s->calls_per_method = o->calls_per_method > 0 ? o->calls_per_method : 4;
    s->no_reflection = o->no_reflection;
    atomic_init(&s->stopping, 0);
    s->env.app = app;
    if (hooks)
        s->env.hooks = *hooks;
    s->health = (sathd_health_ctx){reg, &s->env.hooks, &s->stopping};
    s->addr = strdup(o->addr);
    s->workers = calloc((size_t)s->n_workers, sizeof *s->workers);
    if (!s->workers)
        s->n_workers = 0; /* nothing for the cleanup to walk */
    if (!s->addr || !s->workers || sathd_streams_init(&s->streams, o->max_streams) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    s->streams_ok = 1;
    if (load_tls(s, o, err, errlen) != 0)
        goto fail;
    if (sathd_registry_lookup(reg, sathd_health_check_desc.path, strlen(sathd_health_check_desc.path))) {
        snprintf(err, errlen, "registry already serves %s (one server per registry)",
                 sathd_health_check_desc.path);
        goto fail;
    }
    if (sathd_registry_add(reg, &sathd_health_check_desc, sathd_health_check, &s->health) != 0 ||
        !(s->env.metrics = sathd_metrics_new(reg))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (!(s->refl = sathd_reflection_new(reg, fds, n_fds, err, errlen)))
        goto fail;
    if (create_grpc(s, o) != 0) {
        snprintf(err, errlen, "cannot create the grpc server");
        goto fail;
    }
    if (register_methods(s, err, errlen) != 0)
        goto fail;
    return s;
fail:
    sathd_rpc_server_free(s);
    return NULL;
}

/* ---- start ------------------------------------------------------------------------ */

static int make_slots(worker *w)
{
    sathd_rpc_server *s = w->srv;
    size_t n_reg = sathd_registry_count(s->reg), k = (size_t)s->calls_per_method, n_str = 0;
    for (size_t i = 0; i < n_reg; i++)
        n_str += (sathd_registry_at(s->reg, i)->desc->flags & SATHD_METHOD_SERVER_STREAMING) != 0;
    int n_stream = s->refl_handle ? 2 * STREAM_SLOTS : STREAM_SLOTS;
    w->n_slots = (n_reg - n_str + 1) * k + (size_t)n_stream + n_str * STREAM_SLOTS;
    w->slots = calloc(w->n_slots, sizeof *w->slots);
    if (!w->slots)
        return -1;
    size_t j = 0;
    for (size_t i = 0; i <= n_reg; i++) {
        const sathd_registry_entry *e = i < n_reg ? sathd_registry_at(s->reg, i) : NULL;
        if (e && (e->desc->flags & SATHD_METHOD_SERVER_STREAMING)) {
            for (int c = 0; c < STREAM_SLOTS; c++, j++) {
                slot *sl = &w->slots[j];
                sl->kind = TAG_STREAM;
                sl->stream = STREAM_METHOD;
                sl->m = e;
                sl->handle = s->handles[i];
                if (!(sl->bound = grpc_completion_queue_create_for_pluck(NULL)))
                    return -1;
            }
            continue;
        }
        for (size_t c = 0; c < k; c++, j++) {
            slot *sl = &w->slots[j];
            sl->kind = i < n_reg ? TAG_UNARY : TAG_GENERIC;
            sl->m = e;
            sl->handle = i < n_reg ? s->handles[i] : NULL;
        }
    }
    for (int c = 0; c < n_stream; c++, j++) {
        slot *sl = &w->slots[j];
        sl->kind = TAG_STREAM;
        sl->stream = c < STREAM_SLOTS ? STREAM_WATCH : STREAM_REFLECTION;
        sl->handle = sl->stream == STREAM_WATCH ? s->watch_handle : s->refl_handle;
        if (!(sl->bound = grpc_completion_queue_create_for_pluck(NULL)))
            return -1;
    }
    for (size_t i = 0; i < w->n_slots; i++) {
        w->slots[i].w = w;
        grpc_metadata_array_init(&w->slots[i].md);
        grpc_call_details_init(&w->slots[i].details);
    }
    return 0;
}

static grpc_server_credentials *credentials(sathd_rpc_server *s)
{
    if (!s->cert_pem)
        return grpc_insecure_server_credentials_create();
    grpc_ssl_pem_key_cert_pair pair = {s->key_pem, s->cert_pem};
    /* With client CAs, a client without a certificate they signed never gets past the
     * handshake (mutual TLS); without, no client certificate is asked for. */
    grpc_server_credentials *c = grpc_ssl_server_credentials_create_ex(
        s->client_ca_pem, &pair, 1,
        s->client_ca_pem ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                         : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
        NULL);
    /* grpc keeps its own copy; ours is no longer needed */
    sodium_memzero(s->key_pem, s->key_len);
    return c;
}

int sathd_rpc_server_start(sathd_rpc_server *s)
{
    if (!s || s->started || s->shut_down)
        return -1;
    grpc_server_credentials *creds = credentials(s);
    if (!creds)
        return -1;
    s->port = grpc_server_add_http2_port(s->server, s->addr, creds);
    grpc_server_credentials_release(creds);
    if (s->port == 0) {
        sathd_log(SATHD_LOG_ERROR, "msg=\"cannot bind\" addr=%s", s->addr);
        return -1;
    }
    for (int i = 0; i < s->n_workers; i++)
        if (make_slots(&s->workers[i]) != 0)
            return -1;
    grpc_server_start(s->server);
    s->started = 1;
    for (int i = 0; i < s->n_workers; i++) {
        worker *w = &s->workers[i];
        for (size_t j = 0; j < w->n_slots; j++)
            post(&w->slots[j]);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            sathd_log(SATHD_LOG_ERROR, "msg=\"cannot start worker\"");
            return -1;
        }
        w->started = 1;
    }
    sathd_log(SATHD_LOG_INFO, "msg=listening addr=%s port=%d tls=%s workers=%d", s->addr, s->port,
              s->client_ca_pem ? "mutual" : s->cert_pem ? "on" : "off", s->n_workers);
    return 0;
}

int sathd_rpc_server_port(const sathd_rpc_server *s) { return s->port; }
const sathd_call_env *sathd_rpc_server_env(const sathd_rpc_server *s) { return &s->env; }
sathd_metrics *sathd_rpc_server_metrics(const sathd_rpc_server *s) { return s->env.metrics; }

/* ---- shutdown ------------------------------------------------------------------------ */

static void drain_next(grpc_completion_queue *cq)
{
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN)
        ;
}

static void worker_cleanup(worker *w)
{
    for (size_t i = 0; i < w->n_slots; i++) {
        slot *sl = &w->slots[i];
        grpc_metadata_array_destroy(&sl->md);
        grpc_call_details_destroy(&sl->details);
        if (sl->bound) {
            grpc_completion_queue_shutdown(sl->bound);
            grpc_completion_queue_pluck(sl->bound, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
            grpc_completion_queue_destroy(sl->bound);
        }
    }
    free(w->slots);
    w->slots = NULL;
    for (active *a = w->free_list, *n; a; a = n) {
        n = a->next;
        grpc_metadata_array_destroy(&a->md);
        free(a);
    }
    w->free_list = NULL;
    if (w->cq)
        grpc_completion_queue_destroy(w->cq);
    w->cq = NULL;
    sathd_arena_free(w->arena);
    w->arena = NULL;
}

static void wait_server(sathd_rpc_server *s, int grace_ms)
{
    int tag = TAG_SHUTDOWN;
    grpc_server_shutdown_and_notify(s->server, s->shutdown_cq, &tag);
    gpr_timespec until = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                      gpr_time_from_millis(grace_ms > 0 ? grace_ms : 0, GPR_TIMESPAN));
    grpc_event ev = grpc_completion_queue_next(s->shutdown_cq, until, NULL);
    if (ev.type != GRPC_OP_COMPLETE) {
        sathd_log(SATHD_LOG_WARN, "msg=\"grace period over, cancelling calls\" grace_ms=%d", grace_ms);
        grpc_server_cancel_all_calls(s->server);
        grpc_completion_queue_next(s->shutdown_cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    }
}

void sathd_rpc_server_shutdown(sathd_rpc_server *s, int grace_ms)
{
    if (!s || s->shut_down)
        return;
    s->shut_down = 1;
    atomic_store(&s->stopping, 1);
    if (s->server) {
        wait_server(s, grace_ms);
        /* after cancel_all_calls the server may report shutdown while handlers still
         * run; they must not start batches on shut-down queues nor post requests to a
         * destroyed server.  Their batches fail fast, so this wait is short. */
        for (int i = 0; i < s->n_workers; i++)
            while (s->workers[i].started && atomic_load(&s->workers[i].inflight) > 0)
                usleep(1000);
        grpc_server_destroy(s->server);
        s->server = NULL;
    }
    for (int i = 0; i < s->n_workers; i++)
        if (s->workers[i].cq)
            grpc_completion_queue_shutdown(s->workers[i].cq);
    for (int i = 0; i < s->n_workers; i++) {
        worker *w = &s->workers[i];
        if (w->started)
            pthread_join(w->thread, NULL);
        else if (w->cq)
            drain_next(w->cq);
        w->started = 0;
    }
    if (s->streams_ok)
        sathd_streams_wait(&s->streams);
    for (int i = 0; i < s->n_workers; i++)
        worker_cleanup(&s->workers[i]);
    if (s->shutdown_cq) {
        drain_next(s->shutdown_cq);
        grpc_completion_queue_destroy(s->shutdown_cq);
        s->shutdown_cq = NULL;
    }
    if (s->started)
        sathd_log(SATHD_LOG_INFO, "msg=\"server stopped\" port=%d", s->port);
}

void sathd_rpc_server_free(sathd_rpc_server *s)
{
    if (!s)
        return;
    sathd_rpc_server_shutdown(s, 0);
    if (s->streams_ok)
        sathd_streams_destroy(&s->streams);
    sathd_reflection_free(s->refl);
    sathd_metrics_free(s->env.metrics);
    free(s->handles);
    free(s->workers);
    free(s->addr);
    free(s->cert_pem);
    free(s->client_ca_pem);
    if (s->key_pem)
        sodium_memzero(s->key_pem, s->key_len);
    free(s->key_pem);
    free(s);
}
