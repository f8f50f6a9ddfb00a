/*
 * stream_method.c - server-streaming methods of the registry over gRPC: the thread body
 * that runs the interceptor chain and the handler with a sathd_writer that sends each
 * message as it comes, then the status as the trailer.
 *
 * Invariants: only this thread plucks the call's queue.  A RECV_CLOSE_ON_SERVER batch is
 * started first, so "has the client gone" is a zero-timeout pluck of its tag
 * (sathd_writer_alive); the trailer is sent once, after the handler returned.
 */
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"
#include "wire_check.h"

#define SEND_TIMEOUT_MS 30000 /* a client that reads nothing for this long is dropped */

typedef struct gwriter {
    grpc_call *call;
    grpc_completion_queue *cq;
    const atomic_int *stopping;
    int64_t deadline_ns;
    int sent_initial;
    int closed; /* RECV_CLOSE_ON_SERVER completed */
    int broken; /* a send failed */
    int cancelled;
    int close_tag;
} gwriter;

static int g_send(void *ud, const ProtobufCMessage *msg)
{
    gwriter *g = ud;
    if (g->broken || g->closed)
        return -1;
    grpc_byte_buffer *bb = sathd_stream_pack(msg);
    if (!bb)
        return -1;
    grpc_op ops[2];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    if (!g->sent_initial)
        ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = bb;
    int ok = sathd_stream_batch(g->call, g->cq, ops, n, SEND_TIMEOUT_MS);
    grpc_byte_buffer_destroy(bb);
    g->sent_initial = 1;
    if (!ok)
        g->broken = 1;
    return ok ? 0 : -1;
}

static int g_alive(void *ud)
{
    gwriter *g = ud;
    if (g->broken || g->closed || atomic_load_explicit(g->stopping, memory_order_relaxed))
        return 0;
    if (g->deadline_ns != INT64_MAX && sathd_rpc_now_ns() >= g->deadline_ns)
        return 0;
    grpc_event ev = grpc_completion_queue_pluck(g->cq, &g->close_tag, gpr_time_0(GPR_CLOCK_MONOTONIC), NULL);
    if (ev.type == GRPC_OP_COMPLETE)
        g->closed = 1;
    return !g->closed;
}

void sathd_method_stream_free(sathd_method_stream *ms)
{
    if (!ms)
        return;
    grpc_metadata_array_destroy(&ms->md);
    free(ms);
}

void sathd_method_stream_serve(void *arg, grpc_call *call, grpc_completion_queue *cq,
                               grpc_byte_buffer *payload)
{
    sathd_method_stream *ms = arg;
    gwriter g = {.call = call, .cq = cq, .stopping = ms->stopping,
                 .deadline_ns = sathd_rpc_deadline_ns(ms->deadline)};
    grpc_op close_op;
    memset(&close_op, 0, sizeof close_op);
    close_op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    close_op.data.recv_close_on_server.cancelled = &g.cancelled;
    if (grpc_call_start_batch(call, &close_op, 1, &g.close_tag, NULL) != GRPC_CALL_OK)
        g.closed = 1;
    /* headers at once: a client learns the stream began before the first message */
    grpc_op init_op;
    memset(&init_op, 0, sizeof init_op);
    init_op.op = GRPC_OP_SEND_INITIAL_METADATA;
    if (!g.closed && sathd_stream_batch(call, cq, &init_op, 1, 5000))
        g.sent_initial = 1;
    sathd_arena *ar = sathd_arena_new(0);
    char *peer = grpc_call_get_peer(call);
    sathd_call *c = ar ? sathd_call_new(ar, ms->env, ms->entry, sathd_rpc_md_get, &ms->md, peer, g.deadline_ns)
                       : NULL;
    gpr_free(peer);
    int status = SATHD_RESOURCE_EXHAUSTED;
    const char *msg = "out of memory";
    if (c) {
        ProtobufCMessage *req = NULL;
        size_t len = 0;
        uint8_t *bytes = payload ? sathd_stream_read_all(payload, ar, &len) : NULL;
        const ProtobufCFieldDescriptor *bad = NULL;
        if (bytes && sathd_wire_check_strings(ms->entry->desc->input, bytes, len, &bad) == 0)
            req = protobuf_c_message_unpack(ms->entry->desc->input, sathd_arena_allocator(ar), len, bytes);
        else if (bad)
            sathd_call_error(c, SATHD_INVALID_ARGUMENT,
                             "field %s: string is not valid UTF-8 or contains NUL", bad->name);
        sathd_writer w = {g_send, g_alive, &g};
        status = sathd_call_run_stream(c, ms->entry, req, &w);
        msg = sathd_call_message(c);
    }
    if (!g.closed) {
        grpc_op ops[2];
        size_t n = 0;
        memset(ops, 0, sizeof ops);
        grpc_slice details = grpc_slice_from_copied_string(msg ? msg : "");
        if (!g.sent_initial)
            ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
        ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
        ops[n].data.send_status_from_server.status = (grpc_status_code)status;
        ops[n++].data.send_status_from_server.status_details = msg ? &details : NULL;
        sathd_stream_batch(call, cq, ops, n, 5000);
        grpc_slice_unref(details);
    }
    /* the close batch completes once the status went out (or the call died) */
    if (!g.closed)
        grpc_completion_queue_pluck(cq, &g.close_tag, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    if (ar)
        sathd_arena_free(ar);
    sathd_method_stream_free(ms);
}
