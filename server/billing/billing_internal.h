/*
 * billing_internal.h - what the files of the billing library share: the billing
 * object, the Stripe API calls (stripe_api.c), and the subscription store
 * (billing_store.c, billing_apply.c).  Private to server/billing/.
 */
#ifndef SATHD_BILLING_INTERNAL_H
#define SATHD_BILLING_INTERNAL_H

#include <jansson.h>

#include "sathd/billing.h"
#include "sathd/httpc.h"
#include "google/protobuf/timestamp.pb-c.h"

#define SATHD_BILLING_MAX_SECRETS 8

struct sathd_billing {
    int provider;                 /* SATHD_BILLING_NONE / SATHD_BILLING_STRIPE */
    char *stripe_url;             /* without trailing '/' */
    char *secret_key;             /* wiped on free */
    char *secrets_buf;            /* webhook secrets, comma-split in place; wiped on free */
    size_t secrets_len;
    const char *secrets[SATHD_BILLING_MAX_SECRETS];
    size_t n_secrets;
    char *return_url;
    int64_t grace_s;
    int64_t timeout_ms;
    sathd_httpc *http;            /* borrowed: the server's shared client */
};

/* The billing object of the call's server. */
sathd_billing *sathd__billing_of(const sathd_call *call);

/* ---- Stripe API (stripe_api.c).  Every function sets the call's status on failure:
 * UNAVAILABLE when Stripe cannot be reached or answers 5xx/429, FAILED_PRECONDITION when
 * it refuses the request, INTERNAL for a rejected API key (details only in the log). */
typedef struct stripe_sub {
    char id[256], customer[256], status[32], price[256], item_id[256];
    int64_t start_date, current_period_end; /* unix s, 0 when absent */
    int cancel_at_period_end;
} stripe_sub;

/* Parses a Stripe subscription object. 0, or -1 when a required field is missing. */
int sathd__stripe_sub_parse(const json_t *obj, stripe_sub *out);
int sathd__stripe_create_customer(sathd_call *call, const char *user_id, const char *email,
                                  char id[256]);
/* Checkout Session (mode subscription) for `price`; *url in the call arena. */
int sathd__stripe_create_checkout(sathd_call *call, const char *customer, const char *price,
                                  const char *user_id, const char *plan_id, char **url,
                                  char session_id[256]);
int sathd__stripe_get_subscription(sathd_call *call, const char *id, stripe_sub *out);
/* Moves the subscription's item to `price` with proration. */
int sathd__stripe_change_price(sathd_call *call, const stripe_sub *cur, const char *price,
                               stripe_sub *out);
/* at_period_end: cancel_at_period_end=true; else deletes the subscription now. */
int sathd__stripe_cancel(sathd_call *call, const char *id, int at_period_end, stripe_sub *out);
/* GET /v1/invoices for the customer; *out is the parsed list object (caller decrefs). */
int sathd__stripe_list_invoices(sathd_call *call, const char *customer, int limit,
                                const char *starting_after, json_t **out);

/* ---- store (billing_store.c) ---- */
typedef struct billing_row {
    char id[37];             /* "" when none */
    char plan_id[37];
    sathd_sub_status status;
    int yearly;
    char stripe_id[256];     /* "" when none */
    int64_t started_us, period_end_us; /* microseconds, period_end 0 = NULL */
    int cancel_at_period_end;
} billing_row;

/* Reads row `r` of a result selected with the store's ROW_COLUMNS. */
void sathd__billing_row_read(const PGresult *res, int r, billing_row *row);
/* The row with id `id` (row->id "" when none). */
int sathd__billing_row_by_id(sathd_call *call, sathd_pg_conn *c, const char *id, billing_row *row);
/* The user's live (not canceled) subscription row, FOR UPDATE when `lock`; row->id ""
 * when none. */
int sathd__billing_live_row(sathd_call *call, sathd_pg_conn *c, const char *user_id, int lock,
                            billing_row *row);
/* users.stripe_customer_id ("" when none) and email. */
int sathd__billing_customer(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                            char customer[256], char email[256]);
/* Stores `customer` unless one is already stored; *customer becomes the stored one. */
int sathd__billing_set_customer(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                                char customer[256]);
/* The user owning a Stripe customer; user_id "" when none. */
int sathd__billing_user_of_customer(sathd_call *call, sathd_pg_conn *c, const char *customer,
                                    char user_id[37]);
/* The subscription message of a row (the implicit free plan when row is NULL / has no id). */
int sathd__billing_row_proto(sathd_call *call, const billing_row *row, Sath__V1__Subscription **out);

/* ---- applying a state (billing_apply.c), inside a transaction on c ---- */
typedef struct billing_target {
    const char *user_id;
    const sathd_plan_info *plan;
    int yearly;
    sathd_sub_status status;
    const char *stripe_id;     /* NULL for provider none */
    const char *stripe_status; /* Stripe's word, NULL for provider none */
    const char *checkout_session; /* NULL unless a checkout was just created */
    int64_t started_at, period_end; /* unix s; 0 = now / none */
    int cancel_at_period_end;
} billing_target;

/* Makes the user's subscription match *t (updating the row with the same Stripe id or
 * the user's pending one, else inserting; canceling any other live row), then recomputes
 * the effective plan.  *outcome (static text) says what happened. */
int sathd__billing_apply(sathd_call *call, sathd_pg_conn *c, const billing_target *t,
                         const char **outcome);
/* Stripe state -> target for apply; the plan comes from the subscription's price
 * (INTERNAL, logged, when no plan is sold at it). */
int sathd__billing_target_of(sathd_call *call, const char *user_id, const stripe_sub *s,
                             sathd_plan_info *plan, billing_target *t);
/* Stores a subscription as Stripe just returned it, in its own transaction. */
int sathd__billing_store_stripe(sathd_call *call, const char *user_id, const stripe_sub *s);
/* Stops the user's bot when it does not fit `plan`, which just took effect (inside the
 * caller's transaction on c). */
int sathd__billing_enforce(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                           const sathd_plan_info *plan);
/* Recomputes users.plan_id and enforces bot limits when it changed; *out when not NULL. */
int sathd__billing_sync_plan(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                             sathd_plan_info *out);

/* ---- helpers ---- */
/* A Timestamp in the call arena from unix seconds (NULL for 0). */
Google__Protobuf__Timestamp *sathd__billing_ts(sathd_call *call, int64_t unix_s);
/* Opens a connection and BEGINs; on failure nothing is held. */
int sathd__billing_begin(sathd_call *call, sathd_pg_conn **c);
/* COMMITs when rc is SATHD_OK (a failing COMMIT becomes the call's status), else rolls
 * back; gives the connection back either way.  Returns the final status. */
int sathd__billing_end(sathd_call *call, sathd_pg_conn *c, int rc);
/* Idempotency-Key for a POST: hex BLAKE2b of user, action, request id and `extra`. */
void sathd__billing_idem_key(const char *user_id, const char *action, const char *request_id,
                             const char *extra, char out[33]);

#endif
