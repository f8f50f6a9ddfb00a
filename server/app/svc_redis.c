/*
 * svc_redis.c - Redis on behalf of a call (see sathd/svc.h).
 */
#include "svc_internal.h"

#include "sathd/log.h"

static void release_conn(sathd_call *call, void *c)
{
    sathd_redis_release(sathd_call_app(call)->redis, c);
}

int sathd_svc_redis_open(sathd_call *call, redisContext **out)
{
    char err[128] = "";
    int64_t budget = sathd_svc_acquire_budget(call);
    if (budget <= 0)
        return sathd_call_error(call, SATHD_DEADLINE_EXCEEDED, "deadline exceeded");
    *out = sathd_redis_acquire(sathd_call_app(call)->redis, budget, err, sizeof err);
    if (*out) {
        if (sathd_call_defer(call, release_conn, *out) == 0)
            return SATHD_OK;
        release_conn(call, *out);
        *out = NULL;
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    }
    sathd_log(SATHD_LOG_WARN, "msg=\"redis unavailable\" request_id=%s reason=\"%s\"",
              sathd_call_request_id(call), err);
    return sathd_call_error(call, SATHD_UNAVAILABLE, "session store unavailable, try again later");
}

void sathd_svc_redis_close(sathd_call *call, redisContext *c)
{
    if (c)
        sathd_call_defer_run(call, release_conn, c);
}
