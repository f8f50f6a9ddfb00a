/*
 * torture_envelope.c - the keyring and the v1 envelope: parsing SATH_ENCRYPTION_KEYS,
 * sealing/opening, associated-data binding (row, user, column, purpose), key-id
 * selection during rotation, and the strict parser's refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "sathd/keyring.h"

#define KEY_A "a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_B "b:HxwdHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA="
#define USER "0b5f1a9e-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
#define ROW "7d0c6a0e-1111-4222-8333-944455556666"
#define ROW2 "7d0c6a0e-1111-4222-8333-944455556667"

static char *seal_str(const sathd_keyring *kr, sathd_keys_purpose p, const char *ad, const char *pt)
{
    char *env = NULL;
    assert_int_equal(sathd_envelope_seal(kr, p, ad, (const unsigned char *)pt, strlen(pt), &env),
                     SATHD_KEYS_OK);
    return env;
}

static sathd_keys_rc open_str(const sathd_keyring *kr, sathd_keys_purpose p, const char *ad,
                              const char *env, char **pt)
{
    size_t len = 0;
    return sathd_envelope_open(kr, p, ad, env, pt, &len, NULL);
}

static void keyring_parse(void **state)
{
    (void)state;
    char err[256];
    sathd_keyring *kr = sathd_keyring_parse(KEY_B "," KEY_A, err, sizeof err);
    assert_non_null(kr);
    assert_string_equal(sathd_keyring_current_kid(kr), "b");
    assert_int_equal(sathd_keyring_count(kr), 2);
    assert_true(sathd_keyring_has_kid(kr, "a"));
    assert_false(sathd_keyring_has_kid(kr, "c"));
    sathd_keyring_free(kr);

    static const char *const bad[] = {
        "", "a", "a:", ":AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "a:notbase64!!",
        "a:AAECAwQ=", /* 5 bytes */
        KEY_A "," KEY_A, /* duplicate id */
        "bad id:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        KEY_A ",", /* empty item */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_null(sathd_keyring_parse(bad[i], err, sizeof err));
        assert_non_null(strstr(err, "SATH_ENCRYPTION_KEYS"));
        /* the reason never echoes key material */
        assert_null(strstr(err, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"));
    }
    /* the base64 error explains how to make a key */
    assert_null(sathd_keyring_parse("a:AAECAwQ=", err, sizeof err));
    assert_non_null(strstr(err, "head -c32 /dev/urandom | base64"));
}

static void roundtrip_and_format(void **state)
{
    (void)state;
    char err[256], ad[SATHD_KEYS_AD_MAX];
    sathd_keyring *kr = sathd_keyring_parse(KEY_A, err, sizeof err);
    assert_non_null(kr);
    assert_true(sathd_keys_ad(ad, sizeof ad, SATHD_KEYS_API_KEYS, USER, ROW, "api_secret") > 0);
    assert_string_equal(ad, "sath.v1|api_keys|" USER "|" ROW "|api_secret");
    char *env = seal_str(kr, SATHD_KEYS_API_KEYS, ad, "s3cr3t-value");
    assert_memory_equal(env, "v1:a:", 5);
    assert_null(strstr(env, "s3cr3t"));
    /* two seals of one value differ (random nonce) */
    char *env2 = seal_str(kr, SATHD_KEYS_API_KEYS, ad, "s3cr3t-value");
    assert_string_not_equal(env, env2);
    char *pt = NULL;
    assert_int_equal(open_str(kr, SATHD_KEYS_API_KEYS, ad, env, &pt), SATHD_KEYS_OK);
    assert_string_equal(pt, "s3cr3t-value");
    sathd_keys_secret_free(pt);
    /* the empty plaintext is fine too */
    char *e0 = seal_str(kr, SATHD_KEYS_AI_KEYS, ad, "");
    assert_int_equal(open_str(kr, SATHD_KEYS_AI_KEYS, ad, e0, &pt), SATHD_KEYS_OK);
    assert_string_equal(pt, "");
    sathd_keys_secret_free(pt);
    free(e0);
    free(env);
    free(env2);
    sathd_keyring_free(kr);
}

static void ad_binding(void **state)
{
    (void)state;
    char err[256], ad[SATHD_KEYS_AD_MAX], other[SATHD_KEYS_AD_MAX];
    sathd_keyring *kr = sathd_keyring_parse(KEY_A, err, sizeof err);
    sathd_keys_ad(ad, sizeof ad, SATHD_KEYS_API_KEYS, USER, ROW, "api_secret");
    char *env = seal_str(kr, SATHD_KEYS_API_KEYS, ad, "secret");
    char *pt = NULL;
    /* another row, another user, another column: all fail */
    sathd_keys_ad(other, sizeof other, SATHD_KEYS_API_KEYS, USER, ROW2, "api_secret");
    assert_int_equal(open_str(kr, SATHD_KEYS_API_KEYS, other, env, &pt), SATHD_KEYS_EAUTH);
    sathd_keys_ad(other, sizeof other, SATHD_KEYS_API_KEYS, ROW2, ROW, "api_secret");
    assert_int_equal(open_str(kr, SATHD_KEYS_API_KEYS, other, env, &pt), SATHD_KEYS_EAUTH);
    sathd_keys_ad(other, sizeof other, SATHD_KEYS_API_KEYS, USER, ROW, "api_key");
    assert_int_equal(open_str(kr, SATHD_KEYS_API_KEYS, other, env, &pt), SATHD_KEYS_EAUTH);
    /* another purpose uses another subkey: fails even with the same AD text */
    assert_int_equal(open_str(kr, SATHD_KEYS_AI_KEYS, ad, env, &pt), SATHD_KEYS_EAUTH);
    assert_null(pt);
    /* a flipped ciphertext character fails authentication */
    size_t n = strlen(env);
    env[n - 6] = env[n - 6] == 'A' ? 'B' : 'A';
    assert_int_equal(open_str(kr, SATHD_KEYS_API_KEYS, ad, env, &pt), SATHD_KEYS_EAUTH);
    /* '|' in a part would make the AD ambiguous */
    assert_int_equal(sathd_keys_ad(other, sizeof other, SATHD_KEYS_API_KEYS, "a|b", ROW, "x"), -1);
    assert_int_equal(sathd_keys_ad(other, 10, SATHD_KEYS_API_KEYS, USER, ROW, "x"), -1);
    free(env);
    sathd_keyring_free(kr);
}

static void kid_selection(void **state)
{
    (void)state;
    char err[256], ad[] = "sath.v1|ai_keys|u|r|api_key";
    sathd_keyring *a = sathd_keyring_parse(KEY_A, err, sizeof err);
    sathd_keyring *ba = sathd_keyring_parse(KEY_B "," KEY_A, err, sizeof err);
    sathd_keyring *b = sathd_keyring_parse(KEY_B, err, sizeof err);
    char *under_a = seal_str(a, SATHD_KEYS_AI_KEYS, ad, "k");
    char *under_b = seal_str(ba, SATHD_KEYS_AI_KEYS, ad, "k");
    assert_memory_equal(under_b, "v1:b:", 5); /* the first key encrypts */
    char *pt = NULL, kid[SATHD_KEYS_KID_MAX + 1];
    size_t len;
    /* old rows stay readable once B is added in front */
    assert_int_equal(sathd_envelope_open(ba, SATHD_KEYS_AI_KEYS, ad, under_a, &pt, &len, kid), SATHD_KEYS_OK);
    assert_string_equal(kid, "a");
    assert_string_equal(pt, "k");
    sathd_keys_secret_free(pt);
    /* a keyring without A fails closed and names the id */
    assert_int_equal(sathd_envelope_open(b, SATHD_KEYS_AI_KEYS, ad, under_a, &pt, &len, kid),
                     SATHD_KEYS_EUNKNOWN_KID);
    assert_string_equal(kid, "a");
    assert_null(pt);
    /* same kid name, different key material: authentication fails */
    sathd_keyring *fake_a = sathd_keyring_parse("a:HxwdHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=", err, sizeof err);
    assert_int_equal(open_str(fake_a, SATHD_KEYS_AI_KEYS, ad, under_a, &pt), SATHD_KEYS_EAUTH);
    free(under_a);
    free(under_b);
    sathd_keyring_free(a);
    sathd_keyring_free(b);
    sathd_keyring_free(ba);
    sathd_keyring_free(fake_a);
}

static void strict_parser(void **state)
{
    (void)state;
    char err[256], ad[] = "x";
    sathd_keyring *kr = sathd_keyring_parse(KEY_A, err, sizeof err);
    char *env = seal_str(kr, SATHD_KEYS_API_KEYS, ad, "value");
    size_t n = strlen(env);
    char buf[512];
    char *pt = NULL;
    /* wrong version */
    snprintf(buf, sizeof buf, "v2%s", env + 2);
    assert_int_equal(open_str(kr, SATHD_KEYS_API_KEYS, ad, buf, &pt), SATHD_KEYS_EMALFORMED);
    /* truncated: cut base64 (length no longer a multiple of 4), and a too-short blob */
    snprintf(buf, sizeof buf, "%.*s", (int)n - 1, env);
    assert_int_equal(open_str(kr, SATHD_KEYS_API_KEYS, ad, buf, &pt), SATHD_KEYS_EMALFORMED);
    assert_int_equal(open_str(kr, SATHD_KEYS_API_KEYS, ad, "v1:a:AAAA", &pt), SATHD_KEYS_EMALFORMED);
    /* a complete envelope truncated by whole base64 quanta fails authentication */
    snprintf(buf, sizeof buf, "%.*s", (int)n - 8, env);
    sathd_keys_rc rc = open_str(kr, SATHD_KEYS_API_KEYS, ad, buf, &pt);
    assert_true(rc == SATHD_KEYS_EAUTH || rc == SATHD_KEYS_EMALFORMED);
    /* bad base64 characters, URL-safe alphabet, whitespace, data after padding */
    static const char *const bad[] = {
        "", "v1", "v1:", "v1::AAAA", "v1:a:", "v1:a b:AAAA", "v1:a:!!!!",
        "v1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:AAAA", /* 33-char kid */
        "V1:a:AAAA", "v1:a:AAAA=AAA", "v1:a:AA-_AAAA", " v1:a:AAAA", "v1:a:AAAA\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(open_str(kr, SATHD_KEYS_API_KEYS, ad, bad[i], &pt), SATHD_KEYS_EMALFORMED);
    /* non-ASCII bytes in the base64 part */
    snprintf(buf, sizeof buf, "%s", env);
    buf[8] = (char)0xc3;
    assert_int_equal(open_str(kr, SATHD_KEYS_API_KEYS, ad, buf, &pt), SATHD_KEYS_EMALFORMED);
    /* space inside the base64 */
    snprintf(buf, sizeof buf, "%s", env);
    buf[8] = ' ';
    assert_int_equal(open_str(kr, SATHD_KEYS_API_KEYS, ad, buf, &pt), SATHD_KEYS_EMALFORMED);
    assert_null(pt);
    free(env);
    sathd_keyring_free(kr);
}

static void ephemeral(void **state)
{
    (void)state;
    sathd_keyring *kr = sathd_keyring_ephemeral("ephemeral");
    assert_non_null(kr);
    assert_string_equal(sathd_keyring_current_kid(kr), "ephemeral");
    char *env = seal_str(kr, SATHD_KEYS_API_KEYS, "ad", "v");
    sathd_keyring *other = sathd_keyring_ephemeral("ephemeral");
    char *pt = NULL;
    assert_int_equal(open_str(other, SATHD_KEYS_API_KEYS, "ad", env, &pt), SATHD_KEYS_EAUTH);
    assert_null(sathd_keyring_ephemeral("bad kid"));
    free(env);
    sathd_keyring_free(kr);
    sathd_keyring_free(other);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keyring_parse), cmocka_unit_test(roundtrip_and_format),
        cmocka_unit_test(ad_binding),    cmocka_unit_test(kid_selection),
        cmocka_unit_test(strict_parser), cmocka_unit_test(ephemeral),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
