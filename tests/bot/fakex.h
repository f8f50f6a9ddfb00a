/*
 * fakex.h - the Python fakes of the bot's third parties as child processes of a C test:
 * tests/bot/fake_exchange.py (fakex_*: the live-engine tests with and without a platform,
 * tests/bot/torture_bot_live.c, tests/botagent/torture_botlive.c) and tests/bot/fake_ai.py
 * (fakeai_*: the AI entry filter's tests, tests/bot/torture_bot_ai.c,
 * tests/botagent/torture_botai.c).  Both print their port once they listen and exit when
 * their stdin closes (tests/sdk/fake_proc.h); both show what they saw at GET /_fake/state.
 */
#ifndef SATH_TEST_FAKEX_H
#define SATH_TEST_FAKEX_H

#include <jansson.h>
#include <sys/types.h>

typedef struct fakex {
    pid_t pid;
    int to_fake;   /* its stdin: closing it stops the fake */
    char base[96]; /* "http://127.0.0.1:PORT" once it listens */
} fakex;

/* Runs $SATH_FAKE_EXCHANGE with --key/--secret and `extra` (NULL-terminated "--opt",
 * "value" words, may be NULL).  0 when it listens, else -1 (call fakex_stop all the same). */
int fakex_start(fakex *x, const char *key, const char *secret, const char *const *extra);
/* Runs $SATH_FAKE_AI accepting `key`.  0 when it listens, else -1 (fakex_stop all the same). */
int fakeai_start(fakex *x, const char *key);
/* Stops either fake and waits for it. */
void fakex_stop(fakex *x);

/* GET /_fake/state of either fake, parsed (json_decref it); NULL when it did not answer. */
json_t *fakex_state(const fakex *x);
/* What the fake AI answers from now on: the word, the HTTP status, a delay.  0, or -1. */
int fakeai_configure(const fakex *x, const char *answer, int status, int delay_ms);
/* The requests the fake AI has seen, oldest first (json_decref it); NULL on failure. */
json_t *fakeai_calls(const fakex *x);

#endif
