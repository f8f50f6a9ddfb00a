/*
 * migrate.h - the database schema: SQL files sql/NNN_name.sql embedded into sathd at
 * build time, applied in order and recorded in schema_migrations.
 *
 * Applied files are identified by version (NNN) and checked by SHA-256: editing a file
 * that a database already ran is an error, never silently ignored.  Write a new
 * NNN+1 file instead.
 */
#ifndef SATHD_MIGRATE_H
#define SATHD_MIGRATE_H

#include <stddef.h>

#include "sathd/pg.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One embedded SQL file (generated from the sql/NNN_name.sql files, sorted by name). */
typedef struct sathd_migration {
    const char *name; /* "001_init.sql" */
    const char *sql;  /* the file's text */
} sathd_migration;

/* The embedded files, sorted; *count receives their number.  Static storage. */
const sathd_migration *sathd_migrations(size_t *count);
/* Version of the newest embedded file (its NNN). */
int sathd_migrations_latest(void);

/* Applies every embedded file the database has not run yet, each in its own
 * transaction with its schema_migrations row, under a PostgreSQL advisory lock (so
 * several sathd starting at once are safe).  `applied` (may be NULL) receives how many
 * ran.  0, or -1 with a reason in err: SQL error, checksum mismatch of an applied
 * file, or a database newer than this binary. */
int sathd_migrate(sathd_pg_conn *c, int *applied, char *err, size_t errlen);

/* Checks that the database is exactly at this binary's schema: migrated, nothing
 * pending, nothing newer, checksums equal.  0, or -1 with a reason in err. */
int sathd_schema_check(sathd_pg_conn *c, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_MIGRATE_H */
