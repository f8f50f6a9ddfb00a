/*
 * bot_logs.c - GetBotLogs: the newest lines of the caller's bot, read from the capped
 * Redis stream sath-orchestrator fills (see sathd/bot_logstream.h).  sathd never reads
 * a bot's log file or container: the bot may run on another host.
 */
#include <stdlib.h>
#include <string.h>

#include "sathd/bot_logstream.h"
#include "bot_internal.h"
#include "svc.h"

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

int sathd_bot_logs_get(sathd_call *call, const Sath__V1__GetBotLogsRequest *req,
                       Sath__V1__GetBotLogsResponse *resp)
{
    if (req->tail < 0 || req->tail > TAIL_MAX)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "tail must be 0 to %d", TAIL_MAX);
    int tail = req->tail ? req->tail : TAIL_DEFAULT;
    long long since_ms = 0;
    if (req->since) {
        if (req->since->seconds < 0 || req->since->nanos < 0 || req->since->nanos > 999999999)
            return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "since is not a valid time");
        since_ms = (long long)req->since->seconds * 1000 + req->since->nanos / 1000000;
    }
    redisContext *rc_ = NULL;
    int rc = sathd_svc_redis_open(call, &rc_);
    if (rc != SATHD_OK)
        return rc;
    char key[96], from[32];
    snprintf(key, sizeof key, "%s%s", SATHD_BOTLOG_KEY_PREFIX, sathd_call_identity(call)->user_id);
    snprintf(from, sizeof from, "%lld", since_ms);
    /* newest first, `tail` of them (+ a few for end markers, skipped below) */
    redisReply *r = redisCommand(rc_, "XREVRANGE %s + %s COUNT %d", key, since_ms ? from : "-",
                                 tail + 16);
    sathd_svc_redis_close(call, rc_);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        if (r)
            freeReplyObject(r);
        return sathd_call_error(call, SATHD_UNAVAILABLE, "log store unavailable, try again later");
    }
    resp->lines = sathd_call_alloc(call, (r->elements + 1) * sizeof *resp->lines);
    if (!resp->lines) {
        freeReplyObject(r);
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < r->elements && (int)n < tail && rc == SATHD_OK; i++) {
        Sath__V1__LogLine *line = NULL;
        rc = sathd_bot_logline_from_entry(call, r->element[i], &line);
        if (line && (!since_ms || line->time->seconds * 1000 + line->time->nanos / 1000000 >= since_ms))
            resp->lines[n++] = line;
    }
    freeReplyObject(r);
    /* oldest first */
    for (size_t i = 0; i < n / 2; i++) {
        Sath__V1__LogLine *t = resp->lines[i];
        resp->lines[i] = resp->lines[n - 1 - i];
        resp->lines[n - 1 - i] = t;
    }
    resp->n_lines = n;
    return rc;
}
