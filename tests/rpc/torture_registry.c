/*
 * torture_registry.c - adding, duplicate rejection, lookup by (counted) path, iteration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sath/v1/auth.pb-c.h"
#include "sathd/rpc.h"

#define DESC(svc, m)                                                                       \
    {svc, m, "/" svc "/" m, &sath__v1__login_request__descriptor,                         \
     &sath__v1__login_response__descriptor, 0, {NULL, NULL, NULL, NULL, 200}}

static const sathd_method_desc descs[] = {
    DESC("sath.v1.AuthService", "Login"), DESC("sath.v1.AuthService", "Logout"),
    DESC("sath.v1.BotService", "CreateBot"), DESC("sath.v1.AuthService", "Refresh"),
    DESC("sath.v1.KeysService", "ListKeys"),
};

static int setup(void **state)
{
    *state = sathd_registry_new();
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    sathd_registry_free(*state);
    return 0;
}

static void test_add_lookup_iterate(void **state)
{
    sathd_registry *reg = *state;
    int impl = 7;
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(sathd_registry_add(reg, &descs[i], NULL, &impl), 0);
    assert_int_equal(sathd_registry_count(reg), 5);
    for (size_t i = 0; i < 5; i++) {
        const sathd_registry_entry *e = sathd_registry_at(reg, i);
        assert_ptr_equal(e->desc, &descs[i]); /* order of addition */
        assert_int_equal(e->index, i);
        const char *p = descs[i].path;
        assert_ptr_equal(sathd_registry_lookup(reg, p, strlen(p)), e);
    }
    assert_null(sathd_registry_at(reg, 5));
    const char *withtail = "/sath.v1.AuthService/LoginXYZ";
    assert_non_null(sathd_registry_lookup(reg, withtail, strlen("/sath.v1.AuthService/Login")));
    assert_null(sathd_registry_lookup(reg, withtail, strlen(withtail)));
    assert_null(sathd_registry_lookup(reg, "/sath.v1.AuthService/Log", 24));
    assert_null(sathd_registry_lookup(reg, "", 0));
    assert_true(sathd_registry_has_service(reg, "sath.v1.BotService"));
    assert_false(sathd_registry_has_service(reg, "sath.v1.BillingService"));
}

static void test_duplicate_rejected(void **state)
{
    sathd_registry *reg = *state;
    assert_int_equal(sathd_registry_add(reg, &descs[0], NULL, NULL), 0);
    assert_int_equal(sathd_registry_add(reg, &descs[0], NULL, NULL), -1);
    assert_int_equal(sathd_registry_add(reg, NULL, NULL, NULL), -1);
    assert_int_equal(sathd_registry_count(reg), 1);
}

static void test_many(void **state)
{
    sathd_registry *reg = *state;
    static sathd_method_desc many[100];
    static char paths[100][32];
    for (int i = 0; i < 100; i++) {
        snprintf(paths[i], sizeof paths[i], "/s.S/M%03d", 99 - i);
        many[i] = descs[0];
        many[i].path = paths[i];
        assert_int_equal(sathd_registry_add(reg, &many[i], NULL, NULL), 0);
    }
    for (int i = 0; i < 100; i++)
        assert_int_equal(sathd_registry_lookup(reg, paths[i], strlen(paths[i]))->index, (size_t)i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_lookup_iterate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
