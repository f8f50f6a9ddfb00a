/*
 * app.h - the server-wide context every handler reaches through sathd_call_app().
 *
 * Built once by sathd's main before the servers start and read-only afterwards (the
 * objects it points to are themselves thread-safe: pools, key set, hasher, caches).
 * Nothing in sathd keeps server state in globals; this struct is where it lives.
 */
#ifndef SATHD_APP_H
#define SATHD_APP_H

#include "sathd/call.h"
#include "sathd/config.h"
#include "sathd/jwt.h"
#include "sathd/password.h"
#include "sathd/ratelimit.h"
#include "sathd/pg.h"
#include "sathd/redis.h"
#include "sathd/token_cache.h"

/* Owned by server/billing (sathd/plans.h, sathd/billing.h), which builds on this
 * library: declared here for the same reason as sathd_keyring below. */
typedef struct sathd_plans_cache sathd_plans_cache;
typedef struct sathd_billing sathd_billing;

/* The last PostgreSQL and Redis probe of the health check.  Health checks arrive far more often
 * than the database's state changes (load balancers poll hard), so one probe per
 * SATHD_HEALTH_PROBE_MS serves them all; the other callers read the cached verdict. */
#define SATHD_HEALTH_PROBE_MS 1000
typedef struct sathd_health_probe {
    _Atomic int64_t next_ms; /* monotonic ms when the next probe is due */
    _Atomic int ok;          /* verdict of the last probe */
} sathd_health_probe;
/* Owned by sathd/keyring.h (server/keys).  Declared, not included: the keys domain builds
 * on this library (its store uses sathd/svc.h), so this library cannot link it. */
typedef struct sathd_keyring sathd_keyring;
/* Owned by sathd/httpc.h (server/httpc), declared for the same reason. */
typedef struct sathd_httpc sathd_httpc;
/* Owned by sathd/influx.h (server/botagent), declared for the same reason. */
typedef struct sathd_influx sathd_influx;

struct sathd_app {
    const sathd_config *cfg;
    sathd_pg_pool *pg;
    sathd_redis_pool *redis;
    sathd_jwt_keys *jwt;
    sathd_jwt_policy jwt_policy; /* issuer, audience, access TTL, leeway */
    sathd_token_cache *verified;  /* access tokens already verified (signature, claims) */
    sathd_pwhash *pwhash;
    sathd_plans_cache *plans;
    sathd_billing *billing; /* SATH_BILLING_PROVIDER: Stripe or none */
    sathd_keyring *keyring; /* SATH_ENCRYPTION_KEYS: users' API keys at rest */
    sathd_httpc *http;      /* outbound HTTP (key tests), SSRF guard per SATH_OUTBOUND_ALLOW */
    sathd_influx *influx;   /* bot metrics writer (SATH_INFLUX_URL); NULL without InfluxDB */
    sathd_health_probe health;
    sathd_rl_local *rl_local;          /* in-process buckets of the cheap calls */
    sathd_rl_local *rl_refused;        /* Redis keys refused, until when (monotonic us) */
    sathd_rl_conc *pw_per_ip;          /* password hashes running/waiting per client IP */
    sathd_cidr_list *trusted_proxies;  /* SATH_TRUSTED_PROXIES (empty list when unset) */
};

#endif /* SATHD_APP_H */
