/*
 * cmd_bot_perf.c - `sathctl bot performance [--since TIME] [--step SECONDS]`: a summary
 * of the caller's bot over a time range (GetBotPerformance, read from InfluxDB): first
 * and last equity of the curve, its high and low, the trades (count, fees, the newest
 * few).  --json prints the points and trades as JSON.  A range without any report
 * (no run, or sathd has no InfluxDB: UNAVAILABLE) exits non-zero with the reason.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "sathctl.h"

static double fee_total(const Sath__V1__BotPerformance *p)
{
    double f = 0;
    for (size_t i = 0; i < p->n_trades; i++)
        f += p->trades[i]->fee;
    return f;
}

static void print_json(const Sath__V1__BotPerformance *p)
{
    json_t *pts = json_array(), *trs = json_array();
    for (size_t i = 0; i < p->n_points; i++)
        json_array_append_new(pts, json_pack("{s:I, s:f, s:f, s:f}", "time",
                                             (json_int_t)p->points[i]->time->seconds, "equity",
                                             p->points[i]->equity, "realized_pnl",
                                             p->points[i]->realized_pnl, "unrealized_pnl",
                                             p->points[i]->unrealized_pnl));
    for (size_t i = 0; i < p->n_trades; i++) {
        const Sath__V1__TradeRecord *t = p->trades[i];
        json_array_append_new(trs, json_pack("{s:I, s:s, s:s, s:s, s:f, s:f, s:f, s:s}", "time",
                                             (json_int_t)(t->time ? t->time->seconds : 0), "run_id",
                                             t->run_id, "symbol", t->symbol, "side", t->side, "qty",
                                             t->qty, "price", t->price, "fee", t->fee, "order_id",
                                             t->order_id));
    }
    json_t *o = json_pack("{s:o, s:o}", "points", pts, "trades", trs);
    json_dumpf(o, stdout, JSON_COMPACT);
    fputc('\n', stdout);
    json_decref(o);
}

int sathctl_bot_performance(sathctl *ctx, int64_t since_s, long step_s)
{
    Sath__V1__GetBotPerformanceRequest req = SATH__V1__GET_BOT_PERFORMANCE_REQUEST__INIT;
    Google__Protobuf__Timestamp since = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    Google__Protobuf__Duration step = GOOGLE__PROTOBUF__DURATION__INIT;
    if (since_s > 0) {
        since.seconds = since_s;
        req.since = &since;
    }
    if (step_s > 0) {
        step.seconds = step_s;
        req.step = &step;
    }
    Sath__V1__BotPerformance *p = NULL;
    int rc = sath_bot_get_bot_performance(ctx->client, &req, &p, ctx->opts);
    if (rc != SATH_OK)
        return sathctl_fail(ctx, "bot performance", rc);
    int status = SATHCTL_EXIT_OK;
    if (p->n_points == 0 && p->n_trades == 0) {
        /* nothing to summarise is a failure a script must notice, not an empty table */
        char from[32];
        sathctl_timestamp_text(p->since, from, sizeof from);
        fprintf(stderr, "sathctl: bot performance: no reports since %s: the bot has not run "
                        "(or not reported) in this range\n", *from ? from : "the start of the range");
        status = SATHCTL_EXIT_OTHER;
    }
    if (ctx->json) {
        print_json(p);
    } else if (status == SATHCTL_EXIT_OK) {
        double hi = -INFINITY, lo = INFINITY;
        for (size_t i = 0; i < p->n_points; i++) {
            hi = fmax(hi, p->points[i]->equity);
            lo = fmin(lo, p->points[i]->equity);
        }
        char from[32], to[32];
        sathctl_timestamp_text(p->n_points ? p->points[0]->time : p->since, from, sizeof from);
        sathctl_timestamp_text(p->n_points ? p->points[p->n_points - 1]->time : NULL, to, sizeof to);
        printf("range:      %s .. %s (step %llds, %zu points)\n", from, *to ? to : "now",
               (long long)(p->step ? p->step->seconds : 0), p->n_points);
        if (p->n_points) {
            double first = p->points[0]->equity, last = p->points[p->n_points - 1]->equity;
            printf("equity:     %.2f -> %.2f (%+.2f, %+.2f%%)\n", first, last, last - first,
                   first > 0 ? 100.0 * (last - first) / first : 0.0);
            printf("high / low: %.2f / %.2f\n", hi, lo);
            printf("realised:   %.2f   unrealised: %.2f\n", p->points[p->n_points - 1]->realized_pnl,
                   p->points[p->n_points - 1]->unrealized_pnl);
        }
        printf("trades:     %zu (fees %.2f)\n", p->n_trades, fee_total(p));
        for (size_t i = p->n_trades > 5 ? p->n_trades - 5 : 0; i < p->n_trades; i++) {
            const Sath__V1__TradeRecord *t = p->trades[i];
            char when[32];
            sathctl_timestamp_text(t->time, when, sizeof when);
            printf("  %s  %-4s %-10s %.6f @ %.2f  fee %.4f\n", when, t->side, t->symbol, t->qty,
                   t->price, t->fee);
        }
    }
    sath__v1__bot_performance__free_unpacked(p, NULL);
    return status;
}
