/*
 * authsync_feed.c - the two change feeds of sathd/authsync.h: a Redis SUBSCRIBE on
 * SATHD_AUTHSYNC_CHANNEL and a PostgreSQL LISTEN on SATHD_AUTHSYNC_PG_CHANNEL, one
 * thread and one dedicated connection each.
 *
 * The heartbeat is what makes the staleness bound hold, so it goes through the same
 * ordered stream as the changes:
 *  - Redis runs one connection's commands in order and writes pushed messages and
 *    replies into one output stream, so the PONG to a PING sent at t comes after every
 *    message PUBLISHed before t.
 *  - PostgreSQL delivers notifications from one queue in commit order, so our own
 *    NOTIFY on a channel only this connection listens to (sath_hb_<backend pid>) arrives
 *    after every notification committed before it was sent.
 * Until the first heartbeat after a (re)connection comes back, the feed counts as down
 * and every call makes its round trips; so does a feed whose heartbeat is late.
 */
#include "sathd/authsync.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include "sathd/log.h"
#include "sathd/redis.h"

#define GIVE_UP_MS 5000 /* a heartbeat unanswered this long: reconnect */
#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000

struct sathd_authsync_feeds {
    sathd_authsync *sync;
    sathd_redis_pool *redis;
    char *pg_conninfo;
    _Atomic int stop;
    int64_t period_ms; /* heartbeat period */
    pthread_t redis_thread, pg_thread;
    int redis_started, pg_started;
};

static int stopping(sathd_authsync_feeds *f)
{
    return atomic_load_explicit(&f->stop, memory_order_acquire);
}

/* Sleeps up to ms, waking early when asked to stop. */
static void nap(sathd_authsync_feeds *f, int64_t ms)
{
    while (ms > 0 && !stopping(f)) {
        int64_t step = ms < 20 ? ms : 20;
        struct timespec ts = {0, (long)step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

static int64_t backoff_next(int64_t b) { return b * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : b * 2; }

/* Waits until fd is readable or the next heartbeat is due; 1 readable, 0 timeout, -1 error. */
static int wait_readable(int fd, int64_t ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int rc = poll(&pfd, 1, (int)(ms < 0 ? 0 : ms > 20 ? 20 : ms));
    if (rc > 0 && (pfd.revents & (POLLERR | POLLNVAL)))
        return -1;
    return rc > 0 ? 1 : rc == 0 ? 0 : -1;
}

/* ---- Redis ---- */

static int redis_flush(redisContext *c)
{
    int done = 0;
    while (!done)
        if (redisBufferWrite(c, &done) != REDIS_OK)
            return -1;
    return 0;
}

static int is_array_of(const redisReply *r, size_t n, const char *kind)
{
    return r && r->type == REDIS_REPLY_ARRAY && r->elements == n &&
           r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, kind) == 0;
}

/* One subscribed session; returns when the connection fails or we stop. */
static void redis_session(sathd_authsync_feeds *f, redisContext *c)
{
    sathd_authsync *s = f->sync;
    int64_t ping_sent = 0, last_answer = sathd_authsync_now_ms();
    int subscribed = 0, ping_out = 0;
    if (redisAppendCommand(c, "SUBSCRIBE %s", SATHD_AUTHSYNC_CHANNEL) != REDIS_OK ||
        redis_flush(c) != 0)
        return;
    while (!stopping(f)) {
        int64_t now = sathd_authsync_now_ms();
        if (subscribed && !ping_out && now - ping_sent >= f->period_ms) {
            if (redisAppendCommand(c, "PING") != REDIS_OK || redis_flush(c) != 0)
                return;
            ping_sent = now, ping_out = 1;
        }
        if ((ping_out || !subscribed) && now - (ping_out ? ping_sent : last_answer) > GIVE_UP_MS)
            return;
        int rd = wait_readable(c->fd, ping_out || !subscribed ? 20 : f->period_ms - (now - ping_sent));
        if (rd < 0 || (rd > 0 && redisBufferRead(c) != REDIS_OK))
            return;
        void *p = NULL;
        while (redisGetReplyFromReader(c, &p) == REDIS_OK && p) {
            redisReply *r = p;
            if (is_array_of(r, 3, "message") && r->element[2]->type == REDIS_REPLY_STRING) {
                sathd_authsync_changed(s, r->element[2]->str);
            } else if (is_array_of(r, 2, "pong")) {
                sathd_authsync_feed_synced(s, SATHD_FEED_REVOCATIONS, ping_sent);
                ping_out = 0, last_answer = sathd_authsync_now_ms();
            } else if (is_array_of(r, 3, "subscribe")) {
                sathd_authsync_feed_up(s, SATHD_FEED_REVOCATIONS);
                subscribed = 1, ping_sent = 0; /* heartbeat at once */
            }
            freeReplyObject(r);
            p = NULL;
        }
        if (c->err)
            return;
    }
}

static void *redis_main(void *arg)
{
    sathd_authsync_feeds *f = arg;
    int64_t backoff = BACKOFF_MIN_MS;
    int warned = 0;
    while (!stopping(f)) {
        char err[256];
        redisContext *c = sathd_redis_connect(f->redis, 2000, err, sizeof err);
        if (c) {
            int64_t t0 = sathd_authsync_now_ms();
            redis_session(f, c);
            sathd_authsync_feed_down(f->sync, SATHD_FEED_REVOCATIONS);
            redisFree(c);
            if (sathd_authsync_now_ms() - t0 > 10000)
                backoff = BACKOFF_MIN_MS, warned = 0;
        }
        if (stopping(f))
            break;
        if (!warned++)
            sathd_log(SATHD_LOG_WARN, "msg=\"revocation feed lost; every call checks Redis "
                                      "until it is back\" err=\"%s\"", c ? "connection closed" : err);
        nap(f, backoff);
        backoff = backoff_next(backoff);
    }
    return NULL;
}

/* ---- PostgreSQL ---- */

static int pg_cmd(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? 0 : -1;
}

static void pg_session(sathd_authsync_feeds *f, PGconn *c)
{
    sathd_authsync *s = f->sync;
    char hb_channel[48], sql[128];
    snprintf(hb_channel, sizeof hb_channel, "sath_hb_%d", PQbackendPID(c));
    snprintf(sql, sizeof sql, "LISTEN %s; LISTEN %s", SATHD_AUTHSYNC_PG_CHANNEL, hb_channel);
    if (pg_cmd(c, sql) != 0)
        return;
    sathd_authsync_feed_up(s, SATHD_FEED_USERS);
    unsigned long hb = 0;
    int64_t hb_sent = 0;
    int hb_out = 0, cmd_out = 0; /* heartbeat not yet heard / its command's results pending */
    while (!stopping(f)) {
        int64_t now = sathd_authsync_now_ms();
        if (!hb_out && !cmd_out && now - hb_sent >= f->period_ms) {
            snprintf(sql, sizeof sql, "NOTIFY %s, '%lu'", hb_channel, ++hb);
            if (!PQsendQuery(c, sql))
                return;
            hb_sent = now, hb_out = 1, cmd_out = 1;
        }
        if (hb_out && now - hb_sent > GIVE_UP_MS)
            return;
        int rd = wait_readable(PQsocket(c),
                               hb_out || cmd_out ? 20 : f->period_ms - (now - hb_sent));
        if (rd < 0 || (rd > 0 && !PQconsumeInput(c)))
            return;
        while (cmd_out && !PQisBusy(c)) {
            PGresult *r = PQgetResult(c);
            if (!r) {
                cmd_out = 0;
                break;
            }
            int bad = PQresultStatus(r) != PGRES_COMMAND_OK;
            PQclear(r);
            if (bad)
                return;
        }
        PGnotify *n;
        while ((n = PQnotifies(c)) != NULL) {
            if (strcmp(n->relname, SATHD_AUTHSYNC_PG_CHANNEL) == 0) {
                if (strcmp(n->extra, "*") == 0)
                    sathd_authsync_changed_all(s, SATHD_FEED_USERS);
                else
                    sathd_authsync_changed(s, n->extra);
            } else if (strcmp(n->relname, hb_channel) == 0 && hb_out &&
                       strtoul(n->extra, NULL, 10) == hb) {
                sathd_authsync_feed_synced(s, SATHD_FEED_USERS, hb_sent);
                hb_out = 0;
            }
            PQfreemem(n);
        }
        if (PQstatus(c) != CONNECTION_OK)
            return;
    }
}

static void *pg_main(void *arg)
{
    sathd_authsync_feeds *f = arg;
    int64_t backoff = BACKOFF_MIN_MS;
    int warned = 0;
    const char *const keys[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *const vals[] = {f->pg_conninfo, "2", "sathd-authsync", NULL};
    while (!stopping(f)) {
        PGconn *c = PQconnectdbParams(keys, vals, 1);
        int ok = c && PQstatus(c) == CONNECTION_OK;
        if (ok) {
            int64_t t0 = sathd_authsync_now_ms();
            pg_session(f, c);
            sathd_authsync_feed_down(f->sync, SATHD_FEED_USERS);
            if (sathd_authsync_now_ms() - t0 > 10000)
                backoff = BACKOFF_MIN_MS, warned = 0;
        }
        PQfinish(c);
        if (stopping(f))
            break;
        if (!warned++)
            sathd_log(SATHD_LOG_WARN, "msg=\"user feed lost; every call reads PostgreSQL "
                                      "until it is back\"");
        nap(f, backoff);
        backoff = backoff_next(backoff);
    }
    return NULL;
}

sathd_authsync_feeds *sathd_authsync_feeds_start(sathd_authsync *s, sathd_redis_pool *redis,
                                                 const char *pg_conninfo)
{
    if (!s || sathd_authsync_bound_ms(s) <= 0 || !redis || !pg_conninfo)
        return NULL;
    sathd_authsync_feeds *f = calloc(1, sizeof *f);
    if (!f || !(f->pg_conninfo = strdup(pg_conninfo))) {
        free(f);
        return NULL;
    }
    f->sync = s;
    f->redis = redis;
    f->period_ms = sathd_authsync_bound_ms(s) / 4 > 0 ? sathd_authsync_bound_ms(s) / 4 : 1;
    f->redis_started = pthread_create(&f->redis_thread, NULL, redis_main, f) == 0;
    f->pg_started = pthread_create(&f->pg_thread, NULL, pg_main, f) == 0;
    if (!f->redis_started || !f->pg_started) {
        sathd_authsync_feeds_stop(f);
        return NULL;
    }
    return f;
}

void sathd_authsync_feeds_stop(sathd_authsync_feeds *f)
{
    if (!f)
        return;
    atomic_store_explicit(&f->stop, 1, memory_order_release);
    if (f->redis_started)
        pthread_join(f->redis_thread, NULL);
    if (f->pg_started)
        pthread_join(f->pg_thread, NULL);
    sathd_authsync_feed_down(f->sync, SATHD_FEED_REVOCATIONS);
    sathd_authsync_feed_down(f->sync, SATHD_FEED_USERS);
    free(f->pg_conninfo);
    free(f);
}
