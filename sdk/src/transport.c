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

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>

#include "internal.h"
#include "sath/error.h"
#include "sath/global.h"
#include "sath/version.h"

struct sath__channel {
    grpc_channel *channel;
    /* Started calls (sath__channel_start) complete on cq, drained by `thread`, both
     * created by the first start.  mu guards cq/thread_started/in_flight. */
    pthread_mutex_t mu;
    pthread_cond_t idle; /* in_flight went to 0 */
    grpc_completion_queue *cq;
    pthread_t thread;
    int thread_started;
    size_t in_flight;
};

/* gRPC core's lines go to sath__log_line(), never to stderr by themselves. */
static void grpc_log_line(gpr_log_func_args *args)
{
    int level = args->severity == GPR_LOG_SEVERITY_ERROR  ? SATH_LOG_ERROR
                : args->severity == GPR_LOG_SEVERITY_INFO ? SATH_LOG_INFO
                                                          : SATH_LOG_DEBUG;
    char line[1024];
    snprintf(line, sizeof line, "grpc: %s (%s:%d)", args->message, args->file, args->line);
    sath__log_line(level, line);
}

static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void install_log(void)
{
    gpr_set_log_function(grpc_log_line);
}

void sath__transport_set_log_level(int min_level)
{
    pthread_once(&log_once, install_log);
    /* gRPC has no "off"; ERROR is its least, and the callback filters the rest. */
    gpr_set_log_verbosity(min_level <= SATH_LOG_DEBUG  ? GPR_LOG_SEVERITY_DEBUG
                          : min_level == SATH_LOG_INFO ? GPR_LOG_SEVERITY_INFO
                                                       : GPR_LOG_SEVERITY_ERROR);
}

void sath__transport_acquire(void)
{
    pthread_once(&log_once, install_log);
    grpc_init();
}

void sath__transport_release(void)
{
    grpc_shutdown();
}

void sath__transport_release_blocking(void)
{
    grpc_shutdown_blocking();
}

/* Channel arguments of `cfg`; returns how many were written (at most 10). */
static size_t channel_args(const sath__channel_config *cfg, grpc_arg *arg)
{
    size_t n = 0;
    arg[n].type = GRPC_ARG_STRING;
    arg[n].key = (char *)GRPC_ARG_PRIMARY_USER_AGENT_STRING;
    arg[n++].value.string = (char *)"sathclient/" SATH_VERSION_STRING;
    /* One sath_client, one connection: gRPC core would otherwise share a subchannel (and
     * so one TCP connection) among every channel to the same target in the process. */
    arg[n].type = GRPC_ARG_INTEGER;
    arg[n].key = (char *)GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL;
    arg[n++].value.integer = 1;
    if (cfg->connect_timeout_ms > 0) {
        /* gRPC core's connection deadline is max(next backoff, now + minimum backoff),
         * so both bound one attempt. */
        int ms = cfg->connect_timeout_ms > INT32_MAX ? INT32_MAX : (int)cfg->connect_timeout_ms;
        arg[n].type = GRPC_ARG_INTEGER;
        arg[n].key = (char *)GRPC_ARG_MIN_RECONNECT_BACKOFF_MS;
        arg[n++].value.integer = ms;
        arg[n].type = GRPC_ARG_INTEGER;
        arg[n].key = (char *)GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS;
        arg[n++].value.integer = ms;
    }
    if (cfg->keepalive_time_ms > 0) {
        arg[n].type = GRPC_ARG_INTEGER;
        arg[n].key = (char *)GRPC_ARG_KEEPALIVE_TIME_MS;
        arg[n++].value.integer = cfg->keepalive_time_ms > INT32_MAX ? INT32_MAX : (int)cfg->keepalive_time_ms;
        /* keep pinging during a long call that sends no data */
        arg[n].type = GRPC_ARG_INTEGER;
        arg[n].key = (char *)GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA;
        arg[n++].value.integer = 0;
    }
    if (cfg->keepalive_timeout_ms > 0) {
        arg[n].type = GRPC_ARG_INTEGER;
        arg[n].key = (char *)GRPC_ARG_KEEPALIVE_TIMEOUT_MS;
        arg[n++].value.integer = cfg->keepalive_timeout_ms > INT32_MAX ? INT32_MAX : (int)cfg->keepalive_timeout_ms;
    }
    if (cfg->server_name) {
        arg[n].type = GRPC_ARG_STRING;
        arg[n].key = (char *)GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
        arg[n++].value.string = (char *)cfg->server_name;
    }
    if (cfg->service_config) {
        arg[n].type = GRPC_ARG_STRING;
        arg[n].key = (char *)GRPC_ARG_SERVICE_CONFIG;
        arg[n++].value.string = (char *)cfg->service_config;
    }
    return n;
}

static grpc_channel_credentials *credentials(const sath__channel_config *cfg)
{
    if (!cfg->tls)
        return grpc_insecure_credentials_create();
    grpc_ssl_pem_key_cert_pair pair = {cfg->key_pem, cfg->cert_pem};
    return grpc_ssl_credentials_create(cfg->root_pem, cfg->cert_pem && cfg->key_pem ? &pair : NULL,
                                       NULL, NULL);
}

int sath__channel_new(const char *target, const sath__channel_config *cfg, sath__channel **out)
{
    static const sath__channel_config plain;
    if (!cfg)
        cfg = &plain;
    sath__channel *ch = calloc(1, sizeof *ch);
    if (!ch)
        return SATH_ENOMEM;
    if (pthread_mutex_init(&ch->mu, NULL) != 0) {
        free(ch);
        return SATH_ENOMEM;
    }
    if (pthread_cond_init(&ch->idle, NULL) != 0) {
        pthread_mutex_destroy(&ch->mu);
        free(ch);
        return SATH_ENOMEM;
    }
    grpc_channel_credentials *creds = credentials(cfg);
    if (creds) {
        grpc_arg arg[10];
        grpc_channel_args args = {channel_args(cfg, arg), arg};
        ch->channel = grpc_channel_create(target, creds, &args);
        grpc_channel_credentials_release(creds);
    }
    if (!ch->channel) {
        pthread_cond_destroy(&ch->idle);
        pthread_mutex_destroy(&ch->mu);
        free(ch);
        return !creds && cfg->tls ? SATH_ETLS : SATH_ENOMEM;
    }
    *out = ch;
    return SATH_OK;
}

void sath__channel_free(sath__channel *ch)
{
    if (!ch)
        return;
    pthread_mutex_lock(&ch->mu);
    while (ch->in_flight > 0)
        pthread_cond_wait(&ch->idle, &ch->mu);
    int started = ch->thread_started;
    pthread_mutex_unlock(&ch->mu);
    if (ch->cq) {
        grpc_completion_queue_shutdown(ch->cq);
        if (started)
            pthread_join(ch->thread, NULL);
        grpc_completion_queue_destroy(ch->cq);
    }
    grpc_channel_destroy(ch->channel);
    pthread_cond_destroy(&ch->idle);
    pthread_mutex_destroy(&ch->mu);
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
    return s->send_bb ? SATH_OK : SATH_ENOMEM;
}

static void fill_ops(grpc_op ops[6], call_state *s, int wait_for_ready)
{
    memset(ops, 0, 6 * sizeof ops[0]);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].flags = wait_for_ready ? GRPC_INITIAL_METADATA_WAIT_FOR_READY |
                                        GRPC_INITIAL_METADATA_WAIT_FOR_READY_EXPLICITLY_SET
                                  : 0;
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

static void call_state_init(call_state *s)
{
    memset(s, 0, sizeof *s);
    grpc_metadata_array_init(&s->recv_initial);
    grpc_metadata_array_init(&s->recv_trailing);
    s->details = grpc_empty_slice();
}

/* Creates the grpc call of rpc on `cq`. */
static int create_call(sath__channel *ch, call_state *s, grpc_completion_queue *cq,
                       const sath__rpc *rpc)
{
    /* The call takes its own reference on the method slice. */
    grpc_slice method = grpc_slice_from_copied_string(rpc->path);
    s->call = grpc_channel_create_call(ch->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq, method,
                                       NULL, deadline_of(rpc->timeout_ms), NULL);
    grpc_slice_unref(method);
    return s->call ? SATH_OK : SATH_ETRANSPORT;
}

/* Creates the call on `cq` and starts its one batch with tag `tag`. */
static int start_batch(sath__channel *ch, call_state *s, grpc_completion_queue *cq,
                       const sath__rpc *rpc, void *tag)
{
    if (create_call(ch, s, cq, rpc) != SATH_OK)
        return SATH_ETRANSPORT;
    grpc_op ops[6];
    fill_ops(ops, s, rpc->wait_for_ready);
    return grpc_call_start_batch(s->call, ops, 6, tag, NULL) == GRPC_CALL_OK ? SATH_OK
                                                                              : SATH_ETRANSPORT;
}

int sath__channel_unary(sath__channel *ch, sath__rpc *rpc)
{
    call_state s;
    call_state_init(&s);
    int rc = prepare(&s, rpc);
    if (rc == SATH_OK && (s.cq = grpc_completion_queue_create_for_pluck(NULL)) == NULL)
        rc = SATH_ENOMEM;
    if (rc == SATH_OK)
        rc = start_batch(ch, &s, s.cq, rpc, &s);
    if (rc == SATH_OK) {
        grpc_event ev = grpc_completion_queue_pluck(s.cq, &s, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        rc = ev.type == GRPC_OP_COMPLETE && ev.success ? finish(&s, rpc) : SATH_ETRANSPORT;
    }
    call_state_release(&s);
    return rc;
}

/* ---- started calls -------------------------------------------------------------- */

struct sath__op {
    call_state s; /* s.cq stays NULL: the channel's queue is not the op's */
    sath__rpc rpc;
    sath__op_done done;
    void *arg;
};

/* Drains the channel's completion queue until it is shut down. */
static void *completion_thread(void *arg)
{
    sath__channel *ch = arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(ch->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type != GRPC_OP_COMPLETE)
            continue;
        sath__op *op = ev.tag;
        int rc = ev.success ? finish(&op->s, &op->rpc) : SATH_ETRANSPORT;
        op->done(op->arg, &op->rpc, rc);
        sath__rpc_clear(&op->rpc);
        call_state_release(&op->s);
        free(op);
        pthread_mutex_lock(&ch->mu);
        if (--ch->in_flight == 0)
            pthread_cond_broadcast(&ch->idle);
        pthread_mutex_unlock(&ch->mu);
    }
    return NULL;
}

/* Creates the completion queue and its thread once; mu must be held. */
static int ensure_thread(sath__channel *ch)
{
    if (ch->thread_started)
        return SATH_OK;
    if (!ch->cq && !(ch->cq = grpc_completion_queue_create_for_next(NULL)))
        return SATH_ENOMEM;
    if (pthread_create(&ch->thread, NULL, completion_thread, ch) != 0)
        return SATH_ENOMEM;
    ch->thread_started = 1;
    return SATH_OK;
}

int sath__channel_start(sath__channel *ch, const sath__rpc *rpc, sath__op_done done, void *arg,
                        sath__op **out)
{
    sath__op *op = calloc(1, sizeof *op);
    if (!op)
        return SATH_ENOMEM;
    call_state_init(&op->s);
    op->done = done;
    op->arg = arg;
    int rc = prepare(&op->s, rpc);
    pthread_mutex_lock(&ch->mu);
    if (rc == SATH_OK)
        rc = ensure_thread(ch);
    if (rc == SATH_OK) {
        ch->in_flight++; /* before the batch: its completion may come at once */
        *out = op;
        rc = start_batch(ch, &op->s, ch->cq, rpc, op);
        if (rc != SATH_OK)
            ch->in_flight--;
    }
    pthread_mutex_unlock(&ch->mu);
    if (rc != SATH_OK) {
        *out = NULL;
        call_state_release(&op->s);
        free(op);
    }
    return rc;
}

void sath__op_cancel(sath__op *op)
{
    if (op && op->s.call)
        grpc_call_cancel(op->s.call, NULL);
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
    call_state_init(&s);
    *n_msgs = 0;
    int rc = prepare(&s, rpc), cancelled = 0;
    if (rc == SATH_OK && (s.cq = grpc_completion_queue_create_for_pluck(NULL)) == NULL)
        rc = SATH_ENOMEM;
    if (rc == SATH_OK)
        rc = create_call(ch, &s, s.cq, rpc);
    /* the initial metadata may only come with the first message, or the end: its batch
     * is started here and collected after the status */
    grpc_op md_op[6];
    int md_started = 0;
    if (rc == SATH_OK) {
        grpc_op ops[6];
        fill_ops(ops, &s, rpc->wait_for_ready); /* 0..2: send md, send message, close */
        fill_ops(md_op, &s, rpc->wait_for_ready);
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
        fill_ops(ops, &s, rpc->wait_for_ready);
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
