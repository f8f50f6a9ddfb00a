/*
 * redis.c - the Redis connection pool (API in sathd/redis.h).
 *
 * Invariants: pool->mu guards the free stack only; slots[i].ctx == NULL means "not
 * open"; a context handed out belongs to one thread until released, and only that
 * thread writes its slot.  Release finds the slot of a context by scanning, which reads
 * the other slots while their owners may write them: hence the atomic pointers (hiredis
 * 0.14 has no user-data field to carry the slot index in the context itself).  A match
 * is never spurious: a live context's address cannot be reused by another slot.  The password is
 * kept only inside the pool (wiped on free) and never put in an error message.
 */
#include "sathd/redis.h"
#include "slots.h"

#include <errno.h>
#include <stdatomic.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

typedef struct slot {
    _Atomic(redisContext *) ctx; /* written by the slot's owner only */
} slot;

struct sathd_redis_pool {
    sathd_slots free_slots; /* free indexes into slots */
    sathd_redis_url url;
    int connect_timeout_ms, command_timeout_ms;
    slot *slots;
    int size;
};

static struct timeval ms_to_tv(int64_t ms)
{
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    return tv;
}

sathd_redis_pool *sathd_redis_pool_new(const sathd_redis_pool_options *opt, char *err,
                                       size_t errlen)
{
    if (!opt || !opt->url || opt->size < 1 || (!opt->url->is_unix && !opt->url->host[0])) {
        snprintf(err, errlen, "redis pool needs a parsed URL and size >= 1");
        return NULL;
    }
    sathd_redis_pool *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->url = *opt->url;
    p->size = opt->size;
    p->connect_timeout_ms = opt->connect_timeout_ms > 0 ? opt->connect_timeout_ms : 2000;
    p->command_timeout_ms = opt->command_timeout_ms > 0 ? opt->command_timeout_ms : 2000;
    p->slots = calloc((size_t)p->size, sizeof *p->slots);
    if (sathd_slots_init(&p->free_slots, p->size) != 0 || !p->slots) {
        snprintf(err, errlen, "out of memory");
        sathd_redis_pool_free(p);
        return NULL;
    }
    return p;
}

void sathd_redis_pool_free(sathd_redis_pool *p)
{
    if (!p)
        return;
    for (int i = 0; p->slots && i < p->size; i++) {
        redisContext *c = atomic_load_explicit(&p->slots[i].ctx, memory_order_relaxed);
        if (c)
            redisFree(c);
    }
    free(p->slots);
    sathd_slots_destroy(&p->free_slots);
    sodium_memzero(&p->url, sizeof p->url);
    free(p);
}

/* Runs a setup command; 0 when the reply is not an error. */
static int setup_cmd(redisContext *ctx, const char *what, char *err, size_t errlen, int argc,
                     const char **argv)
{
    redisReply *r = redisCommandArgv(ctx, argc, argv, NULL);
    int ok = r && r->type != REDIS_REPLY_ERROR;
    if (!ok)
        /* the server's error text for AUTH never contains the password */
        snprintf(err, errlen, "redis %s failed: %s", what,
                 r ? r->str : ctx->errstr[0] ? ctx->errstr : "no reply");
    if (r)
        freeReplyObject(r);
    return ok ? 0 : -1;
}

/* Connects (bounded by the shorter of the pool's connect timeout and the caller's),
 * then AUTH and SELECT as the URL asks. */
static redisContext *open_ctx(const sathd_redis_pool *p, int64_t timeout_ms, char *err,
                              size_t errlen)
{
    const sathd_redis_url *u = &p->url;
    int64_t ms = timeout_ms > 0 && timeout_ms < p->connect_timeout_ms ? timeout_ms
                                                                       : p->connect_timeout_ms;
    struct timeval tv = ms_to_tv(ms);
    redisContext *ctx = u->is_unix ? redisConnectUnixWithTimeout(u->path, tv)
                                   : redisConnectWithTimeout(u->host, u->port, tv);
    if (!ctx || ctx->err) {
        snprintf(err, errlen, "cannot connect to redis at %s%s: %s",
                 u->is_unix ? "unix:" : u->host, u->is_unix ? u->path : "",
                 ctx ? ctx->errstr : "out of memory");
        if (ctx)
            redisFree(ctx);
        return NULL;
    }
    redisSetTimeout(ctx, ms_to_tv(p->command_timeout_ms));
    int rc = 0;
    if (u->password[0]) {
        const char *argv[3] = {"AUTH", u->username[0] ? u->username : u->password, u->password};
        rc = setup_cmd(ctx, "AUTH", err, errlen, u->username[0] ? 3 : 2, argv);
    }
    if (rc == 0 && u->db != 0) {
        char db[16];
        snprintf(db, sizeof db, "%d", u->db);
        const char *argv[2] = {"SELECT", db};
        rc = setup_cmd(ctx, "SELECT", err, errlen, 2, argv);
    }
    if (rc != 0) {
        redisFree(ctx);
        return NULL;
    }
    return ctx;
}

redisContext *sathd_redis_open_dedicated(sathd_redis_pool *p, int64_t timeout_ms, char *err,
                                        size_t errlen)
{
    return open_ctx(p, timeout_ms, err, errlen);
}

/* An idle connection has nothing to read; readability means EOF (server closed it)
 * or junk.  Checked with poll(2), no round trip. */
static int ctx_usable(const redisContext *ctx)
{
    if (!ctx || ctx->err || ctx->fd < 0)
        return 0;
    struct pollfd pfd = {.fd = ctx->fd, .events = POLLIN};
    return poll(&pfd, 1, 0) == 0;
}

static void push_free(sathd_redis_pool *p, int idx)
{
    sathd_slots_give(&p->free_slots, idx);
}

redisContext *sathd_redis_acquire(sathd_redis_pool *p, int64_t timeout_ms, char *err,
                                  size_t errlen)
{
    int idx = sathd_slots_take(&p->free_slots, timeout_ms);
    if (idx < 0) {
        snprintf(err, errlen, "no redis connection free before the deadline");
        return NULL;
    }
    slot *s = &p->slots[idx];
    redisContext *ctx = atomic_load_explicit(&s->ctx, memory_order_relaxed);
    if (!ctx_usable(ctx)) {
        atomic_store_explicit(&s->ctx, NULL, memory_order_relaxed);
        if (ctx)
            redisFree(ctx);
        ctx = open_ctx(p, timeout_ms, err, errlen);
        if (!ctx) {
            push_free(p, idx);
            return NULL;
        }
        atomic_store_explicit(&s->ctx, ctx, memory_order_relaxed);
    } else {
        redisSetTimeout(ctx, ms_to_tv(p->command_timeout_ms));
    }
    return ctx;
}

void sathd_redis_release(sathd_redis_pool *p, redisContext *ctx)
{
    if (!ctx)
        return;
    for (int i = 0; i < p->size; i++) {
        if (atomic_load_explicit(&p->slots[i].ctx, memory_order_relaxed) != ctx)
            continue;
        if (ctx->err) {
            atomic_store_explicit(&p->slots[i].ctx, NULL, memory_order_relaxed);
            redisFree(ctx);
        }
        push_free(p, i);
        return;
    }
}

redisContext *sathd_redis_connect(sathd_redis_pool *p, int64_t timeout_ms, char *err,
                                  size_t errlen)
{
    return open_ctx(p, timeout_ms, err, errlen);
}

int sathd_redis_set_timeout(redisContext *ctx, int64_t timeout_ms)
{
    if (!ctx || timeout_ms <= 0)
        return -1;
    return redisSetTimeout(ctx, ms_to_tv(timeout_ms)) == REDIS_OK ? 0 : -1;
}

int sathd_redis_ping(sathd_redis_pool *p, int64_t timeout_ms)
{
    char err[256];
    redisContext *ctx = sathd_redis_acquire(p, timeout_ms, err, sizeof err);
    if (!ctx)
        return -1;
    if (timeout_ms > 0)
        sathd_redis_set_timeout(ctx, timeout_ms);
    redisReply *r = redisCommand(ctx, "PING");
    int ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    if (r)
        freeReplyObject(r);
    sathd_redis_release(p, ctx);
    return ok ? 0 : -1;
}
