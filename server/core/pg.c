/*
 * pg.c - the PostgreSQL connection pool and query functions (API in sathd/pg.h).
 *
 * Invariants:
 *  - pool->mu guards only the free stack; a connection taken from it belongs to one
 *    thread until released, so its fields need no lock.
 *  - conn->pg == NULL means "not open": the next acquire opens it.
 *  - conn->prepared lists the statements prepared on the current PGconn; it is
 *    emptied whenever the PGconn is replaced.
 *  - conn->cur_timeout_ms is the statement_timeout the session has now, or -1 when
 *    unknown (a transaction that changed it ended, possibly by rollback).  Queries
 *    only pay a round trip to change it when it differs from what they need.
 */
#include "sathd/pg.h"

#include "sathd/log.h"
#include "slots.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sathd_pg_conn {
    PGconn *pg;
    const sathd_pg_stmt **prepared;
    size_t nprepared, capprepared;
    int cur_timeout_ms;
    int timeout_set_in_txn; /* set_config ran inside the current transaction */
    sathd_pg_error err;
    sathd_pg_pool *pool;
};

struct sathd_pg_pool {
    sathd_slots slots; /* free indexes into conns */
    sathd_pg_conn *conns;
    int size;
    const char **kw; /* NULL-terminated connection keywords / values (owned) */
    char **vals;
    size_t nparams;
    size_t connect_timeout_idx; /* kw[] index of "connect_timeout" */
    int connect_timeout_s;
    int default_timeout_ms;
};

static void set_error(sathd_pg_error *e, sathd_status code, const char *sqlstate,
                      const char *msg)
{
    if (!e)
        return;
    e->code = code;
    snprintf(e->sqlstate, sizeof e->sqlstate, "%s", sqlstate ? sqlstate : "");
    e->constraint[0] = '\0';
    /* keep the first line: libpq appends hints and connection details after it */
    snprintf(e->message, sizeof e->message, "%.*s", (int)strcspn(msg ? msg : "", "\n"),
             msg ? msg : "");
}

sathd_status sathd_pg_sqlstate_status(const char *s)
{
    if (!s || strlen(s) != 5)
        return SATHD_INTERNAL;
    if (strcmp(s, "23505") == 0)
        return SATHD_ALREADY_EXISTS;
    if (strcmp(s, "23503") == 0 || strcmp(s, "23514") == 0 || strcmp(s, "23502") == 0 ||
        strncmp(s, "22", 2) == 0)
        return SATHD_INVALID_ARGUMENT;
    if (strcmp(s, "57014") == 0)
        return SATHD_DEADLINE_EXCEEDED;
    if (strncmp(s, "08", 2) == 0 || strncmp(s, "57P0", 4) == 0 || strncmp(s, "53", 2) == 0)
        return SATHD_UNAVAILABLE;
    if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 || strcmp(s, "55P03") == 0)
        return SATHD_ABORTED;
    return SATHD_INTERNAL;
}

/* ---- pool construction ------------------------------------------------------------ */

static int add_param(sathd_pg_pool *p, size_t *n, const char *k, const char *v)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(p->kw[i], k) == 0) {
            char *dup = strdup(v);
            if (!dup)
                return -1;
            free(p->vals[i]);
            p->vals[i] = dup;
            return 0;
        }
    }
    p->kw[*n] = strdup(k);
    p->vals[*n] = strdup(v);
    if (!p->kw[*n] || !p->vals[*n])
        return -1;
    (*n)++;
    return 0;
}

/* Turns the user's conninfo into keyword/value arrays with our session settings
 * appended to any `options` the user gave. */
static int build_params(sathd_pg_pool *p, const sathd_pg_pool_options *opt, char *err,
                        size_t errlen)
{
    char *why = NULL;
    PQconninfoOption *ci = PQconninfoParse(opt->conninfo, &why);
    if (!ci) {
        snprintf(err, errlen, "bad PostgreSQL connection string: %s", why ? why : "no memory");
        PQfreemem(why);
        return -1;
    }
    size_t cap = 4, n = 0;
    for (PQconninfoOption *o = ci; o->keyword; o++)
        cap++;
    p->kw = calloc(cap, sizeof *p->kw);
    p->vals = calloc(cap, sizeof *p->vals);
    int rc = p->kw && p->vals ? 0 : -1;
    char options[1024] = "";
    for (PQconninfoOption *o = ci; o->keyword && rc == 0; o++) {
        if (!o->val)
            continue;
        if (strcmp(o->keyword, "options") == 0)
            snprintf(options, sizeof options, "%s ", o->val);
        else
            rc = add_param(p, &n, o->keyword, o->val);
    }
    PQconninfoFree(ci);
    size_t used = strlen(options);
    snprintf(options + used, sizeof options - used,
             "-c statement_timeout=%d -c TimeZone=UTC -c DateStyle=ISO",
             opt->statement_timeout_ms);
    char ct[16];
    p->connect_timeout_s = opt->connect_timeout_s > 0 ? opt->connect_timeout_s : 5;
    snprintf(ct, sizeof ct, "%d", p->connect_timeout_s);
    if (rc == 0)
        rc = add_param(p, &n, "options", options);
    if (rc == 0)
        rc = add_param(p, &n, "connect_timeout", ct);
    if (rc == 0)
        rc = add_param(p, &n, "application_name",
                       opt->application_name ? opt->application_name : "sathd");
    for (size_t i = 0; i < n && rc == 0; i++)
        if (strcmp(p->kw[i], "connect_timeout") == 0)
            p->connect_timeout_idx = i;
    p->nparams = n;
    if (rc != 0)
        snprintf(err, errlen, "out of memory");
    return rc;
}

sathd_pg_pool *sathd_pg_pool_new(const sathd_pg_pool_options *opt, char *err, size_t errlen)
{
    if (!opt || !opt->conninfo || opt->size < 1 || opt->statement_timeout_ms < 1) {
        snprintf(err, errlen, "pool needs a conninfo, size >= 1 and statement_timeout >= 1");
        return NULL;
    }
    sathd_pg_pool *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->size = opt->size;
    p->default_timeout_ms = opt->statement_timeout_ms;
    p->conns = calloc((size_t)opt->size, sizeof *p->conns);
    if (sathd_slots_init(&p->slots, opt->size) != 0 || !p->conns) {
        snprintf(err, errlen, "out of memory");
        sathd_pg_pool_free(p);
        return NULL;
    }
    if (build_params(p, opt, err, errlen) != 0) {
        sathd_pg_pool_free(p);
        return NULL;
    }
    for (int i = 0; i < p->size; i++) {
        p->conns[i].pool = p;
        p->conns[i].cur_timeout_ms = -1;
    }
    return p;
}

static void conn_close(sathd_pg_conn *c)
{
    if (c->pg)
        PQfinish(c->pg);
    c->pg = NULL;
    c->nprepared = 0;
    c->cur_timeout_ms = -1;
    c->timeout_set_in_txn = 0;
}

void sathd_pg_pool_free(sathd_pg_pool *p)
{
    if (!p)
        return;
    for (int i = 0; p->conns && i < p->size; i++) {
        conn_close(&p->conns[i]);
        free(p->conns[i].prepared);
    }
    for (size_t i = 0; p->kw && p->kw[i]; i++) {
        free((char *)p->kw[i]);
        free(p->vals[i]);
    }
    free(p->kw);
    free(p->vals);
    free(p->conns);
    sathd_slots_destroy(&p->slots);
    free(p);
}

/* ---- acquire / release ------------------------------------------------------------ */

/* An idle session should have nothing to read: bytes (or EOF) arriving while idle
 * mean the server ended it (pg_terminate_backend, restart) or sent something we do
 * not expect.  Either way a fresh connection is the safe answer, and checking costs
 * one poll(2), no round trip. */
static int conn_usable(const sathd_pg_conn *c)
{
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK ||
        PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        return 0;
    struct pollfd pfd = {.fd = PQsocket(c->pg), .events = POLLIN};
    return pfd.fd >= 0 && poll(&pfd, 1, 0) == 0;
}

/* Server NOTICEs (e.g. "already exists, skipping") go to the log, not to stderr. */
static void notice_to_log(void *arg, const char *message)
{
    (void)arg;
    sathd_log(SATHD_LOG_DEBUG, "msg=\"postgres notice\" notice=\"%.*s\"",
              (int)strcspn(message, "\n\""), message);
}

/* Opens the connection, giving up after the caller's timeout when that is shorter than
 * the pool's connect_timeout (libpq counts whole seconds, at least 2). */
static int conn_open(sathd_pg_conn *c, int64_t timeout_ms, sathd_pg_error *why)
{
    sathd_pg_pool *p = c->pool;
    conn_close(c);
    const char **vals = malloc((p->nparams + 1) * sizeof *vals);
    if (!vals) {
        set_error(why, SATHD_UNAVAILABLE, NULL, "out of memory");
        return -1;
    }
    memcpy(vals, p->vals, (p->nparams + 1) * sizeof *vals);
    char ct[24];
    int64_t secs = timeout_ms > 0 ? (timeout_ms + 999) / 1000 : p->connect_timeout_s;
    if (secs < p->connect_timeout_s) {
        snprintf(ct, sizeof ct, "%d", secs < 2 ? 2 : (int)secs);
        vals[p->connect_timeout_idx] = ct;
    }
    c->pg = PQconnectdbParams(p->kw, vals, 0);
    free(vals);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        set_error(why, SATHD_UNAVAILABLE, "08001",
                  c->pg ? PQerrorMessage(c->pg) : "out of memory");
        conn_close(c);
        return -1;
    }
    PQsetNoticeProcessor(c->pg, notice_to_log, NULL);
    c->cur_timeout_ms = p->default_timeout_ms;
    return 0;
}

static void push_free(sathd_pg_pool *p, sathd_pg_conn *c)
{
    sathd_slots_give(&p->slots, (int)(c - p->conns));
}

sathd_pg_conn *sathd_pg_acquire(sathd_pg_pool *p, int64_t timeout_ms, sathd_pg_error *why)
{
    int idx = sathd_slots_take(&p->slots, timeout_ms);
    if (idx < 0) {
        set_error(why, SATHD_RESOURCE_EXHAUSTED, NULL,
                  "no database connection free before the deadline");
        return NULL;
    }
    sathd_pg_conn *c = &p->conns[idx];
    if (!conn_usable(c) && conn_open(c, timeout_ms, why) != 0) {
        push_free(p, c);
        return NULL;
    }
    memset(&c->err, 0, sizeof c->err);
    return c;
}

void sathd_pg_release(sathd_pg_pool *p, sathd_pg_conn *c)
{
    if (!c)
        return;
    if (c->pg) {
        PGTransactionStatusType tx = PQtransactionStatus(c->pg);
        if (tx == PQTRANS_INTRANS || tx == PQTRANS_INERROR) {
            /* the caller bailed out mid-transaction: never hand that state on */
            if (sathd_pg_rollback(c) != 0)
                conn_close(c);
        } else if (tx != PQTRANS_IDLE) {
            conn_close(c); /* unknown or still busy: start over */
        }
    }
    push_free(p, c);
}

/* ---- queries ---------------------------------------------------------------------- */

/* Records why `r` failed (r may be NULL); always returns NULL after clearing r. */
static PGresult *fail(sathd_pg_conn *c, PGresult *r)
{
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        set_error(&c->err, SATHD_UNAVAILABLE, "08006",
                  c->pg ? PQerrorMessage(c->pg) : "connection is closed");
    } else if (!r) {
        set_error(&c->err, SATHD_INTERNAL, NULL, PQerrorMessage(c->pg));
    } else {
        const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        const char *con = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
        set_error(&c->err, sathd_pg_sqlstate_status(st), st,
                  msg ? msg : PQresultErrorMessage(r));
        snprintf(c->err.constraint, sizeof c->err.constraint, "%s", con ? con : "");
    }
    PQclear(r);
    return NULL;
}

/* Checks a result and keeps the statement_timeout bookkeeping right when a
 * transaction ended (its rollback undoes a set_config made inside it). */
static PGresult *finish(sathd_pg_conn *c, PGresult *r)
{
    if (c->timeout_set_in_txn && c->pg && PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
        c->cur_timeout_ms = -1;
        c->timeout_set_in_txn = 0;
    }
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
        return r;
    return fail(c, r);
}

static int apply_timeout(sathd_pg_conn *c, int64_t timeout_ms)
{
    int def = c->pool->default_timeout_ms;
    int want = timeout_ms > 0 && timeout_ms < def ? (int)timeout_ms : def;
    if (c->cur_timeout_ms == want)
        return 0;
    char v[24];
    snprintf(v, sizeof v, "%d", want);
    const char *params[1] = {v};
    PGresult *r = PQexecParams(c->pg, "SELECT set_config('statement_timeout', $1, false)", 1,
                               NULL, params, NULL, NULL, 0);
    if (!finish(c, r))
        return -1;
    PQclear(r);
    c->cur_timeout_ms = want;
    if (PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        c->timeout_set_in_txn = 1;
    return 0;
}

static int is_prepared(const sathd_pg_conn *c, const sathd_pg_stmt *st)
{
    for (size_t i = 0; i < c->nprepared; i++)
        if (c->prepared[i] == st)
            return 1;
    return 0;
}

static int prepare(sathd_pg_conn *c, const sathd_pg_stmt *st)
{
    if (c->nprepared == c->capprepared) {
        size_t cap = c->capprepared ? 2 * c->capprepared : 32;
        const sathd_pg_stmt **n = realloc(c->prepared, cap * sizeof *n);
        if (!n) {
            set_error(&c->err, SATHD_INTERNAL, NULL, "out of memory");
            return -1;
        }
        c->prepared = n;
        c->capprepared = cap;
    }
    PGresult *r = finish(c, PQprepare(c->pg, st->name, st->sql, st->nparams, NULL));
    if (!r)
        return -1;
    PQclear(r);
    c->prepared[c->nprepared++] = st;
    return 0;
}

/* Common start of every query: the connection must be open. */
static int ready(sathd_pg_conn *c)
{
    memset(&c->err, 0, sizeof c->err);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        fail(c, NULL);
        return -1;
    }
    return 0;
}

PGresult *sathd_pg_query(sathd_pg_conn *c, const sathd_pg_stmt *st, const char *const *params,
                         int64_t timeout_ms)
{
    if (ready(c) != 0 || apply_timeout(c, timeout_ms) != 0)
        return NULL;
    if (!is_prepared(c, st) && prepare(c, st) != 0)
        return NULL;
    return finish(c, PQexecPrepared(c->pg, st->name, st->nparams, params, NULL, NULL, 0));
}

PGresult *sathd_pg_exec_params(sathd_pg_conn *c, const char *sql, int nparams,
                               const char *const *params, int64_t timeout_ms)
{
    if (ready(c) != 0 || apply_timeout(c, timeout_ms) != 0)
        return NULL;
    return finish(c, PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0));
}

PGresult *sathd_pg_exec_script(sathd_pg_conn *c, const char *sql)
{
    if (ready(c) != 0)
        return NULL;
    PGresult *r = finish(c, PQexec(c->pg, sql));
    c->cur_timeout_ms = -1; /* a script may SET anything */
    return r;
}

static int simple(sathd_pg_conn *c, const char *sql)
{
    if (ready(c) != 0)
        return -1;
    PGresult *r = finish(c, PQexec(c->pg, sql));
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

int sathd_pg_begin(sathd_pg_conn *c) { return simple(c, "BEGIN"); }

int sathd_pg_commit(sathd_pg_conn *c)
{
    int inerror = c->pg && PQtransactionStatus(c->pg) == PQTRANS_INERROR;
    if (simple(c, "COMMIT") != 0)
        return -1;
    if (inerror) { /* the server answered ROLLBACK to our COMMIT */
        set_error(&c->err, SATHD_ABORTED, NULL, "transaction had failed and was rolled back");
        return -1;
    }
    return 0;
}

int sathd_pg_rollback(sathd_pg_conn *c) { return simple(c, "ROLLBACK"); }

const sathd_pg_error *sathd_pg_last_error(const sathd_pg_conn *c) { return &c->err; }

PGconn *sathd_pg_conn_raw(sathd_pg_conn *c) { return c->pg; }

int sathd_pg_ping(sathd_pg_pool *p, int64_t timeout_ms)
{
    sathd_pg_conn *c = sathd_pg_acquire(p, timeout_ms, NULL);
    if (!c)
        return -1;
    PGresult *r = sathd_pg_exec_params(c, "SELECT 1", 0, NULL, timeout_ms);
    int ok = r && PQntuples(r) == 1;
    PQclear(r);
    sathd_pg_release(p, c);
    return ok ? 0 : -1;
}
