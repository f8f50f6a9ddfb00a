/*
 * svc.h - what the sath.v1 handlers and the domain stores share: bounded access to
 * PostgreSQL and Redis on behalf of a call (svc_pg.c, svc_redis.c), status mapping
 * (svc_session.c), and response fields built in the call arena (svc_fields.c).
 *
 * Every function that fails has already recorded the call's status and message
 * (sathd_call_error) and returns that status, so handlers just `return` it.
 */
#ifndef SATHD_SVC_H
#define SATHD_SVC_H

#include <stdint.h>

#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include "sathd/app.h"
#include "sathd/call.h"
#include "sathd/password.h"
#include "sathd/session.h"
#include "google/protobuf/timestamp.pb-c.h"

/* Longest wait for a pooled connection, whatever the call's deadline says: a pool that
 * stays empty this long means the backend is down or overloaded, and the client is
 * better served by UNAVAILABLE than by waiting out its whole deadline. */
#define SATHD_SVC_ACQUIRE_MAX_MS 3000

/* Takes a PostgreSQL connection for the call (UNAVAILABLE / DEADLINE_EXCEEDED on failure).
 * The connection goes back to the pool when the call ends (sathd_call_defer), or
 * earlier with sathd_svc_pg_close. */
int sathd_svc_pg_open(sathd_call *call, sathd_pg_conn **out);
/* Gives it back now (before a slow step that needs no database); NULL is fine. */
void sathd_svc_pg_close(sathd_call *call, sathd_pg_conn *c);
/* BEGIN on c: SATHD_OK, or UNAVAILABLE ("database unavailable, try again later"). */
int sathd_svc_pg_begin(sathd_call *call, sathd_pg_conn *c);
/* COMMIT on c: SATHD_OK, or ABORTED ("concurrent change, try again"): a serialization
 * failure or a lost connection, either way the caller's request did not happen. */
int sathd_svc_pg_commit(sathd_call *call, sathd_pg_conn *c);
/* Runs a prepared statement bounded by the call's deadline.  On success *res is the
 * result, owned by the call: it is cleared when the call ends (hence const; never
 * PQclear it).  Copy what the response needs into the arena (sathd_svc_cell).  On
 * failure the error is mapped to a status (unique violation → ALREADY_EXISTS,
 * query_canceled → DEADLINE_EXCEEDED, connection loss → UNAVAILABLE, anything else
 * INTERNAL with the details only in the log). */
int sathd_svc_pg_query(sathd_call *call, sathd_pg_conn *c, const sathd_pg_stmt *st,
                       const char *const *params, const PGresult **res);
/* The same on a connection taken for it and given back right after. */
int sathd_svc_pg_query1(sathd_call *call, const sathd_pg_stmt *st, const char *const *params,
                        const PGresult **res);

/* Takes a Redis connection for the call; it goes back to the pool when the call ends,
 * or earlier with sathd_svc_redis_close (NULL is fine). */
int sathd_svc_redis_open(sathd_call *call, redisContext **out);
void sathd_svc_redis_close(sathd_call *call, redisContext *c);
/* Maps a session-store failure (never OK) to the call's status. */
int sathd_svc_session_error(sathd_call *call, sathd_session_rc rc, const char *what);

/* A Timestamp in the call's arena from microseconds since the epoch (as our SQL selects
 * them: `(extract(epoch from t) * 1e6)::bigint`); NULL text (SQL NULL) gives NULL. */
Google__Protobuf__Timestamp *sathd_svc_timestamp_us(sathd_call *call, const char *us_text);
/* Milliseconds since the epoch of a Timestamp a caller sent, into *ms: 0, or -1 when its
 * fields are outside what a Timestamp may hold (seconds within years 0001-9999, nanos
 * 0-999999999).  Checking first keeps seconds * 1000 from overflowing on wire input. */
int sathd_svc_timestamp_ms(const Google__Protobuf__Timestamp *t, int64_t *ms);
/* Rows an INSERT/UPDATE/DELETE result touched (PQcmdTuples as a number; 0 for others). */
long sathd_svc_affected(const PGresult *res);
/* Copy of a result cell into the arena ("" for SQL NULL). */
char *sathd_svc_cell(sathd_call *call, const PGresult *res, int row, int col);

/* 0 when the new password `pw` is strong enough (zxcvbn score >= SATH_PASSWORD_MIN_SCORE,
 * with the account's email and name, either may be NULL, as words it must not lean on);
 * else -1 with a message for the user in *why. */
int sathd_svc_password_strong(sathd_call *call, const char *pw, const char *email,
                              const char *name, const char **why);

/* Password hashing is bounded per client address (SATH_PWHASH_PER_IP running or waiting
 * at once), so one client's flood cannot fill the hash gate's queue: enter before a
 * hash/verify (RESOURCE_EXHAUSTED when the address has too many), leave after it. */
int sathd_svc_pw_enter(sathd_call *call);
void sathd_svc_pw_leave(sathd_call *call);

/* Maps a failed hash/verify (never OK or MISMATCH) to the call's status: BUSY is
 * RESOURCE_EXHAUSTED, BAD_INPUT INVALID_ARGUMENT, the rest INTERNAL naming `what`. */
int sathd_svc_pw_status(sathd_call *call, sathd_pw_result r, const char *what);

/* Unix time in seconds. */
int64_t sathd_svc_now(void);

#endif /* SATHD_SVC_H */
