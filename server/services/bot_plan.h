/*
 * bot_plan.h - the seam between billing and the bots domain: the effective plan, as the
 * bots domain's limits (sathd_bot_plan_fn, sathd/bot_store.h).  Private to
 * server/services, the one library that links both sathd_billing and sathd_bots.
 */
#ifndef SATHD_SERVICES_BOT_PLAN_H
#define SATHD_SERVICES_BOT_PLAN_H

#include "sathd/bot_store.h"

/* A sathd_bot_plan_fn: sathd_billing_effective_plan() on `c` (in the caller's
 * transaction), copied into the call's arena. */
int sathd__services_bot_plan(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                             sathd_bot_plan *out);

#endif
