/*
 * torture_jwt.c - access tokens: the published RFC 7515 A.1 (HS256) and RFC 8037 A.4
 * (Ed25519) vectors, sign/verify round trips for both algorithms, and one test per way a
 * token must be refused, each asserting its specific sathd_jwt_err.
 *
 * Hostile tokens are minted here with libsodium directly (mint()), so the header and
 * claims can be anything while the signature is still valid: that proves the refusal
 * comes from the rule under test and not from a broken signature.
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

#define ISS "https://auth.sath.test"
#define AUD "sathd"
#define SUB "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
#define NOW INT64_C(1800000000)
#define TTL 900

static const sathd_jwt_policy POLICY = {ISS, AUD, TTL, 60};

typedef struct fixture {
    unsigned char seed[32];
    unsigned char secret[40];
    sathd_jwt_keys *ed;
    sathd_jwt_keys *hs;
} fixture;

static int setup(void **state)
{
    if (sodium_init() < 0)
        return -1;
    fixture *f = calloc(1, sizeof *f);
    for (int i = 0; i < 32; i++)
        f->seed[i] = (unsigned char)(i + 1);
    memset(f->secret, 0x5a, sizeof f->secret);
    f->ed = sathd_jwt_keys_new_ed25519(f->seed, "ed-1", NULL);
    f->hs = sathd_jwt_keys_new_hs256(f->secret, sizeof f->secret, "hs-1", NULL);
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

static char *b64(const void *data, size_t len)
{
    char *out = malloc(sathd_b64url_encoded_len(len) + 1);
    sathd_b64url_encode(out, sathd_b64url_encoded_len(len) + 1, data, len);
    return out;
}

/* Signs the text "h64.p64" (taken as given, so it may be malformed on purpose) with an
 * Ed25519 seed or an HMAC secret and returns "h64.p64.sig". */
static char *mint_raw(const char *h64, const char *p64, const unsigned char *seed,
                      const unsigned char *secret, size_t secret_len)
{
    size_t in_len = strlen(h64) + 1 + strlen(p64);
    char *in = malloc(in_len + 1);
    unsigned char sig[64];
    size_t sig_len;
    snprintf(in, in_len + 1, "%s.%s", h64, p64);
    if (seed) {
        unsigned char pk[32], sk[64];
        crypto_sign_seed_keypair(pk, sk, seed);
        crypto_sign_detached(sig, NULL, (const unsigned char *)in, in_len, sk);
        sig_len = 64;
    } else {
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, secret, secret_len);
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)in, in_len);
        crypto_auth_hmacsha256_final(&st, sig);
        sig_len = 32;
    }
    char *s64 = b64(sig, sig_len);
    char *tok = malloc(in_len + strlen(s64) + 2);
    sprintf(tok, "%s.%s", in, s64);
    free(in);
    free(s64);
    return tok;
}

static char *mint(const char *hdr, const char *claims, const unsigned char *seed,
                  const unsigned char *secret, size_t secret_len)
{
    char *h64 = b64(hdr, strlen(hdr)), *p64 = b64(claims, strlen(claims));
    char *tok = mint_raw(h64, p64, seed, secret, secret_len);
    free(h64);
    free(p64);
    return tok;
}

#define ED_HDR "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"ed-1\"}"
#define HS_HDR "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"hs-1\"}"

/* Claims with every field we issue; the arguments replace the interesting ones. */
static char *claims_full(const char *iss, const char *aud_json, const char *sub, int64_t iat,
                         int64_t nbf, int64_t exp, const char *typ)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"iss\":\"%s\",\"aud\":%s,\"sub\":\"%s\",\"iat\":%lld,\"nbf\":%lld,"
             "\"exp\":%lld,\"jti\":\"abcdefghijklmnopqrstuv\",\"typ\":\"%s\"}",
             iss, aud_json, sub, (long long)iat, (long long)nbf, (long long)exp, typ);
    return buf;
}

static char *claims_ok(void)
{
    return claims_full(ISS, "\"" AUD "\"", SUB, NOW, NOW, NOW + TTL, "access");
}

static sathd_jwt_err verify_ed(fixture *f, const char *tok, int64_t now)
{
    sathd_jwt_claims c;
    return sathd_jwt_verify_access(f->ed, &POLICY, tok, strlen(tok), now, &c);
}

static sathd_jwt_err verify_hs(fixture *f, const char *tok, int64_t now)
{
    sathd_jwt_claims c;
    return sathd_jwt_verify_access(f->hs, &POLICY, tok, strlen(tok), now, &c);
}

/* Mints an EdDSA token with the fixture's key and checks the verdict. */
static void expect_ed(fixture *f, const char *hdr, const char *claims, sathd_jwt_err want)
{
    char *tok = mint(hdr, claims, f->seed, NULL, 0);
    assert_string_equal(sathd_jwt_strerror(verify_ed(f, tok, NOW)), sathd_jwt_strerror(want));
    free(tok);
}

/* --- the published vectors ------------------------------------------------------- */

static void test_rfc7515_a1_hs256(void **state)
{
    (void)state;
    static const char k64[] =
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
    static const char tok[] =
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
        ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    static const char payload[] =
        "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
    unsigned char key[64];
    size_t key_len = 0;
    assert_int_equal(sathd_b64url_decode(key, sizeof key, k64, strlen(k64), &key_len), 0);
    assert_int_equal(key_len, 64);
    sathd_jwt_keys *k = sathd_jwt_keys_new_hs256(key, key_len, NULL, NULL);
    assert_non_null(k);

    unsigned char *pl = NULL;
    size_t pl_len = 0;
    char kid[SATHD_JWT_KID_MAX + 1];
    assert_int_equal(sathd_jwt_verify_compact(k, tok, strlen(tok), &pl, &pl_len, kid),
                     SATHD_JWT_OK);
    assert_int_equal(pl_len, strlen(payload));
    assert_memory_equal(pl, payload, pl_len);
    assert_string_equal(kid, "");
    free(pl);

    /* One flipped signature character breaks it. */
    char bad[sizeof tok];
    memcpy(bad, tok, sizeof tok);
    bad[sizeof tok - 5] = bad[sizeof tok - 5] == 'A' ? 'B' : 'A';
    assert_int_equal(sathd_jwt_verify_compact(k, bad, strlen(bad), NULL, NULL, NULL),
                     SATHD_JWT_E_SIGNATURE);
    /* The same key with a different key bit fails too. */
    key[0] ^= 1;
    sathd_jwt_keys *k2 = sathd_jwt_keys_new_hs256(key, key_len, NULL, NULL);
    assert_int_equal(sathd_jwt_verify_compact(k2, tok, strlen(tok), NULL, NULL, NULL),
                     SATHD_JWT_E_SIGNATURE);
    sathd_jwt_keys_free(k2);
    sathd_jwt_keys_free(k);
}

static void test_rfc8037_a4_ed25519(void **state)
{
    (void)state;
    static const char d64[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    static const char x64[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    static const char input[] = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    static const char sig[] =
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    unsigned char d[32];
    size_t n = 0;
    assert_int_equal(sathd_b64url_decode(d, sizeof d, d64, strlen(d64), &n), 0);
    assert_int_equal(n, 32);
    sathd_jwt_keys *k = sathd_jwt_keys_new_ed25519(d, NULL, NULL);
    assert_non_null(k);

    /* The key pair derived from d has the RFC's public key x (seen through the JWKS). */
    char *jwks = sathd_jwks_json(k);
    assert_non_null(strstr(jwks, x64));
    free(jwks);

    char tok[256];
    snprintf(tok, sizeof tok, "%s.%s", input, sig);
    unsigned char *pl = NULL;
    size_t pl_len = 0;
    assert_int_equal(sathd_jwt_verify_compact(k, tok, strlen(tok), &pl, &pl_len, NULL),
                     SATHD_JWT_OK);
    assert_int_equal(pl_len, strlen("Example of Ed25519 signing"));
    assert_memory_equal(pl, "Example of Ed25519 signing", pl_len);
    free(pl);

    /* Ed25519 is deterministic: our signing primitive reproduces the RFC's signature. */
    char *again = mint_raw("eyJhbGciOiJFZERTQSJ9", "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc", d,
                           NULL, 0);
    assert_string_equal(again, tok);
    free(again);

    tok[strlen(input) + 3] ^= 0x01; /* 'y' <-> 'x': still valid base64url, wrong signature */
    assert_int_equal(sathd_jwt_verify_compact(k, tok, strlen(tok), NULL, NULL, NULL),
                     SATHD_JWT_E_SIGNATURE);
    sathd_jwt_keys_free(k);
}

/* --- round trips -------------------------------------------------------------------- */

static void roundtrip(sathd_jwt_keys *k, const char *want_alg)
{
    sathd_jwt_err e = SATHD_JWT_E_INTERNAL;
    sathd_jwt_claims issued, got;
    char *tok = sathd_jwt_sign_access(k, &POLICY, SUB, NULL, NOW, &issued, &e);
    assert_non_null(tok);
    assert_int_equal(e, SATHD_JWT_OK);
    assert_int_equal(sathd_jwt_verify_access(k, &POLICY, tok, strlen(tok), NOW + 1, &got),
                     SATHD_JWT_OK);
    assert_string_equal(got.sub, SUB);
    assert_string_equal(got.iss, ISS);
    assert_string_equal(got.jti, issued.jti);
    assert_int_equal(strlen(got.jti), 22); /* 128 bits */
    assert_string_equal(got.kid, sathd_jwt_keys_kid(k));
    assert_int_equal(got.iat, NOW);
    assert_int_equal(got.nbf, NOW);
    assert_int_equal(got.exp, NOW + TTL);
    assert_string_equal(got.sid, "");

    /* With a session id, it comes back; a malformed one is refused at signing. */
    sathd_jwt_claims with_sid;
    char *ts = sathd_jwt_sign_access(k, &POLICY, SUB, "00ff00ff00ff00ff00ff00ff00ff00ff", NOW, NULL, &e);
    assert_non_null(ts);
    assert_int_equal(sathd_jwt_verify_access(k, &POLICY, ts, strlen(ts), NOW, &with_sid), SATHD_JWT_OK);
    assert_string_equal(with_sid.sid, "00ff00ff00ff00ff00ff00ff00ff00ff");
    free(ts);
    assert_null(sathd_jwt_sign_access(k, &POLICY, SUB, "not hex!", NOW, NULL, &e));
    assert_int_equal(e, SATHD_JWT_E_INVALID_ARG);

    /* The header really says what we claim. */
    unsigned char hdr[256];
    size_t hl = 0;
    const char *dot = strchr(tok, '.');
    assert_int_equal(sathd_b64url_decode(hdr, sizeof hdr - 1, tok, (size_t)(dot - tok), &hl), 0);
    hdr[hl] = '\0';
    json_t *h = json_loads((const char *)hdr, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(h, "alg")), want_alg);
    assert_string_equal(json_string_value(json_object_get(h, "typ")), "JWT");
    json_decref(h);

    /* Two tokens never share a jti. */
    sathd_jwt_claims second;
    char *tok2 = sathd_jwt_sign_access(k, &POLICY, SUB, NULL, NOW, &second, &e);
    assert_string_not_equal(second.jti, issued.jti);
    free(tok2);
    free(tok);
}

static void test_roundtrip_eddsa(void **state)
{
    fixture *f = *state;
    roundtrip(f->ed, "EdDSA");
    /* A derived kid works just the same. */
    sathd_jwt_keys *k = sathd_jwt_keys_new_ed25519(f->seed, NULL, NULL);
    roundtrip(k, "EdDSA");
    sathd_jwt_keys_free(k);
}

static void test_roundtrip_hs256(void **state)
{
    fixture *f = *state;
    roundtrip(f->hs, "HS256");
    sathd_jwt_keys *k = sathd_jwt_keys_new_hs256(f->secret, 32, NULL, NULL);
    assert_string_equal(sathd_jwt_keys_kid(k), "");
    roundtrip(k, "HS256");
    sathd_jwt_keys_free(k);
}

static void test_sign_bad_args(void **state)
{
    fixture *f = *state;
    sathd_jwt_err e = SATHD_JWT_OK;
    sathd_jwt_policy bad = POLICY;
    assert_null(sathd_jwt_sign_access(f->ed, &POLICY, "not-a-uuid", NULL, NOW, NULL, &e));
    assert_int_equal(e, SATHD_JWT_E_INVALID_ARG);
    bad.access_ttl_s = 0;
    assert_null(sathd_jwt_sign_access(f->ed, &bad, SUB, NULL, NOW, NULL, &e));
    assert_int_equal(e, SATHD_JWT_E_INVALID_ARG);
    bad = POLICY;
    bad.leeway_s = 61;
    assert_null(sathd_jwt_sign_access(f->ed, &bad, SUB, NULL, NOW, NULL, &e));
    assert_null(sathd_jwt_sign_access(NULL, &POLICY, SUB, NULL, NOW, NULL, &e));
}

/* --- header rules ------------------------------------------------------------------ */

static void test_alg_none(void **state)
{
    fixture *f = *state;
    const char *none_hdr = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
    char *h64 = b64(none_hdr, strlen(none_hdr));
    char *p64 = b64(claims_ok(), strlen(claims_ok()));
    char tok[1024];
    /* An unsecured JWS has an empty signature: that is already malformed for us. */
    snprintf(tok, sizeof tok, "%s.%s.", h64, p64);
    assert_int_equal(verify_ed(f, tok, NOW), SATHD_JWT_E_MALFORMED);
    snprintf(tok, sizeof tok, "%s.%s.AAAA", h64, p64);
    assert_int_equal(verify_ed(f, tok, NOW), SATHD_JWT_E_ALG_NONE);
    assert_int_equal(verify_hs(f, tok, NOW), SATHD_JWT_E_ALG_NONE);
    free(h64);
    h64 = b64("{\"alg\":\"NoNe\"}", strlen("{\"alg\":\"NoNe\"}"));
    snprintf(tok, sizeof tok, "%s.%s.AAAA", h64, p64);
    assert_int_equal(verify_ed(f, tok, NOW), SATHD_JWT_E_ALG_NONE);
    free(h64);
    free(p64);
}

static void test_alg_swap(void **state)
{
    fixture *f = *state;
    sathd_jwt_err e;
    char *hs_tok = sathd_jwt_sign_access(f->hs, &POLICY, SUB, NULL, NOW, NULL, &e);
    char *ed_tok = sathd_jwt_sign_access(f->ed, &POLICY, SUB, NULL, NOW, NULL, &e);
    assert_int_equal(verify_ed(f, hs_tok, NOW), SATHD_JWT_E_ALG_MISMATCH);
    assert_int_equal(verify_hs(f, ed_tok, NOW), SATHD_JWT_E_ALG_MISMATCH);
    free(hs_tok);
    free(ed_tok);

    /* The classic confusion attack: HS256 keyed with the verifier's public key. */
    unsigned char pk[32], sk[64];
    crypto_sign_seed_keypair(pk, sk, f->seed);
    char *tok = mint("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"ed-1\"}", claims_ok(), NULL,
                     pk, sizeof pk);
    assert_int_equal(verify_ed(f, tok, NOW), SATHD_JWT_E_ALG_MISMATCH);
    free(tok);
    /* Other algorithm names and non-string alg. */
    expect_ed(f, "{\"alg\":\"RS256\",\"kid\":\"ed-1\"}", claims_ok(), SATHD_JWT_E_ALG_MISMATCH);
    expect_ed(f, "{\"alg\":\"eddsa\",\"kid\":\"ed-1\"}", claims_ok(), SATHD_JWT_E_ALG_MISMATCH);
    expect_ed(f, "{\"alg\":1,\"kid\":\"ed-1\"}", claims_ok(), SATHD_JWT_E_HEADER);
    expect_ed(f, "{\"kid\":\"ed-1\"}", claims_ok(), SATHD_JWT_E_HEADER);
}

static void test_unknown_kid(void **state)
{
    fixture *f = *state;
    expect_ed(f, "{\"alg\":\"EdDSA\",\"kid\":\"nope\"}", claims_ok(), SATHD_JWT_E_UNKNOWN_KID);
    expect_ed(f, "{\"alg\":\"EdDSA\",\"kid\":\"\"}", claims_ok(), SATHD_JWT_E_UNKNOWN_KID);
    expect_ed(f, "{\"alg\":\"EdDSA\",\"kid\":7}", claims_ok(), SATHD_JWT_E_HEADER);
    /* No kid at all means the signing key. */
    expect_ed(f, "{\"alg\":\"EdDSA\"}", claims_ok(), SATHD_JWT_OK);
    /* HS256: a kid, when present, must be ours. */
    char *tok = mint("{\"alg\":\"HS256\",\"kid\":\"hs-2\"}", claims_ok(), NULL, f->secret,
                     sizeof f->secret);
    assert_int_equal(verify_hs(f, tok, NOW), SATHD_JWT_E_UNKNOWN_KID);
    free(tok);
}

static void test_rotation_extra_public_key(void **state)
{
    fixture *f = *state;
    /* New server key; the old one (the fixture's) is kept public-only. */
    unsigned char seed2[32], old_pk[32], old_sk[64];
    const char *why = NULL;
    sathd_jwt_gen_seed(seed2);
    crypto_sign_seed_keypair(old_pk, old_sk, f->seed);
    sathd_jwt_keys *k = sathd_jwt_keys_new_ed25519(seed2, "ed-2", NULL);
    sathd_jwt_err e;
    char *old_tok = sathd_jwt_sign_access(f->ed, &POLICY, SUB, NULL, NOW, NULL, &e);
    sathd_jwt_claims c;
    assert_int_equal(sathd_jwt_verify_access(k, &POLICY, old_tok, strlen(old_tok), NOW, &c),
                     SATHD_JWT_E_UNKNOWN_KID);
    assert_int_equal(sathd_jwt_keys_add_public(k, "ed-1", old_pk, &why), 0);
    assert_int_equal(sathd_jwt_verify_access(k, &POLICY, old_tok, strlen(old_tok), NOW, &c),
                     SATHD_JWT_OK);
    assert_string_equal(c.kid, "ed-1");
    assert_int_equal(sathd_jwt_keys_add_public(k, "ed-1", old_pk, &why), -1); /* duplicate */
    assert_int_equal(sathd_jwt_keys_add_public(f->hs, "x", old_pk, &why), -1); /* HS256 */
    /* The public-only key never signs: new tokens carry the new kid. */
    char *new_tok = sathd_jwt_sign_access(k, &POLICY, SUB, NULL, NOW, &c, &e);
    assert_string_equal(c.kid, "ed-2");
    assert_int_equal(verify_ed(f, new_tok, NOW), SATHD_JWT_E_UNKNOWN_KID);
    free(new_tok);
    free(old_tok);
    sathd_jwt_keys_free(k);
}

static void test_crit_and_duplicates(void **state)
{
    fixture *f = *state;
    expect_ed(f, "{\"alg\":\"EdDSA\",\"kid\":\"ed-1\",\"crit\":[\"exp\"],\"exp\":1}", claims_ok(),
              SATHD_JWT_E_CRIT);
    expect_ed(f, "{\"alg\":\"EdDSA\",\"kid\":\"ed-1\",\"crit\":[]}", claims_ok(), SATHD_JWT_E_CRIT);
    /* A repeated member could mean different things to different parsers. */
    expect_ed(f, "{\"alg\":\"HS256\",\"alg\":\"EdDSA\",\"kid\":\"ed-1\"}", claims_ok(),
              SATHD_JWT_E_HEADER);
    char claims[1200];
    snprintf(claims, sizeof claims, "{\"sub\":\"%s\",%s", "00000000-0000-0000-0000-000000000000",
             claims_ok() + 1);
    expect_ed(f, ED_HDR, claims, SATHD_JWT_E_CLAIMS);
    expect_ed(f, "[\"alg\",\"EdDSA\"]", claims_ok(), SATHD_JWT_E_HEADER);
    expect_ed(f, "{\"alg\":\"EdDSA\"", claims_ok(), SATHD_JWT_E_HEADER);
    expect_ed(f, "{\"alg\":\"EdDSA\",\"typ\":\"JOSE+JSON\"}", claims_ok(), SATHD_JWT_E_HEADER);
    expect_ed(f, "{\"alg\":\"EdDSA\",\"typ\":\"jwt\"}", claims_ok(), SATHD_JWT_OK);
}

/* --- claims ---------------------------------------------------------------------- */

static void test_expiry_and_leeway(void **state)
{
    fixture *f = *state;
    sathd_jwt_err e;
    char *tok = sathd_jwt_sign_access(f->ed, &POLICY, SUB, NULL, NOW, NULL, &e);
    assert_int_equal(verify_ed(f, tok, NOW + TTL - 1), SATHD_JWT_OK);
    assert_int_equal(verify_ed(f, tok, NOW + TTL + 59), SATHD_JWT_OK);      /* within leeway */
    assert_int_equal(verify_ed(f, tok, NOW + TTL + 60), SATHD_JWT_E_EXPIRED);
    assert_int_equal(verify_ed(f, tok, NOW + TTL + 3600), SATHD_JWT_E_EXPIRED);
    /* A stricter policy without leeway. */
    sathd_jwt_policy strict = POLICY;
    strict.leeway_s = 0;
    sathd_jwt_claims c;
    assert_int_equal(sathd_jwt_verify_access(f->ed, &strict, tok, strlen(tok), NOW + TTL, &c),
                     SATHD_JWT_E_EXPIRED);
    free(tok);
}

static void test_nbf_and_iat_in_future(void **state)
{
    fixture *f = *state;
    expect_ed(f, ED_HDR, claims_full(ISS, "\"" AUD "\"", SUB, NOW, NOW + 61, NOW + TTL, "access"),
              SATHD_JWT_E_NOT_YET_VALID);
    expect_ed(f, ED_HDR, claims_full(ISS, "\"" AUD "\"", SUB, NOW, NOW + 60, NOW + TTL, "access"),
              SATHD_JWT_OK); /* within leeway */
    expect_ed(f, ED_HDR, claims_full(ISS, "\"" AUD "\"", SUB, NOW + 61, NOW, NOW + TTL, "access"),
              SATHD_JWT_E_IAT_FUTURE);
    expect_ed(f, ED_HDR, claims_full(ISS, "\"" AUD "\"", SUB, NOW + 30, NOW, NOW + TTL, "access"),
              SATHD_JWT_OK);
}

static void test_wrong_audience(void **state)
{
    fixture *f = *state;
    expect_ed(f, ED_HDR, claims_full(ISS, "\"other\"", SUB, NOW, NOW, NOW + TTL, "access"),
              SATHD_JWT_E_AUDIENCE);
    expect_ed(f, ED_HDR, claims_full(ISS, "[\"a\",\"b\"]", SUB, NOW, NOW, NOW + TTL, "access"),
              SATHD_JWT_E_AUDIENCE);
    expect_ed(f, ED_HDR, claims_full(ISS, "[\"a\",\"" AUD "\"]", SUB, NOW, NOW, NOW + TTL, "access"),
              SATHD_JWT_OK);
    expect_ed(f, ED_HDR, claims_full(ISS, "[]", SUB, NOW, NOW, NOW + TTL, "access"),
              SATHD_JWT_E_AUDIENCE);
    expect_ed(f, ED_HDR, claims_full(ISS, "5", SUB, NOW, NOW, NOW + TTL, "access"),
              SATHD_JWT_E_AUDIENCE);
    /* A token for us, checked by a verifier configured for another audience. */
    sathd_jwt_err e;
    sathd_jwt_policy other = POLICY;
    other.audience = "billing";
    sathd_jwt_claims c;
    char *tok = sathd_jwt_sign_access(f->ed, &POLICY, SUB, NULL, NOW, NULL, &e);
    assert_int_equal(sathd_jwt_verify_access(f->ed, &other, tok, strlen(tok), NOW, &c),
                     SATHD_JWT_E_AUDIENCE);
    free(tok);
}

static void test_wrong_issuer(void **state)
{
    fixture *f = *state;
    expect_ed(f, ED_HDR, claims_full("https://evil.test", "\"" AUD "\"", SUB, NOW, NOW, NOW + TTL, "access"),
              SATHD_JWT_E_ISSUER);
    expect_ed(f, ED_HDR, claims_full(ISS "/", "\"" AUD "\"", SUB, NOW, NOW, NOW + TTL, "access"),
              SATHD_JWT_E_ISSUER);
}

static void test_wrong_token_type(void **state)
{
    fixture *f = *state;
    expect_ed(f, ED_HDR, claims_full(ISS, "\"" AUD "\"", SUB, NOW, NOW, NOW + TTL, "refresh"),
              SATHD_JWT_E_TOKEN_TYPE);
    expect_ed(f, ED_HDR, claims_full(ISS, "\"" AUD "\"", SUB, NOW, NOW, NOW + TTL, "Access"),
              SATHD_JWT_E_TOKEN_TYPE);
}

static void test_subject_and_missing_claims(void **state)
{
    fixture *f = *state;
    expect_ed(f, ED_HDR, claims_full(ISS, "\"" AUD "\"", "admin", NOW, NOW, NOW + TTL, "access"),
              SATHD_JWT_E_SUBJECT);
    expect_ed(f, ED_HDR,
              claims_full(ISS, "\"" AUD "\"", "3f2504e0-4f89-41d3-9a0c-0305e82c330", NOW, NOW,
                          NOW + TTL, "access"),
              SATHD_JWT_E_SUBJECT);
    expect_ed(f, ED_HDR,
              claims_full(ISS, "\"" AUD "\"", "3f2504e0x4f89-41d3-9a0c-0305e82c3301", NOW, NOW,
                          NOW + TTL, "access"),
              SATHD_JWT_E_SUBJECT);
    /* Upper-case hex is a UUID too, and comes back canonical (lower case). */
    char *tok = mint(ED_HDR,
                     claims_full(ISS, "\"" AUD "\"", "3F2504E0-4F89-41D3-9A0C-0305E82C3301", NOW,
                                 NOW, NOW + TTL, "access"),
                     f->seed, NULL, 0);
    sathd_jwt_claims c;
    assert_int_equal(sathd_jwt_verify_access(f->ed, &POLICY, tok, strlen(tok), NOW, &c),
                     SATHD_JWT_OK);
    assert_string_equal(c.sub, SUB);
    free(tok);

    static const char *const partial[] = {
        "{\"aud\":\"sathd\",\"sub\":\"" SUB "\",\"iat\":1800000000,\"nbf\":1800000000,"
        "\"exp\":1800000900,\"jti\":\"j\",\"typ\":\"access\"}", /* no iss */
        "{\"iss\":\"" ISS "\",\"aud\":\"sathd\",\"sub\":\"" SUB "\",\"iat\":1800000000,"
        "\"nbf\":1800000000,\"jti\":\"j\",\"typ\":\"access\"}", /* no exp */
        "{\"iss\":\"" ISS "\",\"aud\":\"sathd\",\"sub\":\"" SUB "\",\"iat\":1800000000,"
        "\"nbf\":1800000000,\"exp\":\"1800000900\",\"jti\":\"j\",\"typ\":\"access\"}", /* string exp */
        "{\"iss\":\"" ISS "\",\"aud\":\"sathd\",\"sub\":\"" SUB "\",\"iat\":1800000000,"
        "\"nbf\":1800000000,\"exp\":1800000900.5,\"jti\":\"j\",\"typ\":\"access\"}", /* real exp */
        "{\"iss\":\"" ISS "\",\"aud\":\"sathd\",\"sub\":\"" SUB "\",\"iat\":-5,"
        "\"nbf\":1800000000,\"exp\":1800000900,\"jti\":\"j\",\"typ\":\"access\"}", /* negative */
        "{\"iss\":\"" ISS "\",\"aud\":\"sathd\",\"sub\":\"" SUB "\",\"iat\":1800000000,"
        "\"nbf\":1800000000,\"exp\":99999999999999999,\"jti\":\"j\",\"typ\":\"access\"}", /* huge */
        "{\"iss\":\"" ISS "\",\"aud\":\"sathd\",\"sub\":\"" SUB "\",\"iat\":1800000000,"
        "\"nbf\":1800000000,\"exp\":1800000900,\"typ\":\"access\"}", /* no jti */
        "[1,2,3]",
        "not json",
    };
    for (size_t i = 0; i < sizeof partial / sizeof partial[0]; i++)
        expect_ed(f, ED_HDR, partial[i], SATHD_JWT_E_CLAIMS);
    expect_ed(f, ED_HDR,
              "{\"iss\":\"" ISS "\",\"aud\":\"sathd\",\"sub\":\"" SUB "\",\"iat\":1800000000,"
              "\"nbf\":1800000000,\"exp\":1800000900,\"jti\":\"\",\"typ\":\"access\"}",
              SATHD_JWT_E_JTI);
}

/* --- serialization ------------------------------------------------------------ */

static void test_padded_base64(void **state)
{
    fixture *f = *state;
    sathd_jwt_err e;
    char *tok = sathd_jwt_sign_access(f->ed, &POLICY, SUB, NULL, NOW, NULL, &e);
    char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
    size_t hl = (size_t)(d1 - tok), pl = (size_t)(d2 - d1 - 1);
    char h64[512], p64[2048], buf[4096];
    memcpy(h64, tok, hl);
    h64[hl] = '\0';
    memcpy(p64, d1 + 1, pl);
    p64[pl] = '\0';

    /* Padding on the header (correctly re-signed). */
    snprintf(buf, sizeof buf, "%s%s", h64, hl % 4 == 2 ? "==" : hl % 4 == 3 ? "=" : "====");
    char *t = mint_raw(buf, p64, f->seed, NULL, 0);
    assert_int_equal(verify_ed(f, t, NOW), SATHD_JWT_E_BASE64);
    free(t);
    /* Padding on the payload (correctly re-signed): decoded only after the signature. */
    snprintf(buf, sizeof buf, "%s%s", p64, pl % 4 == 2 ? "==" : pl % 4 == 3 ? "=" : "====");
    t = mint_raw(h64, buf, f->seed, NULL, 0);
    assert_int_equal(verify_ed(f, t, NOW), SATHD_JWT_E_BASE64);
    free(t);
    /* Padding on the signature (86 characters: "==" makes it 88). */
    snprintf(buf, sizeof buf, "%s==", tok);
    assert_int_equal(verify_ed(f, buf, NOW), SATHD_JWT_E_BASE64);
    free(tok);
}

static void test_standard_alphabet(void **state)
{
    fixture *f = *state;
    sathd_jwt_err e;
    char *tok = sathd_jwt_sign_access(f->ed, &POLICY, SUB, NULL, NOW, NULL, &e);
    char *sig = strrchr(tok, '.') + 1;
    char saved = sig[0];
    sig[0] = '+';
    assert_int_equal(verify_ed(f, tok, NOW), SATHD_JWT_E_BASE64);
    sig[0] = '/';
    assert_int_equal(verify_ed(f, tok, NOW), SATHD_JWT_E_BASE64);
    sig[0] = saved;
    tok[0] = '/';
    assert_int_equal(verify_ed(f, tok, NOW), SATHD_JWT_E_BASE64);
    tok[0] = '+';
    assert_int_equal(verify_ed(f, tok, NOW), SATHD_JWT_E_BASE64);
    tok[0] = ' ';
    assert_int_equal(verify_ed(f, tok, NOW), SATHD_JWT_E_BASE64);
    tok[0] = (char)0xcd; /* non-ASCII */
    assert_int_equal(verify_ed(f, tok, NOW), SATHD_JWT_E_BASE64);
    free(tok);
}

static void test_parts(void **state)
{
    fixture *f = *state;
    sathd_jwt_err e;
    char *tok = sathd_jwt_sign_access(f->ed, &POLICY, SUB, NULL, NOW, NULL, &e);
    char buf[4096];
    snprintf(buf, sizeof buf, "%s.AAAA", tok);
    assert_int_equal(verify_ed(f, buf, NOW), SATHD_JWT_E_MALFORMED); /* extra part */
    snprintf(buf, sizeof buf, "%s.", tok);
    assert_int_equal(verify_ed(f, buf, NOW), SATHD_JWT_E_MALFORMED);
    *strrchr(tok, '.') = '\0';
    assert_int_equal(verify_ed(f, tok, NOW), SATHD_JWT_E_MALFORMED); /* two parts */
    assert_int_equal(verify_ed(f, "", NOW), SATHD_JWT_E_MALFORMED);
    assert_int_equal(verify_ed(f, "..", NOW), SATHD_JWT_E_MALFORMED);
    assert_int_equal(verify_ed(f, ".e30.AAAA", NOW), SATHD_JWT_E_MALFORMED);
    assert_int_equal(verify_ed(f, "e30..AAAA", NOW), SATHD_JWT_E_MALFORMED);
    /* A NUL byte inside the given length is not a terminator. */
    sathd_jwt_claims c;
    assert_int_equal(sathd_jwt_verify_access(f->ed, &POLICY, "e30\0.e30.AAAA", 13, NOW, &c),
                     SATHD_JWT_E_BASE64);
    free(tok);
}

static void test_truncated_and_tampered(void **state)
{
    fixture *f = *state;
    sathd_jwt_err e;
    char *tok = sathd_jwt_sign_access(f->ed, &POLICY, SUB, NULL, NOW, NULL, &e);
    size_t len = strlen(tok);
    assert_int_equal(verify_ed(f, tok, NOW), SATHD_JWT_OK);
    /* 84 characters decode to 63 bytes: a short signature. */
    assert_int_equal(sathd_jwt_verify_access(f->ed, &POLICY, tok, len - 2, NOW,
                                             &(sathd_jwt_claims){0}),
                     SATHD_JWT_E_SIGNATURE);
    /* 85 characters are not base64 of anything. */
    assert_int_equal(sathd_jwt_verify_access(f->ed, &POLICY, tok, len - 1, NOW,
                                             &(sathd_jwt_claims){0}),
                     SATHD_JWT_E_BASE64);
    /* Changing one payload character (sub) keeps valid base64url but breaks the signature. */
    char *d1 = strchr(tok, '.');
    d1[5] = d1[5] == 'A' ? 'Q' : 'A';
    assert_int_equal(verify_ed(f, tok, NOW), SATHD_JWT_E_SIGNATURE);
    free(tok);
    /* HS256 likewise. */
    tok = sathd_jwt_sign_access(f->hs, &POLICY, SUB, NULL, NOW, NULL, &e);
    len = strlen(tok);
    /* 43 signature characters; 40 decode to 30 bytes. */
    assert_int_equal(sathd_jwt_verify_access(f->hs, &POLICY, tok, len - 3, NOW,
                                             &(sathd_jwt_claims){0}),
                     SATHD_JWT_E_SIGNATURE);
    tok[len - 3] = tok[len - 3] == 'A' ? 'B' : 'A';
    assert_int_equal(verify_hs(f, tok, NOW), SATHD_JWT_E_SIGNATURE);
    free(tok);
}

static void test_oversized(void **state)
{
    fixture *f = *state;
    size_t n = SATHD_JWT_MAX_TOKEN_LEN + 1;
    char *big = malloc(n + 1);
    memset(big, 'A', n);
    big[10] = '.';
    big[20] = '.';
    big[n] = '\0';
    assert_int_equal(verify_ed(f, big, NOW), SATHD_JWT_E_TOO_LONG);
    assert_int_equal(sathd_jwt_verify_compact(f->hs, big, n, NULL, NULL, NULL),
                     SATHD_JWT_E_TOO_LONG);
    free(big);
    /* A signed token with a huge but in-bounds claim still verifies. */
    char claims[6000];
    char pad[4500];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    snprintf(claims, sizeof claims, "{\"pad\":\"%s\",%s", pad, claims_ok() + 1);
    char *tok = mint(ED_HDR, claims, f->seed, NULL, 0);
    assert_true(strlen(tok) <= SATHD_JWT_MAX_TOKEN_LEN);
    assert_int_equal(verify_ed(f, tok, NOW), SATHD_JWT_OK);
    free(tok);
}

static void test_verify_bad_args(void **state)
{
    fixture *f = *state;
    sathd_jwt_claims c;
    sathd_jwt_policy bad = POLICY;
    bad.leeway_s = 3600;
    assert_int_equal(sathd_jwt_verify_access(f->ed, &bad, "a.b.c", 5, NOW, &c),
                     SATHD_JWT_E_INVALID_ARG);
    assert_int_equal(sathd_jwt_verify_access(NULL, &POLICY, "a.b.c", 5, NOW, &c),
                     SATHD_JWT_E_INVALID_ARG);
    assert_int_equal(sathd_jwt_verify_access(f->ed, &POLICY, NULL, 0, NOW, &c),
                     SATHD_JWT_E_INVALID_ARG);
    assert_string_equal(sathd_jwt_strerror(SATHD_JWT_E_EXPIRED), "expired");
    assert_string_equal(sathd_jwt_strerror((sathd_jwt_err)999), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7515_a1_hs256),
        cmocka_unit_test(test_rfc8037_a4_ed25519),
        cmocka_unit_test(test_roundtrip_eddsa),
        cmocka_unit_test(test_roundtrip_hs256),
        cmocka_unit_test(test_sign_bad_args),
        cmocka_unit_test(test_alg_none),
        cmocka_unit_test(test_alg_swap),
        cmocka_unit_test(test_unknown_kid),
        cmocka_unit_test(test_rotation_extra_public_key),
        cmocka_unit_test(test_crit_and_duplicates),
        cmocka_unit_test(test_expiry_and_leeway),
        cmocka_unit_test(test_nbf_and_iat_in_future),
        cmocka_unit_test(test_wrong_audience),
        cmocka_unit_test(test_wrong_issuer),
        cmocka_unit_test(test_wrong_token_type),
        cmocka_unit_test(test_subject_and_missing_claims),
        cmocka_unit_test(test_padded_base64),
        cmocka_unit_test(test_standard_alphabet),
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_truncated_and_tampered),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_verify_bad_args),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
