/*
 * bot_logs.c - GetBotLogs and FollowBotLogs: the caller's bot's lines, read from the
 * capped Redis stream sath-orchestrator fills (see sathd/bot_logstream.h).  sathd never
 * reads a bot's log file or container: the bot may run on another host.
 *
 * FollowBotLogs sends the tail first, then XREAD BLOCKs (1 s at a time, so a client
 * that left or a server that stops is noticed) on a connection of its own, outside the
 * pool, and ends at the end marker of the run that was current when it began.
 */
#include <stdlib.h>
#include <string.h>

#include "sathd/bot_logstream.h"
#include "sathd/log.h"
#include "sathd/bot_store.h"
#include "sathd/svc.h"

#define TAIL_DEFAULT 200
#define TAIL_MAX 5000

/* Field `name` of a stream entry's field/value array, or NULL. */
static const redisReply *field(const redisReply *kv, const char *name)
{
    for (size_t i = 0; kv && kv->type == REDIS_REPLY_ARRAY && i + 1 < kv->elements; i += 2)
        if (kv->element[i]->type == REDIS_REPLY_STRING && strcmp(kv->element[i]->str, name) == 0)
            return kv->element[i + 1];
    return NULL;
}

/* One LogLine from a stream entry [id, [k, v, ...]]; *out NULL for an end marker. */
int sathd_bot_logline_from_entry(sathd_call *call, const redisReply *entry, Sath__V1__LogLine **out)
{
    *out = NULL;
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2)
        return SATHD_OK;
    const redisReply *kv = entry->element[1];
    const redisReply *t = field(kv, "t"), *s = field(kv, "s"), *r = field(kv, "r"), *l = field(kv, "l");
    if (!t || !l || t->type != REDIS_REPLY_STRING || l->type != REDIS_REPLY_STRING)
        return SATHD_OK;
    Sath__V1__LogLine *line = sathd_call_alloc(call, sizeof *line);
    Google__Protobuf__Timestamp *ts = sathd_call_alloc(call, sizeof *ts);
    if (!line || !ts)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    sath__v1__log_line__init(line);
    google__protobuf__timestamp__init(ts);
    long long ms = strtoll(t->str, NULL, 10);
    ts->seconds = ms / 1000;
    ts->nanos = (int32_t)(ms % 1000) * 1000000;
    line->time = ts;
    line->stream = (char *)(s && s->type == REDIS_REPLY_STRING && s->str[0] == 'e' ? "stderr" : "stdout");
    line->run_id = sathd_call_strdup(call, r && r->type == REDIS_REPLY_STRING ? r->str : "");
    line->text = sathd_call_strndup(call, l->str, l->len);
    if (!line->run_id || !line->text)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    *out = line;
    return SATHD_OK;
}

/* tail / since of both requests, checked. */
static int tail_since(sathd_call *call, int32_t tail_in, const Google__Protobuf__Timestamp *since,
                      int *tail, long long *since_ms)
{
    if (tail_in < 0 || tail_in > TAIL_MAX)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "tail must be 0 to %d", TAIL_MAX);
    *tail = tail_in ? tail_in : TAIL_DEFAULT;
    *since_ms = 0;
    if (since) {
        int64_t ms;
        if (since->seconds < 0 || sathd_svc_timestamp_ms(since, &ms) != 0)
            return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "since is not a valid time");
        *since_ms = (long long)ms;
    }
    return SATHD_OK;
}

static void stream_key(sathd_call *call, char key[96])
{
    snprintf(key, 96, "%s%s", SATHD_BOTLOG_KEY_PREFIX, sathd_call_identity(call)->user_id);
}

/* The newest `tail` lines at or after since_ms, oldest first, into *lines / *n; the id of
 * the newest entry seen (line or not) into last_id ("0-0" when the stream is empty). */
static int read_tail(sathd_call *call, redisContext *rc_, int tail, long long since_ms,
                     Sath__V1__LogLine ***lines, size_t *n, char last_id[64])
{
    char key[96], from[32];
    stream_key(call, key);
    snprintf(from, sizeof from, "%lld", since_ms);
    snprintf(last_id, 64, "0-0");
    /* newest first, `tail` of them (+ a few for end markers, skipped below) */
    redisReply *r = redisCommand(rc_, "XREVRANGE %s + %s COUNT %d", key, since_ms ? from : "-",
                                 tail + 16);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        if (r)
            freeReplyObject(r);
        return sathd_call_error(call, SATHD_UNAVAILABLE, "log store unavailable, try again later");
    }
    *lines = sathd_call_alloc(call, (r->elements + 1) * sizeof **lines);
    if (!*lines) {
        freeReplyObject(r);
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (r->elements && r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2 &&
        r->element[0]->element[0]->type == REDIS_REPLY_STRING)
        snprintf(last_id, 64, "%s", r->element[0]->element[0]->str);
    int rc = SATHD_OK;
    *n = 0;
    for (size_t i = 0; i < r->elements && (int)*n < tail && rc == SATHD_OK; i++) {
        Sath__V1__LogLine *line = NULL;
        rc = sathd_bot_logline_from_entry(call, r->element[i], &line);
        if (line && (!since_ms || line->time->seconds * 1000 + line->time->nanos / 1000000 >= since_ms))
            (*lines)[(*n)++] = line;
    }
    freeReplyObject(r);
    for (size_t i = 0; i < *n / 2; i++) { /* oldest first */
        Sath__V1__LogLine *t = (*lines)[i];
        (*lines)[i] = (*lines)[*n - 1 - i];
        (*lines)[*n - 1 - i] = t;
    }
    return rc;
}

int sathd_bot_logs_get(sathd_call *call, const Sath__V1__GetBotLogsRequest *req,
                       Sath__V1__GetBotLogsResponse *resp)
{
    int tail = TAIL_DEFAULT;
    long long since_ms = 0;
    int rc = tail_since(call, req->tail, req->since, &tail, &since_ms);
    if (rc != SATHD_OK)
        return rc;
    redisContext *rc_ = NULL;
    if ((rc = sathd_svc_redis_open(call, &rc_)) != SATHD_OK)
        return rc;
    char last[64];
    rc = read_tail(call, rc_, tail, since_ms, &resp->lines, &resp->n_lines, last);
    sathd_svc_redis_close(call, rc_);
    return rc;
}

/* The run a follower follows: the current one unless the bot is at rest. */
static int current_run(sathd_call *call, char run[37])
{
    static const sathd_pg_stmt st = {
        "bot_follow_run",
        "SELECT coalesce(current_run_id::text, '') FROM bot_instances WHERE user_id = $1 "
        "AND (desired_state = 'running' OR status IN ('starting', 'running', 'stopping'))",
        1};
    const char *p[1] = {sathd_call_identity(call)->user_id};
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query1(call, &st, p, &res);
    if (rc != SATHD_OK)
        return rc;
    snprintf(run, 37, "%s", PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
    return SATHD_OK;
}

/* 1 when entry is the end marker of `run`. */
static int ends_run(const redisReply *entry, const char *run)
{
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2)
        return 0;
    const redisReply *e = field(entry->element[1], "end"), *r = field(entry->element[1], "r");
    return e && r && r->type == REDIS_REPLY_STRING && strcmp(r->str, run) == 0;
}

int sathd_bot_logs_follow(sathd_call *call, const Sath__V1__FollowBotLogsRequest *req,
                          sathd_writer *out)
{
    int tail = TAIL_DEFAULT;
    long long since_ms = 0;
    char run[37], last[64], key[96], err[128] = "";
    int rc = tail_since(call, req->tail, req->since, &tail, &since_ms);
    if (rc != SATHD_OK || (rc = current_run(call, run)) != SATHD_OK)
        return rc;
    redisContext *rx = sathd_redis_open_dedicated(sathd_call_app(call)->redis, 2000, err, sizeof err);
    if (!rx) {
        sathd_log(SATHD_LOG_WARN, "msg=\"redis unavailable\" request_id=%s reason=\"%s\"",
                  sathd_call_request_id(call), err);
        return sathd_call_error(call, SATHD_UNAVAILABLE, "log store unavailable, try again later");
    }
    Sath__V1__LogLine **lines = NULL;
    size_t n = 0;
    rc = read_tail(call, rx, tail, since_ms, &lines, &n, last);
    for (size_t i = 0; rc == SATHD_OK && i < n; i++)
        if (sathd_writer_send(out, &lines[i]->base) != 0)
            goto gone;
    stream_key(call, key);
    /* a bot at rest has nothing more to say */
    while (rc == SATHD_OK && *run && sathd_writer_alive(out)) {
        /* the socket timeout must outlast the BLOCK */
        struct timeval tv = {3, 0};
        redisSetTimeout(rx, tv);
        redisReply *r = redisCommand(rx, "XREAD COUNT 500 BLOCK 1000 STREAMS %s %s", key, last);
        if (!r || (r->type != REDIS_REPLY_ARRAY && r->type != REDIS_REPLY_NIL)) {
            if (r)
                freeReplyObject(r);
            rc = sathd_call_error(call, SATHD_UNAVAILABLE, "log store unavailable, try again later");
            break;
        }
        const redisReply *entries = r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
                                            r->element[0]->elements == 2
                                        ? r->element[0]->element[1]
                                        : NULL;
        int ended = 0;
        for (size_t i = 0; entries && i < entries->elements && !ended; i++) {
            const redisReply *en = entries->element[i];
            if (en->type == REDIS_REPLY_ARRAY && en->elements == 2 && en->element[0]->type == REDIS_REPLY_STRING)
                snprintf(last, sizeof last, "%s", en->element[0]->str);
            Sath__V1__LogLine *line = NULL;
            rc = sathd_bot_logline_from_entry(call, en, &line);
            if (rc == SATHD_OK && line && sathd_writer_send(out, &line->base) != 0) {
                freeReplyObject(r);
                goto gone;
            }
            ended = ends_run(en, run);
        }
        freeReplyObject(r);
        if (ended)
            break;
    }
    redisFree(rx);
    if (rc == SATHD_OK && sathd_call_remaining_ms(call) == 0) /* the client's own deadline */
        return sathd_call_error(call, SATHD_DEADLINE_EXCEEDED, "deadline exceeded");
    return rc;
gone:
    redisFree(rx);
    return sathd_call_error(call, SATHD_CANCELLED, "client went away");
}
