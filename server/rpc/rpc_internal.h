/*
 * rpc_internal.h - what the files of server/rpc share but nobody outside needs:
 * the layout of sathd_call (call.c, interceptors.c) and the grpc-bound entry points of
 * the streaming services (health.c, reflection.c, stream.c, server.c).
 */
#ifndef SATHD_RPC_INTERNAL_H
#define SATHD_RPC_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "sathd/rpc.h"

struct sathd_call {
    sathd_arena *arena;
    const sathd_call_env *env;
    const sathd_registry_entry *entry;
    sathd_metadata_fn md;
    void *md_ud;
    const char *peer;
    int64_t deadline_ns;  /* monotonic, INT64_MAX: none */
    int64_t started_ns;
    const char *request_id;
    const sathd_identity *identity;
    int status;
    const char *message;  /* client-facing; NULL with OK */
    const char *client_ip; /* set by the admission hook */
    sathd_ratelimit_info rl;
    int has_rl;
    struct sathd_defer *defers; /* pending cleanups, latest first (sathd_call_defer) */
};

/* Runs the call's pending cleanups, latest first (call.c; by sathd_call_run). */
void sathd_call_run_defers(sathd_call *call);


/* ---- health (health.c) ---- */

/* grpc.health.v1.HealthCheckResponse.ServingStatus of `service` ("" = whole server),
 * or -1 when the service is unknown. */
int sathd_health_status(const sathd_registry *reg, const sathd_rpc_hooks *hooks,
                        const char *service);
/* The unary Check handler; impl is a sathd_health_ctx. */
typedef struct sathd_health_ctx {
    const sathd_registry *reg;
    const sathd_rpc_hooks *hooks;
    const atomic_int *stopping; /* set when the server shuts down */
} sathd_health_ctx;
int sathd_health_check(sathd_call *call, const void *impl, const ProtobufCMessage *req,
                       ProtobufCMessage *resp);
extern const sathd_method_desc sathd_health_check_desc;

/* ---- reflection (reflection.c) ---- */
typedef struct sathd_reflection sathd_reflection;
/* Parses the descriptor set (NULL with a message in err on malformed input).  `fds`
 * must outlive the result. Free with sathd_reflection_free(). */
sathd_reflection *sathd_reflection_new(const sathd_registry *reg,
                                       const sathd_file_descriptor *fds, size_t n_fds,
                                       char *err, size_t errlen);
void sathd_reflection_free(sathd_reflection *r);

#endif /* SATHD_RPC_INTERNAL_H */
