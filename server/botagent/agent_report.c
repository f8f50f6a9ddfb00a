/*
 * agent_report.c - Heartbeat and ReportTrades (see botagent.h): validate what the bot
 * sends, keep the last report in bot_runs, and turn reports and trades into InfluxDB
 * points whose tags (user_id, bot_id, run_id, mode, strategy) come from the run token.
 * The only tag a bot chooses is `symbol`, and it must be one of its run's symbols.
 *
 * Point timestamps are the bot's own times (so reports queued in the bot during a sathd
 * restart land where they happened), accepted within 24 h back and 5 min ahead.  A trade
 * point's timestamp is its time in ms plus a sub-millisecond offset hashed from its order
 * id and side: sending the same trade again overwrites the same point (idempotent),
 * while two fills in one millisecond do not collide.
 */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "sathd/app.h"
#include "sathd/botagent.h"
#include "sathd/influx.h"
#include "sathd/svc.h"

#define MAX_TRADES 1000
#define PAST_MS (24LL * 3600 * 1000)
#define FUTURE_MS (5LL * 60 * 1000)

static const sathd_pg_stmt st_store = {
    "agent_store_report",
    "UPDATE bot_runs SET last_heartbeat_at = now(), last_report = decode($2, 'hex'), "
    "last_report_seq = $3::bigint, equity = $4::float8, realized_pnl = $5::float8, "
    "unrealized_pnl = $6::float8, trades = $7::bigint, max_drawdown = $8::float8 "
    "WHERE id = $1 AND last_report_seq < $3::bigint",
    8};

static const sathd_pg_stmt st_figures = {
    "agent_status_figures",
    "SELECT (extract(epoch FROM last_heartbeat_at) * 1000000)::bigint, equity, realized_pnl, "
    "unrealized_pnl, trades, max_drawdown FROM bot_runs "
    "WHERE id = $1 AND last_heartbeat_at IS NOT NULL",
    1};

static int known_symbol(const sathd_agent_run *run, const char *s)
{
    for (size_t i = 0; s && i < run->n_symbols; i++)
        if (strcmp(run->symbols[i], s) == 0)
            return 1;
    return 0;
}

/* Unix ms of a bot timestamp, or -1 when absent or out of the accepted window. */
static int64_t bot_time_ms(const Google__Protobuf__Timestamp *t)
{
    int64_t ms, now = sathd_svc_now() * 1000;
    if (sathd_svc_timestamp_ms(t, &ms) != 0)
        return -1;
    return ms < now - PAST_MS || ms > now + FUTURE_MS ? -1 : ms;
}

static int finite_all(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

static void run_tags(const sathd_agent_run *run, const char *symbol, const char *tags[15])
{
    const char *t[] = {"user_id", run->user_id, "bot_id", run->bot_id, "run_id", run->run_id,
                       "mode", run->mode, "strategy", run->strategy, "symbol", symbol ? symbol : "",
                       NULL, NULL, NULL};
    memcpy(tags, t, sizeof t);
}

/* Queues b's points; sets ack->metrics_queued. */
static void enqueue(sathd_call *call, sathd_lp *b, Sath__V1__AgentAck *ack)
{
    sathd_influx *x = sathd_call_app(call)->influx;
    ack->metrics_queued = x && !b->oom && sathd_influx_enqueue(x, b->buf, b->len, b->points);
    sathd_lp_free(b);
}

static int validate_report(sathd_call *call, const sathd_agent_run *run,
                           const Sath__V1__BotReport *r, int64_t *ms)
{
    const double v[] = {r->equity, r->cash, r->realized_pnl, r->unrealized_pnl, r->max_drawdown};
    if ((*ms = bot_time_ms(r->time)) < 0)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                "time must be set, within 24 hours back and 5 minutes ahead");
    if (r->seq <= 0 || !finite_all(v, 5) || r->trades < 0 || r->wins < 0 || r->losses < 0 ||
        r->dropped_reports < 0)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                "seq must be positive and figures finite and non-negative counts");
    if (r->n_positions > run->n_symbols || r->n_last_prices > run->n_symbols)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "more positions than the run's symbols");
    for (size_t i = 0; i < r->n_positions; i++) {
        const Sath__V1__BotPosition *p = r->positions[i];
        const double pv[] = {p->qty, p->avg_price, p->last_price};
        if (!known_symbol(run, p->symbol) || !finite_all(pv, 3))
            return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                    "positions[%zu]: symbol not in the run's config or figures not finite", i);
    }
    for (size_t i = 0; i < r->n_last_prices; i++)
        if (!known_symbol(run, r->last_prices[i]->symbol) || !isfinite(r->last_prices[i]->price))
            return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                    "last_prices[%zu]: symbol not in the run's config", i);
    return SATHD_OK;
}

int sathd_agent_heartbeat(sathd_call *call, const sathd_agent_run *run,
                          const Sath__V1__BotReport *r, Sath__V1__AgentAck *ack)
{
    int64_t ms;
    int rc = validate_report(call, run, r, &ms);
    if (rc != SATHD_OK)
        return rc;
    size_t len = protobuf_c_message_get_packed_size(&r->base);
    uint8_t *bin = sathd_call_alloc(call, len + 1);
    char *hex = sathd_call_alloc(call, 2 * len + 1);
    if (!bin || !hex)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    protobuf_c_message_pack(&r->base, bin);
    sodium_bin2hex(hex, 2 * len + 1, bin, len);
    char seq[24], eq[32], rp[32], up[32], tr[24], dd[32];
    snprintf(seq, sizeof seq, "%lld", (long long)r->seq);
    snprintf(eq, sizeof eq, "%.17g", r->equity);
    snprintf(rp, sizeof rp, "%.17g", r->realized_pnl);
    snprintf(up, sizeof up, "%.17g", r->unrealized_pnl);
    snprintf(tr, sizeof tr, "%lld", (long long)r->trades);
    snprintf(dd, sizeof dd, "%.17g", r->max_drawdown);
    const char *p[8] = {run->run_id, hex, seq, eq, rp, up, tr, dd};
    const PGresult *res = NULL;
    rc = sathd_svc_pg_query1(call, &st_store, p, &res);
    if (rc != SATHD_OK)
        return rc;

    sathd_lp b = {0};
    const char *tags[15];
    int64_t ns = ms * 1000000;
    run_tags(run, NULL, tags);
    sathd_lp_begin(&b, "bot_equity", tags);
    sathd_lp_float(&b, "equity", r->equity);
    sathd_lp_float(&b, "cash", r->cash);
    sathd_lp_float(&b, "realized_pnl", r->realized_pnl);
    sathd_lp_float(&b, "unrealized_pnl", r->unrealized_pnl);
    sathd_lp_float(&b, "max_drawdown", r->max_drawdown);
    sathd_lp_int(&b, "trades", r->trades);
    sathd_lp_int(&b, "wins", r->wins);
    sathd_lp_int(&b, "losses", r->losses);
    sathd_lp_int(&b, "open_positions", (int64_t)r->n_positions);
    sathd_lp_int(&b, "dropped_reports", r->dropped_reports);
    sathd_lp_int(&b, "seq", r->seq);
    sathd_lp_int(&b, "final", r->final ? 1 : 0);
    sathd_lp_end(&b, ns);
    for (size_t i = 0; i < r->n_last_prices; i++) {
        run_tags(run, r->last_prices[i]->symbol, tags);
        sathd_lp_begin(&b, "bot_price", tags);
        sathd_lp_float(&b, "price", r->last_prices[i]->price);
        double qty = 0;
        for (size_t k = 0; k < r->n_positions; k++)
            if (strcmp(r->positions[k]->symbol, r->last_prices[i]->symbol) == 0)
                qty = r->positions[k]->qty;
        sathd_lp_float(&b, "position_qty", qty);
        sathd_lp_end(&b, ns);
    }
    enqueue(call, &b, ack);
    return SATHD_OK;
}

static int64_t trade_offset_ns(const Sath__V1__BotTrade *t)
{
    unsigned char h[8];
    crypto_generichash(h, sizeof h, (const unsigned char *)t->order_id, strlen(t->order_id),
                       (const unsigned char *)t->side, strlen(t->side));
    uint64_t v = 0;
    memcpy(&v, h, sizeof v);
    return (int64_t)(v % 1000000u);
}

int sathd_agent_trades(sathd_call *call, const sathd_agent_run *run,
                       const Sath__V1__ReportTradesRequest *req, Sath__V1__AgentAck *ack)
{
    if (req->n_trades > MAX_TRADES)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "at most %d trades per call", MAX_TRADES);
    sathd_lp b = {0};
    const char *tags[15];
    for (size_t i = 0; i < req->n_trades; i++) {
        const Sath__V1__BotTrade *t = req->trades[i];
        const double v[] = {t->qty, t->price, t->fee, t->realized_pnl};
        int64_t ms = bot_time_ms(t->time);
        int side_ok = t->side && (strcmp(t->side, "BUY") == 0 || strcmp(t->side, "SELL") == 0);
        size_t ol = t->order_id ? strlen(t->order_id) : 0;
        if (ms < 0 || !side_ok || !known_symbol(run, t->symbol) || !finite_all(v, 4) ||
            t->qty <= 0 || t->price <= 0 || t->fee < 0 || ol == 0 || ol > 64) {
            sathd_lp_free(&b);
            return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                    "trades[%zu]: needs a recent time, a symbol of the run, side BUY "
                                    "or SELL, positive qty and price, fee >= 0, order_id of 1..64 "
                                    "characters", i);
        }
        run_tags(run, t->symbol, tags);
        tags[12] = "side";
        tags[13] = t->side;
        sathd_lp_begin(&b, "bot_trade", tags);
        sathd_lp_float(&b, "qty", t->qty);
        sathd_lp_float(&b, "price", t->price);
        sathd_lp_float(&b, "fee", t->fee);
        sathd_lp_float(&b, "realized_pnl", t->realized_pnl);
        sathd_lp_float(&b, "notional", t->qty * t->price);
        sathd_lp_str(&b, "order_id", t->order_id);
        sathd_lp_end(&b, ms * 1000000 + trade_offset_ns(t));
    }
    if (req->n_trades > 0)
        enqueue(call, &b, ack);
    else
        sathd_lp_free(&b);
    return SATHD_OK;
}

int sathd_agent_status_figures(sathd_call *call, const char *run_id, Sath__V1__BotStatus *out)
{
    if (!run_id || !*run_id)
        return SATHD_OK;
    const char *p[1] = {run_id};
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query1(call, &st_figures, p, &res);
    if (rc != SATHD_OK || PQntuples(res) != 1)
        return rc;
    out->last_heartbeat_at = sathd_svc_timestamp_us(call, PQgetvalue(res, 0, 0));
    out->equity = strtod(PQgetvalue(res, 0, 1), NULL);
    out->realized_pnl = strtod(PQgetvalue(res, 0, 2), NULL);
    out->unrealized_pnl = strtod(PQgetvalue(res, 0, 3), NULL);
    out->trades = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
    out->max_drawdown = strtod(PQgetvalue(res, 0, 5), NULL);
    return SATHD_OK;
}
