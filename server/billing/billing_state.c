/*
 * billing_state.c - the subscription state machine and the grace policy.
 *
 *               checkout paid                payment fails
 *   INCOMPLETE ───────────────▶ ACTIVE ◀──────────────────▶ PAST_DUE
 *        │                        │        payment succeeds      │
 *        │ expired / abandoned    │ canceled (now or at          │ canceled (Stripe's dunning
 *        ▼                        ▼  period end)                 ▼  gives up, or the user)
 *   CANCELED ◀───────────────────────────────────────────────────┘
 *
 * CANCELED is final: a later Subscribe makes a new row.  No state goes back to
 * INCOMPLETE.  The state we store is Stripe's, fetched from Stripe when an event
 * arrives (events come out of order; the fetched object is always the newest), and a
 * fetched state this machine does not allow from the stored one is ignored and logged
 * (e.g. a late fetch answering `active` for a row we already saw canceled).
 *
 * Stripe's words: incomplete -> INCOMPLETE; active, trialing -> ACTIVE; past_due,
 * unpaid -> PAST_DUE; canceled, incomplete_expired -> CANCELED.
 *
 * Grace policy: ACTIVE grants its plan.  PAST_DUE keeps granting it for
 * SATH_BILLING_GRACE_DAYS (default 7) counted from when we first saw it past due
 * (subscriptions.past_due_since), so a card that fails once does not stop a user's
 * bot mid-trade; after that the free plan applies even while Stripe keeps retrying,
 * and a later successful payment (ACTIVE) restores the plan.  INCOMPLETE and
 * CANCELED grant nothing: the free plan applies.
 */
#include <string.h>

#include "sathd/billing.h"

sathd_sub_status sathd_sub_status_from_stripe(const char *s)
{
    static const struct { const char *word; sathd_sub_status st; } map[] = {
        {"incomplete", SATHD_SUB_INCOMPLETE}, {"active", SATHD_SUB_ACTIVE},
        {"trialing", SATHD_SUB_ACTIVE},       {"past_due", SATHD_SUB_PAST_DUE},
        {"unpaid", SATHD_SUB_PAST_DUE},       {"canceled", SATHD_SUB_CANCELED},
        {"incomplete_expired", SATHD_SUB_CANCELED},
    };
    for (size_t i = 0; s && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(s, map[i].word) == 0)
            return map[i].st;
    return SATHD_SUB_NONE;
}

static const char *const sql_words[] = {"", "incomplete", "active", "past_due", "canceled"};

const char *sathd_sub_status_sql(sathd_sub_status s)
{
    return (unsigned)s < sizeof sql_words / sizeof sql_words[0] ? sql_words[s] : "";
}

sathd_sub_status sathd_sub_status_parse(const char *sql)
{
    for (size_t i = 1; sql && i < sizeof sql_words / sizeof sql_words[0]; i++)
        if (strcmp(sql, sql_words[i]) == 0)
            return (sathd_sub_status)i;
    return SATHD_SUB_NONE;
}

int sathd_sub_transition_ok(sathd_sub_status from, sathd_sub_status to)
{
    if (to == SATHD_SUB_NONE)
        return 0;
    if (from == to || from == SATHD_SUB_NONE)
        return 1;
    switch (from) {
    case SATHD_SUB_INCOMPLETE:
        return to == SATHD_SUB_ACTIVE || to == SATHD_SUB_CANCELED;
    case SATHD_SUB_ACTIVE:
        return to == SATHD_SUB_PAST_DUE || to == SATHD_SUB_CANCELED;
    case SATHD_SUB_PAST_DUE:
        return to == SATHD_SUB_ACTIVE || to == SATHD_SUB_CANCELED;
    default:
        return 0; /* CANCELED is final */
    }
}

int sathd_sub_grants_plan(sathd_sub_status st, int64_t past_due_since, int64_t now, int64_t grace_s)
{
    if (st == SATHD_SUB_ACTIVE)
        return 1;
    if (st == SATHD_SUB_PAST_DUE)
        return now - past_due_since < grace_s;
    return 0;
}
