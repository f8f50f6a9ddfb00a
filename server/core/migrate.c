/*
 * migrate.c - applies the embedded SQL files and checks a database's schema version
 * (API in sathd/migrate.h).
 *
 * Invariant kept in the database: schema_migrations has one row per applied file,
 * written in the same transaction as the file's statements, so a file is either fully
 * applied and recorded or not at all.  The advisory lock serialises concurrent
 * migrators; the second one finds the work done.
 */
#include "sathd/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "migrations_embedded.h"

/* Arbitrary constant shared by every sathd: "SATH" in ASCII, then 0001. */
#define MIGRATE_LOCK_KEY "6071772136900001"

static const char create_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " checksum text NOT NULL)";

const sathd_migration *sathd_migrations(size_t *count)
{
    if (count)
        *count = sathd__embedded_migrations_count;
    return sathd__embedded_migrations;
}

static int version_of(const char *name) { return atoi(name); }

int sathd_migrations_latest(void)
{
    size_t n = sathd__embedded_migrations_count;
    return n ? version_of(sathd__embedded_migrations[n - 1].name) : 0;
}

static void checksum_hex(const char *sql, char hex[2 * crypto_hash_sha256_BYTES + 1])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)sql, strlen(sql));
    sodium_bin2hex(hex, 2 * crypto_hash_sha256_BYTES + 1, h, sizeof h);
}

static const sathd_migration *find_version(int version)
{
    for (size_t i = 0; i < sathd__embedded_migrations_count; i++)
        if (version_of(sathd__embedded_migrations[i].name) == version)
            return &sathd__embedded_migrations[i];
    return NULL;
}

/* Compares the recorded rows (version, checksum) with the embedded files.  Returns
 * the number of embedded files not applied yet, or -1 with a reason. */
static int verify(const PGresult *rows, char *err, size_t errlen)
{
    int latest = sathd_migrations_latest(), n = PQntuples(rows);
    for (int i = 0; i < n; i++) {
        int v = atoi(PQgetvalue(rows, i, 0));
        const sathd_migration *m = find_version(v);
        if (v > latest) {
            snprintf(err, errlen,
                     "database schema version %d is newer than this sathd's (%d): "
                     "upgrade sathd",
                     v, latest);
            return -1;
        }
        if (!m) {
            snprintf(err, errlen, "database has schema version %d, unknown to this sathd", v);
            return -1;
        }
        char hex[2 * crypto_hash_sha256_BYTES + 1];
        checksum_hex(m->sql, hex);
        if (strcmp(hex, PQgetvalue(rows, i, 1)) != 0) {
            snprintf(err, errlen, "%s: checksum differs from the applied version (edited after "
                     "it ran? add a new migration instead)", m->name);
            return -1;
        }
    }
    return (int)sathd__embedded_migrations_count - n;
}

static PGresult *applied_rows(sathd_pg_conn *c)
{
    return sathd_pg_exec_params(c, "SELECT version, checksum FROM schema_migrations ORDER BY 1",
                                0, NULL, 0);
}

static int is_applied(const PGresult *rows, int version)
{
    for (int i = 0; i < PQntuples(rows); i++)
        if (atoi(PQgetvalue(rows, i, 0)) == version)
            return 1;
    return 0;
}

/* Runs one file and records it, in one transaction. */
static int apply_one(sathd_pg_conn *c, const sathd_migration *m, char *err, size_t errlen)
{
    char version[16], hex[2 * crypto_hash_sha256_BYTES + 1];
    snprintf(version, sizeof version, "%d", version_of(m->name));
    checksum_hex(m->sql, hex);
    const char *params[3] = {version, m->name, hex};
    PGresult *r = NULL;
    if (sathd_pg_begin(c) == 0 && (r = sathd_pg_exec_script(c, m->sql)) != NULL) {
        PQclear(r);
        r = sathd_pg_exec_params(
            c, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", 3,
            params, 0);
    }
    if (r && sathd_pg_commit(c) == 0) {
        PQclear(r);
        return 0;
    }
    PQclear(r);
    snprintf(err, errlen, "%s: %s (SQLSTATE %s)", m->name, sathd_pg_last_error(c)->message,
             sathd_pg_last_error(c)->sqlstate);
    sathd_pg_rollback(c);
    return -1;
}

/* Migration DDL may take longer than a request's statement_timeout. */
static int session(sathd_pg_conn *c, const char *sql)
{
    PGresult *r = sathd_pg_exec_script(c, sql);
    PQclear(r);
    return r ? 0 : -1;
}

int sathd_migrate(sathd_pg_conn *c, int *applied, char *err, size_t errlen)
{
    int count = 0, rc = -1, locked = 0;
    PGresult *rows = NULL;
    if (applied)
        *applied = 0;
    if (session(c, "SET statement_timeout = 0") != 0 ||
        session(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")") != 0)
        goto sql_error;
    locked = 1;
    if (session(c, create_table_sql) != 0 || !(rows = applied_rows(c)))
        goto sql_error;
    if (verify(rows, err, errlen) < 0)
        goto out;
    for (size_t i = 0; i < sathd__embedded_migrations_count; i++) {
        const sathd_migration *m = &sathd__embedded_migrations[i];
        if (is_applied(rows, version_of(m->name)))
            continue;
        if (apply_one(c, m, err, errlen) != 0)
            goto out;
        count++;
    }
    rc = 0;
    goto out;
sql_error:
    snprintf(err, errlen, "migrate: %s (SQLSTATE %s)", sathd_pg_last_error(c)->message,
             sathd_pg_last_error(c)->sqlstate);
out:
    PQclear(rows);
    if (locked)
        session(c, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")");
    session(c, "RESET statement_timeout");
    if (applied)
        *applied = count;
    return rc;
}

int sathd_schema_check(sathd_pg_conn *c, char *err, size_t errlen)
{
    PGresult *rows = applied_rows(c);
    if (!rows) {
        const sathd_pg_error *e = sathd_pg_last_error(c);
        if (strcmp(e->sqlstate, "42P01") == 0)
            snprintf(err, errlen, "database is not migrated: run `sathd migrate`");
        else
            snprintf(err, errlen, "schema check: %s (SQLSTATE %s)", e->message, e->sqlstate);
        return -1;
    }
    int pending = verify(rows, err, errlen);
    int n = PQntuples(rows);
    PQclear(rows);
    if (pending < 0)
        return -1;
    if (n == 0 || pending > 0) {
        snprintf(err, errlen, "database has %d of %d migrations applied: run `sathd migrate`", n,
                 (int)sathd__embedded_migrations_count);
        return -1;
    }
    return 0;
}
