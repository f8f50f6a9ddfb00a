/*
 * svc_redis.c - Redis on behalf of a call (see sathd/svc.h).
 */
#include "svc_internal.h"

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
    void *c = sathd_redis_acquire(sathd_call_app(call)->redis, budget, err, sizeof err);
    int rc = sathd_svc_hold(call, &c, release_conn, "redis", "session store", err);
    *out = c;
    return rc;
}

void sathd_svc_redis_close(sathd_call *call, redisContext *c)
{
    if (c)
        sathd_call_defer_run(call, release_conn, c);
}
