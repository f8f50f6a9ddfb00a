/*
 * svc.c - shared plumbing of the sath.v1 handlers (see svc.h).
 *
 * Invariant: a connection taken for a call is always given back before the handler
 * returns; the pools never see a connection twice.
 */
#include "svc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sathd/log.h"
#include "sathd/password.h"
#include "sathd/ratelimit.h"

static int64_t acquire_budget(const sathd_call *call)
{
    int64_t left = sathd_call_remaining_ms(call);
    return left < SATHD_SVC_ACQUIRE_MAX_MS ? left : SATHD_SVC_ACQUIRE_MAX_MS;
}

int sathd_svc_pg_open(sathd_call *call, sathd_pg_conn **out)
{
    sathd_pg_error why;
    memset(&why, 0, sizeof why);
    int64_t budget = acquire_budget(call);
    if (budget <= 0)
        return sathd_call_error(call, SATHD_DEADLINE_EXCEEDED, "deadline exceeded");
    *out = sathd_pg_acquire(sathd_call_app(call)->pg, budget, &why);
    if (*out)
        return SATHD_OK;
    sathd_log(SATHD_LOG_WARN, "msg=\"database unavailable\" request_id=%s reason=\"%s\"",
              sathd_call_request_id(call), why.message);
    return sathd_call_error(call, SATHD_UNAVAILABLE, "database unavailable, try again later");
}

void sathd_svc_pg_close(sathd_call *call, sathd_pg_conn *c)
{
    if (c)
        sathd_pg_release(sathd_call_app(call)->pg, c);
}

/* What a violated constraint means for the client, named by the field, never by the
 * database's own names (they describe our schema to an attacker and help nobody else).
 * PostgreSQL names column CHECKs <table>_<column>_check; the table prefix is dropped. */
static const char *constraint_message(sathd_call *call, const char *constraint)
{
    static const struct { const char *name, *msg; } known[] = {
        {"ai_keys_base_url_check", "base_url: must be an https:// URL"},
        {"ai_keys_check", "base_url: required for the openai_compatible provider"},
        {"users_email_check", "email: not a valid email address"},
    };
    static const char *const tables[] = {"subscriptions_", "bot_instances_", "api_keys_",
                                         "ai_keys_", "users_", "plans_"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(constraint, known[i].name) == 0)
            return known[i].msg;
    size_t n = strlen(constraint);
    if (n > 6 && strcmp(constraint + n - 6, "_check") == 0) {
        for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
            size_t t = strlen(tables[i]);
            if (strncmp(constraint, tables[i], t) == 0 && n - 6 > t) {
                char *m = sathd_call_printf(call, "%.*s: value not allowed", (int)(n - 6 - t),
                                            constraint + t);
                if (m)
                    return m;
            }
        }
    }
    return "a value is not allowed";
}

int sathd_svc_pg_query(sathd_call *call, sathd_pg_conn *c, const sathd_pg_stmt *st,
                       const char *const *params, PGresult **res)
{
    int64_t left = sathd_call_remaining_ms(call);
    if (left <= 0)
        return sathd_call_error(call, SATHD_DEADLINE_EXCEEDED, "deadline exceeded");
    *res = sathd_pg_query(c, st, params, left == INT64_MAX ? 0 : left);
    if (*res)
        return SATHD_OK;
    const sathd_pg_error *e = sathd_pg_last_error(c);
    switch (e->code) {
    case SATHD_ALREADY_EXISTS:
        return sathd_call_error(call, SATHD_ALREADY_EXISTS, "already exists");
    case SATHD_DEADLINE_EXCEEDED:
        return sathd_call_error(call, SATHD_DEADLINE_EXCEEDED, "deadline exceeded");
    case SATHD_UNAVAILABLE:
        sathd_log(SATHD_LOG_WARN, "msg=\"database unavailable\" request_id=%s stmt=%s reason=\"%s\"",
                  sathd_call_request_id(call), st->name, e->message);
        return sathd_call_error(call, SATHD_UNAVAILABLE, "database unavailable, try again later");
    case SATHD_INVALID_ARGUMENT:
        sathd_log(SATHD_LOG_INFO, "msg=\"constraint refused a value\" request_id=%s stmt=%s "
                  "sqlstate=%s constraint=%s", sathd_call_request_id(call), st->name, e->sqlstate,
                  e->constraint[0] ? e->constraint : "-");
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "%s",
                                constraint_message(call, e->constraint));
    default:
        return sathd_call_error(call, SATHD_INTERNAL, "stmt %s failed: sqlstate=%s %s", st->name,
                                e->sqlstate, e->message);
    }
}

int sathd_svc_pg_query1(sathd_call *call, const sathd_pg_stmt *st, const char *const *params,
                        PGresult **res)
{
    sathd_pg_conn *c = NULL;
    int rc = sathd_svc_pg_open(call, &c);
    if (rc != SATHD_OK)
        return rc;
    rc = sathd_svc_pg_query(call, c, st, params, res);
    sathd_svc_pg_close(call, c);
    return rc;
}

int sathd_svc_redis_open(sathd_call *call, redisContext **out)
{
    char err[128] = "";
    int64_t budget = acquire_budget(call);
    if (budget <= 0)
        return sathd_call_error(call, SATHD_DEADLINE_EXCEEDED, "deadline exceeded");
    *out = sathd_redis_acquire(sathd_call_app(call)->redis, budget, err, sizeof err);
    if (*out)
        return SATHD_OK;
    sathd_log(SATHD_LOG_WARN, "msg=\"redis unavailable\" request_id=%s reason=\"%s\"",
              sathd_call_request_id(call), err);
    return sathd_call_error(call, SATHD_UNAVAILABLE, "session store unavailable, try again later");
}

void sathd_svc_redis_close(sathd_call *call, redisContext *c)
{
    if (c)
        sathd_redis_release(sathd_call_app(call)->redis, c);
}

int sathd_svc_session_error(sathd_call *call, sathd_session_rc rc, const char *what)
{
    switch (rc) {
    case SATHD_SESSION_UNAVAILABLE:
        sathd_log(SATHD_LOG_WARN, "msg=\"session store failed\" request_id=%s op=%s",
                  sathd_call_request_id(call), what);
        return sathd_call_error(call, SATHD_UNAVAILABLE, "session store unavailable, try again later");
    case SATHD_SESSION_REUSE_DETECTED:
        return sathd_call_error(call, SATHD_UNAUTHENTICATED,
                                "refresh token was already used; the session has been revoked");
    case SATHD_SESSION_INVALID:
    case SATHD_SESSION_REVOKED:
        return sathd_call_error(call, SATHD_UNAUTHENTICATED, "invalid or expired refresh token");
    case SATHD_SESSION_BAD_ARG:
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "malformed token");
    default:
        return sathd_call_error(call, SATHD_INTERNAL, "session op %s: %s", what,
                                sathd_session_strerror(rc));
    }
}

Google__Protobuf__Timestamp *sathd_svc_timestamp_us(sathd_call *call, const char *us_text)
{
    if (!us_text || !*us_text)
        return NULL;
    char *end = NULL;
    long long us = strtoll(us_text, &end, 10);
    if (!end || *end)
        return NULL;
    Google__Protobuf__Timestamp *ts = sathd_call_alloc(call, sizeof *ts);
    if (!ts)
        return NULL;
    google__protobuf__timestamp__init(ts);
    long long sec = us / 1000000, rem = us % 1000000;
    if (rem < 0) { /* floor division: nanos is never negative */
        rem += 1000000;
        sec -= 1;
    }
    ts->seconds = sec;
    ts->nanos = (int32_t)(rem * 1000);
    return ts;
}

char *sathd_svc_cell(sathd_call *call, const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return sathd_call_strdup(call, "");
    return sathd_call_strndup(call, PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col));
}

int64_t sathd_svc_now(void) { return (int64_t)time(NULL); }

int sathd_svc_password_strong(sathd_call *call, const char *pw, const char *email,
                              const char *name, const char **why)
{
    const char *inputs[] = {email, name, NULL};
    if (!email) {
        inputs[0] = name;
        inputs[1] = NULL;
    }
    return sathd_password_check_strength(pw, inputs, (int)sathd_call_app(call)->cfg->password_min_score,
                                         why);
}

int sathd_svc_pw_enter(sathd_call *call)
{
    sathd_app *app = sathd_call_app(call);
    const char *ip = sathd_call_client_ip(call);
    if (!app->pw_per_ip || !ip || sathd_rl_conc_acquire(app->pw_per_ip, ip) == 0)
        return SATHD_OK;
    sathd_ratelimit_info info = {
        .policy = "password-hashes-ip", .quota = app->cfg->pwhash_per_ip, .window_s = 1,
        .remaining = 0, .reset_s = 1, .retry_after_s = 1,
    };
    sathd_call_set_ratelimit(call, &info);
    return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED,
                            "too many password checks from your address at once, retry shortly");
}

void sathd_svc_pw_leave(sathd_call *call)
{
    sathd_app *app = sathd_call_app(call);
    const char *ip = sathd_call_client_ip(call);
    if (app->pw_per_ip && ip)
        sathd_rl_conc_release(app->pw_per_ip, ip);
}

int sathd_svc_pw_status(sathd_call *call, sathd_pw_result r, const char *what)
{
    switch (r) {
    case SATHD_PW_BUSY:
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED,
                                "too many password checks in progress, retry shortly");
    case SATHD_PW_BAD_INPUT:
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "password is too long");
    default:
        return sathd_call_error(call, SATHD_INTERNAL, "%s: %s", what, sathd_pw_strerror(r));
    }
}
