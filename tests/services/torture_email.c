/*
 * torture_email.c - email syntax check and normalisation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "email.h"

static void accepts_and_lowercases(void **state)
{
    (void)state;
    char out[255];
    const char *why = NULL;
    assert_int_equal(sathd_email_normalize("Ana.Maria+bots@Example.COM", out, sizeof out, &why), 0);
    assert_string_equal(out, "ana.maria+bots@example.com");
    assert_int_equal(sathd_email_normalize("x@a-b.io", out, sizeof out, &why), 0);
    assert_string_equal(out, "x@a-b.io");
}

static void rejects_bad_syntax(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "plain", "@example.com", "ana@", "ana@@example.com", "a@b@example.com",
        "ana@localhost", ".ana@example.com", "ana.@example.com", "a..na@example.com",
        "ana@-example.com", "ana@example-.com", "ana@exa_mple.com", "ana@example..com",
        "ana @example.com", "ana@example.com ", "añá@example.com", "ana@1.2.3.4",
        "ana\"q@example.com", "ana@example.com\n", "ana(comment)@example.com",
    };
    char out[255];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        if (sathd_email_normalize(bad[i], out, sizeof out, &why) == 0)
            fail_msg("accepted bad email \"%s\"", bad[i]);
        assert_non_null(why);
    }
}

static void rejects_overlong(void **state)
{
    (void)state;
    char in[400], out[255];
    const char *why = NULL;
    memset(in, 'a', 65);
    strcpy(in + 65, "@example.com");
    assert_int_equal(sathd_email_normalize(in, out, sizeof out, &why), -1);
    memset(in, 'a', 60);
    in[60] = '@';
    for (int i = 0; i < 5; i++)
        memcpy(in + 61 + i * 40, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.", 40);
    strcpy(in + 261, "com");
    assert_int_equal(sathd_email_normalize(in, out, sizeof out, &why), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_and_lowercases),
        cmocka_unit_test(rejects_bad_syntax),
        cmocka_unit_test(rejects_overlong),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
