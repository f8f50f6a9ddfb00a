/*
 * util.h - private to server/keys: provider-message hygiene of the key testers.
 */
#ifndef SATHD_KEYS_UTIL_H
#define SATHD_KEYS_UTIL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Makes `msg` (a provider's text) safe to show and log, in place: every occurrence of
 * each non-empty string of `secrets` (NULL-terminated list) becomes "[redacted]",
 * control and non-ASCII bytes become '?', and the text is cut to `max` characters
 * (max < size of the buffer `msg` lives in, which is `cap` bytes). */
void sathd_keys_scrub(char *msg, size_t cap, size_t max, const char *const *secrets);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_KEYS_UTIL_H */
