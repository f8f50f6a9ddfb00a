/*
 * gateway.h - the REST/JSON gateway: an HTTP server (libmicrohttpd) that transcodes
 * requests onto the RPC methods by their google.api.http rules (route.h) and the
 * proto3 JSON mapping (sathd/pbjson.h), and answers with JSON.
 *
 * The router and transcoder are shared; only the backend that runs a method differs:
 *   - in-process (gateway_local.c): a sathd_call through the same interceptor chain and
 *     handlers as gRPC, no loopback hop;
 *   - standalone (gateway_remote.c, the sath-gateway binary): a gRPC call to a sathd.
 *
 * Threads: libmicrohttpd's internal epoll thread pool.  Each connection owns an arena
 * (reset after every request), so the steady state makes few heap allocations, and no
 * lock is taken on the request path (the router and backend are read-only).
 */
#ifndef SATHD_GATEWAY_H
#define SATHD_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "sathd/arena.h"
#include "sathd/call.h"
#include "sathd/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One header-derived metadata pair handed to a backend (strings in the request arena). */
typedef struct sathd_gw_md {
    const char *key;   /* lower case: "authorization", "x-request-id", custom keys */
    const char *value;
} sathd_gw_md;

/* What a backend needs to run one method call. */
typedef struct sathd_gw_call {
    const sathd_method_desc *method;
    const ProtobufCMessage *req;   /* NULL when decoding failed (see decode_error) */
    const char *decode_error;      /* client-facing reason when req is NULL */
    const sathd_gw_md *md;         /* metadata from the headers */
    size_t n_md;
    const char *peer;              /* "ipv4:127.0.0.1:5555" */
    int64_t deadline_ns;           /* absolute, sathd_rpc_now_ns() clock; INT64_MAX: none */
    sathd_arena *arena;            /* request arena: all outputs live here */
    /* outputs */
    ProtobufCMessage *resp;        /* on status 0, in `arena` */
    const char *message;           /* status message (arena or static), NULL when none */
    sathd_ratelimit_info rl;       /* the deciding rate limit, when has_rl */
    int has_rl;
} sathd_gw_call;

/* The part that differs between in-process and standalone.  Every function is called
 * concurrently from the gateway threads. */
typedef struct sathd_gw_backend {
    void *ud;
    /* Runs c->method; returns the grpc status and fills c->resp / c->message. */
    int (*invoke)(void *ud, sathd_gw_call *c);
    /* Runs a server-streaming c->method, sending each message through `out` (on a thread
     * of its own: it may block for as long as the stream lasts); returns the final status
     * and fills c->message.  NULL: streaming methods answer 501. */
    int (*invoke_stream)(void *ud, sathd_gw_call *c, sathd_writer *out);
    /* 1 when the backend's dependencies answer (for /readyz). */
    int (*ready)(void *ud);
    /* malloc'd JWKS JSON, or NULL when not available (404). */
    char *(*jwks)(void *ud);
    /* malloc'd Prometheus text, or NULL when not available (404). */
    char *(*metrics)(void *ud);
} sathd_gw_backend;

typedef struct sathd_gateway_opts {
    const char *host;            /* bind address, "127.0.0.1" */
    int port;                    /* 0 picks one */
    int threads;                 /* MHD thread pool size (>= 1) */
    size_t max_body_bytes;       /* larger bodies: 413 */
    size_t max_header_bytes;     /* per-connection memory for request line + headers */
    unsigned max_connections;
    unsigned max_connections_per_ip; /* 0: 64 */
    int64_t request_timeout_ms;  /* default deadline and idle timeout */
    int64_t header_timeout_ms;   /* the whole request head must arrive within this (0: 10 s) */
    const char *cors_origins;    /* comma list, "*" any; NULL/"" = CORS off */
    const char *docs_dir;        /* /docs root; NULL: /docs answers 404 */
    const char *openapi_json;    /* served at /openapi.json; NULL: 404 */
    size_t openapi_json_len;
} sathd_gateway_opts;

typedef struct sathd_gateway sathd_gateway;

/* Builds the router from `methods` (those with an http rule) and starts serving.
 * `backend` is copied; its ud and every string in `o` must outlive the gateway.  NULL with
 * a reason in err on failure (bad template, cannot bind). */
sathd_gateway *sathd_gateway_start(const sathd_gateway_opts *o,
                                   const sathd_method_desc *const *methods, size_t n_methods,
                                   const sathd_gw_backend *backend, char *err, size_t errlen);
/* The TCP port actually bound. */
int sathd_gateway_port(const sathd_gateway *g);
/* Stops accepting, closes connections, joins the threads, frees.  NULL allowed. */
void sathd_gateway_stop(sathd_gateway *g);

/* HTTP status for a grpc status code (the google.rpc.Code table; 499 for CANCELLED). */
int sathd_gw_http_status(int grpc_code);

/* ---- backends ------------------------------------------------------------------- */

typedef struct sathd_app sathd_app;
typedef struct sathd_rpc_server sathd_rpc_server;
typedef struct sathd_registry sathd_registry;

/* In-process backend over a started gRPC server's registry and chain environment.
 * The sathd_gw_local (and what it points to) must outlive the gateway. */
typedef struct sathd_gw_local {
    sathd_app *app;
    sathd_registry *reg;
    sathd_rpc_server *srv;
} sathd_gw_local;
void sathd_gw_local_backend(sathd_gw_backend *out, sathd_gw_local *ctx);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_GATEWAY_H */
