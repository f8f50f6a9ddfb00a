/*
 * fuzz_jwt.c - libFuzzer target for the JWT verifier and base64url.
 *
 * The first input byte picks what the rest is:
 *   0  a compact token, verified against an EdDSA and an HS256 key set;
 *   1  a claims JSON document, signed here with the EdDSA key and then verified, so the
 *      claims parser is reached (a random token never gets past the signature);
 *   2  a header JSON document, signed likewise with fixed valid claims;
 *   3  base64url text: if it decodes, it must re-encode to exactly the input
 *      (the canonical-encoding property the verifier relies on).
 * Every verdict must be a known sathd_jwt_err, and an OK must come with a UUID subject.
 *
 * libFuzzer's API has no context argument, so the key sets live in file-level statics
 * set once in LLVMFuzzerInitialize: the one place in the tree where that is allowed.
 */
#include "sathd/jwt.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOW INT64_C(1800000000)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sathd_jwt_keys *ed_keys, *hs_keys;
static unsigned char ed_sk[crypto_sign_SECRETKEYBYTES];
static const sathd_jwt_policy policy = {"https://auth.sath.test", "sathd", 900, 60};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    unsigned char seed[32], pk[32], secret[32];
    if (sodium_init() < 0)
        abort();
    for (int i = 0; i < 32; i++) {
        seed[i] = (unsigned char)(i + 1);
        secret[i] = 0x5a;
    }
    crypto_sign_seed_keypair(pk, ed_sk, seed);
    ed_keys = sathd_jwt_keys_new_ed25519(seed, "ed-1", NULL);
    hs_keys = sathd_jwt_keys_new_hs256(secret, sizeof secret, "hs-1", NULL);
    if (!ed_keys || !hs_keys)
        abort();
    return 0;
}

static void check_verdict(sathd_jwt_err e, const sathd_jwt_claims *c)
{
    if ((unsigned)e > SATHD_JWT_E_INTERNAL || strcmp(sathd_jwt_strerror(e), "unknown") == 0)
        abort();
    if (e == SATHD_JWT_OK && (strlen(c->sub) != 36 || c->jti[0] == '\0'))
        abort();
}

static void verify_both(const char *tok, size_t len)
{
    sathd_jwt_claims c;
    memset(&c, 0, sizeof c);
    check_verdict(sathd_jwt_verify_access(ed_keys, &policy, tok, len, NOW, &c), &c);
    memset(&c, 0, sizeof c);
    check_verdict(sathd_jwt_verify_access(hs_keys, &policy, tok, len, NOW, &c), &c);
    unsigned char *pl = NULL;
    size_t pl_len = 0;
    if (sathd_jwt_verify_compact(ed_keys, tok, len, &pl, &pl_len, NULL) == SATHD_JWT_OK)
        free(pl);
}

/* Builds base64url(hdr) "." base64url(claims) "." Ed25519 signature and verifies it. */
static void sign_and_verify(const uint8_t *hdr, size_t hl, const uint8_t *cl, size_t cll)
{
    size_t cap = sathd_b64url_encoded_len(hl) + sathd_b64url_encoded_len(cll) + 90;
    char *tok = malloc(cap);
    unsigned char sig[crypto_sign_BYTES];
    size_t pos;
    if (!tok)
        return;
    sathd_b64url_encode(tok, cap, hdr, hl);
    pos = strlen(tok);
    tok[pos++] = '.';
    sathd_b64url_encode(tok + pos, cap - pos, cl, cll);
    pos += strlen(tok + pos);
    crypto_sign_detached(sig, NULL, (const unsigned char *)tok, pos, ed_sk);
    tok[pos++] = '.';
    sathd_b64url_encode(tok + pos, cap - pos, sig, sizeof sig);
    pos += strlen(tok + pos);
    verify_both(tok, pos);
    free(tok);
}

static void b64_property(const uint8_t *data, size_t size)
{
    unsigned char *out = malloc(size + 1);
    char *back = malloc(size + 4);
    size_t n = 0;
    if (out && back &&
        sathd_b64url_decode(out, size + 1, (const char *)data, size, &n) == 0) {
        sathd_b64url_encode(back, size + 4, out, n);
        if (strlen(back) != size || memcmp(back, data, size) != 0)
            abort(); /* two encodings of one byte string were accepted */
    }
    free(out);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char fixed_hdr[] = "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"ed-1\"}";
    static const char fixed_claims[] =
        "{\"iss\":\"https://auth.sath.test\",\"aud\":\"sathd\","
        "\"sub\":\"3f2504e0-4f89-41d3-9a0c-0305e82c3301\",\"iat\":1800000000,"
        "\"nbf\":1800000000,\"exp\":1800000900,\"jti\":\"abc\",\"typ\":\"access\"}";
    if (size < 1 || size > 3 * SATHD_JWT_MAX_TOKEN_LEN)
        return 0;
    switch (data[0] % 4) {
    case 0:
        verify_both((const char *)data + 1, size - 1);
        break;
    case 1:
        sign_and_verify((const uint8_t *)fixed_hdr, sizeof fixed_hdr - 1, data + 1, size - 1);
        break;
    case 2:
        sign_and_verify(data + 1, size - 1, (const uint8_t *)fixed_claims,
                        sizeof fixed_claims - 1);
        break;
    default:
        b64_property(data + 1, size - 1);
        break;
    }
    return 0;
}
