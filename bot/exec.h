/*
 * exec.h - where the bot's orders go, behind one small table of functions:
 *
 *   paper  fills at once at the tick price moved against the bot by the slippage, with
 *          the fee charged on the notional (bot_exec_paper_new)
 *   live   signed Binance orders (bot_exec_live_new, exec_live.c): LIMIT GTC at the tick
 *          price, fills found by polling, open orders cancelled on stop
 *
 * Fills are applied to the wallet by the engine and handed to `on_fill` (the reporter).
 * Used by one thread.
 */
#ifndef SATHBOT_EXEC_H
#define SATHBOT_EXEC_H

#include "wallet.h"

typedef struct bot_exec bot_exec;
typedef void (*bot_fill_fn)(void *arg, const bot_fill *f);

typedef struct bot_exec_ops {
    const char *name;
    /* Sends an order; fills arrive through on_fill (at once for paper).  Returns 0, or
     * -1 with a reason in err (the wallet is unchanged). */
    int (*submit)(bot_exec *e, size_t sym, int side, double qty, double price, char *err,
                  size_t errlen);
    /* 1 while an order of symbol `sym` is open (no new order is sent for it then). */
    int (*busy)(bot_exec *e, size_t sym);
    /* Looks at open orders and delivers new fills.  Called once a tick. */
    void (*poll)(bot_exec *e);
    /* Cancels every open order (on stop); 0 when none is left open. */
    int (*cancel_all)(bot_exec *e);
    void (*free)(bot_exec *e);
} bot_exec_ops;

struct bot_exec {
    const bot_exec_ops *ops;
    bot_wallet *w;
    bot_fill_fn on_fill;
    void *arg;
    double fee_rate; /* fraction of the notional, e.g. 0.001 */
};

/* Paper engine on wallet w; slippage as a fraction (e.g. 0.0005).  NULL on OOM. */
bot_exec *bot_exec_paper_new(bot_wallet *w, double fee_rate, double slippage, bot_fill_fn on_fill,
                             void *arg);

typedef struct bot_live_params {
    const char *base_url;   /* SATH_BINANCE_URL */
    const char *api_key;    /* copied; wiped on free */
    const char *api_secret; /* copied; wiped on free */
    const char *id_prefix;  /* client order id prefix, unique per run attempt (<= 20 chars) */
    long timeout_ms;        /* per request */
    int retries;            /* per order placement */
    long recv_window_ms;
} bot_live_params;

/* Live engine on wallet w.  NULL on OOM or bad parameters. */
bot_exec *bot_exec_live_new(bot_wallet *w, const bot_live_params *p, double fee_rate,
                            bot_fill_fn on_fill, void *arg);

/* Current wall-clock time in ms since the epoch. */
int64_t bot_now_ms(void);

#endif
