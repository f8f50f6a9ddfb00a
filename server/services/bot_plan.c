/*
 * bot_plan.c - the effective plan handed to the bots domain (see bot_plan.h).
 *
 * Why here: sathd_bots may not link sathd_billing (sath-orchestrator links sathd_bots
 * and has no billing object; billing already writes the bots' desired state through
 * SQL), so BotService's and BotAgentService's handlers pass this function in.  Billing
 * recomputes the plan from the subscription each time (a grace period that ran out since
 * the last webhook takes effect at the next start, config change or GetRunConfig).
 */
#include "bot_plan.h"

#include "sathd/billing.h"

int sathd__services_bot_plan(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                             sathd_bot_plan *out)
{
    sathd_plan_info p;
    int rc = sathd_billing_effective_plan(call, c, user_id, &p);
    if (rc != SATHD_OK)
        return rc;
    out->name = sathd_call_strdup(call, p.name);
    out->max_symbols = p.max_symbols;
    out->max_capital_cents = p.max_capital_cents;
    out->live_trading = p.live_trading != 0;
    return out->name ? SATHD_OK : sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
}
