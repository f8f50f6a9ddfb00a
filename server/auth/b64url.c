/*
 * b64url.c - strict base64url (RFC 4648 section 5, no padding) on top of libsodium.
 *
 * JWS requires one canonical encoding per byte string; anything else (padding, the '+'
 * '/' alphabet, whitespace, non-zero trailing bits) would let the same token be written
 * several ways and confuse deny-lists and logs.  sodium_base642bin with b64_end == NULL
 * fails on any character outside the URL-safe alphabet and on non-canonical trailing
 * bits; we additionally require that the decoded length re-encodes to exactly the input
 * length, so nothing can have been skipped.
 *
 * libsodium 1.0.18 (Debian 12) maps bytes >= 0x80 to alphabet values instead of refusing
 * them (found by tests/fuzz/fuzz_jwt.c: "Zm8\xcd" decodes), so the alphabet is checked
 * here first.
 */
#include "sathd/jwt.h"

#include <sodium.h>
#include <string.h>

size_t sathd_b64url_encoded_len(size_t len)
{
    size_t rem = len % 3;
    return (len / 3) * 4 + (rem ? rem + 1 : 0);
}

char *sathd_b64url_encode(char *out, size_t out_size, const unsigned char *in, size_t len)
{
    if (!out || out_size < sathd_b64url_encoded_len(len) + 1)
        return NULL;
    /* libsodium wants room for its own size formula, which for the unpadded variant
     * equals ours + 1 (the NUL). */
    return sodium_bin2base64(out, out_size, in, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int sathd_b64url_alphabet_ok(const char *in, size_t len, const char *extra)
{
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (c != '\0' && extra && strchr(extra, c))))
            return 0;
    }
    return 1;
}

int sathd_b64url_decode(unsigned char *out, size_t out_size, const char *in, size_t len,
                        size_t *out_len)
{
    size_t n = 0;
    if (!in || !out_len)
        return -1;
    if (len % 4 == 1) /* can never be canonical: 6 bits do not make a byte */
        return -1;
    if (!sathd_b64url_alphabet_ok(in, len, "-_"))
        return -1;
    if (sodium_base642bin(out, out_size, in, len, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return -1;
    if (sathd_b64url_encoded_len(n) != len)
        return -1;
    *out_len = n;
    return 0;
}
