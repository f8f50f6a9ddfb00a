/*
 * torture_error.c - sath_strerror() and sath_err_name() for every code of SATH_ERRNO_MAP,
 * and the values that must match gRPC's status codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <grpc/status.h>

#include "sath/sath.h"

static void test_every_code_has_text_and_name(void **state)
{
    (void)state;
    const char *unknown_text = sath_strerror(12345);
    const char *unknown_name = sath_err_name(12345);
#define CHECK(name, value, text)                                  \
    assert_string_equal(sath_strerror(SATH_##name), text);        \
    assert_string_equal(sath_err_name(SATH_##name), #name);       \
    assert_string_not_equal(sath_strerror(value), unknown_text);  \
    assert_string_not_equal(sath_err_name(value), unknown_name);
    SATH_ERRNO_MAP(CHECK)
#undef CHECK
}

static void test_unknown_codes(void **state)
{
    (void)state;
    const int bad[] = {17, 100, -7, -1000, INT32_MAX, INT32_MIN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_string_equal(sath_strerror(bad[i]), "unknown error code");
        assert_string_equal(sath_err_name(bad[i]), "UNKNOWN_CODE");
    }
}

static void test_grpc_codes_match(void **state)
{
    (void)state;
    assert_int_equal(SATH_OK, GRPC_STATUS_OK);
    assert_int_equal(SATH_CANCELLED, GRPC_STATUS_CANCELLED);
    assert_int_equal(SATH_INVALID_ARGUMENT, GRPC_STATUS_INVALID_ARGUMENT);
    assert_int_equal(SATH_DEADLINE_EXCEEDED, GRPC_STATUS_DEADLINE_EXCEEDED);
    assert_int_equal(SATH_ALREADY_EXISTS, GRPC_STATUS_ALREADY_EXISTS);
    assert_int_equal(SATH_RESOURCE_EXHAUSTED, GRPC_STATUS_RESOURCE_EXHAUSTED);
    assert_int_equal(SATH_UNIMPLEMENTED, GRPC_STATUS_UNIMPLEMENTED);
    assert_int_equal(SATH_UNAVAILABLE, GRPC_STATUS_UNAVAILABLE);
    assert_int_equal(SATH_DATA_LOSS, GRPC_STATUS_DATA_LOSS);
    assert_int_equal(SATH_UNAUTHENTICATED, GRPC_STATUS_UNAUTHENTICATED);
}

static void test_local_errors_negative_and_distinct(void **state)
{
    (void)state;
    const int local[] = {SATH_EINVAL, SATH_ENOMEM, SATH_ETRANSPORT, SATH_EPROTO, SATH_ETLS, SATH_ENOTOKEN};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        assert_true(local[i] < 0);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(local[i], local[j]);
    }
}

static void test_version(void **state)
{
    (void)state;
    assert_string_equal(sath_version(), SATH_VERSION_STRING);
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", SATH_VERSION_MAJOR, SATH_VERSION_MINOR, SATH_VERSION_PATCH);
    assert_string_equal(sath_version(), expect);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_has_text_and_name),
        cmocka_unit_test(test_unknown_codes),
        cmocka_unit_test(test_grpc_codes_match),
        cmocka_unit_test(test_local_errors_negative_and_distinct),
        cmocka_unit_test(test_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
