/*
 * torture_routes.c - the generated route table and embedded descriptors against the
 * contract in proto/sath/v1 (every method's HTTP rule, flags and message types, and
 * the serialized FileDescriptorProtos the reflection service will serve).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "require.h"

#include "google/api/http.pb-c.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "registry_fixture.h"
#include "sath/v1/bot_agent.sath-server.h"
#include "sath/v1/auth.sath-server.h"
#include "sath/v1/billing.sath-server.h"
#include "sath/v1/bot.sath-server.h"
#include "sath/v1/keys.sath-server.h"
#include "sath/v1/routes.sath.h"
#include "sath/v1/user.sath-server.h"

typedef struct expected_route {
    const char *path;   /* gRPC path */
    const char *verb;
    const char *http_path;
    const char *body;
    int code;
    unsigned flags;
    const char *input;  /* full proto names */
    const char *output;
} expected_route;

#define P SATHD_METHOD_PUBLIC
static const expected_route EXPECTED[] = {
    { "/sath.v1.AuthService/Register", "POST", "/api/v1/auth/register", "*", 201, P,
      "sath.v1.RegisterRequest", "sath.v1.RegisterResponse" },
    { "/sath.v1.AuthService/Login", "POST", "/api/v1/auth/login", "*", 200, P,
      "sath.v1.LoginRequest", "sath.v1.LoginResponse" },
    { "/sath.v1.AuthService/Refresh", "POST", "/api/v1/auth/refresh", "*", 200, P,
      "sath.v1.RefreshRequest", "sath.v1.RefreshResponse" },
    { "/sath.v1.AuthService/Logout", "POST", "/api/v1/auth/logout", "*", 200, 0,
      "sath.v1.LogoutRequest", "sath.v1.LogoutResponse" },
    { "/sath.v1.BillingService/ListPlans", "GET", "/api/v1/billing/plans", "", 200, P,
      "sath.v1.ListPlansRequest", "sath.v1.ListPlansResponse" },
    { "/sath.v1.BillingService/GetSubscription", "GET", "/api/v1/billing/subscription", "", 200, 0,
      "sath.v1.GetSubscriptionRequest", "sath.v1.Subscription" },
    { "/sath.v1.BillingService/Subscribe", "POST", "/api/v1/billing/subscribe", "*", 200, 0,
      "sath.v1.SubscribeRequest", "sath.v1.SubscribeResponse" },
    { "/sath.v1.BillingService/CancelSubscription", "POST", "/api/v1/billing/cancel", "*", 200, 0,
      "sath.v1.CancelSubscriptionRequest", "sath.v1.Subscription" },
    { "/sath.v1.BillingService/ListInvoices", "GET", "/api/v1/billing/invoices", "", 200, 0,
      "sath.v1.ListInvoicesRequest", "sath.v1.ListInvoicesResponse" },
    { "/sath.v1.BillingService/StripeWebhook", "POST", "/api/v1/billing/webhook", "*", 200, P,
      "google.api.HttpBody", "google.api.HttpBody" },
    { "/sath.v1.BotService/StartBot", "POST", "/api/v1/bot/start", "*", 200, 0,
      "sath.v1.StartBotRequest", "sath.v1.BotStatus" },
    { "/sath.v1.BotService/StopBot", "POST", "/api/v1/bot/stop", "*", 200, 0,
      "sath.v1.StopBotRequest", "sath.v1.BotStatus" },
    { "/sath.v1.BotService/GetBotStatus", "GET", "/api/v1/bot/status", "", 200, 0,
      "sath.v1.GetBotStatusRequest", "sath.v1.BotStatus" },
    { "/sath.v1.BotService/GetBotConfig", "GET", "/api/v1/bot/config", "", 200, 0,
      "sath.v1.GetBotConfigRequest", "sath.v1.BotConfig" },
    { "/sath.v1.BotService/UpdateBotConfig", "PUT", "/api/v1/bot/config", "config", 200, 0,
      "sath.v1.UpdateBotConfigRequest", "sath.v1.BotConfig" },
    { "/sath.v1.BotService/RestartBot", "POST", "/api/v1/bot/restart", "*", 200, 0,
      "sath.v1.RestartBotRequest", "sath.v1.BotStatus" },
    { "/sath.v1.BotService/GetBotLogs", "GET", "/api/v1/bot/logs", "", 200, 0,
      "sath.v1.GetBotLogsRequest", "sath.v1.GetBotLogsResponse" },
    { "/sath.v1.BotService/FollowBotLogs", "GET", "/api/v1/bot/logs/follow", "", 200,
      SATHD_METHOD_SERVER_STREAMING, "sath.v1.FollowBotLogsRequest", "sath.v1.LogLine" },
    { "/sath.v1.BotService/GetBotPerformance", "GET", "/api/v1/bot/performance", "", 200, 0,
      "sath.v1.GetBotPerformanceRequest", "sath.v1.BotPerformance" },
    /* gRPC only, run tokens only: no http rule (verb NULL) */
    { "/sath.v1.BotAgentService/GetRunConfig", NULL, NULL, NULL, 200, SATHD_METHOD_RUN_TOKEN,
      "sath.v1.GetRunConfigRequest", "sath.v1.RunConfig" },
    { "/sath.v1.BotAgentService/Heartbeat", NULL, NULL, NULL, 200, SATHD_METHOD_RUN_TOKEN,
      "sath.v1.BotReport", "sath.v1.AgentAck" },
    { "/sath.v1.BotAgentService/ReportTrades", NULL, NULL, NULL, 200, SATHD_METHOD_RUN_TOKEN,
      "sath.v1.ReportTradesRequest", "sath.v1.AgentAck" },
    { "/sath.v1.KeysService/CreateExchangeKey", "POST", "/api/v1/keys/exchange", "*", 201, 0,
      "sath.v1.CreateExchangeKeyRequest", "sath.v1.ExchangeKey" },
    { "/sath.v1.KeysService/ListExchangeKeys", "GET", "/api/v1/keys/exchange", "", 200, 0,
      "sath.v1.ListExchangeKeysRequest", "sath.v1.ListExchangeKeysResponse" },
    { "/sath.v1.KeysService/DeleteExchangeKey", "DELETE", "/api/v1/keys/exchange/{id}", "", 204, 0,
      "sath.v1.DeleteExchangeKeyRequest", "sath.v1.DeleteExchangeKeyResponse" },
    { "/sath.v1.KeysService/CreateAiKey", "POST", "/api/v1/keys/ai", "*", 201, 0,
      "sath.v1.CreateAiKeyRequest", "sath.v1.AiKey" },
    { "/sath.v1.KeysService/ListAiKeys", "GET", "/api/v1/keys/ai", "", 200, 0,
      "sath.v1.ListAiKeysRequest", "sath.v1.ListAiKeysResponse" },
    { "/sath.v1.KeysService/DeleteAiKey", "DELETE", "/api/v1/keys/ai/{id}", "", 204, 0,
      "sath.v1.DeleteAiKeyRequest", "sath.v1.DeleteAiKeyResponse" },
    { "/sath.v1.KeysService/TestKey", "POST", "/api/v1/keys/test", "*", 200, 0,
      "sath.v1.TestKeyRequest", "sath.v1.TestKeyResponse" },
    { "/sath.v1.UserService/GetMe", "GET", "/api/v1/users/me", "", 200, 0,
      "sath.v1.GetMeRequest", "sath.v1.User" },
    { "/sath.v1.UserService/UpdateMe", "PUT", "/api/v1/users/me", "*", 200, 0,
      "sath.v1.UpdateMeRequest", "sath.v1.User" },
    { "/sath.v1.UserService/DeleteMe", "DELETE", "/api/v1/users/me", "*", 204, 0,
      "sath.v1.DeleteMeRequest", "sath.v1.DeleteMeResponse" },
};
#undef P
#define N_EXPECTED (sizeof EXPECTED / sizeof EXPECTED[0])

static const sathd_method_desc *find_method(const char *path)
{
    for (size_t i = 0; i < sath_v1_n_all_methods; i++)
        if (strcmp(sath_v1_all_methods[i]->path, path) == 0)
            return sath_v1_all_methods[i];
    return NULL;
}

static void test_all_methods_listed_once(void **state)
{
    (void)state;
    assert_int_equal(N_EXPECTED, 32);
    assert_int_equal(sath_v1_n_all_methods, N_EXPECTED);
    assert_int_equal(SATH_V1_N_ALL_METHODS, N_EXPECTED);
    for (size_t i = 0; i < sath_v1_n_all_methods; i++) {
        require_non_null(sath_v1_all_methods[i]);
        /* proto order: the table lists methods in the same order as EXPECTED */
        assert_string_equal(sath_v1_all_methods[i]->path, EXPECTED[i].path);
        for (size_t j = i + 1; j < sath_v1_n_all_methods; j++)
            assert_ptr_not_equal(sath_v1_all_methods[i], sath_v1_all_methods[j]);
    }
}

static void test_http_rules_match_contract(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_EXPECTED; i++) {
        const expected_route *e = &EXPECTED[i];
        const sathd_method_desc *m = find_method(e->path);
        require_non_null(m);
        if (!e->verb) { /* gRPC only */
            assert_null(m->http.verb);
            assert_int_equal(m->flags, e->flags);
            continue;
        }
        assert_string_equal(m->http.verb, e->verb);
        assert_string_equal(m->http.path, e->http_path);
        assert_string_equal(m->http.body, e->body);
        assert_string_equal(m->http.response_body, "");
        assert_int_equal(m->http.success_code, e->code);
        assert_int_equal(m->flags, e->flags);
        /* path = "/" service "/" name */
        char expect_path[160];
        snprintf(expect_path, sizeof expect_path, "/%s/%s", m->service, m->name);
        assert_string_equal(m->path, expect_path);
    }
}

static void test_message_descriptors(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_EXPECTED; i++) {
        const sathd_method_desc *m = find_method(EXPECTED[i].path);
        require_non_null(m);
        require_non_null(m->input);
        require_non_null(m->output);
        assert_int_equal(m->input->magic, PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
        assert_string_equal(m->input->name, EXPECTED[i].input);
        assert_string_equal(m->output->name, EXPECTED[i].output);
    }
    /* the same objects protoc-c generated, not copies */
    const sathd_method_desc *reg = find_method("/sath.v1.AuthService/Register");
    const sathd_method_desc *me = find_method("/sath.v1.UserService/GetMe");
    require_non_null(reg);
    require_non_null(me);
    assert_ptr_equal(reg->input, &sath__v1__register_request__descriptor);
    assert_ptr_equal(me->output, &sath__v1__user__descriptor);
}

static void test_per_service_arrays(void **state)
{
    (void)state;
    assert_int_equal(SATH_V1_AUTH_SERVICE_N_METHODS, 4);
    assert_int_equal(SATH_V1_USER_SERVICE_N_METHODS, 3);
    assert_int_equal(SATH_V1_BOT_SERVICE_N_METHODS, 9);
    assert_int_equal(SATH_V1_KEYS_SERVICE_N_METHODS, 7);
    assert_int_equal(SATH_V1_BILLING_SERVICE_N_METHODS, 6);
    assert_ptr_equal(sath_v1_all_methods[0], &sath_v1_auth_service_methods[0]);
    assert_string_equal(sath_v1_keys_service_methods[2].name, "DeleteExchangeKey");
    assert_string_equal(sath_v1_keys_service_methods[2].service, "sath.v1.KeysService");
}

static const sathd_file_descriptor *find_file(const char *name)
{
    for (size_t i = 0; i < sath_v1_n_file_descriptors; i++)
        if (strcmp(sath_v1_file_descriptors[i].name, name) == 0)
            return &sath_v1_file_descriptors[i];
    return NULL;
}

static void test_file_descriptors_unpack(void **state)
{
    (void)state;
    assert_true(sath_v1_n_file_descriptors >= 10);
    for (size_t i = 0; i < sath_v1_n_file_descriptors; i++) {
        const sathd_file_descriptor *fd = &sath_v1_file_descriptors[i];
        assert_true(fd->len > 0);
        Google__Protobuf__FileDescriptorProto *p =
            google__protobuf__file_descriptor_proto__unpack(NULL, fd->len, fd->data);
        require_non_null(p);
        assert_string_equal(p->name, fd->name);
        assert_null(p->source_code_info);
        /* dependencies come first: every import is listed before this file */
        for (size_t d = 0; d < p->n_dependency; d++) {
            const sathd_file_descriptor *dep = find_file(p->dependency[d]);
            require_non_null(dep);
            assert_true(dep < fd);
        }
        google__protobuf__file_descriptor_proto__free_unpacked(p, NULL);
    }
    const char *required[] = {
        "sath/v1/auth.proto", "sath/v1/user.proto", "sath/v1/bot.proto", "sath/v1/keys.proto",
        "sath/v1/billing.proto", "sath/v1/common.proto", "sath/v1/options.proto",
        "google/api/http.proto", "google/api/annotations.proto", "google/protobuf/descriptor.proto",
        "google/protobuf/timestamp.proto", "grpc/health/v1/health.proto",
        "grpc/reflection/v1alpha/reflection.proto",
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        require_non_null(find_file(required[i]));
}

static const ProtobufCMessageUnknownField *unknown(const ProtobufCMessage *m, uint32_t tag)
{
    for (unsigned i = 0; i < m->n_unknown_fields; i++)
        if (m->unknown_fields[i].tag == tag)
            return &m->unknown_fields[i];
    return NULL;
}

static void test_custom_options_survive_embedding(void **state)
{
    (void)state;
    const sathd_file_descriptor *fd = find_file("sath/v1/auth.proto");
    require_non_null(fd);
    Google__Protobuf__FileDescriptorProto *p =
        google__protobuf__file_descriptor_proto__unpack(NULL, fd->len, fd->data);
    require_non_null(p);
    assert_int_equal(p->n_service, 1);
    assert_string_equal(p->service[0]->name, "AuthService");
    const Google__Protobuf__MethodDescriptorProto *reg = p->service[0]->method[0];
    assert_string_equal(reg->name, "Register");
    require_non_null(reg->options);

    const ProtobufCMessageUnknownField *http = unknown(&reg->options->base, 72295728);
    require_non_null(http);
    assert_int_equal(http->wire_type, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
    /* one-byte length prefix: the rule is short */
    assert_true(http->len > 1 && http->data[0] == http->len - 1);
    Google__Api__HttpRule *rule = google__api__http_rule__unpack(NULL, http->len - 1, http->data + 1);
    require_non_null(rule);
    assert_int_equal(rule->pattern_case, GOOGLE__API__HTTP_RULE__PATTERN_POST);
    assert_string_equal(rule->post, "/api/v1/auth/register");
    assert_string_equal(rule->body, "*");
    google__api__http_rule__free_unpacked(rule, NULL);

    const ProtobufCMessageUnknownField *code = unknown(&reg->options->base, 51001);
    require_non_null(code);
    assert_int_equal(code->wire_type, PROTOBUF_C_WIRE_TYPE_VARINT);
    assert_int_equal(code->len, 2);             /* 201 = 0xc9 0x01 */
    assert_int_equal(code->data[0], 0xc9);
    assert_int_equal(code->data[1], 0x01);
    require_non_null(unknown(&reg->options->base, 51002));
    google__protobuf__file_descriptor_proto__free_unpacked(p, NULL);
}

/* Binding every service registers exactly the route table's descriptors. */
static void test_bind_all_matches_route_table(void **state)
{
    (void)state;
    sathd_registry *reg = calloc(1, sizeof *reg);
    require_non_null(reg);
    assert_int_equal(sath_v1_auth_service_bind(reg, NULL), 0);
    assert_int_equal(sath_v1_billing_service_bind(reg, NULL), 0);
    assert_int_equal(sath_v1_bot_service_bind(reg, NULL), 0);
    assert_int_equal(sath_v1_bot_agent_service_bind(reg, NULL), 0);
    assert_int_equal(sath_v1_keys_service_bind(reg, NULL), 0);
    assert_int_equal(sath_v1_user_service_bind(reg, NULL), 0);
    assert_int_equal(reg->n, sath_v1_n_all_methods);
    for (size_t i = 0; i < sath_v1_n_all_methods; i++) {
        const fixture_entry *e = fixture_find(reg, sath_v1_all_methods[i]->path);
        require_non_null(e);
        assert_ptr_equal(e->desc, sath_v1_all_methods[i]);
        if (e->desc->flags & SATHD_METHOD_SERVER_STREAMING)
            require_non_null(e->stream_fn);
        else
            require_non_null(e->fn);
    }
    free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_methods_listed_once),
        cmocka_unit_test(test_http_rules_match_contract),
        cmocka_unit_test(test_message_descriptors),
        cmocka_unit_test(test_per_service_arrays),
        cmocka_unit_test(test_file_descriptors_unpack),
        cmocka_unit_test(test_custom_options_survive_embedding),
        cmocka_unit_test(test_bind_all_matches_route_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
