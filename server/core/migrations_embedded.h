/*
 * migrations_embedded.h - the SQL files compiled into sathd (private to core).  The
 * definitions are generated at build time by embed_sql.cmake; the table is sorted by
 * name and ends with a {NULL, NULL} entry not counted in the count.
 */
#ifndef SATHD_CORE_MIGRATIONS_EMBEDDED_H
#define SATHD_CORE_MIGRATIONS_EMBEDDED_H

#include <stddef.h>

#include "sathd/migrate.h"

extern const sathd_migration sathd__embedded_migrations[];
extern const size_t sathd__embedded_migrations_count;

#endif /* SATHD_CORE_MIGRATIONS_EMBEDDED_H */
