/*
 * torture_stripe_sig.c - Stripe webhook signatures (server/billing/stripe_sig.c): the
 * published vector, the 300 s tolerance on both sides, several v1 / several secrets,
 * and malformed headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "sathd/stripe_sig.h"

/* The vector published in issue 11. */
static const char secret[] = "whsec_test_secret";
static const char body[] = "{\"id\":\"evt_test_webhook\",\"object\":\"event\"}";
static const char sig[] = "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990";
#define T 1700000000

static sathd_stripe_sig_rc verify(const char *header, int64_t now)
{
    const char *secrets[] = {secret};
    return sathd_stripe_sig_verify(header, body, strlen(body), secrets, 1, now, 300);
}

static void test_vector(void **state)
{
    (void)state;
    char hex[65];
    sathd_stripe_sig_sign(secret, T, body, strlen(body), hex);
    assert_string_equal(hex, sig);
    char h[128];
    snprintf(h, sizeof h, "t=%d,v1=%s", T, sig);
    assert_int_equal(verify(h, T), SATHD_STRIPE_SIG_OK);
    assert_int_equal(verify(h, T + 300), SATHD_STRIPE_SIG_OK);
    assert_int_equal(verify(h, T + 301), SATHD_STRIPE_SIG_STALE); /* the clock + 301 s */
    assert_int_equal(verify(h, T - 300), SATHD_STRIPE_SIG_OK);
    assert_int_equal(verify(h, T - 301), SATHD_STRIPE_SIG_STALE);
}

static void test_tampered(void **state)
{
    (void)state;
    char h[128];
    snprintf(h, sizeof h, "t=%d,v1=%s", T + 1, sig); /* other t: the HMAC covers it */
    assert_int_equal(verify(h, T), SATHD_STRIPE_SIG_MISMATCH);
    const char *secrets[] = {secret};
    snprintf(h, sizeof h, "t=%d,v1=%s", T, sig);
    assert_int_equal(sathd_stripe_sig_verify(h, body, strlen(body) - 1, secrets, 1, T, 300),
                     SATHD_STRIPE_SIG_MISMATCH);
    const char *wrong[] = {"whsec_other"};
    assert_int_equal(sathd_stripe_sig_verify(h, body, strlen(body), wrong, 1, T, 300),
                     SATHD_STRIPE_SIG_MISMATCH);
    char flipped[65];
    memcpy(flipped, sig, sizeof flipped);
    flipped[63] = flipped[63] == '0' ? '1' : '0';
    snprintf(h, sizeof h, "t=%d,v1=%s", T, flipped);
    assert_int_equal(verify(h, T), SATHD_STRIPE_SIG_MISMATCH);
}

static void test_any_v1_any_secret(void **state)
{
    (void)state;
    char h[512];
    /* Stripe rolling its secret: an old v1 first, ours second; an upper-case copy; v0 */
    snprintf(h, sizeof h, "t=%d,v1=%064d,v0=ignored,v1=%s", T, 0, sig);
    assert_int_equal(verify(h, T), SATHD_STRIPE_SIG_OK);
    char upper[65];
    for (int i = 0; i < 65; i++)
        upper[i] = (char)(sig[i] >= 'a' && sig[i] <= 'f' ? sig[i] - 32 : sig[i]);
    snprintf(h, sizeof h, " t=%d , v1=%s ", T, upper);
    assert_int_equal(verify(h, T), SATHD_STRIPE_SIG_OK);
    /* us rolling: two secrets configured, the second one signed */
    const char *two[] = {"whsec_new_one", secret};
    snprintf(h, sizeof h, "t=%d,v1=%s", T, sig);
    assert_int_equal(sathd_stripe_sig_verify(h, body, strlen(body), two, 2, T, 300),
                     SATHD_STRIPE_SIG_OK);
}

static void test_malformed(void **state)
{
    (void)state;
    char h[256];
    assert_int_equal(verify(NULL, T), SATHD_STRIPE_SIG_MALFORMED);
    assert_int_equal(verify("", T), SATHD_STRIPE_SIG_MALFORMED);
    snprintf(h, sizeof h, "v1=%s", sig); /* no t */
    assert_int_equal(verify(h, T), SATHD_STRIPE_SIG_MALFORMED);
    snprintf(h, sizeof h, "t=%d,t=%d,v1=%s", T, T, sig); /* two t */
    assert_int_equal(verify(h, T), SATHD_STRIPE_SIG_MALFORMED);
    snprintf(h, sizeof h, "t=-%d,v1=%s", T, sig);
    assert_int_equal(verify(h, T), SATHD_STRIPE_SIG_MALFORMED);
    snprintf(h, sizeof h, "t=1e9,v1=%s", sig);
    assert_int_equal(verify(h, T), SATHD_STRIPE_SIG_MALFORMED);
    snprintf(h, sizeof h, "t=9999999999999,v1=%s", sig); /* 13 digits */
    assert_int_equal(verify(h, T), SATHD_STRIPE_SIG_MALFORMED);
    snprintf(h, sizeof h, "t=%d,%s", T, sig); /* item without '=' */
    assert_int_equal(verify(h, T), SATHD_STRIPE_SIG_MALFORMED);
    snprintf(h, sizeof h, "t=%d,v1=%.63s", T, sig); /* short v1: skipped, none left */
    assert_int_equal(verify(h, T), SATHD_STRIPE_SIG_NO_V1);
    snprintf(h, sizeof h, "t=%d,v1=%.63sg", T, sig); /* not hex */
    assert_int_equal(verify(h, T), SATHD_STRIPE_SIG_NO_V1);
    snprintf(h, sizeof h, "t=%d,v0=%s", T, sig);
    assert_int_equal(verify(h, T), SATHD_STRIPE_SIG_NO_V1);
    /* embedded NUL: the parser gets the length, and refuses */
    sathd_stripe_sig s;
    assert_int_equal(sathd_stripe_sig_parse("t=1\0,v1=", 8, &s), SATHD_STRIPE_SIG_MALFORMED);
    /* too long */
    static char big[SATHD_STRIPE_SIG_MAX_HEADER + 2];
    memset(big, 'a', sizeof big - 1);
    assert_int_equal(sathd_stripe_sig_parse(big, sizeof big - 1, &s), SATHD_STRIPE_SIG_MALFORMED);
    /* more v1 than kept: the extra ones are ignored, not an overflow */
    char many[2048];
    int n = snprintf(many, sizeof many, "t=%d", T);
    for (int i = 0; i < SATHD_STRIPE_SIG_MAX_V1 + 4; i++)
        n += snprintf(many + n, sizeof many - (size_t)n, ",v1=%064d", i);
    assert_int_equal(sathd_stripe_sig_parse(many, (size_t)n, &s), SATHD_STRIPE_SIG_OK);
    assert_int_equal(s.n_v1, SATHD_STRIPE_SIG_MAX_V1);
    assert_int_equal(s.t, T);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_any_v1_any_secret),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
