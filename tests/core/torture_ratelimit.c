/*
 * torture_ratelimit.c - the limiter's mechanisms: GCRA in a real Redis (SATH_TEST_REDIS_URL)
 * and in process, the per-key concurrency cap, COUNT/SECONDS parsing and the client
 * address behind trusted proxies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "sathd/config.h"
#include "sathd/ratelimit.h"

typedef struct fixture {
    redisContext *c;
    char prefix[64];
} fixture;

static int setup(void **state)
{
    const char *env = getenv("SATH_TEST_REDIS_URL");
    sathd_redis_url url;
    char err[256];
    if (!env || sodium_init() < 0 || sathd_redis_url_parse(env, &url, err, sizeof err) != 0 ||
        !url.is_unix) {
        fprintf(stderr, "SATH_TEST_REDIS_URL (a unix:// URL) is not set (use tests/fixtures/services.sh)\n");
        return -1;
    }
    fixture *f = calloc(1, sizeof *f);
    f->c = redisConnectUnix(url.path);
    if (!f->c || f->c->err)
        return -1;
    unsigned char r[6];
    randombytes_buf(r, sizeof r);
    snprintf(f->prefix, sizeof f->prefix, "torture-rl:%02x%02x%02x%02x%02x%02x:", r[0], r[1], r[2],
             r[3], r[4], r[5]);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    redisFree(f->c);
    free(f);
    return 0;
}

static void key(const fixture *f, char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s%s", f->prefix, name);
}

static void test_rate_parse(void **state)
{
    (void)state;
    sathd_rate r;
    assert_int_equal(sathd_rate_parse("30/60", &r), 0);
    assert_int_equal(r.count, 30);
    assert_int_equal(r.period_s, 60);
    static const char *const bad[] = {"", "30", "30/", "/60", "0/60", "30/0", "-1/60", "30/60s",
                                      " 30/60", "30/ 60", "+3/60", "30/60/1", "a/b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sathd_rate_parse(bad[i], &r), -1);
}

/* 3 per 3 s: three at once pass with 2, 1, 0 left; the fourth waits about a second. */
static void test_redis_gcra_burst_then_refuse(void **state)
{
    fixture *f = *state;
    char k[128];
    key(f, k, sizeof k, "burst");
    const char *keys[] = {k};
    sathd_rate rate = {3, 3};
    sathd_rl_result res;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sathd_rl_redis_check(f->c, keys, &rate, 1, &res), 0);
        assert_true(res.allowed);
        assert_int_equal(res.remaining, 2 - i);
    }
    assert_int_equal(sathd_rl_redis_check(f->c, keys, &rate, 1, &res), 0);
    assert_false(res.allowed);
    assert_int_equal(res.remaining, 0);
    assert_true(res.retry_after_ms > 800 && res.retry_after_ms <= 1000);
    /* The key expires when the bucket is whole again: idle clients cost nothing. */
    redisReply *r = redisCommand(f->c, "PTTL %s", k);
    assert_true(r->integer > 2000 && r->integer <= 3000);
    freeReplyObject(r);
    struct timespec t = {1, 50 * 1000 * 1000};
    nanosleep(&t, NULL);
    assert_int_equal(sathd_rl_redis_check(f->c, keys, &rate, 1, &res), 0);
    assert_true(res.allowed);
    assert_int_equal(res.remaining, 0);
}

/* Several limits are all-or-nothing: a refused call does not use up the others. */
static void test_redis_gcra_atomic_across_keys(void **state)
{
    fixture *f = *state;
    char ip[128], acct[128];
    key(f, ip, sizeof ip, "ip");
    key(f, acct, sizeof acct, "acct");
    const char *keys[] = {ip, acct};
    sathd_rate rates[] = {{100, 60}, {2, 60}};
    sathd_rl_result res;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(sathd_rl_redis_check(f->c, keys, rates, 2, &res), 0);
        assert_true(res.allowed);
        assert_int_equal(res.which, 1); /* the account has fewer left */
    }
    for (int i = 0; i < 5; i++) {
        assert_int_equal(sathd_rl_redis_check(f->c, keys, rates, 2, &res), 0);
        assert_false(res.allowed);
        assert_int_equal(res.which, 1);
        assert_true(res.retry_after_ms > 29000 && res.retry_after_ms <= 30000);
    }
    /* The IP bucket was charged twice, not seven times. */
    assert_int_equal(sathd_rl_redis_check(f->c, keys, rates, 1, &res), 0);
    assert_true(res.allowed);
    assert_int_equal(res.remaining, 97);
}

static void test_redis_failure_is_an_error(void **state)
{
    (void)state;
    redisContext *dead = redisConnectUnix("/nonexistent/redis.sock");
    const char *keys[] = {"x"};
    sathd_rate rate = {1, 1};
    sathd_rl_result res;
    assert_int_equal(sathd_rl_redis_check(dead, keys, &rate, 1, &res), -1);
    assert_int_equal(sathd_rl_redis_check(NULL, keys, &rate, 1, &res), -1);
    redisFree(dead);
}

static void test_local_gcra(void **state)
{
    (void)state;
    sathd_rl_local *l = sathd_rl_local_new(64);
    assert_non_null(l);
    sathd_rate rate = {5, 1}; /* 5 per second: one every 200 ms */
    sathd_rl_result res;
    int64_t now = 1000000000;
    for (int i = 0; i < 5; i++) {
        sathd_rl_local_check(l, "alice", 5, &rate, now, &res);
        assert_true(res.allowed);
        assert_int_equal(res.remaining, 4 - i);
    }
    sathd_rl_local_check(l, "alice", 5, &rate, now, &res);
    assert_false(res.allowed);
    assert_int_equal(res.retry_after_ms, 200);
    sathd_rl_local_check(l, "bob", 3, &rate, now, &res); /* others unaffected */
    assert_true(res.allowed);
    sathd_rl_local_check(l, "alice", 5, &rate, now + 200000, &res);
    assert_true(res.allowed);
    /* Many more keys than buckets: the table reuses idle buckets and never refuses a
     * newcomer, and a key seen a moment ago is still limited. */
    char k[32];
    for (int i = 0; i < 10000; i++) {
        int n = snprintf(k, sizeof k, "user-%d", i);
        sathd_rl_local_check(l, k, (size_t)n, &rate, now + 300000, &res);
        assert_true(res.allowed);
    }
    /* As a plain map: unknown keys read 0, stored values come back. */
    assert_int_equal(sathd_rl_local_get(l, "nobody", 6), 0);
    sathd_rl_local_set(l, "refused-key", 11, 123456789);
    assert_int_equal(sathd_rl_local_get(l, "refused-key", 11), 123456789);
    sathd_rl_local_free(l);
}

static void test_conc_cap(void **state)
{
    (void)state;
    sathd_rl_conc *c = sathd_rl_conc_new(2);
    assert_int_equal(sathd_rl_conc_acquire(c, "10.0.0.1"), 0);
    assert_int_equal(sathd_rl_conc_acquire(c, "10.0.0.1"), 0);
    assert_int_equal(sathd_rl_conc_acquire(c, "10.0.0.1"), -1);
    assert_int_equal(sathd_rl_conc_acquire(c, "10.0.0.2"), 0);
    sathd_rl_conc_release(c, "10.0.0.1");
    assert_int_equal(sathd_rl_conc_acquire(c, "10.0.0.1"), 0);
    sathd_rl_conc_free(c);
}

static void test_client_ip(void **state)
{
    (void)state;
    char ip[64], err[200];
    sathd_client_ip("ipv4:192.0.2.7:5555", NULL, NULL, ip, sizeof ip);
    assert_string_equal(ip, "192.0.2.7");
    sathd_client_ip("ipv6:[::1]:5555", NULL, NULL, ip, sizeof ip);
    assert_string_equal(ip, "::1");
    sathd_client_ip("ipv6:%5B2001:db8::1%5D:5555", NULL, NULL, ip, sizeof ip);
    assert_string_equal(ip, "2001:db8::1");
    sathd_client_ip("ipv6:[::ffff:10.1.2.3]:1", NULL, NULL, ip, sizeof ip);
    assert_string_equal(ip, "10.1.2.3");
    sathd_client_ip("unix:/tmp/s", NULL, NULL, ip, sizeof ip);
    assert_string_equal(ip, "unix");

    /* Without trusted proxies, X-Forwarded-For is the client's to forge: ignored. */
    sathd_client_ip("ipv4:127.0.0.1:1", "203.0.113.9", NULL, ip, sizeof ip);
    assert_string_equal(ip, "127.0.0.1");
    sathd_cidr_list *t = sathd_cidr_list_parse("127.0.0.1, 10.0.0.0/8,2001:db8::/32", err, sizeof err);
    assert_non_null(t);
    /* Right-most entry that is not a trusted proxy; what the client wrote left of it is
     * not believed. */
    sathd_client_ip("ipv4:127.0.0.1:1", "1.1.1.1, 203.0.113.9, 10.2.3.4", t, ip, sizeof ip);
    assert_string_equal(ip, "203.0.113.9");
    /* An untrusted peer's header is ignored. */
    sathd_client_ip("ipv4:192.0.2.1:1", "203.0.113.9", t, ip, sizeof ip);
    assert_string_equal(ip, "192.0.2.1");
    /* Garbage stops at the last trustworthy hop. */
    sathd_client_ip("ipv4:127.0.0.1:1", "<script>", t, ip, sizeof ip);
    assert_string_equal(ip, "127.0.0.1");
    sathd_client_ip("ipv4:127.0.0.1:1", "2001:db8::5, 10.9.9.9", t, ip, sizeof ip);
    assert_string_equal(ip, "2001:db8::5"); /* all trusted: the left-most hop */
    assert_true(sathd_cidr_list_contains(t, "10.255.0.1"));
    assert_false(sathd_cidr_list_contains(t, "11.0.0.1"));
    sathd_cidr_list_free(t);
    assert_null(sathd_cidr_list_parse("10.0.0.0/33", err, sizeof err));
    assert_null(sathd_cidr_list_parse("example.com", err, sizeof err));
    assert_non_null(strstr(err, "example.com"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_parse),
        cmocka_unit_test(test_redis_gcra_burst_then_refuse),
        cmocka_unit_test(test_redis_gcra_atomic_across_keys),
        cmocka_unit_test(test_redis_failure_is_an_error),
        cmocka_unit_test(test_local_gcra),
        cmocka_unit_test(test_conc_cap),
        cmocka_unit_test(test_client_ip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
