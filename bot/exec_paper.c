/*
 * exec_paper.c - the paper engine: every order fills at once, at the tick price moved
 * against the bot by the slippage, with the fee charged on the notional.  Order ids are
 * "paper-<n>", numbered per run from the wallet's trade count, so a resumed run goes on
 * where it stopped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec.h"

typedef struct paper {
    bot_exec base;
    double slippage;
} paper;

int64_t bot_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int paper_submit(bot_exec *e, size_t sym, int side, double qty, double price, char *err,
                        size_t errlen)
{
    paper *p = (paper *)e;
    if (sym >= e->w->n || !(qty > 0) || !(price > 0)) {
        snprintf(err, errlen, "invalid order");
        return -1;
    }
    bot_fill f = {.time_ms = bot_now_ms(), .sym = sym, .side = side, .qty = qty};
    f.price = price * (1.0 + (side > 0 ? p->slippage : -p->slippage));
    if (side < 0 && f.qty > e->w->pos[sym].qty)
        f.qty = e->w->pos[sym].qty;
    f.fee = f.qty * f.price * e->fee_rate;
    if (side > 0 && f.qty * f.price + f.fee > e->w->cash + 1e-9) {
        snprintf(err, errlen, "not enough cash");
        return -1;
    }
    snprintf(f.order_id, sizeof f.order_id, "paper-%lld", (long long)e->w->trades + 1);
    bot_wallet_apply(e->w, &f);
    if (e->on_fill)
        e->on_fill(e->arg, &f);
    return 0;
}

static int paper_busy(bot_exec *e, size_t sym)
{
    (void)e;
    (void)sym;
    return 0;
}

static void paper_poll(bot_exec *e)
{
    (void)e;
}

static int paper_cancel_all(bot_exec *e)
{
    (void)e;
    return 0;
}

static void paper_free(bot_exec *e)
{
    free(e);
}

static const bot_exec_ops paper_ops = {"paper", paper_submit, paper_busy, paper_poll,
                                       paper_cancel_all, paper_free};

bot_exec *bot_exec_paper_new(bot_wallet *w, double fee_rate, double slippage, bot_fill_fn on_fill,
                             void *arg)
{
    paper *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->base = (bot_exec){&paper_ops, w, on_fill, arg, fee_rate};
    p->slippage = slippage;
    return &p->base;
}
