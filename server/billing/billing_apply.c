/*
 * billing_apply.c - the one place a subscription's state changes, and with it the
 * effective plan (users.plan_id) and the bots that no longer fit it.
 *
 * Everything here runs inside the caller's transaction, so the webhook event row, the
 * subscription row, users.plan_id and the bots' desired state commit together or not
 * at all.  The transition rules and the grace policy are in billing_state.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing_internal.h"
#include "sathd/app.h"
#include "sathd/log.h"
#include "sathd/svc.h"

static const sathd_pg_stmt st_by_stripe = {
    "billing_by_stripe",
    "SELECT id, status FROM subscriptions WHERE stripe_subscription_id = $1 FOR UPDATE", 1};
static const sathd_pg_stmt st_pending = {
    "billing_pending",
    "SELECT id, status FROM subscriptions WHERE user_id = $1 AND status <> 'canceled' "
    "AND stripe_subscription_id IS NULL FOR UPDATE",
    1};
static const sathd_pg_stmt st_cancel_others = {
    "billing_cancel_others",
    "UPDATE subscriptions SET status = 'canceled', canceled_at = now(), past_due_since = NULL, "
    "updated_at = now() WHERE user_id = $1 AND status <> 'canceled' AND id IS DISTINCT FROM $2::uuid",
    2};
static const sathd_pg_stmt st_update = {
    "billing_update",
    "UPDATE subscriptions SET plan_id = $2, period = $3, status = $4, "
    "stripe_subscription_id = coalesce($5, stripe_subscription_id), "
    "stripe_status = coalesce($6, stripe_status), "
    "current_period_end = CASE WHEN $7::bigint > 0 THEN to_timestamp($7::bigint) "
    "ELSE current_period_end END, cancel_at_period_end = $8::boolean, "
    "canceled_at = CASE WHEN $4 = 'canceled' THEN coalesce(canceled_at, now()) END, "
    "past_due_since = CASE WHEN $4 = 'past_due' THEN coalesce(past_due_since, now()) END, "
    "stripe_checkout_session_id = coalesce($9, stripe_checkout_session_id), updated_at = now() "
    "WHERE id = $1",
    9};
static const sathd_pg_stmt st_insert = {
    "billing_insert",
    "INSERT INTO subscriptions (user_id, plan_id, period, status, stripe_subscription_id, "
    "stripe_status, started_at, current_period_end, cancel_at_period_end, canceled_at, "
    "past_due_since, stripe_checkout_session_id) VALUES ($1, $2, $3, $4, $5, $6, "
    "CASE WHEN $7::bigint > 0 THEN to_timestamp($7::bigint) ELSE now() END, "
    "CASE WHEN $8::bigint > 0 THEN to_timestamp($8::bigint) END, $9::boolean, "
    "CASE WHEN $4 = 'canceled' THEN now() END, CASE WHEN $4 = 'past_due' THEN now() END, $10)",
    10};
/* The user's current plan, the free plan, and the live subscription that may grant one.
 * FOR UPDATE OF u serialises plan changes of one user. */
static const sathd_pg_stmt st_effective = {
    "billing_effective",
    "SELECT u.plan_id, (SELECT id FROM plans WHERE name = 'free'), coalesce(s.plan_id::text, ''), "
    "coalesce(s.status, ''), coalesce(extract(epoch from s.past_due_since)::bigint, 0), "
    "extract(epoch from now())::bigint FROM users u LEFT JOIN subscriptions s "
    "ON s.user_id = u.id AND s.status <> 'canceled' WHERE u.id = $1 FOR UPDATE OF u",
    1};
static const sathd_pg_stmt st_set_plan = {
    "billing_set_plan", "UPDATE users SET plan_id = $2, updated_at = now() WHERE id = $1", 2};
int sathd__billing_sync_plan(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                             sathd_plan_info *out)
{
    const PGresult *res = NULL;
    const char *p[] = {user_id};
    int rc = sathd_svc_pg_query(call, c, &st_effective, p, &res);
    if (rc != SATHD_OK)
        return rc;
    if (PQntuples(res) < 1) {
        return sathd_call_error(call, SATHD_NOT_FOUND, "account not found");
    }
    char current[37], target[37];
    snprintf(current, sizeof current, "%s", PQgetvalue(res, 0, 0));
    sathd_sub_status st = sathd_sub_status_parse(PQgetvalue(res, 0, 3));
    int64_t since = strtoll(PQgetvalue(res, 0, 4), NULL, 10), now = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
    int grants = sathd_sub_grants_plan(st, since, now, sathd__billing_of(call)->grace_s);
    snprintf(target, sizeof target, "%s", PQgetvalue(res, 0, grants ? 2 : 1));
    sathd_plan_info plan;
    rc = sathd_plans_find(sathd_call_app(call)->plans, call, target, &plan);
    if (rc != SATHD_OK)
        return rc == SATHD_NOT_FOUND ? sathd_call_error(call, SATHD_INTERNAL, "effective plan missing")
                                     : rc;
    if (strcmp(current, target) != 0) {
        const char *q[] = {user_id, target};
        rc = sathd_svc_pg_query(call, c, &st_set_plan, q, &res);
        if (rc != SATHD_OK)
            return rc;
        sathd_log(SATHD_LOG_INFO, "msg=\"plan changed\" request_id=%s user_id=%s plan=%s",
                  sathd_call_request_id(call), user_id, plan.name);
        if ((rc = sathd__billing_enforce(call, c, user_id, &plan)) != SATHD_OK)
            return rc;
    }
    if (out)
        *out = plan;
    return SATHD_OK;
}

int sathd_billing_effective_plan(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                                 sathd_plan_info *out)
{
    return sathd__billing_sync_plan(call, c, user_id, out);
}

/* Finds the row *t concerns: same Stripe subscription, else the user's pending one. */
static int find_row(sathd_call *call, sathd_pg_conn *c, const billing_target *t, char id[37],
                    sathd_sub_status *st)
{
    const PGresult *res = NULL;
    id[0] = '\0';
    *st = SATHD_SUB_NONE;
    int rc = SATHD_OK;
    if (t->stripe_id) {
        const char *p[] = {t->stripe_id};
        if ((rc = sathd_svc_pg_query(call, c, &st_by_stripe, p, &res)) != SATHD_OK)
            return rc;
        if (PQntuples(res) > 0) {
            snprintf(id, 37, "%s", PQgetvalue(res, 0, 0));
            *st = sathd_sub_status_parse(PQgetvalue(res, 0, 1));
        }
        if (id[0])
            return SATHD_OK;
    }
    const char *p[] = {t->user_id};
    if ((rc = sathd_svc_pg_query(call, c, &st_pending, p, &res)) != SATHD_OK)
        return rc;
    if (PQntuples(res) > 0) {
        snprintf(id, 37, "%s", PQgetvalue(res, 0, 0));
        *st = sathd_sub_status_parse(PQgetvalue(res, 0, 1));
    }
    return SATHD_OK;
}

int sathd__billing_apply(sathd_call *call, sathd_pg_conn *c, const billing_target *t,
                         const char **outcome)
{
    char id[37];
    sathd_sub_status cur;
    int rc = find_row(call, c, t, id, &cur);
    if (rc != SATHD_OK)
        return rc;
    if (id[0] && !sathd_sub_transition_ok(cur, t->status)) {
        sathd_log(SATHD_LOG_INFO, "msg=\"stale subscription state ignored\" request_id=%s "
                                  "user_id=%s from=%s to=%s",
                  sathd_call_request_id(call), t->user_id, sathd_sub_status_sql(cur),
                  sathd_sub_status_sql(t->status));
        *outcome = "ignored: transition not allowed";
        return SATHD_OK;
    }
    const PGresult *res = NULL;
    if (t->status != SATHD_SUB_CANCELED) { /* one live subscription per user */
        const char *p[] = {t->user_id, id[0] ? id : NULL};
        if ((rc = sathd_svc_pg_query(call, c, &st_cancel_others, p, &res)) != SATHD_OK)
            return rc;
    }
    char started[24], end[24];
    snprintf(started, sizeof started, "%" PRId64, t->started_at);
    snprintf(end, sizeof end, "%" PRId64, t->period_end);
    const char *period = t->yearly ? "yearly" : "monthly", *status = sathd_sub_status_sql(t->status);
    const char *cancel = t->cancel_at_period_end ? "true" : "false";
    if (id[0]) {
        const char *p[] = {id, t->plan->id, period, status, t->stripe_id, t->stripe_status, end,
                           cancel, t->checkout_session};
        rc = sathd_svc_pg_query(call, c, &st_update, p, &res);
        *outcome = "updated";
    } else {
        const char *p[] = {t->user_id, t->plan->id, period, status, t->stripe_id, t->stripe_status,
                           started, end, cancel, t->checkout_session};
        rc = sathd_svc_pg_query(call, c, &st_insert, p, &res);
        *outcome = "inserted";
    }
    if (rc != SATHD_OK)
        return rc;
    return sathd__billing_sync_plan(call, c, t->user_id, NULL);
}
