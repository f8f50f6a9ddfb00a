/*
 * users_cache.h - a bounded in-process cache of users' rows (what GetMe answers).
 *
 * Entries carry the sathd/authsync.h stamp taken before the row was read; the store
 * (users_store.c) serves an entry only while sathd_authsync_valid() says that stamp is
 * still trustworthy, so a row changed anywhere (this instance, another one, plain SQL:
 * a trigger NOTIFYs) is not served stale past the authsync bound.
 *
 * Direct-mapped slots (a newer user replaces the one in its slot), lock-free reads
 * (a sequence lock per slot), each row kept packed (protobuf, inline, up to 640 bytes)
 * and unpacked into the caller's arena on a hit.
 */
#ifndef SATHD_USERS_CACHE_H
#define SATHD_USERS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "sathd/call.h"
#include "sath/v1/user.pb-c.h"

typedef struct sathd_users_cache sathd_users_cache;

/* A cache of `slots` rows (rounded up to a power of two, at least 64); 0 slots: NULL
 * (no cache; the functions below accept NULL).  Free with sathd_users_cache_free. */
sathd_users_cache *sathd_users_cache_new(size_t slots);
void sathd_users_cache_free(sathd_users_cache *c);

/* 1 and *out (in the call's arena), *stamp filled when the row of user_id is cached;
 * else 0 (also when out of memory). */
int sathd_users_cache_get(sathd_users_cache *c, sathd_call *call, const char *user_id,
                          Sath__V1__User **out, uint64_t *stamp);
/* Stores u (copied) with the stamp taken before it was read. */
void sathd_users_cache_put(sathd_users_cache *c, const Sath__V1__User *u, uint64_t stamp);

#endif
