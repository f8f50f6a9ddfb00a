/*
 * torture_bind.c - the generated bind functions and adapters: a typed handler table
 * bound into a (recording) registry receives real messages through the generic
 * sathd_unary_fn adapters; missing handlers answer UNIMPLEMENTED.
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

#include "registry_fixture.h"
#include "sath/v1/auth.sath-server.h"
#include "sath/v1/bot.sath-server.h"

/* What the typed Login handler saw; the handler reaches it through the call. */
typedef struct login_seen {
    sathd_call call; /* first member: the handler casts the call back to this struct */
    int calls;
    char email[64];
    char password[64];
} login_seen;

typedef struct bind_fixture {
    sathd_registry reg;
    login_seen seen;
    sath_v1_auth_service_impl impl;
} bind_fixture;

static int login_handler(sathd_call *call, const Sath__V1__LoginRequest *req,
                         Sath__V1__LoginResponse *resp)
{
    login_seen *seen = (login_seen *)(void *)call;
    seen->calls++;
    snprintf(seen->email, sizeof seen->email, "%s", req->email);
    snprintf(seen->password, sizeof seen->password, "%s", req->password);
    if (strcmp(req->password, "wrong") == 0)
        return sathd_call_error(call, SATHD_UNAUTHENTICATED, "bad credentials");
    resp->access_token = (char *)"access-token";
    resp->token_type = (char *)"bearer";
    resp->expires_in = 900;
    return SATHD_OK;
}

static int setup(void **state)
{
    bind_fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    f->seen.call.code = -1;
    f->impl.login = login_handler; /* everything else stays NULL */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void test_bind_registers_every_method(void **state)
{
    bind_fixture *f = *state;
    assert_int_equal(sath_v1_auth_service_bind(&f->reg, &f->impl), 0);
    assert_int_equal(f->reg.n, SATH_V1_AUTH_SERVICE_N_METHODS);
    for (size_t i = 0; i < f->reg.n; i++) {
        assert_ptr_equal(f->reg.entries[i].desc, &sath_v1_auth_service_methods[i]);
        assert_ptr_equal(f->reg.entries[i].impl, &f->impl);
        require_non_null(f->reg.entries[i].fn);
    }
    /* each method has its own adapter */
    assert_ptr_not_equal(f->reg.entries[0].fn, f->reg.entries[1].fn);
}

static void test_adapter_calls_typed_handler(void **state)
{
    bind_fixture *f = *state;
    assert_int_equal(sath_v1_auth_service_bind(&f->reg, &f->impl), 0);
    const fixture_entry *e = fixture_find(&f->reg, "/sath.v1.AuthService/Login");
    require_non_null(e);

    Sath__V1__LoginRequest req = SATH__V1__LOGIN_REQUEST__INIT;
    req.email = (char *)"alice@example.com";
    req.password = (char *)"correct horse";
    Sath__V1__LoginResponse resp = SATH__V1__LOGIN_RESPONSE__INIT;
    int rc = e->fn(&f->seen.call, e->impl, &req.base, &resp.base);
    assert_int_equal(rc, SATHD_OK);
    assert_int_equal(f->seen.calls, 1);
    assert_string_equal(f->seen.email, "alice@example.com");
    assert_string_equal(f->seen.password, "correct horse");
    assert_string_equal(resp.access_token, "access-token");
    assert_int_equal(resp.expires_in, 900);
    assert_int_equal(f->seen.call.code, -1); /* no error recorded */

    /* the handler's error status goes back unchanged */
    req.password = (char *)"wrong";
    rc = e->fn(&f->seen.call, e->impl, &req.base, &resp.base);
    assert_int_equal(rc, SATHD_UNAUTHENTICATED);
    assert_int_equal(f->seen.call.code, SATHD_UNAUTHENTICATED);
    assert_int_equal(f->seen.calls, 2);
}

static void test_null_entry_is_unimplemented(void **state)
{
    bind_fixture *f = *state;
    assert_int_equal(sath_v1_auth_service_bind(&f->reg, &f->impl), 0);
    const fixture_entry *e = fixture_find(&f->reg, "/sath.v1.AuthService/Register");
    require_non_null(e);
    Sath__V1__RegisterRequest req = SATH__V1__REGISTER_REQUEST__INIT;
    Sath__V1__RegisterResponse resp = SATH__V1__REGISTER_RESPONSE__INIT;
    int rc = e->fn(&f->seen.call, e->impl, &req.base, &resp.base);
    assert_int_equal(rc, SATHD_UNIMPLEMENTED);
    assert_int_equal(f->seen.call.code, SATHD_UNIMPLEMENTED);
    assert_string_equal(f->seen.call.message, "sath.v1.AuthService/Register is not implemented yet");
    assert_int_equal(f->seen.calls, 0);
}

static void test_null_table_is_unimplemented(void **state)
{
    bind_fixture *f = *state;
    assert_int_equal(sath_v1_bot_service_bind(&f->reg, NULL), 0);
    assert_int_equal(f->reg.n, SATH_V1_BOT_SERVICE_N_METHODS);
    const fixture_entry *e = fixture_find(&f->reg, "/sath.v1.BotService/UpdateBotConfig");
    require_non_null(e);
    assert_null(e->impl);
    Sath__V1__UpdateBotConfigRequest req = SATH__V1__UPDATE_BOT_CONFIG_REQUEST__INIT;
    Sath__V1__BotConfig resp = SATH__V1__BOT_CONFIG__INIT;
    assert_int_equal(e->fn(&f->seen.call, e->impl, &req.base, &resp.base), SATHD_UNIMPLEMENTED);
    assert_string_equal(f->seen.call.message,
                        "sath.v1.BotService/UpdateBotConfig is not implemented yet");
}

/* A message of the wrong type never reaches the typed handler. */
static void test_wrong_message_type_is_internal(void **state)
{
    bind_fixture *f = *state;
    assert_int_equal(sath_v1_auth_service_bind(&f->reg, &f->impl), 0);
    const fixture_entry *e = fixture_find(&f->reg, "/sath.v1.AuthService/Login");
    require_non_null(e);
    Sath__V1__RegisterRequest wrong = SATH__V1__REGISTER_REQUEST__INIT;
    Sath__V1__LoginResponse resp = SATH__V1__LOGIN_RESPONSE__INIT;
    assert_int_equal(e->fn(&f->seen.call, e->impl, &wrong.base, &resp.base), SATHD_INTERNAL);
    assert_int_equal(f->seen.calls, 0);
    Sath__V1__LoginRequest req = SATH__V1__LOGIN_REQUEST__INIT;
    Sath__V1__RegisterResponse wrong_resp = SATH__V1__REGISTER_RESPONSE__INIT;
    assert_int_equal(e->fn(&f->seen.call, e->impl, &req.base, &wrong_resp.base), SATHD_INTERNAL);
    assert_int_equal(f->seen.calls, 0);
}

static void test_bind_reports_registry_failure(void **state)
{
    bind_fixture *f = *state;
    f->reg.fail_at = 3;
    assert_int_equal(sath_v1_auth_service_bind(&f->reg, &f->impl), -1);
    assert_int_equal(f->reg.n, 2);
    /* binding the same service twice collides on the paths */
    f->reg.fail_at = 0;
    f->reg.n = 0;
    assert_int_equal(sath_v1_auth_service_bind(&f->reg, &f->impl), 0);
    assert_int_equal(sath_v1_auth_service_bind(&f->reg, &f->impl), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bind_registers_every_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adapter_calls_typed_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_entry_is_unimplemented, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_table_is_unimplemented, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_message_type_is_internal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bind_reports_registry_failure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
