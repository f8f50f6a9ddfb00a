/*
 * torture_sath_bench.c - smoke test of sath-bench: it drives a real sathd (started by
 * tests/integration's sathd_proc) for 200 calls of each method and its JSON report must
 * say 200 calls, 200 OK, 0 errors.  Also covers duration mode with a warm-up, login, the
 * counting of failed calls, and the refusal of non-loopback targets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

#include "sathd_proc.h"

static const char *bench_bin(void)
{
    const char *b = getenv("SATH_BENCH_BIN");
    return b && *b ? b : "sath-bench";
}

static int setup(void **state)
{
    sathd_proc *p = calloc(1, sizeof *p);
    if (!p || sathd_proc_start(p, NULL) != 0) {
        free(p);
        return -1;
    }
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    sathd_proc *p = *state;
    int rc = sathd_proc_stop(p);
    free(p);
    return rc == 0 ? 0 : -1;
}

/* Runs sath-bench with `args` appended; returns its JSON report (caller json_decref()s)
 * and its exit status in *status.  The command is built only from fixed strings and the
 * fixture's "127.0.0.1:PORT" target. */
static json_t *run_bench(const char *args, int *status)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' --json %s", bench_bin(), args);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    json_error_t jerr;
    json_t *j = json_loadf(f, 0, &jerr);
    int st = pclose(f);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return j;
}

static void check_method(sathd_proc *p, const char *method)
{
    char args[256];
    snprintf(args, sizeof args, "--target %s --method %s --requests 200 --connections 2 --concurrency 4",
             p->target, method);
    int status = -1;
    json_t *j = run_bench(args, &status);
    assert_non_null(j);
    assert_int_equal(status, 0);
    assert_string_equal(json_string_value(json_object_get(j, "method")), method);
    assert_int_equal(json_integer_value(json_object_get(j, "calls")), 200);
    assert_int_equal(json_integer_value(json_object_get(j, "ok")), 200);
    assert_int_equal(json_integer_value(json_object_get(j, "errors")), 0);
    assert_int_equal(json_object_size(json_object_get(j, "errors_by_status")), 0);
    assert_true(json_real_value(json_object_get(j, "qps")) > 0);
    json_t *lat = json_object_get(j, "latency_us");
    double p50 = json_real_value(json_object_get(lat, "p50"));
    double p99 = json_real_value(json_object_get(lat, "p99"));
    double max = json_real_value(json_object_get(lat, "max"));
    assert_true(p50 > 0 && p50 <= p99 && p99 <= max);
    json_decref(j);
}

static void test_health(void **state)
{
    check_method(*state, "health");
}

static void test_list_plans(void **state)
{
    check_method(*state, "list-plans");
}

static void test_get_me(void **state)
{
    check_method(*state, "get-me");
}

/* Duration mode with a warm-up: some calls, all OK, measured time close to --duration. */
static void test_duration_with_warmup(void **state)
{
    sathd_proc *p = *state;
    char args[256];
    snprintf(args, sizeof args, "--target %s --warmup 0.3 --duration 0.7 --concurrency 3", p->target);
    int status = -1;
    json_t *j = run_bench(args, &status);
    assert_non_null(j);
    assert_int_equal(status, 0);
    json_int_t calls = json_integer_value(json_object_get(j, "calls"));
    assert_true(calls > 0);
    assert_int_equal(json_integer_value(json_object_get(j, "ok")), calls);
    double elapsed = json_real_value(json_object_get(j, "elapsed_s"));
    assert_true(elapsed >= 0.6 && elapsed < 5.0);
    json_decref(j);
}

/* Login runs Argon2id on the server: a handful of calls is enough to prove it works. */
static void test_login(void **state)
{
    sathd_proc *p = *state;
    char args[256];
    snprintf(args, sizeof args, "--target %s --method login --requests 3", p->target);
    int status = -1;
    json_t *j = run_bench(args, &status);
    assert_non_null(j);
    assert_int_equal(status, 0);
    assert_int_equal(json_integer_value(json_object_get(j, "ok")), 3);
    json_decref(j);
}

/* A server that does not exist: every call fails, the report counts UNAVAILABLE, exit 1. */
static void test_errors_counted(void **state)
{
    (void)state;
    int status = -1;
    json_t *j = run_bench("--target 127.0.0.1:1 --requests 5 --timeout-ms 2000", &status);
    assert_non_null(j);
    assert_int_equal(status, 1);
    assert_int_equal(json_integer_value(json_object_get(j, "calls")), 5);
    assert_int_equal(json_integer_value(json_object_get(j, "ok")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "errors")), 5);
    json_t *by = json_object_get(j, "errors_by_status");
    assert_int_equal(json_integer_value(json_object_get(by, "UNAVAILABLE")), 5);
    json_decref(j);
}

static void test_refuses_remote_target(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' --target 192.0.2.1:443 --requests 1 2>/dev/null", bench_bin());
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_list_plans),
        cmocka_unit_test(test_get_me),
        cmocka_unit_test(test_duration_with_warmup),
        cmocka_unit_test(test_login),
        cmocka_unit_test(test_errors_counted),
        cmocka_unit_test(test_refuses_remote_target),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
