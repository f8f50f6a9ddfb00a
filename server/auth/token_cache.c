/*
 * token_cache.c - see sathd/token_cache.h.
 *
 * Layout: a direct-mapped table; the slot is chosen by the first 8 bytes of the token's
 * BLAKE2b-256 hash, and the whole 32-byte hash is kept to confirm a hit (a collision of
 * BLAKE2b-256 is not a practical concern).
 *
 * Reads take no lock: every call of a client presents the same token, so a mutex per
 * slot would make all cores queue on one cache line (the contention the gRPC GetMe path
 * showed on 16 cores).  Each slot is a sequence lock instead: writers (rare: a token's
 * first use) serialise on a striped mutex and make the slot's sequence odd while they
 * write; a reader copies the slot and retries when the sequence was odd or moved.  The
 * copy goes through relaxed atomic word loads, so a torn read is detected, never acted
 * on, and is not a data race.
 */
#include "sathd/token_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define N_LOCKS 64

typedef struct entry {
    unsigned char key[32];
    int used;
    uint64_t stamp;
    sathd_jwt_claims claims;
} entry;

#define ENTRY_WORDS ((sizeof(entry) + sizeof(uint64_t) - 1) / sizeof(uint64_t))

typedef struct slot {
    _Atomic uint64_t seq; /* odd while a writer is in the slot */
    _Atomic uint64_t words[ENTRY_WORDS];
} slot;

struct sathd_token_cache {
    pthread_mutex_t locks[N_LOCKS];
    size_t mask;
    slot *slots;
};

sathd_token_cache *sathd_token_cache_new(size_t slots)
{
    size_t n = 64;
    while (n < slots && n < ((size_t)1 << 24))
        n <<= 1;
    sathd_token_cache *c = calloc(1, sizeof *c);
    if (!c || !(c->slots = calloc(n, sizeof *c->slots))) {
        free(c);
        return NULL;
    }
    c->mask = n - 1;
    for (int i = 0; i < N_LOCKS; i++)
        pthread_mutex_init(&c->locks[i], NULL);
    return c;
}

void sathd_token_cache_free(sathd_token_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < N_LOCKS; i++)
        pthread_mutex_destroy(&c->locks[i]);
    sodium_memzero(c->slots, (c->mask + 1) * sizeof *c->slots);
    free(c->slots);
    free(c);
}

static size_t slot_of(const sathd_token_cache *c, const unsigned char key[32])
{
    uint64_t v;
    memcpy(&v, key, sizeof v);
    return (size_t)v & c->mask;
}

/* A consistent copy of slot s into *e; 0 when a writer kept it busy (treated as a miss). */
static int read_slot(const slot *s, entry *e)
{
    uint64_t words[ENTRY_WORDS];
    for (int tries = 0; tries < 4; tries++) {
        uint64_t before = atomic_load_explicit(&s->seq, memory_order_acquire);
        if (before & 1)
            continue;
        for (size_t i = 0; i < ENTRY_WORDS; i++)
            words[i] = atomic_load_explicit(&s->words[i], memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&s->seq, memory_order_relaxed) == before) {
            memcpy(e, words, sizeof *e);
            return 1;
        }
    }
    return 0;
}

static void write_slot(slot *s, const entry *e)
{
    uint64_t words[ENTRY_WORDS] = {0};
    memcpy(words, e, sizeof *e);
    uint64_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
    atomic_store_explicit(&s->seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    for (size_t i = 0; i < ENTRY_WORDS; i++)
        atomic_store_explicit(&s->words[i], words[i], memory_order_relaxed);
    atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
    sodium_memzero(words, sizeof words);
}

int sathd_token_cache_get(sathd_token_cache *c, const char *token, size_t len, int64_t now,
                          int64_t leeway_s, sathd_jwt_claims *out, uint64_t *stamp)
{
    unsigned char key[32];
    entry e;
    crypto_generichash(key, sizeof key, (const unsigned char *)token, len, NULL, 0);
    if (!read_slot(&c->slots[slot_of(c, key)], &e) || !e.used ||
        sodium_memcmp(e.key, key, sizeof key) != 0)
        return 0;
    *out = e.claims;
    if (stamp)
        *stamp = e.stamp;
    return now < out->exp + leeway_s && now + leeway_s >= out->nbf;
}

void sathd_token_cache_put(sathd_token_cache *c, const char *token, size_t len,
                           const sathd_jwt_claims *claims, uint64_t stamp)
{
    entry e;
    memset(&e, 0, sizeof e);
    crypto_generichash(e.key, sizeof e.key, (const unsigned char *)token, len, NULL, 0);
    e.used = 1;
    e.stamp = stamp;
    e.claims = *claims;
    size_t i = slot_of(c, e.key);
    pthread_mutex_t *lock = &c->locks[i % N_LOCKS];
    pthread_mutex_lock(lock);
    write_slot(&c->slots[i], &e);
    pthread_mutex_unlock(lock);
}
