/*
 * hmac.c - HMAC-SHA256 in lower-case hex, the signature scheme of the exchanges' REST APIs
 * (see hmac.h).
 */
#include "hmac.h"

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
