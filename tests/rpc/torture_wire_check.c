/*
 * torture_wire_check.c - proto3 string validation on the wire (server/rpc/wire_check.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sath/v1/auth.pb-c.h"
#include "sath/v1/bot.pb-c.h"
#include "sath/v1/user.pb-c.h"
#include "wire_check.h"

/* field 1 (email), 2 (password), 3 (name) of RegisterRequest, each length-delimited. */
static size_t register_bytes(uint8_t *out, const char *email, const char *pw, size_t pwlen,
                             const char *name, size_t namelen)
{
    size_t n = 0;
    out[n++] = 0x0a;
    out[n++] = (uint8_t)strlen(email);
    memcpy(out + n, email, strlen(email));
    n += strlen(email);
    out[n++] = 0x12;
    out[n++] = (uint8_t)pwlen;
    memcpy(out + n, pw, pwlen);
    n += pwlen;
    out[n++] = 0x1a;
    out[n++] = (uint8_t)namelen;
    memcpy(out + n, name, namelen);
    return n + namelen;
}

static void accepts_valid_messages(void **state)
{
    (void)state;
    Sath__V1__RegisterRequest req = SATH__V1__REGISTER_REQUEST__INIT;
    req.email = (char *)"ana@example.com";
    req.password = (char *)"contraseña segura 🔒";
    req.name = (char *)"Ana María";
    uint8_t buf[256];
    size_t n = sath__v1__register_request__pack(&req, buf);
    assert_int_equal(sathd_wire_check_strings(&sath__v1__register_request__descriptor, buf, n, NULL), 0);
    assert_int_equal(sathd_wire_check_strings(&sath__v1__register_request__descriptor, buf, 0, NULL), 0);
}

static void refuses_nul_and_bad_utf8(void **state)
{
    (void)state;
    uint8_t buf[256];
    const ProtobufCFieldDescriptor *bad = NULL;
    size_t n = register_bytes(buf, "a@b.co", "abcdefgh\0rest", 13, "x", 1);
    assert_int_equal(sathd_wire_check_strings(&sath__v1__register_request__descriptor, buf, n, &bad), -1);
    assert_non_null(bad);
    assert_string_equal(bad->name, "password");
    n = register_bytes(buf, "a@b.co", "password", 8, "\xff\xfe", 2);
    assert_int_equal(sathd_wire_check_strings(&sath__v1__register_request__descriptor, buf, n, &bad), -1);
    assert_string_equal(bad->name, "name");
    n = register_bytes(buf, "a@b.co", "password", 8, "\xed\xa0\x80", 3); /* surrogate */
    assert_int_equal(sathd_wire_check_strings(&sath__v1__register_request__descriptor, buf, n, &bad), -1);
}

static void checks_nested_messages(void **state)
{
    (void)state;
    /* UpdateMeRequest.name is a google.protobuf.StringValue {string value = 1}. */
    const uint8_t bad_nested[] = {0x0a, 0x04, 0x0a, 0x02, 0xc0, 0xaf};
    const uint8_t good_nested[] = {0x0a, 0x04, 0x0a, 0x02, 'o', 'k'};
    const ProtobufCFieldDescriptor *bad = NULL;
    assert_int_equal(sathd_wire_check_strings(&sath__v1__update_me_request__descriptor, bad_nested,
                                              sizeof bad_nested, &bad), -1);
    assert_non_null(bad);
    assert_string_equal(bad->name, "value");
    assert_int_equal(sathd_wire_check_strings(&sath__v1__update_me_request__descriptor, good_nested,
                                              sizeof good_nested, &bad), 0);
}

static void refuses_broken_framing(void **state)
{
    (void)state;
    const ProtobufCFieldDescriptor *bad = (const ProtobufCFieldDescriptor *)1;
    const uint8_t truncated[] = {0x0a, 0x10, 'a'};
    const uint8_t group[] = {0x0b};
    const uint8_t long_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(sathd_wire_check_strings(&sath__v1__register_request__descriptor, truncated,
                                              sizeof truncated, &bad), -1);
    assert_null(bad);
    assert_int_equal(sathd_wire_check_strings(&sath__v1__register_request__descriptor, group,
                                              sizeof group, NULL), -1);
    assert_int_equal(sathd_wire_check_strings(&sath__v1__register_request__descriptor, long_varint,
                                              sizeof long_varint, NULL), -1);
    /* Field number 0 is invalid on the wire (protobuf-c would keep it as unknown). */
    const uint8_t field_zero[] = {0x80, 0x00, 0x64};
    assert_int_equal(sathd_wire_check_strings(&sath__v1__stop_bot_request__descriptor, field_zero,
                                              sizeof field_zero, NULL), -1);
    /* Unknown fields are skipped, not judged. */
    const uint8_t unknown[] = {0x7a, 0x02, 0xff, 0x00, 0x78, 0x05};
    assert_int_equal(sathd_wire_check_strings(&sath__v1__register_request__descriptor, unknown,
                                              sizeof unknown, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_valid_messages),
        cmocka_unit_test(refuses_nul_and_bad_utf8),
        cmocka_unit_test(checks_nested_messages),
        cmocka_unit_test(refuses_broken_framing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
