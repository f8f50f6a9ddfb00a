/*
 * billing_store.c - the SQL of billing that is not the state change itself: the
 * user's live subscription row, the Stripe customer of a user and back, and turning a
 * row into the Subscription message.  All queries are parameterised prepared
 * statements run on the caller's connection (often inside its transaction).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing_internal.h"
#include "sathd/app.h"
#include "sathd/svc.h"

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

#define ROW_COLUMNS                                                                              \
    "id, plan_id, status, period = 'yearly', coalesce(stripe_subscription_id, ''), "            \
    "(extract(epoch from started_at) * 1e6)::bigint, "                                           \
    "coalesce((extract(epoch from current_period_end) * 1e6)::bigint, 0), cancel_at_period_end"

static const sathd_pg_stmt st_live = {
    "billing_live",
    "SELECT " ROW_COLUMNS " FROM subscriptions WHERE user_id = $1 AND status <> 'canceled'", 1};
static const sathd_pg_stmt st_live_lock = {
    "billing_live_lock",
    "SELECT " ROW_COLUMNS " FROM subscriptions WHERE user_id = $1 AND status <> 'canceled' "
    "FOR UPDATE",
    1};
static const sathd_pg_stmt st_customer = {
    "billing_customer", "SELECT coalesce(stripe_customer_id, ''), email FROM users WHERE id = $1",
    1};
static const sathd_pg_stmt st_set_customer = {
    "billing_set_customer",
    "WITH u AS (UPDATE users SET stripe_customer_id = $2, updated_at = now() "
    "WHERE id = $1 AND stripe_customer_id IS NULL RETURNING stripe_customer_id) "
    "SELECT stripe_customer_id FROM u UNION ALL "
    "SELECT stripe_customer_id FROM users WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM u)",
    2};
static const sathd_pg_stmt st_user_of_customer = {
    "billing_user_of_customer", "SELECT id FROM users WHERE stripe_customer_id = $1", 1};

static const sathd_pg_stmt st_row_by_id = {
    "billing_row_by_id", "SELECT " ROW_COLUMNS " FROM subscriptions WHERE id = $1", 1};

void sathd__billing_row_read(const PGresult *res, int r, billing_row *row)
{
    memset(row, 0, sizeof *row);
    COPY(row->id, PQgetvalue(res, r, 0));
    COPY(row->plan_id, PQgetvalue(res, r, 1));
    row->status = sathd_sub_status_parse(PQgetvalue(res, r, 2));
    row->yearly = PQgetvalue(res, r, 3)[0] == 't';
    COPY(row->stripe_id, PQgetvalue(res, r, 4));
    row->started_us = strtoll(PQgetvalue(res, r, 5), NULL, 10);
    row->period_end_us = strtoll(PQgetvalue(res, r, 6), NULL, 10);
    row->cancel_at_period_end = PQgetvalue(res, r, 7)[0] == 't';
}

int sathd__billing_live_row(sathd_call *call, sathd_pg_conn *c, const char *user_id, int lock,
                            billing_row *row)
{
    memset(row, 0, sizeof *row);
    const PGresult *res = NULL;
    const char *p[] = {user_id};
    int rc = sathd_svc_pg_query(call, c, lock ? &st_live_lock : &st_live, p, &res);
    if (rc != SATHD_OK)
        return rc;
    if (PQntuples(res) > 0)
        sathd__billing_row_read(res, 0, row);
    return SATHD_OK;
}

int sathd__billing_row_by_id(sathd_call *call, sathd_pg_conn *c, const char *id, billing_row *row)
{
    memset(row, 0, sizeof *row);
    const PGresult *res = NULL;
    const char *p[] = {id};
    int rc = sathd_svc_pg_query(call, c, &st_row_by_id, p, &res);
    if (rc != SATHD_OK)
        return rc;
    if (PQntuples(res) > 0)
        sathd__billing_row_read(res, 0, row);
    return SATHD_OK;
}

int sathd__billing_begin(sathd_call *call, sathd_pg_conn **c)
{
    int rc = sathd_svc_pg_open(call, c);
    if (rc != SATHD_OK)
        return rc;
    if ((rc = sathd_svc_pg_begin(call, *c)) != SATHD_OK) {
        sathd_svc_pg_close(call, *c);
        *c = NULL;
    }
    return rc;
}

int sathd__billing_end(sathd_call *call, sathd_pg_conn *c, int rc)
{
    if (rc == SATHD_OK && sathd_pg_commit(c) != 0) {
        const sathd_pg_error *e = sathd_pg_last_error(c);
        rc = sathd_call_error(call, e->code == SATHD_ABORTED ? SATHD_ABORTED : SATHD_UNAVAILABLE,
                              "could not save the change, try again");
    } else if (rc != SATHD_OK) {
        sathd_pg_rollback(c);
    }
    sathd_svc_pg_close(call, c);
    return rc;
}

Google__Protobuf__Timestamp *sathd__billing_ts(sathd_call *call, int64_t unix_s)
{
    if (unix_s <= 0)
        return NULL;
    Google__Protobuf__Timestamp *ts = sathd_call_alloc(call, sizeof *ts);
    if (ts) {
        google__protobuf__timestamp__init(ts);
        ts->seconds = unix_s;
    }
    return ts;
}

int sathd__billing_customer(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                            char customer[256], char email[256])
{
    const PGresult *res = NULL;
    const char *p[] = {user_id};
    int rc = sathd_svc_pg_query(call, c, &st_customer, p, &res);
    if (rc != SATHD_OK)
        return rc;
    if (PQntuples(res) != 1) {
        return sathd_call_error(call, SATHD_NOT_FOUND, "account not found");
    }
    snprintf(customer, 256, "%s", PQgetvalue(res, 0, 0));
    snprintf(email, 256, "%s", PQgetvalue(res, 0, 1));
    return SATHD_OK;
}

/* Runs `st` and copies the first cell of its first row into out[cap] ("" when no row). */
static int query_cell(sathd_call *call, sathd_pg_conn *c, const sathd_pg_stmt *st,
                      const char *const *params, char *out, size_t cap)
{
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query(call, c, st, params, &res);
    if (rc != SATHD_OK)
        return rc;
    snprintf(out, cap, "%s", PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
    return SATHD_OK;
}

int sathd__billing_set_customer(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                                char customer[256])
{
    const char *p[] = {user_id, customer};
    char stored[256];
    int rc = query_cell(call, c, &st_set_customer, p, stored, sizeof stored);
    if (rc == SATHD_OK && stored[0])
        snprintf(customer, 256, "%s", stored);
    return rc;
}

int sathd__billing_user_of_customer(sathd_call *call, sathd_pg_conn *c, const char *customer,
                                    char user_id[37])
{
    const char *p[] = {customer};
    return query_cell(call, c, &st_user_of_customer, p, user_id, 37);
}

static Google__Protobuf__Timestamp *ts_us(sathd_call *call, int64_t us)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)us);
    return sathd_svc_timestamp_us(call, buf);
}

int sathd__billing_row_proto(sathd_call *call, const billing_row *row, Sath__V1__Subscription **out)
{
    sathd_plans_cache *plans = sathd_call_app(call)->plans;
    sathd_plan_info plan;
    int live = row && row->id[0];
    int rc = sathd_plans_find(plans, call, live ? row->plan_id : "free", &plan);
    if (rc != SATHD_OK)
        return rc == SATHD_NOT_FOUND ? sathd_call_error(call, SATHD_INTERNAL, "plan of subscription missing")
                                     : rc;
    Sath__V1__Subscription *s = sathd_call_alloc(call, sizeof *s);
    if (!s)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    sath__v1__subscription__init(s);
    s->plan = sathd_plans_to_proto(call, &plan);
    s->id = sathd_call_strdup(call, live ? row->id : "");
    if (!s->plan || !s->id)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    s->period = live && row->yearly ? SATH__V1__BILLING_PERIOD__BILLING_PERIOD_YEARLY
                                    : SATH__V1__BILLING_PERIOD__BILLING_PERIOD_MONTHLY;
    if (!live) {
        s->status = SATH__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_ACTIVE;
        *out = s;
        return SATHD_OK;
    }
    static const Sath__V1__SubscriptionStatus map[] = {
        SATH__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_UNSPECIFIED,
        SATH__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_INCOMPLETE,
        SATH__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_ACTIVE,
        SATH__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_PAST_DUE,
        SATH__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_CANCELED,
    };
    s->status = map[row->status <= SATHD_SUB_CANCELED ? row->status : 0];
    s->started_at = ts_us(call, row->started_us);
    if (row->period_end_us)
        s->current_period_end = ts_us(call, row->period_end_us);
    s->cancel_at_period_end = row->cancel_at_period_end;
    *out = s;
    return SATHD_OK;
}
