/*
 * binance.h - Binance's signed REST endpoints (SIGNED security type):
 * the parameters plus recvWindow and timestamp, signed with HMAC-SHA256 under the API
 * secret (hex), `signature` appended, the API key in X-MBX-APIKEY.  POST sends the
 * parameters form-encoded in the body; GET and DELETE in the query string.
 * The secret never leaves this module except as a signature.
 */
#ifndef SATHBOT_BINANCE_H
#define SATHBOT_BINANCE_H

#include <jansson.h>

typedef struct bot_binance bot_binance;

/* Copies its arguments (the key and secret are wiped by bot_binance_free).  NULL on OOM. */
bot_binance *bot_binance_new(const char *base_url, const char *api_key, const char *api_secret,
                             long timeout_ms, long recv_window_ms);
void bot_binance_free(bot_binance *b);

typedef struct bot_binance_answer {
    long status;   /* HTTP status; 0 when no answer arrived (timeout, refused) */
    int code;      /* Binance error code from {"code":-2010,"msg":...}, 0 when none */
    json_t *json;  /* parsed body (owned; json_decref), NULL when none */
} bot_binance_answer;

/* Signed request.  `params` is an already encoded "a=1&b=2" string (may be "").
 * Returns 0 when an answer arrived (look at status / code), -1 when none did: then the
 * exchange may or may not have acted on it (err says why). */
int bot_binance_signed(bot_binance *b, const char *method, const char *path, const char *params,
                       bot_binance_answer *out, char *err, size_t errlen);

/* HMAC-SHA256 of msg under key, as 64 lower-case hex digits + NUL. */
void bot_hmac_sha256_hex(const char *key, const char *msg, char out[65]);

#endif
