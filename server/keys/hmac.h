/*
 * hmac.h - private to server/keys: request signing for the exchange key testers.
 */
#ifndef SATHD_KEYS_HMAC_H
#define SATHD_KEYS_HMAC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Lower-case hex HMAC-SHA256 of msg (msg_len bytes) under `key` into out[65]. */
void sathd_keys_hmac_sha256_hex(const char *key, size_t key_len, const char *msg, size_t msg_len,
                                char out[65]);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_KEYS_HMAC_H */
