/*
 * paperrun.h - the reference paper run of sath-bot's unit tests: BTCUSDT on the sim feed
 * with seed 42, sma_crossover, 1000.00 of capital, paper fills.  torture_bot_core pins its
 * exact trades; torture_bot_ai compares what its AI filter lets through against them, so
 * both must run the very same engine.
 */
#ifndef SATH_TEST_PAPERRUN_H
#define SATH_TEST_PAPERRUN_H

#include "ai_filter.h"
#include "engine.h"
#include "exec.h"
#include "market.h"
#include "strategy.h"
#include "wallet.h"

typedef struct paperrun {
    bot_market *market;
    bot_strategy *strategy;
    bot_wallet wallet;
    bot_exec *exec;
    bot_engine engine; /* points at the members above: keep the struct where it was set up */
} paperrun;

/* Sets the run up; fills go to on_fill(arg, fill) (may be NULL), and `ai` (may be NULL)
 * confirms entries.  0, or -1 with nothing left to free. */
int paperrun_init(paperrun *r, bot_fill_fn on_fill, void *arg, bot_ai_filter *ai);
void paperrun_free(paperrun *r);

#endif
