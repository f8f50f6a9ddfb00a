/*
 * billing.h - subscriptions, payments and the effective plan (issue 11).
 *
 * One sathd_billing per process (sathd_app.billing), built from the configuration:
 * provider `stripe` talks to Stripe's API through the shared HTTP client and accepts
 * Stripe's signed webhooks; provider `none` (development only) activates any plan at
 * once and says so.  Handlers in services/billing_service.c only forward to the
 * functions below, which set the call's status on failure and return it.
 *
 * Where the truth lives: the `subscriptions` row mirrors the Stripe subscription as
 * last fetched from Stripe (never as an event described it), and users.plan_id is the
 * effective plan derived from it by the policy in billing_state.c, written in the same
 * transaction.  Nothing a client sends can change either except through Stripe.
 */
#ifndef SATHD_BILLING_H
#define SATHD_BILLING_H

#include <stddef.h>
#include <stdint.h>

#include "sathd/call.h"
#include "sathd/config.h"
#include "sathd/httpc.h"
#include "sathd/pg.h"
#include "sathd/plans.h"
#include "google/api/httpbody.pb-c.h"
#include "sath/v1/billing.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sathd_billing sathd_billing;

/* The Stripe API version every request pins (Stripe-Version header); the fields we read
 * (subscription.current_period_end, invoice.subscription) are those of this version. */
#define SATHD_STRIPE_API_VERSION "2024-06-20"
/* How long a user's invoice listing is cached (Redis), seconds. */
#define SATHD_BILLING_INVOICE_CACHE_S 30

/* Builds billing from the configuration (provider, Stripe URL/keys, grace, return URL),
 * talking to Stripe through `http` (the server's shared client, borrowed: it must
 * outlive billing).  0, or -1 with a reason in err.  Free with sathd_billing_free. */
int sathd_billing_new(const sathd_config *cfg, sathd_httpc *http, sathd_billing **out, char *err,
                      size_t errlen);
void sathd_billing_free(sathd_billing *b);
/* 1 when the provider is `none` (plans activate at once, nothing is charged). */
int sathd_billing_is_free_mode(const sathd_billing *b);

/* BillingService methods, for the authenticated caller of `call`.  out / resp are
 * filled with strings and sub-messages in the call's arena. */
int sathd_billing_get_subscription(sathd_call *call, Sath__V1__Subscription *out);
int sathd_billing_subscribe(sathd_call *call, const Sath__V1__SubscribeRequest *req,
                            Sath__V1__SubscribeResponse *resp);
int sathd_billing_cancel(sathd_call *call, const Sath__V1__CancelSubscriptionRequest *req,
                         Sath__V1__Subscription *out);
int sathd_billing_list_invoices(sathd_call *call, const Sath__V1__ListInvoicesRequest *req,
                                Sath__V1__ListInvoicesResponse *resp);
/* The public, signed webhook: `in` is the raw body, metadata `stripe-signature` the
 * header.  INVALID_ARGUMENT (HTTP 400) for a bad signature or body; UNAVAILABLE when
 * Stripe or the database cannot be reached (Stripe retries). */
int sathd_billing_webhook(sathd_call *call, const Google__Api__HttpBody *in,
                          Google__Api__HttpBody *out);

/*
 * The effective plan of `user_id`, recomputed from the subscription state (so a grace
 * period that ran out since the last event takes effect now) and written to
 * users.plan_id when it changed, stopping over-limit bots (within a transaction on `c`
 * that the caller commits).  For the bots layer: call it before starting a bot.
 */
int sathd_billing_effective_plan(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                                 sathd_plan_info *out);

/* ---- state machine (billing_state.c), pure ---- */
typedef enum sathd_sub_status {
    SATHD_SUB_NONE = 0,   /* no row */
    SATHD_SUB_INCOMPLETE, /* waiting for the first payment */
    SATHD_SUB_ACTIVE,
    SATHD_SUB_PAST_DUE,
    SATHD_SUB_CANCELED,
} sathd_sub_status;

/* Stripe's subscription status word -> ours (unknown words: NONE). */
sathd_sub_status sathd_sub_status_from_stripe(const char *s);
/* Our SQL word ("incomplete", ...) <-> status. */
const char *sathd_sub_status_sql(sathd_sub_status s);
sathd_sub_status sathd_sub_status_parse(const char *sql);
/* 1 when the documented machine allows from -> to (staying put is allowed). */
int sathd_sub_transition_ok(sathd_sub_status from, sathd_sub_status to);
/* 1 when a subscription in `st` (past due since `past_due_since`, unix s) still grants its
 * plan at `now` with a grace period of `grace_s`. */
int sathd_sub_grants_plan(sathd_sub_status st, int64_t past_due_since, int64_t now, int64_t grace_s);

/* ---- entitlements (entitlements.c), pure ---- */
/* The reason a bot (n_symbols, capital, live) does not fit `plan`, written to buf and
 * returned; NULL when it fits. */
const char *sathd_billing_bot_violation(const sathd_plan_info *plan, int n_symbols,
                                        int64_t capital_cents, int live, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_BILLING_H */
