/*
 * logship.c - bot log lines from the backend's own log (the source of truth, which
 * survives our restarts) into the user's capped Redis stream (sathd/bot_logstream.h).
 *
 * At-least-once: lines are XADDed in one pipelined batch, then the caller stores the
 * new cursor in bot_runs.log_cursor; a crash between the two re-ships a batch, never
 * skips one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sathd/bot_logstream.h"
#include "sathd/log.h"
#include "orch.h"

#define BATCH_MAX 2000

typedef struct ship {
    orch *o;
    redisContext *rc;
    const char *key, *run_id;
    char maxlen[16];
    int queued;
    int failed;
} ship;

static int flush(ship *s)
{
    for (; s->queued > 0; s->queued--) {
        redisReply *r = NULL;
        if (redisGetReply(s->rc, (void **)&r) != REDIS_OK || !r || r->type == REDIS_REPLY_ERROR)
            s->failed = 1;
        if (r)
            freeReplyObject(r);
        if (s->rc->err)
            return -1;
    }
    return s->failed ? -1 : 0;
}

static int on_line(void *arg, int64_t time_ms, const char *stream, const char *line, size_t len)
{
    ship *s = arg;
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)time_ms);
    const char *argv[] = {"XADD", s->key, "MAXLEN", "~", s->maxlen, "*", "t", t,
                          "s", strcmp(stream, "stderr") == 0 ? "e" : "o", "r", s->run_id, "l", line};
    size_t lens[14];
    for (int i = 0; i < 14; i++)
        lens[i] = strlen(argv[i]);
    lens[13] = len;
    if (redisAppendCommandArgv(s->rc, 14, argv, lens) != REDIS_OK)
        return 1;
    s->queued++;
    /* stop at a batch boundary: the caller records the cursor, then comes back */
    return s->queued >= BATCH_MAX;
}

static int connect_redis(orch *o, redisContext **rc)
{
    if (*rc)
        return 0;
    char err[128] = "";
    *rc = sathd_redis_acquire(o->redis, 2000, err, sizeof err);
    if (!*rc)
        sathd_log(SATHD_LOG_WARN, "msg=\"redis unavailable\" reason=\"%s\"", err);
    return *rc ? 0 : -1;
}

int orch_logs_ship(orch *o, redisContext **rc, const char *user_id, const char *run_id,
                   uint64_t *cursor)
{
    if (connect_redis(o, rc) != 0)
        return -1;
    char key[96];
    snprintf(key, sizeof key, "%s%s", SATHD_BOTLOG_KEY_PREFIX, user_id);
    for (int round = 0; round < 50; round++) {
        ship s = {.o = o, .rc = *rc, .key = key, .run_id = run_id};
        snprintf(s.maxlen, sizeof s.maxlen, "%d", o->cfg.log_stream_max);
        uint64_t next = *cursor;
        int rc_ = o->be.ops->logs(o->be.self, user_id, run_id, &next, on_line, &s);
        int batch_full = s.queued >= BATCH_MAX;
        if (flush(&s) != 0) {
            sathd_log(SATHD_LOG_WARN, "msg=\"shipping bot logs failed\" user=%s run=%s", user_id,
                      run_id);
            if ((*rc)->err) {
                sathd_redis_release(o->redis, *rc);
                *rc = NULL;
            }
            return -1;
        }
        if (rc_ != 0) /* no log (yet) for that run: nothing to ship */
            return 0;
        *cursor = next;
        if (!batch_full)
            break;
    }
    return 0;
}

int orch_logs_end(orch *o, redisContext **rc, const char *user_id, const char *run_id,
                  const char *how)
{
    if (connect_redis(o, rc) != 0)
        return -1;
    char key[96], maxlen[16], t[24];
    snprintf(key, sizeof key, "%s%s", SATHD_BOTLOG_KEY_PREFIX, user_id);
    snprintf(maxlen, sizeof maxlen, "%d", o->cfg.log_stream_max);
    snprintf(t, sizeof t, "%lld", (long long)sathd_bot_now_ms());
    redisReply *r = redisCommand(*rc, "XADD %s MAXLEN ~ %s * t %s r %s end %s", key, maxlen, t,
                                 run_id, how);
    int ok = r && r->type != REDIS_REPLY_ERROR;
    if (r)
        freeReplyObject(r);
    if ((*rc)->err) {
        sathd_redis_release(o->redis, *rc);
        *rc = NULL;
    }
    return ok ? 0 : -1;
}
