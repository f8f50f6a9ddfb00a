/*
 * token_cache.c - see sathd/token_cache.h.
 *
 * Layout: a direct-mapped table; the slot is chosen by the first 8 bytes of the token's
 * BLAKE2b-256 hash, and the whole 32-byte hash is kept to confirm a hit (a collision of
 * BLAKE2b-256 is not a practical concern).
 *
 * Reads take no lock (sathd/seqtab.h): every call of a client presents the same token,
 * so a mutex per slot made all cores queue on one cache line -- the contention the gRPC
 * GetMe path showed on 16 cores.
 */
#include "sathd/token_cache.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sathd/seqtab.h"

typedef struct entry {
    unsigned char key[32];
    int used;
    uint64_t stamp;
    sathd_jwt_claims claims;
} entry;

#define ENTRY_WORDS ((sizeof(entry) + sizeof(uint64_t) - 1) / sizeof(uint64_t))

/* An entry as the table's words. */
typedef union copy {
    uint64_t w[ENTRY_WORDS];
    entry e;
} copy;

struct sathd_token_cache {
    sathd_seqtab *tab;
};

sathd_token_cache *sathd_token_cache_new(size_t slots)
{
    sathd_token_cache *c = calloc(1, sizeof *c);
    if (!c || !(c->tab = sathd_seqtab_new(slots, (size_t)1 << 24, ENTRY_WORDS))) {
        free(c);
        return NULL;
    }
    return c;
}

void sathd_token_cache_free(sathd_token_cache *c)
{
    if (!c)
        return;
    sathd_seqtab_free(c->tab);
    free(c);
}

static size_t slot_of(const sathd_token_cache *c, const unsigned char key[32])
{
    uint64_t v;
    memcpy(&v, key, sizeof v);
    return (size_t)v & sathd_seqtab_mask(c->tab);
}

int sathd_token_cache_get(sathd_token_cache *c, const char *token, size_t len, int64_t now,
                          int64_t leeway_s, sathd_jwt_claims *out, uint64_t *stamp)
{
    unsigned char key[32];
    copy b;
    crypto_generichash(key, sizeof key, (const unsigned char *)token, len, NULL, 0);
    size_t i = slot_of(c, key);
    int ok = 0;
    for (int tries = 0; tries < 4 && !ok; tries++)
        ok = sathd_seqtab_read(c->tab, i, b.w, ENTRY_WORDS);
    if (!ok || !b.e.used || sodium_memcmp(b.e.key, key, sizeof key) != 0)
        return 0;
    *out = b.e.claims;
    if (stamp)
        *stamp = b.e.stamp;
    sodium_memzero(&b, sizeof b);
    return now < out->exp + leeway_s && now + leeway_s >= out->nbf;
}

void sathd_token_cache_put(sathd_token_cache *c, const char *token, size_t len,
                           const sathd_jwt_claims *claims, uint64_t stamp)
{
    copy b;
    memset(&b, 0, sizeof b);
    crypto_generichash(b.e.key, sizeof b.e.key, (const unsigned char *)token, len, NULL, 0);
    b.e.used = 1;
    b.e.stamp = stamp;
    b.e.claims = *claims;
    size_t i = slot_of(c, b.e.key);
    sathd_seqtab_lock(c->tab, i);
    sathd_seqtab_write(c->tab, i, b.w, ENTRY_WORDS);
    sathd_seqtab_unlock(c->tab, i);
    sodium_memzero(&b, sizeof b);
}
