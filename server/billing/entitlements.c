/*
 * entitlements.c - what a plan allows a bot: at most max_symbols symbols, at most
 * max_capital of capital, and live trading only on plans with live_trading; and
 * stopping the bot that no longer fits when a plan takes effect (billing_apply.c calls
 * sathd__billing_enforce inside its transaction).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "billing_internal.h"
#include "sathd/log.h"
#include "sathd/svc.h"

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

/* The user's bot as the limits see it: one that should run or still runs (bot_instances;
 * desired_state from sql/003_bots.sql). */
static const sathd_pg_stmt st_bot = {
    "billing_bot",
    "SELECT mode = 'live', CASE WHEN jsonb_typeof(config->'symbols') = 'array' "
    "THEN jsonb_array_length(config->'symbols') ELSE 0 END, "
    "CASE WHEN jsonb_typeof(config->'capital_cents') = 'number' "
    "THEN (config->>'capital_cents')::numeric::bigint ELSE 0 END "
    "FROM bot_instances WHERE user_id = $1 "
    "AND (desired_state = 'running' OR status IN ('starting', 'running'))",
    1};

/* Stops the user's bot when it does not fit `plan` (the plan just took effect). */
/* The bots domain's one way to change a bot's desired state (sql/003_bots.sql): bumps
 * the generation, keeps the reason as the bot's status message, and notifies
 * sath-orchestrator when this transaction commits. */
static const sathd_pg_stmt st_stop = {
    "billing_bot_stop", "SELECT sath_bot_desire($1::uuid, 'stopped', false, NULL, $2)", 2};

int sathd__billing_enforce(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                   const sathd_plan_info *plan)
{
    const PGresult *res = NULL;
    const char *p[] = {user_id};
    int rc = sathd_svc_pg_query(call, c, &st_bot, p, &res);
    if (rc != SATHD_OK)
        return rc;
    char why[200];
    const char *reason = NULL;
    if (PQntuples(res) > 0)
        reason = sathd_billing_bot_violation(plan, atoi(PQgetvalue(res, 0, 1)),
                                             strtoll(PQgetvalue(res, 0, 2), NULL, 10),
                                             PQgetvalue(res, 0, 0)[0] == 't', why, sizeof why);
    if (!reason)
        return SATHD_OK;
    sathd_log(SATHD_LOG_INFO, "msg=\"stopping bot over plan limits\" request_id=%s user_id=%s "
                              "plan=%s reason=\"%s\"",
              sathd_call_request_id(call), user_id, plan->name, reason);
    const char *q[] = {user_id, reason};
    return sathd_svc_pg_query(call, c, &st_stop, q, &res);
}
