/*
 * keys_service.c - sath.v1.KeysService: users' exchange and AI-provider API keys,
 * encrypted at rest (server/keys), listed masked, and tested against the provider.
 *
 * Invariants: every secret is encrypted before it reaches SQL, under associated data
 * naming table, user, row and column (the row id is generated here, before INSERT, so
 * it can be bound); plaintext only exists while it is encrypted or sent to the
 * provider and is wiped right after; no message or log line ever carries a key or
 * secret.  Every query is scoped by the caller's user id, so another user's id is
 * NOT_FOUND exactly like a missing one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sathd/app.h"
#include "sathd/log.h"
#include "sathd/pg.h"
#include "sath/v1/keys.sath-server.h"
#include "sathd/keyring.h"
#include "sathd/keys_store.h"
#include "sathd/services.h"
#include "sathd/svc.h"
#include "sathd/keytest.h"
#include "text.h"
#include "sathd/keys.h"

#define KEY_MAX 256    /* longest API key accepted */
#define SECRET_MAX 512 /* longest API secret / passphrase accepted */
#define URL_MAX 512

static void wipe(char *s)
{
    if (s)
        sodium_memzero(s, strlen(s));
}

/* 0 when `s` is 1..max printable ASCII characters without spaces (what every provider's
 * keys look like); the reason goes to the client, never the value. */
static int check_credential(sathd_call *call, const char *field, const char *s, size_t max,
                            int required)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0)
        return required ? sathd_call_error(call, SATHD_INVALID_ARGUMENT, "%s is required", field)
                        : SATHD_OK;
    if (n > max)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "%s is longer than %zu characters",
                                field, max);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                    "%s may only contain printable ASCII without spaces", field);
    return SATHD_OK;
}

static int check_label(sathd_call *call, const char *label)
{
    const char *why = NULL;
    if (sathd_text_check(label ? label : "", 100, &why) != 0)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "label %s", why);
    return SATHD_OK;
}

static int check_id(sathd_call *call, const char *id)
{
    if (!id || !sathd_uuid_valid(id))
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "id must be a UUID");
    return SATHD_OK;
}

/* https://host[...]; in development also http://127.0.0.1[:port][/...] for local fakes. */
static int check_base_url(sathd_call *call, const char *url)
{
    int dev = sathd_call_app(call)->cfg->env == SATHD_ENV_DEVELOPMENT;
    size_t n = strlen(url);
    int ok = n <= URL_MAX && ((strncmp(url, "https://", 8) == 0 && n > 8 && url[8] != '/') ||
                              (dev && strncmp(url, "http://127.0.0.1", 16) == 0 &&
                               (url[16] == '\0' || url[16] == ':' || url[16] == '/')));
    for (size_t i = 0; ok && i < n; i++)
        ok = (unsigned char)url[i] > 0x20 && (unsigned char)url[i] < 0x7f;
    if (!ok)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                "base_url must be an https:// URL of at most %d characters", URL_MAX);
    return SATHD_OK;
}

/* Encrypts one column of a new row into the arena-independent malloc'd *env. */
static int seal(sathd_call *call, sathd_keys_purpose purpose, const char *user, const char *row,
                const char *column, const char *pt, char **env)
{
    char ad[SATHD_KEYS_AD_MAX];
    sathd_keys_rc rc = SATHD_KEYS_EINVAL;
    if (sathd_keys_ad(ad, sizeof ad, purpose, user, row, column) >= 0)
        rc = sathd_envelope_seal(sathd_call_app(call)->keyring, purpose, ad,
                                 (const unsigned char *)pt, strlen(pt), env);
    if (rc != SATHD_KEYS_OK)
        return sathd_call_error(call, SATHD_INTERNAL, "encrypting %s: %s", column,
                                sathd_keys_strerror(rc));
    return SATHD_OK;
}

/* Decrypts one stored column; a failure is DATA_LOSS naming the row and the reason
 * (never any plaintext).  *pt is released with sathd_keys_secret_free. */
static int open_column(sathd_call *call, const sathd_keys_row *row, const char *column,
                       const char *env, char **pt)
{
    sathd_keys_purpose purpose = row->is_ai ? SATHD_KEYS_AI_KEYS : SATHD_KEYS_API_KEYS;
    char ad[SATHD_KEYS_AD_MAX], kid[SATHD_KEYS_KID_MAX + 1] = "?";
    size_t len = 0;
    sathd_keys_rc rc = SATHD_KEYS_EINVAL;
    if (sathd_keys_ad(ad, sizeof ad, purpose, row->user_id, row->id, column) >= 0)
        rc = sathd_envelope_open(sathd_call_app(call)->keyring, purpose, ad, env, pt, &len, kid);
    if (rc == SATHD_KEYS_OK)
        return SATHD_OK;
    sathd_log(SATHD_LOG_ERROR,
              "msg=\"stored key cannot be decrypted\" request_id=%s key=%s column=%s kid=%s reason=\"%s\"",
              sathd_call_request_id(call), row->id, column, kid, sathd_keys_strerror(rc));
    return sathd_call_error(call, rc == SATHD_KEYS_ENOMEM ? SATHD_RESOURCE_EXHAUSTED : SATHD_DATA_LOSS,
                            "stored key %s cannot be decrypted (%s): delete it and add it again",
                            row->id, sathd_keys_strerror(rc));
}

static const char *exchange_name(Sath__V1__Exchange e)
{
    switch (e) {
    case SATH__V1__EXCHANGE__EXCHANGE_BINANCE: return "binance";
    case SATH__V1__EXCHANGE__EXCHANGE_BYBIT: return "bybit";
    case SATH__V1__EXCHANGE__EXCHANGE_OTHER: return "other";
    default: return NULL;
    }
}

static const char *provider_name(Sath__V1__AiProvider p)
{
    switch (p) {
    case SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI: return "openai";
    case SATH__V1__AI_PROVIDER__AI_PROVIDER_ANTHROPIC: return "anthropic";
    case SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI_COMPATIBLE: return "openai_compatible";
    default: return NULL;
    }
}

static int keys_create_exchange_key(sathd_call *call, const Sath__V1__CreateExchangeKeyRequest *req,
                                    Sath__V1__ExchangeKey *resp)
{
    const char *user = sathd_call_identity(call)->user_id;
    const char *exchange = exchange_name(req->exchange);
    int rc;
    if (!exchange)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                "exchange must be EXCHANGE_BINANCE, EXCHANGE_BYBIT or EXCHANGE_OTHER");
    if ((rc = check_label(call, req->label)) || (rc = check_credential(call, "api_key", req->api_key, KEY_MAX, 1)) ||
        (rc = check_credential(call, "api_secret", req->api_secret, SECRET_MAX, 1)) ||
        (rc = check_credential(call, "passphrase", req->passphrase, SECRET_MAX, 0)))
        return rc;
    char id[37], hint[KEY_MAX + 1];
    sathd_keys_uuid_v4(id);
    sathd_keys_mask(req->api_key, hint, sizeof hint);
    char *ek = NULL, *es = NULL, *ep = NULL;
    rc = seal(call, SATHD_KEYS_API_KEYS, user, id, "api_key", req->api_key, &ek);
    if (rc == SATHD_OK)
        rc = seal(call, SATHD_KEYS_API_KEYS, user, id, "api_secret", req->api_secret, &es);
    if (rc == SATHD_OK && req->passphrase && *req->passphrase)
        rc = seal(call, SATHD_KEYS_API_KEYS, user, id, "passphrase", req->passphrase, &ep);
    if (rc == SATHD_OK) {
        sathd_keys_new_exchange k = {
            .id = id, .user_id = user, .exchange = exchange, .label = req->label ? req->label : "",
            .enc_key = ek, .enc_secret = es, .enc_passphrase = ep,
            .kid = sathd_keyring_current_kid(sathd_call_app(call)->keyring), .hint = hint,
            .testnet = req->is_testnet,
            .max_per_user = sathd_call_app(call)->cfg->max_exchange_keys};
        Sath__V1__ExchangeKey *out = NULL;
        if ((rc = sathd_keys_store_insert_exchange(call, &k, &out)) == SATHD_OK)
            *resp = *out;
    }
    free(ek), free(es), free(ep);
    /* The request is ours to scribble on (unpacked for this call); the secret is not
     * needed after sealing, so it does not linger in the arena until the call ends. */
    wipe((char *)req->api_secret);
    wipe((char *)req->passphrase);
    return rc;
}

static int keys_list_exchange_keys(sathd_call *call, const Sath__V1__ListExchangeKeysRequest *req,
                                   Sath__V1__ListExchangeKeysResponse *resp)
{
    (void)req;
    return sathd_keys_store_list_exchange(call, sathd_call_identity(call)->user_id, &resp->keys,
                                          &resp->n_keys);
}

static int keys_delete_exchange_key(sathd_call *call, const Sath__V1__DeleteExchangeKeyRequest *req,
                                    Sath__V1__DeleteExchangeKeyResponse *resp)
{
    (void)resp;
    int rc = check_id(call, req->id);
    return rc ? rc : sathd_keys_store_delete(call, false, sathd_call_identity(call)->user_id, req->id);
}

static int keys_create_ai_key(sathd_call *call, const Sath__V1__CreateAiKeyRequest *req,
                              Sath__V1__AiKey *resp)
{
    const char *user = sathd_call_identity(call)->user_id;
    const char *provider = provider_name(req->provider);
    int rc;
    if (!provider)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                "provider must be AI_PROVIDER_OPENAI, AI_PROVIDER_ANTHROPIC or "
                                "AI_PROVIDER_OPENAI_COMPATIBLE");
    if ((rc = check_label(call, req->label)) ||
        (rc = check_credential(call, "api_key", req->api_key, SECRET_MAX, 1)))
        return rc;
    const char *base = req->base_url && *req->base_url ? req->base_url : NULL;
    int compat = req->provider == SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI_COMPATIBLE;
    if (compat && !base)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                "base_url is required for AI_PROVIDER_OPENAI_COMPATIBLE");
    if (!compat && base)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                "base_url is only for AI_PROVIDER_OPENAI_COMPATIBLE");
    if (base && (rc = check_base_url(call, base)))
        return rc;
    char id[37], hint[SECRET_MAX + 1];
    sathd_keys_uuid_v4(id);
    sathd_keys_mask(req->api_key, hint, sizeof hint);
    char *ek = NULL;
    if ((rc = seal(call, SATHD_KEYS_AI_KEYS, user, id, "api_key", req->api_key, &ek)) == SATHD_OK) {
        sathd_keys_new_ai k = {
            .id = id, .user_id = user, .provider = provider, .label = req->label ? req->label : "",
            .base_url = base, .enc_key = ek,
            .kid = sathd_keyring_current_kid(sathd_call_app(call)->keyring), .hint = hint,
            .max_per_user = sathd_call_app(call)->cfg->max_ai_keys};
        Sath__V1__AiKey *out = NULL;
        if ((rc = sathd_keys_store_insert_ai(call, &k, &out)) == SATHD_OK)
            *resp = *out;
    }
    free(ek);
    wipe((char *)req->api_key);
    return rc;
}

static int keys_list_ai_keys(sathd_call *call, const Sath__V1__ListAiKeysRequest *req,
                             Sath__V1__ListAiKeysResponse *resp)
{
    (void)req;
    return sathd_keys_store_list_ai(call, sathd_call_identity(call)->user_id, &resp->keys,
                                    &resp->n_keys);
}

static int keys_delete_ai_key(sathd_call *call, const Sath__V1__DeleteAiKeyRequest *req,
                              Sath__V1__DeleteAiKeyResponse *resp)
{
    (void)resp;
    int rc = check_id(call, req->id);
    return rc ? rc : sathd_keys_store_delete(call, true, sathd_call_identity(call)->user_id, req->id);
}

/* The provider request's time budget: the configured timeout, cut to what the call's
 * deadline leaves (minus room to store the outcome). */
static long test_budget_ms(sathd_call *call)
{
    long t = (long)sathd_call_app(call)->cfg->provider_timeout_ms;
    int64_t left = sathd_call_remaining_ms(call);
    if (left != INT64_MAX && left - 250 < t)
        t = left - 250 > 100 ? (long)(left - 250) : 100;
    return t;
}

/* Decrypts the row's credentials, runs the provider test, wipes the plaintext. */
static int run_test(sathd_call *call, const sathd_keys_row *row, sathd_keytest_result *res)
{
    const sathd_config *cfg = sathd_call_app(call)->cfg;
    sathd_keytest_endpoints ep = {
        .binance = cfg->binance_url, .binance_testnet = cfg->binance_testnet_url,
        .bybit = cfg->bybit_url, .bybit_testnet = cfg->bybit_testnet_url,
        .openai = cfg->openai_url, .anthropic = cfg->anthropic_url,
        .http = sathd_call_app(call)->http};
    int exchange = strcmp(row->kind, "binance") == 0 ? SATHD_KT_BINANCE
                   : strcmp(row->kind, "bybit") == 0 ? SATHD_KT_BYBIT : 0;
    if (!row->is_ai && !exchange)
        return sathd_call_error(call, SATHD_FAILED_PRECONDITION,
                                "keys of exchange 'other' cannot be tested");
    char *key = NULL, *secret = NULL;
    int rc = open_column(call, row, "api_key", row->enc_key, &key);
    if (rc == SATHD_OK && !row->is_ai)
        rc = open_column(call, row, "api_secret", row->enc_secret, &secret);
    if (rc == SATHD_OK) {
        long budget = test_budget_ms(call);
        if (row->is_ai) {
            int p = strcmp(row->kind, "anthropic") == 0 ? SATHD_KT_ANTHROPIC
                    : strcmp(row->kind, "openai") == 0  ? SATHD_KT_OPENAI
                                                        : SATHD_KT_OPENAI_COMPATIBLE;
            sathd_keytest_ai(&ep, p, row->base_url, key, budget, res);
        } else {
            sathd_keytest_exchange(&ep, exchange, row->testnet, key, secret, budget, res);
        }
    }
    sathd_keys_secret_free(key);
    sathd_keys_secret_free(secret);
    return rc;
}

static int keys_test_key(sathd_call *call, const Sath__V1__TestKeyRequest *req,
                         Sath__V1__TestKeyResponse *resp)
{
    int rc = check_id(call, req->id);
    sathd_keys_row row;
    if (rc || (rc = sathd_keys_store_get(call, sathd_call_identity(call)->user_id, req->id, &row)))
        return rc;
    sathd_keytest_result *res = sathd_call_alloc(call, sizeof *res);
    if (!res)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    if ((rc = run_test(call, &row, res)) != SATHD_OK)
        return rc;
    sathd_log(SATHD_LOG_INFO, "msg=\"key tested\" request_id=%s key=%s provider=%s outcome=%d latency_ms=%lld",
              sathd_call_request_id(call), row.id, row.kind, (int)res->outcome, (long long)res->latency_ms);
    if (res->outcome == SATHD_KT_BLOCKED) /* the URL is at fault, not the key: nothing stored */
        return sathd_call_error(call, SATHD_FAILED_PRECONDITION, "%s: %s", row.kind, res->message);
    if (res->outcome == SATHD_KT_UNREACHABLE || res->outcome == SATHD_KT_BAD_RESPONSE)
        return sathd_call_error(call, SATHD_UNAVAILABLE, "%s: %s", row.kind, res->message);
    const char *perms[SATHD_KEYTEST_MAX_PERMS], *warns[SATHD_KEYTEST_MAX_WARNINGS];
    for (size_t i = 0; i < res->n_perms; i++)
        perms[i] = res->perms[i];
    for (size_t i = 0; i < res->n_warnings; i++)
        warns[i] = res->warnings[i];
    sathd_keys_test_record rec = {res->outcome == SATHD_KT_OK, res->message, perms, res->n_perms,
                                  warns, res->n_warnings};
    if ((rc = sathd_keys_store_record_test(call, &row, &rec)) != SATHD_OK)
        return rc;
    if (res->outcome == SATHD_KT_REJECTED)
        return sathd_call_error(call, SATHD_FAILED_PRECONDITION, "%s rejected the key: %s",
                                row.kind, res->message);
    resp->ok = true;
    resp->latency_ms = res->latency_ms;
    resp->message = (char *)"";
    resp->can_trade = res->can_trade;
    resp->can_withdraw = res->can_withdraw;
    resp->n_permissions = res->n_perms;
    resp->n_warnings = res->n_warnings;
    /* The strings live in `res` (arena); the pointer arrays must move there too. */
    char **pa = sathd_call_alloc(call, (res->n_perms + 1) * sizeof *pa);
    char **wa = sathd_call_alloc(call, (res->n_warnings + 1) * sizeof *wa);
    if (!pa || !wa)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    memcpy(pa, perms, res->n_perms * sizeof *pa);
    memcpy(wa, warns, res->n_warnings * sizeof *wa);
    resp->permissions = pa;
    resp->warnings = wa;
    return SATHD_OK;
}

static const sath_v1_keys_service_impl keys_impl = {
    .create_exchange_key = keys_create_exchange_key,
    .list_exchange_keys = keys_list_exchange_keys,
    .delete_exchange_key = keys_delete_exchange_key,
    .create_ai_key = keys_create_ai_key,
    .list_ai_keys = keys_list_ai_keys,
    .delete_ai_key = keys_delete_ai_key,
    .test_key = keys_test_key,
};

int sathd_services_bind_keys(sathd_registry *reg)
{
    return sath_v1_keys_service_bind(reg, &keys_impl);
}
