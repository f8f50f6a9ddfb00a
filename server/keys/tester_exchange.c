/*
 * tester_exchange.c - connection tests of exchange keys.
 *
 * Binance: signed GET /api/v3/account (query "timestamp=<ms>&recvWindow=5000" plus
 * "&signature=<hex HMAC-SHA256 of the query>", header X-MBX-APIKEY); errors come as
 * HTTP 4xx with {"code":-1022,"msg":"..."}.  Bybit v5: GET /v5/user/query-api with
 * X-BAPI-API-KEY, X-BAPI-TIMESTAMP, X-BAPI-RECV-WINDOW and X-BAPI-SIGN (hex HMAC-SHA256
 * of timestamp + key + recv_window + query); errors come as HTTP 200 with retCode != 0.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "tester_internal.h"
#include "hmac.h"

#define RECV_WINDOW "5000"

void sathd_keytest_binance_sign(const char *secret, int64_t now_ms, char *out_query, size_t qlen,
                                char out_sig[65])
{
    snprintf(out_query, qlen, "timestamp=%lld&recvWindow=" RECV_WINDOW, (long long)now_ms);
    sathd_keys_hmac_sha256_hex(secret, strlen(secret), out_query, strlen(out_query), out_sig);
}

void sathd_keytest_bybit_sign(const char *secret, int64_t ts_ms, const char *api_key,
                              const char *recv_window, const char *query, char out_sig[65])
{
    char msg[1024];
    int n = snprintf(msg, sizeof msg, "%lld%s%s%s", (long long)ts_ms, api_key, recv_window, query);
    if (n < 0 || (size_t)n >= sizeof msg)
        n = 0;
    sathd_keys_hmac_sha256_hex(secret, strlen(secret), msg, (size_t)n, out_sig);
    sodium_memzero(msg, sizeof msg); /* holds the api key */
}

/* A 4xx/5xx or error-JSON answer: 5xx means the provider is in trouble (UNAVAILABLE),
 * anything else is the provider refusing the key, in its own words. */
static void provider_error(sathd_keytest_result *out, long status, const char *msg,
                           const char *key, const char *secret)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", msg && *msg ? msg : "the provider refused the key");
    if (status >= 500)
        kt_fail(out, SATHD_KT_UNREACHABLE, buf, key, secret);
    else
        kt_fail(out, SATHD_KT_REJECTED, buf, key, secret);
}

/* An answer that is neither a success nor a provider error we can read. */
static void unreadable(sathd_keytest_result *out, const char *who, long status, const char *key,
                       const char *secret)
{
    char msg[64];
    snprintf(msg, sizeof msg, "%s answered HTTP %ld without a readable body", who, status);
    provider_error(out, status >= 400 ? status : 500, msg, key, secret);
    if (status < 400)
        out->outcome = SATHD_KT_BAD_RESPONSE;
}

static void binance_read(sathd_keytest_result *out, json_t *j)
{
    out->can_trade = json_is_true(json_object_get(j, "canTrade"));
    out->can_withdraw = json_is_true(json_object_get(j, "canWithdraw"));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(j, "permissions"), i, v)
        kt_add_perm(out, json_string_value(v));
}

static void test_binance(const sathd_keytest_endpoints *ep, const char *base, const char *key,
                         const char *secret, long timeout_ms, sathd_keytest_result *out)
{
    char query[96], sig[65], url[2048];
    sathd_keytest_binance_sign(secret, kt_now_ms(), query, sizeof query, sig);
    snprintf(url, sizeof url, "%s/api/v3/account?%s&signature=%s", base, query, sig);
    kt_headers h = {0};
    kt_header(&h, "X-MBX-APIKEY", key);
    sathd_httpc_response r;
    json_t *j;
    if (kt_get_json(ep, url, &h, 0, timeout_ms, &r, &j, out) != 0)
        return;
    if (r.status == 200 && j) {
        out->outcome = SATHD_KT_OK;
        binance_read(out, j);
    } else if (j && json_is_string(json_object_get(j, "msg"))) {
        char msg[1024];
        snprintf(msg, sizeof msg, "binance %lld: %s",
                 (long long)json_integer_value(json_object_get(j, "code")),
                 json_string_value(json_object_get(j, "msg")));
        provider_error(out, r.status, msg, key, secret);
    } else {
        unreadable(out, "binance", r.status, key, secret);
    }
    json_decref(j);
    sathd_httpc_response_free(&r);
}

/* Bybit lists permissions per area: {"Spot":["SpotTrade"],"Wallet":["Withdraw"],...}. */
static void bybit_read(sathd_keytest_result *out, json_t *result)
{
    json_t *ro = json_object_get(result, "readOnly");
    int read_only = json_is_integer(ro) ? json_integer_value(ro) != 0 : json_is_true(ro);
    const char *area;
    json_t *list;
    json_object_foreach(json_object_get(result, "permissions"), area, list) {
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v) {
            const char *p = json_string_value(v);
            if (!p)
                continue;
            char both[64];
            snprintf(both, sizeof both, "%s:%s", area, p);
            kt_add_perm(out, both);
            if (strcmp(p, "Withdraw") == 0)
                out->can_withdraw = 1;
            else if (strstr(p, "Trade") || strcmp(p, "Order") == 0)
                out->can_trade = !read_only;
        }
    }
}

static void test_bybit(const sathd_keytest_endpoints *ep, const char *base, const char *key,
                       const char *secret, long timeout_ms, sathd_keytest_result *out)
{
    char ts[32], sig[65], url[2048];
    int64_t now = kt_now_ms();
    snprintf(ts, sizeof ts, "%lld", (long long)now);
    sathd_keytest_bybit_sign(secret, now, key, RECV_WINDOW, "", sig);
    snprintf(url, sizeof url, "%s/v5/user/query-api", base);
    kt_headers h = {0};
    kt_header(&h, "X-BAPI-API-KEY", key);
    kt_header(&h, "X-BAPI-TIMESTAMP", ts);
    kt_header(&h, "X-BAPI-RECV-WINDOW", RECV_WINDOW);
    kt_header(&h, "X-BAPI-SIGN", sig);
    sathd_httpc_response r;
    json_t *j;
    if (kt_get_json(ep, url, &h, 0, timeout_ms, &r, &j, out) != 0)
        return;
    json_t *code = j ? json_object_get(j, "retCode") : NULL;
    if (r.status == 200 && json_is_integer(code) && json_integer_value(code) == 0 &&
        json_is_object(json_object_get(j, "result"))) {
        out->outcome = SATHD_KT_OK;
        bybit_read(out, json_object_get(j, "result"));
    } else if (json_is_integer(code)) {
        char msg[1024];
        snprintf(msg, sizeof msg, "bybit %lld: %s", (long long)json_integer_value(code),
                 json_string_value(json_object_get(j, "retMsg")) ? json_string_value(json_object_get(j, "retMsg")) : "");
        provider_error(out, r.status, msg, key, secret);
    } else {
        unreadable(out, "bybit", r.status, key, secret);
    }
    json_decref(j);
    sathd_httpc_response_free(&r);
}

void sathd_keytest_exchange(const sathd_keytest_endpoints *ep, int exchange, int testnet,
                            const char *api_key, const char *api_secret, long timeout_ms,
                            sathd_keytest_result *out)
{
    memset(out, 0, sizeof *out);
    if (exchange == SATHD_KT_BINANCE)
        test_binance(ep, testnet ? ep->binance_testnet : ep->binance, api_key, api_secret,
                     timeout_ms, out);
    else if (exchange == SATHD_KT_BYBIT)
        test_bybit(ep, testnet ? ep->bybit_testnet : ep->bybit, api_key, api_secret, timeout_ms,
                   out);
    else
        kt_fail(out, SATHD_KT_BAD_RESPONSE, "this exchange has no connection test", NULL, NULL);
    if (out->outcome == SATHD_KT_OK && out->can_withdraw)
        kt_add_warning(out, SATHD_KEYTEST_WITHDRAW_WARNING);
}
