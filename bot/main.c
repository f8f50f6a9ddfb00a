/*
 * main.c - sath-bot: the trading bot of one user's run.
 *
 * Started by sath-orchestrator with its run token on a pipe (SATH_RUN_TOKEN_FD): fetches
 * the run's configuration and keys from sathd (BotAgentService), resumes from the state
 * it last reported, then trades one tick at a time - prices from the market feed, signals
 * from the strategy, orders through the paper or live engine - and reports heartbeats and
 * fills.  SIGTERM: stop opening positions, cancel open orders (live), send a final report,
 * exit 0 within the grace period.  `--offline` runs the same loop without sathd (a paper
 * run on the sim feed from the command line), printing every fill: what the tests compare.
 * When the run's config names an AI key, entries are first confirmed by that provider
 * (ai_filter.h); the key is wiped from memory when the run ends.
 */
#include <curl/curl.h>
#include <signal.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "ai_filter.h"
#include "bot_config.h"
#include "engine.h"
#include "http.h"
#include "jlog.h"

static volatile int stopping;

static void on_term(int sig)
{
    (void)sig;
    stopping = 1;
}

typedef struct run {
    bot_opts o;
    bot_agent *agent; /* NULL offline */
    bot_wallet w;
    int heartbeat_on_fill;
} run;

static void on_fill(void *arg, const bot_fill *f)
{
    run *r = arg;
    const char *sym = r->w.pos[f->sym].symbol;
    bot_log(BOT_INFO, "fill",
            json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:s, s:I}", "symbol", sym, "side",
                      f->side > 0 ? "BUY" : "SELL", "qty", f->qty, "price", f->price, "fee", f->fee,
                      "realized_pnl", f->realized, "order_id", f->order_id, "time_ms",
                      (json_int_t)f->time_ms));
    if (r->agent) {
        bot_agent_queue_trade(r->agent, &r->w, f);
        r->heartbeat_on_fill = 1;
    }
}

/* Takes over the last reported state: cash, positions, counters. */
static void resume(bot_wallet *w, const Sath__V1__BotReport *s)
{
    w->cash = s->cash;
    w->realized = s->realized_pnl;
    w->trades = s->trades;
    w->wins = s->wins;
    w->losses = s->losses;
    w->max_drawdown = s->max_drawdown;
    for (size_t k = 0; k < s->n_positions; k++)
        for (size_t i = 0; i < w->n; i++)
            if (strcmp(w->pos[i].symbol, s->positions[k]->symbol) == 0 && s->positions[k]->qty > 0) {
                w->pos[i].qty = s->positions[k]->qty;
                w->pos[i].avg_price = s->positions[k]->avg_price;
                w->pos[i].last_price = s->positions[k]->last_price;
            }
    w->peak = bot_wallet_equity(w) > s->equity ? bot_wallet_equity(w) : s->equity;
    bot_log(BOT_INFO, "resumed from the last reported state",
            json_pack("{s:f, s:f, s:I, s:i}", "cash", w->cash, "equity", bot_wallet_equity(w),
                      "trades", (json_int_t)w->trades, "positions", (int)s->n_positions));
}

static void summary(const run *r, const char *msg)
{
    bot_log(BOT_INFO, msg,
            json_pack("{s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I}", "equity", bot_wallet_equity(&r->w),
                      "cash", r->w.cash + r->w.reserved, "realized_pnl", r->w.realized,
                      "unrealized_pnl", bot_wallet_unrealized(&r->w), "max_drawdown",
                      r->w.max_drawdown, "trades", (json_int_t)r->w.trades, "wins",
                      (json_int_t)r->w.wins, "losses", (json_int_t)r->w.losses));
}

/* The trading loop, until SIGTERM, --ticks, or the run token is revoked. */
static void trade(run *r, bot_engine *e)
{
    int64_t next_hb = bot_now_ms() + r->o.heartbeat_ms;
    /* a line in the user's log now and then, so a bot between trades is seen alive there */
    int64_t next_status = r->o.status_ms > 0 ? bot_now_ms() + r->o.status_ms : INT64_MAX;
    if (r->agent)
        bot_agent_queue_report(r->agent, &r->w, 0); /* first heartbeat at once */
    while (!stopping && (r->o.max_ticks == 0 || e->ticks < r->o.max_ticks)) {
        int64_t t0 = bot_now_ms();
        bot_engine_tick(e, 1);
        if (t0 >= next_status) {
            summary(r, "status");
            next_status = t0 + r->o.status_ms;
        }
        if (r->agent) {
            if (r->heartbeat_on_fill || t0 >= next_hb) {
                bot_agent_queue_report(r->agent, &r->w, 0);
                r->heartbeat_on_fill = 0;
                next_hb = t0 + r->o.heartbeat_ms;
            }
            if (bot_agent_flush(r->agent, 3000) == SATH_UNAUTHENTICATED) {
                bot_log(BOT_WARN, "run token refused: the run is over", NULL);
                break;
            }
        }
        long left = r->o.tick_ms - (long)(bot_now_ms() - t0);
        if (left > 0)
            bot_sleep_ms(left, &stopping);
    }
}

static int shutdown_run(run *r, bot_engine *e)
{
    int64_t deadline = bot_now_ms() + r->o.grace_ms;
    bot_log(BOT_INFO, stopping ? "stopping on SIGTERM" : "stopping", NULL);
    e->exec->ops->poll(e->exec);
    if (e->exec->ops->cancel_all(e->exec) != 0)
        bot_log(BOT_WARN, "some orders could not be cancelled", NULL);
    summary(r, "final state");
    if (!r->agent)
        return 0;
    bot_agent_queue_report(r->agent, &r->w, 1);
    int rc = bot_agent_drain(r->agent, deadline);
    if (rc != SATH_OK)
        bot_log(BOT_WARN, "final report not delivered",
                json_pack("{s:s, s:I}", "code", sath_err_name(rc), "queued",
                          (json_int_t)bot_agent_queued(r->agent)));
    return 0;
}

/* The AI confirmation of entries when the run has an AI key the filter can use (and the
 * operator did not pass --no-ai); NULL otherwise, saying why once. */
static bot_ai_filter *entry_filter(const bot_opts *o, const Sath__V1__RunConfig *cfg)
{
    if (!cfg->ai_api_key || !*cfg->ai_api_key)
        return NULL;
    if (o->no_ai) {
        bot_log(BOT_INFO, "AI filter off (--no-ai): the run's AI key is not used", NULL);
        return NULL;
    }
    bot_ai_params ap = {cfg->ai_provider, cfg->ai_api_key, o->ai_url, o->ai_model,
                        o->ai_timeout_ms, o->ai_backoff_ms, cfg->n_symbols};
    char err[160];
    bot_ai_filter *f = bot_ai_filter_new(&ap, err, sizeof err);
    if (f)
        bot_log(BOT_INFO, "AI filter on: entries are confirmed by the AI provider",
                json_pack("{s:s, s:s, s:I}", "provider", cfg->ai_provider, "model",
                          o->ai_model ? o->ai_model : "default", "timeout_ms", (json_int_t)o->ai_timeout_ms));
    else
        bot_log(BOT_WARN, "AI filter off", json_pack("{s:s}", "reason", err));
    return f;
}

/* Logs what the filter did over the run and frees it (NULL: nothing). */
static void entry_filter_done(bot_ai_filter *ai)
{
    if (!ai)
        return;
    const bot_ai_stats *as = bot_ai_filter_stats(ai);
    bot_log(BOT_INFO, "AI filter",
            json_pack("{s:I, s:I, s:I, s:I, s:I}", "asked", (json_int_t)as->asked, "confirmed",
                      (json_int_t)as->confirmed, "vetoed", (json_int_t)as->vetoed, "failed",
                      (json_int_t)as->failed, "skipped", (json_int_t)as->skipped));
    bot_ai_filter_free(ai);
}

static int run_bot(run *r, const Sath__V1__RunConfig *cfg)
{
    bot_opts *o = &r->o;
    const char *const *syms = (const char *const *)cfg->symbols;
    int live = cfg->mode == SATH__V1__BOT_MODE__BOT_MODE_LIVE;
    if (bot_wallet_init(&r->w, syms, cfg->n_symbols, (double)cfg->capital_cents / 100.0) != 0)
        return 1;
    if (cfg->resume)
        resume(&r->w, cfg->resume);
    const char *mk = o->market ? o->market : live ? "binance" : "sim";
    uint64_t seed = o->has_seed ? o->seed : bot_fnv1a(cfg->run_id);
    bot_sim_params sp = {seed, o->drift, o->volatility};
    bot_market *m = strcmp(mk, "sim") == 0
                        ? bot_market_sim_new(syms, cfg->n_symbols, &sp)
                        : bot_market_binance_new(o->binance_url, syms, cfg->n_symbols,
                                                 o->http_timeout_ms, 3);
    bot_strategy *st = bot_strategy_new(cfg->strategy, cfg->n_symbols);
    double fee = o->fee_bps / 10000.0, slip = o->slippage_bps / 10000.0;
    bot_exec *ex = NULL;
    if (live) {
        char prefix[24];
        snprintf(prefix, sizeof prefix, "s%.8s-%llx", cfg->run_id,
                 (unsigned long long)(bot_now_ms() / 1000) & 0xffffffull);
        bot_live_params lp = {o->binance_url, cfg->exchange_api_key, cfg->exchange_api_secret,
                              prefix, o->http_timeout_ms, 4, 5000};
        if (!cfg->live_allowed)
            bot_log(BOT_ERROR, "live trading is not allowed by the plan", NULL);
        else if (!(ex = bot_exec_live_new(&r->w, &lp, fee, on_fill, r)))
            bot_log(BOT_ERROR, "live mode needs an exchange key and secret", NULL);
    } else {
        ex = bot_exec_paper_new(&r->w, fee, slip, on_fill, r);
    }
    int rc = 1;
    if (m && st && ex) {
        bot_ai_filter *ai = entry_filter(o, cfg); /* only for a run that trades */
        bot_log(BOT_INFO, "trading",
                json_pack("{s:s, s:s, s:s, s:s, s:I, s:f, s:i, s:i}", "run_id", cfg->run_id, "mode",
                          live ? "live" : "paper", "strategy", cfg->strategy, "market", mk, "seed",
                          (json_int_t)seed, "capital", r->w.capital, "symbols",
                          (int)cfg->n_symbols, "tick_ms", (int)o->tick_ms));
        /* sizing covers what a fill costs: price * (1 + slippage) * qty * (1 + fee) */
        double cost_rate = (1.0 + fee) * (1.0 + (live ? 0 : slip)) - 1.0;
        bot_engine e = {m, st, ex, &r->w, cfg->risk_per_trade_bps, cost_rate, 0, 0, ai};
        bot_engine_warm_up(&e, 50);
        bot_strategy_join_trend(st);
        trade(r, &e);
        rc = shutdown_run(r, &e);
        entry_filter_done(ai);
    } else if (!st) {
        bot_log(BOT_ERROR, "unknown strategy", json_pack("{s:s}", "strategy", cfg->strategy));
    }
    if (ex)
        ex->ops->free(ex);
    bot_strategy_free(st);
    if (m)
        m->ops->free(m);
    bot_wallet_free(&r->w);
    return rc;
}

static void wipe(char *s)
{
    if (s)
        sodium_memzero(s, strlen(s));
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    run r;
    memset(&r, 0, sizeof r);
    if (bot_opts_parse(&r.o, argc, argv) != 0)
        return 2;
    int rc;
    if (r.o.offline) {
        Sath__V1__RunConfig cfg = SATH__V1__RUN_CONFIG__INIT;
        char offline_id[] = "offline";
        cfg.run_id = offline_id;
        cfg.mode = SATH__V1__BOT_MODE__BOT_MODE_PAPER;
        cfg.symbols = r.o.symbols;
        cfg.n_symbols = r.o.n_symbols;
        cfg.capital_cents = (int64_t)(r.o.capital * 100.0 + 0.5);
        cfg.risk_per_trade_bps = r.o.risk_bps;
        cfg.strategy = (char *)r.o.strategy;
        if (r.o.max_ticks == 0)
            r.o.max_ticks = 1000;
        rc = run_bot(&r, &cfg);
    } else {
        const char *addr = getenv("SATH_ADDR");
        char token[1024];
        if (!addr || !*addr || bot_read_run_token(token, sizeof token) != 0) {
            bot_log(BOT_ERROR, "no sathd address (SATH_ADDR) or run token (SATH_RUN_TOKEN_FD)", NULL);
            return 2;
        }
        r.agent = bot_agent_new(addr, token, r.o.queue_cap);
        sodium_memzero(token, sizeof token);
        Sath__V1__RunConfig *cfg = NULL;
        rc = r.agent ? bot_agent_fetch_config(r.agent, &cfg, &stopping) : SATH_ENOMEM;
        if (rc == SATH_OK) {
            rc = run_bot(&r, cfg);
            wipe(cfg->exchange_api_key);
            wipe(cfg->exchange_api_secret);
            wipe(cfg->ai_api_key);
            sath__v1__run_config__free_unpacked(cfg, NULL);
        } else {
            rc = stopping ? 0 : 1; /* stopped before it began: nothing to report */
        }
        bot_agent_free(r.agent);
    }
    free(r.o.symbols_buf);
    curl_global_cleanup();
    return rc;
}
