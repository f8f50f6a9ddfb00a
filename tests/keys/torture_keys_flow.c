/*
 * torture_keys_flow.c - KeysService end to end: libsathclient against a real sathd
 * (own PostgreSQL database, test Redis) whose provider URLs point at
 * fake_providers.py.  Covers create/list/delete of both kinds, masking, what is really
 * stored in PostgreSQL, tampered and moved ciphertexts, BOLA and malformed ids, and
 * TestKey for every provider and failure mode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "keys_fixture.h"

#define KEY_A "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define CAP 40 /* SATH_MAX_EXCHANGE_KEYS and SATH_MAX_AI_KEYS of the test's sathd */

typedef struct fixture {
    fake_providers fake;
    sathd_proc proc;
    sath_client *a, *b; /* two users */
    char a_id[37], b_id[37];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    *state = f;
    if (!f || sodium_init() < 0 || fake_providers_start(&f->fake) != 0)
        return -1; /* cmocka still runs teardown, which stops what was started */
    static char env[11][160];
    int P = f->fake.port, C = f->fake.closed_port;
    snprintf(env[0], sizeof env[0], "SATH_ENCRYPTION_KEYS=%s", KEY_A);
    snprintf(env[1], sizeof env[1], "SATH_BINANCE_URL=http://127.0.0.1:%d/binance", P);
    snprintf(env[2], sizeof env[2], "SATH_BINANCE_TESTNET_URL=http://127.0.0.1:%d", C);
    snprintf(env[3], sizeof env[3], "SATH_BYBIT_URL=http://127.0.0.1:%d/bybit", P);
    snprintf(env[4], sizeof env[4], "SATH_BYBIT_TESTNET_URL=http://127.0.0.1:%d", C);
    snprintf(env[5], sizeof env[5], "SATH_OPENAI_URL=http://127.0.0.1:%d/openai", P);
    snprintf(env[6], sizeof env[6], "SATH_ANTHROPIC_URL=http://127.0.0.1:%d/anthropic", P);
    snprintf(env[7], sizeof env[7], "SATH_PROVIDER_TIMEOUT_MS=1000");
    /* user-supplied base URLs reach the fake only because the operator allows it */
    snprintf(env[8], sizeof env[8], "SATH_OUTBOUND_ALLOW=127.0.0.1:%d", P);
    /* caps high enough for user a's keys across the tests; key_caps checks them */
    snprintf(env[9], sizeof env[9], "SATH_MAX_EXCHANGE_KEYS=%d", CAP);
    snprintf(env[10], sizeof env[10], "SATH_MAX_AI_KEYS=%d", CAP);
    const char *extra[] = {env[0], env[1], env[2], env[3], env[4], env[5], env[6], env[7],
                           env[8], env[9], env[10], "SATH_ENV=development", NULL};
    if (sathd_proc_start(&f->proc, extra) != 0)
        return -1;
    f->a = keys_user_client(&f->proc, f->a_id);
    f->b = keys_user_client(&f->proc, f->b_id);
    return f->a && f->b ? 0 : -1;
}

/* Every secret the tests use: none may ever appear in sathd's log. */
static const char *const all_secrets[] = {
    "binance-secret-good-0001", "binance-secret-withdraw-0002", "binance-secret-skew-0003",
    "binance-secret-slow-0004", "bybit-secret-good-0001", "wrong-secret-for-this-key",
    "good-openai-sk-0001", "bad-openai-sk-9999", "good-anthropic-sk-0001", "my-passphrase-77",
    NULL};

static int teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return -1;
    sath_client_free(f->a);
    sath_client_free(f->b);
    int rc = f->proc.pid > 0 ? sathd_proc_stop(&f->proc) : -1;
    fake_providers_stop(&f->fake);
    FILE *log = fopen(f->proc.log_path, "r");
    char line[8192];
    int leaked = 0;
    while (log && fgets(line, sizeof line, log))
        for (int i = 0; all_secrets[i]; i++)
            if (strstr(line, all_secrets[i])) {
                fprintf(stderr, "secret %d leaked into the log: %s", i, line);
                leaked = 1;
            }
    if (log)
        fclose(log);
    free(f);
    return rc == 0 && !leaked ? 0 : -1;
}

static int add_ex(sath_client *c, Sath__V1__Exchange ex, const char *key, const char *secret,
                  int testnet, char *id_out)
{
    Sath__V1__CreateExchangeKeyRequest req = SATH__V1__CREATE_EXCHANGE_KEY_REQUEST__INIT;
    req.exchange = ex;
    req.label = (char *)"my key";
    req.api_key = (char *)key;
    req.api_secret = (char *)secret;
    req.is_testnet = testnet;
    Sath__V1__ExchangeKey *k = NULL;
    int rc = sath_keys_create_exchange_key(c, &req, &k, NULL);
    if (rc == SATH_OK && id_out)
        snprintf(id_out, 37, "%s", k->id);
    if (k)
        sath__v1__exchange_key__free_unpacked(k, NULL);
    return rc;
}

static int add_ai(sath_client *c, Sath__V1__AiProvider p, const char *key, const char *base,
                  char *id_out)
{
    Sath__V1__CreateAiKeyRequest req = SATH__V1__CREATE_AI_KEY_REQUEST__INIT;
    req.provider = p;
    req.label = (char *)"ai";
    req.api_key = (char *)key;
    req.base_url = (char *)(base ? base : "");
    Sath__V1__AiKey *k = NULL;
    int rc = sath_keys_create_ai_key(c, &req, &k, NULL);
    if (rc == SATH_OK && id_out)
        snprintf(id_out, 37, "%s", k->id);
    if (k)
        sath__v1__ai_key__free_unpacked(k, NULL);
    return rc;
}

static int test_key(sath_client *c, const char *id, Sath__V1__TestKeyResponse **out)
{
    Sath__V1__TestKeyRequest req = SATH__V1__TEST_KEY_REQUEST__INIT;
    req.id = (char *)id;
    Sath__V1__TestKeyResponse *r = NULL;
    int rc = sath_keys_test_key(c, &req, &r, NULL);
    if (out)
        *out = r;
    else if (r)
        sath__v1__test_key_response__free_unpacked(r, NULL);
    return rc;
}

static int del(sath_client *c, int ai, const char *id)
{
    if (ai) {
        Sath__V1__DeleteAiKeyRequest req = SATH__V1__DELETE_AI_KEY_REQUEST__INIT;
        req.id = (char *)id;
        Sath__V1__DeleteAiKeyResponse *r = NULL;
        int rc = sath_keys_delete_ai_key(c, &req, &r, NULL);
        if (r)
            sath__v1__delete_ai_key_response__free_unpacked(r, NULL);
        return rc;
    }
    Sath__V1__DeleteExchangeKeyRequest req = SATH__V1__DELETE_EXCHANGE_KEY_REQUEST__INIT;
    req.id = (char *)id;
    Sath__V1__DeleteExchangeKeyResponse *r = NULL;
    int rc = sath_keys_delete_exchange_key(c, &req, &r, NULL);
    if (r)
        sath__v1__delete_exchange_key_response__free_unpacked(r, NULL);
    return rc;
}

static Sath__V1__ListExchangeKeysResponse *list_ex(sath_client *c)
{
    Sath__V1__ListExchangeKeysRequest req = SATH__V1__LIST_EXCHANGE_KEYS_REQUEST__INIT;
    Sath__V1__ListExchangeKeysResponse *r = NULL;
    assert_int_equal(sath_keys_list_exchange_keys(c, &req, &r, NULL), SATH_OK);
    return r;
}

static Sath__V1__ListAiKeysResponse *list_ai(sath_client *c)
{
    Sath__V1__ListAiKeysRequest req = SATH__V1__LIST_AI_KEYS_REQUEST__INIT;
    Sath__V1__ListAiKeysResponse *r = NULL;
    assert_int_equal(sath_keys_list_ai_keys(c, &req, &r, NULL), SATH_OK);
    return r;
}

static void exchange_crud(void **state)
{
    fixture *f = *state;
    sath_client *c = keys_user_client(&f->proc, NULL);
    Sath__V1__CreateExchangeKeyRequest req = SATH__V1__CREATE_EXCHANGE_KEY_REQUEST__INIT;
    req.exchange = SATH__V1__EXCHANGE__EXCHANGE_BYBIT;
    req.label = (char *)"Main account";
    req.api_key = (char *)"good-bybit-key-0001";
    req.api_secret = (char *)"bybit-secret-good-0001";
    req.passphrase = (char *)"my-passphrase-77";
    Sath__V1__ExchangeKey *k = NULL;
    assert_int_equal(sath_keys_create_exchange_key(c, &req, &k, NULL), SATH_OK);
    assert_int_equal(strlen(k->id), 36);
    assert_string_equal(k->api_key_masked, "good***********0001");
    assert_true(k->has_passphrase);
    assert_int_equal(k->exchange, SATH__V1__EXCHANGE__EXCHANGE_BYBIT);
    assert_non_null(k->created_at);
    assert_non_null(k->last_test);
    assert_null(k->last_test->tested_at);
    char id[37];
    snprintf(id, sizeof id, "%s", k->id);
    sath__v1__exchange_key__free_unpacked(k, NULL);
    assert_int_equal(add_ex(c, SATH__V1__EXCHANGE__EXCHANGE_OTHER, "other-key-123456", "s", 1, NULL), SATH_OK);

    Sath__V1__ListExchangeKeysResponse *l = list_ex(c);
    assert_int_equal(l->n_keys, 2);
    assert_string_equal(l->keys[1]->id, id); /* newest first */
    assert_string_equal(l->keys[1]->label, "Main account");
    assert_string_equal(l->keys[0]->api_key_masked, "othe********3456");
    assert_true(l->keys[0]->is_testnet);
    assert_false(l->keys[0]->has_passphrase);
    sath__v1__list_exchange_keys_response__free_unpacked(l, NULL);

    /* an 'other' exchange key is stored but cannot be tested */
    assert_int_equal(test_key(c, id, NULL), SATH_OK);
    l = list_ex(c);
    assert_int_equal(test_key(c, l->keys[0]->id, NULL), SATH_FAILED_PRECONDITION);
    sath__v1__list_exchange_keys_response__free_unpacked(l, NULL);

    assert_int_equal(del(c, 0, id), SATH_OK);
    assert_int_equal(del(c, 0, id), SATH_NOT_FOUND);
    l = list_ex(c);
    assert_int_equal(l->n_keys, 1);
    sath__v1__list_exchange_keys_response__free_unpacked(l, NULL);

    /* validation */
    assert_int_equal(add_ex(c, SATH__V1__EXCHANGE__EXCHANGE_UNSPECIFIED, "kkkkkkkk", "s", 0, NULL),
                     SATH_INVALID_ARGUMENT);
    assert_int_equal(add_ex(c, (Sath__V1__Exchange)42, "kkkkkkkk", "s", 0, NULL), SATH_INVALID_ARGUMENT);
    assert_int_equal(add_ex(c, SATH__V1__EXCHANGE__EXCHANGE_BINANCE, "", "s", 0, NULL), SATH_INVALID_ARGUMENT);
    assert_int_equal(add_ex(c, SATH__V1__EXCHANGE__EXCHANGE_BINANCE, "k", "", 0, NULL), SATH_INVALID_ARGUMENT);
    assert_int_equal(add_ex(c, SATH__V1__EXCHANGE__EXCHANGE_BINANCE, "k y", "s", 0, NULL), SATH_INVALID_ARGUMENT);
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(add_ex(c, SATH__V1__EXCHANGE__EXCHANGE_BINANCE, "k", big, 0, NULL), SATH_INVALID_ARGUMENT);
    req.exchange = SATH__V1__EXCHANGE__EXCHANGE_BINANCE;
    req.label = big + 600 - 102; /* 101 characters */
    assert_int_equal(sath_keys_create_exchange_key(c, &req, &k, NULL), SATH_INVALID_ARGUMENT);
    assert_non_null(strstr(sath_client_last_error_message(c), "label"));
    sath_client_free(c);
}

static void ai_crud(void **state)
{
    fixture *f = *state;
    sath_client *c = keys_user_client(&f->proc, NULL);
    char base[128], id[37];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/compat", f->fake.port);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI, "good-openai-sk-0001", NULL, NULL), SATH_OK);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI_COMPATIBLE, "good-openai-sk-0001", base, id), SATH_OK);
    Sath__V1__ListAiKeysResponse *l = list_ai(c);
    assert_int_equal(l->n_keys, 2);
    assert_string_equal(l->keys[0]->id, id);
    assert_string_equal(l->keys[0]->base_url, base);
    assert_string_equal(l->keys[0]->api_key_masked, "good***********0001");
    assert_int_equal(l->keys[0]->provider, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI_COMPATIBLE);
    assert_string_equal(l->keys[1]->base_url, "");
    sath__v1__list_ai_keys_response__free_unpacked(l, NULL);
    assert_int_equal(del(c, 1, id), SATH_OK);
    assert_int_equal(del(c, 1, id), SATH_NOT_FOUND);
    /* an exchange delete does not reach an AI key */
    l = list_ai(c);
    assert_int_equal(del(c, 0, l->keys[0]->id), SATH_NOT_FOUND);
    sath__v1__list_ai_keys_response__free_unpacked(l, NULL);
    /* validation: compatible needs an https base URL (or loopback in development) */
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI_COMPATIBLE, "k", NULL, NULL), SATH_INVALID_ARGUMENT);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI_COMPATIBLE, "k", "http://example.com", NULL), SATH_INVALID_ARGUMENT);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI_COMPATIBLE, "k", "http://127.0.0.10/x", NULL), SATH_INVALID_ARGUMENT);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI_COMPATIBLE, "k", "https://llm.example.com", NULL), SATH_OK);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI, "k", "https://x.example", NULL), SATH_INVALID_ARGUMENT);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_UNSPECIFIED, "k", NULL, NULL), SATH_INVALID_ARGUMENT);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_ANTHROPIC, "", NULL, NULL), SATH_INVALID_ARGUMENT);
    sath_client_free(c);
}

static void raw_rows_hold_no_plaintext(void **state)
{
    fixture *f = *state;
    char ex[37], ai[37];
    assert_int_equal(add_ex(f->a, SATH__V1__EXCHANGE__EXCHANGE_BINANCE, "good-binance-key-0001",
                            "binance-secret-good-0001", 0, ex), SATH_OK);
    assert_int_equal(add_ai(f->a, SATH__V1__AI_PROVIDER__AI_PROVIDER_ANTHROPIC, "good-anthropic-sk-0001", NULL, ai), SATH_OK);
    char *rows = keys_sql_all(&f->proc, "SELECT t::text FROM api_keys t UNION ALL SELECT t::text FROM ai_keys t");
    assert_non_null(rows);
    assert_non_null(strstr(rows, ex));
    assert_non_null(strstr(rows, ai));
    for (int i = 0; all_secrets[i]; i++)
        assert_null(strstr(rows, all_secrets[i]));
    assert_null(strstr(rows, "good-binance-key-0001"));
    assert_null(strstr(rows, "good-anthropic-sk-0001"));
    free(rows);
    char *env = keys_sql(&f->proc, "SELECT encrypted_secret FROM api_keys WHERE id = $1", ex, NULL);
    assert_memory_equal(env, "v1:k1:", 6);
    free(env);
    char *kid = keys_sql(&f->proc, "SELECT key_id FROM ai_keys WHERE id = $1", ai, NULL);
    assert_string_equal(kid, "k1");
    free(kid);
}

/* A byte flipped inside a stored ciphertext, or a ciphertext copied to another row:
 * TestKey answers DATA_LOSS and shows no plaintext. */
static void tampered_and_moved(void **state)
{
    fixture *f = *state;
    char one[37], two[37];
    assert_int_equal(add_ex(f->a, SATH__V1__EXCHANGE__EXCHANGE_BINANCE, "good-binance-key-0001",
                            "binance-secret-good-0001", 0, one), SATH_OK);
    assert_int_equal(add_ex(f->a, SATH__V1__EXCHANGE__EXCHANGE_BINANCE, "good-binance-key-0001",
                            "binance-secret-good-0001", 0, two), SATH_OK);
    assert_int_equal(test_key(f->a, one, NULL), SATH_OK);
    char *r = keys_sql(&f->proc,
                       "UPDATE api_keys SET encrypted_secret = overlay(encrypted_secret placing "
                       "CASE WHEN substr(encrypted_secret, 20, 1) = 'A' THEN 'B' ELSE 'A' END "
                       "from 20 for 1) WHERE id = $1 RETURNING 1", one, NULL);
    assert_string_equal(r, "1");
    free(r);
    assert_int_equal(test_key(f->a, one, NULL), SATH_DATA_LOSS);
    const char *msg = sath_client_last_error_message(f->a);
    assert_non_null(strstr(msg, "cannot be decrypted"));
    assert_null(strstr(msg, "binance-secret"));
    /* moved: row two gets row one's (intact) api_key ciphertext... of another row */
    r = keys_sql(&f->proc, "UPDATE api_keys SET encrypted_key = (SELECT encrypted_key FROM api_keys "
                           "WHERE id = $2) WHERE id = $1 RETURNING 1", two, one);
    assert_string_equal(r, "1");
    free(r);
    assert_int_equal(test_key(f->a, two, NULL), SATH_DATA_LOSS);
    assert_null(strstr(sath_client_last_error_message(f->a), "good-binance-key"));
    /* to another user: user B's row gets A's ciphertext */
    char bid[37];
    assert_int_equal(add_ai(f->b, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI, "other-openai-sk-1", NULL, bid), SATH_OK);
    char aid[37];
    assert_int_equal(add_ai(f->a, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI, "good-openai-sk-0001", NULL, aid), SATH_OK);
    r = keys_sql(&f->proc, "UPDATE ai_keys SET encrypted_key = (SELECT encrypted_key FROM ai_keys "
                           "WHERE id = $2) WHERE id = $1 RETURNING 1", bid, aid);
    free(r);
    assert_int_equal(test_key(f->b, bid, NULL), SATH_DATA_LOSS);
    assert_int_equal(test_key(f->a, aid, NULL), SATH_OK);
}

static void bola_and_malformed_ids(void **state)
{
    fixture *f = *state;
    char ex[37], ai[37];
    assert_int_equal(add_ex(f->a, SATH__V1__EXCHANGE__EXCHANGE_BYBIT, "good-bybit-key-0001",
                            "bybit-secret-good-0001", 0, ex), SATH_OK);
    assert_int_equal(add_ai(f->a, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI, "good-openai-sk-0001", NULL, ai), SATH_OK);
    assert_int_equal(del(f->b, 0, ex), SATH_NOT_FOUND);
    assert_int_equal(del(f->b, 1, ai), SATH_NOT_FOUND);
    assert_int_equal(test_key(f->b, ex, NULL), SATH_NOT_FOUND);
    assert_int_equal(test_key(f->b, ai, NULL), SATH_NOT_FOUND);
    Sath__V1__ListExchangeKeysResponse *l = list_ex(f->b);
    for (size_t i = 0; i < l->n_keys; i++)
        assert_string_not_equal(l->keys[i]->id, ex);
    sath__v1__list_exchange_keys_response__free_unpacked(l, NULL);
    Sath__V1__ListAiKeysResponse *la = list_ai(f->b);
    for (size_t i = 0; i < la->n_keys; i++)
        assert_string_not_equal(la->keys[i]->id, ai);
    sath__v1__list_ai_keys_response__free_unpacked(la, NULL);
    /* still there for A, in either letter case */
    char upper[37];
    for (int i = 0; i < 37; i++)
        upper[i] = (char)(ex[i] >= 'a' && ex[i] <= 'f' ? ex[i] - 32 : ex[i]);
    assert_int_equal(test_key(f->a, upper, NULL), SATH_OK);
    static const char *const bad[] = {"", "42", "not-a-uuid", "7d0c6a0e-1111-4222-8333-94445555666",
                                      "7d0c6a0e-1111-4222-8333-9444555566667", "'; DROP TABLE api_keys;--"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(del(f->a, 0, bad[i]), SATH_INVALID_ARGUMENT);
        assert_int_equal(del(f->a, 1, bad[i]), SATH_INVALID_ARGUMENT);
        assert_int_equal(test_key(f->a, bad[i], NULL), SATH_INVALID_ARGUMENT);
    }
    /* no token: UNAUTHENTICATED */
    sath_client *anon = NULL;
    assert_int_equal(sath_client_new(f->proc.target, NULL, &anon), SATH_OK);
    assert_int_equal(test_key(anon, ex, NULL), SATH_UNAUTHENTICATED);
    assert_int_equal(add_ex(anon, SATH__V1__EXCHANGE__EXCHANGE_BINANCE, "k", "s", 0, NULL), SATH_UNAUTHENTICATED);
    sath_client_free(anon);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void testkey_binance(void **state)
{
    fixture *f = *state;
    sath_client *c = f->a;
    char good[37], wd[37], badsig[37], skew[37], unknown[37], down[37], slow[37];
    Sath__V1__Exchange B = SATH__V1__EXCHANGE__EXCHANGE_BINANCE;
    assert_int_equal(add_ex(c, B, "good-binance-key-0001", "binance-secret-good-0001", 0, good), SATH_OK);
    assert_int_equal(add_ex(c, B, "withdraw-binance-key-0002", "binance-secret-withdraw-0002", 0, wd), SATH_OK);
    assert_int_equal(add_ex(c, B, "good-binance-key-0001", "wrong-secret-for-this-key", 0, badsig), SATH_OK);
    assert_int_equal(add_ex(c, B, "skew-binance-key-0003", "binance-secret-skew-0003", 0, skew), SATH_OK);
    assert_int_equal(add_ex(c, B, "nobody-knows-this-key", "binance-secret-good-0001", 0, unknown), SATH_OK);
    assert_int_equal(add_ex(c, B, "good-binance-key-0001", "binance-secret-good-0001", 1, down), SATH_OK);
    assert_int_equal(add_ex(c, B, "slow-binance-key-0004", "binance-secret-slow-0004", 0, slow), SATH_OK);

    Sath__V1__TestKeyResponse *r = NULL;
    assert_int_equal(test_key(c, good, &r), SATH_OK);
    assert_true(r->ok);
    assert_true(r->can_trade);
    assert_false(r->can_withdraw);
    assert_int_equal(r->n_permissions, 1);
    assert_string_equal(r->permissions[0], "SPOT");
    assert_int_equal(r->n_warnings, 0);
    assert_true(r->latency_ms >= 0 && r->latency_ms < 1000);
    sath__v1__test_key_response__free_unpacked(r, NULL);

    assert_int_equal(test_key(c, wd, &r), SATH_OK);
    assert_true(r->can_withdraw);
    assert_int_equal(r->n_warnings, 1);
    assert_non_null(strstr(r->warnings[0], "withdraw"));
    sath__v1__test_key_response__free_unpacked(r, NULL);
    /* the outcome is stored and listed */
    Sath__V1__ListExchangeKeysResponse *l = list_ex(c);
    int seen = 0;
    for (size_t i = 0; i < l->n_keys; i++)
        if (strcmp(l->keys[i]->id, wd) == 0) {
            seen++;
            assert_non_null(l->keys[i]->last_test);
            assert_non_null(l->keys[i]->last_test->tested_at);
            assert_true(l->keys[i]->last_test->ok);
            assert_int_equal(l->keys[i]->last_test->n_warnings, 1);
            assert_int_equal(l->keys[i]->last_test->n_permissions, 2);
        }
    assert_int_equal(seen, 1);
    sath__v1__list_exchange_keys_response__free_unpacked(l, NULL);

    assert_int_equal(test_key(c, badsig, NULL), SATH_FAILED_PRECONDITION);
    assert_non_null(strstr(sath_client_last_error_message(c), "-1022"));
    assert_non_null(strstr(sath_client_last_error_message(c), "Signature for this request is not valid"));
    assert_int_equal(test_key(c, skew, NULL), SATH_FAILED_PRECONDITION);
    assert_non_null(strstr(sath_client_last_error_message(c), "recvWindow"));
    assert_int_equal(test_key(c, unknown, NULL), SATH_FAILED_PRECONDITION);
    assert_non_null(strstr(sath_client_last_error_message(c), "-2015"));
    char *ok = keys_sql(&f->proc, "SELECT last_test_ok::text || ' ' || last_test_message FROM api_keys WHERE id = $1", badsig, NULL);
    assert_non_null(strstr(ok, "false binance -1022"));
    free(ok);
    assert_int_equal(test_key(c, down, NULL), SATH_UNAVAILABLE);
    assert_non_null(strstr(sath_client_last_error_message(c), "unreachable"));
    int64_t t0 = now_ms();
    assert_int_equal(test_key(c, slow, NULL), SATH_UNAVAILABLE);
    int64_t took = now_ms() - t0;
    assert_true(took >= 900 && took < 2500); /* SATH_PROVIDER_TIMEOUT_MS=1000, fake sleeps 3 s */
    assert_non_null(strstr(sath_client_last_error_message(c), "timeout"));
}

static void testkey_bybit(void **state)
{
    fixture *f = *state;
    sath_client *c = f->a;
    char good[37], wd[37], badsig[37], skew[37], down[37];
    Sath__V1__Exchange Y = SATH__V1__EXCHANGE__EXCHANGE_BYBIT;
    assert_int_equal(add_ex(c, Y, "good-bybit-key-0001", "bybit-secret-good-0001", 0, good), SATH_OK);
    assert_int_equal(add_ex(c, Y, "withdraw-bybit-key-0002", "bybit-secret-withdraw-0002", 0, wd), SATH_OK);
    assert_int_equal(add_ex(c, Y, "good-bybit-key-0001", "wrong-secret-for-this-key", 0, badsig), SATH_OK);
    assert_int_equal(add_ex(c, Y, "skew-bybit-key-0003", "bybit-secret-skew-0003", 0, skew), SATH_OK);
    assert_int_equal(add_ex(c, Y, "good-bybit-key-0001", "bybit-secret-good-0001", 1, down), SATH_OK);
    Sath__V1__TestKeyResponse *r = NULL;
    assert_int_equal(test_key(c, good, &r), SATH_OK);
    assert_true(r->can_trade);
    assert_false(r->can_withdraw);
    assert_int_equal(r->n_warnings, 0);
    int spot = 0;
    for (size_t i = 0; i < r->n_permissions; i++)
        spot |= strcmp(r->permissions[i], "Spot:SpotTrade") == 0;
    assert_true(spot);
    sath__v1__test_key_response__free_unpacked(r, NULL);
    assert_int_equal(test_key(c, wd, &r), SATH_OK);
    assert_true(r->can_withdraw);
    assert_int_equal(r->n_warnings, 1);
    sath__v1__test_key_response__free_unpacked(r, NULL);
    /* Bybit echoes the signed string, key included: it must come back scrubbed */
    assert_int_equal(test_key(c, badsig, NULL), SATH_FAILED_PRECONDITION);
    const char *m = sath_client_last_error_message(c);
    assert_non_null(strstr(m, "10004"));
    assert_non_null(strstr(m, "[redacted]"));
    assert_null(strstr(m, "good-bybit-key-0001"));
    char *stored = keys_sql(&f->proc, "SELECT last_test_message FROM api_keys WHERE id = $1", badsig, NULL);
    assert_null(strstr(stored, "good-bybit-key-0001"));
    free(stored);
    assert_int_equal(test_key(c, skew, NULL), SATH_FAILED_PRECONDITION);
    assert_non_null(strstr(sath_client_last_error_message(c), "10002"));
    assert_int_equal(test_key(c, down, NULL), SATH_UNAVAILABLE);
}

static void testkey_ai(void **state)
{
    fixture *f = *state;
    sath_client *c = f->a;
    char oa[37], oa_bad[37], an[37], an_bad[37], compat[37], slow[37], base[128];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/compat/", f->fake.port);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI, "good-openai-sk-0001", NULL, oa), SATH_OK);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI, "bad-openai-sk-9999", NULL, oa_bad), SATH_OK);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_ANTHROPIC, "good-anthropic-sk-0001", NULL, an), SATH_OK);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_ANTHROPIC, "good-openai-sk-0001", NULL, an_bad), SATH_OK);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI_COMPATIBLE, "good-openai-sk-0001", base, compat), SATH_OK);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI, "slow-openai-sk-0004", NULL, slow), SATH_OK);
    Sath__V1__TestKeyResponse *r = NULL;
    assert_int_equal(test_key(c, oa, &r), SATH_OK);
    assert_true(r->ok);
    assert_false(r->can_withdraw);
    sath__v1__test_key_response__free_unpacked(r, NULL);
    assert_int_equal(test_key(c, an, NULL), SATH_OK);
    assert_int_equal(test_key(c, compat, NULL), SATH_OK);
    /* OpenAI quotes the key it got: scrubbed */
    assert_int_equal(test_key(c, oa_bad, NULL), SATH_FAILED_PRECONDITION);
    const char *m = sath_client_last_error_message(c);
    assert_non_null(strstr(m, "Incorrect API key provided: [redacted]"));
    assert_null(strstr(m, "bad-openai-sk-9999"));
    assert_int_equal(test_key(c, an_bad, NULL), SATH_FAILED_PRECONDITION);
    assert_non_null(strstr(sath_client_last_error_message(c), "invalid x-api-key"));
    assert_int_equal(test_key(c, slow, NULL), SATH_UNAVAILABLE);
    /* both outcomes are stored and listed: each key must be found (not just checked if
     * present), or a listing that lost them would pass */
    Sath__V1__ListAiKeysResponse *l = list_ai(c);
    int seen_ok = 0, seen_bad = 0;
    for (size_t i = 0; i < l->n_keys; i++) {
        const Sath__V1__KeyTestSummary *t = l->keys[i]->last_test;
        if (strcmp(l->keys[i]->id, an) == 0) {
            seen_ok++;
            assert_non_null(t);
            assert_true(t->ok);
            assert_non_null(t->tested_at);
        } else if (strcmp(l->keys[i]->id, oa_bad) == 0) {
            seen_bad++;
            assert_non_null(t);
            assert_false(t->ok);
            assert_non_null(t->tested_at);
        }
    }
    assert_int_equal(seen_ok, 1);
    assert_int_equal(seen_bad, 1);
    sath__v1__list_ai_keys_response__free_unpacked(l, NULL);
}

/* A TCP listener on `ip`, port 0, that never accepts: a connection attempt would sit in
 * its backlog, which listener_contacted() finds.  Returns the fd, port in *port. */
static int listener(const char *ip, int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t sl = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sl), 0);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static int listener_contacted(int fd)
{
    int c = accept(fd, NULL, NULL);
    if (c >= 0) {
        close(c);
        return 1;
    }
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    return 0;
}

/* Issue 12: TestKey of an OpenAI-compatible key must not reach loopback, private,
 * link-local or sathd's own ports, whatever the spelling, and must not say whether
 * something listens there; only SATH_OUTBOUND_ALLOW opens a way (the fake's port). */
static void testkey_ssrf_guard(void **state)
{
    fixture *f = *state;
    sath_client *c = keys_user_client(&f->proc, NULL);
    assert_non_null(c);
    int q1, q2;
    int l1 = listener("127.0.0.1", &q1), l2 = listener("127.0.0.2", &q2);
    char urls[10][96];
    int n = 0;
    snprintf(urls[n++], sizeof urls[0], "http://127.0.0.1:%d/v", q1);
    snprintf(urls[n++], sizeof urls[0], "https://127.0.0.2:%d/", q2);
    snprintf(urls[n++], sizeof urls[0], "https://localhost:%d/", q1);
    snprintf(urls[n++], sizeof urls[0], "https://[::ffff:127.0.0.1]:%d/", q1);
    snprintf(urls[n++], sizeof urls[0], "https://2130706433:%d/", q1);
    snprintf(urls[n++], sizeof urls[0], "http://127.0.0.1:%d", f->proc.port); /* sathd's gRPC */
    snprintf(urls[n++], sizeof urls[0], "https://169.254.169.254/latest/meta-data");
    snprintf(urls[n++], sizeof urls[0], "https://10.0.0.1/");
    snprintf(urls[n++], sizeof urls[0], "https://[fd00::1]/");
    if (f->proc.http_port > 0)
        snprintf(urls[n++], sizeof urls[0], "http://127.0.0.1:%d/", f->proc.http_port);
    for (int i = 0; i < n; i++) {
        char id[37];
        assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI_COMPATIBLE,
                                "good-openai-sk-0001", urls[i], id), SATH_OK);
        int64_t t0 = now_ms();
        int rc = test_key(c, id, NULL);
        const char *m = sath_client_last_error_message(c);
        if (rc != SATH_FAILED_PRECONDITION || !strstr(m, "not allowed"))
            fail_msg("%s: status %d \"%s\", expected FAILED_PRECONDITION not allowed", urls[i], rc, m);
        assert_null(strstr(m, "refused"));
        assert_null(strstr(m, "timeout"));
        assert_true(now_ms() - t0 < 900); /* refused before any connection attempt */
    }
    assert_false(listener_contacted(l1));
    assert_false(listener_contacted(l2));
    close(l1);
    close(l2);
    /* nothing was recorded as a verdict on those keys */
    Sath__V1__ListAiKeysResponse *l = list_ai(c);
    assert_int_equal(l->n_keys, (size_t)n);
    for (size_t i = 0; i < l->n_keys; i++)
        assert_null(l->keys[i]->last_test->tested_at);
    sath__v1__list_ai_keys_response__free_unpacked(l, NULL);

    /* through the allow-list: only a category comes back, never the remote text */
    char base[96], id[37];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/compat", f->fake.port);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI_COMPATIBLE,
                            "bad-openai-sk-9999", base, id), SATH_OK);
    assert_int_equal(test_key(c, id, NULL), SATH_FAILED_PRECONDITION);
    const char *m = sath_client_last_error_message(c);
    assert_non_null(strstr(m, "HTTP 401"));
    assert_null(strstr(m, "Incorrect API key"));
    snprintf(base, sizeof base, "http://127.0.0.1:%d/elsewhere", f->fake.port);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI_COMPATIBLE,
                            "good-openai-sk-0001", base, id), SATH_OK);
    assert_int_equal(test_key(c, id, NULL), SATH_FAILED_PRECONDITION);
    m = sath_client_last_error_message(c);
    assert_non_null(strstr(m, "HTTP 404"));
    assert_null(strstr(m, "no such path"));
    sath_client_free(c);
}

typedef struct adder {
    sath_client *c;
    int ok, capped;
} adder;

static void *add_many(void *arg)
{
    adder *a = arg;
    for (int i = 0; i < 8; i++) {
        int rc = add_ex(a->c, SATH__V1__EXCHANGE__EXCHANGE_BINANCE, "good-binance-key-0001",
                        "binance-secret-good-0001", 0, NULL);
        a->ok += rc == SATH_OK;
        a->capped += rc == SATH_FAILED_PRECONDITION;
    }
    return NULL;
}

/* Issue 12: at most CAP keys of each kind per user, also under concurrent creation. */
static void key_caps(void **state)
{
    fixture *f = *state;
    sath_client *c = keys_user_client(&f->proc, NULL);
    assert_non_null(c);
    pthread_t t[8];
    adder a[8];
    for (int i = 0; i < 8; i++) {
        a[i] = (adder){c, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, add_many, &a[i]), 0);
    }
    int ok = 0, capped = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        ok += a[i].ok;
        capped += a[i].capped;
    }
    assert_int_equal(ok, CAP); /* 64 tries */
    assert_int_equal(capped, 64 - CAP);
    Sath__V1__ListExchangeKeysResponse *l = list_ex(c);
    assert_int_equal(l->n_keys, CAP);
    char first[37];
    snprintf(first, sizeof first, "%s", l->keys[0]->id);
    sath__v1__list_exchange_keys_response__free_unpacked(l, NULL);
    assert_int_equal(add_ex(c, SATH__V1__EXCHANGE__EXCHANGE_BYBIT, "k", "s", 0, NULL),
                     SATH_FAILED_PRECONDITION);
    assert_non_null(strstr(sath_client_last_error_message(c), "40 exchange keys"));
    /* the other kind has its own cap */
    for (int i = 0; i < CAP; i++)
        assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI, "sk-x", NULL, NULL),
                         SATH_OK);
    assert_int_equal(add_ai(c, SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI, "sk-x", NULL, NULL),
                     SATH_FAILED_PRECONDITION);
    /* deleting one makes room for one */
    assert_int_equal(del(c, 0, first), SATH_OK);
    assert_int_equal(add_ex(c, SATH__V1__EXCHANGE__EXCHANGE_BYBIT, "k", "s", 0, NULL), SATH_OK);
    assert_int_equal(add_ex(c, SATH__V1__EXCHANGE__EXCHANGE_BYBIT, "k", "s", 0, NULL),
                     SATH_FAILED_PRECONDITION);
    sath_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exchange_crud),
        cmocka_unit_test(ai_crud),
        cmocka_unit_test(raw_rows_hold_no_plaintext),
        cmocka_unit_test(tampered_and_moved),
        cmocka_unit_test(bola_and_malformed_ids),
        cmocka_unit_test(testkey_binance),
        cmocka_unit_test(testkey_bybit),
        cmocka_unit_test(testkey_ai),
        cmocka_unit_test(testkey_ssrf_guard),
        cmocka_unit_test(key_caps),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
