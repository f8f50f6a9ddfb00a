/*
 * binance.c - signed requests to Binance (see binance.h).
 */
#include "binance.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "http.h"

struct bot_binance {
    char *base;
    char *key;
    char *secret;
    long timeout_ms;
    long recv_window_ms;
};

static char *dup_trim(const char *s)
{
    char *d = strdup(s ? s : "");
    size_t l = d ? strlen(d) : 0;
    while (d && l > 0 && d[l - 1] == '/')
        d[--l] = '\0';
    return d;
}

bot_binance *bot_binance_new(const char *base_url, const char *api_key, const char *api_secret,
                             long timeout_ms, long recv_window_ms)
{
    bot_binance *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->base = dup_trim(base_url);
    b->key = strdup(api_key ? api_key : "");
    b->secret = strdup(api_secret ? api_secret : "");
    b->timeout_ms = timeout_ms;
    b->recv_window_ms = recv_window_ms;
    if (!b->base || !b->key || !b->secret) {
        bot_binance_free(b);
        return NULL;
    }
    return b;
}

void bot_binance_free(bot_binance *b)
{
    if (!b)
        return;
    if (b->key)
        sodium_memzero(b->key, strlen(b->key));
    if (b->secret)
        sodium_memzero(b->secret, strlen(b->secret));
    free(b->key);
    free(b->secret);
    free(b->base);
    free(b);
}

void bot_hmac_sha256_hex(const char *key, const char *msg, char out[65])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, strlen(msg));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, 65, mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
}

int bot_binance_signed(bot_binance *b, const char *method, const char *path, const char *params,
                       bot_binance_answer *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t cap = strlen(params) + 256;
    char *q = malloc(cap);
    char *url = malloc(strlen(b->base) + strlen(path) + cap + 8);
    if (!q || !url) {
        free(q);
        free(url);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int n = snprintf(q, cap, "%s%srecvWindow=%ld&timestamp=%lld", params, *params ? "&" : "",
                     b->recv_window_ms, (long long)bot_now_ms());
    char sig[65];
    bot_hmac_sha256_hex(b->secret, q, sig);
    snprintf(q + n, cap - (size_t)n, "&signature=%s", sig);
    char keyhdr[160];
    snprintf(keyhdr, sizeof keyhdr, "X-MBX-APIKEY: %s", b->key);
    const char *hdrs[3] = {keyhdr, NULL, NULL};
    int post = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
    if (post) {
        hdrs[1] = "Content-Type: application/x-www-form-urlencoded";
        sprintf(url, "%s%s", b->base, path);
    } else {
        sprintf(url, "%s%s?%s", b->base, path, q);
    }
    bot_http_resp r;
    int rc = bot_http_do(method, url, hdrs, post ? q : NULL, b->timeout_ms, &r, err, errlen);
    sodium_memzero(keyhdr, sizeof keyhdr);
    free(q);
    free(url);
    if (rc != 0)
        return -1;
    out->status = r.status;
    json_error_t je;
    out->json = json_loadb(r.body, r.len, 0, &je);
    bot_http_resp_free(&r);
    json_t *code = json_object_get(out->json, "code");
    if (json_is_integer(code))
        out->code = (int)json_integer_value(code);
    if (out->status != 200) {
        const char *msg = json_string_value(json_object_get(out->json, "msg"));
        snprintf(err, errlen, "exchange answered HTTP %ld code %d: %.120s", out->status, out->code,
                 msg ? msg : "");
    }
    return 0;
}
