/*
 * testdb.h - throwaway databases for the core tests.
 *
 * Each test binary (or test) creates its own database t_<random> on the server named
 * by SATH_TEST_DATABASE_URL, so test binaries can run in parallel, and drops it at
 * teardown.  Missing variables are a failure, not a skip.
 */
#ifndef SATH_TESTS_CORE_TESTDB_H
#define SATH_TESTS_CORE_TESTDB_H

#include <stddef.h>

typedef struct testdb {
    char name[40];      /* t_<hex> */
    char conninfo[2048]; /* key=value conninfo of the new database */
} testdb;

/* Creates a fresh empty database.  0, or -1 after printing why. */
int testdb_create(testdb *db);
/* Drops it (terminating leftover sessions). */
void testdb_drop(testdb *db);
/* Runs `sql` on a separate, unpooled connection to `db` (or to the admin database when
 * db is NULL); returns the first column of the first row (static buffer) or NULL. */
const char *testdb_admin_query(const testdb *db, const char *sql);

#endif
