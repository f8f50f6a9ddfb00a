/*
 * agent.c - BotAgentService through the SDK (see agent.h).
 *
 * Trades are queued as packed BotTrade messages and sent in batches (ReportTrades);
 * heartbeats as packed BotReport messages (Heartbeat), each in its place in the FIFO, so
 * sathd sees them in the order they happened.  A failed send leaves the records queued
 * and backs off (250 ms doubling to 5 s); the next success resets the backoff.
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "http.h"
#include "jlog.h"
#include "report_queue.h"

enum { REC_TRADE = 1, REC_REPORT = 2 };
#define BATCH 500

struct bot_agent {
    sath_client *client;
    bot_rq *q;
    int64_t seq;
    int64_t next_try_ms;
    long backoff_ms;
    int down; /* last send failed (logged once per outage) */
};

bot_agent *bot_agent_new(const char *addr, const char *run_token, size_t queue_cap)
{
    bot_agent *a = calloc(1, sizeof *a);
    sath_client_options *o = NULL;
    if (!a || sath_client_options_new(&o) != SATH_OK)
        goto fail;
    sath_client_options_set_timeout_ms(o, 5000);
    int rc = sath_client_new(addr, o, &a->client);
    sath_client_options_free(o);
    if (rc != SATH_OK || sath_client_set_tokens(a->client, run_token, NULL) != SATH_OK)
        goto fail;
    if (!(a->q = bot_rq_new(queue_cap)))
        goto fail;
    a->backoff_ms = 250;
    return a;
fail:
    if (a) {
        sath_client_free(a->client);
        free(a);
    }
    return NULL;
}

void bot_agent_free(bot_agent *a)
{
    if (!a)
        return;
    sath_client_free(a->client);
    bot_rq_free(a->q);
    free(a);
}

static sath_call_opts *call_opts(int64_t timeout_ms)
{
    sath_call_opts *co = NULL;
    if (sath_call_opts_new(&co) == SATH_OK)
        sath_call_opts_set_timeout_ms(co, timeout_ms);
    return co;
}

int bot_agent_fetch_config(bot_agent *a, Sath__V1__RunConfig **out, volatile int *stop)
{
    long delay = 250;
    for (;;) {
        Sath__V1__GetRunConfigRequest req = SATH__V1__GET_RUN_CONFIG_REQUEST__INIT;
        sath_call_opts *co = call_opts(5000);
        int rc = sath_bot_agent_get_run_config(a->client, &req, out, co);
        sath_call_opts_free(co);
        if (rc == SATH_OK)
            return rc;
        int transient = rc == SATH_UNAVAILABLE || rc == SATH_DEADLINE_EXCEEDED ||
                        rc == SATH_ETRANSPORT || rc == SATH_INTERNAL;
        bot_log(transient ? BOT_WARN : BOT_ERROR, "GetRunConfig failed",
                json_pack("{s:s, s:s}", "code", sath_err_name(rc), "reason",
                          sath_client_last_error_message(a->client)));
        if (!transient || (stop && *stop))
            return rc;
        bot_sleep_ms(delay, stop);
        delay = delay * 2 > 5000 ? 5000 : delay * 2;
    }
}

static void set_time(Google__Protobuf__Timestamp *t, int64_t ms)
{
    t->seconds = ms / 1000;
    t->nanos = (int32_t)(ms % 1000) * 1000000;
}

static void push(bot_agent *a, int kind, const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return;
    protobuf_c_message_pack(m, buf);
    if (bot_rq_push(a->q, kind, buf, len) != 0)
        bot_log(BOT_WARN, "report not queued (out of memory)", NULL);
    free(buf);
}

void bot_agent_queue_trade(bot_agent *a, const bot_wallet *w, const bot_fill *f)
{
    Sath__V1__BotTrade t = SATH__V1__BOT_TRADE__INIT;
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    set_time(&ts, f->time_ms);
    t.time = &ts;
    t.symbol = (char *)w->pos[f->sym].symbol;
    char buy[] = "BUY", sell[] = "SELL";
    t.side = f->side > 0 ? buy : sell;
    t.qty = f->qty;
    t.price = f->price;
    t.fee = f->fee;
    t.order_id = (char *)f->order_id;
    t.realized_pnl = f->realized;
    push(a, REC_TRADE, &t.base);
}

void bot_agent_queue_report(bot_agent *a, const bot_wallet *w, int final)
{
    Sath__V1__BotReport r = SATH__V1__BOT_REPORT__INIT;
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    set_time(&ts, bot_now_ms());
    r.time = &ts;
    r.seq = ++a->seq;
    r.equity = bot_wallet_equity(w);
    r.cash = w->cash + w->reserved;
    r.realized_pnl = w->realized;
    r.unrealized_pnl = bot_wallet_unrealized(w);
    r.max_drawdown = w->max_drawdown;
    r.trades = w->trades;
    r.wins = w->wins;
    r.losses = w->losses;
    r.final = final != 0;
    r.dropped_reports = (int64_t)bot_rq_dropped(a->q);
    Sath__V1__BotPosition pos[64], *pp[64];
    Sath__V1__BotPrice px[64], *xp[64];
    size_t n = w->n < 64 ? w->n : 64;
    for (size_t i = 0; i < n; i++) {
        px[i] = (Sath__V1__BotPrice)SATH__V1__BOT_PRICE__INIT;
        px[i].symbol = (char *)w->pos[i].symbol;
        px[i].price = w->pos[i].last_price;
        xp[r.n_last_prices++] = &px[i];
        if (w->pos[i].qty <= 0)
            continue;
        pos[i] = (Sath__V1__BotPosition)SATH__V1__BOT_POSITION__INIT;
        pos[i].symbol = (char *)w->pos[i].symbol;
        pos[i].qty = w->pos[i].qty;
        pos[i].avg_price = w->pos[i].avg_price;
        pos[i].last_price = w->pos[i].last_price;
        pp[r.n_positions++] = &pos[i];
    }
    r.positions = pp;
    r.last_prices = xp;
    push(a, REC_REPORT, &r.base);
}

/* Sends the head batch; SATH_OK and pops it, or the error (records stay). */
static int send_head(bot_agent *a, int64_t timeout_ms)
{
    bot_rq_item it[BATCH];
    size_t n = bot_rq_peek(a->q, it, BATCH);
    if (n == 0)
        return SATH_OK;
    if (it[0].kind == REC_REPORT)
        n = 1;
    sath_call_opts *co = call_opts(timeout_ms);
    Sath__V1__AgentAck *ack = NULL;
    int rc;
    if (it[0].kind == REC_REPORT) {
        Sath__V1__BotReport *r = sath__v1__bot_report__unpack(NULL, it[0].len, it[0].data);
        rc = r ? sath_bot_agent_heartbeat(a->client, r, &ack, co) : SATH_EPROTO;
        sath__v1__bot_report__free_unpacked(r, NULL);
    } else {
        Sath__V1__BotTrade *ts[BATCH];
        size_t k = 0;
        for (; k < n; k++)
            if (!(ts[k] = sath__v1__bot_trade__unpack(NULL, it[k].len, it[k].data)))
                break;
        Sath__V1__ReportTradesRequest req = SATH__V1__REPORT_TRADES_REQUEST__INIT;
        req.trades = ts;
        req.n_trades = k;
        rc = k == n ? sath_bot_agent_report_trades(a->client, &req, &ack, co) : SATH_EPROTO;
        for (size_t j = 0; j < k; j++)
            sath__v1__bot_trade__free_unpacked(ts[j], NULL);
    }
    sath_call_opts_free(co);
    if (ack)
        sath__v1__agent_ack__free_unpacked(ack, NULL);
    if (rc == SATH_OK || rc == SATH_EPROTO || rc == SATH_INVALID_ARGUMENT)
        bot_rq_pop(a->q, n); /* sent, or never sendable: do not block the queue on it */
    return rc;
}

int bot_agent_flush(bot_agent *a, int64_t timeout_ms)
{
    int64_t now = bot_now_ms();
    if (now < a->next_try_ms)
        return SATH_UNAVAILABLE;
    while (bot_rq_len(a->q) > 0) {
        int rc = send_head(a, timeout_ms);
        if (rc == SATH_OK || rc == SATH_EPROTO || rc == SATH_INVALID_ARGUMENT)
            continue;
        if (!a->down)
            bot_log(BOT_WARN, "sathd unreachable, keeping reports queued",
                    json_pack("{s:s, s:I}", "code", sath_err_name(rc), "queued",
                              (json_int_t)bot_rq_len(a->q)));
        a->down = 1;
        a->next_try_ms = bot_now_ms() + a->backoff_ms;
        a->backoff_ms = a->backoff_ms * 2 > 5000 ? 5000 : a->backoff_ms * 2;
        return rc;
    }
    if (a->down)
        bot_log(BOT_INFO, "sathd reachable again, queue sent",
                json_pack("{s:I}", "dropped", (json_int_t)bot_rq_dropped(a->q)));
    a->down = 0;
    a->backoff_ms = 250;
    a->next_try_ms = 0;
    return SATH_OK;
}

int bot_agent_drain(bot_agent *a, int64_t deadline_ms)
{
    int rc = SATH_OK;
    while (bot_rq_len(a->q) > 0) {
        int64_t left = deadline_ms - bot_now_ms();
        if (left <= 0)
            break;
        a->next_try_ms = 0;
        rc = bot_agent_flush(a, left < 2000 ? left : 2000);
        if (rc == SATH_UNAUTHENTICATED)
            break;
        if (rc != SATH_OK)
            bot_sleep_ms(left < 200 ? left : 200, NULL);
    }
    return bot_rq_len(a->q) == 0 ? SATH_OK : rc;
}

size_t bot_agent_queued(const bot_agent *a)
{
    return bot_rq_len(a->q);
}

uint64_t bot_agent_dropped(const bot_agent *a)
{
    return bot_rq_dropped(a->q);
}
