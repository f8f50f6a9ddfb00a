/*
 * torture_async.c - the asynchronous API (sath/async.h) against a real sathd: 1,000
 * concurrent GetMe calls from one thread, the descriptor's readiness, cancellation,
 * deadlines and errors through the callback, callbacks that start calls, and freeing a
 * client with calls in flight.
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sdk_fixture.h"

typedef sdk_fixture fixture;

/* What the callbacks saw. */
typedef struct tally {
    const char *email; /* every GetMe must answer this account */
    int ok, failed, wrong;
    int last_status;
    char last_message[256];
    sath_client *chain_client; /* when set, each OK starts one more call, `chain` times */
    int chain;
} tally;

static void on_me(void *userdata, int status, void *resp, const char *message)
{
    tally *t = userdata;
    t->last_status = status;
    snprintf(t->last_message, sizeof t->last_message, "%s", message);
    if (status != SATH_OK) {
        assert_null(resp);
        t->failed++;
        return;
    }
    Sath__V1__User *me = resp;
    if (!t->email || strcmp(me->email, t->email) == 0)
        t->ok++;
    else
        t->wrong++;
    sath__v1__user__free_unpacked(me, NULL);
    if (t->chain_client && t->chain > 0) {
        t->chain--;
        Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
        assert_int_equal(sath_user_get_me_async(t->chain_client, &req, on_me, t, NULL, NULL), SATH_OK);
    }
}

/* Polls until no call is pending (bounded). */
static void drain(sath_client *c)
{
    long long until = sdk_now_ms() + 60000;
    while (sath_client_async_pending(c) > 0 && sdk_now_ms() < until)
        sath_client_poll(c, 1000);
    assert_int_equal(sath_client_async_pending(c), 0);
}

static void test_thousand_concurrent_getme(void **state)
{
    fixture *f = *state;
    tally t = {.email = f->srv.email};
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    for (int i = 0; i < 1000; i++)
        assert_int_equal(sath_user_get_me_async(f->c, &req, on_me, &t, NULL, NULL), SATH_OK);
    assert_true(sath_client_async_pending(f->c) > 0);
    drain(f->c);
    assert_int_equal(t.ok, 1000);
    assert_int_equal(t.failed, 0);
    assert_int_equal(t.wrong, 0);
}

/* The descriptor becomes readable when a call completed, and poll(0) clears it. */
static void test_fd_readiness(void **state)
{
    fixture *f = *state;
    int fd = sath_client_async_fd(f->c);
    assert_true(fd >= 0);
    assert_int_equal(sath_client_async_fd(f->c), fd); /* stable */
    struct pollfd p = {fd, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 0), 0); /* nothing completed yet */
    tally t = {.email = f->srv.email};
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    assert_int_equal(sath_user_get_me_async(f->c, &req, on_me, &t, NULL, NULL), SATH_OK);
    assert_int_equal(poll(&p, 1, 10000), 1);
    assert_int_equal(t.ok, 0); /* callbacks only run inside sath_client_poll() */
    assert_int_equal(sath_client_poll(f->c, 0), 1);
    assert_int_equal(t.ok, 1);
    assert_int_equal(poll(&p, 1, 0), 0);
    assert_int_equal(sath_client_poll(f->c, 0), 0);
    assert_int_equal(sath_client_poll(f->c, -1), 0); /* nothing in flight: returns */
}

/* Login hashes a password for tens of ms: cancelled at once, it ends CANCELLED. */
static void test_cancel(void **state)
{
    fixture *f = *state;
    tally t = {0};
    Sath__V1__LoginRequest req = SATH__V1__LOGIN_REQUEST__INIT;
    req.email = f->srv.email;
    req.password = f->srv.password;
    sath_async_call *call = NULL;
    assert_int_equal(sath_auth_login_async(f->c, &req, on_me, &t, NULL, &call), SATH_OK);
    assert_non_null(call);
    sath_async_call_cancel(call);
    drain(f->c);
    assert_int_equal(t.failed, 1);
    assert_int_equal(t.last_status, SATH_CANCELLED);
    assert_string_equal(t.last_message, sath_strerror(SATH_CANCELLED));
}

/* Deadlines, server errors and per-call options reach the callback by the message rule. */
static void test_errors_through_callback(void **state)
{
    fixture *f = *state;
    tally t = {0};
    sath_call_opts *o = NULL;
    assert_int_equal(sath_call_opts_new(&o), SATH_OK);
    assert_int_equal(sath_call_opts_set_timeout_ms(o, 1), SATH_OK);
    Sath__V1__LoginRequest login = SATH__V1__LOGIN_REQUEST__INIT;
    login.email = f->srv.email;
    login.password = f->srv.password;
    assert_int_equal(sath_auth_login_async(f->c, &login, on_me, &t, o, NULL), SATH_OK);
    drain(f->c);
    assert_int_equal(t.last_status, SATH_DEADLINE_EXCEEDED);
    assert_string_equal(t.last_message, sath_strerror(SATH_DEADLINE_EXCEEDED));

    /* a client without a session: the server's own UNAUTHENTICATED message */
    sath_client *anon = NULL;
    assert_int_equal(sath_client_new(f->srv.proc.target, NULL, &anon), SATH_OK);
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    assert_int_equal(sath_user_get_me_async(anon, &req, on_me, &t, NULL, NULL), SATH_OK);
    drain(anon);
    assert_int_equal(t.last_status, SATH_UNAUTHENTICATED);
    assert_string_not_equal(t.last_message, "");
    /* the same client with a per-call authorization gets through */
    char *access = NULL;
    assert_int_equal(sath_client_get_tokens(f->c, &access, NULL), SATH_OK);
    char bearer[2048];
    snprintf(bearer, sizeof bearer, "Bearer %s", access);
    sath_free(access);
    sath_call_opts *auth = NULL;
    assert_int_equal(sath_call_opts_new(&auth), SATH_OK);
    assert_int_equal(sath_call_opts_set_authorization(auth, bearer), SATH_OK);
    t.email = f->srv.email;
    assert_int_equal(sath_user_get_me_async(anon, &req, on_me, &t, auth, NULL), SATH_OK);
    drain(anon);
    assert_int_equal(t.last_status, SATH_OK);
    assert_int_equal(t.ok, 1);
    sath_call_opts_free(auth);
    sath_client_free(anon);
    sath_call_opts_free(o);
}

/* A callback may start the next call: 50 calls one after another, all on this thread. */
static void test_callbacks_start_calls(void **state)
{
    fixture *f = *state;
    tally t = {.email = f->srv.email, .chain_client = f->c, .chain = 49};
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    assert_int_equal(sath_user_get_me_async(f->c, &req, on_me, &t, NULL, NULL), SATH_OK);
    drain(f->c);
    assert_int_equal(t.ok, 50);
    assert_int_equal(t.chain, 0);
}

/* A rejected access token is refreshed once and the call retried, as blocking calls do;
 * the callback sees only the success.  Without a refresh token the rejection stands. */
static void test_refresh_and_retry(void **state)
{
    fixture *f = *state;
    sath_client *c = sdk_login(&f->srv, NULL);
    assert_non_null(c);
    char *refresh = NULL;
    assert_int_equal(sath_client_get_tokens(c, NULL, &refresh), SATH_OK);
    assert_int_equal(sath_client_set_tokens(c, "not.a.token", refresh), SATH_OK);
    tally t = {.email = f->srv.email};
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    for (int i = 0; i < 20; i++)
        assert_int_equal(sath_user_get_me_async(c, &req, on_me, &t, NULL, NULL), SATH_OK);
    drain(c);
    assert_int_equal(t.ok, 20);
    assert_int_equal(t.failed, 0);
    char *access = NULL;
    assert_int_equal(sath_client_get_tokens(c, &access, NULL), SATH_OK);
    assert_non_null(access);
    assert_string_not_equal(access, "not.a.token"); /* the session was refreshed */
    sath_free(access);

    assert_int_equal(sath_client_set_tokens(c, "not.a.token", NULL), SATH_OK);
    assert_int_equal(sath_user_get_me_async(c, &req, on_me, &t, NULL, NULL), SATH_OK);
    drain(c);
    assert_int_equal(t.last_status, SATH_UNAUTHENTICATED);
    sath_free(refresh);
    sath_client_free(c);
}

/* Freeing a client with calls in flight reports every one of them, then nothing more. */
static void test_free_with_calls_in_flight(void **state)
{
    fixture *f = *state;
    sath_client *c = sdk_login(&f->srv, NULL);
    assert_non_null(c);
    tally t = {.email = f->srv.email};
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    for (int i = 0; i < 200; i++)
        assert_int_equal(sath_user_get_me_async(c, &req, on_me, &t, NULL, NULL), SATH_OK);
    sath_client_free(c);
    assert_int_equal(t.ok + t.failed, 200);
    assert_int_equal(t.wrong, 0);
    if (t.failed > 0)
        assert_int_equal(t.last_status == SATH_OK ? SATH_CANCELLED : t.last_status, SATH_CANCELLED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thousand_concurrent_getme),
        cmocka_unit_test(test_fd_readiness),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_errors_through_callback),
        cmocka_unit_test(test_callbacks_start_calls),
        cmocka_unit_test(test_refresh_and_retry),
        cmocka_unit_test(test_free_with_calls_in_flight),
    };
    return cmocka_run_group_tests(tests, sdk_group_setup, sdk_group_teardown);
}
