/*
 * health_probe.c - the `healthy` hook behind grpc.health.v1.Health.
 *
 * The verdict covers both backing services every handler may need: PostgreSQL and
 * Redis (sessions, revocation).  gRPC health checks and the gateway's /readyz read it.
 *
 * Invariant: at most one thread probes them per SATHD_HEALTH_PROBE_MS -- the one
 * that wins the compare-and-swap on next_ms -- and every other check answers from the
 * cached verdict without I/O, so a health check costs about what a cached call does.
 * The first check after start probes (next_ms starts at 0).
 */
#include <stdatomic.h>
#include <time.h>

#include "sathd/app.h"
#include "sathd/services.h"

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sathd_services_healthy(void *ud)
{
    sathd_app *app = ud;
    int64_t now = mono_ms();
    int64_t due = atomic_load_explicit(&app->health.next_ms, memory_order_acquire);
    if (now >= due && atomic_compare_exchange_strong(&app->health.next_ms, &due,
                                                     now + SATHD_HEALTH_PROBE_MS)) {
        int ok = sathd_pg_ping(app->pg, 1000) == 0 && sathd_redis_ping(app->redis, 1000) == 0;
        atomic_store_explicit(&app->health.ok, ok, memory_order_release);
        return ok;
    }
    return atomic_load_explicit(&app->health.ok, memory_order_acquire);
}
