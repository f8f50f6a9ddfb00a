/*
 * gateway_stream.c - server-streaming methods over REST: newline-delimited JSON in
 * grpc-gateway's format, one {"result": <message>} object a line, and {"error":
 * <google.rpc.Status>} as the last line when the stream fails after it began.
 *
 * The handler runs on a thread of its own (it may wait for minutes); its messages go
 * into a bounded buffer that libmicrohttpd drains through a content-reader callback.
 * When the buffer is empty the reader suspends the connection, and the producer resumes
 * it on the next message, so a waiting stream holds no gateway thread.  Before the first
 * message (or for 250 ms) the answer is not committed: a stream that fails at once
 * (UNAUTHENTICATED, INVALID_ARGUMENT) gets the ordinary JSON error and HTTP status.
 *
 * Lifetime: a stream is shared by the producer thread and the MHD response (refcount);
 * the producer works in its own arena with its own copies of the request, metadata and
 * peer, since the connection's arena goes when the response completes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "gateway_internal.h"
#include "sathd/pbjson.h"
#include "sathd/rpc.h"
#include "transcode.h"

#define BUF_HIGH (1u << 20) /* the producer waits while this much is unsent */
#define COMMIT_WAIT_MS 250

typedef struct gw_stream gw_stream;

struct sathd_gw_streams {
    pthread_mutex_t mu;
    pthread_cond_t idle;
    gw_stream *live;
    int stopping;
};

struct gw_stream {
    sathd_gw_streams *all;
    gw_stream *next;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;
    struct MHD_Connection *conn;
    int suspended, finished, closed, committed;
    char *buf;
    size_t len, off, cap;
    size_t n_msgs;
    int status;
    char *message; /* malloc'd, final */
    sathd_arena *arena;
    sathd_gw_call call;
    sathd_gw_backend backend;
};

int sathd_gw_streams_new(sathd_gateway *g)
{
    sathd_gw_streams *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->idle, NULL);
    g->streams = s;
    return 0;
}

static void stream_unref(gw_stream *s)
{
    pthread_mutex_lock(&s->mu);
    int left = --s->refs;
    pthread_mutex_unlock(&s->mu);
    if (left > 0)
        return;
    sathd_gw_streams *all = s->all;
    pthread_mutex_lock(&all->mu);
    for (gw_stream **p = &all->live; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    if (!all->live)
        pthread_cond_broadcast(&all->idle);
    pthread_mutex_unlock(&all->mu);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->buf);
    free(s->message);
    sathd_arena_free(s->arena);
    free(s);
}

/* Appends bytes; the caller holds s->mu. */
static int append(gw_stream *s, const char *p, size_t n)
{
    if (s->off && s->off == s->len)
        s->off = s->len = 0;
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n)
            cap *= 2;
        char *nb = realloc(s->buf, cap);
        if (!nb)
            return -1;
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    return 0;
}

/* The connection may be suspended waiting for bytes: wake it.  Caller holds s->mu. */
static void wake(gw_stream *s)
{
    if (s->suspended && !s->closed) {
        s->suspended = 0;
        MHD_resume_connection(s->conn);
    }
    pthread_cond_broadcast(&s->cv);
}

static int w_alive(void *ud)
{
    gw_stream *s = ud;
    pthread_mutex_lock(&s->all->mu);
    int stopping = s->all->stopping;
    pthread_mutex_unlock(&s->all->mu);
    pthread_mutex_lock(&s->mu);
    int closed = s->closed;
    pthread_mutex_unlock(&s->mu);
    if (stopping || closed)
        return 0;
    return s->call.deadline_ns == INT64_MAX || sathd_rpc_now_ns() < s->call.deadline_ns;
}

static int w_send(void *ud, const ProtobufCMessage *msg)
{
    gw_stream *s = ud;
    json_t *j = sathd_pbjson_encode(msg, 0);
    json_t *o = j ? json_pack("{s:o}", "result", j) : NULL;
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!line)
        return -1;
    pthread_mutex_lock(&s->mu);
    while (!s->closed && s->len - s->off > BUF_HIGH) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    int rc = s->closed ? -1 : 0;
    if (rc == 0 && (append(s, line, strlen(line)) != 0 || append(s, "\n", 1) != 0))
        rc = -1;
    if (rc == 0)
        s->n_msgs++;
    wake(s);
    pthread_mutex_unlock(&s->mu);
    free(line);
    return rc;
}

static void *producer(void *arg)
{
    gw_stream *s = arg;
    sathd_writer w = {w_send, w_alive, s};
    int st = s->backend.invoke_stream(s->backend.ud, &s->call, &w);
    pthread_mutex_lock(&s->mu);
    s->status = st;
    s->message = strdup(s->call.message ? s->call.message : sathd_status_name(st));
    if (st != SATHD_OK && s->committed) {
        size_t len = 0;
        char *err = sathd_gw_error_json(s->arena, st, s->message, &len);
        if (err) {
            append(s, "{\"error\":", 9);
            append(s, err, len);
            append(s, "}\n", 2);
        }
    }
    s->finished = 1;
    wake(s);
    pthread_mutex_unlock(&s->mu);
    stream_unref(s);
    return NULL;
}

static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    gw_stream *s = cls;
    pthread_mutex_lock(&s->mu);
    ssize_t n;
    if (s->len > s->off) {
        size_t k = s->len - s->off < max ? s->len - s->off : max;
        memcpy(out, s->buf + s->off, k);
        s->off += k;
        pthread_cond_broadcast(&s->cv); /* room for a waiting producer */
        n = (ssize_t)k;
    } else if (s->finished) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        s->suspended = 1;
        MHD_suspend_connection(s->conn);
        n = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void reader_done(void *cls)
{
    gw_stream *s = cls;
    pthread_mutex_lock(&s->mu);
    s->closed = 1;
    s->suspended = 0;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    stream_unref(s);
}

static char *adup(sathd_arena *a, const char *str)
{
    size_t n = strlen(str) + 1;
    char *d = sathd_arena_alloc(a, n);
    if (d)
        memcpy(d, str, n);
    return d;
}

/* Copies what the producer needs out of the connection's arena. */
static int prepare(gw_stream *s, const sathd_method_desc *m, const ProtobufCMessage *msg,
                   const sathd_gw_md *md, size_t n_md, const char *peer, int64_t deadline_ns)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *bytes = sathd_arena_alloc(s->arena, len ? len : 1);
    sathd_gw_md *mine = sathd_arena_calloc(s->arena, (n_md + 1) * sizeof *mine);
    char *p = adup(s->arena, peer ? peer : "-");
    if (!bytes || !mine || !p)
        return -1;
    protobuf_c_message_pack(msg, bytes);
    s->call.req = protobuf_c_message_unpack(m->input, sathd_arena_allocator(s->arena), len, bytes);
    for (size_t i = 0; i < n_md; i++) {
        mine[i].key = adup(s->arena, md[i].key);
        mine[i].value = adup(s->arena, md[i].value);
        if (!mine[i].key || !mine[i].value)
            return -1;
    }
    s->call.method = m;
    s->call.md = mine;
    s->call.n_md = n_md;
    s->call.peer = p;
    s->call.deadline_ns = deadline_ns;
    s->call.arena = s->arena;
    return s->call.req ? 0 : -1;
}

/* Waits (s->mu held) for the first message or the end, at most COMMIT_WAIT_MS, so an
 * early error is answered plainly. */
static void wait_first(gw_stream *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += COMMIT_WAIT_MS * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    while (!s->finished && s->n_msgs == 0)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) != 0)
            break;
}

enum MHD_Result sathd_gw_stream(const sathd_gateway *g, struct MHD_Connection *conn,
                                const sathd_gw_req *rq, const sathd_method_desc *m,
                                const ProtobufCMessage *msg, const sathd_gw_md *md, size_t n_md,
                                const char *peer, int64_t deadline_ns)
{
    if (!g->backend.invoke_stream)
        return sathd_gw_send_error(g, conn, rq, SATHD_UNIMPLEMENTED,
                                   "this gateway cannot forward streams");
    gw_stream *s = calloc(1, sizeof *s);
    if (!s || !(s->arena = sathd_arena_new(0)) ||
        prepare(s, m, msg, md, n_md, peer, deadline_ns) != 0) {
        if (s)
            sathd_arena_free(s->arena);
        free(s);
        return sathd_gw_send_error(g, conn, rq, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->all = g->streams;
    s->conn = conn;
    s->backend = g->backend;
    s->refs = 2; /* producer + this function (then the response) */
    pthread_mutex_lock(&s->all->mu);
    int stopping = s->all->stopping;
    if (!stopping) {
        s->next = s->all->live;
        s->all->live = s;
    }
    pthread_mutex_unlock(&s->all->mu);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int started = !stopping && pthread_create(&t, &attr, producer, s) == 0;
    pthread_attr_destroy(&attr);
    if (!started) {
        s->refs = 1;
        if (stopping) { /* never listed: free by hand */
            s->refs = 0;
            pthread_mutex_destroy(&s->mu);
            pthread_cond_destroy(&s->cv);
            sathd_arena_free(s->arena);
            free(s);
        } else {
            stream_unref(s);
        }
        return sathd_gw_send_error(g, conn, rq, SATHD_UNAVAILABLE, "cannot start the stream");
    }
    pthread_mutex_lock(&s->mu);
    wait_first(s);
    if (s->finished && s->n_msgs == 0) {
        int st = s->status;
        char *text = adup(rq->arena, s->message ? s->message : "");
        pthread_mutex_unlock(&s->mu);
        stream_unref(s);
        if (st != SATHD_OK)
            return sathd_gw_send_error(g, conn, rq, st, text);
        return sathd_gw_send(g, conn, rq, 200, NULL, NULL, 0, NULL);
    }
    s->committed = 1;
    pthread_mutex_unlock(&s->mu);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, reader,
                                                               s, reader_done);
    if (!r) {
        pthread_mutex_lock(&s->mu);
        s->closed = 1;
        pthread_mutex_unlock(&s->mu);
        stream_unref(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    sathd_gw_common_headers(r, rq);
    /* a quiet bot must not look like an idle connection */
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
    enum MHD_Result rc = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r); /* reader_done runs when MHD lets go of it */
    return rc;
}

void sathd_gw_streams_stop(sathd_gateway *g)
{
    sathd_gw_streams *all = g->streams;
    if (!all)
        return;
    pthread_mutex_lock(&all->mu);
    all->stopping = 1;
    /* handlers notice within a second (sathd_writer_alive); wait for them, bounded */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 5;
    while (all->live)
        if (pthread_cond_timedwait(&all->idle, &all->mu, &ts) != 0)
            break;
    int left = all->live != NULL;
    pthread_mutex_unlock(&all->mu);
    if (!left) {
        pthread_mutex_destroy(&all->mu);
        pthread_cond_destroy(&all->idle);
        free(all);
        g->streams = NULL;
    }
}
