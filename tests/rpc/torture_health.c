/*
 * torture_health.c - grpc.health.v1.Health over the wire: Check for the server, for a
 * registered service and for an unknown one, following the app's `healthy` hook; Watch
 * sees a change; many Watch streams do not block unary calls; the stream limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grpc/health/v1/health.pb-c.h"
#include "rpc_fixture.h"
#include "sath/v1/auth.pb-c.h"

#define CHECK "/grpc.health.v1.Health/Check"
#define WATCH "/grpc.health.v1.Health/Watch"
#define SERVING GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
#define NOT_SERVING GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING

static int setup(void **state)
{
    *state = fx_start(0);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    fx_stop(*state);
    return 0;
}

/* Check(service): returns grpc status, *serving the reported status. */
static int check(fixture *f, const char *service, int *serving)
{
    Grpc__Health__V1__HealthCheckRequest rq = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    rq.service = (char *)service;
    rpc_result r;
    fx_call(f, CHECK, &rq.base, NULL, 0, &r);
    *serving = -1;
    if (r.status == 0) {
        Grpc__Health__V1__HealthCheckResponse *rs =
            grpc__health__v1__health_check_response__unpack(NULL, r.resp_len, r.resp);
        assert_non_null(rs);
        *serving = rs->status;
        grpc__health__v1__health_check_response__free_unpacked(rs, NULL);
    }
    int st = r.status;
    rpc_result_clear(&r);
    return st;
}

static void test_check(void **state)
{
    fixture *f = *state;
    int s;
    assert_int_equal(check(f, "", &s), 0);
    assert_int_equal(s, SERVING);
    assert_int_equal(check(f, "sath.v1.AuthService", &s), 0);
    assert_int_equal(s, SERVING);
    assert_int_equal(check(f, "sath.v1.NoSuchService", &s), SATHD_NOT_FOUND);
    atomic_store(&f->app.healthy, 0); /* e.g. PostgreSQL unreachable */
    assert_int_equal(check(f, "", &s), 0);
    assert_int_equal(s, NOT_SERVING);
    assert_int_equal(check(f, "sath.v1.UserService", &s), 0);
    assert_int_equal(s, NOT_SERVING);
    atomic_store(&f->app.healthy, 1);
    assert_int_equal(check(f, "", &s), 0);
    assert_int_equal(s, SERVING);
}

static int watch_next(fx_stream *st, int timeout_ms)
{
    uint8_t *d = NULL;
    size_t n = 0;
    if (fx_stream_recv(st, timeout_ms, &d, &n) != 1)
        return -1;
    Grpc__Health__V1__HealthCheckResponse *rs =
        grpc__health__v1__health_check_response__unpack(NULL, n, d);
    free(d);
    assert_non_null(rs);
    int s = rs->status;
    grpc__health__v1__health_check_response__free_unpacked(rs, NULL);
    return s;
}

static void open_watch(fixture *f, fx_stream *st, const char *service)
{
    assert_int_equal(fx_stream_open(f, WATCH, st), 0);
    Grpc__Health__V1__HealthCheckRequest rq = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    rq.service = (char *)service;
    assert_int_equal(fx_stream_send(st, &rq.base, 1), 0);
}

static void test_watch_sees_change(void **state)
{
    fixture *f = *state;
    fx_stream st = {0};
    open_watch(f, &st, "");
    assert_int_equal(watch_next(&st, 5000), SERVING);
    int64_t t0 = fx_now_us();
    atomic_store(&f->app.healthy, 0);
    assert_int_equal(watch_next(&st, 5000), NOT_SERVING);
    assert_true(fx_now_us() - t0 < 2500 * 1000); /* polled once a second */
    atomic_store(&f->app.healthy, 1);
    assert_int_equal(watch_next(&st, 5000), SERVING);
    assert_int_equal(fx_stream_finish(&st, 1, NULL, 0), SATHD_CANCELLED);
}

static void test_watch_unknown_service(void **state)
{
    fixture *f = *state;
    fx_stream st = {0};
    open_watch(f, &st, "nope.Service");
    assert_int_equal(watch_next(&st, 5000),
                     GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN);
    fx_stream_finish(&st, 1, NULL, 0);
}

static void test_streams_do_not_block_unary(void **state)
{
    fixture *f = *state; /* max_streams is 8 in the fixture */
    fx_stream st[9];
    memset(st, 0, sizeof st);
    for (int i = 0; i < 8; i++) {
        open_watch(f, &st[i], "");
        assert_int_equal(watch_next(&st[i], 5000), SERVING);
    }
    /* unary calls still flow with 8 open streams on a 2-worker server */
    int s;
    for (int i = 0; i < 20; i++) {
        assert_int_equal(check(f, "", &s), 0);
        assert_int_equal(s, SERVING);
    }
    /* the 9th stream is refused */
    open_watch(f, &st[8], "");
    char details[128];
    assert_int_equal(watch_next(&st[8], 5000), -1);
    assert_int_equal(fx_stream_finish(&st[8], 0, details, sizeof details), SATHD_RESOURCE_EXHAUSTED);
    for (int i = 0; i < 8; i++)
        fx_stream_finish(&st[i], 1, NULL, 0);
}

static void test_watch_ends_on_shutdown(void **state)
{
    fixture *f = *state;
    fx_stream st = {0};
    open_watch(f, &st, "");
    assert_int_equal(watch_next(&st, 5000), SERVING);
    int64_t t0 = fx_now_us();
    sathd_rpc_server_shutdown(f->srv, 3000);
    assert_true(fx_now_us() - t0 < 2500 * 1000); /* the stream ends itself, no grace wait */
    int s = watch_next(&st, 2000);
    assert_true(s == NOT_SERVING || s == -1);
    fx_stream_finish(&st, 0, NULL, 0);
}

int main(void)
{
    fx_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_sees_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_unknown_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streams_do_not_block_unary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_ends_on_shutdown, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    grpc_shutdown();
    return rc;
}
