/*
 * seqtab.h - a fixed table of slots read without locks (a sequence lock per slot), for
 * caches that every core reads on every call and that change rarely: the verified-token
 * cache (server/auth/token_cache.c) and the users' rows (server/users/users_cache.c).
 *
 * A slot is an array of 64-bit words.  Writers serialise on a striped mutex and make the
 * slot's sequence odd while they write; a reader copies the words it wants with relaxed
 * atomic loads and keeps the copy only if the sequence was even and did not move, so a
 * torn read is detected and retried, never acted on, and there is no data race.  Reads
 * never wait for a writer: a slot kept busy reads as a miss.
 *
 * Memory: slots * (slot_words + 1) * 8 bytes of zero pages (calloc), resident only where
 * written; wiped on free (the token cache keeps token hashes and claims).
 */
#ifndef SATHD_SEQTAB_H
#define SATHD_SEQTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct sathd_seqtab sathd_seqtab;

/* A table of at least `slots` slots (a power of two, >= 64, <= max_slots), each of
 * slot_words words, all zero.  NULL when out of memory. */
sathd_seqtab *sathd_seqtab_new(size_t slots, size_t max_slots, size_t slot_words);
/* Wipes and frees the table (NULL is fine). */
void sathd_seqtab_free(sathd_seqtab *t);
/* Number of slots minus one: index slots with hash & mask. */
size_t sathd_seqtab_mask(const sathd_seqtab *t);

/* Copies the first `words` words of slot i into out; 1 when the copy is consistent,
 * 0 when a writer was in the slot (retry or treat as a miss). */
int sathd_seqtab_read(const sathd_seqtab *t, size_t i, uint64_t *out, size_t words);

/* Writers: lock slot i's stripe, then write (any number of times), then unlock.  Under
 * the lock, sathd_seqtab_read of that slot always succeeds. */
void sathd_seqtab_lock(sathd_seqtab *t, size_t i);
void sathd_seqtab_unlock(sathd_seqtab *t, size_t i);
/* Stores the first `words` words of slot i (caller holds its stripe). */
void sathd_seqtab_write(sathd_seqtab *t, size_t i, const uint64_t *in, size_t words);

#endif /* SATHD_SEQTAB_H */
