/*
 * torture_text.c - validation of display text (names, labels).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "text.h"

static void accepts_unicode_names(void **state)
{
    (void)state;
    assert_int_equal(sathd_text_check("", 200, NULL), 0);
    assert_int_equal(sathd_text_check("Ana María Ñúñez", 200, NULL), 0);
    assert_int_equal(sathd_text_check("李小龍 🚀", 200, NULL), 0);
    assert_int_equal(sathd_text_check("O'Brien; DROP TABLE users;--", 200, NULL), 0);
}

static void rejects_bad_bytes(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_int_equal(sathd_text_check("bad\xff", 200, &why), -1);
    assert_string_equal(why, "is not valid UTF-8");
    assert_int_equal(sathd_text_check("\xc0\xaf", 200, &why), -1);     /* overlong '/' */
    assert_int_equal(sathd_text_check("\xed\xa0\x80", 200, &why), -1); /* surrogate */
    assert_int_equal(sathd_text_check("\xe2\x82", 200, &why), -1);     /* truncated */
    assert_int_equal(sathd_text_check("a\x1b[31m", 200, &why), -1);
    assert_string_equal(why, "contains a control character");
    assert_int_equal(sathd_text_check("a\xc2\x85", 200, &why), -1); /* C1 NEL */
}

static void counts_code_points(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_int_equal(sathd_text_check("ñññ", 3, &why), 0);
    assert_int_equal(sathd_text_check("ññññ", 3, &why), -1);
    assert_string_equal(why, "is too long");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_unicode_names),
        cmocka_unit_test(rejects_bad_bytes),
        cmocka_unit_test(counts_code_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
