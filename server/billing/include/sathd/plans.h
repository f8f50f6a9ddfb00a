/*
 * plans.h - the plan catalogue, read from PostgreSQL and kept in memory for a
 * short time (SATH_PLANS_CACHE_TTL_MS), since every visitor of the pricing page asks
 * for it and it changes only when an operator edits the plans table.
 */
#ifndef SATHD_BILLING_PLANS_H
#define SATHD_BILLING_PLANS_H

#include <stdint.h>

#include "sathd/call.h"
#include "sath/v1/billing.pb-c.h"

typedef struct sathd_plans_cache sathd_plans_cache;

/* One plan as billing and the bot limits need it (a copy: owned by the caller). */
typedef struct sathd_plan_info {
    char id[37];            /* UUID */
    char name[33];
    char currency[4];
    int64_t monthly_cents, yearly_cents;
    int32_t max_symbols;
    int64_t max_capital_cents;
    int live_trading;       /* 1: live trading allowed, 0: paper only */
    char price_monthly[256]; /* Stripe Price ids, "" when not sold through Stripe */
    char price_yearly[256];
} sathd_plan_info;

/* A cache whose entries live ttl_ms (0: every call reads the table).  Free with
 * sathd_plans_cache_free. */
sathd_plans_cache *sathd_plans_cache_new(int64_t ttl_ms);
void sathd_plans_cache_free(sathd_plans_cache *cache);

/* Fills resp with the active plans, cheapest first, copied into the call's arena.
 * Reads the table when the cached copy is older than the TTL; concurrent callers wait
 * for that one read instead of each issuing their own. */
int sathd_plans_cache_list(sathd_plans_cache *cache, sathd_call *call,
                           Sath__V1__ListPlansResponse *resp);

/* Copies the active plan whose id (UUID) or name is `key` into *out.  NOT_FOUND (with
 * the call's status set) when there is none. */
int sathd_plans_find(sathd_plans_cache *cache, sathd_call *call, const char *key,
                     sathd_plan_info *out);
/* Copies the plan sold at Stripe Price `price_id` into *out, *yearly = 1 when it is the
 * plan's yearly price.  NOT_FOUND when no plan has that price. */
int sathd_plans_find_price(sathd_plans_cache *cache, sathd_call *call, const char *price_id,
                           sathd_plan_info *out, int *yearly);
/* The proto Plan of *p in the call's arena (features are not filled); NULL on OOM. */
Sath__V1__Plan *sathd_plans_to_proto(sathd_call *call, const sathd_plan_info *p);
/* Forgets the cached copy, so the next call reads the table (tests, operator edits). */
void sathd_plans_cache_invalidate(sathd_plans_cache *cache);

#endif
