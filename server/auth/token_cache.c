/*
 * token_cache.c - see sathd/token_cache.h.
 *
 * Layout: a direct-mapped table; the slot is chosen by the first 8 bytes of the token's
 * BLAKE2b-256 hash, and the whole 32-byte hash is kept to confirm a hit (a collision of
 * BLAKE2b-256 is not a practical concern).  Slot i is guarded by lock i % N_LOCKS.
 */
#include "sathd/token_cache.h"

#include <pthread.h>
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

struct sathd_token_cache {
    pthread_mutex_t locks[N_LOCKS];
    size_t mask;
    entry *slots;
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

int sathd_token_cache_get(sathd_token_cache *c, const char *token, size_t len, int64_t now,
                          int64_t leeway_s, sathd_jwt_claims *out, uint64_t *stamp)
{
    unsigned char key[32];
    crypto_generichash(key, sizeof key, (const unsigned char *)token, len, NULL, 0);
    size_t i = slot_of(c, key);
    pthread_mutex_t *lock = &c->locks[i % N_LOCKS];
    int hit = 0;
    pthread_mutex_lock(lock);
    if (c->slots[i].used && memcmp(c->slots[i].key, key, sizeof key) == 0) {
        *out = c->slots[i].claims;
        if (stamp)
            *stamp = c->slots[i].stamp;
        hit = 1;
    }
    pthread_mutex_unlock(lock);
    return hit && now < out->exp + leeway_s && now + leeway_s >= out->nbf;
}

void sathd_token_cache_put(sathd_token_cache *c, const char *token, size_t len,
                           const sathd_jwt_claims *claims, uint64_t stamp)
{
    unsigned char key[32];
    crypto_generichash(key, sizeof key, (const unsigned char *)token, len, NULL, 0);
    size_t i = slot_of(c, key);
    pthread_mutex_t *lock = &c->locks[i % N_LOCKS];
    pthread_mutex_lock(lock);
    memcpy(c->slots[i].key, key, sizeof key);
    c->slots[i].claims = *claims;
    c->slots[i].stamp = stamp;
    c->slots[i].used = 1;
    pthread_mutex_unlock(lock);
}
