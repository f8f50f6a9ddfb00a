/*
 * torture_token_cache.c - the verified-access-token cache (server/auth/token_cache.c).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "sathd/token_cache.h"

#define NOW 1800000000

static sathd_jwt_claims claims_for(const char *sub, int64_t iat)
{
    sathd_jwt_claims c;
    memset(&c, 0, sizeof c);
    snprintf(c.sub, sizeof c.sub, "%s", sub);
    snprintf(c.jti, sizeof c.jti, "jti-%lld", (long long)iat);
    snprintf(c.iss, sizeof c.iss, "sath");
    c.iat = c.nbf = iat;
    c.exp = iat + 900;
    return c;
}

static int setup(void **state)
{
    if (sodium_init() < 0)
        return -1;
    *state = sathd_token_cache_new(128);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    sathd_token_cache_free(*state);
    return 0;
}

static void hit_only_for_the_same_token(void **state)
{
    sathd_token_cache *c = *state;
    const char *tok = "header.payload.signature";
    sathd_jwt_claims in = claims_for("11111111-1111-4111-8111-111111111111", NOW), out;
    assert_int_equal(sathd_token_cache_get(c, tok, strlen(tok), NOW, 60, &out, NULL), 0);
    sathd_token_cache_put(c, tok, strlen(tok), &in, 0);
    assert_int_equal(sathd_token_cache_get(c, tok, strlen(tok), NOW + 1, 60, &out, NULL), 1);
    assert_string_equal(out.sub, in.sub);
    assert_string_equal(out.jti, in.jti);
    /* One byte different (e.g. a forged signature) is another token. */
    const char *forged = "header.payload.signaturf";
    assert_int_equal(sathd_token_cache_get(c, forged, strlen(forged), NOW, 60, &out, NULL), 0);
    assert_int_equal(sathd_token_cache_get(c, tok, strlen(tok) - 1, NOW, 60, &out, NULL), 0);
}

static void time_window_is_checked_on_every_hit(void **state)
{
    sathd_token_cache *c = *state;
    const char *tok = "time.window.token";
    sathd_jwt_claims in = claims_for("22222222-2222-4222-8222-222222222222", NOW), out;
    sathd_token_cache_put(c, tok, strlen(tok), &in, 0);
    assert_int_equal(sathd_token_cache_get(c, tok, strlen(tok), NOW + 900 + 59, 60, &out, NULL), 1);
    assert_int_equal(sathd_token_cache_get(c, tok, strlen(tok), NOW + 900 + 60, 60, &out, NULL), 0);
    assert_int_equal(sathd_token_cache_get(c, tok, strlen(tok), NOW - 60, 60, &out, NULL), 1);
    assert_int_equal(sathd_token_cache_get(c, tok, strlen(tok), NOW - 61, 60, &out, NULL), 0);
}

static void bounded_slots_replace(void **state)
{
    sathd_token_cache *c = *state;
    char tok[64];
    sathd_jwt_claims out;
    /* Far more tokens than slots: memory stays fixed; hits are always exact. */
    for (int i = 0; i < 5000; i++) {
        snprintf(tok, sizeof tok, "token-%d", i);
        sathd_jwt_claims in = claims_for("33333333-3333-4333-8333-333333333333", NOW + i);
        sathd_token_cache_put(c, tok, strlen(tok), &in, 0);
    }
    int hits = 0;
    for (int i = 0; i < 5000; i++) {
        snprintf(tok, sizeof tok, "token-%d", i);
        if (sathd_token_cache_get(c, tok, strlen(tok), NOW + i, 60, &out, NULL)) {
            hits++;
            assert_int_equal(out.iat, NOW + i);
        }
    }
    assert_in_range(hits, 1, 128);
}

static void *hammer(void *arg)
{
    sathd_token_cache *c = arg;
    char tok[64];
    sathd_jwt_claims out;
    for (int i = 0; i < 20000; i++) {
        snprintf(tok, sizeof tok, "shared-%d", i % 300);
        sathd_jwt_claims in = claims_for("44444444-4444-4444-8444-444444444444", NOW + i % 300);
        if (i % 3 == 0)
            sathd_token_cache_put(c, tok, strlen(tok), &in, 0);
        else if (sathd_token_cache_get(c, tok, strlen(tok), NOW, 60, &out, NULL) && out.iat != NOW + i % 300)
            return (void *)1;
    }
    return NULL;
}

static void concurrent_use_is_consistent(void **state)
{
    pthread_t t[6];
    for (int i = 0; i < 6; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, *state), 0);
    for (int i = 0; i < 6; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        assert_null(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hit_only_for_the_same_token, setup, teardown),
        cmocka_unit_test_setup_teardown(time_window_is_checked_on_every_hit, setup, teardown),
        cmocka_unit_test_setup_teardown(bounded_slots_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_use_is_consistent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
