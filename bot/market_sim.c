/*
 * market_sim.c - the simulated price feed: geometric Brownian motion, one step a tick.
 *
 *   P(t+1) = P(t) * exp((mu - sigma^2 / 2) + sigma * Z),  Z ~ N(0, 1)
 *
 * Z comes from a xoshiro256** generator seeded per symbol with splitmix64(seed ^
 * fnv1a(symbol)), turned normal by Box-Muller.  Each symbol has its own generator, so
 * adding a symbol to a run does not change the prices of the others, and a run's
 * prices depend only on (seed, symbol, tick number): the same seed gives the same trades.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "market.h"

typedef struct sim_symbol {
    uint64_t s[4];
    double price;
    double spare;
    int has_spare;
    double start;       /* the price at tick 0 */
    uint64_t past_seed; /* seeds the history's generator (sim_history) */
} sim_symbol;

typedef struct sim_market {
    bot_market base;
    bot_sim_params p;
    size_t n;
    sim_symbol *sym;
} sim_market;

uint64_t bot_fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t xoshiro(uint64_t s[4])
{
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

/* uniform in (0, 1]: never 0, so log() below is finite */
static double uniform(uint64_t s[4])
{
    return ((double)(xoshiro(s) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

static double normal(sim_symbol *y)
{
    if (y->has_spare) {
        y->has_spare = 0;
        return y->spare;
    }
    double u = uniform(y->s), v = uniform(y->s);
    double r = sqrt(-2.0 * log(u));
    y->spare = r * sin(2.0 * M_PI * v);
    y->has_spare = 1;
    return r * cos(2.0 * M_PI * v);
}

double bot_sim_start_price(const char *symbol)
{
    /* 10 .. 50000 spread by name, rounded to cents: recognisable, not realistic */
    uint64_t h = bot_fnv1a(symbol);
    return round((10.0 + (double)(h % 4999000) / 100.0) * 100.0) / 100.0;
}

static int sim_next(bot_market *m, size_t i, double *price, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    sim_market *s = (sim_market *)m;
    if (i >= s->n)
        return -1;
    sim_symbol *y = &s->sym[i];
    double sig = s->p.volatility;
    y->price *= exp((s->p.drift - sig * sig / 2.0) + sig * normal(y));
    *price = y->price;
    return 0;
}

/* The path before the run: a walk backwards from the start price on a generator of its
 * own (the forward path's generator is untouched, so the run's prices stay a function of
 * (seed, symbol, tick) alone), rebuilt on each call, so the same (seed, symbol) always has
 * the same past.  A strategy warmed up on it trades from the first ticks, as a bot on a
 * real exchange does after reading recent candles, instead of waiting out its windows. */
static size_t sim_history(bot_market *m, size_t i, double *out, size_t n)
{
    sim_market *s = (sim_market *)m;
    if (i >= s->n || n == 0)
        return 0;
    sim_symbol back = {.price = s->sym[i].start};
    uint64_t x = s->sym[i].past_seed;
    for (int k = 0; k < 4; k++)
        back.s[k] = splitmix64(&x);
    double sig = s->p.volatility, price = back.price;
    for (size_t k = n; k-- > 0;) {
        /* out[k] is the close one step before out[k + 1] (the start price after the end) */
        price /= exp((s->p.drift - sig * sig / 2.0) + sig * normal(&back));
        out[k] = price;
    }
    return n;
}

static void sim_free(bot_market *m)
{
    sim_market *s = (sim_market *)m;
    if (!s)
        return;
    free(s->sym);
    free(s);
}

static const bot_market_ops sim_ops = {"sim", sim_next, sim_history, sim_free};

bot_market *bot_market_sim_new(const char *const *symbols, size_t n, const bot_sim_params *p)
{
    sim_market *s = calloc(1, sizeof *s);
    if (!s || !(s->sym = calloc(n ? n : 1, sizeof *s->sym))) {
        free(s);
        return NULL;
    }
    s->base.ops = &sim_ops;
    s->p = *p;
    s->n = n;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = p->seed ^ bot_fnv1a(symbols[i]);
        for (int k = 0; k < 4; k++)
            s->sym[i].s[k] = splitmix64(&x);
        s->sym[i].past_seed = splitmix64(&x);
        s->sym[i].price = s->sym[i].start = bot_sim_start_price(symbols[i]);
    }
    return &s->base;
}
