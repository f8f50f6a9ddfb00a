/*
 * torture_server.c - the gRPC server end to end with grpc core's C client: round trip,
 * request ids, malformed/oversized/unknown requests, authentication, INTERNAL masking,
 * deadlines, concurrency and graceful shutdown.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <grpc/grpc_security.h>

#include "rpc_fixture.h"
#include "sath/v1/auth.pb-c.h"
#include "sath/v1/user.pb-c.h"

#define LOGIN "/sath.v1.AuthService/Login"
#define GETME "/sath.v1.UserService/GetMe"

static int setup(void **state)
{
    *state = fx_start(64 * 1024);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    fx_stop(*state);
    return 0;
}

static void login(fixture *f, const char *email, const char *const *md, int timeout_ms,
                  rpc_result *r)
{
    Sath__V1__LoginRequest rq = SATH__V1__LOGIN_REQUEST__INIT;
    rq.email = (char *)email;
    rq.password = (char *)"pw";
    fx_call(f, LOGIN, &rq.base, md, timeout_ms, r);
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    rpc_result r;
    login(f, "alice@example.com", NULL, 0, &r);
    assert_int_equal(r.status, 0);
    assert_true(r.has_resp);
    Sath__V1__LoginResponse *rs = sath__v1__login_response__unpack(NULL, r.resp_len, r.resp);
    assert_non_null(rs);
    assert_string_equal(rs->access_token, "tok-alice@example.com");
    /* generated request id: 32 hex, echoed in the initial metadata */
    assert_int_equal(strlen(r.request_id), 32);
    assert_string_equal(rs->token_type, r.request_id);
    assert_int_equal(strncmp(rs->refresh_token, "ipv4:127.0.0.1:", 15), 0);
    /* client deadline 10 s; grpc-timeout rounds up to its coarser units */
    assert_in_range(rs->expires_in, 9000, 10200);
    sath__v1__login_response__free_unpacked(rs, NULL);
    rpc_result_clear(&r);
}

static void test_request_id_echo(void **state)
{
    fixture *f = *state;
    rpc_result r;
    const char *md[] = {"x-request-id", "trace-abc_1.2", NULL};
    login(f, "bob", md, 0, &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.request_id, "trace-abc_1.2");
    rpc_result_clear(&r);
    const char *bad[] = {"x-request-id", "no/slashes", NULL};
    login(f, "bob", bad, 0, &r);
    assert_int_equal(strlen(r.request_id), 32);
    rpc_result_clear(&r);
}

static void test_malformed(void **state)
{
    fixture *f = *state;
    rpc_result r;
    const uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff, 0x01};
    fx_call_raw(f, LOGIN, junk, sizeof junk, NULL, 0, &r);
    assert_int_equal(r.status, SATHD_INVALID_ARGUMENT);
    assert_string_equal(r.details, "malformed request message");
    assert_false(r.has_resp);
    assert_int_equal(atomic_load(&f->app.handler_calls), 0);
    rpc_result_clear(&r);
}

static void test_oversized(void **state)
{
    fixture *f = *state;
    rpc_result r;
    char *big = malloc(100 * 1024);
    memset(big, 'x', 100 * 1024 - 1);
    big[100 * 1024 - 1] = '\0';
    login(f, big, NULL, 0, &r);
    assert_int_equal(r.status, SATHD_RESOURCE_EXHAUSTED);
    assert_int_equal(atomic_load(&f->app.handler_calls), 0);
    rpc_result_clear(&r);
    free(big);
    login(f, "small", NULL, 0, &r); /* the server is still fine */
    assert_int_equal(r.status, 0);
    rpc_result_clear(&r);
}

static void test_unknown_method(void **state)
{
    fixture *f = *state;
    rpc_result r;
    fx_call_raw(f, "/sath.v1.Nope/Nothing", (const uint8_t *)"", 0, NULL, 0, &r);
    assert_int_equal(r.status, SATHD_UNIMPLEMENTED);
    rpc_result_clear(&r);
    fx_call_raw(f, "/sath.v1.AuthService/Register", (const uint8_t *)"", 0, NULL, 0, &r);
    assert_int_equal(r.status, SATHD_UNIMPLEMENTED);
    rpc_result_clear(&r);
}

static void test_authentication(void **state)
{
    fixture *f = *state;
    rpc_result r;
    Sath__V1__GetMeRequest rq = SATH__V1__GET_ME_REQUEST__INIT;
    fx_call(f, GETME, &rq.base, NULL, 0, &r);
    assert_int_equal(r.status, SATHD_UNAUTHENTICATED);
    assert_string_equal(r.details, "missing bearer token");
    rpc_result_clear(&r);
    const char *bad[] = {"authorization", "Bearer nope", NULL};
    fx_call(f, GETME, &rq.base, bad, 0, &r);
    assert_int_equal(r.status, SATHD_UNAUTHENTICATED);
    assert_string_equal(r.details, "token rejected");
    rpc_result_clear(&r);
    assert_int_equal(atomic_load(&f->app.handler_calls), 0);
    const char *good[] = {"authorization", "bearer good-token", NULL};
    fx_call(f, GETME, &rq.base, good, 0, &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(f->app.last_token, "good-token");
    Sath__V1__User *u = sath__v1__user__unpack(NULL, r.resp_len, r.resp);
    assert_non_null(u);
    assert_string_equal(u->id, "user-42");
    assert_string_equal(u->email, "jti-1");
    sath__v1__user__free_unpacked(u, NULL);
    rpc_result_clear(&r);
    /* a public method ignores tokens entirely */
    int before = atomic_load(&f->app.auth_calls);
    login(f, "carol", bad, 0, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(atomic_load(&f->app.auth_calls), before);
    rpc_result_clear(&r);
}

static void test_internal_masked(void **state)
{
    fixture *f = *state;
    rpc_result r;
    login(f, "internal", NULL, 0, &r);
    assert_int_equal(r.status, SATHD_INTERNAL);
    char want[128];
    snprintf(want, sizeof want, "internal error (request id %s)", r.request_id);
    assert_string_equal(r.details, want);
    assert_null(strstr(r.details, "s3cret"));
    rpc_result_clear(&r);
    login(f, "fail", NULL, 0, &r);
    assert_int_equal(r.status, SATHD_NOT_FOUND);
    assert_string_equal(r.details, "not found");
    rpc_result_clear(&r);
}

static void test_deadline_before_handler(void **state)
{
    fixture *f = *state;
    rpc_result r;
    Sath__V1__GetMeRequest rq = SATH__V1__GET_ME_REQUEST__INIT;
    const char *slow[] = {"authorization", "Bearer slow-auth", NULL};
    fx_call(f, GETME, &rq.base, slow, 150, &r); /* auth takes 400 ms */
    assert_int_equal(r.status, SATHD_DEADLINE_EXCEEDED);
    rpc_result_clear(&r);
    usleep(600 * 1000);
    assert_int_equal(atomic_load(&f->app.handler_calls), 0);
    sathd_metrics *m = sathd_rpc_server_metrics(f->srv);
    assert_int_equal(sathd_metrics_count(m, 1, SATHD_DEADLINE_EXCEEDED), 1);
}

typedef struct hammer_arg {
    fixture *f;
    int n, ok;
    char name[16];
} hammer_arg;

static void *hammer(void *p)
{
    hammer_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        rpc_result r;
        login(a->f, a->name, NULL, 0, &r);
        Sath__V1__LoginResponse *rs =
            r.has_resp ? sath__v1__login_response__unpack(NULL, r.resp_len, r.resp) : NULL;
        char want[32];
        snprintf(want, sizeof want, "tok-%s", a->name);
        if (r.status == 0 && rs && strcmp(rs->access_token, want) == 0)
            a->ok++;
        if (rs)
            sath__v1__login_response__free_unpacked(rs, NULL);
        rpc_result_clear(&r);
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    fixture *f = *state;
    enum { T = 6, N = 300 };
    pthread_t t[T];
    hammer_arg a[T];
    for (int i = 0; i < T; i++) {
        a[i] = (hammer_arg){f, N, 0, ""};
        snprintf(a[i].name, sizeof a[i].name, "t%d", i);
        pthread_create(&t[i], NULL, hammer, &a[i]);
    }
    for (int i = 0; i < T; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].ok, N);
    }
    assert_int_equal(sathd_metrics_count(sathd_rpc_server_metrics(f->srv), 0, SATHD_OK), T * N);
    char *txt = sathd_metrics_render(sathd_rpc_server_metrics(f->srv));
    assert_non_null(strstr(txt, "sathd_rpc_calls_total{method=\"/sath.v1.AuthService/Login\",code=\"OK\"} 1800\n"));
    free(txt);
}

typedef struct slow_arg {
    fixture *f;
    rpc_result r;
    int64_t done_us;
} slow_arg;

static void *slow_call(void *p)
{
    slow_arg *a = p;
    login(a->f, "slow:800", NULL, 5000, &a->r);
    a->done_us = fx_now_us();
    return NULL;
}

static void test_graceful_shutdown(void **state)
{
    fixture *f = *state;
    slow_arg a = {f, {0}, 0};
    pthread_t t;
    pthread_create(&t, NULL, slow_call, &a);
    usleep(200 * 1000); /* the call is in its handler now */
    int64_t t0 = fx_now_us();
    sathd_rpc_server_shutdown(f->srv, 5000);
    int64_t took = fx_now_us() - t0;
    pthread_join(t, NULL);
    assert_int_equal(a.r.status, 0); /* finished within the grace period */
    assert_true(took >= 400 * 1000);
    assert_true(took < 4000 * 1000);
    rpc_result_clear(&a.r);
    /* new calls are refused now */
    rpc_result r;
    login(f, "late", NULL, 500, &r);
    assert_int_not_equal(r.status, 0);
    rpc_result_clear(&r);
}

static void test_shutdown_grace_expires(void **state)
{
    fixture *f = *state;
    slow_arg a = {f, {0}, 0};
    pthread_t t;
    pthread_create(&t, NULL, slow_call, &a);
    usleep(200 * 1000);
    int64_t t0 = fx_now_us();
    sathd_rpc_server_shutdown(f->srv, 100); /* shorter than the call: it is cancelled */
    int64_t took = fx_now_us() - t0;
    pthread_join(t, NULL);
    assert_true(a.r.status == SATHD_CANCELLED || a.r.status == SATHD_UNAVAILABLE);
    assert_true(a.done_us - t0 < 500 * 1000); /* the client heard of it at once */
    assert_true(took < 3000 * 1000);          /* the handler's sleep bounds the join */
    rpc_result_clear(&a.r);
}

typedef struct load_arg {
    fixture *f;
    int ok, refused, other;
} load_arg;

static void *load_until_refused(void *p)
{
    load_arg *a = p;
    for (int i = 0; i < 5000 && a->refused == 0; i++) {
        rpc_result r;
        login(a->f, "load", NULL, 2000, &r);
        if (r.status == 0)
            a->ok++;
        else if (r.status == SATHD_UNAVAILABLE || r.status == SATHD_CANCELLED)
            a->refused++;
        else
            a->other++;
        rpc_result_clear(&r);
    }
    return NULL;
}

static void test_shutdown_under_load(void **state)
{
    fixture *f = *state;
    enum { T = 4 };
    pthread_t t[T];
    load_arg a[T];
    for (int i = 0; i < T; i++) {
        a[i] = (load_arg){f, 0, 0, 0};
        pthread_create(&t[i], NULL, load_until_refused, &a[i]);
    }
    usleep(300 * 1000);
    sathd_rpc_server_shutdown(f->srv, 200);
    for (int i = 0; i < T; i++) {
        pthread_join(t[i], NULL);
        assert_true(a[i].ok > 0);
        assert_true(a[i].refused > 0); /* every client noticed the shutdown */
        assert_int_equal(a[i].other, 0);
    }
}

static void test_tls(void **state)
{
    (void)state;
    fixture *f = fx_start_ex(0, 1);
    assert_non_null(f);
    rpc_result r;
    login(f, "tls-user", NULL, 0, &r);
    assert_int_equal(r.status, 0);
    Sath__V1__LoginResponse *rs = sath__v1__login_response__unpack(NULL, r.resp_len, r.resp);
    assert_non_null(rs);
    assert_string_equal(rs->access_token, "tok-tls-user");
    sath__v1__login_response__free_unpacked(rs, NULL);
    rpc_result_clear(&r);
    /* a plaintext client cannot talk to the TLS port */
    grpc_channel *tls_ch = f->ch;
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%d", f->port);
    grpc_channel_credentials *cc = grpc_insecure_credentials_create();
    f->ch = grpc_channel_create(target, cc, NULL);
    grpc_channel_credentials_release(cc);
    login(f, "plain", NULL, 1000, &r);
    assert_int_not_equal(r.status, 0);
    rpc_result_clear(&r);
    grpc_channel_destroy(f->ch);
    f->ch = tls_ch;
    fx_stop(f);
}

static void test_bad_options(void **state)
{
    (void)state;
    sathd_registry *reg = sathd_registry_new();
    char err[256] = "";
    sathd_rpc_opts o = {.addr = "127.0.0.1:0", .tls_cert_file = "/nonexistent/cert.pem",
                        .tls_key_file = "/nonexistent/key.pem"};
    assert_null(sathd_rpc_server_new(&o, reg, NULL, NULL, NULL, 0, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/"));
    o.tls_key_file = NULL;
    assert_null(sathd_rpc_server_new(&o, reg, NULL, NULL, NULL, 0, err, sizeof err));
    o.tls_cert_file = NULL;
    const uint8_t junk[] = {0xff, 0xff};
    sathd_file_descriptor bad = {"x.proto", junk, sizeof junk};
    assert_null(sathd_rpc_server_new(&o, reg, NULL, NULL, &bad, 1, err, sizeof err));
    assert_non_null(strstr(err, "x.proto"));
    /* an address that cannot be bound: start fails, free still cleans up */
    o.addr = "203.0.113.1:1";
    sathd_registry_free(reg);
    reg = sathd_registry_new();
    sathd_rpc_server *s = sathd_rpc_server_new(&o, reg, NULL, NULL, NULL, 0, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(sathd_rpc_server_start(s), -1);
    sathd_rpc_server_free(s);
    sathd_registry_free(reg);
}

int main(void)
{
    fx_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_id_echo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authentication, setup, teardown),
        cmocka_unit_test_setup_teardown(test_internal_masked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_before_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_graceful_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_grace_expires, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_under_load, setup, teardown),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_bad_options),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    grpc_shutdown();
    return rc;
}
