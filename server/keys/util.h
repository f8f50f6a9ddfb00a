/*
 * util.h - small helpers of the keys layer that the services and the CLI-facing code
 * share: request signing, key ids for new rows, masking, and provider-message hygiene.
 */
#ifndef SATHD_KEYS_UTIL_H
#define SATHD_KEYS_UTIL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Lower-case hex HMAC-SHA256 of msg (msg_len bytes) under `key` into out[65]. */
void sathd_keys_hmac_sha256_hex(const char *key, size_t key_len, const char *msg, size_t msg_len,
                                char out[65]);
/* A random RFC 4122 version 4 UUID in canonical lower-case text, into out[37]. */
void sathd_keys_uuid_v4(char out[37]);
/* `key` with all but its first 4 and last 4 characters replaced by '*' (keys of 8
 * characters or fewer are masked entirely), into `out`; the result is truncated to
 * outlen - 1 characters.  Never reveals more than 8 characters of the key. */
void sathd_keys_mask(const char *key, char *out, size_t outlen);
/* Makes `msg` (a provider's text) safe to show and log, in place: every occurrence of
 * each non-empty string of `secrets` (NULL-terminated list) becomes "[redacted]",
 * control and non-ASCII bytes become '?', and the text is cut to `max` characters
 * (max < size of the buffer `msg` lives in, which is `cap` bytes). */
void sathd_keys_scrub(char *msg, size_t cap, size_t max, const char *const *secrets);

#ifdef __cplusplus
}
#endif
#endif
