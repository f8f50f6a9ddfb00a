/*
 * entitlements.c - what a plan allows a bot: at most max_symbols symbols, at most
 * max_capital of capital, and live trading only on plans with live_trading.  Used when
 * a plan changes (billing_apply.c stops a bot that no longer fits) and by the bots
 * layer before it starts one.
 */
#include <inttypes.h>
#include <stdio.h>

#include "sathd/billing.h"

const char *sathd_billing_bot_violation(const sathd_plan_info *plan, int n_symbols,
                                        int64_t capital_cents, int live, char *buf, size_t len)
{
    if (live && !plan->live_trading)
        snprintf(buf, len, "stopped: the %s plan does not include live trading", plan->name);
    else if (n_symbols > plan->max_symbols)
        snprintf(buf, len, "stopped: %d symbols exceed the %s plan's limit of %d", n_symbols,
                 plan->name, (int)plan->max_symbols);
    else if (capital_cents > plan->max_capital_cents)
        snprintf(buf, len,
                 "stopped: capital %" PRId64 ".%02d exceeds the %s plan's limit of %" PRId64 " %s",
                 capital_cents / 100, (int)(capital_cents % 100), plan->name,
                 plan->max_capital_cents / 100, plan->currency);
    else
        return NULL;
    return buf;
}
