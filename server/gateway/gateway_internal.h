/*
 * gateway_internal.h - what the files of the gateway share: the server object, the
 * per-request context, and the helpers that answer a request.  Layers, so that no two
 * files call each other: gateway_reply.c and gateway_cors.c answer; gateway_builtin.c
 * (non-RPC endpoints) uses them; gateway_http.c (the server and its call loop) uses all.
 */
#ifndef SATHD_GW_INTERNAL_H
#define SATHD_GW_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "sathd/gateway.h"
#include "route.h"

#define SATHD_GW_MAX_ORIGINS 32

/* Content-Security-Policy of /docs. */
#define SATHD_GW_DOCS_CSP                                                                  \
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "           \
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; "         \
    "form-action 'none'; frame-ancestors 'none'"

/* First chunk of a connection's arena (grows as a request needs). */
#define SATHD_GW_ARENA_CHUNK 16384

/* ---- slow clients (gateway_guard.c) ---- */

/* One connection: MHD's socket context.  The arena lives as long as the connection and
 * is reset after each request. */
typedef struct sathd_gw_conn {
    sathd_arena *arena;
    int fd;
    int64_t head_deadline_ms; /* monotonic; 0 while a request is being served */
    struct sathd_gw_conn *prev, *next;
} sathd_gw_conn;
typedef struct sathd_gw_guard sathd_gw_guard;

/* Starts the sweeper that closes connections whose request head is not complete within
 * head_timeout_ms of their start or of their previous response.  NULL with err on failure. */
sathd_gw_guard *sathd_gw_guard_new(int64_t head_timeout_ms, char *err, size_t errlen);
/* Stops the sweeper; every connection must have been closed (MHD_stop_daemon first). */
void sathd_gw_guard_free(sathd_gw_guard *gd);
/* MHD_CONNECTION_NOTIFY_STARTED / _CLOSED. open returns NULL on OOM. */
sathd_gw_conn *sathd_gw_guard_open(sathd_gw_guard *gd, struct MHD_Connection *mhd);
void sathd_gw_guard_close(sathd_gw_guard *gd, sathd_gw_conn *c);
/* The request head is in (first access-handler call) / the response is done. */
void sathd_gw_guard_head_done(sathd_gw_guard *gd, sathd_gw_conn *c);
void sathd_gw_guard_request_done(sathd_gw_guard *gd, sathd_gw_conn *c);

typedef struct sathd_gw_streams sathd_gw_streams; /* gateway_stream.c */

struct sathd_gateway {
    struct MHD_Daemon *daemon;
    sathd_gw_streams *streams; /* live server streams (mutable through a const gateway) */
    sathd_gw_router *router;
    sathd_gw_backend backend;
    sathd_gateway_opts opts;
    char *cors_buf;                           /* owned copy of the origins list */
    const char *origins[SATHD_GW_MAX_ORIGINS];
    size_t n_origins;
    int cors_any;
    int port;
    sathd_gw_guard *guard;
};

/* One HTTP request, allocated in the connection's arena on the first callback. */
typedef struct sathd_gw_req {
    sathd_arena *arena;
    char *body;
    size_t body_len, body_cap;
    int too_big;
    int api;                  /* an /api/ call: Cache-Control: no-store */
    sathd_gw_conn *conn;
    const char *request_id;
    const char *origin;       /* allowed CORS origin to echo, or NULL */
} sathd_gw_req;

/* Queues `body` (`len` bytes in the arena, or static) with status and content type,
 * adding the common headers (X-Request-Id, CORS).  `extra` is a NULL-terminated list of
 * header name/value pairs, may be NULL. */
enum MHD_Result sathd_gw_send(const sathd_gateway *g, struct MHD_Connection *conn,
                              const sathd_gw_req *rq, int status, const char *ctype,
                              const char *body, size_t len, const char *const *extra);
/* Queues the JSON error body for `grpc_code` with the HTTP status and headers it maps to. */
enum MHD_Result sathd_gw_send_error(const sathd_gateway *g, struct MHD_Connection *conn,
                                    const sathd_gw_req *rq, int grpc_code, const char *message);
/* The same for the outcome of a backend call: adds the rate-limit headers of `c` (may be
 * NULL) and its Retry-After. */
enum MHD_Result sathd_gw_send_call_error(const sathd_gateway *g, struct MHD_Connection *conn,
                                         const sathd_gw_req *rq, int code, const char *message,
                                         const sathd_gw_call *c);
/* Appends the RateLimit-Policy / RateLimit (and, when refused, Retry-After) headers of `c`
 * (may be NULL) to the NULL-terminated name/value list `extra`, which has room for six. */
void sathd_gw_ratelimit_headers(sathd_arena *a, const sathd_gw_call *c, const char **extra);
/* Answers with an HTTP status the gateway decides itself (not a backend status): 400,
 * 404, 405, 413, 414, 415 or 431, the body carrying the gRPC code that says the same. */
enum MHD_Result sathd_gw_send_http_error(const sathd_gateway *g, struct MHD_Connection *conn,
                                         const sathd_gw_req *rq, int http, const char *message,
                                         const char *const *extra);

/* Adds X-Request-Id and the CORS headers of `rq` to a response. */
void sathd_gw_common_headers(struct MHD_Response *r, const sathd_gw_req *rq);

/* Server streaming (gateway_stream.c): runs the streaming method `m` with the decoded
 * request `msg` on a thread of its own and answers with newline-delimited JSON in
 * grpc-gateway's format: one {"result": message} a line, {"error": status} last when the
 * stream fails after it began (before: the ordinary JSON error with its HTTP status).
 * `md` is copied. */
enum MHD_Result sathd_gw_stream(const sathd_gateway *g, struct MHD_Connection *conn,
                                const sathd_gw_req *rq, const sathd_method_desc *m,
                                const ProtobufCMessage *msg, const sathd_gw_md *md, size_t n_md,
                                const char *peer, int64_t deadline_ns);
int sathd_gw_streams_new(sathd_gateway *g);
/* Ends every live stream (their handlers see the writer dead) and waits for them. */
void sathd_gw_streams_stop(sathd_gateway *g);

/* The non-RPC endpoints (/healthz, /readyz, /openapi.json, /docs, /.well-known/jwks.json,
 * /metrics).  Returns 1 when `url` is one of them (the answer has been queued in *res),
 * 0 otherwise. */
int sathd_gw_builtin(const sathd_gateway *g, struct MHD_Connection *conn, const sathd_gw_req *rq,
                   const char *method, const char *url, enum MHD_Result *res);

/* CORS: parses opts.cors_origins into the origins list at start.  0, or -1 (err set). */
int sathd_gw_cors_parse(sathd_gateway *g, char *err, size_t errlen);
/* CORS: the origin to echo for request origin `origin` (NULL when not allowed/CORS off). */
const char *sathd_gw_cors_origin(const sathd_gateway *g, const char *origin);
/* Answers a CORS preflight; returns 1 when it was one. */
int sathd_gw_cors_preflight(const sathd_gateway *g, struct MHD_Connection *conn,
                            const sathd_gw_req *rq, const char *method, enum MHD_Result *res);

#endif /* SATHD_GW_INTERNAL_H */
