/*
 * strategy.h - trading strategies, named as in the bot's configuration:
 *
 *   sma_crossover   buy when the 5-tick simple moving average crosses above the 20-tick
 *                   one, sell when it crosses below
 *   ema_crossover   the same with 9/21-tick exponential moving averages
 *   rsi_reversion   14-tick RSI (Wilder): buy below 30, sell above 70
 *   grid            buy each time the price falls 1% below the last reference, sell when it
 *                   rises 1% above it (the reference moves to each signal's price)
 *
 * Long only, spot: BUY opens a position when flat, SELL closes it; the engine decides
 * size.  A strategy keeps per-symbol state and is used by one thread.
 */
#ifndef SATHBOT_STRATEGY_H
#define SATHBOT_STRATEGY_H

#include <stddef.h>

typedef enum { BOT_HOLD = 0, BOT_BUY = 1, BOT_SELL = -1 } bot_signal;

typedef struct bot_strategy bot_strategy;

/* NULL when `name` is unknown or memory ran out. */
bot_strategy *bot_strategy_new(const char *name, size_t n_symbols);
void bot_strategy_free(bot_strategy *s);

/* Feeds the next price of symbol i; returns the signal at this tick. */
bot_signal bot_strategy_update(bot_strategy *s, size_t i, double price);

/* The strategy's name as in the configuration (static storage). */
const char *bot_strategy_name(const bot_strategy *s);

/* 1 when `name` is a strategy this bot runs. */
int bot_strategy_known(const char *name);

/* Called once after warming up on the feed's history: on its first ready tick a crossover
 * buys when the fast average is already above the slow one, so a bot started during an
 * uptrend joins it instead of sitting out until the next up-cross; after that tick, and
 * for the other strategies (whose signals are states, not crosses), nothing changes. */
void bot_strategy_join_trend(bot_strategy *s);

#endif
