/*
 * svc_internal.h - private to server/app: what the svc_*.c files share.
 */
#ifndef SATHD_APP_SVC_INTERNAL_H
#define SATHD_APP_SVC_INTERNAL_H

#include <stdint.h>

#include "sathd/svc.h"

/* Longest wait for a pooled connection on behalf of `call`: what is left of its
 * deadline, at most SATHD_SVC_ACQUIRE_MAX_MS; <= 0 when the deadline has passed. */
int64_t sathd_svc_acquire_budget(const sathd_call *call);

/* The end of every *_open: when *conn was acquired, ties it to the call (`release` runs
 * when the call ends) and returns SATHD_OK; otherwise logs `reason` (the pool's words,
 * never a secret) under `backend` ("database", "redis") and answers UNAVAILABLE naming
 * `what` for the client ("database", "session store").  Out of memory for the cleanup
 * record releases *conn at once, sets it NULL, and answers RESOURCE_EXHAUSTED. */
int sathd_svc_hold(sathd_call *call, void **conn, sathd_defer_fn release, const char *backend,
                   const char *what, const char *reason);

#endif /* SATHD_APP_SVC_INTERNAL_H */
