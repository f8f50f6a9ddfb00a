/*
 * torture_jwt_exp.c - sath__jwt_exp(): reading exp from unverified compact JWTs,
 * including the malformed ones a broken or hostile server could send.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "jwt.h"
#include "sath/error.h"

/* "h.<base64url(payload)>.s" with the given padding variant; caller frees. */
static char *token_with(const char *payload, int variant)
{
    size_t len = strlen(payload);
    size_t cap = sodium_base64_ENCODED_LEN(len, variant);
    char *b64 = malloc(cap);
    sodium_bin2base64(b64, cap, (const unsigned char *)payload, len, variant);
    char *tok = malloc(cap + 64);
    snprintf(tok, cap + 64, "eyJhbGciOiJIUzI1NiJ9.%s.c2ln", b64);
    free(b64);
    return tok;
}

static char *token(const char *payload)
{
    return token_with(payload, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int exp_of_payload(const char *payload, int64_t *exp)
{
    char *t = token(payload);
    int rc = sath__jwt_exp(t, exp);
    free(t);
    return rc;
}

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

static void test_valid(void **state)
{
    (void)state;
    int64_t exp = 0;
    assert_int_equal(exp_of_payload("{\"sub\":\"u\",\"exp\":1700000000}", &exp), SATH_OK);
    assert_int_equal(exp, 1700000000);
    assert_int_equal(exp_of_payload("{\"exp\":0}", &exp), SATH_OK);
    assert_int_equal(exp, 0);
    /* beyond 2038 */
    assert_int_equal(exp_of_payload("{\"exp\":4102444800}", &exp), SATH_OK);
    assert_int_equal(exp, 4102444800LL);
}

static void test_padded_and_url_chars(void **state)
{
    (void)state;
    int64_t exp = 0;
    /* A payload whose base64 has padding and the url-safe '-'/'_' characters. */
    const char *payload = "{\"exp\":1800000000,\"x\":\"?\?>>~~?\?~\"}";
    char *t = token_with(payload, sodium_base64_VARIANT_URLSAFE);
    assert_non_null(strchr(t, '='));
    assert_int_equal(sath__jwt_exp(t, &exp), SATH_OK);
    assert_int_equal(exp, 1800000000);
    free(t);
    t = token(payload);
    assert_true(strchr(t, '-') || strchr(t, '_'));
    assert_int_equal(sath__jwt_exp(t, &exp), SATH_OK);
    free(t);
}

static void test_fractional_exp(void **state)
{
    (void)state;
    int64_t exp = 0;
    assert_int_equal(exp_of_payload("{\"exp\":1700000000.75}", &exp), SATH_OK);
    assert_int_equal(exp, 1700000000);
}

static void test_bad_exp(void **state)
{
    (void)state;
    int64_t exp = 42;
    const char *bad[] = {
        "{}", "{\"exp\":\"1700000000\"}", "{\"exp\":-5}", "{\"exp\":null}", "{\"exp\":true}",
        "{\"exp\":1e300}", "{\"exp\":-1.5}", "[1700000000]", "1700000000", "\"exp\"",
        "{\"exp\":1,\"exp\":2}", "{\"exp\":17", "not json", "{\"exp\":[1]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(exp_of_payload(bad[i], &exp), SATH_EINVAL);
        assert_int_equal(exp, 42); /* untouched on failure */
    }
}

static void test_bad_shape(void **state)
{
    (void)state;
    int64_t exp = 42;
    const char *bad[] = {
        "", ".", "..", "abc", "a.b", "a..c", ".eyJleHAiOjF9.c", "a.eyJleHAiOjF9.c.d",
        "a.eyJleHAiOjF9", "a.!!!.c", "a.eyJleHAiOjF9===.c", "a.eyJle HAiOjF9.c", "a.e.c",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sath__jwt_exp(bad[i], &exp), SATH_EINVAL);
    assert_int_equal(exp, 42);
    assert_int_equal(sath__jwt_exp(NULL, &exp), SATH_EINVAL);
    assert_int_equal(sath__jwt_exp("a.eyJleHAiOjF9.c", NULL), SATH_EINVAL);
    /* sanity: the same middle part is fine in a well-formed token ({"exp":1}) */
    assert_int_equal(sath__jwt_exp("a.eyJleHAiOjF9.c", &exp), SATH_OK);
    assert_int_equal(exp, 1);
}

static void test_oversized_payload(void **state)
{
    (void)state;
    size_t n = 20000;
    char *payload = malloc(n + 32);
    snprintf(payload, n + 32, "{\"exp\":5,\"pad\":\"%0*d\"}", (int)n, 0);
    int64_t exp = 0;
    assert_int_equal(exp_of_payload(payload, &exp), SATH_EINVAL);
    free(payload);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_padded_and_url_chars),
        cmocka_unit_test(test_fractional_exp),
        cmocka_unit_test(test_bad_exp),
        cmocka_unit_test(test_bad_shape),
        cmocka_unit_test(test_oversized_payload),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
