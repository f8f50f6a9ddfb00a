/*
 * torture_pg.c - the PostgreSQL pool against a real server: acquire/release under
 * threads, exhaustion, prepared statements, per-query statement_timeout, SQLSTATE
 * classes, reconnect after pg_terminate_backend, ping, and the text parsers.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sathd/pg.h"
#include "testdb.h"

#define POOL_SIZE 4
#define DEFAULT_TIMEOUT_MS 2000

typedef struct fixture {
    testdb db;
    sathd_pg_pool *pool;
} fixture;

static const sathd_pg_stmt add_one = {"torture_add_one", "SELECT $1::int + 1", 1};
static const sathd_pg_stmt sleep_stmt = {"torture_sleep", "SELECT pg_sleep($1::float8)", 1};
static const sathd_pg_stmt backend_pid = {"torture_pid", "SELECT pg_backend_pid()", 0};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int group_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || testdb_create(&f->db) != 0)
        return -1;
    sathd_pg_pool_options opt = {.conninfo = f->db.conninfo,
                                 .size = POOL_SIZE,
                                 .statement_timeout_ms = DEFAULT_TIMEOUT_MS,
                                 .application_name = "torture_pg"};
    char err[256];
    f->pool = sathd_pg_pool_new(&opt, err, sizeof err);
    if (!f->pool) {
        fprintf(stderr, "pool: %s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    sathd_pg_pool_free(f->pool);
    testdb_drop(&f->db);
    free(f);
    return 0;
}

/* Runs a single-value query on `c` and returns it as a long (fails the test on error). */
static long scalar(sathd_pg_conn *c, const char *sql)
{
    PGresult *r = sathd_pg_exec_params(c, sql, 0, NULL, 0);
    if (!r)
        fail_msg("%s: %s", sql, sathd_pg_last_error(c)->message);
    long v = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

typedef struct worker_arg {
    fixture *f;
    int iterations;
    int failures;
    int *in_use; /* shared counter, under mu */
    int *max_in_use;
    pthread_mutex_t *mu;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    for (int i = 0; i < a->iterations; i++) {
        sathd_pg_conn *c = sathd_pg_acquire(a->f->pool, 10000, NULL);
        if (!c) {
            a->failures++;
            continue;
        }
        pthread_mutex_lock(a->mu);
        if (++*a->in_use > *a->max_in_use)
            *a->max_in_use = *a->in_use;
        pthread_mutex_unlock(a->mu);
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        const char *params[1] = {v};
        PGresult *r = sathd_pg_query(c, &add_one, params, 0);
        if (!r || atoi(PQgetvalue(r, 0, 0)) != i + 1)
            a->failures++;
        PQclear(r);
        pthread_mutex_lock(a->mu);
        --*a->in_use;
        pthread_mutex_unlock(a->mu);
        sathd_pg_release(a->f->pool, c);
    }
    return NULL;
}

static void test_threads_share_the_pool(void **state)
{
    fixture *f = *state;
    enum { NTHREADS = 12 };
    pthread_t th[NTHREADS];
    worker_arg args[NTHREADS];
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    int in_use = 0, max_in_use = 0;
    for (int i = 0; i < NTHREADS; i++) {
        args[i] = (worker_arg){f, 60, 0, &in_use, &max_in_use, &mu};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    assert_true(max_in_use <= POOL_SIZE);
    assert_true(max_in_use >= 2); /* they really ran concurrently */
    /* never more server sessions than the pool size */
    const char *n = testdb_admin_query(
        NULL, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'torture_pg'");
    assert_non_null(n);
    assert_true(atoi(n) >= 1 && atoi(n) <= POOL_SIZE);
}

static void test_exhausted_pool_times_out(void **state)
{
    fixture *f = *state;
    sathd_pg_conn *held[POOL_SIZE];
    for (int i = 0; i < POOL_SIZE; i++)
        assert_non_null(held[i] = sathd_pg_acquire(f->pool, 1000, NULL));
    sathd_pg_error why;
    int64_t t0 = now_ms();
    assert_null(sathd_pg_acquire(f->pool, 150, &why));
    int64_t waited = now_ms() - t0;
    assert_true(waited >= 140 && waited < 1000);
    assert_int_equal(why.code, SATHD_RESOURCE_EXHAUSTED);
    assert_null(sathd_pg_acquire(f->pool, 0, &why));
    sathd_pg_release(f->pool, held[0]);
    sathd_pg_conn *c = sathd_pg_acquire(f->pool, 0, &why);
    assert_ptr_equal(c, held[0]);
    for (int i = 0; i < POOL_SIZE; i++)
        sathd_pg_release(f->pool, held[i]);
}

static void test_prepared_once_per_connection(void **state)
{
    fixture *f = *state;
    sathd_pg_conn *c = sathd_pg_acquire(f->pool, 1000, NULL);
    assert_non_null(c);
    const char *params[1] = {"41"};
    for (int i = 0; i < 3; i++) {
        PGresult *r = sathd_pg_query(c, &add_one, params, 0);
        assert_non_null(r);
        assert_string_equal(PQgetvalue(r, 0, 0), "42");
        PQclear(r);
    }
    assert_int_equal(scalar(c, "SELECT count(*) FROM pg_prepared_statements "
                               "WHERE name = 'torture_add_one'"),
                     1);
    /* a NULL parameter is SQL NULL */
    const char *null_param[1] = {NULL};
    PGresult *r = sathd_pg_query(c, &add_one, null_param, 0);
    assert_non_null(r);
    assert_true(PQgetisnull(r, 0, 0));
    PQclear(r);
    sathd_pg_release(f->pool, c);
}

static void show_timeout(sathd_pg_conn *c, int64_t timeout_ms, const char *expect)
{
    PGresult *r = sathd_pg_exec_params(c, "SHOW statement_timeout", 0, NULL, timeout_ms);
    assert_non_null(r);
    assert_string_equal(PQgetvalue(r, 0, 0), expect);
    PQclear(r);
}

static void test_statement_timeout_from_deadline(void **state)
{
    fixture *f = *state;
    sathd_pg_conn *c = sathd_pg_acquire(f->pool, 1000, NULL);
    assert_non_null(c);
    show_timeout(c, 0, "2s");
    show_timeout(c, INT64_MAX, "2s");
    show_timeout(c, 5000, "2s"); /* a later deadline never raises the default */
    show_timeout(c, 750, "750ms");
    show_timeout(c, 0, "2s");

    const char *params[1] = {"1.5"};
    int64_t t0 = now_ms();
    assert_null(sathd_pg_query(c, &sleep_stmt, params, 200));
    int64_t took = now_ms() - t0;
    assert_int_equal(sathd_pg_last_error(c)->code, SATHD_DEADLINE_EXCEEDED);
    assert_string_equal(sathd_pg_last_error(c)->sqlstate, "57014");
    assert_true(took >= 150 && took < 1200);

    /* the default applies when the caller has more time than it */
    params[0] = "2.5";
    t0 = now_ms();
    assert_null(sathd_pg_query(c, &sleep_stmt, params, 0));
    took = now_ms() - t0;
    assert_int_equal(sathd_pg_last_error(c)->code, SATHD_DEADLINE_EXCEEDED);
    assert_true(took >= DEFAULT_TIMEOUT_MS - 100 && took < 2400);
    sathd_pg_release(f->pool, c);
}

/* Round trips of one call, counted as Sync messages in libpq's protocol trace. */
static int syncs_of_query(sathd_pg_conn *c, int64_t timeout_ms)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *trace = open_memstream(&buf, &len);
    assert_non_null(trace);
    PQtrace(sathd_pg_conn_raw(c), trace);
    PQsetTraceFlags(sathd_pg_conn_raw(c), PQTRACE_SUPPRESS_TIMESTAMPS);
    const char *params[1] = {"1"};
    PGresult *r = sathd_pg_query(c, &add_one, params, timeout_ms);
    PQuntrace(sathd_pg_conn_raw(c));
    fclose(trace);
    assert_non_null(r);
    PQclear(r);
    int n = 0;
    for (const char *p = buf; (p = strstr(p, "F\t4\tSync")) != NULL; p++)
        n++;
    free(buf);
    return n;
}

static void test_common_case_is_one_round_trip(void **state)
{
    fixture *f = *state;
    sathd_pg_conn *c = sathd_pg_acquire(f->pool, 1000, NULL);
    assert_non_null(c);
    syncs_of_query(c, 0); /* prepares on this connection if not yet done */
    assert_int_equal(syncs_of_query(c, 0), 1);
    assert_int_equal(syncs_of_query(c, INT64_MAX), 1);
    assert_int_equal(syncs_of_query(c, DEFAULT_TIMEOUT_MS), 1);
    assert_int_equal(syncs_of_query(c, 60000), 1);
    assert_int_equal(syncs_of_query(c, 500), 2); /* lowers statement_timeout first */
    assert_int_equal(syncs_of_query(c, 500), 1); /* already there */
    assert_int_equal(syncs_of_query(c, 0), 2);   /* back to the default */
    assert_int_equal(syncs_of_query(c, 0), 1);
    sathd_pg_release(f->pool, c);
}

static void test_timeout_restored_after_rollback(void **state)
{
    fixture *f = *state;
    sathd_pg_conn *c = sathd_pg_acquire(f->pool, 1000, NULL);
    assert_non_null(c);
    assert_int_equal(sathd_pg_begin(c), 0);
    show_timeout(c, 0, "2s");
    const char *params[1] = {"1"};
    assert_null(sathd_pg_query(c, &sleep_stmt, params, 100)); /* sets 100ms, then fails */
    assert_int_equal(sathd_pg_commit(c), -1);                 /* server rolls back */
    assert_int_equal(sathd_pg_last_error(c)->code, SATHD_ABORTED);
    show_timeout(c, 0, "2s");
    show_timeout(c, 300, "300ms");
    /* a caller that forgets its transaction: release rolls it back */
    assert_int_equal(sathd_pg_begin(c), 0);
    show_timeout(c, 400, "400ms");
    sathd_pg_release(f->pool, c);
    c = sathd_pg_acquire(f->pool, 1000, NULL);
    assert_non_null(c);
    assert_int_equal(PQtransactionStatus(sathd_pg_conn_raw(c)), PQTRANS_IDLE);
    show_timeout(c, 0, "2s");
    sathd_pg_release(f->pool, c);
}

static void test_error_classes(void **state)
{
    fixture *f = *state;
    assert_int_equal(sathd_pg_sqlstate_status("23505"), SATHD_ALREADY_EXISTS);
    assert_int_equal(sathd_pg_sqlstate_status("23503"), SATHD_INVALID_ARGUMENT);
    assert_int_equal(sathd_pg_sqlstate_status("23514"), SATHD_INVALID_ARGUMENT);
    assert_int_equal(sathd_pg_sqlstate_status("22P02"), SATHD_INVALID_ARGUMENT);
    assert_int_equal(sathd_pg_sqlstate_status("57014"), SATHD_DEADLINE_EXCEEDED);
    assert_int_equal(sathd_pg_sqlstate_status("08006"), SATHD_UNAVAILABLE);
    assert_int_equal(sathd_pg_sqlstate_status("57P01"), SATHD_UNAVAILABLE);
    assert_int_equal(sathd_pg_sqlstate_status("40001"), SATHD_ABORTED);
    assert_int_equal(sathd_pg_sqlstate_status("42601"), SATHD_INTERNAL);
    assert_int_equal(sathd_pg_sqlstate_status(NULL), SATHD_INTERNAL);

    sathd_pg_conn *c = sathd_pg_acquire(f->pool, 1000, NULL);
    assert_non_null(c);
    PGresult *r = sathd_pg_exec_params(
        c, "CREATE TABLE IF NOT EXISTS things (k text PRIMARY KEY CHECK (k <> 'bad'))", 0, NULL,
        0);
    assert_non_null(r);
    PQclear(r);
    const char *p[1] = {"a"};
    const char *ins = "INSERT INTO things VALUES ($1)";
    assert_non_null(r = sathd_pg_exec_params(c, ins, 1, p, 0));
    PQclear(r);
    assert_null(sathd_pg_exec_params(c, ins, 1, p, 0));
    assert_int_equal(sathd_pg_last_error(c)->code, SATHD_ALREADY_EXISTS);
    assert_string_equal(sathd_pg_last_error(c)->constraint, "things_pkey");
    assert_null(strstr(sathd_pg_last_error(c)->message, "(k)=(a)")); /* no DETAIL values */
    p[0] = "bad";
    assert_null(sathd_pg_exec_params(c, ins, 1, p, 0));
    assert_int_equal(sathd_pg_last_error(c)->code, SATHD_INVALID_ARGUMENT);
    p[0] = "not-a-uuid";
    assert_null(sathd_pg_exec_params(c, "SELECT $1::uuid", 1, p, 0));
    assert_int_equal(sathd_pg_last_error(c)->code, SATHD_INVALID_ARGUMENT);
    assert_null(sathd_pg_exec_params(c, "SELEC 1", 0, NULL, 0));
    assert_int_equal(sathd_pg_last_error(c)->code, SATHD_INTERNAL);
    /* success clears the error */
    assert_non_null(r = sathd_pg_exec_params(c, "SELECT 1", 0, NULL, 0));
    PQclear(r);
    assert_int_equal(sathd_pg_last_error(c)->code, SATHD_OK);
    sathd_pg_release(f->pool, c);
}

static long pid_of(sathd_pg_conn *c)
{
    PGresult *r = sathd_pg_query(c, &backend_pid, NULL, 0);
    assert_non_null(r);
    long pid = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return pid;
}

static void terminate(long pid)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%ld, 5000)", pid);
    const char *ok = testdb_admin_query(NULL, sql);
    assert_non_null(ok);
    assert_string_equal(ok, "t");
}

static void test_reconnect_after_terminate(void **state)
{
    fixture *f = *state;
    /* idle pooled connection killed: the next acquire notices and reconnects */
    sathd_pg_conn *c = sathd_pg_acquire(f->pool, 1000, NULL);
    assert_non_null(c);
    long pid = pid_of(c);
    sathd_pg_release(f->pool, c);
    terminate(pid);
    usleep(50 * 1000);
    c = sathd_pg_acquire(f->pool, 1000, NULL);
    assert_non_null(c);
    long pid2 = pid_of(c);
    assert_true(pid2 != pid);

    /* killed while held: the query fails as UNAVAILABLE, the pool heals it */
    terminate(pid2);
    usleep(50 * 1000);
    assert_null(sathd_pg_query(c, &backend_pid, NULL, 0));
    assert_int_equal(sathd_pg_last_error(c)->code, SATHD_UNAVAILABLE);
    assert_null(sathd_pg_query(c, &backend_pid, NULL, 0)); /* still broken, still clean */
    assert_int_equal(sathd_pg_last_error(c)->code, SATHD_UNAVAILABLE);
    sathd_pg_release(f->pool, c);
    c = sathd_pg_acquire(f->pool, 1000, NULL);
    assert_non_null(c);
    long pid3 = pid_of(c); /* prepared again on the new session */
    assert_true(pid3 != pid2 && pid3 > 0);
    sathd_pg_release(f->pool, c);
}

static void test_ping(void **state)
{
    fixture *f = *state;
    assert_int_equal(sathd_pg_ping(f->pool, 1000), 0);

    char dir[] = "/tmp/torture_pg_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char conninfo[256];
    snprintf(conninfo, sizeof conninfo, "host=%s port=5999 dbname=x user=x", dir);
    sathd_pg_pool_options opt = {.conninfo = conninfo, .size = 1, .statement_timeout_ms = 100};
    char err[256];
    sathd_pg_pool *down = sathd_pg_pool_new(&opt, err, sizeof err);
    assert_non_null(down);
    assert_int_equal(sathd_pg_ping(down, 500), -1);
    sathd_pg_error why;
    assert_null(sathd_pg_acquire(down, 500, &why));
    assert_int_equal(why.code, SATHD_UNAVAILABLE);
    assert_true(why.message[0] != '\0');
    /* the failed slot went back: the pool is not leaking capacity */
    assert_null(sathd_pg_acquire(down, 0, &why));
    assert_int_equal(why.code, SATHD_UNAVAILABLE);
    sathd_pg_pool_free(down);
    rmdir(dir);

    opt.conninfo = "host=/tmp dbname";
    assert_null(sathd_pg_pool_new(&opt, err, sizeof err));
    opt.conninfo = "postgresql://x@/db?bogus_option=1";
    assert_null(sathd_pg_pool_new(&opt, err, sizeof err));
}

static void test_uuid_valid(void **state)
{
    (void)state;
    assert_true(sathd_uuid_valid("123e4567-e89b-12d3-a456-426614174000"));
    assert_true(sathd_uuid_valid("123E4567-E89B-12D3-A456-426614174000"));
    assert_false(sathd_uuid_valid("123e4567e89b12d3a456426614174000"));
    assert_false(sathd_uuid_valid("123e4567-e89b-12d3-a456-42661417400"));
    assert_false(sathd_uuid_valid("123e4567-e89b-12d3-a456-4266141740000"));
    assert_false(sathd_uuid_valid("g23e4567-e89b-12d3-a456-426614174000"));
    assert_false(sathd_uuid_valid("123e4567-e89b-12d3-a456_426614174000"));
    assert_false(sathd_uuid_valid(""));
    assert_false(sathd_uuid_valid(NULL));
}

static void test_timestamptz_parse(void **state)
{
    fixture *f = *state;
    int64_t s;
    int32_t ns;
    assert_int_equal(sathd_pg_timestamptz_parse("1970-01-01 00:00:00+00", &s, &ns), 0);
    assert_int_equal(s, 0);
    assert_int_equal(ns, 0);
    assert_int_equal(sathd_pg_timestamptz_parse("2026-11-27 18:25:13.123456+00", &s, &ns), 0);
    assert_int_equal(s, 1795803913);
    assert_int_equal(ns, 123456000);
    assert_int_equal(sathd_pg_timestamptz_parse("2026-11-27 20:25:13.5+02", &s, &ns), 0);
    assert_int_equal(s, 1795803913);
    assert_int_equal(ns, 500000000);
    assert_int_equal(sathd_pg_timestamptz_parse("2026-11-27 23:55:13-05:30", &s, &ns), 0);
    assert_int_equal(s, 1795803913 + 11 * 3600);
    assert_int_equal(sathd_pg_timestamptz_parse("1969-12-31 23:59:59+00", &s, &ns), 0);
    assert_int_equal(s, -1);
    const char *bad[] = {"", "infinity", "2026-11-27", "2026-13-01 00:00:00+00",
                         "2026-11-27 18:25:13", "2026-11-27 18:25:13.+00",
                         "2026-11-27 18:25:13+00 BC", "2026-11-27 24:00:00+00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sathd_pg_timestamptz_parse(bad[i], &s, &ns) != -1)
            fail_msg("accepted \"%s\"", bad[i]);

    /* what the server really sends on pooled connections (UTC, ISO) */
    sathd_pg_conn *c = sathd_pg_acquire(f->pool, 1000, NULL);
    assert_non_null(c);
    PGresult *r = sathd_pg_exec_params(
        c, "SELECT t, floor(extract(epoch FROM t))::bigint, "
           "extract(microseconds FROM t)::int % 1000000 FROM (SELECT now() AS t) x",
        0, NULL, 0);
    assert_non_null(r);
    assert_int_equal(sathd_pg_timestamptz_parse(PQgetvalue(r, 0, 0), &s, &ns), 0);
    assert_int_equal(s, atoll(PQgetvalue(r, 0, 1)));
    assert_int_equal(ns, atoll(PQgetvalue(r, 0, 2)) * 1000);
    assert_non_null(strstr(PQgetvalue(r, 0, 0), "+00"));
    PQclear(r);
    sathd_pg_release(f->pool, c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_share_the_pool),
        cmocka_unit_test(test_exhausted_pool_times_out),
        cmocka_unit_test(test_prepared_once_per_connection),
        cmocka_unit_test(test_statement_timeout_from_deadline),
        cmocka_unit_test(test_common_case_is_one_round_trip),
        cmocka_unit_test(test_timeout_restored_after_rollback),
        cmocka_unit_test(test_error_classes),
        cmocka_unit_test(test_reconnect_after_terminate),
        cmocka_unit_test(test_ping),
        cmocka_unit_test(test_uuid_valid),
        cmocka_unit_test(test_timestamptz_parse),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
