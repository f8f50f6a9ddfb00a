/*
 * envelope.c - the stored form of a secret: "v1:<kid>:<base64(nonce || ciphertext)>"
 * with XChaCha20-Poly1305 (IETF), a random 24-byte nonce per value, and associated data
 * naming purpose, user, row and column (sathd_keys_ad), so a ciphertext copied anywhere
 * else fails authentication.
 *
 * The parser is strict (it is fuzzed: tests/fuzz/fuzz_envelope.c): exact prefix, key id
 * alphabet and length, standard padded base64 with nothing else, and a blob at least one
 * nonce plus one tag long.  Anything else is EMALFORMED before any key is touched.
 */
#include "keys_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define MAX_BLOB (NONCE_BYTES + SATHD_KEYS_MAX_PLAINTEXT + TAG_BYTES)

static const char *const purpose_names[SATHD_KEYS_NPURPOSES] = {"api_keys", "ai_keys"};

static int purpose_ok(sathd_keys_purpose p)
{
    return (int)p >= 1 && (int)p <= SATHD_KEYS_NPURPOSES;
}

int sathd_keys_ad(char *out, size_t outlen, sathd_keys_purpose purpose, const char *user_id,
                  const char *row_id, const char *column)
{
    if (!purpose_ok(purpose) || !user_id || !row_id || !column || strchr(user_id, '|') ||
        strchr(row_id, '|') || strchr(column, '|'))
        return -1;
    int n = snprintf(out, outlen, "sath.v1|%s|%s|%s|%s", purpose_names[purpose - 1], user_id,
                     row_id, column);
    return n < 0 || (size_t)n >= outlen ? -1 : n;
}

sathd_keys_rc sathd_envelope_seal(const sathd_keyring *kr, sathd_keys_purpose purpose,
                                  const char *ad, const unsigned char *pt, size_t len,
                                  char **envelope)
{
    *envelope = NULL;
    if (!purpose_ok(purpose) || !ad || len > SATHD_KEYS_MAX_PLAINTEXT)
        return SATHD_KEYS_EINVAL;
    const sathd_keyring_entry *e = &kr->entries[0];
    unsigned char blob[MAX_BLOB];
    randombytes_buf(blob, NONCE_BYTES);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(blob + NONCE_BYTES, &clen, pt, len,
                                               (const unsigned char *)ad, strlen(ad), NULL, blob,
                                               e->subkey[purpose - 1]);
    size_t blen = NONCE_BYTES + (size_t)clen;
    size_t b64len = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL);
    size_t total = 3 + strlen(e->kid) + 1 + b64len;
    char *s = malloc(total);
    if (!s)
        return SATHD_KEYS_ENOMEM;
    int head = snprintf(s, total, "v1:%s:", e->kid);
    sodium_bin2base64(s + head, total - (size_t)head, blob, blen, sodium_base64_VARIANT_ORIGINAL);
    *envelope = s;
    return SATHD_KEYS_OK;
}

/* 1 when every character of s[0..len) is of the standard base64 alphabet with '='
 * padding only at the end (at most two), and len is a multiple of 4. */
static int b64_strict(const char *s, size_t len)
{
    if (len == 0 || len % 4 != 0)
        return 0;
    size_t pad = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad)
            return 0; /* data after padding */
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            return 0;
    }
    return pad <= 2;
}

sathd_keys_rc sathd_envelope_parse(const char *envelope, char *kid, unsigned char *blob,
                                   size_t cap, size_t *blob_len)
{
    if (!envelope || strncmp(envelope, "v1:", 3) != 0)
        return SATHD_KEYS_EMALFORMED;
    size_t total = strnlen(envelope, SATHD_KEYS_MAX_ENVELOPE + 1);
    if (total > SATHD_KEYS_MAX_ENVELOPE)
        return SATHD_KEYS_EMALFORMED;
    const char *k = envelope + 3;
    const char *colon = memchr(k, ':', total - 3);
    if (!colon || !sathd_keys_kid_valid(k, (size_t)(colon - k)))
        return SATHD_KEYS_EMALFORMED;
    const char *b64 = colon + 1;
    size_t b64len = total - (size_t)(b64 - envelope);
    if (!b64_strict(b64, b64len))
        return SATHD_KEYS_EMALFORMED;
    size_t n = 0;
    if (sodium_base642bin(blob, cap, b64, b64len, NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return SATHD_KEYS_EMALFORMED;
    if (n < NONCE_BYTES + TAG_BYTES)
        return SATHD_KEYS_EMALFORMED;
    memcpy(kid, k, (size_t)(colon - k));
    kid[colon - k] = '\0';
    *blob_len = n;
    return SATHD_KEYS_OK;
}

sathd_keys_rc sathd_envelope_open(const sathd_keyring *kr, sathd_keys_purpose purpose,
                                  const char *ad, const char *envelope, char **pt, size_t *len,
                                  char *kid_out)
{
    *pt = NULL;
    *len = 0;
    if (!purpose_ok(purpose) || !ad)
        return SATHD_KEYS_EINVAL;
    char kid[SATHD_KEYS_KID_MAX + 1];
    unsigned char blob[MAX_BLOB];
    size_t blen = 0;
    sathd_keys_rc rc = sathd_envelope_parse(envelope, kid, blob, sizeof blob, &blen);
    if (rc != SATHD_KEYS_OK)
        return rc;
    if (kid_out)
        memcpy(kid_out, kid, strlen(kid) + 1);
    const sathd_keyring_entry *e = sathd_keyring_find(kr, kid);
    if (!e)
        return SATHD_KEYS_EUNKNOWN_KID;
    size_t cap = blen - NONCE_BYTES - TAG_BYTES + 1;
    char *out = sodium_malloc(cap);
    if (!out)
        return SATHD_KEYS_ENOMEM;
    unsigned long long mlen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            (unsigned char *)out, &mlen, NULL, blob + NONCE_BYTES, blen - NONCE_BYTES,
            (const unsigned char *)ad, strlen(ad), blob, e->subkey[purpose - 1]) != 0) {
        sodium_free(out);
        return SATHD_KEYS_EAUTH;
    }
    out[mlen] = '\0';
    *pt = out;
    *len = (size_t)mlen;
    return SATHD_KEYS_OK;
}

void sathd_keys_secret_free(char *pt)
{
    if (pt)
        sodium_free(pt); /* sodium_free wipes before unmapping */
}

const char *sathd_keys_strerror(sathd_keys_rc rc)
{
    switch (rc) {
    case SATHD_KEYS_OK: return "ok";
    case SATHD_KEYS_EMALFORMED: return "malformed envelope";
    case SATHD_KEYS_EUNKNOWN_KID: return "encrypted under a key id this server does not hold";
    case SATHD_KEYS_EAUTH: return "failed authentication (tampered, or copied from another row)";
    case SATHD_KEYS_ENOMEM: return "out of memory";
    case SATHD_KEYS_EINVAL: return "invalid arguments";
    }
    return "unknown error";
}
