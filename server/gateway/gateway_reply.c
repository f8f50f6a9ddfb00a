/*
 * gateway_reply.c - how the REST gateway answers: the response with its common headers
 * (X-Request-Id, nosniff, no-store on the API, CORS, the rate-limit headers), and errors as JSON google.rpc.Status with the HTTP status the
 * status table (sathd/status.h) maps their gRPC code to.
 *
 * Response bodies live in the request's arena or are static (MHD_RESPMEM_PERSISTENT).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gateway_internal.h"
#include "sathd/status.h"
#include "transcode.h"

int sathd_gw_http_status(int code)
{
#define HTTP_CASE_(name, grpc, http, text) case grpc: return http;
    switch (code) {
    SATHD_STATUS_MAP(HTTP_CASE_)
    default: return 500;
    }
#undef HTTP_CASE_
}

/* grpc code for an HTTP status the gateway itself answers with (400, 404, 405, 413, 415):
 * the first row of the status table with that HTTP status, and for the statuses no gRPC
 * code maps to, the code that says the same. */
static int grpc_code_for_http(int http)
{
    switch (http) {
    case 405: return SATHD_UNIMPLEMENTED;      /* the path exists, the verb does not */
    case 413: return SATHD_RESOURCE_EXHAUSTED; /* body over the limit */
    case 414: return SATHD_INVALID_ARGUMENT;   /* request URI over the limit */
    case 415: return SATHD_INVALID_ARGUMENT;   /* not a JSON body */
    case 431: return SATHD_INVALID_ARGUMENT;   /* header fields over the limit */
    default: break;
    }
    if (http >= 400 && http < 500) {
#define FIRST_(name, grpc, h, text) if (h == http) return grpc;
        SATHD_STATUS_MAP(FIRST_)
#undef FIRST_
    }
    return SATHD_INTERNAL;
}

void sathd_gw_common_headers(struct MHD_Response *r, const sathd_gw_req *rq)
{
    if (rq && rq->request_id)
        MHD_add_response_header(r, "X-Request-Id", rq->request_id);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (rq && rq->api) /* tokens and account data: never in a cache */
        MHD_add_response_header(r, "Cache-Control", "no-store");
    if (rq && rq->origin) {
        MHD_add_response_header(r, "Access-Control-Allow-Origin", rq->origin);
        MHD_add_response_header(r, "Access-Control-Expose-Headers",
                                "X-Request-Id, WWW-Authenticate, Retry-After, RateLimit, "
                                "RateLimit-Policy");
        if (strcmp(rq->origin, "*") != 0)
            MHD_add_response_header(r, "Vary", "Origin");
    }
}

enum MHD_Result sathd_gw_send(const sathd_gateway *g, struct MHD_Connection *conn,
                              const sathd_gw_req *rq, int status, const char *ctype,
                              const char *body, size_t len, const char *const *extra)
{
    (void)g;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)(body ? body : ""),
                                        MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    if (ctype && len > 0)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    sathd_gw_common_headers(r, rq);
    for (size_t i = 0; extra && extra[i] && extra[i + 1]; i += 2)
        MHD_add_response_header(r, extra[i], extra[i + 1]);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return rc;
}

/* The IETF rate-limit headers (draft-ietf-httpapi-ratelimit-headers) of a call that a
 * limit decided, and Retry-After when it was refused; appended to extra (name, value
 * pairs, NULL-terminated, room for 6 more). */
void sathd_gw_ratelimit_headers(sathd_arena *a, const sathd_gw_call *c, const char **extra)
{
    size_t n = 0;
    while (extra[n])
        n += 2;
    if (!c || !c->has_rl || !a)
        return;
    char *pol = sathd_arena_alloc(a, 160), *now = sathd_arena_alloc(a, 160),
         *retry = sathd_arena_alloc(a, 24);
    if (!pol || !now || !retry)
        return;
    snprintf(pol, 160, "\"%s\";q=%lld;w=%lld", c->rl.policy, (long long)c->rl.quota,
             (long long)c->rl.window_s);
    snprintf(now, 160, "\"%s\";r=%lld;t=%lld", c->rl.policy, (long long)c->rl.remaining,
             (long long)c->rl.reset_s);
    extra[n++] = "RateLimit-Policy";
    extra[n++] = pol;
    extra[n++] = "RateLimit";
    extra[n++] = now;
    if (c->rl.retry_after_s > 0) {
        snprintf(retry, 24, "%lld", (long long)c->rl.retry_after_s);
        extra[n++] = "Retry-After";
        extra[n++] = retry;
    }
    extra[n] = NULL;
}

enum MHD_Result sathd_gw_send_error(const sathd_gateway *g, struct MHD_Connection *conn,
                                    const sathd_gw_req *rq, int code, const char *message)
{
    return sathd_gw_send_call_error(g, conn, rq, code, message, NULL);
}

enum MHD_Result sathd_gw_send_call_error(const sathd_gateway *g, struct MHD_Connection *conn,
                                         const sathd_gw_req *rq, int code, const char *message,
                                         const sathd_gw_call *c)
{
    static const char oom[] = "{\"code\":13,\"message\":\"internal error\",\"details\":[],"
                              "\"detail\":\"internal error\"}";
    size_t len = 0;
    char *body = rq ? sathd_gw_error_json(rq->arena, code, message, &len) : NULL;
    if (!body) {
        body = (char *)(uintptr_t)oom;
        len = sizeof oom - 1;
    }
    const char *extra[12] = {NULL};
    if (code == SATHD_UNAUTHENTICATED) {
        extra[0] = "WWW-Authenticate";
        extra[1] = "Bearer";
    } else if (code == SATHD_RESOURCE_EXHAUSTED && !(c && c->has_rl)) {
        extra[0] = "Retry-After";
        extra[1] = "1";
    }
    if (rq)
        sathd_gw_ratelimit_headers(rq->arena, c, extra);
    return sathd_gw_send(g, conn, rq, sathd_gw_http_status(code), "application/json", body, len,
                         extra);
}

enum MHD_Result sathd_gw_send_http_error(const sathd_gateway *g, struct MHD_Connection *conn,
                                         const sathd_gw_req *rq, int http, const char *message,
                                         const char *const *extra)
{
    size_t len = 0;
    int code = grpc_code_for_http(http);
    char *body = sathd_gw_error_json(rq->arena, code, message, &len);
    if (!body)
        return MHD_NO;
    return sathd_gw_send(g, conn, rq, http, "application/json", body, len, extra);
}
