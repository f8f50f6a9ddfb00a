/*
 * torture_keys_rotation.c - key rotation end to end: rows written by a real sathd under
 * key A stay readable once B is put in front of A, `sathd rotate-keys` moves every row
 * (in batches, more rows than one batch) to B and reports counts, a second run has
 * nothing to do, and an unknown key id makes it fail closed with a clear error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "sathd/keyring.h"
#include "keys_fixture.h"

#define KA "a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KB "b:HxwdHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA="
#define KC "c:ERERERERERERERERERERERERERERERERERERERERERE="
#define N_EXCHANGE 130 /* more than one batch of 100 */
#define N_AI 3

typedef struct fixture {
    sathd_proc proc;
    sath_client *c;
    char user[37];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    /* one user holds all the rows: lift the per-user cap (SATH_MAX_EXCHANGE_KEYS) */
    const char *extra[] = {"SATH_ENCRYPTION_KEYS=" KA, "SATH_MAX_EXCHANGE_KEYS=1000", NULL};
    *state = f; /* cmocka runs teardown even when setup fails */
    if (!f || sodium_init() < 0 || sathd_proc_start(&f->proc, extra) != 0)
        return -1;
    return (f->c = keys_user_client(&f->proc, f->user)) ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return -1;
    sath_client_free(f->c);
    int rc = f->proc.pid > 0 ? sathd_proc_stop(&f->proc) : -1;
    free(f);
    return rc == 0 ? 0 : -1;
}

/* Opens every stored column with `keys` and checks it against what was stored:
 * api_key "key-<n>", api_secret "secret-<n>", passphrase "pass-<n>". */
static void check_all_readable(const fixture *f, const char *keys)
{
    char err[256];
    sathd_keyring *kr = sathd_keyring_parse(keys, err, sizeof err);
    assert_non_null(kr);
    PGconn *c = PQconnectdb(f->proc.conninfo);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, "SELECT id, user_id, encrypted_key, encrypted_secret, encrypted_passphrase, "
                            "label FROM api_keys UNION ALL SELECT id, user_id, encrypted_key, NULL, "
                            "NULL, label FROM ai_keys");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(r), N_EXCHANGE + N_AI);
    for (int i = 0; i < PQntuples(r); i++) {
        const char *label = PQgetvalue(r, i, 5); /* "ex-<n>" or "ai-<n>" */
        int ai = label[0] == 'a';
        sathd_keys_purpose p = ai ? SATHD_KEYS_AI_KEYS : SATHD_KEYS_API_KEYS;
        static const char *const cols[] = {"api_key", "api_secret", "passphrase"};
        static const char *const want[] = {"key-", "secret-", "pass-"};
        for (int k = 0; k < 3; k++) {
            if (PQgetisnull(r, i, 2 + k))
                continue;
            char ad[SATHD_KEYS_AD_MAX], expect[64];
            sathd_keys_ad(ad, sizeof ad, p, PQgetvalue(r, i, 1), PQgetvalue(r, i, 0), cols[k]);
            char *pt = NULL;
            size_t len = 0;
            assert_int_equal(sathd_envelope_open(kr, p, ad, PQgetvalue(r, i, 2 + k), &pt, &len, NULL),
                             SATHD_KEYS_OK);
            snprintf(expect, sizeof expect, "%s%s", want[k], label + 3);
            assert_string_equal(pt, expect);
            sathd_keys_secret_free(pt);
        }
    }
    PQclear(r);
    PQfinish(c);
    sathd_keyring_free(kr);
}

static int count(const fixture *f, const char *table, const char *kid)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE key_id = $1", table);
    char *s = keys_sql(&f->proc, sql, kid, NULL);
    int n = s ? atoi(s) : -1;
    free(s);
    return n;
}

static void store_rows(fixture *f)
{
    for (int i = 0; i < N_EXCHANGE; i++) {
        char label[16], key[32], secret[32], pass[32];
        snprintf(label, sizeof label, "ex-%d", i);
        snprintf(key, sizeof key, "key-%d", i);
        snprintf(secret, sizeof secret, "secret-%d", i);
        snprintf(pass, sizeof pass, "pass-%d", i);
        Sath__V1__CreateExchangeKeyRequest req = SATH__V1__CREATE_EXCHANGE_KEY_REQUEST__INIT;
        req.exchange = SATH__V1__EXCHANGE__EXCHANGE_BINANCE;
        req.label = label;
        req.api_key = key;
        req.api_secret = secret;
        req.passphrase = i % 2 ? pass : (char *)"";
        Sath__V1__ExchangeKey *k = NULL;
        assert_int_equal(sath_keys_create_exchange_key(f->c, &req, &k, NULL), SATH_OK);
        sath__v1__exchange_key__free_unpacked(k, NULL);
    }
    for (int i = 0; i < N_AI; i++) {
        char label[16], key[32];
        snprintf(label, sizeof label, "ai-%d", i);
        snprintf(key, sizeof key, "key-%d", i);
        Sath__V1__CreateAiKeyRequest req = SATH__V1__CREATE_AI_KEY_REQUEST__INIT;
        req.provider = SATH__V1__AI_PROVIDER__AI_PROVIDER_ANTHROPIC;
        req.label = label;
        req.api_key = key;
        Sath__V1__AiKey *k = NULL;
        assert_int_equal(sath_keys_create_ai_key(f->c, &req, &k, NULL), SATH_OK);
        sath__v1__ai_key__free_unpacked(k, NULL);
    }
}

static void rotate(void **state)
{
    fixture *f = *state;
    store_rows(f);
    assert_int_equal(count(f, "api_keys", "a"), N_EXCHANGE);
    assert_int_equal(count(f, "ai_keys", "a"), N_AI);
    /* B added in front of A: everything written under A still opens */
    check_all_readable(f, KB "," KA);

    char *out = NULL;
    assert_int_equal(keys_run_rotate(&f->proc, KB "," KA, &out), 0);
    char expect[128];
    snprintf(expect, sizeof expect, "api_keys: %d rows re-encrypted to key id 'b'; 0 rows left", N_EXCHANGE);
    assert_non_null(strstr(out, expect));
    snprintf(expect, sizeof expect, "ai_keys: %d rows re-encrypted to key id 'b'; 0 rows left", N_AI);
    assert_non_null(strstr(out, expect));
    free(out);
    assert_int_equal(count(f, "api_keys", "a"), 0);
    assert_int_equal(count(f, "ai_keys", "a"), 0);
    assert_int_equal(count(f, "api_keys", "b"), N_EXCHANGE);
    char *left = keys_sql(&f->proc, "SELECT count(*) FROM api_keys WHERE encrypted_key NOT LIKE 'v1:b:%' "
                                    "OR encrypted_secret NOT LIKE 'v1:b:%' OR encrypted_passphrase NOT LIKE 'v1:b:%'",
                          NULL, NULL);
    assert_string_equal(left, "0");
    free(left);
    /* A can be dropped now */
    check_all_readable(f, KB);

    /* nothing left to do on a second run */
    assert_int_equal(keys_run_rotate(&f->proc, KB "," KA, &out), 0);
    assert_non_null(strstr(out, "api_keys: 0 rows re-encrypted"));
    free(out);

    /* the server still holding only A fails closed on B's rows, naming no secret */
    Sath__V1__ListExchangeKeysRequest lr = SATH__V1__LIST_EXCHANGE_KEYS_REQUEST__INIT;
    Sath__V1__ListExchangeKeysResponse *l = NULL;
    assert_int_equal(sath_keys_list_exchange_keys(f->c, &lr, &l, NULL), SATH_OK);
    assert_int_equal(l->n_keys, N_EXCHANGE);
    Sath__V1__TestKeyRequest tr = SATH__V1__TEST_KEY_REQUEST__INIT;
    tr.id = l->keys[0]->id;
    Sath__V1__TestKeyResponse *t = NULL;
    assert_int_equal(sath_keys_test_key(f->c, &tr, &t, NULL), SATH_DATA_LOSS);
    assert_non_null(strstr(sath_client_last_error_message(f->c), "key id"));
    sath__v1__list_exchange_keys_response__free_unpacked(l, NULL);
}

static void unknown_kid_fails_closed(void **state)
{
    fixture *f = *state;
    int before = count(f, "api_keys", "b");
    assert_true(before > 0);
    char *out = NULL;
    /* C is new and B was forgotten: B's rows cannot be opened */
    assert_int_equal(keys_run_rotate(&f->proc, KC, &out), 1);
    assert_non_null(strstr(out, "key id 'b'"));
    assert_non_null(strstr(out, "does not hold"));
    assert_null(strstr(out, "secret-"));
    free(out);
    assert_int_equal(count(f, "api_keys", "b"), before);
    assert_int_equal(count(f, "api_keys", "c"), 0);

    /* a tampered row stops the run too, with its batch rolled back */
    char *r = keys_sql(&f->proc, "UPDATE api_keys SET encrypted_secret = 'v1:b:AAAA' WHERE id = "
                                 "(SELECT id FROM api_keys ORDER BY id LIMIT 1) RETURNING id", NULL, NULL);
    assert_int_equal(keys_run_rotate(&f->proc, KC "," KB, &out), 1);
    assert_non_null(strstr(out, r));
    assert_non_null(strstr(out, "malformed"));
    free(out);
    free(r);
    assert_int_equal(count(f, "api_keys", "b"), before);

    /* configuration errors: no keys, bad keys */
    assert_int_equal(keys_run_rotate(&f->proc, "b:short", &out), 2);
    assert_non_null(strstr(out, "SATH_ENCRYPTION_KEYS"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rotate),
        cmocka_unit_test(unknown_kid_fails_closed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
