/*
 * market.h - where sath-bot gets prices, behind one small table of functions.
 *
 *   sim      deterministic geometric Brownian motion per (seed, symbol): the same seed
 *            gives the same prices (and the same past, for warming up), so the same
 *            trades; the default in paper mode.
 *   binance  Binance's public REST endpoints (/api/v3/ticker/price, /api/v3/klines) at
 *            SATH_BINANCE_URL (default the spot testnet), with timeouts and retries.
 *
 * A feed is used by one thread.
 */
#ifndef SATHBOT_MARKET_H
#define SATHBOT_MARKET_H

#include <stddef.h>
#include <stdint.h>

typedef struct bot_market bot_market;

typedef struct bot_market_ops {
    const char *name;
    /* The next price of `symbol` (one tick).  Returns 0, or -1 with a reason in err
     * (never a secret) when no price could be had; the caller skips the tick. */
    int (*next)(bot_market *m, size_t symbol_index, double *price, char *err, size_t errlen);
    /* Up to `n` past closing prices, oldest first, to warm a strategy up; returns how
     * many were written (0 when the feed has no history). */
    size_t (*history)(bot_market *m, size_t symbol_index, double *out, size_t n);
    void (*free)(bot_market *m);
} bot_market_ops;

struct bot_market {
    const bot_market_ops *ops;
};

/* Parameters of the simulated feed: per tick drift and volatility (fractions). */
typedef struct bot_sim_params {
    uint64_t seed;
    double drift;      /* mean log return per tick, e.g. 0.0 */
    double volatility; /* standard deviation of the log return per tick, e.g. 0.004 */
} bot_sim_params;

/* Creates a simulated feed over `symbols` (copied).  NULL on OOM. */
bot_market *bot_market_sim_new(const char *const *symbols, size_t n, const bot_sim_params *p);

/* Starting price of a symbol in the sim feed (a function of the name alone). */
double bot_sim_start_price(const char *symbol);

/* Creates a Binance public-data feed at `base_url` (copied, e.g. "https://testnet.binance.vision").
 * timeout_ms bounds each request; failed requests are retried `retries` times with
 * exponential backoff from 200 ms.  NULL on OOM. */
bot_market *bot_market_binance_new(const char *base_url, const char *const *symbols, size_t n,
                                   long timeout_ms, int retries);

/* 64-bit FNV-1a of a string: mixes symbol names and run ids into seeds. */
uint64_t bot_fnv1a(const char *s);

#endif
