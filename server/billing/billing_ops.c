/*
 * billing_ops.c - GetSubscription, Subscribe and CancelSubscription.
 *
 * Stripe calls happen outside any transaction (a slow provider never holds a row
 * lock); the state they return is then stored with sathd__billing_apply in a short
 * transaction.  With provider none there is no Stripe: the requested state is stored
 * directly, and the response says that nothing was charged.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "billing_internal.h"
#include "sathd/app.h"
#include "sathd/log.h"
#include "sathd/svc.h"

static const char *caller(sathd_call *call)
{
    const sathd_identity *id = sathd_call_identity(call);
    return id ? id->user_id : NULL;
}

/* The user's live row, read on a connection taken and given back around it. */
static int live_row_now(sathd_call *call, const char *user_id, billing_row *row)
{
    sathd_pg_conn *c = NULL;
    int rc = sathd_svc_pg_open(call, &c);
    if (rc != SATHD_OK)
        return rc;
    rc = sathd__billing_live_row(call, c, user_id, 0, row);
    sathd_svc_pg_close(call, c);
    return rc;
}

/* The subscription message of the user's live row, else of row `fallback_id`, else the
 * implicit free plan. */
static int current_proto(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                         const char *fallback_id, Sath__V1__Subscription **out)
{
    billing_row row;
    int rc = sathd__billing_live_row(call, c, user_id, 0, &row);
    if (rc == SATHD_OK && !row.id[0] && fallback_id && fallback_id[0])
        rc = sathd__billing_row_by_id(call, c, fallback_id, &row);
    return rc == SATHD_OK ? sathd__billing_row_proto(call, &row, out) : rc;
}

/* Provider-none rows that were canceled at period end and whose period is over end now
 * (Stripe rows are ended by Stripe's own event). */
static int expire_local(sathd_call *call, sathd_pg_conn *c, const char *user_id, billing_row *row)
{
    if (!row->id[0] || row->stripe_id[0] || !row->cancel_at_period_end || !row->period_end_us ||
        row->period_end_us > (int64_t)time(NULL) * 1000000)
        return SATHD_OK;
    sathd_plan_info plan;
    int rc = sathd_plans_find(sathd_call_app(call)->plans, call, row->plan_id, &plan);
    if (rc != SATHD_OK)
        return rc;
    billing_target t = {.user_id = user_id, .plan = &plan, .yearly = row->yearly,
                        .status = SATHD_SUB_CANCELED, .cancel_at_period_end = 1};
    const char *outcome;
    return sathd__billing_apply(call, c, &t, &outcome);
}

/* The arena message into the caller's struct (the generated tables own that one). */
static int copy_out(int rc, const Sath__V1__Subscription *s, Sath__V1__Subscription *out)
{
    if (rc == SATHD_OK)
        *out = *s;
    return rc;
}

int sathd_billing_get_subscription(sathd_call *call, Sath__V1__Subscription *out)
{
    const char *user_id = caller(call);
    sathd_pg_conn *c = NULL;
    int rc = sathd__billing_begin(call, &c);
    if (rc != SATHD_OK)
        return rc;
    billing_row row;
    rc = sathd__billing_live_row(call, c, user_id, 1, &row);
    if (rc == SATHD_OK)
        rc = expire_local(call, c, user_id, &row);
    if (rc == SATHD_OK) /* a grace period may have run out since the last event */
        rc = sathd__billing_sync_plan(call, c, user_id, NULL);
    Sath__V1__Subscription *s = NULL;
    if (rc == SATHD_OK)
        rc = current_proto(call, c, user_id, NULL, &s);
    return copy_out(sathd__billing_end(call, c, rc), s, out);
}

static int respond(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                   Sath__V1__SubscribeResponse *resp, const char *msg, const char *url)
{
    resp->message = sathd_call_strdup(call, msg);
    resp->checkout_url = sathd_call_strdup(call, url ? url : "");
    if (!resp->message || !resp->checkout_url)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    return current_proto(call, c, user_id, NULL, &resp->subscription);
}

/* Provider none: the plan is active at once for one period; nothing is charged. */
static int subscribe_free_mode(sathd_call *call, const char *user_id, const sathd_plan_info *plan,
                               int yearly, Sath__V1__SubscribeResponse *resp)
{
    sathd_pg_conn *c = NULL;
    int rc = sathd__billing_begin(call, &c);
    if (rc != SATHD_OK)
        return rc;
    billing_row row;
    rc = sathd__billing_live_row(call, c, user_id, 1, &row);
    const char *msg = "already subscribed to this plan; nothing changed";
    if (rc == SATHD_OK && !(row.id[0] && strcmp(row.plan_id, plan->id) == 0 &&
                            row.yearly == yearly && row.status == SATHD_SUB_ACTIVE &&
                            !row.cancel_at_period_end)) {
        int64_t now = (int64_t)time(NULL);
        billing_target t = {.user_id = user_id, .plan = plan, .yearly = yearly,
                            .status = SATHD_SUB_ACTIVE, .started_at = now,
                            .period_end = now + (yearly ? 365 : 30) * 86400};
        const char *outcome;
        rc = sathd__billing_apply(call, c, &t, &outcome);
        msg = "billing provider is none: the plan is active at once and nothing was charged";
    }
    if (rc == SATHD_OK)
        rc = respond(call, c, user_id, resp, msg, NULL);
    return sathd__billing_end(call, c, rc);
}

int sathd__billing_target_of(sathd_call *call, const char *user_id, const stripe_sub *s,
                     sathd_plan_info *plan, billing_target *t)
{
    int yearly = 0;
    int rc = sathd_plans_find_price(sathd_call_app(call)->plans, call, s->price, plan, &yearly);
    if (rc != SATHD_OK) {
        sathd_log(SATHD_LOG_ERROR, "msg=\"stripe subscription has a price no plan is sold at\" "
                                   "request_id=%s subscription=%s price=%s",
                  sathd_call_request_id(call), s->id, s->price);
        return sathd_call_error(call, SATHD_INTERNAL, "unknown Stripe price %s", s->price);
    }
    sathd_sub_status st = sathd_sub_status_from_stripe(s->status);
    if (st == SATHD_SUB_NONE)
        return sathd_call_error(call, SATHD_INTERNAL, "unknown Stripe status %s", s->status);
    *t = (billing_target){.user_id = user_id, .plan = plan, .yearly = yearly, .status = st,
                          .stripe_id = s->id, .stripe_status = s->status,
                          .started_at = s->start_date, .period_end = s->current_period_end,
                          .cancel_at_period_end = s->cancel_at_period_end};
    return SATHD_OK;
}

int sathd__billing_store_stripe(sathd_call *call, const char *user_id, const stripe_sub *s)
{
    sathd_plan_info plan;
    billing_target t;
    int rc = sathd__billing_target_of(call, user_id, s, &plan, &t);
    if (rc != SATHD_OK)
        return rc;
    sathd_pg_conn *c = NULL;
    if ((rc = sathd__billing_begin(call, &c)) != SATHD_OK)
        return rc;
    const char *outcome;
    rc = sathd__billing_apply(call, c, &t, &outcome);
    return sathd__billing_end(call, c, rc);
}

/* No subscription in force: the user's Stripe customer (created once), then a Checkout
 * Session; the row is INCOMPLETE until Stripe confirms the payment.  *url in the arena. */
static int start_checkout(sathd_call *call, const char *user_id, const sathd_plan_info *plan,
                          int yearly, const char *price, char customer[256], const char *email,
                          char **url)
{
    sathd_pg_conn *c = NULL;
    int rc;
    if (!customer[0]) {
        char fresh[256];
        if ((rc = sathd__stripe_create_customer(call, user_id, email, fresh)) != SATHD_OK)
            return rc;
        if ((rc = sathd_svc_pg_open(call, &c)) != SATHD_OK)
            return rc;
        rc = sathd__billing_set_customer(call, c, user_id, fresh); /* a racing call's wins */
        sathd_svc_pg_close(call, c);
        if (rc != SATHD_OK)
            return rc;
        snprintf(customer, 256, "%s", fresh);
    }
    char session[256];
    rc = sathd__stripe_create_checkout(call, customer, price, user_id, plan->id, url, session);
    if (rc != SATHD_OK || (rc = sathd__billing_begin(call, &c)) != SATHD_OK)
        return rc;
    billing_target t = {.user_id = user_id, .plan = plan, .yearly = yearly,
                        .status = SATHD_SUB_INCOMPLETE, .checkout_session = session};
    const char *outcome;
    rc = sathd__billing_apply(call, c, &t, &outcome);
    return sathd__billing_end(call, c, rc);
}

/* Stripe: change plan in place when a subscription is in force, else a Checkout. */
static int subscribe_stripe(sathd_call *call, const char *user_id, const sathd_plan_info *plan,
                            int yearly, Sath__V1__SubscribeResponse *resp)
{
    const char *price = yearly ? plan->price_yearly : plan->price_monthly;
    if (!price[0])
        return sathd_call_error(call, SATHD_FAILED_PRECONDITION, "plan %s is not sold %s", plan->name,
                                yearly ? "yearly" : "monthly");
    sathd_pg_conn *c = NULL;
    int rc = sathd_svc_pg_open(call, &c);
    if (rc != SATHD_OK)
        return rc;
    billing_row row;
    char customer[256] = "", email[256] = "";
    rc = sathd__billing_live_row(call, c, user_id, 0, &row);
    if (rc == SATHD_OK)
        rc = sathd__billing_customer(call, c, user_id, customer, email);
    sathd_svc_pg_close(call, c);
    if (rc != SATHD_OK)
        return rc;
    const char *msg;
    char *url = NULL;
    int in_force = row.id[0] && row.stripe_id[0] &&
                   (row.status == SATHD_SUB_ACTIVE || row.status == SATHD_SUB_PAST_DUE);
    if (in_force && strcmp(row.plan_id, plan->id) == 0 && row.yearly == yearly) {
        msg = "already subscribed to this plan; nothing changed";
    } else if (in_force) {
        stripe_sub cur, upd;
        rc = sathd__stripe_get_subscription(call, row.stripe_id, &cur);
        if (rc == SATHD_OK)
            rc = sathd__stripe_change_price(call, &cur, price, &upd);
        if (rc == SATHD_OK)
            rc = sathd__billing_store_stripe(call, user_id, &upd);
        msg = "plan changed on the current subscription; Stripe prorates the difference";
    } else {
        rc = start_checkout(call, user_id, plan, yearly, price, customer, email, &url);
        msg = "complete the payment at checkout_url; the plan applies once Stripe confirms it";
    }
    if (rc != SATHD_OK || (rc = sathd_svc_pg_open(call, &c)) != SATHD_OK)
        return rc;
    rc = respond(call, c, user_id, resp, msg, url);
    sathd_svc_pg_close(call, c);
    return rc;
}

int sathd_billing_subscribe(sathd_call *call, const Sath__V1__SubscribeRequest *req,
                            Sath__V1__SubscribeResponse *resp)
{
    const char *user_id = caller(call);
    if (!req->plan_id || !req->plan_id[0])
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "plan_id: required (plan id or name)");
    if (req->period != SATH__V1__BILLING_PERIOD__BILLING_PERIOD_UNSPECIFIED &&
        req->period != SATH__V1__BILLING_PERIOD__BILLING_PERIOD_MONTHLY &&
        req->period != SATH__V1__BILLING_PERIOD__BILLING_PERIOD_YEARLY)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "period: unknown value");
    int yearly = req->period == SATH__V1__BILLING_PERIOD__BILLING_PERIOD_YEARLY;
    sathd_plan_info plan;
    int rc = sathd_plans_find(sathd_call_app(call)->plans, call, req->plan_id, &plan);
    if (rc != SATHD_OK)
        return rc;
    if (plan.monthly_cents == 0 && plan.yearly_cents == 0)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                "plan %s is free and needs no subscription; cancel the current "
                                "subscription instead", plan.name);
    if (sathd__billing_of(call)->provider == SATHD_BILLING_NONE)
        return subscribe_free_mode(call, user_id, &plan, yearly, resp);
    return subscribe_stripe(call, user_id, &plan, yearly, resp);
}

int sathd_billing_cancel(sathd_call *call, const Sath__V1__CancelSubscriptionRequest *req,
                         Sath__V1__Subscription *out)
{
    const char *user_id = caller(call);
    sathd_pg_conn *c = NULL;
    billing_row row;
    int rc = live_row_now(call, user_id, &row);
    if (rc != SATHD_OK)
        return rc;
    if (!row.id[0])
        return sathd_call_error(call, SATHD_FAILED_PRECONDITION, "no subscription to cancel");
    if (row.stripe_id[0]) {
        stripe_sub s;
        rc = sathd__stripe_cancel(call, row.stripe_id, !req->immediately, &s);
        if (rc == SATHD_OK)
            rc = sathd__billing_store_stripe(call, user_id, &s);
    } else {
        /* provider none, or a checkout never completed: nothing at Stripe to cancel */
        sathd_plan_info plan;
        rc = sathd_plans_find(sathd_call_app(call)->plans, call, row.plan_id, &plan);
        int now = req->immediately || row.status == SATHD_SUB_INCOMPLETE;
        billing_target t = {.user_id = user_id, .plan = &plan, .yearly = row.yearly,
                            .status = now ? SATHD_SUB_CANCELED : row.status,
                            .cancel_at_period_end = !now};
        const char *outcome;
        if (rc == SATHD_OK && (rc = sathd__billing_begin(call, &c)) == SATHD_OK) {
            rc = sathd__billing_apply(call, c, &t, &outcome);
            rc = sathd__billing_end(call, c, rc);
        }
    }
    if (rc != SATHD_OK)
        return rc;
    if ((rc = sathd_svc_pg_open(call, &c)) != SATHD_OK)
        return rc;
    Sath__V1__Subscription *s = NULL;
    rc = current_proto(call, c, user_id, row.id, &s);
    sathd_svc_pg_close(call, c);
    return copy_out(rc, s, out);
}
