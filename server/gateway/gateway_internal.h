/*
 * gateway_internal.h - what the files of the gateway share: the server object, the
 * per-request context, and the helpers that answer a request.  Layers, so that no two
 * files call each other: gateway_reply.c and gateway_cors.c answer; gateway_builtin.c
 * (non-RPC endpoints) uses them; gateway_http.c (the server and its call loop) uses all.
 */
#ifndef SATHD_GW_INTERNAL_H
#define SATHD_GW_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "sathd/gateway.h"
#include "route.h"

#define SATHD_GW_MAX_ORIGINS 32

struct sathd_gateway {
    struct MHD_Daemon *daemon;
    sathd_gw_router *router;
    sathd_gw_backend backend;
    sathd_gateway_opts opts;
    char *cors_buf;                           /* owned copy of the origins list */
    const char *origins[SATHD_GW_MAX_ORIGINS];
    size_t n_origins;
    int cors_any;
    int port;
    pthread_key_t spare_arena; /* one parked request arena per libmicrohttpd thread */
    int has_spare_key;
};

/* One HTTP request, allocated in the connection's arena on the first callback. */
typedef struct sathd_gw_req {
    sathd_arena *arena;
    char *body;
    size_t body_len, body_cap;
    int too_big;
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
/* Answers with an HTTP status the gateway decides itself (not a backend status): 400,
 * 404, 405, 413 or 415, the body carrying the gRPC code that says the same. */
enum MHD_Result sathd_gw_send_http_error(const sathd_gateway *g, struct MHD_Connection *conn,
                                         const sathd_gw_req *rq, int http, const char *message,
                                         const char *const *extra);

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
