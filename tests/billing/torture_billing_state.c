/*
 * torture_billing_state.c - the subscription state machine, Stripe's status words, the
 * grace policy and the bot-limit verdicts (billing_state.c, entitlements.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sathd/billing.h"

static void test_stripe_words(void **state)
{
    (void)state;
    assert_int_equal(sathd_sub_status_from_stripe("incomplete"), SATHD_SUB_INCOMPLETE);
    assert_int_equal(sathd_sub_status_from_stripe("active"), SATHD_SUB_ACTIVE);
    assert_int_equal(sathd_sub_status_from_stripe("trialing"), SATHD_SUB_ACTIVE);
    assert_int_equal(sathd_sub_status_from_stripe("past_due"), SATHD_SUB_PAST_DUE);
    assert_int_equal(sathd_sub_status_from_stripe("unpaid"), SATHD_SUB_PAST_DUE);
    assert_int_equal(sathd_sub_status_from_stripe("canceled"), SATHD_SUB_CANCELED);
    assert_int_equal(sathd_sub_status_from_stripe("incomplete_expired"), SATHD_SUB_CANCELED);
    assert_int_equal(sathd_sub_status_from_stripe("paused"), SATHD_SUB_NONE);
    assert_int_equal(sathd_sub_status_from_stripe(NULL), SATHD_SUB_NONE);
    for (int s = SATHD_SUB_INCOMPLETE; s <= SATHD_SUB_CANCELED; s++)
        assert_int_equal(sathd_sub_status_parse(sathd_sub_status_sql((sathd_sub_status)s)), s);
    assert_int_equal(sathd_sub_status_parse("bogus"), SATHD_SUB_NONE);
}

static void test_transitions(void **state)
{
    (void)state;
    enum { N = SATHD_SUB_NONE, I = SATHD_SUB_INCOMPLETE, A = SATHD_SUB_ACTIVE,
           P = SATHD_SUB_PAST_DUE, C = SATHD_SUB_CANCELED };
    /* allowed[from][to] for from, to in NONE..CANCELED: the documented machine */
    static const int allowed[5][5] = {
        /* to:   N  I  A  P  C */
        /* N */ {0, 1, 1, 1, 1},
        /* I */ {0, 1, 1, 0, 1},
        /* A */ {0, 0, 1, 1, 1},
        /* P */ {0, 0, 1, 1, 1},
        /* C */ {0, 0, 0, 0, 1},
    };
    for (int f = N; f <= C; f++)
        for (int t = N; t <= C; t++)
            assert_int_equal(sathd_sub_transition_ok((sathd_sub_status)f, (sathd_sub_status)t),
                             allowed[f][t]);
    (void)I, (void)A, (void)P;
}

static void test_grace(void **state)
{
    (void)state;
    const int64_t grace = 7 * 86400, since = 1700000000;
    assert_true(sathd_sub_grants_plan(SATHD_SUB_ACTIVE, 0, since, grace));
    assert_true(sathd_sub_grants_plan(SATHD_SUB_PAST_DUE, since, since, grace));
    assert_true(sathd_sub_grants_plan(SATHD_SUB_PAST_DUE, since, since + grace - 1, grace));
    assert_false(sathd_sub_grants_plan(SATHD_SUB_PAST_DUE, since, since + grace, grace));
    assert_false(sathd_sub_grants_plan(SATHD_SUB_PAST_DUE, since, since, 0)); /* no grace */
    assert_false(sathd_sub_grants_plan(SATHD_SUB_INCOMPLETE, 0, since, grace));
    assert_false(sathd_sub_grants_plan(SATHD_SUB_CANCELED, 0, since, grace));
    assert_false(sathd_sub_grants_plan(SATHD_SUB_NONE, 0, since, grace));
}

static void test_bot_violation(void **state)
{
    (void)state;
    sathd_plan_info free_plan = {.name = "free", .currency = "USD", .max_symbols = 1,
                                 .max_capital_cents = 100000, .live_trading = 0};
    sathd_plan_info pro = {.name = "pro", .currency = "USD", .max_symbols = 10,
                           .max_capital_cents = 10000000, .live_trading = 1};
    char buf[200];
    assert_null(sathd_billing_bot_violation(&pro, 10, 10000000, 1, buf, sizeof buf));
    assert_null(sathd_billing_bot_violation(&free_plan, 1, 100000, 0, buf, sizeof buf));
    const char *r = sathd_billing_bot_violation(&free_plan, 1, 1000, 1, buf, sizeof buf);
    assert_non_null(r);
    assert_non_null(strstr(r, "live trading"));
    r = sathd_billing_bot_violation(&free_plan, 3, 1000, 0, buf, sizeof buf);
    assert_non_null(r);
    assert_non_null(strstr(r, "3 symbols exceed the free plan's limit of 1"));
    r = sathd_billing_bot_violation(&free_plan, 1, 100001, 0, buf, sizeof buf);
    assert_non_null(r);
    assert_non_null(strstr(r, "capital 1000.01 exceeds the free plan's limit of 1000 USD"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stripe_words),
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_grace),
        cmocka_unit_test(test_bot_violation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
