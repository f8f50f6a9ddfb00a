/*
 * engine.c - one trading step (see engine.h).
 */
#include "engine.h"

#include <stdlib.h>

#include "jlog.h"

void bot_engine_warm_up(bot_engine *e, size_t n)
{
    double *buf = calloc(n ? n : 1, sizeof *buf);
    if (!buf)
        return;
    for (size_t i = 0; i < e->wallet->n; i++) {
        size_t k = e->market->ops->history(e->market, i, buf, n);
        for (size_t j = 0; j < k; j++) {
            bot_strategy_update(e->strategy, i, buf[j]);
            if (e->ai) /* the AI's questions show this past too */
                bot_ai_filter_observe(e->ai, i, buf[j]);
        }
        if (k)
            bot_wallet_mark(e->wallet, i, buf[k - 1]);
    }
    free(buf);
}

/* 1 when the entry into symbol i at px may go ahead: no filter, or the filter allows it. */
static int confirmed(bot_engine *e, size_t i, double px)
{
    return !e->ai || bot_ai_allows(bot_ai_filter_ask(e->ai, i, e->wallet->pos[i].symbol,
                                                     bot_strategy_name(e->strategy), px));
}

void bot_engine_tick(bot_engine *e, int opening)
{
    e->ticks++;
    e->exec->ops->poll(e->exec);
    for (size_t i = 0; i < e->wallet->n; i++) {
        double px;
        char err[256];
        if (e->market->ops->next(e->market, i, &px, err, sizeof err) != 0) {
            if (e->price_errors++ % 30 == 0)
                bot_log(BOT_WARN, "no price this tick",
                        json_pack("{s:s, s:s}", "symbol", e->wallet->pos[i].symbol, "reason", err));
            continue;
        }
        bot_wallet_mark(e->wallet, i, px);
        if (e->ai)
            bot_ai_filter_observe(e->ai, i, px);
        bot_signal sig = bot_strategy_update(e->strategy, i, px);
        if (sig == BOT_HOLD || !opening || e->exec->ops->busy(e->exec, i))
            continue;
        bot_position *p = &e->wallet->pos[i];
        double qty = 0;
        if (sig == BOT_BUY && p->qty == 0)
            qty = bot_wallet_buy_qty(e->wallet, i, px, e->risk_bps, e->cost_rate);
        else if (sig == BOT_SELL && p->qty > 0)
            qty = p->qty;
        if (qty <= 0 || (sig == BOT_BUY && !confirmed(e, i, px)))
            continue;
        if (e->exec->ops->submit(e->exec, i, sig == BOT_BUY ? 1 : -1, qty, px, err, sizeof err) != 0)
            bot_log(BOT_WARN, "order not placed",
                    json_pack("{s:s, s:s, s:s}", "symbol", p->symbol, "side",
                              sig == BOT_BUY ? "BUY" : "SELL", "reason", err));
    }
}
