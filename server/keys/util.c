/*
 * util.c - see util.h.
 */
#include "util.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

void sathd_keys_hmac_sha256_hex(const char *key, size_t key_len, const char *msg, size_t msg_len,
                                char out[65])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, key_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, msg_len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, 65, mac, sizeof mac);
    sodium_memzero(&st, sizeof st); /* holds the key's pads */
}

void sathd_keys_uuid_v4(char out[37])
{
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

void sathd_keys_mask(const char *key, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    size_t n = strlen(key), o = 0;
    for (size_t i = 0; i < n && o + 1 < outlen; i++, o++)
        out[o] = (n > 8 && (i < 4 || i >= n - 4)) ? key[i] : '*';
    out[o] = '\0';
}

/* Replaces every occurrence of `s` in msg (NUL-terminated, in a buffer of cap bytes). */
static void redact(char *msg, size_t cap, const char *s)
{
    static const char mark[] = "[redacted]";
    size_t slen = strlen(s), mlen = sizeof mark - 1;
    char *p = msg;
    while ((p = strstr(p, s)) != NULL) {
        size_t tail = strlen(p + slen);
        size_t room = cap - (size_t)(p - msg) - 1; /* bytes available from p, without NUL */
        if (mlen > room) {
            *p = '\0';
            return;
        }
        size_t keep = tail;
        if (mlen + keep > room)
            keep = room - mlen;
        memmove(p + mlen, p + slen, keep);
        memcpy(p, mark, mlen);
        p[mlen + keep] = '\0';
        p += mlen;
    }
}

void sathd_keys_scrub(char *msg, size_t cap, size_t max, const char *const *secrets)
{
    for (size_t i = 0; secrets && secrets[i]; i++)
        if (secrets[i][0])
            redact(msg, cap, secrets[i]);
    size_t n = strlen(msg);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] >= 0x7f)
            msg[i] = '?';
    if (n > max)
        msg[max] = '\0';
}
