/*
 * plans_cache.h - the plan catalogue, read from PostgreSQL and kept in memory for a
 * short time (SATH_PLANS_CACHE_TTL_MS), since every visitor of the pricing page asks
 * for it and it changes only when an operator edits the plans table.
 */
#ifndef SATHD_SERVICES_PLANS_CACHE_H
#define SATHD_SERVICES_PLANS_CACHE_H

#include <stdint.h>

#include "sathd/call.h"
#include "sath/v1/billing.pb-c.h"

typedef struct sathd_plans_cache sathd_plans_cache;

/* A cache whose entries live ttl_ms (0: every call reads the table).  Free with
 * sathd_plans_cache_free. */
sathd_plans_cache *sathd_plans_cache_new(int64_t ttl_ms);
void sathd_plans_cache_free(sathd_plans_cache *cache);

/* Fills resp with the active plans, cheapest first, copied into the call's arena.
 * Reads the table when the cached copy is older than the TTL; concurrent callers wait
 * for that one read instead of each issuing their own. */
int sathd_plans_cache_list(sathd_plans_cache *cache, sathd_call *call,
                           Sath__V1__ListPlansResponse *resp);

#endif
