/*
 * wallet.h - the bot's book: cash, one long position per symbol, realised and
 * unrealised PnL, drawdown, trade/win/loss counts.  The paper engine and the live engine
 * both apply their fills here, so the figures the bot reports mean the same in both modes.
 *
 * Invariant: cash + reserved never goes below 0 and buying never spends more than the
 * cash the capital left (bot_wallet_buy_qty() sizes orders within it, and a buy order's
 * cost is reserved while it is open on an exchange).
 */
#ifndef SATHBOT_WALLET_H
#define SATHBOT_WALLET_H

#include <stddef.h>
#include <stdint.h>

#define BOT_SYMBOL_MAX 24

typedef struct bot_position {
    char symbol[BOT_SYMBOL_MAX];
    double qty;       /* base asset held, >= 0 */
    double avg_price; /* average entry price, fees excluded */
    double last_price; /* last price seen; 0 before the first */
} bot_position;

typedef struct bot_fill {
    int64_t time_ms;  /* wall clock, ms since the epoch */
    size_t sym;       /* symbol index */
    int side;         /* +1 BUY, -1 SELL */
    double qty, price, fee;
    double realized;  /* realised PnL of this fill (sells), fee included */
    char order_id[64];
} bot_fill;

typedef struct bot_wallet {
    double capital;  /* what the config allows */
    double cash;     /* free cash */
    double reserved; /* cash held for open buy orders (live) */
    double realized;
    double peak, max_drawdown;
    int64_t trades, wins, losses;
    size_t n;
    bot_position *pos; /* n entries, in the run's symbol order */
} bot_wallet;

/* Initialises an empty wallet holding `capital` in cash.  0 or -1 (OOM). */
int bot_wallet_init(bot_wallet *w, const char *const *symbols, size_t n, double capital);
void bot_wallet_free(bot_wallet *w);

/* Records the last price of symbol i and updates peak equity and drawdown. */
void bot_wallet_mark(bot_wallet *w, size_t i, double price);

double bot_wallet_equity(const bot_wallet *w);
double bot_wallet_unrealized(const bot_wallet *w);

/* Quantity to buy of symbol i at `price`: the risk budget (capital * risk_bps / 10000
 * at an assumed 2% stop), at most capital / n per symbol, at most the free cash after
 * `cost_rate` (fee + slippage fractions); rounded down to 1e-6.  0 when nothing fits. */
double bot_wallet_buy_qty(const bot_wallet *w, size_t i, double price, int risk_bps,
                          double cost_rate);

/* Applies a fill (f->sym, side, qty, price, fee); fills f->realized on sells.  A sell of
 * more than is held sells what is held. */
void bot_wallet_apply(bot_wallet *w, bot_fill *f);

#endif
