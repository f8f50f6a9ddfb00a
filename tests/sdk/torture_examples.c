/*
 * torture_examples.c - the SDK as its users get it: consumer/run.sh installs it from
 * this build into a fresh prefix, builds consumer.c and every example with pkg-config
 * and with CMake, and runs the examples against the real sathd started here (and, in the
 * plain build, under valgrind with the installed suppressions).  The script's output is
 * kept in a log that is printed when it fails.
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

#include "sdk_fixture.h"

static int setup(void **state)
{
    sdk_server *s = calloc(1, sizeof *s);
    if (!s || sdk_server_start(s, NULL, 0) != 0)
        return -1;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    sdk_server *s = *state;
    if (!s)
        return -1;
    int rc = sdk_server_stop(s);
    free(s);
    return rc == 0 ? 0 : -1;
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
    sdk_server *s = *state;
    char server[96], email[160], password[96], cflags[160], valgrind[32], log[64];
    snprintf(server, sizeof server, "SATH_SERVER=%s", s->proc.target);
    snprintf(email, sizeof email, "SATH_EMAIL=%s", s->email);
    snprintf(password, sizeof password, "SATH_PASSWORD=%s", s->password);
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
