/*
 * envfile.h - reader of .env-style files for the configuration (private to core).
 *
 * Syntax, one assignment per line:  [export ]KEY=VALUE
 *   - blank lines and lines starting with # are ignored;
 *   - VALUE may be 'single quoted' (taken literally), "double quoted" (\n \t \" \\ \$
 *     escapes) or bare (trailing blanks and a " #" comment are dropped);
 *   - the last assignment of a key wins.
 * Values may be secrets: sathd_envfile_free() wipes them.
 */
#ifndef SATHD_CORE_ENVFILE_H
#define SATHD_CORE_ENVFILE_H

#include <stddef.h>

typedef struct sathd_envfile {
    size_t n;
    char **keys; /* owned */
    char **vals; /* owned, wiped on free */
} sathd_envfile;

/* Reads `path` into `out` (zero it first).  0, or -1 with "path:line: reason" in err;
 * on failure `out` holds nothing that needs freeing. */
int sathd_envfile_read(const char *path, sathd_envfile *out, char *err, size_t errlen);
/* Value of `key`, or NULL when the file does not assign it. */
const char *sathd_envfile_get(const sathd_envfile *f, const char *key);
/* Frees and wipes everything; `f` is left empty. */
void sathd_envfile_free(sathd_envfile *f);

#endif /* SATHD_CORE_ENVFILE_H */
