/*
 * torture_migrate.c - migrations and the schema on a fresh database per test:
 * applying, idempotence, schema_migrations bookkeeping, seeded plans, constraints the
 * database itself enforces, the refusal to serve a schema newer than the binary, and
 * released files staying byte for byte what installs recorded.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "sathd/migrate.h"
#include "testdb.h"

typedef struct fixture {
    testdb db;
    sathd_pg_pool *pool;
    sathd_pg_conn *c;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || testdb_create(&f->db) != 0)
        return -1;
    sathd_pg_pool_options opt = {.conninfo = f->db.conninfo, .size = 2,
                                 .statement_timeout_ms = 5000};
    char err[256];
    f->pool = sathd_pg_pool_new(&opt, err, sizeof err);
    if (!f->pool || !(f->c = sathd_pg_acquire(f->pool, 5000, NULL)))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sathd_pg_release(f->pool, f->c);
    sathd_pg_pool_free(f->pool);
    testdb_drop(&f->db);
    free(f);
    return 0;
}

static void migrate_ok(fixture *f, int expect_applied)
{
    char err[512];
    int applied = -1;
    if (sathd_migrate(f->c, &applied, err, sizeof err) != 0)
        fail_msg("migrate: %s", err);
    assert_int_equal(applied, expect_applied);
}

static void migrate_all(fixture *f)
{
    size_t n;
    sathd_migrations(&n);
    migrate_ok(f, (int)n);
}

/* Runs SQL with params on the test's connection; returns the result or NULL. */
static PGresult *q(fixture *f, const char *sql, int n, const char *const *p)
{
    return sathd_pg_exec_params(f->c, sql, n, p, 0);
}

static const char *value(fixture *f, const char *sql)
{
    static char buf[512];
    PGresult *r = q(f, sql, 0, NULL);
    if (!r)
        fail_msg("%s: %s", sql, sathd_pg_last_error(f->c)->message);
    snprintf(buf, sizeof buf, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return buf;
}

static void test_embedded_files(void **state)
{
    (void)state;
    size_t n = 0;
    const sathd_migration *m = sathd_migrations(&n);
    assert_true(n >= 1);
    assert_string_equal(m[0].name, "001_init.sql");
    assert_non_null(strstr(m[0].sql, "CREATE TABLE users"));
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(m[i - 1].name, m[i].name) < 0);
    assert_int_equal(sathd_migrations_latest(), atoi(m[n - 1].name));
}

static void test_fresh_database_migrates(void **state)
{
    fixture *f = *state;
    char err[512];
    assert_int_equal(sathd_schema_check(f->c, err, sizeof err), -1);
    assert_non_null(strstr(err, "not migrated"));
    size_t n;
    sathd_migrations(&n);
    migrate_ok(f, (int)n);
    assert_int_equal(sathd_schema_check(f->c, err, sizeof err), 0);
    const char *tables = value(f, "SELECT string_agg(tablename, ',' ORDER BY tablename) "
                                  "FROM pg_tables WHERE schemaname = 'public'");
    assert_string_equal(tables, "ai_keys,api_keys,billing_events,bot_config_versions,bot_instances,"
                                "bot_runs,plans,schema_migrations,subscriptions,users");
    /* every foreign key column has an index whose first column it is */
    assert_string_equal(
        value(f, "SELECT count(*) FROM pg_constraint c WHERE c.contype = 'f' AND NOT EXISTS "
                 "(SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid "
                 "AND i.indkey[0] = c.conkey[1])"),
        "0");
    /* the session's statement_timeout is back to the pool default */
    assert_string_equal(value(f, "SHOW statement_timeout"), "5s");
}

static void test_second_run_is_a_noop(void **state)
{
    fixture *f = *state;
    size_t n;
    sathd_migrations(&n);
    migrate_ok(f, (int)n);
    const char *before = value(f, "SELECT string_agg(version || ':' || applied_at, ',') "
                                  "FROM schema_migrations");
    char copy[512];
    snprintf(copy, sizeof copy, "%s", before);
    migrate_ok(f, 0);
    assert_string_equal(value(f, "SELECT string_agg(version || ':' || applied_at, ',') "
                                 "FROM schema_migrations"),
                        copy);
    assert_string_equal(value(f, "SELECT count(*) FROM plans"), "4");
}

static void test_schema_migrations_rows(void **state)
{
    fixture *f = *state;
    migrate_all(f);
    PGresult *r = q(f, "SELECT version, name, checksum, applied_at <= now() "
                       "FROM schema_migrations ORDER BY version", 0, NULL);
    assert_non_null(r);
    /* One row per embedded file, in order. */
    size_t count = 0;
    (void)sathd_migrations(&count);
    assert_int_equal(PQntuples(r), (int)count);
    /* numbers may have gaps (branches reserve theirs), never go back; the last is latest */
    for (int i = 1; i < PQntuples(r); i++)
        assert_true(atoi(PQgetvalue(r, i, 0)) > atoi(PQgetvalue(r, i - 1, 0)));
    assert_int_equal(atoi(PQgetvalue(r, (int)count - 1, 0)), sathd_migrations_latest());
    assert_string_equal(PQgetvalue(r, 0, 0), "1");
    assert_string_equal(PQgetvalue(r, 0, 1), "001_init.sql");
    assert_string_equal(PQgetvalue(r, 1, 1), "002_keys.sql");
    assert_int_equal(strlen(PQgetvalue(r, 0, 2)), 64);
    assert_int_equal(strspn(PQgetvalue(r, 0, 2), "0123456789abcdef"), 64);
    assert_string_equal(PQgetvalue(r, 0, 3), "t");
    PQclear(r);
}

static void test_seeded_plans(void **state)
{
    fixture *f = *state;
    migrate_all(f);
    PGresult *r = q(f, "SELECT name, price_monthly_cents, price_yearly_cents, currency, "
                       "max_symbols, max_capital_cents, cardinality(features) > 0, is_active "
                       "FROM plans ORDER BY sort_order", 0, NULL);
    assert_non_null(r);
    static const char *want[4][8] = {
        {"free", "0", "0", "USD", "1", "100000", "t", "t"},
        {"starter", "2900", "29000", "USD", "3", "1000000", "t", "t"},
        {"pro", "7900", "79000", "USD", "10", "10000000", "t", "t"},
        {"enterprise", "24900", "249000", "USD", "50", "100000000", "t", "t"},
    };
    assert_int_equal(PQntuples(r), 4);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            assert_string_equal(PQgetvalue(r, i, j), want[i][j]);
    PQclear(r);
}

static void test_constraints_enforced_by_the_database(void **state)
{
    fixture *f = *state;
    migrate_all(f);
    const char *ins = "INSERT INTO users (email, password_hash) VALUES ($1, 'h') RETURNING id";
    const char *p[1] = {"alice@example.com"};
    PGresult *r = q(f, ins, 1, p);
    assert_non_null(r);
    char uid[64];
    snprintf(uid, sizeof uid, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    assert_null(q(f, ins, 1, p)); /* same address */
    assert_int_equal(sathd_pg_last_error(f->c)->code, SATHD_ALREADY_EXISTS);
    assert_string_equal(sathd_pg_last_error(f->c)->constraint, "users_email_lower_key");
    p[0] = "Alice@Example.com"; /* other case: refused, never a second account */
    assert_null(q(f, ins, 1, p));
    assert_int_equal(sathd_pg_last_error(f->c)->code, SATHD_INVALID_ARGUMENT);
    /* the unique index itself is case-insensitive, whatever the CHECK says */
    assert_non_null(r = q(f, "SELECT indexdef FROM pg_indexes "
                             "WHERE indexname = 'users_email_lower_key'", 0, NULL));
    assert_non_null(strstr(PQgetvalue(r, 0, 0), "UNIQUE INDEX"));
    assert_non_null(strstr(PQgetvalue(r, 0, 0), "lower(email)"));
    PQclear(r);

    /* one live subscription per user; canceled ones do not count */
    const char *sub = "INSERT INTO subscriptions (user_id, plan_id, status) "
                      "SELECT $1, id, $2 FROM plans WHERE name = 'pro'";
    const char *sp[2] = {uid, "active"};
    assert_non_null(r = q(f, sub, 2, sp));
    PQclear(r);
    assert_null(q(f, sub, 2, sp));
    assert_int_equal(sathd_pg_last_error(f->c)->code, SATHD_ALREADY_EXISTS);
    sp[1] = "canceled";
    assert_non_null(r = q(f, sub, 2, sp));
    PQclear(r);
    sp[1] = "paused";
    assert_null(q(f, sub, 2, sp));
    assert_int_equal(sathd_pg_last_error(f->c)->code, SATHD_INVALID_ARGUMENT);

    /* AI keys: OpenAI-compatible providers need an https base URL */
    const char *ai = "INSERT INTO ai_keys (user_id, provider, base_url, encrypted_key) "
                     "VALUES ($1, $2, $3, 'k')";
    const char *ap[3] = {uid, "openai_compatible", NULL};
    assert_null(q(f, ai, 3, ap));
    assert_int_equal(sathd_pg_last_error(f->c)->code, SATHD_INVALID_ARGUMENT);
    ap[2] = "http://llm.internal/v1";
    assert_null(q(f, ai, 3, ap));
    assert_int_equal(sathd_pg_last_error(f->c)->code, SATHD_INVALID_ARGUMENT);
    ap[2] = "https://llm.internal/v1";
    assert_non_null(r = q(f, ai, 3, ap));
    PQclear(r);
}

/* Inserts a user and returns its id (static buffer). */
static const char *new_user(fixture *f, const char *email)
{
    static char uid[64];
    const char *p[1] = {email};
    PGresult *r = q(f, "INSERT INTO users (email, password_hash) VALUES ($1, 'h') RETURNING id",
                    1, p);
    assert_non_null(r);
    snprintf(uid, sizeof uid, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return uid;
}

static void test_foreign_keys_and_cascades(void **state)
{
    fixture *f = *state;
    migrate_all(f);
    char uid[64];
    snprintf(uid, sizeof uid, "%s", new_user(f, "carol@example.com"));
    PGresult *r;
    const char *sub = "INSERT INTO subscriptions (user_id, plan_id, status) "
                      "SELECT $1, id, 'active' FROM plans WHERE name = 'pro'";
    const char *sp[1] = {uid};
    assert_non_null(r = q(f, sub, 1, sp));
    PQclear(r);

    /* bot config must be an object; one bot per user */
    const char *bot = "INSERT INTO bot_instances (user_id, config) VALUES ($1, $2::jsonb)";
    const char *bp[2] = {uid, "[]"};
    assert_null(q(f, bot, 2, bp));
    assert_int_equal(sathd_pg_last_error(f->c)->code, SATHD_INVALID_ARGUMENT);
    bp[1] = "{\"symbols\":[\"BTCUSDT\"]}";
    assert_non_null(r = q(f, bot, 2, bp));
    PQclear(r);
    assert_null(q(f, bot, 2, bp));
    assert_int_equal(sathd_pg_last_error(f->c)->code, SATHD_ALREADY_EXISTS);

    /* foreign keys: unknown user refused; deleting the user cascades */
    const char *key = "INSERT INTO api_keys (user_id, exchange, encrypted_key, "
                      "encrypted_secret) VALUES ($1, $2, 'k', 's')";
    const char *kp[2] = {"00000000-0000-0000-0000-000000000000", "binance"};
    assert_null(q(f, key, 2, kp));
    assert_int_equal(sathd_pg_last_error(f->c)->code, SATHD_INVALID_ARGUMENT);
    kp[0] = uid;
    kp[1] = "kraken";
    assert_null(q(f, key, 2, kp));
    assert_int_equal(sathd_pg_last_error(f->c)->code, SATHD_INVALID_ARGUMENT);
    kp[1] = "bybit";
    assert_non_null(r = q(f, key, 2, kp));
    PQclear(r);
    const char *dp[1] = {uid};
    assert_non_null(r = q(f, "DELETE FROM users WHERE id = $1", 1, dp));
    PQclear(r);
    assert_string_equal(value(f, "SELECT (SELECT count(*) FROM api_keys) + "
                                 "(SELECT count(*) FROM subscriptions) + "
                                 "(SELECT count(*) FROM bot_instances)"),
                        "0");
    /* a plan in use cannot be deleted */
    const char *up[1] = {"bob@example.com"};
    assert_non_null(r = q(f, "INSERT INTO users (email, password_hash, plan_id) "
                             "SELECT $1, 'h', id FROM plans WHERE name = 'free'", 1, up));
    PQclear(r);
    assert_null(q(f, "DELETE FROM plans WHERE name = 'free'", 0, NULL));
    assert_int_equal(sathd_pg_last_error(f->c)->code, SATHD_INVALID_ARGUMENT);
}

static void test_newer_database_is_refused(void **state)
{
    fixture *f = *state;
    migrate_all(f);
    char sql[256], err[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO schema_migrations (version, name, checksum) VALUES (%d, 'x.sql', 'x')",
             sathd_migrations_latest() + 1);
    PGresult *r = q(f, sql, 0, NULL);
    assert_non_null(r);
    PQclear(r);
    assert_int_equal(sathd_schema_check(f->c, err, sizeof err), -1);
    assert_non_null(strstr(err, "newer"));
    assert_int_equal(sathd_migrate(f->c, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "newer"));
    /* the advisory lock was released despite the error */
    assert_string_equal(value(f, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                          "(SELECT oid FROM pg_database WHERE datname = current_database())"),
                        "0");
}

static void test_checksum_mismatch_is_an_error(void **state)
{
    fixture *f = *state;
    migrate_all(f);
    PGresult *r = q(f, "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1", 0,
                    NULL);
    assert_non_null(r);
    PQclear(r);
    char err[512];
    assert_int_equal(sathd_migrate(f->c, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "001_init.sql"));
    assert_non_null(strstr(err, "checksum"));
    assert_int_equal(sathd_schema_check(f->c, err, sizeof err), -1);
}

static void test_failed_migration_leaves_nothing(void **state)
{
    fixture *f = *state;
    /* a table in the way makes 001 fail half-way: nothing of it may remain */
    PGresult *r = q(f, "CREATE TABLE bot_instances (x int)", 0, NULL);
    assert_non_null(r);
    PQclear(r);
    char err[512];
    int applied = -1;
    assert_int_equal(sathd_migrate(f->c, &applied, err, sizeof err), -1);
    assert_int_equal(applied, 0);
    assert_non_null(strstr(err, "001_init.sql"));
    assert_string_equal(value(f, "SELECT count(*) FROM pg_tables WHERE tablename = 'users'"),
                        "0");
    assert_string_equal(value(f, "SELECT count(*) FROM schema_migrations"), "0");
    assert_int_equal(sathd_schema_check(f->c, err, sizeof err), -1);
}

typedef struct race_arg {
    fixture *f;
    int applied, rc;
    char err[256];
} race_arg;

static void *racer(void *p)
{
    race_arg *a = p;
    sathd_pg_conn *c = sathd_pg_acquire(a->f->pool, 5000, NULL);
    a->rc = c ? sathd_migrate(c, &a->applied, a->err, sizeof a->err) : -1;
    sathd_pg_release(a->f->pool, c);
    return NULL;
}

static void test_concurrent_migrators(void **state)
{
    fixture *f = *state;
    race_arg a = {f, 0, 0, ""}, b = {f, 0, 0, ""};
    /* the fixture holds one of the two connections; racers share the other and ours */
    sathd_pg_release(f->pool, f->c);
    f->c = NULL;
    pthread_t ta, tb;
    pthread_create(&ta, NULL, racer, &a);
    pthread_create(&tb, NULL, racer, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    f->c = sathd_pg_acquire(f->pool, 5000, NULL);
    assert_non_null(f->c);
    assert_int_equal(a.rc, 0);
    assert_int_equal(b.rc, 0);
    size_t n;
    sathd_migrations(&n);
    assert_int_equal(a.applied + b.applied, (int)n);
    assert_string_equal(value(f, "SELECT count(*) FROM plans"), "4");
}

/* Every install records the SHA-256 of each file it applied (schema_migrations.checksum)
 * and sathd refuses to start when an embedded file no longer matches.  So a released file
 * never changes, even to remove a harmless duplicate (004_billing.sql re-adds
 * plans.live_trading with IF NOT EXISTS after 003_bots.sql added it: a no-op, kept):
 * fixes go into a new file.  Append a file here when it is released. */
static void test_released_migrations_unchanged(void **state)
{
    (void)state;
    static const struct {
        const char *name, *sha256;
    } released[] = {
        {"001_init.sql", "c7da30ae9baed1b7e6d1653125de958aa6fda7b9c43a63ce9ee2e67fe98a3be5"},
        {"002_keys.sql", "8aa953519fca1f27cadd58329cf059c1ca106f47211e8d42dc14b69383763e1c"},
        {"003_bots.sql", "40bdef12cdcd667996b07db9f3e72a4e9c724c48596f4706dbcf3d6e971909d1"},
        {"004_billing.sql", "d5a01114235b379640b7eeeb6f1ded4a3444bda10430637413cdcf5d67afb09f"},
        {"005_botagent.sql", "1e4f10799bde806286372f6a162297b16c6730dbc6c14c591974edb6c3a13d0b"},
        {"006_user_change_notify.sql",
         "53f4f4e52c8adebae8c626632951332550e1bccfb91c8cae01771beca3cbf307"},
        {"007_bot_node.sql", "ee18b7073f645ca7e5d3c444ae86fca0b26d378dd3c2a339e69f4f419819a272"},
    };
    size_t n = 0;
    const sathd_migration *m = sathd_migrations(&n);
    assert_true(n >= sizeof released / sizeof *released);
    for (size_t i = 0; i < sizeof released / sizeof *released; i++) {
        unsigned char h[crypto_hash_sha256_BYTES];
        char hex[2 * crypto_hash_sha256_BYTES + 1];
        assert_string_equal(m[i].name, released[i].name);
        crypto_hash_sha256(h, (const unsigned char *)m[i].sql, strlen(m[i].sql));
        sodium_bin2hex(hex, sizeof hex, h, sizeof h);
        if (strcmp(hex, released[i].sha256) != 0)
            fail_msg("%s was edited after its release (installs recorded %s, it is now %s): "
                     "restore it and put the change in a new migration",
                     released[i].name, released[i].sha256, hex);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedded_files),
        cmocka_unit_test(test_released_migrations_unchanged),
        cmocka_unit_test_setup_teardown(test_fresh_database_migrates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_run_is_a_noop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_migrations_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seeded_plans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_constraints_enforced_by_the_database, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_foreign_keys_and_cascades, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_database_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checksum_mismatch_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_migration_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_migrators, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
