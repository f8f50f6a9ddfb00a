/*
 * health.c - grpc.health.v1.Health.
 *
 * Check is an ordinary unary method (registered by the server in the registry, public,
 * not access-logged) so it takes the same fast path as every other call.  Watch is a
 * server stream on its own thread (stream.c): it sends the current status, then polls
 * the app's `healthy` hook once a second and sends every change, until the client goes
 * away or the server shuts down.
 */
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "stream.h"

typedef Grpc__Health__V1__HealthCheckResponse__ServingStatus serving_status;

const sathd_method_desc sathd_health_check_desc = {
    .service = "grpc.health.v1.Health",
    .name = "Check",
    .path = "/grpc.health.v1.Health/Check",
    .input = &grpc__health__v1__health_check_request__descriptor,
    .output = &grpc__health__v1__health_check_response__descriptor,
    .flags = SATHD_METHOD_PUBLIC | SATHD_METHOD_NO_ACCESS_LOG,
    .http = {NULL, NULL, NULL, NULL, 200},
};

int sathd_health_status(const sathd_registry *reg, const sathd_rpc_hooks *hooks,
                        const char *service)
{
    /* the Check method itself is in the registry, so "grpc.health.v1.Health" is known */
    if (service && *service && !sathd_registry_has_service(reg, service))
        return -1;
    if (hooks && hooks->healthy && !hooks->healthy(hooks->ud))
        return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
    return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
}

static int current(const sathd_health_ctx *h, const char *service)
{
    if (atomic_load_explicit(h->stopping, memory_order_relaxed))
        return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
    return sathd_health_status(h->reg, h->hooks, service);
}

int sathd_health_check(sathd_call *call, const void *impl, const ProtobufCMessage *req,
                       ProtobufCMessage *resp)
{
    const Grpc__Health__V1__HealthCheckRequest *rq = (const void *)req;
    Grpc__Health__V1__HealthCheckResponse *rs = (void *)resp;
    int st = current(impl, rq->service);
    if (st < 0)
        return sathd_call_error(call, SATHD_NOT_FOUND, "unknown service");
    rs->status = (serving_status)st;
    return SATHD_OK;
}

/* Sends one HealthCheckResponse; 0 when the stream is gone. */
static int send_status(grpc_call *call, grpc_completion_queue *cq, int first, int st)
{
    Grpc__Health__V1__HealthCheckResponse rs = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    rs.status = (serving_status)st;
    grpc_byte_buffer *bb = sathd_stream_pack(&rs.base);
    grpc_op ops[2];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    if (first)
        ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = bb;
    /* a client that stops reading must not pin the thread forever */
    int ok = sathd_stream_batch(call, cq, ops, n, 10000);
    grpc_byte_buffer_destroy(bb);
    return ok;
}

void sathd_health_watch(void *arg, grpc_call *call, grpc_completion_queue *cq,
                        grpc_byte_buffer *payload)
{
    const sathd_health_ctx *h = arg;
    char service[256] = "";
    if (payload) {
        sathd_arena *a = sathd_arena_new(4096);
        size_t len = 0;
        uint8_t *data = a ? sathd_stream_read_all(payload, a, &len) : NULL;
        Grpc__Health__V1__HealthCheckRequest *rq =
            data ? grpc__health__v1__health_check_request__unpack(sathd_arena_allocator(a), len,
                                                                  data)
                 : NULL;
        int ok = rq && strlen(rq->service) < sizeof service;
        if (ok)
            strcpy(service, rq->service);
        sathd_arena_free(a);
        if (!ok) {
            sathd_stream_finish(call, cq, 1, GRPC_STATUS_INVALID_ARGUMENT,
                                "malformed request message");
            return;
        }
    }
    /* RECV_CLOSE_ON_SERVER completes when the client cancels or the call ends */
    int cancelled = 0, close_tag;
    grpc_op close_op;
    memset(&close_op, 0, sizeof close_op);
    close_op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    close_op.data.recv_close_on_server.cancelled = &cancelled;
    if (grpc_call_start_batch(call, &close_op, 1, &close_tag, NULL) != GRPC_CALL_OK)
        return;
    int last = -2, first = 1, closed = 0;
    for (;;) {
        int st = current(h, service);
        if (st < 0) /* Watch answers SERVICE_UNKNOWN instead of NOT_FOUND */
            st = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN;
        if (st != last) {
            if (!send_status(call, cq, first, st))
                break;
            first = 0;
            last = st;
        }
        if (atomic_load_explicit(h->stopping, memory_order_relaxed))
            break;
        grpc_event ev = grpc_completion_queue_pluck(
            cq, &close_tag,
            gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(1000, GPR_TIMESPAN)),
            NULL);
        if (ev.type == GRPC_OP_COMPLETE) {
            closed = 1;
            break;
        }
    }
    if (!closed) {
        grpc_op ops[2];
        size_t n = 0;
        memset(ops, 0, sizeof ops);
        if (first)
            ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
        ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
        ops[n++].data.send_status_from_server.status = GRPC_STATUS_OK;
        sathd_stream_batch(call, cq, ops, n, 5000);
        grpc_event ev = grpc_completion_queue_pluck(
            cq, &close_tag,
            gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(5000, GPR_TIMESPAN)),
            NULL);
        if (ev.type != GRPC_OP_COMPLETE) {
            grpc_call_cancel(call, NULL);
            grpc_completion_queue_pluck(cq, &close_tag, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
        }
    }
}
