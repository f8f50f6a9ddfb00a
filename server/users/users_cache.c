/*
 * users_cache.c - see sathd/users_cache.h.
 *
 * Each slot holds one row packed (protobuf) inline, up to ROW_MAX bytes (a larger row is
 * simply not cached), so a reader never follows a pointer a writer may free.  Reads take
 * no lock (sathd/seqtab.h: a client's GetMe calls all land on one slot; a mutex there
 * would make every core queue on it).  The id is compared exactly (ids come from
 * PostgreSQL's uuid output, always lower case).
 */
#include "sathd/users_cache.h"

#include <stdlib.h>
#include <string.h>

#include "sathd/seqtab.h"

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
#define WORDS_FOR(len) ((offsetof(entry, packed) + (size_t)(len) + 7) / 8)

/* A slot's words as read or written. */
typedef union copy {
    uint64_t w[ENTRY_WORDS];
    entry e;
} copy;

struct sathd_users_cache {
    sathd_seqtab *tab;
};

sathd_users_cache *sathd_users_cache_new(size_t slots)
{
    if (slots == 0)
        return NULL;
    sathd_users_cache *c = calloc(1, sizeof *c);
    if (!c || !(c->tab = sathd_seqtab_new(slots, (size_t)1 << 22, ENTRY_WORDS))) {
        free(c);
        return NULL;
    }
    return c;
}

void sathd_users_cache_free(sathd_users_cache *c)
{
    if (!c)
        return;
    sathd_seqtab_free(c->tab);
    free(c);
}

static size_t slot_of(const sathd_users_cache *c, const char *id)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29)) & sathd_seqtab_mask(c->tab);
}

int sathd_users_cache_get(sathd_users_cache *c, sathd_call *call, const char *user_id,
                          Sath__V1__User **out, uint64_t *stamp)
{
    if (!c || !user_id || strlen(user_id) != ID_LEN)
        return 0;
    size_t i = slot_of(c, user_id);
    copy b;
    for (int tries = 0;; tries++) {
        if (tries == 4)
            return 0;
        /* the header first: most misses end there, without copying a row */
        if (!sathd_seqtab_read(c->tab, i, b.w, HEAD_WORDS))
            continue;
        if (b.e.h.len == 0 || memcmp(b.e.h.id, user_id, ID_LEN + 1) != 0)
            return 0;
        uint16_t len = b.e.h.len; /* the second copy must be of a row this long */
        if (len <= ROW_MAX && sathd_seqtab_read(c->tab, i, b.w, WORDS_FOR(len)) &&
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
    copy b, cur;
    memset(&b, 0, sizeof b);
    memcpy(b.e.h.id, u->id, ID_LEN + 1);
    b.e.h.len = (uint16_t)len;
    b.e.h.stamp = stamp;
    sath__v1__user__pack(u, b.e.packed);
    size_t i = slot_of(c, u->id);
    sathd_seqtab_lock(c->tab, i);
    /* A row read earlier than the one cached must not replace it (under the lock the
     * read cannot fail). */
    int keep = sathd_seqtab_read(c->tab, i, cur.w, HEAD_WORDS) && cur.e.h.len &&
               memcmp(cur.e.h.id, u->id, ID_LEN + 1) == 0 && cur.e.h.stamp > stamp;
    if (!keep)
        sathd_seqtab_write(c->tab, i, b.w, WORDS_FOR(len));
    sathd_seqtab_unlock(c->tab, i);
}
