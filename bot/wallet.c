/*
 * wallet.c - cash, positions, PnL and drawdown (see wallet.h).
 */
#include "wallet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bot_wallet_init(bot_wallet *w, const char *const *symbols, size_t n, double capital)
{
    memset(w, 0, sizeof *w);
    w->pos = calloc(n ? n : 1, sizeof *w->pos);
    if (!w->pos)
        return -1;
    w->n = n;
    for (size_t i = 0; i < n; i++)
        snprintf(w->pos[i].symbol, sizeof w->pos[i].symbol, "%s", symbols[i]);
    w->capital = w->cash = w->peak = capital;
    return 0;
}

void bot_wallet_free(bot_wallet *w)
{
    free(w->pos);
    w->pos = NULL;
}

double bot_wallet_unrealized(const bot_wallet *w)
{
    double u = 0;
    for (size_t i = 0; i < w->n; i++)
        if (w->pos[i].qty > 0 && w->pos[i].last_price > 0)
            u += w->pos[i].qty * (w->pos[i].last_price - w->pos[i].avg_price);
    return u;
}

double bot_wallet_equity(const bot_wallet *w)
{
    double e = w->cash + w->reserved;
    for (size_t i = 0; i < w->n; i++)
        e += w->pos[i].qty * (w->pos[i].last_price > 0 ? w->pos[i].last_price : w->pos[i].avg_price);
    return e;
}

void bot_wallet_mark(bot_wallet *w, size_t i, double price)
{
    if (i >= w->n || !(price > 0))
        return;
    w->pos[i].last_price = price;
    double e = bot_wallet_equity(w);
    if (e > w->peak)
        w->peak = e;
    if (w->peak > 0 && (w->peak - e) / w->peak > w->max_drawdown)
        w->max_drawdown = (w->peak - e) / w->peak;
}

double bot_wallet_buy_qty(const bot_wallet *w, size_t i, double price, int risk_bps,
                          double cost_rate)
{
    if (i >= w->n || !(price > 0) || w->n == 0)
        return 0;
    double budget = w->capital * (double)risk_bps / 10000.0 / 0.02;
    double per_symbol = w->capital / (double)w->n;
    if (budget > per_symbol)
        budget = per_symbol;
    double cash = w->cash / (1.0 + cost_rate);
    if (budget > cash)
        budget = cash;
    double q = floor(budget / price * 1e6) / 1e6;
    return q > 0 ? q : 0;
}

void bot_wallet_apply(bot_wallet *w, bot_fill *f)
{
    if (f->sym >= w->n || !(f->qty > 0) || !(f->price > 0))
        return;
    bot_position *p = &w->pos[f->sym];
    f->realized = 0;
    if (f->side > 0) {
        double cost = f->qty * f->price;
        p->avg_price = (p->avg_price * p->qty + cost) / (p->qty + f->qty);
        p->qty += f->qty;
        w->cash -= cost + f->fee;
    } else {
        if (f->qty > p->qty)
            f->qty = p->qty;
        f->realized = f->qty * (f->price - p->avg_price) - f->fee;
        w->cash += f->qty * f->price - f->fee;
        p->qty -= f->qty;
        if (p->qty < 1e-12) {
            p->qty = 0;
            p->avg_price = 0;
        }
        w->realized += f->realized;
        if (f->realized > 0)
            w->wins++;
        else
            w->losses++;
    }
    w->trades++;
    bot_wallet_mark(w, f->sym, p->last_price > 0 ? p->last_price : f->price);
}
