/*
 * keys.h - what the KeysService handlers need of the keys domain besides the store
 * (sathd/keys_store.h), the envelope (sathd/keyring.h) and the testers (sathd/keytest.h):
 * the id of a new row and the display hint of a key.
 */
#ifndef SATHD_KEYS_H
#define SATHD_KEYS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A random RFC 4122 version 4 UUID in canonical lower-case text, into out[37]. */
void sathd_keys_uuid_v4(char out[37]);
/* `key` with all but its first 4 and last 4 characters replaced by '*' (keys of 8
 * characters or fewer are masked entirely), into `out`; the result is truncated to
 * outlen - 1 characters.  Never reveals more than 8 characters of the key. */
void sathd_keys_mask(const char *key, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_KEYS_H */
