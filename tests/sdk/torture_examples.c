/*
 * torture_examples.c - the SDK as its users get it: consumer/run.sh installs it from
 * this build into a fresh prefix, builds consumer.c and every example with pkg-config
 * and with CMake, and runs the examples against the real sathd started here (and, in the
 * plain build, under valgrind with the installed suppressions).  sathd comes with a
 * sath-orchestrator on the process backend running the real sath-bot on the sim feed
 * (tests/botagent's botrun_fx, whose user the examples log in as), so bot_logs follows
 * the log of a bot that really runs.  The script's output is kept in a log that is
 * printed when it fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agentenv.h"
#include "botenv.h"
#include "sdk_fixture.h"

/* A quick bot: a tick every 40 ms, so the examples see lines at once. */
#define BOT_ARGS "--tick-ms 40 --heartbeat-ms 300 --seed 7 --volatility 0.01"

typedef struct fx {
    botrun_fx run; /* sathd + orchestrator running sath-bot, and a user without a config */
} fx;

static int setup(void **state)
{
    if (!getenv("SATH_BOT_BIN")) {
        fprintf(stderr, "SATH_BOT_BIN not set (run through ctest)\n");
        return -1;
    }
    fx *f = calloc(1, sizeof *f);
    *state = f;
    return f && botrun_fx_start(&f->run, 0, BOT_ARGS) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return -1;
    botrun_fx_stop(&f->run);
    free(f);
    return 0;
}

static void print_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f))
        fputs(line, stderr);
    if (f)
        fclose(f);
}

static void test_install_build_and_run_examples(void **state)
{
    fx *f = *state;
    char server[96], email[160], password[96], cflags[160], valgrind[32], log[64];
    snprintf(server, sizeof server, "SATH_SERVER=%s", f->run.e.sathd.target);
    snprintf(email, sizeof email, "SATH_EMAIL=%s", f->run.u.email);
    snprintf(password, sizeof password, "SATH_PASSWORD=%s", BOTUSER_PASSWORD);
    snprintf(cflags, sizeof cflags, "CFLAGS=%s", SATH_CONSUMER_CFLAGS);
    snprintf(valgrind, sizeof valgrind, "SATH_VALGRIND=%s", SATH_CONSUMER_VALGRIND);
    snprintf(log, sizeof log, "/tmp/sath-sdk-consumer-%d.log", (int)getpid());
    const char *env[] = {server, email, password, cflags, valgrind, NULL};
    if (getenv("SATH_CONSUMER_KEEP_LOG"))
        snprintf(log, sizeof log, "%s", getenv("SATH_CONSUMER_KEEP_LOG"));
    char *argv[] = {(char *)"/bin/sh", (char *)SATH_CONSUMER_RUN, (char *)SATH_CONSUMER_BUILD,
                    (char *)SATH_CONSUMER_SRC, (char *)SATH_CONSUMER_CC, NULL};
    int rc = sdk_run(argv, env, log);
    if (rc != 0)
        print_file(log);
    if (!getenv("SATH_CONSUMER_KEEP_LOG"))
        unlink(log);
    assert_int_equal(rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_install_build_and_run_examples),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
