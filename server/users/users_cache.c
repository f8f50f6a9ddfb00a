/*
 * users_cache.c - see sathd/users_cache.h.
 *
 * Each slot holds one row packed (protobuf) inline, up to ROW_MAX bytes (a larger row is
 * simply not cached), so a reader never follows a pointer a writer may free.  Reads take
 * no lock (a client's GetMe calls all land on one slot; a mutex there would make every
 * core queue on it): each slot is a sequence lock, as in server/auth/token_cache.c --
 * writers serialise on a striped mutex and make the sequence odd while writing; a
 * reader copies the slot with relaxed atomic word loads and retries when the sequence
 * was odd or moved.  The id is compared exactly (ids come from PostgreSQL's uuid
 * output, always lower case).
 */
#include "sathd/users_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define N_LOCKS 64
#define ID_LEN 36
#define ROW_MAX 640

typedef struct head {
    char id[ID_LEN + 1];
    uint16_t len; /* 0: empty */
    uint64_t stamp;
} head;

typedef struct entry {
    head h;
    uint8_t packed[ROW_MAX];
} entry;

#define ENTRY_WORDS ((sizeof(entry) + sizeof(uint64_t) - 1) / sizeof(uint64_t))
#define HEAD_WORDS ((sizeof(head) + sizeof(uint64_t) - 1) / sizeof(uint64_t))

/* A slot's words as the reader copies them. */
typedef union copy {
    uint64_t w[ENTRY_WORDS];
    entry e;
} copy;

typedef struct slot {
    _Atomic uint64_t seq;
    _Atomic uint64_t words[ENTRY_WORDS];
} slot;

struct sathd_users_cache {
    pthread_mutex_t locks[N_LOCKS];
    size_t mask;
    slot *slots;
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

/* Copies the first `words` words of slot s into out; 0 when a writer kept it busy. */
static int read_words(const slot *s, uint64_t *out, size_t words, uint64_t *seq)
{
    uint64_t before = atomic_load_explicit(&s->seq, memory_order_acquire);
    if (before & 1)
        return 0;
    for (size_t i = 0; i < words; i++)
        out[i] = atomic_load_explicit(&s->words[i], memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    *seq = before;
    return atomic_load_explicit(&s->seq, memory_order_relaxed) == before;
}

int sathd_users_cache_get(sathd_users_cache *c, sathd_call *call, const char *user_id,
                          Sath__V1__User **out, uint64_t *stamp)
{
    if (!c || !user_id || strlen(user_id) != ID_LEN)
        return 0;
    const slot *s = &c->slots[slot_of(c, user_id)];
    copy b;
    uint64_t seq;
    for (int tries = 0;; tries++) {
        if (tries == 4)
            return 0;
        /* the header first: most misses end there, without copying a row */
        if (!read_words(s, b.w, HEAD_WORDS, &seq))
            continue;
        if (b.e.h.len == 0 || memcmp(b.e.h.id, user_id, ID_LEN + 1) != 0)
            return 0;
        uint16_t len = b.e.h.len; /* the second copy must be of a row this long */
        if (len <= ROW_MAX && read_words(s, b.w, (offsetof(entry, packed) + len + 7u) / 8, &seq) &&
            b.e.h.len == len && memcmp(b.e.h.id, user_id, ID_LEN + 1) == 0)
            break;
    }
    *stamp = b.e.h.stamp;
    /* Unpacked from our private copy, into the call's arena. */
    *out = sath__v1__user__unpack(sathd_call_allocator(call), b.e.h.len, b.e.packed);
    return *out != NULL;
}

void sathd_users_cache_put(sathd_users_cache *c, const Sath__V1__User *u, uint64_t stamp)
{
    if (!c || !u || !u->id || strlen(u->id) != ID_LEN)
        return;
    size_t len = sath__v1__user__get_packed_size(u);
    if (len == 0 || len > ROW_MAX)
        return;
    copy b;
    memset(&b, 0, sizeof b);
    memcpy(b.e.h.id, u->id, ID_LEN + 1);
    b.e.h.len = (uint16_t)len;
    b.e.h.stamp = stamp;
    sath__v1__user__pack(u, b.e.packed);
    size_t i = slot_of(c, u->id);
    slot *s = &c->slots[i];
    pthread_mutex_t *lock = &c->locks[i % N_LOCKS];
    pthread_mutex_lock(lock);
    copy cur;
    uint64_t seq;
    /* A row read earlier than the one cached must not replace it (we hold the lock:
     * no writer can make this read fail). */
    int keep = read_words(s, cur.w, HEAD_WORDS, &seq) && cur.e.h.len &&
               memcmp(cur.e.h.id, u->id, ID_LEN + 1) == 0 && cur.e.h.stamp > stamp;
    if (!keep) {
        seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
        atomic_store_explicit(&s->seq, seq + 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_release);
        size_t n = (offsetof(entry, packed) + len + 7) / 8;
        for (size_t w = 0; w < n; w++)
            atomic_store_explicit(&s->words[w], b.w[w], memory_order_relaxed);
        atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
    }
    pthread_mutex_unlock(lock);
}
