/*
 * engine.h - one trading step: for every symbol take the next price, mark the wallet,
 * ask the strategy, and (unless stopping) send the order it calls for through the
 * executor (paper or live).  Long only: BUY opens a position when flat, SELL closes it.
 * With an AI filter, an entry goes ahead only when the filter allows it.
 */
#ifndef SATHBOT_ENGINE_H
#define SATHBOT_ENGINE_H

#include "ai_filter.h"
#include "exec.h"
#include "market.h"
#include "strategy.h"
#include "wallet.h"

typedef struct bot_engine {
    bot_market *market;   /* borrowed */
    bot_strategy *strategy; /* borrowed */
    bot_exec *exec;       /* borrowed; its wallet is `wallet` */
    bot_wallet *wallet;   /* borrowed */
    int risk_bps;
    double cost_rate;     /* fee + slippage, for sizing */
    int64_t ticks;        /* steps taken */
    int64_t price_errors; /* prices the feed could not give */
    bot_ai_filter *ai;    /* borrowed, NULL: entries are not confirmed (ai_filter.h) */
} bot_engine;

/* Warms the strategy up on the feed's history (binance's klines, the sim's past path). */
void bot_engine_warm_up(bot_engine *e, size_t n);

/* One step.  `opening` = 0 stops new positions (SIGTERM received) but still marks
 * prices and polls open orders. */
void bot_engine_tick(bot_engine *e, int opening);

#endif
