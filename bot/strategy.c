/*
 * strategy.c - SMA/EMA crossover, RSI mean reversion and grid (see strategy.h).
 * The state of each symbol is a small ring of prices plus the running figures each
 * strategy needs; nothing allocates after creation.
 */
#include "strategy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RING 32 /* >= the longest window */

typedef enum { K_SMA, K_EMA, K_RSI, K_GRID } kind;

typedef struct sym_state {
    double ring[RING];
    size_t count;       /* prices seen */
    double ema_f, ema_s; /* EMA crossover */
    int prev_rel;       /* sign of fast - slow at the previous tick (0: unknown) */
    int join;           /* bot_strategy_join_trend: buy an uptrend already under way */
    double avg_gain, avg_loss, last; /* RSI */
    double ref;         /* grid reference */
} sym_state;

struct bot_strategy {
    kind k;
    size_t n;
    sym_state *st;
};

static const struct {
    const char *name;
    kind k;
} names[] = {{"sma_crossover", K_SMA}, {"ema_crossover", K_EMA}, {"rsi_reversion", K_RSI},
             {"grid", K_GRID}};

int bot_strategy_known(const char *name)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].name, name) == 0)
            return 1;
    return 0;
}

const char *bot_strategy_name(const bot_strategy *s)
{
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
        if (names[i].k == s->k)
            return names[i].name;
    return "";
}

bot_strategy *bot_strategy_new(const char *name, size_t n_symbols)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(names[i].name, name) != 0)
            continue;
        bot_strategy *s = calloc(1, sizeof *s);
        if (!s || !(s->st = calloc(n_symbols ? n_symbols : 1, sizeof *s->st))) {
            free(s);
            return NULL;
        }
        s->k = names[i].k;
        s->n = n_symbols;
        return s;
    }
    return NULL;
}

void bot_strategy_free(bot_strategy *s)
{
    if (s)
        free(s->st);
    free(s);
}

static double sma(const sym_state *y, size_t w)
{
    double sum = 0;
    for (size_t k = 0; k < w; k++)
        sum += y->ring[(y->count - 1 - k) % RING];
    return sum / (double)w;
}

/* +1 / -1 when fast - slow changed sign since the last tick, else 0 */
static bot_signal cross(sym_state *y, double fast, double slow)
{
    int rel = fast > slow ? 1 : fast < slow ? -1 : 0;
    bot_signal sig = BOT_HOLD;
    if (y->prev_rel != 0 && rel != 0 && rel != y->prev_rel)
        sig = rel > 0 ? BOT_BUY : BOT_SELL;
    if (rel != 0)
        y->prev_rel = rel;
    return sig;
}

/* A crossover's signal, or BUY on the first ready tick after bot_strategy_join_trend when
 * the fast average is already above the slow one (no cross comes until the trend turns). */
static bot_signal joined(sym_state *y, bot_signal sig)
{
    if (!y->join)
        return sig;
    y->join = 0;
    return sig == BOT_HOLD && y->prev_rel > 0 ? BOT_BUY : sig;
}

static bot_signal rsi(sym_state *y, double p)
{
    const double n = 14;
    if (y->count == 1) {
        y->last = p;
        return BOT_HOLD;
    }
    double d = p - y->last, g = d > 0 ? d : 0, l = d < 0 ? -d : 0;
    y->last = p;
    if (y->count <= 15) { /* first 14 changes: plain average */
        y->avg_gain += g / n;
        y->avg_loss += l / n;
        if (y->count < 15)
            return BOT_HOLD;
    } else {
        y->avg_gain = (y->avg_gain * (n - 1) + g) / n;
        y->avg_loss = (y->avg_loss * (n - 1) + l) / n;
    }
    double r = y->avg_loss == 0 ? 100 : 100 - 100 / (1 + y->avg_gain / y->avg_loss);
    return r < 30 ? BOT_BUY : r > 70 ? BOT_SELL : BOT_HOLD;
}

static bot_signal grid(sym_state *y, double p)
{
    if (y->ref == 0) {
        y->ref = p;
        return BOT_HOLD;
    }
    if (p <= y->ref * 0.99) {
        y->ref = p;
        return BOT_BUY;
    }
    if (p >= y->ref * 1.01) {
        y->ref = p;
        return BOT_SELL;
    }
    return BOT_HOLD;
}

bot_signal bot_strategy_update(bot_strategy *s, size_t i, double price)
{
    if (!s || i >= s->n || !isfinite(price) || price <= 0)
        return BOT_HOLD;
    sym_state *y = &s->st[i];
    y->ring[y->count % RING] = price;
    y->count++;
    switch (s->k) {
    case K_SMA:
        return y->count < 20 ? BOT_HOLD : joined(y, cross(y, sma(y, 5), sma(y, 20)));
    case K_EMA: {
        double af = 2.0 / (9 + 1), as = 2.0 / (21 + 1);
        if (y->count == 1) {
            y->ema_f = y->ema_s = price;
            return BOT_HOLD;
        }
        y->ema_f += af * (price - y->ema_f);
        y->ema_s += as * (price - y->ema_s);
        bot_signal sig = cross(y, y->ema_f, y->ema_s);
        return y->count < 21 ? BOT_HOLD : joined(y, sig);
    }
    case K_RSI:
        return rsi(y, price);
    case K_GRID:
        return grid(y, price);
    }
    return BOT_HOLD;
}

void bot_strategy_join_trend(bot_strategy *s)
{
    for (size_t i = 0; s && i < s->n; i++)
        s->st[i].join = 1;
}
