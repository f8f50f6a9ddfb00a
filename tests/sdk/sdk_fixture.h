/*
 * sdk_fixture.h - what the SDK's end-to-end tests share: a real sathd (sathd_proc) with
 * one registered account, a throwaway PKI (make_certs.sh), child processes, and small
 * TCP helpers (a port nothing listens on, a listener that never answers).
 */
#ifndef SATH_TESTS_SDK_FIXTURE_H
#define SATH_TESTS_SDK_FIXTURE_H

#include <stddef.h>

#include "sath/sath.h"
#include "sathd_proc.h"

typedef struct sdk_server {
    sathd_proc proc;
    char email[96];
    char password[40];
} sdk_server;

/* The usual group fixture: sathd with an account, a client logged in as it, and call
 * options for the tests to reuse.  sdk_group_setup()/sdk_group_teardown() are cmocka
 * group setup/teardown functions (state: sdk_fixture *). */
typedef struct sdk_fixture {
    sdk_server srv;
    sath_client *c;
    sath_call_opts *o;
} sdk_fixture;
int sdk_group_setup(void **state);
int sdk_group_teardown(void **state);

/* Starts sathd with `extra_env` (may be NULL) and registers an account on it unless
 * `no_account`.  0 or -1 (message on stderr). */
int sdk_server_start(sdk_server *s, const char *const *extra_env, int no_account);
/* Stops sathd; returns its exit status (0 after a clean shutdown). */
int sdk_server_stop(sdk_server *s);

/* Registers a fresh account ("sdk.<random>@example.org") through `c`; SATH_OK or the error. */
int sdk_register(sath_client *c, char *email, size_t email_cap, char *password, size_t pw_cap);
/* A new client of s logged in as its account (NULL on failure, reason on stderr). */
sath_client *sdk_login(const sdk_server *s, const sath_client_options *opts);

/* Creates a temporary directory (template /tmp/sath-sdk-XXXXXX) into `dir`; 0 or -1. */
int sdk_tempdir(char *dir, size_t cap);
/* Removes what sdk_tempdir() made, recursively. */
void sdk_rmdir(const char *dir);
/* Runs tests/sdk/make_certs.sh into `dir`; 0 or -1. */
int sdk_make_certs(const char *dir);

/* Runs argv (argv[0] a path) with `extra_env` (NULL-terminated "K=V", may be NULL) added
 * to the environment; stdout and stderr go to `log` when not NULL (appended).  Returns
 * the exit status, 128 + signal, or -1 when it could not start. */
int sdk_run(char *const argv[], const char *const *extra_env, const char *log);

/* A loopback TCP port that refused a connection just now. */
int sdk_closed_port(void);
/* A listening loopback socket that never accepts (its backlog completes the TCP
 * handshake, then nothing is ever read or written); *port gets its port.  Returns the fd. */
int sdk_silent_listener(int *port);

/* Milliseconds of a monotonic clock. */
long long sdk_now_ms(void);

#endif
