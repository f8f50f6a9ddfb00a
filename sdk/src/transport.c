/*
 * transport.c - unary calls over gRPC core's C API (grpc 1.51).
 *
 * Every grpc_* call of the SDK is in this file (see transport.h for why).  A call runs
 * on its own pluck completion queue: one batch sends the initial metadata, the message and
 * the half-close and receives the initial metadata, the message and the status; the
 * thread plucks that one tag, so concurrent calls never see each other's events.  The
 * deadline is on the call itself, so the pluck waits without a timeout and always ends.
 */
#include "transport.h"

#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "sath/error.h"
#include "sath/version.h"

struct sath__channel {
    grpc_channel *channel;
};

void sath__transport_acquire(void)
{
    grpc_init();
}

void sath__transport_release(void)
{
    grpc_shutdown();
}

int sath__channel_new(const char *target, int tls, const char *root_pem, sath__channel **out)
{
    sath__channel *ch = calloc(1, sizeof *ch);
    if (!ch)
        return SATH_ENOMEM;
    grpc_channel_credentials *creds = tls ? grpc_ssl_credentials_create(root_pem, NULL, NULL, NULL)
                                          : grpc_insecure_credentials_create();
    if (!creds) {
        free(ch);
        return tls ? SATH_ETLS : SATH_ENOMEM;
    }
    grpc_arg arg[2];
    arg[0].type = GRPC_ARG_STRING;
    arg[0].key = (char *)GRPC_ARG_PRIMARY_USER_AGENT_STRING;
    arg[0].value.string = (char *)"sathclient/" SATH_VERSION_STRING;
    /* One sath_client, one connection: gRPC core would otherwise share a subchannel (and
     * so one TCP connection) among every channel to the same target in the process. */
    arg[1].type = GRPC_ARG_INTEGER;
    arg[1].key = (char *)GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL;
    arg[1].value.integer = 1;
    grpc_channel_args args = {2, arg};
    ch->channel = grpc_channel_create(target, creds, &args);
    grpc_channel_credentials_release(creds);
    if (!ch->channel) {
        free(ch);
        return SATH_ENOMEM;
    }
    *out = ch;
    return SATH_OK;
}

void sath__channel_free(sath__channel *ch)
{
    if (!ch)
        return;
    grpc_channel_destroy(ch->channel);
    free(ch);
}

int sath__md_legal(const char *key, const char *value)
{
    grpc_slice k = grpc_slice_from_static_string(key);
    grpc_slice v = grpc_slice_from_static_string(value);
    return grpc_header_key_is_legal(k) && grpc_header_nonbin_value_is_legal(v);
}

static char *slice_to_string(grpc_slice s)
{
    size_t n = GRPC_SLICE_LENGTH(s);
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, GRPC_SLICE_START_PTR(s), n);
        out[n] = '\0';
    }
    return out;
}

/* Appends the pairs of `arr` to rpc->resp_md; SATH_ENOMEM on failure. */
static int collect_md(sath__rpc *rpc, const grpc_metadata_array *arr)
{
    if (arr->count == 0)
        return SATH_OK;
    sath__md *grown = realloc(rpc->resp_md, (rpc->n_resp_md + arr->count) * sizeof *grown);
    if (!grown)
        return SATH_ENOMEM;
    rpc->resp_md = grown;
    for (size_t i = 0; i < arr->count; i++) {
        sath__md *m = &rpc->resp_md[rpc->n_resp_md];
        m->key = slice_to_string(arr->metadata[i].key);
        m->value = slice_to_string(arr->metadata[i].value);
        rpc->n_resp_md++;
        if (!m->key || !m->value)
            return SATH_ENOMEM;
    }
    return SATH_OK;
}

static int read_message(grpc_byte_buffer *bb, sath__rpc *rpc)
{
    grpc_byte_buffer_reader reader;
    if (!grpc_byte_buffer_reader_init(&reader, bb))
        return SATH_EPROTO;
    grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    size_t n = GRPC_SLICE_LENGTH(all);
    rpc->resp = malloc(n ? n : 1);
    if (rpc->resp) {
        memcpy(rpc->resp, GRPC_SLICE_START_PTR(all), n);
        rpc->resp_len = n;
    }
    grpc_slice_unref(all);
    return rpc->resp ? SATH_OK : SATH_ENOMEM;
}

static gpr_timespec deadline_of(int64_t timeout_ms)
{
    if (timeout_ms <= 0)
        return gpr_inf_future(GPR_CLOCK_REALTIME);
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
}

/* Everything one call owns, so a single cleanup path releases it. */
typedef struct call_state {
    grpc_completion_queue *cq;
    grpc_call *call;
    grpc_metadata *send_md;
    size_t n_send_md;
    grpc_byte_buffer *send_bb;
    grpc_byte_buffer *recv_bb;
    grpc_metadata_array recv_initial;
    grpc_metadata_array recv_trailing;
    grpc_status_code status;
    grpc_slice details;
    const char *error_string;
} call_state;

static void call_state_release(call_state *s)
{
    for (size_t i = 0; i < s->n_send_md; i++) {
        grpc_slice_unref(s->send_md[i].key);
        grpc_slice_unref(s->send_md[i].value);
    }
    free(s->send_md);
    if (s->send_bb)
        grpc_byte_buffer_destroy(s->send_bb);
    if (s->recv_bb)
        grpc_byte_buffer_destroy(s->recv_bb);
    grpc_metadata_array_destroy(&s->recv_initial);
    grpc_metadata_array_destroy(&s->recv_trailing);
    grpc_slice_unref(s->details);
    gpr_free((void *)s->error_string);
    if (s->call)
        grpc_call_unref(s->call);
    if (s->cq) {
        grpc_completion_queue_shutdown(s->cq);
        grpc_completion_queue_destroy(s->cq);
    }
}

static int prepare(call_state *s, const sath__rpc *rpc)
{
    s->send_md = calloc(rpc->n_md ? rpc->n_md : 1, sizeof *s->send_md);
    if (!s->send_md)
        return SATH_ENOMEM;
    for (; s->n_send_md < rpc->n_md; s->n_send_md++) {
        s->send_md[s->n_send_md].key = grpc_slice_from_copied_string(rpc->md[s->n_send_md].key);
        s->send_md[s->n_send_md].value = grpc_slice_from_copied_string(rpc->md[s->n_send_md].value);
    }
    grpc_slice payload = grpc_slice_from_copied_buffer((const char *)rpc->req, rpc->req_len);
    s->send_bb = grpc_raw_byte_buffer_create(&payload, 1);
    grpc_slice_unref(payload);
    s->cq = grpc_completion_queue_create_for_pluck(NULL);
    return s->send_bb && s->cq ? SATH_OK : SATH_ENOMEM;
}

static void fill_ops(grpc_op ops[6], call_state *s)
{
    memset(ops, 0, 6 * sizeof ops[0]);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = s->n_send_md;
    ops[0].data.send_initial_metadata.metadata = s->send_md;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = s->send_bb;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &s->recv_initial;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &s->recv_bb;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &s->recv_trailing;
    ops[5].data.recv_status_on_client.status = &s->status;
    ops[5].data.recv_status_on_client.status_details = &s->details;
    ops[5].data.recv_status_on_client.error_string = &s->error_string;
}

static int finish(call_state *s, sath__rpc *rpc)
{
    rpc->status = (int)s->status;
    rpc->status_message = slice_to_string(s->details);
    if (!rpc->status_message)
        return SATH_ENOMEM;
    int rc = collect_md(rpc, &s->recv_initial);
    if (rc == SATH_OK)
        rc = collect_md(rpc, &s->recv_trailing);
    if (rc == SATH_OK && s->recv_bb)
        rc = read_message(s->recv_bb, rpc);
    return rc;
}

/* Initialises *s (always: call_state_release() follows either way) and starts the
 * grpc call of rpc on `ch` (with its own completion queue). */
static int start_call(sath__channel *ch, call_state *s, const sath__rpc *rpc)
{
    memset(s, 0, sizeof *s);
    grpc_metadata_array_init(&s->recv_initial);
    grpc_metadata_array_init(&s->recv_trailing);
    s->details = grpc_empty_slice();
    int rc = prepare(s, rpc);
    if (rc == SATH_OK) {
        /* The call takes its own reference on the method slice. */
        grpc_slice method = grpc_slice_from_copied_string(rpc->path);
        s->call = grpc_channel_create_call(ch->channel, NULL, GRPC_PROPAGATE_DEFAULTS, s->cq, method,
                                           NULL, deadline_of(rpc->timeout_ms), NULL);
        grpc_slice_unref(method);
        rc = s->call ? SATH_OK : SATH_ETRANSPORT;
    }
    return rc;
}

int sath__channel_unary(sath__channel *ch, sath__rpc *rpc)
{
    call_state s;

    int rc = start_call(ch, &s, rpc);
    if (rc == SATH_OK) {
        grpc_op ops[6];
        fill_ops(ops, &s);
        if (grpc_call_start_batch(s.call, ops, 6, &s, NULL) != GRPC_CALL_OK) {
            rc = SATH_ETRANSPORT;
        } else {
            grpc_event ev = grpc_completion_queue_pluck(s.cq, &s, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
            rc = ev.type == GRPC_OP_COMPLETE && ev.success ? finish(&s, rpc) : SATH_ETRANSPORT;
        }
    }
    call_state_release(&s);
    return rc;
}

/* Starts `ops` and waits for them (tag = the ops array). */
static int run_batch(call_state *s, grpc_op *ops, size_t n)
{
    if (grpc_call_start_batch(s->call, ops, n, ops, NULL) != GRPC_CALL_OK)
        return 0;
    grpc_event ev = grpc_completion_queue_pluck(s->cq, ops, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    return ev.type == GRPC_OP_COMPLETE && ev.success;
}

/* Like run_batch, but asks `alive` every second while waiting; cancels the call when it
 * says 0 (the batch then completes, unsuccessfully). */
static int run_batch_watched(call_state *s, grpc_op *ops, size_t n, sath__stream_alive_fn alive,
                             void *arg, int *cancelled)
{
    if (grpc_call_start_batch(s->call, ops, n, ops, NULL) != GRPC_CALL_OK)
        return 0;
    for (;;) {
        gpr_timespec when = alive ? gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                                 gpr_time_from_millis(1000, GPR_TIMESPAN))
                                  : gpr_inf_future(GPR_CLOCK_REALTIME);
        grpc_event ev = grpc_completion_queue_pluck(s->cq, ops, when, NULL);
        if (ev.type == GRPC_OP_COMPLETE)
            return ev.success;
        if (ev.type == GRPC_QUEUE_TIMEOUT && !*cancelled && !alive(arg)) {
            grpc_call_cancel(s->call, NULL);
            *cancelled = 1;
        }
    }
}

int sath__channel_server_stream(sath__channel *ch, sath__rpc *rpc, sath__stream_msg_fn on_msg,
                                sath__stream_alive_fn alive, void *arg, size_t *n_msgs)
{
    call_state s;
    *n_msgs = 0;
    int rc = start_call(ch, &s, rpc), cancelled = 0;
    /* the initial metadata may only come with the first message, or the end: its batch
     * is started here and collected after the status */
    grpc_op md_op[6];
    int md_started = 0;
    if (rc == SATH_OK) {
        grpc_op ops[6];
        fill_ops(ops, &s); /* 0..2: send md, send message, close */
        fill_ops(md_op, &s);
        md_started = grpc_call_start_batch(s.call, &md_op[3], 1, md_op, NULL) == GRPC_CALL_OK;
        if (!run_batch(&s, ops, 3))
            rc = SATH_ETRANSPORT;
    }
    while (rc == SATH_OK) {
        grpc_op op;
        memset(&op, 0, sizeof op);
        op.op = GRPC_OP_RECV_MESSAGE;
        op.data.recv_message.recv_message = &s.recv_bb;
        if (!run_batch_watched(&s, &op, 1, alive, arg, &cancelled) || !s.recv_bb)
            break; /* end of stream (or the call failed: the status says why) */
        grpc_byte_buffer_reader reader;
        int stop = 1;
        if (grpc_byte_buffer_reader_init(&reader, s.recv_bb)) {
            grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
            grpc_byte_buffer_reader_destroy(&reader);
            (*n_msgs)++;
            stop = on_msg(arg, GRPC_SLICE_START_PTR(all), GRPC_SLICE_LENGTH(all));
            grpc_slice_unref(all);
        }
        grpc_byte_buffer_destroy(s.recv_bb);
        s.recv_bb = NULL;
        if (stop) {
            grpc_call_cancel(s.call, NULL);
            cancelled = 1;
            break;
        }
    }
    if (rc == SATH_OK) {
        grpc_op ops[6];
        fill_ops(ops, &s);
        if (!run_batch(&s, &ops[5], 1))
            rc = SATH_ETRANSPORT;
    }
    if (md_started)
        grpc_completion_queue_pluck(s.cq, md_op, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (rc == SATH_OK && (rc = finish(&s, rpc)) == SATH_OK && cancelled)
        rpc->status = GRPC_STATUS_CANCELLED;
    call_state_release(&s);
    return rc;
}

void sath__rpc_clear(sath__rpc *rpc)
{
    free(rpc->status_message);
    free(rpc->resp);
    for (size_t i = 0; i < rpc->n_resp_md; i++) {
        free(rpc->resp_md[i].key);
        free(rpc->resp_md[i].value);
    }
    free(rpc->resp_md);
    rpc->status_message = NULL;
    rpc->resp = NULL;
    rpc->resp_len = 0;
    rpc->resp_md = NULL;
    rpc->n_resp_md = 0;
}
