/*
 * agent_perf.c - GetBotPerformance: the caller's equity curve and trades read back from
 * InfluxDB (see botagent.h).  One request, two InfluxQL statements, both filtered by the
 * caller's user id (from the access token; a UUID, checked before it is spliced in):
 *   SELECT last(equity), last(realized_pnl), last(unrealized_pnl) FROM bot_equity
 *     WHERE user_id = '<u>' AND time >= <since>ms GROUP BY time(<step>ms) fill(none)
 *   SELECT ... FROM bot_trade WHERE user_id = '<u>' AND time >= <since>ms
 *     ORDER BY time DESC LIMIT 1000
 * Range: since defaults to the start of the caller's first run of the last 24 h (24 h ago
 * when none started), so a bot started minutes ago gets a curve, not one bucket; it may
 * reach 31 days back.  Step defaults to about 200 points over the range, is at least 1 s,
 * and is widened so at most 2000 points come.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sathd/app.h"
#include "sathd/botagent.h"
#include "sathd/httpc.h"
#include "sathd/influx.h"
#include "sathd/log.h"
#include "sathd/svc.h"

#define DAY_MS (24LL * 3600 * 1000)
#define MAX_POINTS 2000
#define MAX_TRADES 1000

static int is_uuid(const char *s)
{
    if (!s || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static Google__Protobuf__Timestamp *ts_ms(sathd_call *call, int64_t ms)
{
    Google__Protobuf__Timestamp *t = sathd_call_alloc(call, sizeof *t);
    if (t) {
        google__protobuf__timestamp__init(t);
        t->seconds = ms / 1000;
        t->nanos = (int32_t)(ms % 1000) * 1000000;
    }
    return t;
}

static int col_index(json_t *series, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(series, "columns"), i, c) {
        if (json_is_string(c) && strcmp(json_string_value(c), name) == 0)
            return (int)i;
    }
    return -1;
}

static double num(json_t *row, int i)
{
    json_t *v = i >= 0 ? json_array_get(row, (size_t)i) : NULL;
    return json_is_number(v) ? json_number_value(v) : 0;
}

static const char *str(sathd_call *call, json_t *row, int i)
{
    json_t *v = i >= 0 ? json_array_get(row, (size_t)i) : NULL;
    return sathd_call_strdup(call, json_is_string(v) ? json_string_value(v) : "");
}

static int fill_points(sathd_call *call, json_t *series, Sath__V1__BotPerformance *out)
{
    json_t *vals = json_object_get(series, "values");
    size_t n = json_array_size(vals);
    out->points = sathd_call_alloc(call, (n + 1) * sizeof *out->points);
    if (!out->points)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < n && i < MAX_POINTS + 1; i++) {
        json_t *row = json_array_get(vals, i);
        Sath__V1__EquityPoint *p = sathd_call_alloc(call, sizeof *p);
        if (!p)
            return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
        sath__v1__equity_point__init(p);
        p->time = ts_ms(call, (int64_t)num(row, 0));
        p->equity = num(row, 1);
        p->realized_pnl = num(row, 2);
        p->unrealized_pnl = num(row, 3);
        out->points[out->n_points++] = p;
    }
    return SATHD_OK;
}

static int fill_trades(sathd_call *call, json_t *series, Sath__V1__BotPerformance *out)
{
    json_t *vals = json_object_get(series, "values");
    size_t n = json_array_size(vals);
    out->trades = sathd_call_alloc(call, (n + 1) * sizeof *out->trades);
    if (!out->trades)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    int c_qty = col_index(series, "qty"), c_price = col_index(series, "price"),
        c_fee = col_index(series, "fee"), c_oid = col_index(series, "order_id"),
        c_run = col_index(series, "run_id"), c_sym = col_index(series, "symbol"),
        c_side = col_index(series, "side"), c_mode = col_index(series, "mode");
    for (size_t k = n; k-- > 0;) { /* newest first from InfluxDB: reverse */
        json_t *row = json_array_get(vals, k);
        Sath__V1__TradeRecord *t = sathd_call_alloc(call, sizeof *t);
        if (!t)
            return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
        sath__v1__trade_record__init(t);
        t->time = ts_ms(call, (int64_t)num(row, 0));
        t->qty = num(row, c_qty);
        t->price = num(row, c_price);
        t->fee = num(row, c_fee);
        t->order_id = (char *)str(call, row, c_oid);
        t->run_id = (char *)str(call, row, c_run);
        t->symbol = (char *)str(call, row, c_sym);
        t->side = (char *)str(call, row, c_side);
        const char *mode = str(call, row, c_mode);
        t->mode = mode && strcmp(mode, "live") == 0 ? SATH__V1__BOT_MODE__BOT_MODE_LIVE
                                                    : SATH__V1__BOT_MODE__BOT_MODE_PAPER;
        out->trades[out->n_trades++] = t;
    }
    return SATHD_OK;
}

/* The default start of the range: when the caller's first run of the last 24 h started
 * (PostgreSQL, bot_runs_user_id_idx), or 24 h ago. */
static int default_since(sathd_call *call, const char *uid, int64_t now, int64_t *since)
{
    static const sathd_pg_stmt st = {
        "bot_perf_since",
        "SELECT coalesce(floor(extract(epoch FROM min(started_at)) * 1000)::bigint, 0) "
        "FROM bot_runs WHERE user_id = $1 AND started_at > now() - interval '1 day'",
        1};
    const char *p[1] = {uid};
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query1(call, &st, p, &res);
    if (rc != SATHD_OK)
        return rc;
    int64_t first = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    *since = now - DAY_MS;
    /* a little before the start, so the first report is inside the first bucket */
    if (first > *since && first - 1000 < now)
        *since = first - 1000;
    return SATHD_OK;
}

int sathd_bot_performance(sathd_call *call, const Sath__V1__GetBotPerformanceRequest *req,
                          Sath__V1__BotPerformance *out)
{
    sathd_influx *x = sathd_call_app(call)->influx;
    const char *uid = sathd_call_identity(call)->user_id;
    if (!x)
        return sathd_call_error(call, SATHD_UNAVAILABLE,
                                "bot metrics are not stored: sathd runs without InfluxDB");
    if (!is_uuid(uid))
        return sathd_call_error(call, SATHD_INTERNAL, "caller id is not a UUID");
    int64_t now = sathd_svc_now() * 1000, since = now - DAY_MS;
    if (req->since) {
        if (sathd_svc_timestamp_ms(req->since, &since) != 0)
            return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                    "since is not a valid time (years 0001-9999, nanos "
                                    "0-999999999)");
        if (since < now - 31 * DAY_MS || since > now)
            return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                    "since must be within the last 31 days");
    } else {
        int rc = default_since(call, uid, now, &since);
        if (rc != SATHD_OK)
            return rc;
    }
    int64_t range = now - since, step = range / 200;
    if (req->step) {
        if (req->step->seconds < 0 || req->step->nanos < 0 || req->step->nanos > 999999999 ||
            req->step->seconds > 31 * 86400)
            return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "step must be positive and at most 31 days");
        step = req->step->seconds * 1000 + req->step->nanos / 1000000;
        if (step < 1000)
            return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "step must be at least 1s");
    }
    if (step < 1000)
        step = 1000;
    if (range / step > MAX_POINTS)
        step = (range + MAX_POINTS - 1) / MAX_POINTS;
    char q[1024];
    snprintf(q, sizeof q,
             "SELECT last(equity), last(realized_pnl), last(unrealized_pnl) FROM bot_equity "
             "WHERE user_id = '%s' AND time >= %lldms GROUP BY time(%lldms) fill(none); "
             "SELECT qty, price, fee, order_id, run_id, symbol, side, mode FROM bot_trade "
             "WHERE user_id = '%s' AND time >= %lldms ORDER BY time DESC LIMIT %d",
             uid, (long long)since, (long long)step, uid, (long long)since, MAX_TRADES);
    int64_t left = sathd_call_remaining_ms(call);
    json_t *j = NULL;
    char err[256];
    if (sathd_influx_query(x, q, left == INT64_MAX ? 0 : sathd_httpc_now_ms() + (left < 10000 ? left : 10000), &j, err, sizeof err) != 0) {
        sathd_log(SATHD_LOG_WARN, "msg=\"performance query failed\" request_id=%s reason=\"%s\"",
                  sathd_call_request_id(call), err);
        return sathd_call_error(call, SATHD_UNAVAILABLE, "bot metrics store unavailable");
    }
    json_t *results = json_object_get(j, "results");
    int rc = fill_points(call, json_array_get(json_object_get(json_array_get(results, 0), "series"), 0), out);
    if (rc == SATHD_OK)
        rc = fill_trades(call, json_array_get(json_object_get(json_array_get(results, 1), "series"), 0), out);
    json_decref(j);
    out->since = ts_ms(call, since);
    out->step = sathd_call_alloc(call, sizeof *out->step);
    if (out->step) {
        google__protobuf__duration__init(out->step);
        out->step->seconds = step / 1000;
        out->step->nanos = (int32_t)(step % 1000) * 1000000;
    }
    return rc;
}
