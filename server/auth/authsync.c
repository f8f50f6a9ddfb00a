/*
 * authsync.c - see sathd/authsync.h: the change table and the feeds' state.
 *
 * One global sequence orders stamps and changes: a stamp and a change are both values
 * taken from it, so "stamp > change" means the read started after the change was
 * applied, hence after it was written.  A slot keeps the largest change of the users
 * hashing to it (atomic max: two changes applied concurrently can never leave the
 * older one in place).
 */
#include "sathd/authsync.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHANGE_SLOTS 65536 /* 512 KiB, touched lazily */

typedef struct feed_state {
    _Atomic uint64_t since;          /* stamps <= since are distrusted */
    _Atomic int64_t synced_until_ms; /* send time of the last answered heartbeat, 0 = down */
} feed_state;

struct sathd_authsync {
    int64_t bound_ms;
    _Atomic uint64_t seq;
    feed_state feeds[SATHD_FEED_COUNT];
    _Atomic uint64_t changes[CHANGE_SLOTS];
};

int64_t sathd_authsync_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sathd_authsync *sathd_authsync_new(int64_t bound_ms)
{
    sathd_authsync *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->bound_ms = bound_ms;
    atomic_init(&s->seq, 1);
    return s;
}

void sathd_authsync_free(sathd_authsync *s) { free(s); }

int64_t sathd_authsync_bound_ms(const sathd_authsync *s) { return s ? s->bound_ms : 0; }

/* FNV-1a over the lower-cased id, so "ABC…" and "abc…" share a slot. */
static size_t slot_of(const char *user_id)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)user_id; *p; p++) {
        unsigned char ch = *p >= 'A' && *p <= 'Z' ? (unsigned char)(*p + 32) : *p;
        h = (h ^ ch) * 16777619u;
    }
    return h % CHANGE_SLOTS;
}

static uint64_t next_seq(sathd_authsync *s)
{
    return atomic_fetch_add_explicit(&s->seq, 1, memory_order_acq_rel) + 1;
}

static void store_max(_Atomic uint64_t *slot, uint64_t v)
{
    uint64_t cur = atomic_load_explicit(slot, memory_order_acquire);
    while (cur < v &&
           !atomic_compare_exchange_weak_explicit(slot, &cur, v, memory_order_acq_rel,
                                                  memory_order_acquire))
        ;
}

uint64_t sathd_authsync_stamp(sathd_authsync *s) { return s ? next_seq(s) : 0; }

int sathd_authsync_feed_live(const sathd_authsync *s, sathd_authsync_feed feed, int64_t now_ms)
{
    if (!s || s->bound_ms <= 0 || (unsigned)feed >= SATHD_FEED_COUNT)
        return 0;
    int64_t synced = atomic_load_explicit(&s->feeds[feed].synced_until_ms, memory_order_acquire);
    return synced > 0 && now_ms - synced <= s->bound_ms;
}

int sathd_authsync_valid(const sathd_authsync *s, sathd_authsync_feed feed,
                         const char *user_id, uint64_t stamp, int64_t now_ms)
{
    if (!stamp || !user_id || !sathd_authsync_feed_live(s, feed, now_ms))
        return 0;
    const feed_state *f = &s->feeds[feed];
    if (stamp <= atomic_load_explicit(&f->since, memory_order_acquire))
        return 0;
    return stamp > atomic_load_explicit(&s->changes[slot_of(user_id)], memory_order_acquire);
}

void sathd_authsync_changed(sathd_authsync *s, const char *user_id)
{
    if (!s || !user_id)
        return;
    store_max(&s->changes[slot_of(user_id)], next_seq(s));
}

void sathd_authsync_changed_all(sathd_authsync *s, sathd_authsync_feed feed)
{
    if (s && (unsigned)feed < SATHD_FEED_COUNT)
        store_max(&s->feeds[feed].since, next_seq(s));
}

void sathd_authsync_feed_up(sathd_authsync *s, sathd_authsync_feed feed)
{
    sathd_authsync_changed_all(s, feed);
}

void sathd_authsync_feed_down(sathd_authsync *s, sathd_authsync_feed feed)
{
    if (s && (unsigned)feed < SATHD_FEED_COUNT)
        atomic_store_explicit(&s->feeds[feed].synced_until_ms, 0, memory_order_release);
}

void sathd_authsync_feed_synced(sathd_authsync *s, sathd_authsync_feed feed, int64_t sent_ms)
{
    if (s && (unsigned)feed < SATHD_FEED_COUNT && sent_ms > 0)
        atomic_store_explicit(&s->feeds[feed].synced_until_ms, sent_ms, memory_order_release);
}
