/*
 * gateway_remote.c - the standalone backend of sath-gateway: each REST call is
 * forwarded as one gRPC unary call to a sathd through libsathclient's transport
 * (sath__channel_unary), with the caller's own metadata (authorization included) and
 * deadline.  The channel is shared by all gateway threads (it is thread-safe); nothing
 * else is shared.  The response is unpacked straight into the request arena.
 * Server-streaming methods are forwarded as gRPC streams (sath__channel_server_stream),
 * each message handed on as it arrives.
 */
#include "gateway_remote.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "sath/error.h"
#include "sathd/ratelimit.h"
#include "sathd/rpc.h"
#include "transport.h"

struct sathd_gw_remote {
    sath__channel *chan;
};

sathd_gw_remote *sathd_gw_remote_new(const char *target, char *err, size_t errlen)
{
    sathd_gw_remote *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sath__transport_acquire();
    if (sath__channel_new(target, 0, NULL, &r->chan) != SATH_OK) {
        snprintf(err, errlen, "cannot create a channel to %s", target);
        sath__transport_release();
        free(r);
        return NULL;
    }
    return r;
}

void sathd_gw_remote_free(sathd_gw_remote *r)
{
    if (!r)
        return;
    sath__channel_free(r->chan);
    sath__transport_release();
    free(r);
}

/* Copy of `s` in the arena (NULL on OOM). */
static const char *arena_copy(sathd_arena *a, const char *str)
{
    size_t n = strlen(str) + 1;
    char *m = sathd_arena_alloc(a, n);
    if (m)
        memcpy(m, str, n);
    return m;
}

/* A refusal by sathd's rate limiter comes with its limit in the trailers (ratelimit-policy
 * `"name";q=Q;w=W`, ratelimit `"name";r=R;t=T`, retry-after); they become the call's
 * rate-limit record, so REST clients of sath-gateway get the same headers as sathd's own. */
static void take_ratelimit(sathd_gw_call *c, const sath__rpc *rpc)
{
    const char *pol = NULL, *now = NULL, *retry = NULL;
    for (size_t i = 0; i < rpc->n_resp_md; i++) {
        const sath__md *m = &rpc->resp_md[i];
        if (strcmp(m->key, "ratelimit-policy") == 0)
            pol = m->value;
        else if (strcmp(m->key, "ratelimit") == 0)
            now = m->value;
        else if (strcmp(m->key, "retry-after") == 0)
            retry = m->value;
    }
    char name[64];
    long long q, w, rem, t, ra;
    if (!pol || !now || !retry || sscanf(pol, "\"%63[a-z-]\";q=%lld;w=%lld", name, &q, &w) != 3 ||
        sscanf(now, "\"%*[a-z-]\";r=%lld;t=%lld", &rem, &t) != 2 || sscanf(retry, "%lld", &ra) != 1)
        return;
    size_t nl = strlen(name);
    char *keep = sathd_arena_alloc(c->arena, nl + 1);
    if (!keep)
        return;
    memcpy(keep, name, nl + 1);
    c->rl = (sathd_ratelimit_info){keep, q, w, rem, t, ra};
    c->has_rl = 1;
}

/* One unary call; the response bytes are unpacked into `a`.  `c` (may be NULL) receives
 * the rate limit of a refusal. */
static int forward(sathd_gw_remote *r, const char *path, const ProtobufCMessage *req,
                   const ProtobufCMessageDescriptor *out, const sath__md *md, size_t n_md,
                   int64_t timeout_ms, sathd_arena *a, ProtobufCMessage **resp,
                   const char **message, sathd_gw_call *c)
{
    size_t len = protobuf_c_message_get_packed_size(req);
    uint8_t *buf = sathd_arena_alloc(a, len ? len : 1);
    if (!buf) {
        *message = "out of memory";
        return SATHD_RESOURCE_EXHAUSTED;
    }
    protobuf_c_message_pack(req, buf);
    sath__rpc rpc;
    memset(&rpc, 0, sizeof rpc);
    rpc.path = path;
    rpc.req = buf;
    rpc.req_len = len;
    rpc.md = md;
    rpc.n_md = n_md;
    rpc.timeout_ms = timeout_ms;
    int rc = sath__channel_unary(r->chan, &rpc);
    int st = rc == SATH_OK ? rpc.status : SATHD_UNAVAILABLE;
    if (rpc.status_message && rpc.status_message[0]) {
        *message = arena_copy(a, rpc.status_message);
    } else if (rc != SATH_OK) {
        *message = "upstream unavailable";
    }
    if (st == SATHD_OK) {
        *resp = protobuf_c_message_unpack(out, sathd_arena_allocator(a), rpc.resp_len,
                                          rpc.resp ? rpc.resp : (const uint8_t *)"");
        if (!*resp) {
            st = SATHD_INTERNAL;
            *message = "malformed upstream response";
        }
    }
    if (c && st == SATHD_RESOURCE_EXHAUSTED)
        take_ratelimit(c, &rpc);
    sath__rpc_clear(&rpc);
    return st;
}

/* The call's metadata as gRPC accepts it, and its time left (0: none).  SATHD_OK, or the
 * status to answer with (c->message set). */
static int call_md(sathd_gw_call *c, sath__md **out, size_t *n_out, int64_t *timeout_ms)
{
    if (!c->req) {
        c->message = c->decode_error ? c->decode_error : "malformed request";
        return SATHD_INVALID_ARGUMENT;
    }
    sath__md *md = sathd_arena_alloc(c->arena, (c->n_md + 1) * sizeof *md);
    if (!md)
        return SATHD_RESOURCE_EXHAUSTED;
    size_t n = 0;
    const char *xff = NULL;
    for (size_t i = 0; i < c->n_md; i++) {
        if (strcmp(c->md[i].key, "x-forwarded-for") == 0) {
            xff = c->md[i].value;
            continue;
        }
        if (!sath__md_legal(c->md[i].key, c->md[i].value))
            continue; /* gRPC would refuse the whole call */
        md[n].key = (char *)(uintptr_t)c->md[i].key;
        md[n++].value = (char *)(uintptr_t)c->md[i].value;
    }
    /* As any proxy: the client's address goes to the end of X-Forwarded-For, so a sathd
     * that lists this gateway in SATH_TRUSTED_PROXIES limits the client, not us. */
    char ip[64];
    sathd_client_ip(c->peer, NULL, NULL, ip, sizeof ip);
    size_t xl = xff ? strlen(xff) : 0, il = strlen(ip);
    char *chain = sathd_arena_alloc(c->arena, xl + il + 3);
    if (!chain)
        return SATHD_RESOURCE_EXHAUSTED;
    snprintf(chain, xl + il + 3, "%s%s%s", xff ? xff : "", xff ? ", " : "", ip);
    if (sath__md_legal("x-forwarded-for", chain)) {
        md[n].key = (char *)"x-forwarded-for";
        md[n++].value = chain;
    }
    *timeout_ms = 0;
    if (c->deadline_ns != INT64_MAX) {
        *timeout_ms = (c->deadline_ns - sathd_rpc_now_ns()) / 1000000;
        if (*timeout_ms <= 0) {
            c->message = "deadline exceeded";
            return SATHD_DEADLINE_EXCEEDED;
        }
    }
    *out = md;
    *n_out = n;
    return SATHD_OK;
}

static int remote_invoke(void *ud, sathd_gw_call *c)
{
    sathd_gw_remote *r = ud;
    sath__md *md = NULL;
    size_t n = 0;
    int64_t timeout_ms = 0;
    int st = call_md(c, &md, &n, &timeout_ms);
    if (st != SATHD_OK)
        return st;
    return forward(r, c->method->path, c->req, c->method->output, md, n, timeout_ms, c->arena,
                   &c->resp, &c->message, c);
}

typedef struct remote_stream {
    sathd_gw_call *c;
    sathd_writer *out;
} remote_stream;

static int on_stream_msg(void *arg, const uint8_t *buf, size_t len)
{
    remote_stream *rs = arg;
    ProtobufCMessage *m = protobuf_c_message_unpack(rs->c->method->output, NULL, len, buf);
    int stop = !m || sathd_writer_send(rs->out, m) != 0;
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    return stop;
}

static int stream_alive(void *arg)
{
    remote_stream *rs = arg;
    return sathd_writer_alive(rs->out);
}

/* A server-streaming method forwarded as a gRPC stream; each message goes on at once. */
static int remote_invoke_stream(void *ud, sathd_gw_call *c, sathd_writer *out)
{
    sathd_gw_remote *r = ud;
    sath__md *md = NULL;
    size_t n = 0;
    int64_t timeout_ms = 0;
    int st = call_md(c, &md, &n, &timeout_ms);
    if (st != SATHD_OK)
        return st;
    size_t len = protobuf_c_message_get_packed_size(c->req);
    uint8_t *buf = sathd_arena_alloc(c->arena, len ? len : 1);
    if (!buf) {
        c->message = "out of memory";
        return SATHD_RESOURCE_EXHAUSTED;
    }
    protobuf_c_message_pack(c->req, buf);
    sath__rpc rpc;
    memset(&rpc, 0, sizeof rpc);
    rpc.path = c->method->path;
    rpc.req = buf;
    rpc.req_len = len;
    rpc.md = md;
    rpc.n_md = n;
    rpc.timeout_ms = timeout_ms;
    remote_stream rs = {c, out};
    size_t n_msgs = 0;
    st = sath__channel_server_stream(r->chan, &rpc, on_stream_msg, stream_alive, &rs, &n_msgs);
    if (st != SATH_OK) {
        c->message = "sathd unreachable";
        sath__rpc_clear(&rpc);
        return SATHD_UNAVAILABLE;
    }
    st = rpc.status;
    if (st != SATHD_OK && rpc.status_message)
        c->message = arena_copy(c->arena, rpc.status_message);
    sath__rpc_clear(&rpc);
    return st;
}

static int remote_ready(void *ud)
{
    sathd_gw_remote *r = ud;
    sathd_arena *a = sathd_arena_new(4096);
    if (!a)
        return 0;
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    const char *msg = NULL;
    int st = forward(r, "/grpc.health.v1.Health/Check", &req.base,
                     &grpc__health__v1__health_check_response__descriptor, NULL, 0, 2000, a,
                     &resp, &msg, NULL);
    int ok = st == SATHD_OK && resp &&
             ((Grpc__Health__V1__HealthCheckResponse *)resp)->status ==
                 GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
    sathd_arena_free(a);
    return ok;
}

void sathd_gw_remote_backend(sathd_gw_backend *out, sathd_gw_remote *r)
{
    memset(out, 0, sizeof *out);
    out->ud = r;
    out->invoke = remote_invoke;
    out->invoke_stream = remote_invoke_stream;
    out->ready = remote_ready;
}
