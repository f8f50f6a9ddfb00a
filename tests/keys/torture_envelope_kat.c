/*
 * torture_envelope_kat.c - known-answer vectors of the stored-secret envelope.
 *
 * Every stored API key is an envelope "v1:<kid>:<base64(nonce || ciphertext)>" sealed
 * with a subkey derived from the master key (crypto_kdf, context "sathkeys", subkey id =
 * purpose) and bound to "sath.v1|<table>|<user>|<row>|<column>".  The ciphertexts below
 * were made on 2026-11-28 with two fixed test master keys and are committed: if a change
 * of KDF context, subkey ids, associated data, cipher or encoding made them unreadable,
 * every key users stored before the upgrade would be lost, and this test fails first.
 * NEVER regenerate these vectors to make the test pass: add a v2 format and keep v1 opening.
 *
 * Each vector is opened twice: by sathd's envelope code and by a reference decoder written
 * here from the format description with plain libsodium calls.  A value sealed today must
 * also open with the reference decoder, so both directions of the format are pinned.
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

/* Test-only master keys: base64 of "KAT test master key, never real!" and
 * "second KAT master key, not real!".  kat-2026b is current, kat-2026a the rotated-out key. */
#define MASTER_A "S0FUIHRlc3QgbWFzdGVyIGtleSwgbmV2ZXIgcmVhbCE="
#define MASTER_B "c2Vjb25kIEtBVCBtYXN0ZXIga2V5LCBub3QgcmVhbCE="
#define KEYRING "kat-2026b:" MASTER_B ",kat-2026a:" MASTER_A

typedef struct kat {
    sathd_keys_purpose purpose;
    const char *user, *row, *column;
    const char *ad;        /* the associated data, as committed */
    const char *plaintext; /* what the envelope must open to */
    const char *envelope;  /* sealed on 2026-11-28 */
} kat;

static const kat vectors[] = {
    {SATHD_KEYS_API_KEYS, "0b5f1a9e-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "7d0c6a0e-1111-4222-8333-944455556666", "api_key",
     "sath.v1|api_keys|0b5f1a9e-3c4d-4e5f-8a9b-0c1d2e3f4a5b|7d0c6a0e-1111-4222-8333-944455556666|api_key",
     "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
     "v1:kat-2026a:GAOsJUFNjq6T96sBrlisOv4DRlnZTzSFOQcjRbeA0lxs3zSs38OG1gik7HxtVnZjEmgAaQVI5nWS8Q/e9/+PwnEl6cW2O+vy/RsdmuRYqbOVpvNSrH5zrjwwVO0gMtZifusk5G1w7kQ="},
    {SATHD_KEYS_API_KEYS, "0b5f1a9e-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "7d0c6a0e-1111-4222-8333-944455556666", "api_secret",
     "sath.v1|api_keys|0b5f1a9e-3c4d-4e5f-8a9b-0c1d2e3f4a5b|7d0c6a0e-1111-4222-8333-944455556666|api_secret",
     "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e8UZmBXOgLqV52T4LLkBZf1uu3Wc9cS",
     "v1:kat-2026a:MfPp/WbqYT0OrGUvwAg16XrXOhh9+4FdBCH7rvIbVgp/6Pgk9na+YeRL+bkTsfUnKRqWmFYU2i2P1O3JZsJpH0/s4Mp43DOtyOwlWpgAzj2nMKDZd5nUDwdz+PNmGWK//UvA6G4ZYjE="},
    {SATHD_KEYS_API_KEYS, "0b5f1a9e-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "7d0c6a0e-1111-4222-8333-944455556666", "passphrase",
     "sath.v1|api_keys|0b5f1a9e-3c4d-4e5f-8a9b-0c1d2e3f4a5b|7d0c6a0e-1111-4222-8333-944455556666|passphrase",
     "",
     "v1:kat-2026a:+JEiYZ3yRpwU/7jwLXWJl6e4AbvWQXmnM1hCUCPhFgukngswBrut/A=="},
    {SATHD_KEYS_AI_KEYS, "0b5f1a9e-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "2c9e0f4a-5555-4666-8777-988899990000", "api_key",
     "sath.v1|ai_keys|0b5f1a9e-3c4d-4e5f-8a9b-0c1d2e3f4a5b|2c9e0f4a-5555-4666-8777-988899990000|api_key",
     "sk-ant-api03-KAT-\xc3\xa9t\xc3\xa9-unicode-and-long-" "0123456789abcdef0123456789abcdef",
     "v1:kat-2026a:5+nvcZybMgyPhfk64wxHYCPJa9akp0f/lQJZvTT6znUTRgyef2M9j7OXCRL6eKQIJmjsRcN7DlACX2En5vx06XNU7nCfbY6oeX0Cq93Kzxkvc/mmKIdDtirRRcTtuZXBIwnpFfQ5uKPwGSFzxaug3Q=="},
    {SATHD_KEYS_AI_KEYS, "9a8b7c6d-0000-4111-8222-333344445555", "2c9e0f4a-5555-4666-8777-988899990001", "api_key",
     "sath.v1|ai_keys|9a8b7c6d-0000-4111-8222-333344445555|2c9e0f4a-5555-4666-8777-988899990001|api_key",
     "sk-proj-rotated",
     "v1:kat-2026b:FYaZgkYBoxAFLHtqHZm+tyiQ1IS4ZJU9yjUbj28j4i/n0+8m9Qw+in6LzxpVxjJu/F5yKHb5HQ=="},
};
#define N_VECTORS (sizeof vectors / sizeof vectors[0])

/* The format, decoded with libsodium only.  Returns a malloc'd plaintext or NULL. */
static char *reference_open(const char *master_b64, sathd_keys_purpose purpose, const char *ad,
                            const char *envelope, const char *want_kid)
{
    unsigned char master[crypto_kdf_KEYBYTES], subkey[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    size_t mlen = 0;
    if (sodium_base642bin(master, sizeof master, master_b64, strlen(master_b64), NULL, &mlen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 || mlen != sizeof master)
        return NULL;
    if (crypto_kdf_derive_from_key(subkey, sizeof subkey, (uint64_t)purpose, "sathkeys", master) != 0)
        return NULL;
    size_t klen = strlen(want_kid);
    if (strncmp(envelope, "v1:", 3) != 0 || strncmp(envelope + 3, want_kid, klen) != 0 ||
        envelope[3 + klen] != ':')
        return NULL;
    const char *b64 = envelope + 3 + klen + 1;
    unsigned char blob[8192];
    size_t blen = 0;
    if (sodium_base642bin(blob, sizeof blob, b64, strlen(b64), NULL, &blen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        blen < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES)
        return NULL;
    const unsigned char *nonce = blob, *ct = blob + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    size_t ctlen = blen - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    char *pt = calloc(1, ctlen + 1);
    unsigned long long ptlen = 0;
    if (!pt || crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)pt, &ptlen, NULL, ct, ctlen,
                                                          (const unsigned char *)ad, strlen(ad), nonce,
                                                          subkey) != 0) {
        free(pt);
        return NULL;
    }
    pt[ptlen] = '\0';
    return pt;
}

static const char *master_of(const char *envelope)
{
    return strncmp(envelope, "v1:kat-2026a:", 13) == 0 ? MASTER_A : MASTER_B;
}

static const char *kid_of(const char *envelope)
{
    return strncmp(envelope, "v1:kat-2026a:", 13) == 0 ? "kat-2026a" : "kat-2026b";
}

static void associated_data_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_VECTORS; i++) {
        const kat *v = &vectors[i];
        char ad[SATHD_KEYS_AD_MAX];
        assert_int_equal(sathd_keys_ad(ad, sizeof ad, v->purpose, v->user, v->row, v->column),
                         (int)strlen(v->ad));
        assert_string_equal(ad, v->ad);
    }
}

static void committed_envelopes_open(void **state)
{
    (void)state;
    char err[256];
    sathd_keyring *kr = sathd_keyring_parse(KEYRING, err, sizeof err);
    assert_non_null(kr);
    size_t opened = 0;
    for (size_t i = 0; i < N_VECTORS; i++) {
        const kat *v = &vectors[i];
        char *pt = NULL, kid[SATHD_KEYS_KID_MAX + 1] = "";
        size_t len = 0;
        assert_int_equal(sathd_envelope_open(kr, v->purpose, v->ad, v->envelope, &pt, &len, kid),
                         SATHD_KEYS_OK);
        assert_int_equal(len, strlen(v->plaintext));
        assert_memory_equal(pt, v->plaintext, len + 1);
        assert_string_equal(kid, kid_of(v->envelope));
        sathd_keys_secret_free(pt);

        char *ref = reference_open(master_of(v->envelope), v->purpose, v->ad, v->envelope,
                                   kid_of(v->envelope));
        assert_non_null(ref);
        assert_string_equal(ref, v->plaintext);
        free(ref);
        opened++;
    }
    assert_int_equal(opened, N_VECTORS);
    assert_true(N_VECTORS >= 5);
    sathd_keyring_free(kr);
}

/* The vectors are really bound: another column, row or purpose, or a keyring without
 * the key, refuses each of them. */
static void committed_envelopes_stay_bound(void **state)
{
    (void)state;
    char err[256];
    sathd_keyring *kr = sathd_keyring_parse(KEYRING, err, sizeof err);
    sathd_keyring *only_b = sathd_keyring_parse("kat-2026b:" MASTER_B, err, sizeof err);
    assert_non_null(kr);
    assert_non_null(only_b);
    for (size_t i = 0; i < N_VECTORS; i++) {
        const kat *v = &vectors[i];
        char *pt = NULL, ad[SATHD_KEYS_AD_MAX];
        size_t len = 0;
        sathd_keys_ad(ad, sizeof ad, v->purpose, v->user, v->row, "other_column");
        assert_int_equal(sathd_envelope_open(kr, v->purpose, ad, v->envelope, &pt, &len, NULL),
                         SATHD_KEYS_EAUTH);
        sathd_keys_purpose other = v->purpose == SATHD_KEYS_API_KEYS ? SATHD_KEYS_AI_KEYS : SATHD_KEYS_API_KEYS;
        assert_int_equal(sathd_envelope_open(kr, other, v->ad, v->envelope, &pt, &len, NULL),
                         SATHD_KEYS_EAUTH);
        int old = strcmp(kid_of(v->envelope), "kat-2026a") == 0;
        assert_int_equal(sathd_envelope_open(only_b, v->purpose, v->ad, v->envelope, &pt, &len, NULL),
                         old ? SATHD_KEYS_EUNKNOWN_KID : SATHD_KEYS_OK);
        if (!old)
            sathd_keys_secret_free(pt);
    }
    sathd_keyring_free(only_b);
    sathd_keyring_free(kr);
}

/* What sathd seals today is what the reference decoder reads. */
static void sealed_today_matches_the_format(void **state)
{
    (void)state;
    char err[256];
    sathd_keyring *kr = sathd_keyring_parse(KEYRING, err, sizeof err);
    assert_non_null(kr);
    for (size_t i = 0; i < N_VECTORS; i++) {
        const kat *v = &vectors[i];
        char *env = NULL;
        assert_int_equal(sathd_envelope_seal(kr, v->purpose, v->ad, (const unsigned char *)v->plaintext,
                                             strlen(v->plaintext), &env),
                         SATHD_KEYS_OK);
        assert_int_equal(strncmp(env, "v1:kat-2026b:", 13), 0);
        assert_string_not_equal(env, v->envelope); /* a fresh nonce every time */
        char *ref = reference_open(MASTER_B, v->purpose, v->ad, env, "kat-2026b");
        assert_non_null(ref);
        assert_string_equal(ref, v->plaintext);
        free(ref);
        free(env);
    }
    sathd_keyring_free(kr);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(associated_data_format),
        cmocka_unit_test(committed_envelopes_open),
        cmocka_unit_test(committed_envelopes_stay_bound),
        cmocka_unit_test(sealed_today_matches_the_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
