/*
 * gateway_remote.c - the standalone backend of sath-gateway: each REST call is
 * forwarded as one gRPC unary call to a sathd through libsathclient's public raw call
 * (sath_client_call_raw), with the caller's own metadata and authorization header and
 * its deadline.  The client is shared by all gateway threads (it is thread-safe) and
 * holds no session of its own; nothing else is shared.  The response is unpacked
 * straight into the request arena.  Server-streaming methods are forwarded as gRPC
 * streams through the public raw stream call (sath_client_call_raw_stream), each message
 * handed on as it arrives.
 */
#include "gateway_remote.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "sath/sath.h"
#include "sathd/ratelimit.h"
#include "sathd/rpc.h"

struct sathd_gw_remote {
    sath_client *client;
};

sathd_gw_remote *sathd_gw_remote_new(const char *target, char *err, size_t errlen)
{
    sathd_gw_remote *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sath_client_options *o = NULL;
    int rc = sath_client_options_new(&o);
    if (rc == SATH_OK)
        rc = sath_client_options_set_timeout_ms(o, 0); /* each call brings its deadline */
    if (rc == SATH_OK)
        rc = sath_client_new(target, o, &r->client);
    sath_client_options_free(o);
    if (rc != SATH_OK) {
        snprintf(err, errlen, "cannot create a channel to %s: %s", target, sath_strerror(rc));
        free(r);
        return NULL;
    }
    return r;
}

void sathd_gw_remote_free(sathd_gw_remote *r)
{
    if (!r)
        return;
    sath_client_free(r->client);
    free(r);
}

/* Copies `s` into the arena ("" when out of memory). */
static const char *arena_copy(sathd_arena *a, const char *s)
{
    size_t n = strlen(s);
    char *m = sathd_arena_alloc(a, n + 1);
    if (!m)
        return "";
    memcpy(m, s, n + 1);
    return m;
}

/* The caller's metadata on `o`: authorization as the call's own, the rest as gRPC
 * metadata, skipping what gRPC (or the SDK's rules) would refuse; and, as any proxy, the
 * client's address at the end of X-Forwarded-For, so a sathd that lists this gateway in
 * SATH_TRUSTED_PROXIES limits the client, not us. */
static int add_metadata(sath_call_opts *o, sathd_gw_call *c)
{
    const char *xff = NULL;
    for (size_t i = 0; i < c->n_md; i++) {
        if (strcmp(c->md[i].key, "x-forwarded-for") == 0) {
            xff = c->md[i].value;
            continue;
        }
        int rc = strcmp(c->md[i].key, "authorization") == 0
                     ? sath_call_opts_set_authorization(o, c->md[i].value)
                     : sath_call_opts_add_metadata(o, c->md[i].key, c->md[i].value);
        if (rc == SATH_ENOMEM)
            return rc;
    }
    char ip[64];
    sathd_client_ip(c->peer, NULL, NULL, ip, sizeof ip);
    size_t xl = xff ? strlen(xff) : 0, il = strlen(ip);
    char *chain = sathd_arena_alloc(c->arena, xl + il + 3);
    if (!chain)
        return SATH_ENOMEM;
    snprintf(chain, xl + il + 3, "%s%s%s", xff ? xff : "", xff ? ", " : "", ip);
    return sath_call_opts_add_metadata(o, "x-forwarded-for", chain) == SATH_ENOMEM ? SATH_ENOMEM : SATH_OK;
}

/* A refusal by sathd's rate limiter comes with its limit in the trailers (ratelimit-policy
 * `"name";q=Q;w=W`, ratelimit `"name";r=R;t=T`, retry-after); they become the call's
 * rate-limit record, so REST clients of sath-gateway get the same headers as sathd's own. */
static void take_ratelimit(sathd_gw_call *c, const sath_call_opts *o)
{
    const char *pol = sath_call_opts_response_metadata(o, "ratelimit-policy");
    const char *now = sath_call_opts_response_metadata(o, "ratelimit");
    const char *retry = sath_call_opts_response_metadata(o, "retry-after");
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

/* The call's options: the caller's metadata (c may be NULL) and the time left.  NULL
 * when out of memory. */
static sath_call_opts *call_opts(sathd_gw_call *c, int64_t timeout_ms)
{
    sath_call_opts *o = NULL;
    if (sath_call_opts_new(&o) != SATH_OK || (c && add_metadata(o, c) != SATH_OK) ||
        sath_call_opts_set_timeout_ms(o, timeout_ms) != SATH_OK) {
        sath_call_opts_free(o);
        return NULL;
    }
    return o;
}

/* The status of a forwarded call: the gRPC code (local failures of the SDK count as
 * UNAVAILABLE: the upstream was not reached), with the server's own words in *message;
 * the SDK's generic text (no message sent) leaves the gateway's default for the status. */
static int upstream_status(int rc, const sath_call_opts *o, sathd_arena *a, const char **message)
{
    if (rc < 0) {
        *message = "upstream unavailable";
        return SATHD_UNAVAILABLE;
    }
    const char *m = sath_call_opts_status_message(o);
    if (rc > 0 && *m && strcmp(m, sath_strerror(rc)) != 0)
        *message = arena_copy(a, m);
    return rc;
}

/* One unary call; the response bytes are unpacked into `a`.  The status as
 * upstream_status() says.  `c` (may be NULL) gives the caller's metadata and receives the
 * rate limit of a refusal. */
static int forward(sathd_gw_remote *r, const char *path, const ProtobufCMessage *req,
                   const ProtobufCMessageDescriptor *out, sathd_gw_call *c,
                   int64_t timeout_ms, sathd_arena *a, ProtobufCMessage **resp,
                   const char **message)
{
    size_t len = protobuf_c_message_get_packed_size(req);
    uint8_t *buf = sathd_arena_alloc(a, len ? len : 1);
    sath_call_opts *o = buf ? call_opts(c, timeout_ms) : NULL;
    if (!o) {
        *message = "out of memory";
        return SATHD_RESOURCE_EXHAUSTED;
    }
    protobuf_c_message_pack(req, buf);
    void *bytes = NULL;
    size_t n = 0;
    int st = upstream_status(sath_client_call_raw(r->client, path, buf, len, &bytes, &n, o), o, a,
                             message);
    if (st == SATHD_OK) {
        *resp = protobuf_c_message_unpack(out, sathd_arena_allocator(a), n, bytes);
        if (!*resp) {
            st = SATHD_INTERNAL;
            *message = "malformed upstream response";
        }
    }
    if (c && st == SATHD_RESOURCE_EXHAUSTED)
        take_ratelimit(c, o);
    sath_free(bytes);
    sath_call_opts_free(o);
    return st;
}

/* The call's time left (0: none).  SATHD_OK, or the status to answer with (c->message set). */
static int call_checks(sathd_gw_call *c, int64_t *timeout_ms)
{
    if (!c->req) {
        c->message = c->decode_error ? c->decode_error : "malformed request";
        return SATHD_INVALID_ARGUMENT;
    }
    *timeout_ms = 0;
    if (c->deadline_ns != INT64_MAX) {
        *timeout_ms = (c->deadline_ns - sathd_rpc_now_ns()) / 1000000;
        if (*timeout_ms <= 0) {
            c->message = "deadline exceeded";
            return SATHD_DEADLINE_EXCEEDED;
        }
    }
    return SATHD_OK;
}

static int remote_invoke(void *ud, sathd_gw_call *c)
{
    sathd_gw_remote *r = ud;
    int64_t timeout_ms = 0;
    int st = call_checks(c, &timeout_ms);
    if (st != SATHD_OK)
        return st;
    return forward(r, c->method->path, c->req, c->method->output, c, timeout_ms, c->arena,
                   &c->resp, &c->message);
}

typedef struct remote_stream {
    sathd_gw_call *c;
    sathd_writer *out;
} remote_stream;

static int on_stream_msg(void *arg, const void *buf, size_t len)
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
    int64_t timeout_ms = 0;
    int st = call_checks(c, &timeout_ms);
    if (st != SATHD_OK)
        return st;
    size_t len = protobuf_c_message_get_packed_size(c->req);
    uint8_t *buf = sathd_arena_alloc(c->arena, len ? len : 1);
    sath_call_opts *o = buf ? call_opts(c, timeout_ms) : NULL;
    if (!o) {
        c->message = "out of memory";
        return SATHD_RESOURCE_EXHAUSTED;
    }
    protobuf_c_message_pack(c->req, buf);
    remote_stream rs = {c, out};
    int rc = sath_client_call_raw_stream(r->client, c->method->path, buf, len, on_stream_msg,
                                         stream_alive, &rs, o);
    st = upstream_status(rc, o, c->arena, &c->message);
    if (st == SATHD_RESOURCE_EXHAUSTED)
        take_ratelimit(c, o);
    sath_call_opts_free(o);
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
                     &grpc__health__v1__health_check_response__descriptor, NULL, 2000, a,
                     &resp, &msg);
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
