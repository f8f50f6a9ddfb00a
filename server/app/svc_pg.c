/*
 * svc_pg.c - PostgreSQL on behalf of a call (see sathd/svc.h): a pooled connection
 * bounded by the call's deadline, statements bounded by it too, and libpq's failures
 * mapped to statuses.
 *
 * Invariant: a connection taken for a call goes back to the pool exactly once: early by
 * sathd_svc_pg_close or when the call ends (sathd_call_defer); results are cleared when
 * the call ends.  A handler cannot leak either on any path.
 */
#include "svc_internal.h"

#include <string.h>

#include "sathd/log.h"

static void release_conn(sathd_call *call, void *c)
{
    sathd_pg_release(sathd_call_app(call)->pg, c);
}

static void clear_result(sathd_call *call, void *res)
{
    (void)call;
    PQclear(res);
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

int sathd_svc_pg_open(sathd_call *call, sathd_pg_conn **out)
{
    sathd_pg_error why;
    memset(&why, 0, sizeof why);
    int64_t budget = sathd_svc_acquire_budget(call);
    if (budget <= 0)
        return sathd_call_error(call, SATHD_DEADLINE_EXCEEDED, "deadline exceeded");
    void *c = sathd_pg_acquire(sathd_call_app(call)->pg, budget, &why);
    int rc = sathd_svc_hold(call, &c, release_conn, "database", "database", why.message);
    *out = c;
    return rc;
}

void sathd_svc_pg_close(sathd_call *call, sathd_pg_conn *c)
{
    if (c)
        sathd_call_defer_run(call, release_conn, c);
}

int sathd_svc_pg_begin(sathd_call *call, sathd_pg_conn *c)
{
    if (sathd_pg_begin(c) != 0)
        return sathd_call_error(call, SATHD_UNAVAILABLE, "database unavailable, try again later");
    return SATHD_OK;
}

int sathd_svc_pg_commit(sathd_call *call, sathd_pg_conn *c)
{
    if (sathd_pg_commit(c) != 0)
        return sathd_call_error(call, SATHD_ABORTED, "concurrent change, try again");
    return SATHD_OK;
}

int sathd_svc_pg_query(sathd_call *call, sathd_pg_conn *c, const sathd_pg_stmt *st,
                       const char *const *params, const PGresult **res)
{
    *res = NULL;
    int64_t left = sathd_call_remaining_ms(call);
    if (left <= 0)
        return sathd_call_error(call, SATHD_DEADLINE_EXCEEDED, "deadline exceeded");
    PGresult *r = sathd_pg_query(c, st, params, left == INT64_MAX ? 0 : left);
    if (r) {
        if (sathd_call_defer(call, clear_result, r) != 0) {
            PQclear(r);
            return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
        }
        *res = r;
        return SATHD_OK;
    }
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
                        const PGresult **res)
{
    sathd_pg_conn *c = NULL;
    int rc = sathd_svc_pg_open(call, &c);
    if (rc != SATHD_OK)
        return rc;
    rc = sathd_svc_pg_query(call, c, st, params, res);
    sathd_svc_pg_close(call, c);
    return rc;
}
