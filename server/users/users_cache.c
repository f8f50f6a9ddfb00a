/*
 * users_cache.c - see sathd/users_cache.h.
 *
 * Slot i is guarded by lock i % N_LOCKS.  The id is compared exactly (as stored: ids
 * come from PostgreSQL's uuid output, always lower case).
 */
#include "sathd/users_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define N_LOCKS 64
#define ID_LEN 36

typedef struct entry {
    char id[ID_LEN + 1];
    uint64_t stamp;
    uint8_t *packed; /* NULL: empty */
    size_t len;
} entry;

struct sathd_users_cache {
    pthread_mutex_t locks[N_LOCKS];
    size_t mask;
    entry *slots;
};

sathd_users_cache *sathd_users_cache_new(size_t slots)
{
    if (slots == 0)
        return NULL;
    size_t n = 64;
    while (n < slots && n < ((size_t)1 << 22))
        n <<= 1;
    sathd_users_cache *c = calloc(1, sizeof *c);
    if (!c || !(c->slots = calloc(n, sizeof *c->slots))) {
        free(c);
        return NULL;
    }
    c->mask = n - 1;
    for (int i = 0; i < N_LOCKS; i++)
        pthread_mutex_init(&c->locks[i], NULL);
    return c;
}

void sathd_users_cache_free(sathd_users_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i <= c->mask; i++)
        free(c->slots[i].packed);
    for (int i = 0; i < N_LOCKS; i++)
        pthread_mutex_destroy(&c->locks[i]);
    free(c->slots);
    free(c);
}

static size_t slot_of(const sathd_users_cache *c, const char *id)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29)) & c->mask;
}

int sathd_users_cache_get(sathd_users_cache *c, sathd_call *call, const char *user_id,
                          Sath__V1__User **out, uint64_t *stamp)
{
    if (!c || !user_id || strlen(user_id) != ID_LEN)
        return 0;
    size_t i = slot_of(c, user_id);
    pthread_mutex_t *lock = &c->locks[i % N_LOCKS];
    uint8_t buf[1024], *copy = NULL;
    size_t len = 0;
    pthread_mutex_lock(lock);
    entry *e = &c->slots[i];
    if (e->packed && memcmp(e->id, user_id, ID_LEN + 1) == 0) {
        len = e->len;
        copy = len <= sizeof buf ? buf : sathd_call_alloc(call, len);
        if (copy) {
            memcpy(copy, e->packed, len);
            *stamp = e->stamp;
        }
    }
    pthread_mutex_unlock(lock);
    if (!copy)
        return 0;
    /* Unpacked outside the lock, into the call's arena. */
    *out = sath__v1__user__unpack(sathd_call_allocator(call), len, copy);
    return *out != NULL;
}

void sathd_users_cache_put(sathd_users_cache *c, const Sath__V1__User *u, uint64_t stamp)
{
    if (!c || !u || !u->id || strlen(u->id) != ID_LEN)
        return;
    size_t len = sath__v1__user__get_packed_size(u);
    uint8_t *packed = malloc(len ? len : 1);
    if (!packed)
        return;
    sath__v1__user__pack(u, packed);
    size_t i = slot_of(c, u->id);
    pthread_mutex_t *lock = &c->locks[i % N_LOCKS];
    pthread_mutex_lock(lock);
    entry *e = &c->slots[i];
    uint8_t *old = e->packed;
    /* A row read earlier than the one cached must not replace it. */
    if (old && memcmp(e->id, u->id, ID_LEN + 1) == 0 && e->stamp > stamp) {
        old = packed;
    } else {
        memcpy(e->id, u->id, ID_LEN + 1);
        e->packed = packed;
        e->len = len;
        e->stamp = stamp;
    }
    pthread_mutex_unlock(lock);
    free(old);
}
