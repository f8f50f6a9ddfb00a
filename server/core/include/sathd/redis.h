/*
 * redis.h - a thread-safe pool of hiredis 0.14 connections (redis:// over TCP with
 * AUTH and SELECT, or unix://).
 *
 * A redisContext is not thread-safe: a thread acquires one, issues commands with
 * redisCommand(), and releases it.  A context that saw an I/O or protocol error
 * (ctx->err != 0) is dropped on release and reopened on a later acquire; one whose
 * server closed it while idle (CLIENT KILL, restart) is noticed and reopened at
 * acquire time without a round trip.
 *
 * hiredis writes with write(2), so a connection the server closed raises SIGPIPE:
 * the process must ignore SIGPIPE (signal(SIGPIPE, SIG_IGN) in main, before threads).
 */
#ifndef SATHD_REDIS_H
#define SATHD_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "sathd/config.h" /* sathd_redis_url */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sathd_redis_pool sathd_redis_pool;

typedef struct sathd_redis_pool_options {
    const sathd_redis_url *url; /* copied; wiped when the pool is freed */
    int size;                   /* connections, >= 1 */
    int connect_timeout_ms;     /* 0 = 2000 */
    int command_timeout_ms;     /* default per-command timeout, 0 = 2000 */
} sathd_redis_pool_options;

/* Creates a pool (no connection is opened yet); NULL with a reason on bad options. */
sathd_redis_pool *sathd_redis_pool_new(const sathd_redis_pool_options *opt, char *err,
                                       size_t errlen);
/* Closes every connection; all must have been released. */
void sathd_redis_pool_free(sathd_redis_pool *pool);

/* Takes a connection, waiting up to timeout_ms (<= 0: no wait) for a free one and
 * opening it when needed (connect, AUTH, SELECT).  NULL with a reason (never the
 * password) in `err` when none is free or the server cannot be reached.  The
 * context's command timeout is the pool default; see sathd_redis_set_timeout. */
redisContext *sathd_redis_acquire(sathd_redis_pool *pool, int64_t timeout_ms, char *err,
                                  size_t errlen);
/* Gives a context back (NULL is ignored).  A context with ctx->err set is closed. */
void sathd_redis_release(sathd_redis_pool *pool, redisContext *ctx);
/* A dedicated connection outside the pool (same URL, AUTH and SELECT), for a thread
 * that keeps it, e.g. a SUBSCRIBE.  NULL with a reason in `err`; free with redisFree. */
redisContext *sathd_redis_connect(sathd_redis_pool *pool, int64_t timeout_ms, char *err,
                                  size_t errlen);
/* Sets the read/write timeout of the following commands on ctx (until release). */
int sathd_redis_set_timeout(redisContext *ctx, int64_t timeout_ms);

/* A connection outside the pool, to the pool's server (AUTH, SELECT as configured), for
 * a command that blocks for long (XREAD BLOCK of a log follower) and must not hold a
 * pooled connection.  The caller frees it with redisFree().  NULL with a reason in err. */
redisContext *sathd_redis_open_dedicated(sathd_redis_pool *pool, int64_t timeout_ms, char *err,
                                        size_t errlen);

/* 0 when PING answers PONG within about timeout_ms, else -1. */
int sathd_redis_ping(sathd_redis_pool *pool, int64_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_REDIS_H */
