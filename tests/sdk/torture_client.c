/*
 * torture_client.c - libsathclient against a real gRPC server (tests/sdk/fake_server.py,
 * python3-grpcio): unary calls through sath__unary, deadlines, unreachable servers,
 * metadata, concurrency, and the token session with its transparent refresh.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_proc.h"
#include "grpc/health/v1/health.pb-c.h"
#include "sath/sath.h"
#include "sath/v1/user.pb-c.h"
#include "unary.h"

extern char **environ;

typedef struct fixture {
    pid_t pid;
    int to_server; /* closing it stops the server */
    char target[64];
    pid_t tls_pid;     /* a second server speaking TLS with a self-signed certificate */
    int to_tls_server;
    char tls_target[64];
    char dir[64];      /* temp dir with cert.pem, key.pem */
    char cert[128];
    sath_client *c;
    int token_events;
    int last_event_null;
    pthread_mutex_t mu;
} fixture;

/* Spawns argv and waits for it; 0 when it exited 0. */
static int run_tool(char *const argv[])
{
    pid_t pid;
    int status = 0;
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* A self-signed certificate for 127.0.0.1 in f->dir. */
static int make_certificate(fixture *f)
{
    char key[128];
    snprintf(f->dir, sizeof f->dir, "/tmp/sath-sdk-tls-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->cert, sizeof f->cert, "%s/cert.pem", f->dir);
    snprintf(key, sizeof key, "%s/key.pem", f->dir);
    char *argv[] = {(char *)"/usr/bin/openssl", (char *)"req", (char *)"-x509", (char *)"-newkey",
                    (char *)"ec", (char *)"-pkeyopt", (char *)"ec_paramgen_curve:prime256v1",
                    (char *)"-nodes", (char *)"-days", (char *)"2", (char *)"-subj", (char *)"/CN=127.0.0.1",
                    (char *)"-addext", (char *)"subjectAltName=IP:127.0.0.1,DNS:localhost",
                    (char *)"-keyout", key, (char *)"-out", f->cert, NULL};
    return run_tool(argv);
}

static int group_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    signal(SIGPIPE, SIG_IGN);
    char key[160];
    if (make_certificate(f) != 0)
        return -1;
    snprintf(key, sizeof key, "%s/key.pem", f->dir);
    char *plain[] = {(char *)"/usr/bin/python3", (char *)SATH_FAKE_SERVER, NULL};
    char *tls[] = {(char *)"/usr/bin/python3", (char *)SATH_FAKE_SERVER, (char *)"--tls", f->cert, key, NULL};
    if (fake_proc_start(plain, &f->pid, &f->to_server, f->target, sizeof f->target) != 0 ||
        fake_proc_start(tls, &f->tls_pid, &f->to_tls_server, f->tls_target, sizeof f->tls_target) != 0)
        return -1;
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    close(f->to_server);
    close(f->to_tls_server);
    int status = 0;
    waitpid(f->pid, &status, 0);
    waitpid(f->tls_pid, &status, 0);
    char path[160];
    snprintf(path, sizeof path, "%s/key.pem", f->dir);
    unlink(path);
    unlink(f->cert);
    rmdir(f->dir);
    pthread_mutex_destroy(&f->mu);
    free(f);
    return 0;
}

static void on_tokens(void *ud, const char *access, const char *refresh)
{
    fixture *f = ud;
    pthread_mutex_lock(&f->mu);
    f->token_events++;
    f->last_event_null = access == NULL && refresh == NULL;
    pthread_mutex_unlock(&f->mu);
}

/* Health.Check / Control calls share the health messages. */
static int check(sath_client *c, const char *path, const char *service, sath_call_opts *o, int *serving)
{
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)service;
    Grpc__Health__V1__HealthCheckResponse *resp = NULL;
    int rc = sath__unary(c, path, req.base.descriptor, &req.base, &grpc__health__v1__health_check_response__descriptor,
                         (ProtobufCMessage **)&resp, o);
    if (serving)
        *serving = resp ? (int)resp->status : -1;
    if (rc == SATH_OK)
        assert_non_null(resp);
    else
        assert_null(resp);
    if (resp)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

static int control(sath_client *c, const char *method, sath_call_opts *o)
{
    char path[64];
    snprintf(path, sizeof path, "/sath.test.Control/%s", method);
    return check(c, path, "", o, NULL);
}

static int get_me(sath_client *c, sath_call_opts *o)
{
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    Sath__V1__User *user = NULL;
    int rc = sath__unary(c, "/sath.v1.UserService/GetMe", req.base.descriptor, &req.base, &sath__v1__user__descriptor,
                         (ProtobufCMessage **)&user, o);
    if (rc == SATH_OK) {
        assert_string_equal(user->email, "ada@example.org");
        protobuf_c_message_free_unpacked(&user->base, NULL);
    }
    return rc;
}

static int stat_of(fixture *f, const char *key)
{
    sath_call_opts *o = NULL;
    assert_int_equal(sath_call_opts_new(&o), SATH_OK);
    assert_int_equal(control(f->c, "Stats", o), SATH_OK);
    const char *v = sath_call_opts_response_metadata(o, key);
    assert_non_null(v);
    int n = atoi(v);
    sath_call_opts_free(o);
    return n;
}

static int setup(void **state)
{
    fixture *f = *state;
    f->token_events = 0;
    f->last_event_null = 0;
    if (sath_client_new(f->target, NULL, &f->c) != SATH_OK)
        return -1;
    sath_client_on_tokens(f->c, on_tokens, f);
    return control(f->c, "Reset", NULL) == SATH_OK ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sath_client_free(f->c);
    f->c = NULL;
    return 0;
}

static void test_health_serving(void **state)
{
    fixture *f = *state;
    int serving = 0;
    assert_int_equal(check(f->c, "/grpc.health.v1.Health/Check", "", NULL, &serving), SATH_OK);
    assert_int_equal(serving, GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
    assert_string_equal(sath_client_last_error_message(f->c), "");
    /* a caller that does not want the response passes resp == NULL */
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    assert_int_equal(sath__unary(f->c, "/grpc.health.v1.Health/Check", req.base.descriptor, &req.base,
                                 &grpc__health__v1__health_check_response__descriptor, NULL, NULL), SATH_OK);
    req.service = (char *)"fail";
    assert_int_equal(sath__unary(f->c, "/grpc.health.v1.Health/Check", req.base.descriptor, &req.base,
                                 &grpc__health__v1__health_check_response__descriptor, NULL, NULL), SATH_NOT_FOUND);
}

static void test_server_error_status_and_message(void **state)
{
    fixture *f = *state;
    sath_call_opts *o = NULL;
    assert_int_equal(sath_call_opts_new(&o), SATH_OK);
    assert_int_equal(check(f->c, "/grpc.health.v1.Health/Check", "fail", o, NULL), SATH_NOT_FOUND);
    assert_int_equal(sath_call_opts_status(o), SATH_NOT_FOUND);
    assert_string_equal(sath_call_opts_status_message(o), "no such service: fail");
    assert_non_null(strstr(sath_client_last_error_message(f->c), "no such service: fail"));
    /* the same opts report success afterwards */
    assert_int_equal(check(f->c, "/grpc.health.v1.Health/Check", "", o, NULL), SATH_OK);
    assert_int_equal(sath_call_opts_status(o), SATH_OK);
    assert_string_equal(sath_call_opts_status_message(o), "");
    assert_string_equal(sath_client_last_error_message(f->c), "");
    sath_call_opts_free(o);
}

static void test_unimplemented(void **state)
{
    fixture *f = *state;
    assert_int_equal(check(f->c, "/grpc.health.v1.Health/Nope", "", NULL, NULL), SATH_UNIMPLEMENTED);
}

static void test_undecodable_reply(void **state)
{
    fixture *f = *state;
    assert_int_equal(check(f->c, "/grpc.health.v1.Health/Check", "garbage", NULL, NULL), SATH_EPROTO);
}

static void test_deadline(void **state)
{
    fixture *f = *state;
    sath_call_opts *o = NULL;
    assert_int_equal(sath_call_opts_new(&o), SATH_OK);
    assert_int_equal(sath_call_opts_set_timeout_ms(o, 200), SATH_OK);
    assert_int_equal(check(f->c, "/grpc.health.v1.Health/Check", "slow", o, NULL), SATH_DEADLINE_EXCEEDED);
    assert_int_equal(sath_call_opts_status(o), SATH_DEADLINE_EXCEEDED);
    sath_call_opts_free(o);

    /* the client's default deadline applies when opts do not set one */
    sath_client_options *co = NULL;
    sath_client *c = NULL;
    assert_int_equal(sath_client_options_new(&co), SATH_OK);
    assert_int_equal(sath_client_options_set_timeout_ms(co, 300), SATH_OK);
    assert_int_equal(sath_client_new(f->target, co, &c), SATH_OK);
    sath_client_options_free(co);
    assert_int_equal(check(c, "/grpc.health.v1.Health/Check", "slow", NULL, NULL), SATH_DEADLINE_EXCEEDED);
    sath_client_free(c);
}

static void test_unreachable(void **state)
{
    (void)state;
    sath_client *c = NULL;
    /* port 1 on loopback: nothing listens there */
    assert_int_equal(sath_client_new("127.0.0.1:1", NULL, &c), SATH_OK);
    assert_int_equal(check(c, "/grpc.health.v1.Health/Check", "", NULL, NULL), SATH_UNAVAILABLE);
    assert_string_not_equal(sath_client_last_error_message(c), "");
    sath_client_free(c);
}

static void test_metadata_sent(void **state)
{
    fixture *f = *state;
    sath_client_options *co = NULL;
    sath_client *c = NULL;
    assert_int_equal(sath_client_options_new(&co), SATH_OK);
    assert_int_equal(sath_client_options_add_metadata(co, "x-client", "alpha"), SATH_OK);
    assert_int_equal(sath_client_new(f->target, co, &c), SATH_OK);
    sath_client_options_free(co);
    assert_int_equal(sath_client_set_tokens(c, "tok.en.x", NULL), SATH_OK);

    sath_call_opts *o = NULL;
    assert_int_equal(sath_call_opts_new(&o), SATH_OK);
    assert_int_equal(sath_call_opts_add_metadata(o, "x-call", "beta gamma"), SATH_OK);
    assert_int_equal(control(c, "Echo", o), SATH_OK);
    assert_string_equal(sath_call_opts_response_metadata(o, "echo-x-client"), "alpha");
    assert_string_equal(sath_call_opts_response_metadata(o, "echo-x-call"), "beta gamma");
    assert_string_equal(sath_call_opts_response_metadata(o, "echo-authorization"), "Bearer tok.en.x");
    assert_null(sath_call_opts_response_metadata(o, "echo-x-nothing"));

    /* public methods never carry the token */
    assert_int_equal(check(c, "/sath.v1.AuthService/Login", "", o, NULL), SATH_UNAUTHENTICATED);
    sath_call_opts_free(o);
    sath_client_free(c);
}

static void test_metadata_rejected(void **state)
{
    (void)state;
    sath_call_opts *o = NULL;
    assert_int_equal(sath_call_opts_new(&o), SATH_OK);
    const char *bad_keys[] = {"authorization", "Authorization", "grpc-timeout", "x-data-bin", "bad key", "", "x\n"};
    for (size_t i = 0; i < sizeof bad_keys / sizeof bad_keys[0]; i++)
        assert_int_equal(sath_call_opts_add_metadata(o, bad_keys[i], "v"), SATH_EINVAL);
    assert_int_equal(sath_call_opts_add_metadata(o, "x-ok", "line\nbreak"), SATH_EINVAL);
    assert_int_equal(sath_call_opts_add_metadata(o, NULL, "v"), SATH_EINVAL);
    assert_int_equal(sath_call_opts_set_timeout_ms(o, -1), SATH_EINVAL);
    assert_int_equal(sath_call_opts_add_metadata(o, "x-request-id", "abc-123"), SATH_OK);
    sath_call_opts_free(o);
}

static void test_bad_arguments(void **state)
{
    fixture *f = *state;
    sath_client *c = NULL;
    assert_int_equal(sath_client_new(NULL, NULL, &c), SATH_EINVAL);
    assert_int_equal(sath_client_new("", NULL, &c), SATH_EINVAL);
    assert_int_equal(sath_client_new(f->target, NULL, NULL), SATH_EINVAL);
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    assert_int_equal(sath__unary(f->c, "no-slash", req.base.descriptor, &req.base, &grpc__health__v1__health_check_response__descriptor, &resp, NULL), SATH_EINVAL);
    assert_int_equal(sath__unary(f->c, "/a/b", NULL, NULL, &grpc__health__v1__health_check_response__descriptor, &resp, NULL), SATH_EINVAL);
    assert_int_equal(sath_client_login(f->c, NULL, "x", NULL), SATH_EINVAL);
    assert_int_equal(sath_client_refresh(f->c, NULL), SATH_ENOTOKEN);
    assert_int_equal(sath_client_logout(f->c, NULL), SATH_ENOTOKEN);
}

static void test_tls(void **state)
{
    fixture *f = *state;
    sath_client_options *co = NULL;
    sath_client *c = NULL;
    int serving = 0;
    /* trusted through the CA file */
    assert_int_equal(sath_client_options_new(&co), SATH_OK);
    assert_int_equal(sath_client_options_set_root_ca_file(co, f->cert), SATH_OK);
    assert_int_equal(sath_client_new(f->tls_target, co, &c), SATH_OK);
    assert_int_equal(check(c, "/grpc.health.v1.Health/Check", "", NULL, &serving), SATH_OK);
    assert_int_equal(serving, GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
    sath_client_free(c);
    /* the default roots do not know a self-signed certificate */
    assert_int_equal(sath_client_options_set_root_ca_file(co, NULL), SATH_OK);
    assert_int_equal(sath_client_options_set_tls(co, 1), SATH_OK);
    assert_int_equal(sath_client_new(f->tls_target, co, &c), SATH_OK);
    assert_int_equal(check(c, "/grpc.health.v1.Health/Check", "", NULL, NULL), SATH_UNAVAILABLE);
    sath_client_free(c);
    /* plaintext against the TLS port fails too, and TLS against the plaintext one */
    assert_int_equal(sath_client_new(f->tls_target, NULL, &c), SATH_OK);
    assert_int_equal(check(c, "/grpc.health.v1.Health/Check", "", NULL, NULL), SATH_UNAVAILABLE);
    sath_client_free(c);
    assert_int_equal(sath_client_options_set_root_ca_file(co, f->cert), SATH_OK);
    assert_int_equal(sath_client_new(f->target, co, &c), SATH_OK);
    assert_int_equal(check(c, "/grpc.health.v1.Health/Check", "", NULL, NULL), SATH_UNAVAILABLE);
    sath_client_free(c);
    sath_client_options_free(co);
}

static void test_tls_bad_ca_file(void **state)
{
    (void)state;
    sath_client_options *co = NULL;
    sath_client *c = NULL;
    assert_int_equal(sath_client_options_new(&co), SATH_OK);
    assert_int_equal(sath_client_options_set_root_ca_file(co, "/nonexistent/ca.pem"), SATH_OK);
    assert_int_equal(sath_client_new("127.0.0.1:1", co, &c), SATH_ETLS);
    assert_null(c);
    sath_client_options_free(co);
}

typedef struct worker {
    fixture *f;
    int (*fn)(fixture *f);
    int failures;
} worker;

static int health_20(fixture *f)
{
    int bad = 0;
    for (int i = 0; i < 20; i++) {
        Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
        Grpc__Health__V1__HealthCheckResponse *resp = NULL;
        int rc = sath__unary(f->c, "/grpc.health.v1.Health/Check", req.base.descriptor, &req.base,
                             &grpc__health__v1__health_check_response__descriptor, (ProtobufCMessage **)&resp, NULL);
        if (rc != SATH_OK || resp->status != GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING)
            bad++;
        if (resp)
            protobuf_c_message_free_unpacked(&resp->base, NULL);
    }
    return bad;
}

static int get_me_5(fixture *f)
{
    int bad = 0;
    for (int i = 0; i < 5; i++) {
        Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
        Sath__V1__User *user = NULL;
        if (sath__unary(f->c, "/sath.v1.UserService/GetMe", req.base.descriptor, &req.base, &sath__v1__user__descriptor,
                        (ProtobufCMessage **)&user, NULL) != SATH_OK)
            bad++;
        else
            protobuf_c_message_free_unpacked(&user->base, NULL);
    }
    return bad;
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    w->failures = w->fn(w->f);
    return NULL;
}

static void run_8(fixture *f, int (*fn)(fixture *f))
{
    pthread_t t[8];
    worker w[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (worker){f, fn, 0};
        assert_int_equal(pthread_create(&t[i], NULL, run_worker, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
}

static void test_concurrent_calls(void **state)
{
    run_8(*state, health_20);
}

static void test_login_and_authorised_call(void **state)
{
    fixture *f = *state;
    assert_int_equal(get_me(f->c, NULL), SATH_UNAUTHENTICATED); /* no token yet */
    assert_int_equal(sath_client_login(f->c, "ada@example.org", "wrong", NULL), SATH_UNAUTHENTICATED);
    assert_int_equal(f->token_events, 0);
    assert_int_equal(sath_client_login(f->c, "ada@example.org", "correct horse", NULL), SATH_OK);
    assert_int_equal(f->token_events, 1);
    char *access = NULL, *refresh = NULL;
    assert_int_equal(sath_client_get_tokens(f->c, &access, &refresh), SATH_OK);
    assert_non_null(access);
    assert_string_equal(refresh, "r-1");
    sath_free(access);
    sath_free(refresh);
    assert_int_equal(get_me(f->c, NULL), SATH_OK);
    assert_int_equal(stat_of(f, "x-refresh-count"), 0);
}

static void test_refresh_after_unauthenticated(void **state)
{
    fixture *f = *state;
    assert_int_equal(sath_client_login(f->c, "ada@example.org", "correct horse", NULL), SATH_OK);
    assert_int_equal(control(f->c, "Revoke", NULL), SATH_OK); /* server forgets the access token */
    assert_int_equal(get_me(f->c, NULL), SATH_OK);             /* refreshed and retried */
    assert_int_equal(stat_of(f, "x-refresh-count"), 1);
    assert_int_equal(f->token_events, 2);
    char *refresh = NULL;
    assert_int_equal(sath_client_get_tokens(f->c, NULL, &refresh), SATH_OK);
    assert_string_equal(refresh, "r-2"); /* the rotated token is held */
    sath_free(refresh);
}

static void test_refresh_before_expiry(void **state)
{
    fixture *f = *state;
    sath_call_opts *o = NULL;
    assert_int_equal(sath_call_opts_new(&o), SATH_OK);
    assert_int_equal(sath_call_opts_add_metadata(o, "x-access-ttl", "10"), SATH_OK); /* < 30 s */
    assert_int_equal(sath_client_login(f->c, "ada@example.org", "correct horse", o), SATH_OK);
    sath_call_opts_free(o);
    assert_int_equal(get_me(f->c, NULL), SATH_OK);
    assert_int_equal(stat_of(f, "x-refresh-count"), 1);
    assert_int_equal(get_me(f->c, NULL), SATH_OK); /* the new token lasts an hour */
    assert_int_equal(stat_of(f, "x-refresh-count"), 1);
}

static void test_concurrent_refresh_once(void **state)
{
    fixture *f = *state;
    assert_int_equal(sath_client_login(f->c, "ada@example.org", "correct horse", NULL), SATH_OK);
    assert_int_equal(control(f->c, "Revoke", NULL), SATH_OK);
    run_8(f, get_me_5);
    assert_int_equal(stat_of(f, "x-refresh-count"), 1);
}

static void test_refresh_rejected_ends_session(void **state)
{
    fixture *f = *state;
    assert_int_equal(sath_client_login(f->c, "ada@example.org", "correct horse", NULL), SATH_OK);
    char *access = NULL;
    assert_int_equal(sath_client_get_tokens(f->c, &access, NULL), SATH_OK);
    assert_int_equal(sath_client_set_tokens(f->c, access, "r-forged"), SATH_OK);
    sath_free(access);
    assert_int_equal(control(f->c, "Revoke", NULL), SATH_OK);
    assert_int_equal(get_me(f->c, NULL), SATH_UNAUTHENTICATED);
    assert_true(f->last_event_null);
    char *a = (char *)"x", *r = (char *)"x";
    assert_int_equal(sath_client_get_tokens(f->c, &a, &r), SATH_OK);
    assert_null(a);
    assert_null(r);
}

static void test_logout(void **state)
{
    fixture *f = *state;
    assert_int_equal(sath_client_login(f->c, "ada@example.org", "correct horse", NULL), SATH_OK);
    assert_int_equal(sath_client_logout(f->c, NULL), SATH_OK);
    assert_true(f->last_event_null);
    char *a = (char *)"x";
    assert_int_equal(sath_client_get_tokens(f->c, &a, NULL), SATH_OK);
    assert_null(a);
    assert_int_equal(get_me(f->c, NULL), SATH_UNAUTHENTICATED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_health_serving, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_error_status_and_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unimplemented, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undecodable_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_bad_ca_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_and_authorised_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh_after_unauthenticated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh_before_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_refresh_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh_rejected_ends_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logout, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
