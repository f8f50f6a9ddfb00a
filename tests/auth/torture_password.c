/*
 * torture_password.c - Argon2id hashing and verification, the imported bcrypt vector,
 * rehash decisions, the password rules, the dummy verify, and the concurrency gate
 * (with real threads).
 *
 * Contexts use OWASP's minimum (m = 19 MiB, t = 2): the cheapest parameters the module
 * accepts, so the suite stays fast while exercising the real thing.
 */
#include "sathd/password.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const sathd_pwhash_params MIN_PARAMS = {SATHD_PWHASH_MIN_OPSLIMIT,
                                               SATHD_PWHASH_MIN_MEMLIMIT_KIB, 2};

static int setup(void **state)
{
    if (sodium_init() < 0)
        return -1;
    sathd_pwhash *ctx = sathd_pwhash_new(&MIN_PARAMS, NULL);
    *state = ctx;
    return ctx ? 0 : -1;
}

static int teardown(void **state)
{
    sathd_pwhash_free(*state);
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void test_params_rejected_below_minimum(void **state)
{
    (void)state;
    const char *why = NULL;
    sathd_pwhash_params p = MIN_PARAMS;
    p.memlimit_kib = SATHD_PWHASH_MIN_MEMLIMIT_KIB - 1;
    assert_null(sathd_pwhash_new(&p, &why));
    assert_non_null(strstr(why, "MEMLIMIT"));
    p = MIN_PARAMS;
    p.opslimit = 1;
    assert_null(sathd_pwhash_new(&p, &why));
    assert_non_null(strstr(why, "OPSLIMIT"));
    p = MIN_PARAMS;
    p.max_concurrency = 0;
    assert_null(sathd_pwhash_new(&p, &why));
    assert_null(sathd_pwhash_new(NULL, &why));
}

static void test_hash_and_verify(void **state)
{
    sathd_pwhash *ctx = *state;
    const char *pw = "correct horse battery staple";
    char *h = NULL, *h2 = NULL;
    bool rehash = true;
    assert_int_equal(sathd_pwhash_hash(ctx, pw, strlen(pw), -1, &h), SATHD_PW_OK);
    assert_non_null(h);
    assert_memory_equal(h, "$argon2id$", 10);
    assert_non_null(strstr(h, "m=19456,t=2,p=1"));
    assert_int_equal(sathd_pwhash_verify(ctx, h, pw, strlen(pw), -1, &rehash), SATHD_PW_OK);
    assert_false(rehash);
    assert_int_equal(sathd_pwhash_verify(ctx, h, "correct horse battery stapl", 27, -1, &rehash),
                     SATHD_PW_MISMATCH);
    /* Salted: the same password hashes differently each time. */
    assert_int_equal(sathd_pwhash_hash(ctx, pw, strlen(pw), -1, &h2), SATHD_PW_OK);
    assert_string_not_equal(h, h2);
    /* Length is explicit: a NUL inside the password is part of it. */
    char *hn = NULL;
    assert_int_equal(sathd_pwhash_hash(ctx, "abc\0def", 7, -1, &hn), SATHD_PW_OK);
    assert_int_equal(sathd_pwhash_verify(ctx, hn, "abc\0def", 7, -1, NULL), SATHD_PW_OK);
    assert_int_equal(sathd_pwhash_verify(ctx, hn, "abc", 3, -1, NULL), SATHD_PW_MISMATCH);
    free(hn);
    free(h);
    free(h2);
}

static void test_needs_rehash_when_params_rise(void **state)
{
    sathd_pwhash *ctx = *state;
    char *h = NULL;
    bool rehash = false;
    assert_int_equal(sathd_pwhash_hash(ctx, "password123", 11, -1, &h), SATHD_PW_OK);
    sathd_pwhash_params stronger = MIN_PARAMS;
    stronger.opslimit = 3;
    sathd_pwhash *ctx2 = sathd_pwhash_new(&stronger, NULL);
    assert_non_null(ctx2);
    assert_int_equal(sathd_pwhash_verify(ctx2, h, "password123", 11, -1, &rehash), SATHD_PW_OK);
    assert_true(rehash);
    /* No rehash flag on a failed verify. */
    rehash = true;
    assert_int_equal(sathd_pwhash_verify(ctx2, h, "password124", 11, -1, &rehash),
                     SATHD_PW_MISMATCH);
    assert_false(rehash);
    sathd_pwhash_free(ctx2);
    free(h);
}

static void test_bcrypt_import_vector(void **state)
{
    sathd_pwhash *ctx = *state;
    const char *stored = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
    bool rehash = false;
    assert_int_equal(sathd_pwhash_verify(ctx, stored, "U*U", 3, -1, &rehash), SATHD_PW_OK);
    assert_true(rehash);
    rehash = true;
    assert_int_equal(sathd_pwhash_verify(ctx, stored, "U*V", 3, -1, &rehash), SATHD_PW_MISMATCH);
    assert_false(rehash);
    assert_int_equal(sathd_pwhash_verify(ctx, stored, "", 0, -1, NULL), SATHD_PW_MISMATCH);
    assert_int_equal(sathd_pwhash_verify(ctx, stored, "U*U\0x", 5, -1, NULL), SATHD_PW_MISMATCH);
    /* passlib's $2b$ (and PHP's $2y$) compute the same thing for short passwords. */
    char v[64];
    strcpy(v, stored);
    v[2] = 'b';
    assert_int_equal(sathd_pwhash_verify(ctx, v, "U*U", 3, -1, NULL), SATHD_PW_OK);
    v[2] = 'y';
    assert_int_equal(sathd_pwhash_verify(ctx, v, "U*U", 3, -1, NULL), SATHD_PW_OK);
    /* One changed hash character. */
    strcpy(v, stored);
    v[58] = v[58] == 'e' ? 'f' : 'e';
    assert_int_equal(sathd_pwhash_verify(ctx, v, "U*U", 3, -1, NULL), SATHD_PW_MISMATCH);
}

static void test_bad_stored_hashes(void **state)
{
    sathd_pwhash *ctx = *state;
    static const char *const bad[] = {
        "",
        "plaintext",
        "$1$saltsalt$abcdefghijklmnopqrstuv",                          /* md5crypt */
        "$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", /* buggy variant */
        "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe",  /* 59 chars */
        "$2a$99$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", /* cost out of range */
        "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA",             /* not argon2id */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sathd_pwhash_verify(ctx, bad[i], "U*U", 3, -1, NULL), SATHD_PW_BAD_HASH);
    /* A malformed argon2id string never matches (and is not over-read). */
    assert_int_equal(sathd_pwhash_verify(ctx, "$argon2id$v=19$garbage", "x", 1, -1, NULL),
                     SATHD_PW_MISMATCH);
    char longest[300];
    memset(longest, 'a', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    memcpy(longest, "$argon2id$", 10);
    assert_int_equal(sathd_pwhash_verify(ctx, longest, "x", 1, -1, NULL), SATHD_PW_BAD_HASH);
    /* Arguments. */
    char big[SATHD_PASSWORD_MAX_BYTES + 1];
    memset(big, 'a', sizeof big);
    char *h = NULL;
    assert_int_equal(sathd_pwhash_hash(ctx, big, sizeof big, -1, &h), SATHD_PW_BAD_INPUT);
    assert_null(h);
    assert_int_equal(sathd_pwhash_verify(ctx, NULL, "x", 1, -1, NULL), SATHD_PW_BAD_INPUT);
    assert_string_equal(sathd_pw_strerror(SATHD_PW_BUSY), "busy");
}

/* CPU time of this thread: Argon2id runs in the caller, so this measures the work done,
 * not how long other processes kept us off the core (wall time made this test flaky on a
 * loaded machine). */
static double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void test_dummy_verify(void **state)
{
    sathd_pwhash *ctx = *state;
    char *h = NULL;
    assert_int_equal(sathd_pwhash_hash(ctx, "hunter22hunter", 14, -1, &h), SATHD_PW_OK);
    /* The fastest of three runs of each, so one preemption cannot decide the verdict. */
    double real = 1e12, dummy = 1e12;
    int real_rc = SATHD_PW_OK, dummy_rc = SATHD_PW_OK;
    for (int i = 0; i < 3; i++) {
        double t0 = thread_cpu_ms();
        real_rc = sathd_pwhash_verify(ctx, h, "wrong-password", 14, -1, NULL);
        double t = thread_cpu_ms() - t0;
        if (t < real) real = t;
        t0 = thread_cpu_ms();
        dummy_rc = sathd_pwhash_dummy_verify(ctx, "wrong-password", 14, -1);
        t = thread_cpu_ms() - t0;
        if (t < dummy) dummy = t;
    }
    free(h);
    assert_int_equal(real_rc, SATHD_PW_MISMATCH);
    assert_int_equal(dummy_rc, SATHD_PW_MISMATCH);
    /* Same parameters, same work: the dummy must not be a fast path. */
    assert_true(dummy > real * 0.5);
    assert_true(dummy < real * 2.0 + 5.0);
}

static void test_password_rules(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_int_equal(sathd_password_check_rules("correct horse", 13, &why), 0);
    assert_int_equal(sathd_password_check_rules("12345678", 8, &why), 0);
    assert_int_equal(sathd_password_check_rules("1234567", 7, &why), -1);
    assert_non_null(strstr(why, "8 characters"));
    /* Code points, not bytes: 8 x U+00E4 is 16 bytes and OK; 5 x is 10 bytes and not. */
    assert_int_equal(sathd_password_check_rules("\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
                                                "\xc3\xa4\xc3\xa4", 16, &why), 0);
    assert_int_equal(sathd_password_check_rules("\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4", 10, &why),
                     -1);
    /* 4-byte sequences (emoji) count once each. */
    assert_int_equal(sathd_password_check_rules("\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91"
                                                "\xf0\x9f\x94\x91" "abcd", 20, &why), 0);
    assert_int_equal(sathd_password_check_rules("\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91"
                                                "abcd", 16, &why), -1);
    static const char *const invalid[] = {
        "abcdefgh\xff",          /* not UTF-8 */
        "abcdefgh\xc0\xaf",      /* overlong '/' */
        "abcdefgh\xe0\x80\xaf",  /* overlong */
        "abcdefgh\xed\xa0\x80",  /* surrogate */
        "abcdefgh\xf4\x90\x80\x80", /* above U+10FFFF */
        "abcdefgh\xc3",          /* truncated sequence */
        "abcdefgh\x80",          /* lone continuation */
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        assert_int_equal(sathd_password_check_rules(invalid[i], strlen(invalid[i]), &why), -1);
        assert_non_null(strstr(why, "UTF-8"));
    }
    assert_int_equal(sathd_password_check_rules("abcd\0efgh", 9, &why), -1);
    assert_non_null(strstr(why, "NUL"));
    char big[SATHD_PASSWORD_MAX_BYTES + 1];
    memset(big, 'a', sizeof big);
    assert_int_equal(sathd_password_check_rules(big, SATHD_PASSWORD_MAX_BYTES, &why), 0);
    assert_int_equal(sathd_password_check_rules(big, sizeof big, &why), -1);
    assert_non_null(strstr(why, "1024"));
    assert_int_equal(sathd_password_check_rules(NULL, 0, &why), -1);
}

/* --- the concurrency gate ---------------------------------------------------------- */

typedef struct worker {
    sathd_pwhash *ctx;
    pthread_barrier_t *start;
    sathd_pw_result result;
    int timeout_ms;
    double waited_ms;
} worker;

static void *hash_worker(void *arg)
{
    worker *w = arg;
    char *h = NULL;
    if (w->start)
        pthread_barrier_wait(w->start);
    double t0 = now_ms();
    w->result = sathd_pwhash_hash(w->ctx, "parallel-password", 17, w->timeout_ms, &h);
    w->waited_ms = now_ms() - t0;
    free(h);
    return NULL;
}

static void test_gate_bounds_parallel_hashes(void **state)
{
    (void)state;
    enum { N = 6 };
    sathd_pwhash *ctx = sathd_pwhash_new(&MIN_PARAMS, NULL); /* limit 2 */
    assert_non_null(ctx);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N);
    worker w[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        w[i] = (worker){ctx, &start, SATHD_PW_ERROR, -1, 0};
        assert_int_equal(pthread_create(&t[i], NULL, hash_worker, &w[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].result, SATHD_PW_OK); /* waiting forever: all get through */
    }
    /* Six hashes started together, never more than two at once. */
    assert_int_equal(sathd_pwhash_peak_concurrency(ctx), 2);
    pthread_barrier_destroy(&start);
    sathd_pwhash_free(ctx);
}

static void test_gate_deadline_gives_busy(void **state)
{
    (void)state;
    sathd_pwhash *ctx = sathd_pwhash_new(&MIN_PARAMS, NULL); /* limit 2 */
    assert_non_null(ctx);
    /* Hold both slots: the gate is full. */
    assert_int_equal(sathd_pwhash_slot_acquire(ctx, 0), 0);
    assert_int_equal(sathd_pwhash_slot_acquire(ctx, 0), 0);
    assert_int_equal(sathd_pwhash_slot_acquire(ctx, 0), -1);

    worker w = {ctx, NULL, SATHD_PW_ERROR, 150, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, hash_worker, &w), 0);
    pthread_join(t, NULL);
    assert_int_equal(w.result, SATHD_PW_BUSY);
    assert_true(w.waited_ms >= 140.0); /* it did wait for its deadline */
    assert_true(w.waited_ms < 5000.0);
    assert_int_equal(sathd_pwhash_verify(ctx, "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
                                         "U*U", 3, 0, NULL),
                     SATHD_PW_BUSY);
    assert_int_equal(sathd_pwhash_dummy_verify(ctx, "x", 1, 0), SATHD_PW_BUSY);

    /* A waiter with a long deadline gets the slot as soon as one is released. */
    w = (worker){ctx, NULL, SATHD_PW_ERROR, 10000, 0};
    assert_int_equal(pthread_create(&t, NULL, hash_worker, &w), 0);
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    sathd_pwhash_slot_release(ctx);
    pthread_join(t, NULL);
    assert_int_equal(w.result, SATHD_PW_OK); /* got the released slot, not BUSY */
    sathd_pwhash_slot_release(ctx);
    assert_int_equal(sathd_pwhash_peak_concurrency(ctx), 2);
    sathd_pwhash_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_rejected_below_minimum),
        cmocka_unit_test(test_hash_and_verify),
        cmocka_unit_test(test_needs_rehash_when_params_rise),
        cmocka_unit_test(test_bcrypt_import_vector),
        cmocka_unit_test(test_bad_stored_hashes),
        cmocka_unit_test(test_dummy_verify),
        cmocka_unit_test(test_password_rules),
        cmocka_unit_test(test_gate_bounds_parallel_hashes),
        cmocka_unit_test(test_gate_deadline_gives_busy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
