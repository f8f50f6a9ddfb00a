/*
 * torture_jwt_keys.c - the JWT key set and JWKS: kid derivation, loading a seed from
 * base64 text and from a key file (with its permission rule), seed generation, HS256
 * secret bounds, the SATH_JWT_EXTRA_PUBLIC_KEYS list, and the published JWKS document.
 */
#include "sathd/jwt.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fixture {
    unsigned char seed[32];
    sathd_jwt_keys *ed;
    sathd_jwt_keys *hs;
} fixture;

static int setup(void **state)
{
    unsigned char secret[40];
    if (sodium_init() < 0)
        return -1;
    fixture *f = calloc(1, sizeof *f);
    for (int i = 0; i < 32; i++)
        f->seed[i] = (unsigned char)(i + 1);
    memset(secret, 0x5a, sizeof secret);
    f->ed = sathd_jwt_keys_new_ed25519(f->seed, "ed-1", NULL);
    f->hs = sathd_jwt_keys_new_hs256(secret, sizeof secret, "hs-1", NULL);
    if (!f->ed || !f->hs)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sathd_jwt_keys_free(f->ed);
    sathd_jwt_keys_free(f->hs);
    free(f);
    return 0;
}

static void test_extra_public_list(void **state)
{
    fixture *f = *state;
    unsigned char pk[32], sk[64];
    char x[64], list[256];
    const char *why = NULL;
    crypto_sign_seed_keypair(pk, sk, f->seed);
    sathd_b64url_encode(x, sizeof x, pk, sizeof pk);
    char *seed64 = sathd_jwt_gen_seed_b64();
    sathd_jwt_keys *k = sathd_jwt_keys_from_seed_b64(seed64, "new", NULL);
    free(seed64);
    assert_int_equal(sathd_jwt_keys_add_public_list(k, "", &why), 0);
    snprintf(list, sizeof list, "ed-1:%s,other:%s", x, x);
    assert_int_equal(sathd_jwt_keys_add_public_list(k, list, &why), 0);
    char *jwks = sathd_jwks_json(k);
    json_t *doc = json_loads(jwks, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "keys")), 3);
    json_decref(doc);
    free(jwks);
    assert_int_equal(sathd_jwt_keys_add_public_list(k, "nocolon", &why), -1);
    assert_int_equal(sathd_jwt_keys_add_public_list(k, "a:Zm9v", &why), -1); /* 3 bytes */
    snprintf(list, sizeof list, "b:%s=", x);
    assert_int_equal(sathd_jwt_keys_add_public_list(k, list, &why), -1); /* padded */
    sathd_jwt_keys_free(k);
}

static void test_kid_derivation(void **state)
{
    fixture *f = *state;
    sathd_jwt_keys *k = sathd_jwt_keys_new_ed25519(f->seed, NULL, NULL);
    unsigned char pk[32], sk[64], h[32];
    char full[64];
    crypto_sign_seed_keypair(pk, sk, f->seed);
    crypto_hash_sha256(h, pk, sizeof pk);
    sathd_b64url_encode(full, sizeof full, h, sizeof h);
    full[16] = '\0';
    assert_string_equal(sathd_jwt_keys_kid(k), full);
    assert_int_equal(sathd_jwt_keys_alg(k), SATHD_JWT_ALG_EDDSA);
    sathd_jwt_keys_free(k);
    const char *why = NULL;
    assert_null(sathd_jwt_keys_new_ed25519(f->seed, "has space", &why));
    assert_non_null(why);
    assert_null(sathd_jwt_keys_new_ed25519(f->seed, "quote\"", &why));
}

static void test_load_seed_b64_and_gen(void **state)
{
    (void)state;
    const char *why = NULL;
    char *s = sathd_jwt_gen_seed_b64();
    assert_int_equal(strlen(s), 44);
    assert_int_equal(s[43], '=');
    char *s2 = sathd_jwt_gen_seed_b64();
    assert_string_not_equal(s, s2);
    sathd_jwt_keys *a = sathd_jwt_keys_from_seed_b64(s, NULL, &why);
    assert_non_null(a);
    /* Same seed, surrounded by whitespace, in base64url: the same key (same derived kid). */
    unsigned char seed[32];
    size_t n = 0;
    assert_int_equal(sodium_base642bin(seed, 32, s, 44, NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL), 0);
    char url[64], spaced[80];
    sathd_b64url_encode(url, sizeof url, seed, 32);
    snprintf(spaced, sizeof spaced, "  %s\n", url);
    sathd_jwt_keys *b = sathd_jwt_keys_from_seed_b64(spaced, NULL, &why);
    assert_non_null(b);
    assert_string_equal(sathd_jwt_keys_kid(a), sathd_jwt_keys_kid(b));
    sathd_jwt_keys_free(a);
    sathd_jwt_keys_free(b);
    assert_null(sathd_jwt_keys_from_seed_b64("c2hvcnQ=", NULL, &why)); /* 5 bytes */
    assert_null(sathd_jwt_keys_from_seed_b64("not base64 at all!!", NULL, &why));
    assert_null(sathd_jwt_keys_from_seed_b64(NULL, NULL, &why));
    free(s);
    free(s2);
}

static void test_load_key_file(void **state)
{
    (void)state;
    const char *why = NULL;
    char path[] = "/tmp/sath-jwt-key-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char *s = sathd_jwt_gen_seed_b64();
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
    assert_int_equal(write(fd, "\n", 1), 1);
    close(fd);
    assert_int_equal(chmod(path, 0600), 0);
    sathd_jwt_keys *k = sathd_jwt_keys_from_key_file(path, "file-kid", &why);
    assert_non_null(k);
    assert_string_equal(sathd_jwt_keys_kid(k), "file-kid");
    sathd_jwt_keys *k2 = sathd_jwt_keys_from_seed_b64(s, "file-kid", &why);
    char *j1 = sathd_jwks_json(k), *j2 = sathd_jwks_json(k2);
    assert_string_equal(j1, j2);
    free(j1);
    free(j2);
    sathd_jwt_keys_free(k);
    sathd_jwt_keys_free(k2);
    /* Readable by group or others: refused. */
    assert_int_equal(chmod(path, 0640), 0);
    why = NULL;
    assert_null(sathd_jwt_keys_from_key_file(path, NULL, &why));
    assert_non_null(strstr(why, "group or others"));
    assert_int_equal(chmod(path, 0604), 0);
    assert_null(sathd_jwt_keys_from_key_file(path, NULL, &why));
    unlink(path);
    assert_null(sathd_jwt_keys_from_key_file(path, NULL, &why)); /* missing */
    assert_null(sathd_jwt_keys_from_key_file("/tmp", NULL, &why)); /* directory */
    free(s);
}

static void test_hs256_secret_rules(void **state)
{
    (void)state;
    unsigned char secret[300] = {0};
    const char *why = NULL;
    assert_null(sathd_jwt_keys_new_hs256(secret, 31, NULL, &why));
    assert_non_null(strstr(why, "32"));
    assert_null(sathd_jwt_keys_new_hs256(secret, 257, NULL, &why));
    sathd_jwt_keys *k = sathd_jwt_keys_new_hs256(secret, 32, NULL, &why);
    assert_non_null(k);
    assert_int_equal(sathd_jwt_keys_alg(k), SATHD_JWT_ALG_HS256);
    sathd_jwt_keys_free(k);
}

static void test_jwks(void **state)
{
    fixture *f = *state;
    char *j = sathd_jwks_json(f->ed);
    json_t *doc = json_loads(j, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(doc);
    json_t *keys = json_object_get(doc, "keys");
    assert_int_equal(json_array_size(keys), 1);
    json_t *k0 = json_array_get(keys, 0);
    unsigned char pk[32], sk[64];
    char x[64];
    crypto_sign_seed_keypair(pk, sk, f->seed);
    sathd_b64url_encode(x, sizeof x, pk, 32);
    assert_string_equal(json_string_value(json_object_get(k0, "kty")), "OKP");
    assert_string_equal(json_string_value(json_object_get(k0, "crv")), "Ed25519");
    assert_string_equal(json_string_value(json_object_get(k0, "x")), x);
    assert_string_equal(json_string_value(json_object_get(k0, "kid")), "ed-1");
    assert_string_equal(json_string_value(json_object_get(k0, "use")), "sig");
    assert_string_equal(json_string_value(json_object_get(k0, "alg")), "EdDSA");
    assert_null(json_object_get(k0, "d")); /* never the private part */
    json_decref(doc);
    free(j);

    j = sathd_jwks_json(f->hs);
    assert_string_equal(j, "{\"keys\":[]}");
    free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extra_public_list),
        cmocka_unit_test(test_kid_derivation),
        cmocka_unit_test(test_load_seed_b64_and_gen),
        cmocka_unit_test(test_load_key_file),
        cmocka_unit_test(test_hs256_secret_rules),
        cmocka_unit_test(test_jwks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
