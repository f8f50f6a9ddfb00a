/*
 * torture_keytest_sign.c - request signing and the helpers around it: HMAC-SHA256
 * vectors (RFC 4231 and Binance's documented example), the Binance and Bybit signing
 * strings, UUID v4 format, masking, and scrubbing of provider messages (server/httpc).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "sathd/pg.h"
#include "sathd/keytest.h"
#include "hmac.h" /* private to server/keys */
#include "sathd/httpc.h" /* sathd_httpc_scrub: the testers' message hygiene */
#include "sathd/keys.h"

static void hmac_vectors(void **state)
{
    (void)state;
    char hex[65];
    /* Binance API docs, "SIGNED endpoint examples" */
    const char *secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    const char *q = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&"
                    "recvWindow=5000&timestamp=1499827319559";
    sathd_keys_hmac_sha256_hex(secret, strlen(secret), q, strlen(q), hex);
    assert_string_equal(hex, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
    /* RFC 4231 test case 2 */
    sathd_keys_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* a key longer than the block size is hashed first (RFC 4231 case 6) */
    unsigned char k131[131];
    memset(k131, 0xaa, sizeof k131);
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    sathd_keys_hmac_sha256_hex((const char *)k131, sizeof k131, m6, strlen(m6), hex);
    assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void binance_and_bybit_strings(void **state)
{
    (void)state;
    char q[96], sig[65], expect[65];
    sathd_keytest_binance_sign("s3cret", 1499827319559, q, sizeof q, sig);
    assert_string_equal(q, "timestamp=1499827319559&recvWindow=5000");
    sathd_keys_hmac_sha256_hex("s3cret", 6, q, strlen(q), expect);
    assert_string_equal(sig, expect);
    /* Bybit: timestamp + api_key + recv_window + query */
    sathd_keytest_bybit_sign("s3cret", 1658384314791, "XXXXXXXXXX", "5000", "", sig);
    const char *m = "1658384314791XXXXXXXXXX5000";
    sathd_keys_hmac_sha256_hex("s3cret", 6, m, strlen(m), expect);
    assert_string_equal(sig, expect);
    sathd_keytest_bybit_sign("s3cret", 1658384314791, "XXXXXXXXXX", "5000", "a=1", sig);
    assert_string_not_equal(sig, expect);
}

static void uuid_v4(void **state)
{
    (void)state;
    char a[37], b[37];
    sathd_keys_uuid_v4(a);
    sathd_keys_uuid_v4(b);
    assert_int_equal(strlen(a), 36);
    assert_true(sathd_uuid_valid(a));
    assert_int_equal(a[14], '4');
    assert_non_null(strchr("89ab", a[19]));
    assert_string_not_equal(a, b);
}

static void masking(void **state)
{
    (void)state;
    char out[64];
    sathd_keys_mask("AKIAabcdefghWXYZ", out, sizeof out);
    assert_string_equal(out, "AKIA********WXYZ");
    sathd_keys_mask("123456789", out, sizeof out);
    assert_string_equal(out, "1234*6789");
    sathd_keys_mask("12345678", out, sizeof out); /* too short to show anything */
    assert_string_equal(out, "********");
    sathd_keys_mask("", out, sizeof out);
    assert_string_equal(out, "");
    sathd_keys_mask("AKIAabcdefghWXYZ", out, 6);
    assert_string_equal(out, "AKIA*");
}

/* The testers keep provider texts through sathd_httpc_scrub (kt_fail). */
static void scrubbing(void **state)
{
    (void)state;
    char out[128];
    const char *secrets[] = {"sk-SECRETKEY123", "hunter2", "", NULL};
    const char msg[] = "Incorrect API key provided: sk-SECRETKEY123. hunter2\x01\xc3!";
    sathd_httpc_scrub(msg, strlen(msg), secrets, 100, out, sizeof out);
    assert_string_equal(out, "Incorrect API key provided: [redacted]. [redacted]?" "?!");
    /* redaction that does not fit is left out, never cut or overflowing */
    char small[16];
    sathd_httpc_scrub("ab hunter2 hunt", 15, secrets, 100, small, sizeof small);
    assert_string_equal(small, "ab [redacted] h");
    sathd_httpc_scrub("ab hunter2 hunt", 15, secrets, 8, small, sizeof small);
    assert_string_equal(small, "ab ");
    /* length bound */
    char big[128];
    memset(big, 'x', 127);
    big[127] = '\0';
    sathd_httpc_scrub(big, 127, NULL, 20, out, sizeof out);
    assert_int_equal(strlen(out), 20);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hmac_vectors), cmocka_unit_test(binance_and_bybit_strings),
        cmocka_unit_test(uuid_v4),      cmocka_unit_test(masking),
        cmocka_unit_test(scrubbing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
