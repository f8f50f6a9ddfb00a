/*
 * stream.c - threads and grpc batch helpers for streaming calls.
 *
 * A stream's grpc_call is bound to a pluck completion queue of its own (created by the
 * server when it posts the request), and that queue is only ever plucked by the stream
 * thread, never `next`ed.  The thread count is bounded by `max`; the server waits for
 * `active == 0` during shutdown before the grpc library may go away.
 */
#include "stream.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/support/time.h>
#include <stdlib.h>
#include <string.h>

#include "sathd/log.h"

typedef struct job {
    sathd_streams *st;
    sathd_stream_fn fn;
    void *arg;
    grpc_call *call;
    grpc_completion_queue *cq;
    grpc_byte_buffer *payload;
} job;

int sathd_streams_init(sathd_streams *st, int max)
{
    st->active = 0;
    st->max = max > 0 ? max : 64;
    if (pthread_mutex_init(&st->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&st->idle, NULL) != 0) {
        pthread_mutex_destroy(&st->mu);
        return -1;
    }
    return 0;
}

void sathd_streams_destroy(sathd_streams *st)
{
    pthread_cond_destroy(&st->idle);
    pthread_mutex_destroy(&st->mu);
}

static gpr_timespec deadline_in(int ms)
{
    if (ms < 0)
        return gpr_inf_future(GPR_CLOCK_MONOTONIC);
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

int sathd_stream_batch(grpc_call *call, grpc_completion_queue *cq, const grpc_op *ops, size_t n,
                       int timeout_ms)
{
    int tag_storage;
    void *tag = &tag_storage;
    if (grpc_call_start_batch(call, ops, n, tag, NULL) != GRPC_CALL_OK)
        return 0;
    grpc_event ev = grpc_completion_queue_pluck(cq, tag, deadline_in(timeout_ms), NULL);
    if (ev.type == GRPC_OP_COMPLETE)
        return ev.success;
    /* timed out: cancelling makes the batch complete promptly */
    grpc_call_cancel(call, NULL);
    grpc_completion_queue_pluck(cq, tag, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    return 0;
}

void sathd_stream_finish(grpc_call *call, grpc_completion_queue *cq, int send_initial,
                         int status, const char *message)
{
    grpc_op ops[3];
    size_t n = 0;
    int cancelled = 0;
    grpc_slice details = grpc_slice_from_copied_string(message ? message : "");
    memset(ops, 0, sizeof ops);
    if (send_initial)
        ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = (grpc_status_code)status;
    ops[n++].data.send_status_from_server.status_details = message ? &details : NULL;
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n++].data.recv_close_on_server.cancelled = &cancelled;
    sathd_stream_batch(call, cq, ops, n, 5000);
    grpc_slice_unref(details);
}

uint8_t *sathd_stream_read_all(grpc_byte_buffer *bb, sathd_arena *a, size_t *len)
{
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, bb))
        return NULL;
    size_t total = grpc_byte_buffer_length(bb);
    uint8_t *out = sathd_arena_alloc(a, total ? total : 1);
    size_t off = 0;
    grpc_slice s;
    while (grpc_byte_buffer_reader_next(&r, &s)) {
        size_t l = GRPC_SLICE_LENGTH(s);
        if (out && off + l <= total)
            memcpy(out + off, GRPC_SLICE_START_PTR(s), l);
        off += l;
        grpc_slice_unref(s);
    }
    grpc_byte_buffer_reader_destroy(&r);
    *len = off <= total ? off : 0;
    return off <= total ? out : NULL;
}

grpc_byte_buffer *sathd_stream_pack(const ProtobufCMessage *msg)
{
    size_t size = protobuf_c_message_get_packed_size(msg);
    grpc_slice s = grpc_slice_malloc(size);
    protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

static void release(grpc_call *call, grpc_completion_queue *cq, grpc_byte_buffer *payload)
{
    if (payload)
        grpc_byte_buffer_destroy(payload);
    grpc_call_unref(call);
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
           GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(cq);
}

static void *stream_main(void *p)
{
    job *j = p;
    sathd_streams *st = j->st;
    j->fn(j->arg, j->call, j->cq, j->payload);
    release(j->call, j->cq, j->payload);
    free(j);
    pthread_mutex_lock(&st->mu);
    if (--st->active == 0)
        pthread_cond_broadcast(&st->idle);
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

int sathd_streams_start(sathd_streams *st, sathd_stream_fn fn, void *arg, grpc_call *call,
                        grpc_completion_queue *cq, grpc_byte_buffer *payload)
{
    job *j = NULL;
    pthread_mutex_lock(&st->mu);
    int ok = st->active < st->max;
    if (ok)
        st->active++;
    pthread_mutex_unlock(&st->mu);
    if (ok && (j = malloc(sizeof *j)) != NULL) {
        *j = (job){st, fn, arg, call, cq, payload};
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        pthread_t t;
        int rc = pthread_create(&t, &attr, stream_main, j);
        pthread_attr_destroy(&attr);
        if (rc == 0)
            return 0;
        free(j);
    }
    if (ok) {
        pthread_mutex_lock(&st->mu);
        if (--st->active == 0)
            pthread_cond_broadcast(&st->idle);
        pthread_mutex_unlock(&st->mu);
    }
    sathd_log(SATHD_LOG_WARN, "msg=\"stream rejected\" reason=%s", ok ? "no_thread" : "limit");
    sathd_stream_finish(call, cq, 1, GRPC_STATUS_RESOURCE_EXHAUSTED, "too many concurrent streams");
    release(call, cq, payload);
    return -1;
}

void sathd_streams_wait(sathd_streams *st)
{
    pthread_mutex_lock(&st->mu);
    while (st->active > 0)
        pthread_cond_wait(&st->idle, &st->mu);
    pthread_mutex_unlock(&st->mu);
}
