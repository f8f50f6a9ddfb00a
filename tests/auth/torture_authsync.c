/*
 * torture_authsync.c - the rules of sathd/authsync.h on their own (no feeds): when a
 * stamped answer may be served.  The two-instance behaviour with real feeds is
 * tests/integration/torture_authsync.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sathd/authsync.h"

#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"
#define NOW 1000000

static int setup(void **state)
{
    sathd_authsync *s = sathd_authsync_new(100);
    if (!s)
        return -1;
    sathd_authsync_feed_up(s, SATHD_FEED_REVOCATIONS);
    sathd_authsync_feed_synced(s, SATHD_FEED_REVOCATIONS, NOW);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    sathd_authsync_free(*state);
    return 0;
}

static void served_only_while_the_feed_is_synchronised(void **state)
{
    sathd_authsync *s = *state;
    uint64_t st = sathd_authsync_stamp(s);
    assert_true(st != 0);
    assert_true(sathd_authsync_valid(s, SATHD_FEED_REVOCATIONS, U1, st, NOW + 100));
    /* the last answered heartbeat is older than the bound: round trips again */
    assert_false(sathd_authsync_valid(s, SATHD_FEED_REVOCATIONS, U1, st, NOW + 101));
    /* the other feed never synchronised */
    assert_false(sathd_authsync_valid(s, SATHD_FEED_USERS, U1, st, NOW));
    sathd_authsync_feed_down(s, SATHD_FEED_REVOCATIONS);
    assert_false(sathd_authsync_valid(s, SATHD_FEED_REVOCATIONS, U1, st, NOW));
    assert_false(sathd_authsync_feed_live(s, SATHD_FEED_REVOCATIONS, NOW));
}

static void nothing_from_before_a_reconnection(void **state)
{
    sathd_authsync *s = *state;
    uint64_t before = sathd_authsync_stamp(s);
    sathd_authsync_feed_down(s, SATHD_FEED_REVOCATIONS);
    uint64_t during = sathd_authsync_stamp(s);
    sathd_authsync_feed_up(s, SATHD_FEED_REVOCATIONS);
    sathd_authsync_feed_synced(s, SATHD_FEED_REVOCATIONS, NOW);
    uint64_t after = sathd_authsync_stamp(s);
    assert_false(sathd_authsync_valid(s, SATHD_FEED_REVOCATIONS, U1, before, NOW));
    assert_false(sathd_authsync_valid(s, SATHD_FEED_REVOCATIONS, U1, during, NOW));
    assert_true(sathd_authsync_valid(s, SATHD_FEED_REVOCATIONS, U1, after, NOW));
}

static void a_change_voids_earlier_stamps_of_that_user(void **state)
{
    sathd_authsync *s = *state;
    uint64_t st = sathd_authsync_stamp(s);
    sathd_authsync_changed(s, U1);
    assert_false(sathd_authsync_valid(s, SATHD_FEED_REVOCATIONS, U1, st, NOW));
    assert_true(sathd_authsync_valid(s, SATHD_FEED_REVOCATIONS, U2, st, NOW));
    /* an upper-case id names the same user */
    uint64_t st3 = sathd_authsync_stamp(s);
    assert_true(sathd_authsync_valid(s, SATHD_FEED_REVOCATIONS, U1, st3, NOW));
    sathd_authsync *t = sathd_authsync_new(100);
    assert_non_null(t);
    sathd_authsync_feed_up(t, SATHD_FEED_REVOCATIONS);
    sathd_authsync_feed_synced(t, SATHD_FEED_REVOCATIONS, NOW);
    uint64_t a = sathd_authsync_stamp(t);
    sathd_authsync_changed(t, "ABCDEF00-0000-4000-8000-000000000000");
    assert_false(sathd_authsync_valid(t, SATHD_FEED_REVOCATIONS, "abcdef00-0000-4000-8000-000000000000", a, NOW));
    sathd_authsync_free(t);
}

static void changed_all_voids_every_earlier_stamp(void **state)
{
    sathd_authsync *s = *state;
    sathd_authsync_feed_up(s, SATHD_FEED_USERS);
    sathd_authsync_feed_synced(s, SATHD_FEED_USERS, NOW);
    uint64_t st = sathd_authsync_stamp(s);
    assert_true(sathd_authsync_valid(s, SATHD_FEED_USERS, U2, st, NOW));
    sathd_authsync_changed_all(s, SATHD_FEED_USERS);
    assert_false(sathd_authsync_valid(s, SATHD_FEED_USERS, U2, st, NOW));
    assert_true(sathd_authsync_valid(s, SATHD_FEED_REVOCATIONS, U2, st, NOW)); /* other feed */
    assert_true(sathd_authsync_valid(s, SATHD_FEED_USERS, U2, sathd_authsync_stamp(s), NOW));
}

static void disabled_or_missing_never_serves(void **state)
{
    (void)state;
    sathd_authsync *off = sathd_authsync_new(0);
    assert_non_null(off);
    sathd_authsync_feed_up(off, SATHD_FEED_REVOCATIONS);
    sathd_authsync_feed_synced(off, SATHD_FEED_REVOCATIONS, NOW);
    assert_false(sathd_authsync_valid(off, SATHD_FEED_REVOCATIONS, U1, sathd_authsync_stamp(off), NOW));
    assert_false(sathd_authsync_valid(NULL, SATHD_FEED_REVOCATIONS, U1, 5, NOW));
    assert_int_equal(sathd_authsync_stamp(NULL), 0);
    sathd_authsync_changed(NULL, U1); /* no-op */
    assert_false(sathd_authsync_valid(*state, SATHD_FEED_REVOCATIONS, U1, 0, NOW));
    assert_false(sathd_authsync_valid(*state, SATHD_FEED_REVOCATIONS, NULL, 5, NOW));
    assert_false(sathd_authsync_valid(*state, (sathd_authsync_feed)7, U1, 5, NOW));
    sathd_authsync_free(off);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(served_only_while_the_feed_is_synchronised, setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_from_before_a_reconnection, setup, teardown),
        cmocka_unit_test_setup_teardown(a_change_voids_earlier_stamps_of_that_user, setup, teardown),
        cmocka_unit_test_setup_teardown(changed_all_voids_every_earlier_stamp, setup, teardown),
        cmocka_unit_test_setup_teardown(disabled_or_missing_never_serves, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
