/*
 * rpc.h - the RPC runtime of sathd: method registry, transport-neutral call pipeline
 * (interceptor chain), and the gRPC server built on grpc core's C API.
 *
 * Two layers:
 *   1. Transport-neutral (no grpc types): a transport (the gRPC server here, the REST
 *      gateway's in-process backend in server/gateway/gateway_local.c) creates a
 *      sathd_call for a matched registry entry, decodes the request into the call's
 *      arena and calls sathd_call_run(), which runs the single interceptor chain every
 *      call goes through:
 *        request id -> authentication -> deadline -> admission -> handler -> cleanups
 *        (sathd_call_defer) -> error mapping -> access log -> metrics.
 *   2. The gRPC server (sathd_rpc_server_*), which also serves grpc.health.v1.Health
 *      and grpc.reflection.v1alpha.ServerReflection.
 *
 * Wiring in main (block SIGTERM/SIGINT before grpc_init so no grpc thread takes them):
 *
 *     sigprocmask/pthread_sigmask(SIG_BLOCK, {SIGTERM, SIGINT});
 *     sodium_init(); grpc_init();
 *     sathd_registry *reg = sathd_registry_new();
 *     sath_v1_auth_service_bind(reg, &auth_impl); ...            (generated)
 *     sathd_rpc_hooks hooks = {app, auth_authenticate, app_healthy};
 *     sathd_rpc_server *srv = sathd_rpc_server_new(&opts, reg, app, &hooks,
 *         sath_v1_file_descriptors, sath_v1_n_file_descriptors, err, sizeof err);
 *     sathd_rpc_server_start(srv);
 *     sigwait(...);
 *     sathd_rpc_server_shutdown(srv, grace_ms);
 *     sathd_rpc_server_free(srv); sathd_registry_free(reg); grpc_shutdown();
 */
#ifndef SATHD_RPC_H
#define SATHD_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "sathd/arena.h"
#include "sathd/call.h"
#include "sathd/metrics.h"
#include "sathd/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Flag for internal methods whose calls are not written to the access log (health
 * probes would drown it).  Does not collide with the SATHD_METHOD_* of registry.h. */
#define SATHD_METHOD_NO_ACCESS_LOG 0x100u

/* ---- registry ----------------------------------------------------------------- */

/* One registered unary method.  Owned by the registry; the pointer is stable for the
 * registry's lifetime. */
typedef struct sathd_registry_entry {
    const sathd_method_desc *desc;
    sathd_unary_fn fn; /* NULL answers UNIMPLEMENTED */
    sathd_stream_handler_fn stream_fn; /* server-streaming methods (fn is then NULL) */
    const void *impl;
    size_t index;      /* 0..count-1 in order of addition (metrics slot) */
} sathd_registry_entry;

/* Empty registry; free with sathd_registry_free().  NULL on OOM. */
sathd_registry *sathd_registry_new(void);
void sathd_registry_free(sathd_registry *reg);
/* Entry for gRPC path `path` of `len` bytes (need not be NUL-terminated), or NULL. */
const sathd_registry_entry *sathd_registry_lookup(const sathd_registry *reg, const char *path,
                                                  size_t len);
/* Iteration in order of addition: for (i = 0; i < count; i++) sathd_registry_at(reg, i). */
size_t sathd_registry_count(const sathd_registry *reg);
const sathd_registry_entry *sathd_registry_at(const sathd_registry *reg, size_t i);
/* 1 when some method of service `service` (full name, "sath.v1.AuthService") is registered. */
int sathd_registry_has_service(const sathd_registry *reg, const char *service);

/* ---- hooks the application provides ------------------------------------------- */

typedef struct sathd_rpc_hooks {
    void *ud;
    /* Verifies `bearer_token` (never log it) and fills `out` (strings from the call's
     * arena).  Returns SATHD_OK, or an error status set with sathd_call_error().
     * NULL: every non-public method answers UNAUTHENTICATED. */
    int (*authenticate)(void *ud, sathd_call *call, const char *bearer_token,
                        sathd_identity *out);
    /* 1 when the service can serve (e.g. PostgreSQL reachable), 0 when not.  Called by
     * health checks from any thread.  NULL means always serving. */
    int (*healthy)(void *ud);
    /* Admission (rate limits), after authentication and before the handler, with the
     * decoded request.  SATHD_OK to go on, or an error status set with
     * sathd_call_error() (RESOURCE_EXHAUSTED with sathd_call_set_ratelimit(), or
     * UNAVAILABLE when the limiter's store is down and the call must not pass).
     * NULL: every call is admitted. */
    int (*admit)(void *ud, sathd_call *call, const ProtobufCMessage *req);
} sathd_rpc_hooks;

/* What the chain needs besides the call itself.  Shared by all transports; must
 * outlive every call created with it. */
typedef struct sathd_call_env {
    sathd_app *app;
    sathd_rpc_hooks hooks;
    sathd_metrics *metrics; /* may be NULL */
} sathd_call_env;

/* ---- transport side of a call --------------------------------------------------- */

/* Returns the first value of request metadata / header `key` (lower case) as a
 * NUL-terminated string in the call's arena, or NULL. */
typedef const char *(*sathd_metadata_fn)(void *ud, sathd_call *call, const char *key);

/* Monotonic clock in nanoseconds (CLOCK_MONOTONIC), the time base of deadlines. */
int64_t sathd_rpc_now_ns(void);

/* Request ids (request_id.c), for every transport.  A client's id (x-request-id) is kept
 * when it is 1 to SATHD_REQUEST_ID_MAX characters of [A-Za-z0-9._-] (safe in logs and
 * headers); sathd_request_id_ok says whether `s` is.  sathd_request_id returns `given`
 * when it is, else a fresh random id in `arena` ("-" when the arena is exhausted). */
#define SATHD_REQUEST_ID_MAX 64
int sathd_request_id_ok(const char *s);
const char *sathd_request_id(sathd_arena *arena, const char *given);

/* Creates a call in `arena` (the call and everything it allocates live until the
 * arena is reset).  `peer` is copied; `deadline_ns` is absolute on sathd_rpc_now_ns()'s
 * clock, INT64_MAX for none.  `md`/`md_ud` must stay usable until the call ends.
 * NULL when the arena is exhausted. */
sathd_call *sathd_call_new(sathd_arena *arena, const sathd_call_env *env,
                           const sathd_registry_entry *m, sathd_metadata_fn md, void *md_ud,
                           const char *peer, int64_t deadline_ns);

/* Runs the interceptor chain and the handler of `m`.  `req` is the decoded request
 * (in the call's arena); pass NULL when the transport could not decode it: the call then
 * answers INVALID_ARGUMENT with the message set by an earlier sathd_call_error() or
 * "malformed request message", still logged and counted.  On SATHD_OK `*resp` is the
 * response (in the arena), otherwise NULL.  Returns the final status. */
int sathd_call_run(sathd_call *call, const sathd_registry_entry *m, const ProtobufCMessage *req,
                   ProtobufCMessage **resp);

/* The same for a server-streaming method: the handler sends through `out`.  Returns the
 * final status (to be sent as the stream's trailer). */
int sathd_call_run_stream(sathd_call *call, const sathd_registry_entry *m,
                          const ProtobufCMessage *req, sathd_writer *out);

/* Final status and client-facing message (NULL when OK) after sathd_call_run(). */
int sathd_call_status(const sathd_call *call);
const char *sathd_call_message(const sathd_call *call);
/* The arena of the call. */
sathd_arena *sathd_call_arena(sathd_call *call);

/* Name of a status code, "OK", "INVALID_ARGUMENT", ... ("UNKNOWN" when out of range). */
const char *sathd_status_name(int code);

/* ---- gRPC server ---------------------------------------------------------------- */

typedef struct sathd_rpc_server sathd_rpc_server;

typedef struct sathd_rpc_opts {
    const char *addr;          /* "127.0.0.1:50051"; port 0 picks one */
    int workers;               /* unary worker threads (0: 2) */
    int calls_per_method;      /* outstanding request slots per method per worker (0: 4) */
    size_t max_message_bytes;  /* receive and send limit (0: 4 MiB) */
    const char *tls_cert_file; /* PEM chain; TLS when both files are set */
    const char *tls_key_file;
    const char *tls_client_ca_file; /* PEM CAs: clients must present a certificate they signed */
    int max_streams;           /* concurrent Watch/reflection streams (0: 64) */
    int no_reflection;         /* 1: no ServerReflection (production default) */
} sathd_rpc_opts;

/* Builds a server for every method of `reg`, plus grpc.health.v1.Health (Check is
 * added to `reg` as a public method, so the REST gateway and metrics see it too) and
 * grpc.reflection.v1alpha.ServerReflection over `fds` (serialized FileDescriptorProtos,
 * may be empty; the array is referenced, not copied, and must outlive the server).
 * `reg`, `app` must outlive the server; `hooks` is copied.  Call grpc_init() and
 * sodium_init() first (request ids use randombytes_buf).
 * On failure returns NULL with a message in `err`; `reg` may then already hold
 * Health/Check, so build a fresh registry before trying again. */
sathd_rpc_server *sathd_rpc_server_new(const sathd_rpc_opts *o, sathd_registry *reg,
                                       sathd_app *app, const sathd_rpc_hooks *hooks,
                                       const sathd_file_descriptor *fds, size_t n_fds,
                                       char *err, size_t errlen);
/* Binds and starts the workers; 0, or -1 when the address cannot be bound. */
int sathd_rpc_server_start(sathd_rpc_server *s);
/* Port actually bound (after start). */
int sathd_rpc_server_port(const sathd_rpc_server *s);
/* The chain environment and metrics (for the REST gateway and /metrics); owned by s. */
const sathd_call_env *sathd_rpc_server_env(const sathd_rpc_server *s);
sathd_metrics *sathd_rpc_server_metrics(const sathd_rpc_server *s);
/* Stops accepting calls, lets in-flight calls finish for up to `grace_ms`, cancels the
 * rest, then stops and joins every thread.  Callable once, from any thread that is not
 * a worker (e.g. main after sigwait). */
void sathd_rpc_server_shutdown(sathd_rpc_server *s, int grace_ms);
/* Frees the server (shuts it down with grace 0 first when still running). */
void sathd_rpc_server_free(sathd_rpc_server *s);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_RPC_H */
