/*
 * svc_hold.c - what taking a pooled connection for a call has in common for PostgreSQL
 * and Redis (see svc_internal.h): the wait budget, and tying the connection to the call.
 */
#include "svc_internal.h"

#include "sathd/log.h"

int64_t sathd_svc_acquire_budget(const sathd_call *call)
{
    int64_t left = sathd_call_remaining_ms(call);
    return left < SATHD_SVC_ACQUIRE_MAX_MS ? left : SATHD_SVC_ACQUIRE_MAX_MS;
}

int sathd_svc_hold(sathd_call *call, void **conn, sathd_defer_fn release, const char *backend,
                   const char *what, const char *reason)
{
    if (*conn) {
        if (sathd_call_defer(call, release, *conn) == 0)
            return SATHD_OK;
        release(call, *conn);
        *conn = NULL;
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    }
    sathd_log(SATHD_LOG_WARN, "msg=\"%s unavailable\" request_id=%s reason=\"%s\"", backend,
              sathd_call_request_id(call), reason);
    return sathd_call_error(call, SATHD_UNAVAILABLE, "%s unavailable, try again later", what);
}
