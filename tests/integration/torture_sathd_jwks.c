/*
 * torture_sathd_jwks.c - `sathd jwks`, the command other services use to learn the keys
 * that verify sathd's access tokens.  The printed set is checked against keys derived here
 * with libsodium from the configured seed (so a wrong or swapped key cannot pass), with the
 * default kid (first 16 chars of base64url(SHA-256(pk))), an explicit kid, a rotation key
 * from SATH_JWT_EXTRA_PUBLIC_KEYS, HS256 (nothing published, the secret never printed), and
 * no key at all (exit 2).  (tests/gateway/test_rest.py checks the served
 * /.well-known/jwks.json equals this command's output.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

/* Runs `env -i <env> sathd jwks`; returns the exit status, stdout in *out (malloc'd). */
static int jwks(const char *env, char **out)
{
    const char *bin = getenv("SATHD_BIN");
    assert_non_null(bin);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "env -i SATH_GRPC_ADDR=127.0.0.1:0 SATH_HTTP_ADDR=127.0.0.1:0 %s %s jwks 2>/dev/null",
             env, bin);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    *out = calloc(1, 8192);
    size_t n = fread(*out, 1, 8191, p);
    (*out)[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void b64url(char *dst, size_t cap, const unsigned char *bin, size_t n)
{
    sodium_bin2base64(dst, cap, bin, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* The public key of `seed` (32 bytes), as base64url, and its default kid. */
static void derive(const unsigned char seed[32], char x[64], char kid[17])
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], h[32];
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(sk, sizeof sk);
    b64url(x, 64, pk, sizeof pk);
    crypto_hash_sha256(h, pk, sizeof pk);
    char full[64];
    b64url(full, sizeof full, h, sizeof h);
    memcpy(kid, full, 16);
    kid[16] = '\0';
}

static void assert_okp(json_t *k, const char *x, const char *kid)
{
    assert_string_equal(json_string_value(json_object_get(k, "kty")), "OKP");
    assert_string_equal(json_string_value(json_object_get(k, "crv")), "Ed25519");
    assert_string_equal(json_string_value(json_object_get(k, "alg")), "EdDSA");
    assert_string_equal(json_string_value(json_object_get(k, "use")), "sig");
    assert_string_equal(json_string_value(json_object_get(k, "x")), x);
    assert_string_equal(json_string_value(json_object_get(k, "kid")), kid);
    assert_null(json_object_get(k, "d")); /* never the private half */
}

static json_t *keys_of(const char *out)
{
    json_t *doc = json_loads(out, 0, NULL);
    assert_non_null(doc);
    json_t *keys = json_object_get(doc, "keys");
    assert_true(json_is_array(keys));
    json_incref(keys);
    json_decref(doc);
    return keys;
}

static void ed25519_default_kid(void **state)
{
    (void)state;
    unsigned char seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (unsigned char)i;
    char x[64], kid[17], env[256], b64[64];
    derive(seed, x, kid);
    sodium_bin2base64(b64, sizeof b64, seed, sizeof seed, sodium_base64_VARIANT_ORIGINAL);
    snprintf(env, sizeof env, "SATH_JWT_ED25519_KEY=%s", b64);
    char *out;
    assert_int_equal(jwks(env, &out), 0);
    json_t *keys = keys_of(out);
    assert_int_equal(json_array_size(keys), 1);
    assert_okp(json_array_get(keys, 0), x, kid);
    assert_null(strstr(out, b64)); /* the seed is not published */
    json_decref(keys);
    free(out);
}

static void ed25519_kid_and_rotation_key(void **state)
{
    (void)state;
    unsigned char seed[32], old_seed[32];
    randombytes_buf(seed, sizeof seed);
    randombytes_buf(old_seed, sizeof old_seed);
    char x[64], kid[17], old_x[64], old_kid[17], b64[64];
    derive(seed, x, kid);
    derive(old_seed, old_x, old_kid);
    sodium_bin2base64(b64, sizeof b64, seed, sizeof seed, sodium_base64_VARIANT_ORIGINAL);
    char env[512];
    snprintf(env, sizeof env, "SATH_JWT_ED25519_KEY=%s SATH_JWT_KID=k-2026 SATH_JWT_EXTRA_PUBLIC_KEYS=k-2025:%s",
             b64, old_x);
    char *out;
    assert_int_equal(jwks(env, &out), 0);
    json_t *keys = keys_of(out);
    assert_int_equal(json_array_size(keys), 2);
    assert_okp(json_array_get(keys, 0), x, "k-2026"); /* the signing key first */
    assert_okp(json_array_get(keys, 1), old_x, "k-2025");
    json_decref(keys);
    free(out);
}

static void hs256_publishes_nothing(void **state)
{
    (void)state;
    const char *secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==";
    char env[256], *out;
    snprintf(env, sizeof env, "SATH_JWT_ALG=HS256 SATH_JWT_HS256_SECRET=%s", secret);
    assert_int_equal(jwks(env, &out), 0);
    json_t *keys = keys_of(out);
    assert_int_equal(json_array_size(keys), 0);
    assert_null(strstr(out, "c2VjcmV0"));
    json_decref(keys);
    free(out);
}

static void no_key_is_an_error(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(jwks("", &out), 2);
    assert_string_equal(out, ""); /* nothing on stdout that a script could mistake for a set */
    free(out);
    assert_int_equal(jwks("SATH_JWT_ED25519_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= "
                          "SATH_JWT_EXTRA_PUBLIC_KEYS=old:short",
                          &out),
                     2);
    assert_string_equal(out, "");
    free(out);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ed25519_default_kid),
        cmocka_unit_test(ed25519_kid_and_rotation_key),
        cmocka_unit_test(hs256_publishes_nothing),
        cmocka_unit_test(no_key_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
