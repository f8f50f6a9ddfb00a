/*
 * token_cache.h - access tokens whose signature and claims were already verified.
 *
 * Verifying an Ed25519 signature costs ~80-110 us on our 2-core reference machine,
 * about a third of an authenticated call (docs/performance.md); a client sends the same
 * access token with every call for its 15 minutes.  The cache maps a BLAKE2b-256 hash of
 * the whole token to its verified claims, so a repeated token skips the signature and
 * JSON work.  What it never skips: the time checks (exp, nbf with leeway, re-checked
 * on every hit).  The revocation check in Redis is skipped only when sathd/authsync.h
 * says the entry's stamp is still trustworthy.  The cache lives and dies with the
 * process and its key set, so a key removed from the configuration cannot leave
 * cached tokens behind.
 *
 * Thread-safe (lock-free reads: a sequence lock per slot); bounded memory (fixed number of direct-mapped slots, a
 * newer token simply replaces the one in its slot).
 */
#ifndef SATHD_TOKEN_CACHE_H
#define SATHD_TOKEN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "sathd/jwt.h"

typedef struct sathd_token_cache sathd_token_cache;

/* A cache of `slots` entries (rounded up to a power of two, at least 64).  NULL when out
 * of memory.  Free with sathd_token_cache_free (NULL is fine). */
sathd_token_cache *sathd_token_cache_new(size_t slots);
void sathd_token_cache_free(sathd_token_cache *c);

/* 1 and *out filled when `token` was verified before and is still within its time
 * window at `now` (exp + leeway_s > now >= nbf - leeway_s); else 0.  *stamp (stamp may
 * be NULL) gets the stamp stored with it. */
int sathd_token_cache_get(sathd_token_cache *c, const char *token, size_t len, int64_t now,
                          int64_t leeway_s, sathd_jwt_claims *out, uint64_t *stamp);
/* Remembers the verified claims of `token`, with `stamp`: the sathd/authsync.h stamp
 * taken before its revocation check passed (0: not checked). */
void sathd_token_cache_put(sathd_token_cache *c, const char *token, size_t len,
                           const sathd_jwt_claims *claims, uint64_t stamp);

#endif
