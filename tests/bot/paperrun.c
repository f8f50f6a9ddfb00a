/*
 * paperrun.c - the reference paper run of sath-bot's unit tests (paperrun.h).
 */
#include "paperrun.h"

#include <string.h>

int paperrun_init(paperrun *r, bot_fill_fn on_fill, void *arg, bot_ai_filter *ai)
{
    static const char *const syms[] = {"BTCUSDT"};
    const bot_sim_params p = {42, 0.0, 0.01};
    memset(r, 0, sizeof *r);
    r->market = bot_market_sim_new(syms, 1, &p);
    r->strategy = bot_strategy_new("sma_crossover", 1);
    if (!r->market || !r->strategy || bot_wallet_init(&r->wallet, syms, 1, 1000.0) != 0)
        goto fail;
    r->exec = bot_exec_paper_new(&r->wallet, 0.001, 0.0005, on_fill, arg);
    if (!r->exec) {
        bot_wallet_free(&r->wallet);
        goto fail;
    }
    r->engine = (bot_engine){r->market, r->strategy, r->exec, &r->wallet, 100, 0.0015, 0, 0, ai};
    return 0;
fail:
    if (r->strategy)
        bot_strategy_free(r->strategy);
    if (r->market)
        r->market->ops->free(r->market);
    memset(r, 0, sizeof *r);
    return -1;
}

void paperrun_free(paperrun *r)
{
    r->exec->ops->free(r->exec);
    bot_strategy_free(r->strategy);
    r->market->ops->free(r->market);
    bot_wallet_free(&r->wallet);
}
