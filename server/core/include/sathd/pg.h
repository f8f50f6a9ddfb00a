/*
 * pg.h - sathd's PostgreSQL access: a thread-safe pool of libpq connections, prepared
 * statements, per-query deadlines, SQLSTATE → status mapping, and the text-format
 * helpers (UUID, timestamptz) the services need.
 *
 * Model: a thread acquires a connection, runs parameterised queries on it, and
 * releases it.  A connection is used by one thread at a time (libpq's rule).
 * Connections open lazily, on first acquire, and are re-opened by themselves after a
 * failure; every connection runs with TimeZone=UTC, DateStyle=ISO and the pool's
 * default statement_timeout.
 *
 * Errors: a query function returns NULL on failure and leaves a classified error on
 * the connection (sathd_pg_last_error).  A broken connection is reported as
 * SATHD_UNAVAILABLE; the pool reconnects it on a later acquire.
 */
#ifndef SATHD_PG_H
#define SATHD_PG_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "sathd/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sathd_pg_pool sathd_pg_pool;
typedef struct sathd_pg_conn sathd_pg_conn;

/* A statement known at compile time.  Define them `static const`: the pool identifies
 * a statement by its address and prepares it once per connection.  `name` must be
 * unique in the process (it is the server-side prepared statement name). */
typedef struct sathd_pg_stmt {
    const char *name;
    const char *sql;
    int nparams;
} sathd_pg_stmt;

/* A classified failure.  `message` is PostgreSQL's primary message or ours; it holds
 * no parameter values (the DETAIL line, which may, is not kept). */
typedef struct sathd_pg_error {
    sathd_status code;     /* SATHD_OK when there was no error */
    char sqlstate[6];      /* "" when not from the server */
    char constraint[64];   /* violated constraint, "" if none */
    char message[256];
} sathd_pg_error;

typedef struct sathd_pg_pool_options {
    const char *conninfo;         /* libpq URL or key=value string (required) */
    int size;                     /* connections, >= 1 */
    int statement_timeout_ms;     /* default per connection, >= 1 */
    int connect_timeout_s;        /* 0 = 5 s; libpq's minimum is 2 */
    const char *application_name; /* NULL = "sathd" */
} sathd_pg_pool_options;

/* Creates a pool (no connection is opened yet).  NULL with a reason on bad options. */
sathd_pg_pool *sathd_pg_pool_new(const sathd_pg_pool_options *opt, char *err, size_t errlen);
/* Closes every connection.  All connections must have been released. */
void sathd_pg_pool_free(sathd_pg_pool *pool);

/* Takes a connection, waiting up to `timeout_ms` (<= 0: do not wait) for one to be
 * free, opening it when needed.  NULL when none is free in time (code
 * SATHD_RESOURCE_EXHAUSTED) or the server cannot be reached (SATHD_UNAVAILABLE); the
 * reason goes to `why` when it is not NULL.  Give it back with sathd_pg_release. */
sathd_pg_conn *sathd_pg_acquire(sathd_pg_pool *pool, int64_t timeout_ms, sathd_pg_error *why);
/* Returns a connection to the pool.  An open transaction is rolled back; a broken
 * connection is closed and reopened on a later acquire.  NULL is ignored. */
void sathd_pg_release(sathd_pg_pool *pool, sathd_pg_conn *c);

/* Runs a prepared statement (prepared on this connection the first time).  `params`
 * are text values (NULL entry = SQL NULL), st->nparams of them.  `timeout_ms` is the
 * time left to the caller's deadline: when 0 < timeout_ms < the pool default the
 * statement runs with that statement_timeout; otherwise (<= 0, INT64_MAX, >= default)
 * it costs exactly one round trip.  Returns a result with status TUPLES_OK or
 * COMMAND_OK, which the caller frees with PQclear, or NULL (see sathd_pg_last_error). */
PGresult *sathd_pg_query(sathd_pg_conn *c, const sathd_pg_stmt *st, const char *const *params,
                         int64_t timeout_ms);
/* The same for SQL that is not worth preparing (unnamed statement; still parameterised). */
PGresult *sathd_pg_exec_params(sathd_pg_conn *c, const char *sql, int nparams,
                               const char *const *params, int64_t timeout_ms);
/* Runs a trusted multi-statement script with no parameters (migrations only). */
PGresult *sathd_pg_exec_script(sathd_pg_conn *c, const char *sql);

/* BEGIN / COMMIT / ROLLBACK: 0, or -1 with sathd_pg_last_error set.  A COMMIT that the
 * server turns into a rollback (the transaction had failed) returns -1 (ABORTED). */
int sathd_pg_begin(sathd_pg_conn *c);
int sathd_pg_commit(sathd_pg_conn *c);
int sathd_pg_rollback(sathd_pg_conn *c);

/* The error of the last failed call on `c` (code SATHD_OK after a success). */
const sathd_pg_error *sathd_pg_last_error(const sathd_pg_conn *c);
/* The underlying connection, for libpq calls that do not run SQL (PQescape*, ...). */
PGconn *sathd_pg_conn_raw(sathd_pg_conn *c);

/* Status class of a SQLSTATE: 23505 → ALREADY_EXISTS; 23503/23514/23502/22xxx →
 * INVALID_ARGUMENT; 57014 → DEADLINE_EXCEEDED; 08xxx/57P0x/53xxx → UNAVAILABLE;
 * 40001/40P01/55P03 → ABORTED; anything else (and NULL) → INTERNAL. */
sathd_status sathd_pg_sqlstate_status(const char *sqlstate);

/* 0 when `SELECT 1` succeeds within timeout_ms (acquire included), else -1. */
int sathd_pg_ping(sathd_pg_pool *pool, int64_t timeout_ms);

/* 1 when `s` is a UUID in canonical text form (8-4-4-4-12 hex, either case), else 0. */
int sathd_uuid_valid(const char *s);
/* Parses PostgreSQL's ISO timestamptz output ("2026-11-27 18:25:13.123456+00", also
 * offsets like +05:30 and the "infinity" forms are rejected) into unix seconds and
 * nanoseconds.  0, or -1 when malformed. */
int sathd_pg_timestamptz_parse(const char *s, int64_t *seconds, int32_t *nanos);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_PG_H */
