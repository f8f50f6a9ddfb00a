/*
 * torture_b64url.c - strict base64url: RFC 4648 section 10 vectors (in the URL-safe,
 * unpadded form), the URL-safe alphabet, and every kind of non-canonical input the JWT
 * parser must refuse.
 */
#include "sathd/jwt.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        char out[16];
        unsigned char back[16];
        size_t n = 99;
        size_t len = strlen(plain[i]);
        assert_non_null(sathd_b64url_encode(out, sizeof out, (const unsigned char *)plain[i], len));
        assert_string_equal(out, enc[i]);
        assert_int_equal(sathd_b64url_encoded_len(len), strlen(enc[i]));
        assert_int_equal(sathd_b64url_decode(back, sizeof back, enc[i], strlen(enc[i]), &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(back, plain[i], len);
    }
}

static void test_urlsafe_alphabet(void **state)
{
    (void)state;
    const unsigned char bytes[] = {0xfb, 0xff, 0xbf};
    char out[8];
    unsigned char back[8];
    size_t n = 0;
    sathd_b64url_encode(out, sizeof out, bytes, sizeof bytes);
    assert_string_equal(out, "-_-_");
    assert_int_equal(sathd_b64url_decode(back, sizeof back, "-_-_", 4, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(back, bytes, 3);
}

static void test_encode_buffer_too_small(void **state)
{
    (void)state;
    char out[4];
    assert_null(sathd_b64url_encode(out, sizeof out, (const unsigned char *)"foo", 3));
}

static void test_rejects_non_canonical(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg==",  /* padding */
        "Zm8=",  /* padding */
        "+_-_",  /* standard alphabet */
        "-/-_",  /* standard alphabet */
        "Zm9 v", /* whitespace inside */
        "Zm9v\n", /* trailing newline */
        " Zm9v", /* leading space */
        "Zh",    /* non-zero trailing bits (canonical is "Zg") */
        "Zm9",   /* non-zero trailing bits (canonical is "Zm8") */
        "Zm9vY", /* 4n+1 characters can never be canonical */
        "Zm.v",  /* separator */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char out[16];
        size_t n = 0;
        assert_int_equal(sathd_b64url_decode(out, sizeof out, bad[i], strlen(bad[i]), &n), -1);
    }
    /* Bytes >= 0x80 (libsodium 1.0.18 alone would map them into the alphabet). */
    for (int c = 0x80; c <= 0xff; c++) {
        char in[5] = {'Z', 'm', '8', (char)c, 0};
        unsigned char o[8];
        size_t m = 0;
        assert_int_equal(sathd_b64url_decode(o, sizeof o, in, 4, &m), -1);
    }
    assert_int_equal(sathd_b64url_decode((unsigned char[16]){0}, 16, "Zm9vYmFy\xcd\xa0-_", 12,
                                         &(size_t){0}),
                     -1); /* the fuzzer's find */
    /* An embedded NUL stops nothing: the length says what is decoded. */
    unsigned char out[16];
    size_t n = 0;
    assert_int_equal(sathd_b64url_decode(out, sizeof out, "Zm\0v", 4, &n), -1);
}

static void test_decode_output_too_small(void **state)
{
    (void)state;
    unsigned char out[2];
    size_t n = 0;
    assert_int_equal(sathd_b64url_decode(out, sizeof out, "Zm9v", 4, &n), -1);
}

static void test_random_round_trips(void **state)
{
    (void)state;
    for (size_t len = 0; len < 200; len++) {
        unsigned char in[200], back[200];
        char enc[300];
        size_t n = 0;
        randombytes_buf(in, len);
        sathd_b64url_encode(enc, sizeof enc, in, len);
        assert_int_equal(strlen(enc), sathd_b64url_encoded_len(len));
        assert_null(strpbrk(enc, "+/="));
        assert_int_equal(sathd_b64url_decode(back, sizeof back, enc, strlen(enc), &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(back, in, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_urlsafe_alphabet),
        cmocka_unit_test(test_encode_buffer_too_small),
        cmocka_unit_test(test_rejects_non_canonical),
        cmocka_unit_test(test_decode_output_too_small),
        cmocka_unit_test(test_random_round_trips),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
