/*
 * authsync.h - when an authenticated call may skip its backend round trips.
 *
 * An authenticated call needs two facts that live in backends: "this access token is not
 * revoked" (Redis: deny-list, user cut-off, session family) and "this is the user's row"
 * (PostgreSQL).  Both change rarely and both are cached in-process; this object decides
 * whether a cached answer may still be served, so revocation stays a guarantee:
 *
 *  - Every write that revokes something or changes a user is *published* by the backend
 *    itself, atomically with the write: the Redis session scripts PUBLISH the user id on
 *    SATHD_AUTHSYNC_CHANNEL, and a trigger on `users` NOTIFYs it
 *    (sql/006_user_change_notify.sql).  Each sathd
 *    listens to both ("feeds", authsync_feed.c) and calls sathd_authsync_changed() for
 *    every user named, as does the instance that made the write, before it answers.
 *  - A cached answer is stamped (sathd_authsync_stamp()) *before* the backend read that
 *    produced it.  It may be served only while (a) its feed is synchronised: a heartbeat
 *    sent at most `bound_ms` ago has come back on the feed's connection, and since the
 *    backend delivers a published change before the answer to a later heartbeat, every
 *    change written before that heartbeat has been applied; (b) the stamp is newer than
 *    the feed's last (re)connection, so nothing missed during a gap is trusted; and
 *    (c) the stamp is newer than the last change applied for that user.
 *  - Hence: a change is visible at once on the instance that wrote it, and on every other
 *    instance within `bound_ms` (either the change has been applied there or its feed is
 *    no longer synchronised, and then every call makes the round trips again).
 *
 * Changes are remembered per user in a fixed table indexed by a hash of the user id:
 * two users sharing a slot only cost each other an extra round trip, and memory is
 * bounded whatever the number of users.  All functions are lock-free and thread-safe.
 */
#ifndef SATHD_AUTHSYNC_H
#define SATHD_AUTHSYNC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Redis channel of the revocation feed (payload: the user id, lower case). */
#define SATHD_AUTHSYNC_CHANNEL "sath:auth:changed"
/* PostgreSQL NOTIFY channel of the user-row feed (payload: user id, or "*" for all). */
#define SATHD_AUTHSYNC_PG_CHANNEL "sath_user_changed"

typedef enum sathd_authsync_feed {
    SATHD_FEED_REVOCATIONS = 0, /* Redis pub/sub */
    SATHD_FEED_USERS = 1,       /* PostgreSQL LISTEN/NOTIFY */
    SATHD_FEED_COUNT
} sathd_authsync_feed;

typedef struct sathd_authsync sathd_authsync;

/* A tracker whose cached answers may be at most bound_ms stale on instances other than
 * the writer.  bound_ms <= 0: caching disabled (every call makes its round trips).
 * NULL when out of memory.  Free with sathd_authsync_free (NULL is fine). */
sathd_authsync *sathd_authsync_new(int64_t bound_ms);
void sathd_authsync_free(sathd_authsync *s);
int64_t sathd_authsync_bound_ms(const sathd_authsync *s);

/* A stamp for an answer about to be read from a backend (never 0). */
uint64_t sathd_authsync_stamp(sathd_authsync *s);
/* 1 when an answer about user_id from `feed`, stamped `stamp`, may be served at
 * monotonic time now_ms (see sathd_authsync_now_ms); else 0.  s NULL or stamp 0: 0. */
int sathd_authsync_valid(const sathd_authsync *s, sathd_authsync_feed feed,
                         const char *user_id, uint64_t stamp, int64_t now_ms);
/* Something about user_id (any case) was written: answers stamped before now are stale.
 * Call after the write has completed.  NULL s is fine. */
void sathd_authsync_changed(sathd_authsync *s, const char *user_id);
/* Every answer of `feed` stamped before now is stale (e.g. a plan was renamed). */
void sathd_authsync_changed_all(sathd_authsync *s, sathd_authsync_feed feed);

/* Feed side.  `up`: the subscription is confirmed (answers stamped before are distrusted).
 * `down`: the connection is lost; nothing is served from cache until up + synced.
 * `synced`: a heartbeat sent at monotonic sent_ms has been answered. */
void sathd_authsync_feed_up(sathd_authsync *s, sathd_authsync_feed feed);
void sathd_authsync_feed_down(sathd_authsync *s, sathd_authsync_feed feed);
void sathd_authsync_feed_synced(sathd_authsync *s, sathd_authsync_feed feed, int64_t sent_ms);
/* 1 when the feed is synchronised at now_ms. */
int sathd_authsync_feed_live(const sathd_authsync *s, sathd_authsync_feed feed, int64_t now_ms);

/* Monotonic milliseconds (CLOCK_MONOTONIC). */
int64_t sathd_authsync_now_ms(void);

/* The feeds: two threads with one dedicated connection each (Redis SUBSCRIBE, PostgreSQL
 * LISTEN), a heartbeat every bound_ms / 4, reconnection with back-off.  `redis_url` is
 * connected with sathd_redis_connect's rules; `pg_conninfo` is a libpq conninfo.
 * Returns NULL (and leaves every feed down, i.e. no caching) when the threads cannot be
 * started.  Stop with sathd_authsync_feeds_stop (NULL is fine) before freeing s. */
typedef struct sathd_authsync_feeds sathd_authsync_feeds;
struct sathd_redis_pool;
sathd_authsync_feeds *sathd_authsync_feeds_start(sathd_authsync *s,
                                                 struct sathd_redis_pool *redis,
                                                 const char *pg_conninfo);
void sathd_authsync_feeds_stop(sathd_authsync_feeds *f);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_AUTHSYNC_H */
