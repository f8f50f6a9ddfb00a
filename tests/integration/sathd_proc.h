/*
 * sathd_proc.h - test fixture: a real sathd child process with its own fresh database.
 *
 * sathd_proc_start() creates database it_<random> next to SATH_TEST_DATABASE_URL,
 * runs `sathd migrate` and `sathd serve` on 127.0.0.1 with a port the kernel picks
 * (read back from sathd's "serving" log line), and waits until it answers.  Redis is
 * SATH_TEST_REDIS_URL, shared (every key sathd writes is scoped by random ids).
 */
#ifndef SATH_TEST_SATHD_PROC_H
#define SATH_TEST_SATHD_PROC_H

#include <sys/types.h>

typedef struct sathd_proc {
    pid_t pid;
    int port;
    char target[64];     /* "127.0.0.1:PORT" */
    int http_port;       /* in-process REST gateway (SATH_HTTP_ADDR=127.0.0.1:0), 0 when off */
    char http_base[64];  /* "http://127.0.0.1:PORT" or "" */
    char dbname[40];
    char conninfo[1024]; /* libpq key=value conninfo of the test database */
    char log_path[256];  /* sathd's stderr */
} sathd_proc;

/* Path of the sathd binary: $SATHD_BIN (set by CMake for every integration test). */
const char *sathd_proc_binary(void);

/* Starts sathd with `extra_env` (NULL-terminated "KEY=VALUE" list, may be NULL) added to
 * the test environment.  0, or -1 with a message on stderr. */
int sathd_proc_start(sathd_proc *p, const char *const *extra_env);
/* Starts a second sathd on the database of `first` (already migrated; dropped only when
 * `first` stops).  Give both the same SATH_JWT_ED25519_KEY in extra_env so each accepts
 * the other's tokens. */
int sathd_proc_start_peer(sathd_proc *p, const sathd_proc *first, const char *const *extra_env);
/* SIGTERM, waits for exit; returns sathd's exit status (0 for a clean shutdown), drops
 * the database. */
int sathd_proc_stop(sathd_proc *p);
/* Stops sathd (SIGTERM) and serves again on the same database, with `extra_env` (as for
 * sathd_proc_start; pass the same SATH_JWT_ED25519_KEY there to keep tokens valid).
 * gRPC keeps its address (p->target), so clients and bots that know only it reconnect;
 * the HTTP port changes.  0, or -1. */
int sathd_proc_restart(sathd_proc *p, const char *const *extra_env);
/* Runs one SQL statement on the test database (for fixtures that seed or inspect rows);
 * returns the first cell of the first row as a malloc'd string ("" if none), or NULL on error. */
char *sathd_proc_sql(const sathd_proc *p, const char *sql, const char *param1);
/* Puts user `user_id` on plan `plan` (a plans.name) the way billing would leave it: any
 * live subscription canceled, then for a paid plan a new ACTIVE one, and users.plan_id
 * set.  (sathd recomputes the effective plan from the subscription, so writing
 * users.plan_id alone does not last.)  0, or -1. */
int sathd_proc_set_plan(const sathd_proc *p, const char *user_id, const char *plan);
/* Makes user `user_id`'s active subscription past due since `days` days ago, as a failed
 * payment with no webhook since would leave it (users.plan_id untouched).  0 when exactly
 * one subscription changed, else -1. */
int sathd_proc_set_past_due(const sathd_proc *p, const char *user_id, int days);
/* The name of the plan in users.plan_id of `user_id`, malloc'd; NULL on error. */
char *sathd_proc_plan_name(const sathd_proc *p, const char *user_id);

#endif
