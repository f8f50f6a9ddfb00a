/*
 * market_binance.c - prices from Binance's public REST endpoints (no key needed):
 *   GET /api/v3/ticker/price?symbol=S   {"symbol":"S","price":"123.45"}
 *   GET /api/v3/klines?symbol=S&interval=1m&limit=N   [[openTime,"o","h","l","c",...],...]
 * Each request has a timeout; a failed one (no answer, 429, 5xx) is retried with
 * exponential backoff from 200 ms.  4xx other than 429 is not retried.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "market.h"

typedef struct binance_market {
    bot_market base;
    char *base_url;
    char **symbols;
    size_t n;
    long timeout_ms;
    int retries;
} binance_market;

/* GET with retries; 0 and a 200 response, or -1 with err. */
static int get_json(binance_market *b, const char *url, json_t **out, char *err, size_t errlen)
{
    long delay = 200;
    for (int attempt = 0;; attempt++) {
        bot_http_resp r;
        int rc = bot_http_do("GET", url, NULL, NULL, b->timeout_ms, &r, err, errlen);
        int retry = rc != 0 || r.status == 429 || r.status >= 500;
        if (rc == 0 && r.status == 200) {
            json_error_t je;
            *out = json_loadb(r.body, r.len, 0, &je);
            bot_http_resp_free(&r);
            if (*out)
                return 0;
            snprintf(err, errlen, "unparsable answer from the market data endpoint");
            return -1;
        }
        if (rc == 0)
            snprintf(err, errlen, "market data endpoint answered HTTP %ld", r.status);
        bot_http_resp_free(&r);
        if (!retry || attempt >= b->retries)
            return -1;
        bot_sleep_ms(delay, NULL);
        delay = delay * 2 > 5000 ? 5000 : delay * 2;
    }
}

static int parse_price(json_t *v, double *out)
{
    const char *s = json_string_value(v);
    char *end = NULL;
    if (!s)
        return -1;
    *out = strtod(s, &end);
    return end != s && *end == '\0' && *out > 0 ? 0 : -1;
}

static int bn_next(bot_market *m, size_t i, double *price, char *err, size_t errlen)
{
    binance_market *b = (binance_market *)m;
    if (i >= b->n)
        return -1;
    char url[1024];
    snprintf(url, sizeof url, "%s/api/v3/ticker/price?symbol=%s", b->base_url, b->symbols[i]);
    json_t *j = NULL;
    if (get_json(b, url, &j, err, errlen) != 0)
        return -1;
    int rc = parse_price(json_object_get(j, "price"), price);
    json_decref(j);
    if (rc != 0)
        snprintf(err, errlen, "ticker answer has no valid price");
    return rc;
}

static size_t bn_history(bot_market *m, size_t i, double *out, size_t n)
{
    binance_market *b = (binance_market *)m;
    if (i >= b->n || n == 0)
        return 0;
    char url[1024], err[256];
    snprintf(url, sizeof url, "%s/api/v3/klines?symbol=%s&interval=1m&limit=%zu", b->base_url,
             b->symbols[i], n > 1000 ? (size_t)1000 : n);
    json_t *j = NULL;
    if (get_json(b, url, &j, err, sizeof err) != 0 || !json_is_array(j)) {
        json_decref(j);
        return 0;
    }
    size_t k = 0;
    for (size_t x = 0; x < json_array_size(j) && k < n; x++) {
        double c;
        if (parse_price(json_array_get(json_array_get(j, x), 4), &c) == 0)
            out[k++] = c;
    }
    json_decref(j);
    return k;
}

static void bn_free(bot_market *m)
{
    binance_market *b = (binance_market *)m;
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        free(b->symbols[i]);
    free(b->symbols);
    free(b->base_url);
    free(b);
}

static const bot_market_ops bn_ops = {"binance", bn_next, bn_history, bn_free};

bot_market *bot_market_binance_new(const char *base_url, const char *const *symbols, size_t n,
                                   long timeout_ms, int retries)
{
    binance_market *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->base.ops = &bn_ops;
    b->base_url = strdup(base_url);
    b->symbols = calloc(n ? n : 1, sizeof *b->symbols);
    b->n = n;
    b->timeout_ms = timeout_ms;
    b->retries = retries;
    int ok = b->base_url && b->symbols;
    for (size_t i = 0; ok && i < n; i++)
        ok = (b->symbols[i] = strdup(symbols[i])) != NULL;
    if (!ok) {
        bn_free(&b->base);
        return NULL;
    }
    size_t l = strlen(b->base_url);
    while (l > 0 && b->base_url[l - 1] == '/')
        b->base_url[--l] = '\0';
    return &b->base;
}
