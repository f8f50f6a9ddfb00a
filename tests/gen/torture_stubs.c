/*
 * torture_stubs.c - the generated client stubs (sath_gen_client), compiled here with
 * the project's picky warnings against a recording sath__unary (client_fixture/):
 * every stub sends its request to its own gRPC path with its output descriptor, and
 * hands back the response (or NULL with the status) as its header promises.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "require.h"
#include "sath/v1/sath.sath-client.h"

/* A callback for the _async stubs; the fixture only records it. */
static void record_cb(void *userdata, int status, void *resp, const char *message)
{
    (void)userdata;
    (void)status;
    (void)resp;
    (void)message;
}

/* Calls `fn` and its _async twin with a fresh request and checks what reached
 * sath__unary / sath__unary_async and came back. */
#define CHECK_STUB(fn, Req, REQ_INIT, Resp, lower, grpc_path)                               \
    do {                                                                                    \
        sath_client c = { 0 };                                                              \
        Req req = REQ_INIT;                                                                 \
        Resp *resp = NULL;                                                                  \
        assert_int_equal(fn(&c, &req, &resp, NULL), 0);                                     \
        assert_int_equal(c.calls, 1);                                                       \
        require_non_null(c.path);                                                           \
        assert_string_equal(c.path, grpc_path);                                             \
        assert_ptr_equal(c.req, &req.base);                                                 \
        assert_ptr_equal(c.in, req.base.descriptor);                                        \
        assert_ptr_equal(c.out, &lower##__descriptor);                                      \
        require_non_null(resp);                                                             \
        assert_ptr_equal(resp->base.descriptor, &lower##__descriptor);                      \
        lower##__free_unpacked(resp, NULL);                                                 \
        sath_async_call *handle = NULL;                                                     \
        assert_int_equal(fn##_async(&c, &req, record_cb, &c, NULL, &handle), 0);            \
        assert_int_equal(c.async, 1);                                                       \
        assert_string_equal(c.path, grpc_path);                                             \
        assert_ptr_equal(c.in, req.base.descriptor);                                        \
        assert_ptr_equal(c.out, &lower##__descriptor);                                      \
        assert_ptr_equal(c.cb, record_cb);                                                  \
        assert_ptr_equal(c.userdata, &c);                                                   \
        assert_ptr_equal(c.call, &handle);                                                  \
        n_checked++;                                                                        \
    } while (0)

static void test_every_stub_routes_correctly(void **state)
{
    (void)state;
    int n_checked = 0;
    CHECK_STUB(sath_auth_register, Sath__V1__RegisterRequest, SATH__V1__REGISTER_REQUEST__INIT,
               Sath__V1__RegisterResponse, sath__v1__register_response, "/sath.v1.AuthService/Register");
    CHECK_STUB(sath_auth_login, Sath__V1__LoginRequest, SATH__V1__LOGIN_REQUEST__INIT,
               Sath__V1__LoginResponse, sath__v1__login_response, "/sath.v1.AuthService/Login");
    CHECK_STUB(sath_auth_refresh, Sath__V1__RefreshRequest, SATH__V1__REFRESH_REQUEST__INIT,
               Sath__V1__RefreshResponse, sath__v1__refresh_response, "/sath.v1.AuthService/Refresh");
    CHECK_STUB(sath_auth_logout, Sath__V1__LogoutRequest, SATH__V1__LOGOUT_REQUEST__INIT,
               Sath__V1__LogoutResponse, sath__v1__logout_response, "/sath.v1.AuthService/Logout");
    CHECK_STUB(sath_billing_list_plans, Sath__V1__ListPlansRequest, SATH__V1__LIST_PLANS_REQUEST__INIT,
               Sath__V1__ListPlansResponse, sath__v1__list_plans_response,
               "/sath.v1.BillingService/ListPlans");
    CHECK_STUB(sath_billing_get_subscription, Sath__V1__GetSubscriptionRequest,
               SATH__V1__GET_SUBSCRIPTION_REQUEST__INIT, Sath__V1__Subscription,
               sath__v1__subscription, "/sath.v1.BillingService/GetSubscription");
    CHECK_STUB(sath_billing_subscribe, Sath__V1__SubscribeRequest, SATH__V1__SUBSCRIBE_REQUEST__INIT,
               Sath__V1__SubscribeResponse, sath__v1__subscribe_response,
               "/sath.v1.BillingService/Subscribe");
    CHECK_STUB(sath_billing_cancel_subscription, Sath__V1__CancelSubscriptionRequest,
               SATH__V1__CANCEL_SUBSCRIPTION_REQUEST__INIT, Sath__V1__Subscription,
               sath__v1__subscription, "/sath.v1.BillingService/CancelSubscription");
    CHECK_STUB(sath_billing_list_invoices, Sath__V1__ListInvoicesRequest,
               SATH__V1__LIST_INVOICES_REQUEST__INIT, Sath__V1__ListInvoicesResponse,
               sath__v1__list_invoices_response, "/sath.v1.BillingService/ListInvoices");
    CHECK_STUB(sath_billing_stripe_webhook, Google__Api__HttpBody, GOOGLE__API__HTTP_BODY__INIT,
               Google__Api__HttpBody, google__api__http_body, "/sath.v1.BillingService/StripeWebhook");
    CHECK_STUB(sath_bot_start_bot, Sath__V1__StartBotRequest, SATH__V1__START_BOT_REQUEST__INIT,
               Sath__V1__BotStatus, sath__v1__bot_status, "/sath.v1.BotService/StartBot");
    CHECK_STUB(sath_bot_stop_bot, Sath__V1__StopBotRequest, SATH__V1__STOP_BOT_REQUEST__INIT,
               Sath__V1__BotStatus, sath__v1__bot_status, "/sath.v1.BotService/StopBot");
    CHECK_STUB(sath_bot_get_bot_status, Sath__V1__GetBotStatusRequest,
               SATH__V1__GET_BOT_STATUS_REQUEST__INIT, Sath__V1__BotStatus, sath__v1__bot_status,
               "/sath.v1.BotService/GetBotStatus");
    CHECK_STUB(sath_bot_get_bot_config, Sath__V1__GetBotConfigRequest,
               SATH__V1__GET_BOT_CONFIG_REQUEST__INIT, Sath__V1__BotConfig, sath__v1__bot_config,
               "/sath.v1.BotService/GetBotConfig");
    CHECK_STUB(sath_bot_update_bot_config, Sath__V1__UpdateBotConfigRequest,
               SATH__V1__UPDATE_BOT_CONFIG_REQUEST__INIT, Sath__V1__BotConfig, sath__v1__bot_config,
               "/sath.v1.BotService/UpdateBotConfig");
    CHECK_STUB(sath_bot_restart_bot, Sath__V1__RestartBotRequest, SATH__V1__RESTART_BOT_REQUEST__INIT,
               Sath__V1__BotStatus, sath__v1__bot_status, "/sath.v1.BotService/RestartBot");
    CHECK_STUB(sath_bot_get_bot_logs, Sath__V1__GetBotLogsRequest, SATH__V1__GET_BOT_LOGS_REQUEST__INIT,
               Sath__V1__GetBotLogsResponse, sath__v1__get_bot_logs_response,
               "/sath.v1.BotService/GetBotLogs");
    CHECK_STUB(sath_keys_create_exchange_key, Sath__V1__CreateExchangeKeyRequest,
               SATH__V1__CREATE_EXCHANGE_KEY_REQUEST__INIT, Sath__V1__ExchangeKey,
               sath__v1__exchange_key, "/sath.v1.KeysService/CreateExchangeKey");
    CHECK_STUB(sath_keys_list_exchange_keys, Sath__V1__ListExchangeKeysRequest,
               SATH__V1__LIST_EXCHANGE_KEYS_REQUEST__INIT, Sath__V1__ListExchangeKeysResponse,
               sath__v1__list_exchange_keys_response, "/sath.v1.KeysService/ListExchangeKeys");
    CHECK_STUB(sath_keys_delete_exchange_key, Sath__V1__DeleteExchangeKeyRequest,
               SATH__V1__DELETE_EXCHANGE_KEY_REQUEST__INIT, Sath__V1__DeleteExchangeKeyResponse,
               sath__v1__delete_exchange_key_response, "/sath.v1.KeysService/DeleteExchangeKey");
    CHECK_STUB(sath_keys_create_ai_key, Sath__V1__CreateAiKeyRequest, SATH__V1__CREATE_AI_KEY_REQUEST__INIT,
               Sath__V1__AiKey, sath__v1__ai_key, "/sath.v1.KeysService/CreateAiKey");
    CHECK_STUB(sath_keys_list_ai_keys, Sath__V1__ListAiKeysRequest, SATH__V1__LIST_AI_KEYS_REQUEST__INIT,
               Sath__V1__ListAiKeysResponse, sath__v1__list_ai_keys_response,
               "/sath.v1.KeysService/ListAiKeys");
    CHECK_STUB(sath_keys_delete_ai_key, Sath__V1__DeleteAiKeyRequest, SATH__V1__DELETE_AI_KEY_REQUEST__INIT,
               Sath__V1__DeleteAiKeyResponse, sath__v1__delete_ai_key_response,
               "/sath.v1.KeysService/DeleteAiKey");
    CHECK_STUB(sath_keys_test_key, Sath__V1__TestKeyRequest, SATH__V1__TEST_KEY_REQUEST__INIT,
               Sath__V1__TestKeyResponse, sath__v1__test_key_response, "/sath.v1.KeysService/TestKey");
    CHECK_STUB(sath_user_get_me, Sath__V1__GetMeRequest, SATH__V1__GET_ME_REQUEST__INIT,
               Sath__V1__User, sath__v1__user, "/sath.v1.UserService/GetMe");
    CHECK_STUB(sath_user_update_me, Sath__V1__UpdateMeRequest, SATH__V1__UPDATE_ME_REQUEST__INIT,
               Sath__V1__User, sath__v1__user, "/sath.v1.UserService/UpdateMe");
    CHECK_STUB(sath_user_delete_me, Sath__V1__DeleteMeRequest, SATH__V1__DELETE_ME_REQUEST__INIT,
               Sath__V1__DeleteMeResponse, sath__v1__delete_me_response, "/sath.v1.UserService/DeleteMe");
    assert_int_equal(n_checked, 27);
}

/* On failure the stub returns the status and leaves *resp NULL, even if it was set. */
static void test_failure_gives_status_and_null(void **state)
{
    (void)state;
    sath_client c = { .status = 16 /* UNAUTHENTICATED */ };
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    Sath__V1__User stale = SATH__V1__USER__INIT;
    Sath__V1__User *resp = &stale;
    assert_int_equal(sath_user_get_me(&c, &req, &resp, NULL), 16);
    assert_null(resp);
}

/* Argument checking belongs to sath__unary: NULL req/resp reach it as NULL, opts as is. */
static void test_null_arguments_pass_through(void **state)
{
    (void)state;
    sath_client c = { .status = 3 /* INVALID_ARGUMENT, as the SDK would answer */ };
    sath_call_opts *opts = (sath_call_opts *)(void *)&c; /* any distinct non-NULL pointer */
    assert_int_equal(sath_auth_login(&c, NULL, NULL, opts), 3);
    assert_null(c.req);
    assert_true(c.resp_was_null);
    assert_ptr_equal(c.opts, opts);
    require_non_null(c.path);
    assert_string_equal(c.path, "/sath.v1.AuthService/Login");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_stub_routes_correctly),
        cmocka_unit_test(test_failure_gives_status_and_null),
        cmocka_unit_test(test_null_arguments_pass_through),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
