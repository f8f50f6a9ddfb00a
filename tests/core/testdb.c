/*
 * testdb.c - creates and drops the throwaway databases of the core tests (testdb.h).
 * Admin work uses plain libpq connections, outside any pool under test.
 */
#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

/* Appends key='value' (quoted per libpq rules) to out. */
static void append_kv(char *out, size_t cap, const char *k, const char *v)
{
    size_t n = strlen(out);
    n += (size_t)snprintf(out + n, cap - n, "%s%s='", n ? " " : "", k);
    for (; *v && n + 3 < cap; v++) {
        if (*v == '\'' || *v == '\\')
            out[n++] = '\\';
        out[n++] = *v;
    }
    snprintf(out + n, cap - n, "'");
}

/* conninfo of the server in SATH_TEST_DATABASE_URL with dbname replaced. */
static int conninfo_for(const char *dbname, char *out, size_t cap)
{
    const char *url = getenv("SATH_TEST_DATABASE_URL");
    if (!url || !*url) {
        fprintf(stderr, "SATH_TEST_DATABASE_URL is not set (use tests/fixtures/services.sh)\n");
        return -1;
    }
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &why);
    if (!opts) {
        fprintf(stderr, "bad SATH_TEST_DATABASE_URL: %s\n", why ? why : "?");
        PQfreemem(why);
        return -1;
    }
    out[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val && strcmp(o->keyword, "dbname") != 0)
            append_kv(out, cap, o->keyword, o->val);
    append_kv(out, cap, "dbname", dbname);
    PQconninfoFree(opts);
    return 0;
}

static const char *run(const char *conninfo, const char *sql)
{
    static char value[1024];
    const char *ret = NULL;
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "testdb: connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) {
        snprintf(value, sizeof value, "%s", PQgetvalue(r, 0, 0));
        ret = value;
    } else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        value[0] = '\0';
        ret = value;
    } else {
        fprintf(stderr, "testdb: %s: %s", sql, PQresultErrorMessage(r));
    }
    PQclear(r);
    PQfinish(c);
    return ret;
}

int testdb_create(testdb *db)
{
    unsigned char rnd[8];
    char hex[17];
    if (sodium_init() < 0)
        return -1;
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    snprintf(db->name, sizeof db->name, "t_%s", hex);
    char admin[2048], sql[128];
    if (conninfo_for("postgres", admin, sizeof admin) != 0 ||
        conninfo_for(db->name, db->conninfo, sizeof db->conninfo) != 0)
        return -1;
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db->name);
    return run(admin, sql) ? 0 : -1;
}

void testdb_drop(testdb *db)
{
    char admin[2048], sql[128];
    if (!db->name[0] || conninfo_for("postgres", admin, sizeof admin) != 0)
        return;
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db->name);
    run(admin, sql);
    db->name[0] = '\0';
}

const char *testdb_admin_query(const testdb *db, const char *sql)
{
    char admin[2048];
    if (db)
        return run(db->conninfo, sql);
    if (conninfo_for("postgres", admin, sizeof admin) != 0)
        return NULL;
    return run(admin, sql);
}
