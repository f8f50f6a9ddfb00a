/*
 * keys_fixture.h - what the KeysService end-to-end tests share: the fake providers
 * process, a closed port ("provider down"), accounts with logged-in clients, running
 * `sathd rotate-keys`, and direct SQL on the test database.
 */
#ifndef SATH_TEST_KEYS_FIXTURE_H
#define SATH_TEST_KEYS_FIXTURE_H

#include <sys/types.h>

#include "sath/sath.h"
#include "sathd_proc.h"

typedef struct fake_providers {
    pid_t pid;
    int port;        /* where fake_providers.py listens */
    int closed_port; /* a port nobody listens on */
} fake_providers;

/* Starts tests/keys/fake_providers.py (path: FAKE_PROVIDERS_PY).  0 or -1. */
int fake_providers_start(fake_providers *f);
void fake_providers_stop(fake_providers *f);

/* Registers a fresh account and returns a client holding its tokens (free with
 * sath_client_free); the account id goes to user_id[37] when not NULL. */
sath_client *keys_user_client(const sathd_proc *p, char *user_id);

/* Runs `sathd rotate-keys` on p's database with SATH_ENCRYPTION_KEYS=`keys`; its stdout
 * and stderr go to `out` (malloc'd, caller frees).  Returns the exit status. */
int keys_run_rotate(const sathd_proc *p, const char *keys, char **out);

/* Runs `sql` with up to two text parameters on p's database; returns the first cell
 * (malloc'd, "" for no rows) or NULL on error. */
char *keys_sql(const sathd_proc *p, const char *sql, const char *a, const char *b);
/* Every cell of every row of `sql` joined by '\n' (malloc'd) or NULL on error. */
char *keys_sql_all(const sathd_proc *p, const char *sql);

#endif
