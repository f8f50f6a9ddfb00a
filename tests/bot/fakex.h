/*
 * fakex.h - tests/bot/fake_exchange.py as a child process of a C test: started with the
 * key and secret it accepts (and any of its options), found through the port file it
 * writes, stopped and cleaned up.  Used by the live-engine tests with and without a
 * platform (tests/bot/torture_bot_live.c, tests/botagent/torture_botlive.c).
 */
#ifndef SATH_TEST_FAKEX_H
#define SATH_TEST_FAKEX_H

#include <sys/types.h>

typedef struct fakex {
    pid_t pid;
    char dir[64];  /* holds the port file */
    char base[64]; /* "http://127.0.0.1:PORT" once it listens */
} fakex;

/* Runs $SATH_FAKE_EXCHANGE with --key/--secret and `extra` (NULL-terminated "--opt",
 * "value" words, may be NULL) and waits up to 10 s for its port.  0 when it listens, else
 * -1 (call fakex_stop all the same). */
int fakex_start(fakex *x, const char *key, const char *secret, const char *const *extra);
/* Stops it (SIGTERM, reaped) and removes its port file and directory. */
void fakex_stop(fakex *x);

#endif
