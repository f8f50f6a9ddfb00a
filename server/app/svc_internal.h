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

#endif /* SATHD_APP_SVC_INTERNAL_H */
