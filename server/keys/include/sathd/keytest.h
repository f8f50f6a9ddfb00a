/*
 * keytest.h - real, authenticated connection tests of stored keys against their
 * providers (Binance, Bybit v5, OpenAI and compatible, Anthropic) over the shared
 * outbound client (server/httpc).
 *
 * Every request has bounded connect and total timeouts, follows no redirects, speaks
 * only http/https, and reads at most SATHD_KEYTEST_MAX_BODY bytes.  Credentials go into
 * headers (marked secret) or signatures only; no message produced here ever contains
 * them (provider texts are scrubbed of the key and secret before they are kept).
 *
 * A user-supplied base URL (AI_PROVIDER_OPENAI_COMPATIBLE) is untrusted: it goes
 * through httpc's SSRF guard, and what comes back from it is reduced to a category
 * (unreachable, refused, timeout, HTTP status) - never the remote body, so the test
 * cannot be used to read or fingerprint what answers there.  The operator's provider
 * URLs (SATH_*_URL) are trusted: their error texts are kept, scrubbed.
 */
#ifndef SATHD_KEYTEST_H
#define SATHD_KEYTEST_H

#include <stddef.h>
#include <stdint.h>

#include "sathd/httpc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SATHD_KEYTEST_MAX_BODY (1024 * 1024)
#define SATHD_KEYTEST_MSG_MAX 200 /* longest provider message kept */
#define SATHD_KEYTEST_MAX_PERMS 24
#define SATHD_KEYTEST_MAX_WARNINGS 4

/* Where the providers live (base URLs without a trailing slash), from SATH_*_URL, and
 * the client that reaches them (not owned). */
typedef struct sathd_keytest_endpoints {
    const char *binance, *binance_testnet;
    const char *bybit, *bybit_testnet;
    const char *openai, *anthropic;
    sathd_httpc *http;
} sathd_keytest_endpoints;

typedef enum sathd_keytest_outcome {
    SATHD_KT_OK = 0,        /* the provider accepted the key */
    SATHD_KT_REJECTED,      /* the provider refused it (bad key, signature, timestamp...) */
    SATHD_KT_UNREACHABLE,   /* could not connect, timed out, or the provider failed (5xx) */
    SATHD_KT_BAD_RESPONSE,  /* the provider answered something we cannot read */
    SATHD_KT_BLOCKED,       /* the base URL leads to an address the SSRF guard refuses */
} sathd_keytest_outcome;

typedef struct sathd_keytest_result {
    sathd_keytest_outcome outcome;
    int64_t latency_ms; /* request round trip */
    char message[SATHD_KEYTEST_MSG_MAX + 1]; /* provider's words or ours; never a secret */
    int can_trade, can_withdraw;             /* exchange keys */
    size_t n_perms;
    char perms[SATHD_KEYTEST_MAX_PERMS][64];
    size_t n_warnings;
    char warnings[SATHD_KEYTEST_MAX_WARNINGS][160];
} sathd_keytest_result;

/* Which exchange / provider (the values of sath.v1.Exchange and sath.v1.AiProvider). */
enum { SATHD_KT_BINANCE = 1, SATHD_KT_BYBIT = 2 };
enum { SATHD_KT_OPENAI = 1, SATHD_KT_ANTHROPIC = 2, SATHD_KT_OPENAI_COMPATIBLE = 3 };

/* The warning stored and answered when an exchange key can withdraw funds. */
#define SATHD_KEYTEST_WITHDRAW_WARNING                                                       \
    "this key can withdraw funds: a trading bot never needs that; create a key without "    \
    "withdrawal permission"

/* Tests an exchange key.  `timeout_ms` bounds the whole request (connect included). */
void sathd_keytest_exchange(const sathd_keytest_endpoints *ep, int exchange, int testnet,
                            const char *api_key, const char *api_secret, long timeout_ms,
                            sathd_keytest_result *out);
/* Tests an AI key; `base_url` is used for SATHD_KT_OPENAI_COMPATIBLE. */
void sathd_keytest_ai(const sathd_keytest_endpoints *ep, int provider, const char *base_url,
                      const char *api_key, long timeout_ms, sathd_keytest_result *out);

/* The Binance query string and its signature for `now_ms`: out_query gets
 * "timestamp=<ms>&recvWindow=5000", out_sig the hex HMAC-SHA256 of it under `secret`. */
void sathd_keytest_binance_sign(const char *secret, int64_t now_ms, char *out_query, size_t qlen,
                                char out_sig[65]);
/* The Bybit v5 X-BAPI-SIGN for a GET: HMAC-SHA256 hex of ts+key+recv_window+query. */
void sathd_keytest_bybit_sign(const char *secret, int64_t ts_ms, const char *api_key,
                              const char *recv_window, const char *query, char out_sig[65]);

#ifdef __cplusplus
}
#endif
#endif
