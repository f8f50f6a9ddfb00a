/*
 * billing_webhook.c - POST /api/v1/billing/webhook: Stripe's signed event notifications.
 *
 * Order of work, and why:
 *  1. the signature is verified on the raw bytes (HttpBody) before anything is parsed,
 *     so unsigned input never reaches the JSON parser or the database;
 *  2. in ONE transaction: the event id is inserted (a duplicate delivery finds it and
 *     does nothing), the concerned subscription is locked per Stripe id
 *     (pg_advisory_xact_lock, so two events of one subscription are applied one after
 *     the other), the subscription is FETCHED from Stripe (events arrive out of order;
 *     the fetched object is always the newest), and the state change is applied;
 *  3. COMMIT.  Any failure rolls everything back, the event row included, and answers
 *     5xx so Stripe retries; nothing is lost or half-written.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "billing_internal.h"
#include "sathd/app.h"
#include "sathd/log.h"
#include "sathd/stripe_sig.h"
#include "sathd/svc.h"

static const sathd_pg_stmt st_event = {
    "billing_event_insert",
    "INSERT INTO billing_events (id, type, created_at, subscription_id) "
    "VALUES ($1, $2, to_timestamp($3::bigint), $4) ON CONFLICT (id) DO NOTHING RETURNING 1",
    4};
static const sathd_pg_stmt st_event_outcome = {
    "billing_event_outcome", "UPDATE billing_events SET outcome = $2 WHERE id = $1", 2};
static const sathd_pg_stmt st_sub_lock = {
    "billing_sub_lock", "SELECT pg_advisory_xact_lock(hashtextextended($1, 11))", 1};

/* The Stripe subscription an event concerns; NULL when the type is not one we act on
 * (*handled 0) or it concerns none (a one-off payment: *handled 1). */
static const char *subscription_of(const char *type, const json_t *obj, int *handled)
{
    *handled = 1;
    if (strcmp(type, "checkout.session.completed") == 0) {
        const char *mode = json_string_value(json_object_get(obj, "mode"));
        return mode && strcmp(mode, "subscription") == 0
                   ? json_string_value(json_object_get(obj, "subscription"))
                   : NULL;
    }
    if (strcmp(type, "invoice.paid") == 0 || strcmp(type, "invoice.payment_failed") == 0)
        return json_string_value(json_object_get(obj, "subscription"));
    if (strcmp(type, "customer.subscription.created") == 0 ||
        strcmp(type, "customer.subscription.updated") == 0 ||
        strcmp(type, "customer.subscription.deleted") == 0)
        return json_string_value(json_object_get(obj, "id"));
    *handled = 0;
    return NULL;
}

static int reply(sathd_call *call, Google__Api__HttpBody *out, const char *outcome)
{
    char *body = sathd_call_printf(call, "{\"received\":true,\"outcome\":\"%s\"}", outcome);
    out->content_type = sathd_call_strdup(call, "application/json");
    if (!body || !out->content_type)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    out->data.data = (uint8_t *)body;
    out->data.len = strlen(body);
    return SATHD_OK;
}

/* Inside the transaction: the subscription's current state from Stripe, stored. */
static int process(sathd_call *call, sathd_pg_conn *c, const char *sub_id, const char **outcome)
{
    const PGresult *res = NULL;
    const char *p[] = {sub_id};
    int rc = sathd_svc_pg_query(call, c, &st_sub_lock, p, &res);
    if (rc != SATHD_OK)
        return rc;
    stripe_sub s;
    rc = sathd__stripe_get_subscription(call, sub_id, &s);
    if (rc == SATHD_NOT_FOUND || rc == SATHD_INVALID_ARGUMENT) {
        *outcome = "ignored: no such subscription at Stripe"; /* nothing a retry would change */
        return SATHD_OK;
    }
    if (rc != SATHD_OK)
        return rc;
    char user_id[37];
    if ((rc = sathd__billing_user_of_customer(call, c, s.customer, user_id)) != SATHD_OK)
        return rc;
    if (!user_id[0]) {
        *outcome = "ignored: customer unknown here";
        return SATHD_OK;
    }
    sathd_plan_info plan;
    billing_target t;
    if ((rc = sathd__billing_target_of(call, user_id, &s, &plan, &t)) != SATHD_OK)
        return rc;
    return sathd__billing_apply(call, c, &t, outcome);
}

int sathd_billing_webhook(sathd_call *call, const Google__Api__HttpBody *in, Google__Api__HttpBody *out)
{
    sathd_billing *b = sathd__billing_of(call);
    if (b->provider != SATHD_BILLING_STRIPE)
        return sathd_call_error(call, SATHD_NOT_FOUND, "no payment provider is configured");
    const char *sig = sathd_call_metadata(call, "stripe-signature");
    sathd_stripe_sig_rc v = sathd_stripe_sig_verify(sig, in->data.data, in->data.len, b->secrets,
                                                    b->n_secrets, (int64_t)time(NULL),
                                                    SATHD_STRIPE_SIG_TOLERANCE);
    if (v != SATHD_STRIPE_SIG_OK) {
        /* never the body: it is unauthenticated input */
        sathd_log(SATHD_LOG_WARN,
                  "msg=\"webhook rejected\" request_id=%s peer=%s reason=\"%s\" bytes=%zu",
                  sathd_call_request_id(call), sathd_call_peer(call), sathd_stripe_sig_strerror(v),
                  in->data.len);
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "%s", sathd_stripe_sig_strerror(v));
    }
    json_t *ev = json_loadb((const char *)in->data.data, in->data.len, JSON_REJECT_DUPLICATES, NULL);
    const char *id = json_string_value(json_object_get(ev, "id"));
    const char *type = json_string_value(json_object_get(ev, "type"));
    const json_t *created = json_object_get(ev, "created");
    const json_t *obj = json_object_get(json_object_get(ev, "data"), "object");
    if (!id || strncmp(id, "evt_", 4) != 0 || strlen(id) > 200 || !type || strlen(type) > 100 ||
        !json_is_integer(created) || !json_is_object(obj)) {
        json_decref(ev);
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "not a Stripe event");
    }
    char *eid = sathd_call_strdup(call, id), *etype = sathd_call_strdup(call, type);
    char *ecreated = sathd_call_printf(call, "%lld", (long long)json_integer_value(created));
    int handled = 0;
    const char *s = subscription_of(type, obj, &handled);
    char *sub_id = s ? sathd_call_strdup(call, s) : NULL;
    json_decref(ev);
    if (!eid || !etype || !ecreated || (s && !sub_id))
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");

    sathd_pg_conn *c = NULL;
    int rc = sathd__billing_begin(call, &c);
    if (rc != SATHD_OK)
        return rc;
    const PGresult *res = NULL;
    const char *p[] = {eid, etype, ecreated, sub_id};
    const char *outcome = handled ? "ignored: no subscription in the event"
                                  : "ignored: event type not handled";
    rc = sathd_svc_pg_query(call, c, &st_event, p, &res);
    int fresh = rc == SATHD_OK && PQntuples(res) == 1;
    if (rc == SATHD_OK && !fresh) {
        sathd__billing_end(call, c, SATHD_CANCELLED); /* roll back: nothing to do */
        sathd_log(SATHD_LOG_INFO, "msg=\"duplicate webhook event\" request_id=%s event=%s",
                  sathd_call_request_id(call), eid);
        return reply(call, out, "duplicate");
    }
    if (rc == SATHD_OK && sub_id)
        rc = process(call, c, sub_id, &outcome);
    if (rc == SATHD_OK) {
        const char *q[] = {eid, outcome};
        rc = sathd_svc_pg_query(call, c, &st_event_outcome, q, &res);
    }
    rc = sathd__billing_end(call, c, rc);
    if (rc != SATHD_OK)
        return rc;
    sathd_log(SATHD_LOG_INFO, "msg=\"webhook event\" request_id=%s event=%s type=%s outcome=\"%s\"",
              sathd_call_request_id(call), eid, etype, outcome);
    return reply(call, out, outcome);
}
