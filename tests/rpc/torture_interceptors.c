/*
 * torture_interceptors.c - the transport-neutral chain (sathd_call_new + sathd_call_run)
 * driven by an in-test "transport" whose metadata is a key/value list, the way the REST
 * gateway will drive it: request ids, bearer authentication, deadline, error mapping,
 * access log content (captured from stderr) and metrics.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "sath/v1/auth.pb-c.h"
#include "sathd/rpc.h"

struct sathd_app {
    int handler_calls;
    int auth_calls;
    char seen_token[64];
    int auth_mode; /* 0 accept, 1 reject with message, 2 reject without message */
    int handler_mode; /* 0 ok, 1 internal, 2 not found w/o message, 3 bare code,
                         4 cleanups (sathd_call_defer), 5 cleanups then INTERNAL */
    char cleanups[16]; /* the order cleanups ran in, one letter each */
    int handler_returned;
    int admit_calls;
    int admit_mode; /* 0 admit, 1 refuse with a rate limit, 2 bare UNAVAILABLE */
    int auth_calls_at_admit;
    int had_request;
};

/* The admission hook: sees the decoded request after authentication. */
static int admit(void *ud, sathd_call *call, const ProtobufCMessage *req)
{
    struct sathd_app *app = ud;
    app->admit_calls++;
    app->auth_calls_at_admit = app->auth_calls;
    app->had_request = req != NULL;
    if (app->admit_mode == 1) {
        sathd_ratelimit_info info = {"login-ip", 30, 60, 0, 42, 7};
        sathd_call_set_ratelimit(call, &info);
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "too many requests");
    }
    return app->admit_mode == 2 ? SATHD_UNAVAILABLE : SATHD_OK;
}

static void cleanup(sathd_call *call, void *arg)
{
    struct sathd_app *app = sathd_call_app(call);
    assert_true(app->handler_returned); /* never while the handler still runs */
    size_t n = strlen(app->cleanups);
    if (n + 1 < sizeof app->cleanups)
        app->cleanups[n] = *(const char *)arg;
}

/* Registers cleanups a, b, c and runs b early (a second early run of b finds nothing). */
static int with_cleanups(sathd_call *call, struct sathd_app *app)
{
    static const char a = 'a', b = 'b', c = 'c';
    assert_int_equal(sathd_call_defer(call, cleanup, (void *)(uintptr_t)&a), 0);
    assert_int_equal(sathd_call_defer(call, cleanup, (void *)(uintptr_t)&b), 0);
    assert_int_equal(sathd_call_defer(call, cleanup, (void *)(uintptr_t)&c), 0);
    app->handler_returned = 1; /* the early run below is the handler's own choice */
    assert_int_equal(sathd_call_defer_run(call, cleanup, (void *)(uintptr_t)&b), 0);
    assert_int_equal(sathd_call_defer_run(call, cleanup, (void *)(uintptr_t)&b), -1);
    assert_string_equal(app->cleanups, "b");
    app->handler_returned = 0;
    return SATHD_OK;
}

static const sathd_method_desc pub_desc = {
    "sath.v1.AuthService", "Login", "/sath.v1.AuthService/Login",
    &sath__v1__login_request__descriptor, &sath__v1__login_response__descriptor,
    SATHD_METHOD_PUBLIC, {NULL, NULL, NULL, NULL, 200}};
static const sathd_method_desc priv_desc = {
    "sath.v1.AuthService", "Logout", "/sath.v1.AuthService/Logout",
    &sath__v1__login_request__descriptor, &sath__v1__login_response__descriptor, 0,
    {NULL, NULL, NULL, NULL, 200}};

typedef struct fx {
    struct sathd_app app;
    sathd_registry *reg;
    sathd_metrics *metrics;
    sathd_call_env env;
    sathd_arena *arena;
    const char *md[8]; /* key, value, ..., NULL */
    const sathd_registry_entry *pub, *priv;
} fx;

static const char *md_get(void *ud, sathd_call *call, const char *key)
{
    const char **md = ud;
    for (size_t i = 0; md[i]; i += 2)
        if (strcmp(md[i], key) == 0)
            return sathd_call_strdup(call, md[i + 1]);
    return NULL;
}

static int handler(sathd_call *call, const void *impl, const ProtobufCMessage *req,
                   ProtobufCMessage *resp)
{
    (void)impl;
    (void)req;
    struct sathd_app *app = sathd_call_app(call);
    app->handler_calls++;
    Sath__V1__LoginResponse *rs = (void *)resp;
    switch (app->handler_mode) {
    case 1:
        return sathd_call_error(call, SATHD_INTERNAL, "connection to db \"x\" lost: SECRETDETAIL");
    case 2:
        return sathd_call_error(call, SATHD_NOT_FOUND, NULL);
    case 3:
        return SATHD_PERMISSION_DENIED;
    case 4:
    case 5:
        with_cleanups(call, app);
        app->handler_returned = 1;
        if (app->handler_mode == 5)
            return sathd_call_error(call, SATHD_INTERNAL, "failed after taking resources");
        rs->access_token = (char *)"";
        rs->token_type = (char *)"";
        return SATHD_OK;
    default:
        rs->access_token = sathd_call_printf(call, "%0300d", 7); /* > 256: second vsnprintf */
        rs->token_type = sathd_call_identity(call) ? (char *)sathd_call_identity(call)->user_id : (char *)"";
        return SATHD_OK;
    }
}

static int auth(void *ud, sathd_call *call, const char *token, sathd_identity *out)
{
    struct sathd_app *app = ud;
    app->auth_calls++;
    snprintf(app->seen_token, sizeof app->seen_token, "%s", token);
    if (app->auth_mode == 1)
        return sathd_call_error(call, SATHD_UNAUTHENTICATED, "token expired");
    if (app->auth_mode == 2)
        return SATHD_UNAUTHENTICATED;
    out->user_id = "user-7";
    return SATHD_OK;
}

static int setup(void **state)
{
    if (sodium_init() < 0)
        return -1;
    fx *f = calloc(1, sizeof *f);
    f->reg = sathd_registry_new();
    if (sathd_registry_add(f->reg, &pub_desc, handler, NULL) ||
        sathd_registry_add(f->reg, &priv_desc, handler, NULL))
        return -1;
    f->pub = sathd_registry_at(f->reg, 0);
    f->priv = sathd_registry_at(f->reg, 1);
    f->metrics = sathd_metrics_new(f->reg);
    f->env = (sathd_call_env){&f->app, {.ud = &f->app, .authenticate = auth}, f->metrics};
    f->arena = sathd_arena_new(0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sathd_arena_free(f->arena);
    sathd_metrics_free(f->metrics);
    sathd_registry_free(f->reg);
    free(f);
    return 0;
}

/* Runs one call of `m` with f->md; returns the status, *msg the message. */
static int run(fx *f, const sathd_registry_entry *m, int64_t deadline_ns, const char **msg,
               Sath__V1__LoginResponse **out, const char **rid)
{
    sathd_arena_reset(f->arena);
    sathd_call *c = sathd_call_new(f->arena, &f->env, m, md_get, f->md, "ipv4:10.0.0.1:5", deadline_ns);
    assert_non_null(c);
    Sath__V1__LoginRequest rq = SATH__V1__LOGIN_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int st = sathd_call_run(c, m, &rq.base, &resp);
    assert_int_equal(st, sathd_call_status(c));
    *msg = sathd_call_message(c);
    if (out)
        *out = (void *)resp;
    if (rid)
        *rid = sathd_call_request_id(c);
    if (st == SATHD_OK)
        assert_non_null(resp);
    else
        assert_null(resp);
    return st;
}

/* Admission runs after authentication and the deadline check, before the handler; its
 * refusal and rate-limit record reach the transport, and a bare code gets a message. */
static void test_admission(void **state)
{
    fx *f = *state;
    const char *msg;
    f->env.hooks.admit = admit;
    f->md[0] = "authorization";
    f->md[1] = "Bearer tok";
    assert_int_equal(run(f, f->priv, INT64_MAX, &msg, NULL, NULL), SATHD_OK);
    assert_int_equal(f->app.admit_calls, 1);
    assert_int_equal(f->app.auth_calls_at_admit, 1);
    assert_true(f->app.had_request);
    f->app.admit_mode = 1;
    assert_int_equal(run(f, f->priv, INT64_MAX, &msg, NULL, NULL), SATHD_RESOURCE_EXHAUSTED);
    assert_string_equal(msg, "too many requests");
    assert_int_equal(f->app.handler_calls, 1); /* the refused call never reached it */
    sathd_arena_reset(f->arena);
    sathd_call *c = sathd_call_new(f->arena, &f->env, f->priv, md_get, f->md, "ipv4:10.0.0.1:5",
                                   INT64_MAX);
    Sath__V1__LoginRequest rq = SATH__V1__LOGIN_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    sathd_call_run(c, f->priv, &rq.base, &resp);
    const sathd_ratelimit_info *rl = sathd_call_ratelimit(c);
    assert_non_null(rl);
    assert_string_equal(rl->policy, "login-ip");
    assert_int_equal(rl->retry_after_s, 7);
    f->app.admit_mode = 2;
    assert_int_equal(run(f, f->priv, INT64_MAX, &msg, NULL, NULL), SATHD_UNAVAILABLE);
    assert_string_equal(msg, "request refused");
    /* Unauthenticated or expired calls are not counted. */
    int before = f->app.admit_calls;
    f->app.auth_mode = 1;
    assert_int_equal(run(f, f->priv, INT64_MAX, &msg, NULL, NULL), SATHD_UNAUTHENTICATED);
    f->app.auth_mode = 0;
    assert_int_equal(run(f, f->priv, 1, &msg, NULL, NULL), SATHD_DEADLINE_EXCEEDED);
    assert_int_equal(f->app.admit_calls, before);
}

static void test_request_id(void **state)
{
    fx *f = *state;
    const char *msg, *rid;
    f->md[0] = "x-request-id";
    f->md[1] = "Abc.123_x-9";
    assert_int_equal(run(f, f->pub, INT64_MAX, &msg, NULL, &rid), SATHD_OK);
    assert_string_equal(rid, "Abc.123_x-9");
    f->md[1] = "bad id";
    run(f, f->pub, INT64_MAX, &msg, NULL, &rid);
    assert_int_equal(strlen(rid), 32);
    assert_int_equal(strspn(rid, "0123456789abcdef"), 32);
    char long_id[66];
    memset(long_id, 'a', 65);
    long_id[65] = '\0';
    f->md[1] = long_id;
    run(f, f->pub, INT64_MAX, &msg, NULL, &rid);
    assert_int_equal(strlen(rid), 32);
    long_id[64] = '\0'; /* exactly 64 is fine */
    run(f, f->pub, INT64_MAX, &msg, NULL, &rid);
    assert_string_equal(rid, long_id);
    f->md[0] = NULL;
    char first[40];
    run(f, f->pub, INT64_MAX, &msg, NULL, &rid);
    strcpy(first, rid);
    run(f, f->pub, INT64_MAX, &msg, NULL, &rid);
    assert_string_not_equal(first, rid);
}

static void test_auth(void **state)
{
    fx *f = *state;
    const char *msg;
    Sath__V1__LoginResponse *out;
    assert_int_equal(run(f, f->priv, INT64_MAX, &msg, NULL, NULL), SATHD_UNAUTHENTICATED);
    assert_string_equal(msg, "missing bearer token");
    assert_int_equal(f->app.handler_calls, 0);
    f->md[0] = "authorization";
    f->md[1] = "Basic dXNlcjpwYXNz";
    assert_int_equal(run(f, f->priv, INT64_MAX, &msg, NULL, NULL), SATHD_UNAUTHENTICATED);
    f->md[1] = "Bearer ";
    assert_int_equal(run(f, f->priv, INT64_MAX, &msg, NULL, NULL), SATHD_UNAUTHENTICATED);
    assert_int_equal(f->app.auth_calls, 0);
    f->md[1] = "bEaReR   tok.en-1";
    assert_int_equal(run(f, f->priv, INT64_MAX, &msg, &out, NULL), SATHD_OK);
    assert_string_equal(f->app.seen_token, "tok.en-1");
    assert_string_equal(out->token_type, "user-7"); /* the handler saw the identity */
    assert_null(msg);
    f->app.auth_mode = 1;
    assert_int_equal(run(f, f->priv, INT64_MAX, &msg, NULL, NULL), SATHD_UNAUTHENTICATED);
    assert_string_equal(msg, "token expired");
    f->app.auth_mode = 2;
    assert_int_equal(run(f, f->priv, INT64_MAX, &msg, NULL, NULL), SATHD_UNAUTHENTICATED);
    assert_string_equal(msg, "invalid access token");
    assert_int_equal(f->app.handler_calls, 1);
    /* public method: token ignored, not verified, no identity */
    int before = f->app.auth_calls;
    assert_int_equal(run(f, f->pub, INT64_MAX, &msg, &out, NULL), SATHD_OK);
    assert_int_equal(f->app.auth_calls, before);
    assert_string_equal(out->token_type, "");
    /* no hook configured: protected methods are closed */
    f->env.hooks.authenticate = NULL;
    f->app.auth_mode = 0;
    assert_int_equal(run(f, f->priv, INT64_MAX, &msg, NULL, NULL), SATHD_UNAUTHENTICATED);
}

static void test_deadline(void **state)
{
    fx *f = *state;
    const char *msg;
    assert_int_equal(run(f, f->pub, sathd_rpc_now_ns() - 1, &msg, NULL, NULL),
                     SATHD_DEADLINE_EXCEEDED);
    assert_int_equal(f->app.handler_calls, 0);
    assert_int_equal(sathd_metrics_count(f->metrics, 0, SATHD_DEADLINE_EXCEEDED), 1);
    sathd_arena_reset(f->arena);
    sathd_call *c = sathd_call_new(f->arena, &f->env, f->pub, md_get, f->md, NULL,
                                   sathd_rpc_now_ns() + 5000000000LL);
    int64_t left = sathd_call_remaining_ms(c);
    assert_true(left > 4000 && left <= 5000);
    assert_string_equal(sathd_call_peer(c), "-");
    c = sathd_call_new(f->arena, &f->env, f->pub, md_get, f->md, NULL, INT64_MAX);
    assert_true(sathd_call_remaining_ms(c) == INT64_MAX);
}

static void test_error_mapping(void **state)
{
    fx *f = *state;
    const char *msg, *rid;
    f->app.handler_mode = 1;
    assert_int_equal(run(f, f->pub, INT64_MAX, &msg, NULL, &rid), SATHD_INTERNAL);
    char want[96];
    snprintf(want, sizeof want, "internal error (request id %s)", rid);
    assert_string_equal(msg, want);
    f->app.handler_mode = 2;
    assert_int_equal(run(f, f->pub, INT64_MAX, &msg, NULL, NULL), SATHD_NOT_FOUND);
    assert_string_equal(msg, "not found");
    f->app.handler_mode = 3;
    assert_int_equal(run(f, f->pub, INT64_MAX, &msg, NULL, NULL), SATHD_PERMISSION_DENIED);
    assert_string_equal(msg, "permission denied");
    /* undecodable request: the chain still logs and counts it */
    sathd_arena_reset(f->arena);
    sathd_call *c = sathd_call_new(f->arena, &f->env, f->pub, md_get, f->md, NULL, INT64_MAX);
    ProtobufCMessage *resp;
    assert_int_equal(sathd_call_run(c, f->pub, NULL, &resp), SATHD_INVALID_ARGUMENT);
    assert_string_equal(sathd_call_message(c), "malformed request message");
    c = sathd_call_new(f->arena, &f->env, f->pub, md_get, f->md, NULL, INT64_MAX);
    sathd_call_error(c, SATHD_INVALID_ARGUMENT, "body is not JSON");
    assert_int_equal(sathd_call_run(c, f->pub, NULL, &resp), SATHD_INVALID_ARGUMENT);
    assert_string_equal(sathd_call_message(c), "body is not JSON");
    /* no handler */
    sathd_registry_entry none = *f->pub;
    none.fn = NULL;
    assert_int_equal(run(f, &none, INT64_MAX, &msg, NULL, NULL), SATHD_UNIMPLEMENTED);
    assert_int_equal(sathd_metrics_count(f->metrics, 0, SATHD_INVALID_ARGUMENT), 2);
}

/* Runs one call with stderr redirected to a file; returns what was logged (malloc'd). */
static char *logged_call(fx *f, const sathd_registry_entry *m)
{
    char path[] = "/tmp/sath-rpc-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    const char *msg;
    run(f, m, INT64_MAX, &msg, NULL, NULL);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char *buf = calloc(1, 8192);
    ssize_t n = pread(fd, buf, 8191, 0);
    assert_true(n > 0);
    close(fd);
    unlink(path);
    return buf;
}

static void test_access_log(void **state)
{
    fx *f = *state;
    f->md[0] = "authorization";
    f->md[1] = "Bearer SECRET-TOKEN-VALUE";
    f->md[2] = "x-request-id";
    f->md[3] = "req-77";
    f->md[4] = NULL;
    char *log = logged_call(f, f->priv);
    assert_non_null(strstr(log, "level=info msg=access request_id=req-77 "
                                "method=/sath.v1.AuthService/Logout peer=ipv4:10.0.0.1:5 "
                                "user=user-7 status=OK dur_us="));
    assert_null(strstr(log, "SECRET-TOKEN-VALUE"));
    free(log);
    f->app.handler_mode = 1;
    log = logged_call(f, f->priv);
    assert_non_null(strstr(log, "level=error msg=\"internal error\" request_id=req-77"));
    assert_non_null(strstr(log, "SECRETDETAIL")); /* detail goes to the log only */
    assert_non_null(strstr(log, "status=INTERNAL"));
    assert_null(strstr(log, "SECRET-TOKEN-VALUE"));
    free(log);
}

/* Cleanups registered by a handler run once each, after it returned, latest first, on
 * success and on error alike; one run early does not run again. */
static void test_defer(void **state)
{
    fx *f = *state;
    const char *msg = NULL;
    for (int mode = 4; mode <= 5; mode++) {
        f->app.handler_mode = mode;
        memset(f->app.cleanups, 0, sizeof f->app.cleanups);
        f->app.handler_returned = 0;
        int st = run(f, f->pub, INT64_MAX, &msg, NULL, NULL);
        assert_int_equal(st, mode == 4 ? SATHD_OK : SATHD_INTERNAL);
        assert_string_equal(f->app.cleanups, "bca");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_access_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admission, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
