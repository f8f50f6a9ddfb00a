/*
 * torture_misuse.c - libsathclient used wrongly, against a real sathd: every misuse
 * answers an error (never a crash, never a request on the wire), and the message rule
 * of sath/error.h holds for local errors, server errors, deadlines and successes.
 */
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

/* Both places hold the same message (the rule), and it is `expect` when given. */
static void assert_message(fixture *f, const char *expect)
{
    assert_string_equal(sath_call_opts_status_message(f->o), sath_client_last_error_message(f->c));
    if (expect)
        assert_string_equal(sath_call_opts_status_message(f->o), expect);
}

static int get_me_ok(fixture *f)
{
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    Sath__V1__User *me = NULL;
    int rc = sath_user_get_me(f->c, &req, &me, f->o);
    if (me) {
        assert_string_equal(me->email, f->srv.email);
        sath__v1__user__free_unpacked(me, NULL);
    }
    return rc;
}

/* A request struct never initialised (here: filled with a pattern, as stack garbage
 * would be) is refused before protobuf-c touches it. */
static void test_uninitialised_request(void **state)
{
    fixture *f = *state;
    Sath__V1__ListPlansRequest req;
    memset(&req, 0xA5, sizeof req);
    Sath__V1__ListPlansResponse *resp = (void *)&req; /* must be reset to NULL */
    assert_int_equal(sath_billing_list_plans(f->c, &req, &resp, f->o), SATH_EINVAL);
    assert_null(resp);
    assert_int_equal(sath_call_opts_status(f->o), SATH_EINVAL);
    assert_non_null(strstr(sath_call_opts_status_message(f->o), "not a sath.v1.ListPlansRequest"));
    assert_message(f, NULL);
}

static void never_called(void *userdata, int status, void *resp, const char *message)
{
    (void)userdata;
    (void)status;
    (void)resp;
    fail_msg("a refused call reached its callback: %s", message);
}

/* A LoginRequest cast to a ListPlansRequest is refused, not sent. */
static void test_request_of_another_type(void **state)
{
    fixture *f = *state;
    Sath__V1__LoginRequest login = SATH__V1__LOGIN_REQUEST__INIT;
    login.email = f->srv.email;
    login.password = f->srv.password;
    Sath__V1__ListPlansResponse *resp = NULL;
    int rc = sath_billing_list_plans(f->c, (const Sath__V1__ListPlansRequest *)(const void *)&login,
                                     &resp, f->o);
    assert_int_equal(rc, SATH_EINVAL);
    assert_null(resp);
    char want[256];
    snprintf(want, sizeof want, "%s: the request is not a sath.v1.ListPlansRequest (initialise it "
             "with its __INIT macro or __init function)", sath_strerror(SATH_EINVAL));
    assert_message(f, want);
    /* the async twin refuses it the same way, and no callback is ever due */
    assert_int_equal(sath_billing_list_plans_async(f->c, (const void *)&login, never_called, NULL,
                                                   NULL, NULL),
                     SATH_EINVAL);
    assert_int_equal(sath_client_async_pending(f->c), 0);
}

/* Sub-messages are checked too: a wrong type, a repeated count without its array. */
static void test_malformed_submessages(void **state)
{
    fixture *f = *state;
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    Sath__V1__UpdateMeRequest upd = SATH__V1__UPDATE_ME_REQUEST__INIT;
    upd.name = (Google__Protobuf__StringValue *)(void *)&ts;
    assert_int_equal(sath_user_update_me(f->c, &upd, NULL, f->o), SATH_EINVAL);
    assert_non_null(strstr(sath_call_opts_status_message(f->o), "sath.v1.UpdateMeRequest is not well formed"));
    Sath__V1__BotConfig cfg = SATH__V1__BOT_CONFIG__INIT;
    cfg.n_symbols = 3; /* and symbols left NULL */
    Sath__V1__UpdateBotConfigRequest bot = SATH__V1__UPDATE_BOT_CONFIG_REQUEST__INIT;
    bot.config = &cfg;
    assert_int_equal(sath_bot_update_bot_config(f->c, &bot, NULL, f->o), SATH_EINVAL);
    assert_message(f, NULL);
}

/* NULL everywhere: errors, and the message says which. */
static void test_null_arguments(void **state)
{
    fixture *f = *state;
    Sath__V1__User *me = NULL;
    assert_int_equal(sath_user_get_me(f->c, NULL, &me, f->o), SATH_EINVAL);
    assert_message(f, "invalid argument passed to the library: the request is NULL");
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    assert_int_equal(sath_user_get_me(NULL, &req, &me, f->o), SATH_EINVAL);
    assert_string_equal(sath_call_opts_status_message(f->o),
                        "invalid argument passed to the library: the client is NULL");
    assert_null(me);
    /* resp NULL is allowed: the call is made and the answer dropped */
    assert_int_equal(sath_user_get_me(f->c, &req, NULL, f->o), SATH_OK);
    assert_int_equal(sath_client_login(f->c, NULL, "x", f->o), SATH_EINVAL);
    assert_int_equal(sath_client_login(NULL, "x", "x", NULL), SATH_EINVAL);
    assert_int_equal(sath_client_refresh(NULL, NULL), SATH_EINVAL);
    assert_int_equal(sath_client_logout(NULL, NULL), SATH_EINVAL);
    assert_int_equal(sath_client_get_tokens(f->c, NULL, NULL), SATH_EINVAL);
    assert_int_equal(sath_client_new(NULL, NULL, NULL), SATH_EINVAL);
    sath_client *c = (sath_client *)(uintptr_t)1;
    assert_int_equal(sath_client_new("", NULL, &c), SATH_EINVAL);
    assert_null(c);
    assert_string_equal(sath_client_last_error_message(NULL), "");
    sath_client_free(NULL);
    void *bytes = (void *)(uintptr_t)1;
    size_t n = 7;
    assert_int_equal(sath_client_call_raw(f->c, "no-slash", NULL, 0, &bytes, &n, f->o), SATH_EINVAL);
    assert_null(bytes);
    assert_int_equal(n, 0);
    assert_int_equal(sath_client_call_raw(f->c, "/a/b", NULL, 3, &bytes, &n, NULL), SATH_EINVAL);
    assert_int_equal(sath_client_call_raw(f->c, "/a/b", NULL, 0, NULL, &n, NULL), SATH_EINVAL);
    assert_int_equal(sath_client_call_raw_stream(f->c, "/a/b", NULL, 0, NULL, NULL, NULL, f->o),
                     SATH_EINVAL); /* on_msg is required */
    assert_int_equal(sath_client_call_raw_stream(NULL, "/a/b", NULL, 0, NULL, NULL, NULL, NULL),
                     SATH_EINVAL);
    assert_int_equal(sath_client_poll(NULL, 0), SATH_EINVAL);
    assert_int_equal(sath_client_poll(f->c, -2), SATH_EINVAL);
    assert_int_equal(sath_client_async_fd(NULL), SATH_EINVAL);
    assert_int_equal(sath_client_async_pending(NULL), 0);
    sath_async_call_cancel(NULL);
    assert_int_equal(sath_user_get_me_async(f->c, &req, NULL, NULL, NULL, NULL), SATH_EINVAL);
    /* and after all that the client works, and a success clears the message */
    assert_int_equal(get_me_ok(f), SATH_OK);
    assert_message(f, "");
}

/* Every option setter refuses NULL and out-of-range values. */
static void test_option_misuse(void **state)
{
    (void)state;
    assert_int_equal(sath_client_options_new(NULL), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_tls(NULL, 1), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_root_ca_file(NULL, "x"), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_timeout_ms(NULL, 1), SATH_EINVAL);
    assert_int_equal(sath_client_options_add_metadata(NULL, "k", "v"), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_client_cert_files(NULL, "c", "k"), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_server_name(NULL, "x"), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_connect_timeout_ms(NULL, 1), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_wait_for_ready(NULL, 1), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_keepalive(NULL, 1, 1), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_read_retries(NULL, 2), SATH_EINVAL);
    sath_client_options *o = NULL;
    assert_int_equal(sath_client_options_new(&o), SATH_OK);
    assert_int_equal(sath_client_options_set_timeout_ms(o, -1), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_connect_timeout_ms(o, -1), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_connect_timeout_ms(o, (int64_t)1 << 40), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_keepalive(o, -1, 10), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_keepalive(o, 10, -1), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_read_retries(o, 0), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_read_retries(o, 6), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_client_cert_files(o, "cert.pem", NULL), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_client_cert_files(o, NULL, "key.pem"), SATH_EINVAL);
    assert_int_equal(sath_client_options_set_server_name(o, ""), SATH_EINVAL);
    assert_int_equal(sath_client_options_add_metadata(o, "Upper", "v"), SATH_EINVAL);
    assert_int_equal(sath_client_options_add_metadata(o, "authorization", "v"), SATH_EINVAL);
    /* unreadable certificate files: sath_client_new() says ETLS */
    assert_int_equal(sath_client_options_set_client_cert_files(o, "/nonexistent/c.pem", "/nonexistent/k.pem"),
                     SATH_OK);
    sath_client *c = NULL;
    assert_int_equal(sath_client_new("127.0.0.1:1", o, &c), SATH_ETLS);
    assert_null(c);
    sath_client_options_free(o);
    sath_call_opts *co = NULL;
    assert_int_equal(sath_call_opts_new(&co), SATH_OK);
    assert_int_equal(sath_call_opts_set_authorization(co, ""), SATH_EINVAL);
    assert_int_equal(sath_call_opts_set_authorization(co, "Bearer a\nb"), SATH_EINVAL);
    assert_int_equal(sath_call_opts_set_authorization(NULL, "x"), SATH_EINVAL);
    assert_int_equal(sath_call_opts_set_timeout_ms(co, -5), SATH_EINVAL);
    sath_call_opts_free(co);
    assert_int_equal(sath_global_init(42), SATH_EINVAL);
    assert_int_equal(sath_global_set_log(NULL, NULL, 99), SATH_EINVAL);
    assert_null(sath_enum_name(NULL, 1));
    assert_null(sath_enum_name(&sath__v1__bot_state__descriptor, 9999));
    assert_string_equal(sath_enum_name(&sath__v1__bot_state__descriptor, SATH__V1__BOT_STATE__BOT_STATE_RUNNING),
                        "BOT_STATE_RUNNING");
    /* a message descriptor is not an enum descriptor */
    assert_null(sath_enum_name((const ProtobufCEnumDescriptor *)(const void *)&sath__v1__user__descriptor, 1));
    assert_string_equal(sath_enum_name(&sath__v1__exchange__descriptor, SATH__V1__EXCHANGE__EXCHANGE_BINANCE),
                        "EXCHANGE_BINANCE");
}

/* The rule across a sequence: a local error replaces the previous server message, a
 * success clears both, a wrong password carries the server's words, deadlines read the
 * same whoever noticed them. */
static void test_message_rule(void **state)
{
    fixture *f = *state;
    sath_client *c = NULL;
    assert_int_equal(sath_client_new(f->srv.proc.target, NULL, &c), SATH_OK);
    /* 1. the server refuses the password: its message, not the library's text */
    assert_int_equal(sath_client_login(c, f->srv.email, "wrong-password-1", f->o), SATH_UNAUTHENTICATED);
    const char *server_msg = sath_call_opts_status_message(f->o);
    assert_string_not_equal(server_msg, "");
    assert_string_not_equal(server_msg, sath_strerror(SATH_UNAUTHENTICATED));
    assert_string_equal(server_msg, sath_client_last_error_message(c));
    assert_null(strstr(server_msg, "wrong-password-1")); /* never the secret */
    /* sath_strerror no longer blames a token for a wrong password */
    assert_null(strstr(sath_strerror(SATH_UNAUTHENTICATED), "missing, expired"));
    /* 2. a local EINVAL right after: the old text is gone from both places */
    Sath__V1__GetMeRequest bad;
    memset(&bad, 0, sizeof bad);
    assert_int_equal(sath_user_get_me(c, &bad, NULL, f->o), SATH_EINVAL);
    assert_string_equal(sath_client_last_error_message(c), sath_call_opts_status_message(f->o));
    assert_int_equal(strncmp(sath_client_last_error_message(c), sath_strerror(SATH_EINVAL),
                             strlen(sath_strerror(SATH_EINVAL))), 0);
    /* 3. a success clears both */
    assert_int_equal(sath_client_login(c, f->srv.email, f->srv.password, f->o), SATH_OK);
    assert_string_equal(sath_call_opts_status_message(f->o), "");
    assert_string_equal(sath_client_last_error_message(c), "");
    /* 4. a deadline gRPC core notices (Login hashes for tens of ms; 1 ms cannot do) */
    sath_call_opts *o1 = NULL;
    assert_int_equal(sath_call_opts_new(&o1), SATH_OK);
    assert_int_equal(sath_call_opts_set_timeout_ms(o1, 1), SATH_OK);
    assert_int_equal(sath_client_login(c, f->srv.email, f->srv.password, o1), SATH_DEADLINE_EXCEEDED);
    assert_string_equal(sath_call_opts_status_message(o1), sath_strerror(SATH_DEADLINE_EXCEEDED));
    assert_string_equal(sath_client_last_error_message(c), sath_strerror(SATH_DEADLINE_EXCEEDED));
    sath_call_opts_free(o1);
    /* 5. not logged in any more after logout: a local ENOTOKEN by the same rule */
    assert_int_equal(sath_client_logout(c, NULL), SATH_OK);
    assert_int_equal(sath_client_logout(c, f->o), SATH_ENOTOKEN);
    assert_string_equal(sath_call_opts_status_message(f->o),
                        "no token held for an operation that needs one: not logged in");
    assert_string_equal(sath_client_last_error_message(c), sath_call_opts_status_message(f->o));
    sath_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uninitialised_request),
        cmocka_unit_test(test_request_of_another_type),
        cmocka_unit_test(test_malformed_submessages),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_option_misuse),
        cmocka_unit_test(test_message_rule),
    };
    return cmocka_run_group_tests(tests, sdk_group_setup, sdk_group_teardown);
}
