/*
 * exec_live.c - the live engine: real orders on Binance, signed (binance.c).
 *
 * Placing an order is made idempotent by its client order id (newClientOrderId =
 * "<prefix>-<n>", unique per run attempt): when a POST gets no answer (timeout, reset)
 * the exchange may have taken it, so before sending it again we ask for the order by
 * that id; -2013 (no such order) means send again with the same id, an answer means
 * adopt it.  A duplicate answer (-2010 "Duplicate order sent") is treated the same way.
 * So a retry never makes a second order.
 *
 * Orders are LIMIT GTC at the tick price.  Each tick the open ones are polled
 * (GET /api/v3/order) and the growth of executedQty / cummulativeQuoteQty becomes a fill.
 * The cost of an open buy is reserved in the wallet so the capital is never exceeded.
 * On stop every open order is cancelled (DELETE /api/v3/order), then /api/v3/openOrders
 * is swept for any order of ours whose placement answer was lost.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binance.h"
#include "exec.h"
#include "http.h"
#include "jlog.h"

#define MAX_OPEN 64

typedef struct live_order {
    char cid[48];
    size_t sym;
    int side;
    double qty, price;
    double filled, quote; /* executed so far (base) and its quote value */
    double reserve;       /* cash held for a buy */
} live_order;

typedef struct live {
    bot_exec base;
    bot_binance *bn;
    char prefix[24];
    long seq;
    int retries;
    live_order open[MAX_OPEN];
    size_t n_open;
} live;

static double num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (json_is_string(v))
        return strtod(json_string_value(v), NULL);
    return json_is_number(v) ? json_number_value(v) : 0;
}

/* Applies what the exchange says the order has executed beyond what we knew. */
static void absorb(live *l, live_order *o, json_t *j)
{
    double exq = num(j, "executedQty"), quote = num(j, "cummulativeQuoteQty");
    if (exq <= o->filled + 1e-12)
        return;
    bot_fill f = {.time_ms = bot_now_ms(), .sym = o->sym, .side = o->side};
    f.qty = exq - o->filled;
    double dq = quote - o->quote;
    f.price = dq > 0 ? dq / f.qty : o->price;
    f.fee = f.qty * f.price * l->base.fee_rate;
    json_t *oid = json_object_get(j, "orderId");
    if (json_is_integer(oid))
        snprintf(f.order_id, sizeof f.order_id, "%lld", (long long)json_integer_value(oid));
    else
        snprintf(f.order_id, sizeof f.order_id, "%s", o->cid);
    o->filled = exq;
    o->quote = quote;
    if (o->side > 0) { /* the fill's cost comes out of the reservation */
        double cost = f.qty * f.price + f.fee;
        double take = cost < o->reserve ? cost : o->reserve;
        o->reserve -= take;
        l->base.w->reserved -= take;
        l->base.w->cash += take;
    }
    bot_wallet_apply(l->base.w, &f);
    if (l->base.on_fill)
        l->base.on_fill(l->base.arg, &f);
}

static void drop(live *l, size_t k)
{
    live_order *o = &l->open[k];
    l->base.w->reserved -= o->reserve;
    l->base.w->cash += o->reserve;
    l->open[k] = l->open[--l->n_open];
}

static int terminal(json_t *j)
{
    const char *s = json_string_value(json_object_get(j, "status"));
    return s && (strcmp(s, "FILLED") == 0 || strcmp(s, "CANCELED") == 0 ||
                 strcmp(s, "REJECTED") == 0 || strcmp(s, "EXPIRED") == 0 ||
                 strcmp(s, "EXPIRED_IN_MATCH") == 0);
}

/* GET the order by client id: 1 found (*out set), 0 does not exist, -1 unknown */
static int query(live *l, const live_order *o, json_t **out)
{
    char params[160], err[256];
    snprintf(params, sizeof params, "symbol=%s&origClientOrderId=%s", l->base.w->pos[o->sym].symbol,
             o->cid);
    bot_binance_answer a;
    if (bot_binance_signed(l->bn, "GET", "/api/v3/order", params, &a, err, sizeof err) != 0)
        return -1;
    if (a.status == 200 && json_is_object(a.json)) {
        *out = a.json;
        return 1;
    }
    json_decref(a.json);
    return a.code == -2013 ? 0 : -1;
}

/* The exchange holds the order: reserve its cost, track it, apply what already filled. */
static void accept(live *l, const live_order *o, json_t *j)
{
    l->base.w->cash -= o->reserve;
    l->base.w->reserved += o->reserve;
    l->open[l->n_open++] = *o;
    absorb(l, &l->open[l->n_open - 1], j);
    if (terminal(j))
        drop(l, l->n_open - 1);
    json_decref(j);
}

static int live_submit(bot_exec *e, size_t sym, int side, double qty, double price, char *err,
                       size_t errlen)
{
    live *l = (live *)e;
    if (sym >= e->w->n || !(qty > 0) || !(price > 0) || l->n_open == MAX_OPEN) {
        snprintf(err, errlen, "invalid order or too many open orders");
        return -1;
    }
    live_order o = {.sym = sym, .side = side, .qty = qty, .price = price};
    snprintf(o.cid, sizeof o.cid, "%s-%ld", l->prefix, ++l->seq);
    if (side > 0) {
        o.reserve = qty * price * (1.0 + e->fee_rate);
        if (o.reserve > e->w->cash + 1e-9) {
            snprintf(err, errlen, "not enough cash");
            return -1;
        }
    }
    char params[320];
    snprintf(params, sizeof params,
             "symbol=%s&side=%s&type=LIMIT&timeInForce=GTC&quantity=%.6f&price=%.8g"
             "&newClientOrderId=%s&newOrderRespType=RESULT",
             e->w->pos[sym].symbol, side > 0 ? "BUY" : "SELL", qty, price, o.cid);
    for (int attempt = 0; attempt <= l->retries; attempt++) {
        if (attempt > 0) {
            /* the last POST got no clear answer: did the exchange take it? */
            json_t *j = NULL;
            int q = query(l, &o, &j);
            if (q == 1) {
                bot_log(BOT_INFO, "order adopted after retry",
                        json_pack("{s:s, s:i}", "client_order_id", o.cid, "attempt", attempt));
                accept(l, &o, j);
                return 0;
            }
            if (q < 0) {
                bot_sleep_ms(200L << (attempt < 5 ? attempt : 5), NULL);
                continue;
            }
        }
        bot_binance_answer a;
        if (bot_binance_signed(l->bn, "POST", "/api/v3/order", params, &a, err, errlen) != 0) {
            bot_log(BOT_WARN, "order placement got no answer, checking",
                    json_pack("{s:s, s:s}", "client_order_id", o.cid, "reason", err));
            continue;
        }
        if (a.status == 200 && json_is_object(a.json)) {
            accept(l, &o, a.json);
            return 0;
        }
        json_decref(a.json);
        if (a.code == -2010 || a.status >= 500 || a.status == 429)
            continue; /* duplicate (taken before) or transient: the query above decides */
        return -1;    /* refused: err says why */
    }
    snprintf(err, errlen, "order %s: no answer after %d attempts", o.cid, l->retries + 1);
    return -1;
}

static int live_busy(bot_exec *e, size_t sym)
{
    live *l = (live *)e;
    for (size_t k = 0; k < l->n_open; k++)
        if (l->open[k].sym == sym)
            return 1;
    return 0;
}

static void live_poll(bot_exec *e)
{
    live *l = (live *)e;
    for (size_t k = 0; k < l->n_open;) {
        json_t *j = NULL;
        int q = query(l, &l->open[k], &j);
        if (q == 1) {
            absorb(l, &l->open[k], j);
            int done = terminal(j);
            json_decref(j);
            if (done) {
                drop(l, k);
                continue;
            }
        } else if (q == 0) {
            drop(l, k); /* the exchange does not know it: nothing is held */
            continue;
        }
        k++;
    }
}

static int live_cancel_all(bot_exec *e)
{
    live *l = (live *)e;
    char params[200], err[256];
    for (size_t k = l->n_open; k-- > 0;) {
        live_order *o = &l->open[k];
        snprintf(params, sizeof params, "symbol=%s&origClientOrderId=%s",
                 e->w->pos[o->sym].symbol, o->cid);
        bot_binance_answer a;
        int rc = bot_binance_signed(l->bn, "DELETE", "/api/v3/order", params, &a, err, sizeof err);
        if (rc == 0 && (a.status == 200 || a.code == -2011 || a.code == -2013)) {
            if (a.status == 200)
                absorb(l, o, a.json);
            bot_log(BOT_INFO, "order cancelled", json_pack("{s:s}", "client_order_id", o->cid));
            drop(l, k);
        } else {
            bot_log(BOT_WARN, "order cancel failed",
                    json_pack("{s:s, s:s}", "client_order_id", o->cid, "reason", err));
        }
        json_decref(a.json);
    }
    /* sweep: orders of ours the exchange holds that we never heard back about */
    for (size_t s = 0; s < e->w->n; s++) {
        snprintf(params, sizeof params, "symbol=%s", e->w->pos[s].symbol);
        bot_binance_answer a;
        if (bot_binance_signed(l->bn, "GET", "/api/v3/openOrders", params, &a, err, sizeof err) != 0)
            continue;
        size_t i;
        json_t *v;
        json_array_foreach(a.json, i, v) {
            const char *cid = json_string_value(json_object_get(v, "clientOrderId"));
            if (!cid || strncmp(cid, l->prefix, strlen(l->prefix)) != 0)
                continue;
            snprintf(params, sizeof params, "symbol=%s&origClientOrderId=%s", e->w->pos[s].symbol,
                     cid);
            bot_binance_answer c;
            if (bot_binance_signed(l->bn, "DELETE", "/api/v3/order", params, &c, err, sizeof err) == 0)
                bot_log(BOT_INFO, "stray order cancelled", json_pack("{s:s}", "client_order_id", cid));
            json_decref(c.json);
        }
        json_decref(a.json);
    }
    return l->n_open == 0 ? 0 : -1;
}

static void live_free(bot_exec *e)
{
    live *l = (live *)e;
    if (!l)
        return;
    bot_binance_free(l->bn);
    free(l);
}

static const bot_exec_ops live_ops = {"live", live_submit, live_busy, live_poll, live_cancel_all,
                                      live_free};

bot_exec *bot_exec_live_new(bot_wallet *w, const bot_live_params *p, double fee_rate,
                            bot_fill_fn on_fill, void *arg)
{
    if (!p->base_url || !p->api_key || !*p->api_key || !p->api_secret || !*p->api_secret ||
        !p->id_prefix || strlen(p->id_prefix) > 20)
        return NULL;
    live *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->base = (bot_exec){&live_ops, w, on_fill, arg, fee_rate};
    l->bn = bot_binance_new(p->base_url, p->api_key, p->api_secret, p->timeout_ms,
                            p->recv_window_ms);
    snprintf(l->prefix, sizeof l->prefix, "%s", p->id_prefix);
    l->retries = p->retries;
    if (!l->bn) {
        free(l);
        return NULL;
    }
    return &l->base;
}
