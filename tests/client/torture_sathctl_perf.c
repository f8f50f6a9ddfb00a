/*
 * torture_sathctl_perf.c - `sathctl bot performance` end to end: a real sathd writing to
 * InfluxDB (SATH_TEST_INFLUX_URL), sath-orchestrator on the process backend and the real
 * sath-bot on the sim feed (tests/bots' botenv, tests/botagent's botrun_env).
 *
 *   - after a paper run has reported and stopped, the summary shows the figures
 *     GetBotPerformance returns for the same range and step (points, first/last equity,
 *     high/low, realised and unrealised PnL, trades and fees, the newest trade), and
 *     --json the same points and trades, value for value; the trade count is the one
 *     the run's final report gave GetBotStatus
 *   - `sathctl bot status` (text and --json) shows the final report's equity and trades
 *   - a user whose bot never ran: a clear message on stderr and exit 1 (--json: the
 *     empty lists, exit 1)
 *   - a sathd without InfluxDB: UNAVAILABLE with the reason, exit 4
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "agentenv.h"
#include "botcalls.h"
#include "child_run.h"

#define BOT_ARGS "--tick-ms 40 --heartbeat-ms 300 --seed 42 --volatility 0.01"

typedef struct fx {
    botrun_fx b;   /* b.e: sathd + orchestrator, b.u: the user whose bot runs */
    char home[64]; /* sathctl's HOME / XDG_CONFIG_HOME: its saved session */
} fx;

/* Runs sathctl --server target (NULL-terminated args) with HOME=home. */
static void sathctl(const char *target, const char *home, const char *input, child_result *r, ...)
{
    const char *const head[] = {SATHCTL_PATH, "--server", target, NULL};
    va_list ap;
    va_start(ap, r);
    int rc = child_run_home(home, head, ap, input, r);
    va_end(ap);
    assert_int_equal(rc, 0);
    assert_true(r->out_total < sizeof r->out); /* nothing cut off */
}

static void login(const char *target, const char *home, const char *email)
{
    child_result r;
    sathctl(target, home, BOTUSER_PASSWORD "\n", &r, "login", "--email", email, "--password-stdin", NULL);
    if (r.code != 0)
        fprintf(stderr, "sathctl login: %s%s\n", r.out, r.err);
    assert_int_equal(r.code, 0);
}

static int setup(void **state)
{
    if (!influx_url() || !getenv("SATH_BOT_BIN")) {
        fprintf(stderr, "needs SATH_TEST_INFLUX_URL and SATH_BOT_BIN (run through scripts/test)\n");
        return -1;
    }
    fx *f = calloc(1, sizeof *f);
    *state = f;
    if (!f || child_home_new(f->home, sizeof f->home, "sathctl-perf") != 0)
        return -1;
    return botrun_fx_start(&f->b, 1, BOT_ARGS) == 0 && botuser_config(&f->b.u, 1, 100000, 0) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    botrun_fx_stop(&f->b);
    child_home_remove(f->home);
    free(f);
    return 0;
}

/* Starts the bot, lets it trade until InfluxDB holds `trades` of its fills, stops it and
 * waits for its final report; returns the stopped status (caller frees). */
static Sath__V1__BotStatus *run_until_trades(fx *f, size_t trades)
{
    Sath__V1__BotStatus *st = botcall(&f->b.u, "start");
    char run[37], q[300];
    snprintf(run, sizeof run, "%s", st->run_id);
    sath__v1__bot_status__free_unpacked(st, NULL);
    snprintf(q, sizeof q, "SELECT qty FROM bot_trade WHERE run_id = '%s'", run);
    assert_true(influx_wait_rows(f->b.env.db, q, trades, 40000) >= trades);

    st = botcall_stop_wait(&f->b.u, 20000);
    assert_int_equal(st->last_exit_code, 0);
    /* the final report's equity point is the last thing the run writes */
    snprintf(q, sizeof q, "SELECT equity FROM bot_equity WHERE run_id = '%s' AND final = 1", run);
    assert_int_equal(influx_wait_rows(f->b.env.db, q, 1, 10000), 1);
    return st;
}

static Sath__V1__BotPerformance *api_performance(botuser *u, int64_t since, int64_t step)
{
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
    ts.seconds = since;
    d.seconds = step;
    Sath__V1__GetBotPerformanceRequest req = SATH__V1__GET_BOT_PERFORMANCE_REQUEST__INIT;
    req.since = &ts;
    req.step = &d;
    Sath__V1__BotPerformance *p = NULL;
    assert_int_equal(sath_bot_get_bot_performance(u->c, &req, &p, NULL), SATH_OK);
    return p;
}

/* The line of the summary that starts with `label`, or fails the test. */
static const char *summary_line(const char *out, const char *label)
{
    for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, label, strlen(label)) == 0)
            return l;
    fprintf(stderr, "no '%s' line in:\n%s\n", label, out);
    fail();
    return NULL;
}

static void assert_line(const char *out, const char *label, const char *want)
{
    const char *l = summary_line(out, label);
    size_t n = strcspn(l, "\n");
    if (strlen(want) != n || strncmp(l, want, n) != 0) {
        fprintf(stderr, "summary line '%.*s', expected '%s'\n", (int)n, l, want);
        fail();
    }
}

static void check_text(const char *out, const Sath__V1__BotPerformance *p)
{
    char want[256];
    double first = p->points[0]->equity, last = p->points[p->n_points - 1]->equity;
    double hi = -INFINITY, lo = INFINITY, fees = 0;
    for (size_t i = 0; i < p->n_points; i++) {
        hi = fmax(hi, p->points[i]->equity);
        lo = fmin(lo, p->points[i]->equity);
    }
    for (size_t i = 0; i < p->n_trades; i++)
        fees += p->trades[i]->fee;
    snprintf(want, sizeof want, "(step %llds, %zu points)", (long long)p->step->seconds, p->n_points);
    assert_non_null(strstr(summary_line(out, "range:"), want));
    snprintf(want, sizeof want, "equity:     %.2f -> %.2f (%+.2f, %+.2f%%)", first, last, last - first,
             100.0 * (last - first) / first);
    assert_line(out, "equity:", want);
    snprintf(want, sizeof want, "high / low: %.2f / %.2f", hi, lo);
    assert_line(out, "high / low:", want);
    snprintf(want, sizeof want, "realised:   %.2f   unrealised: %.2f",
             p->points[p->n_points - 1]->realized_pnl, p->points[p->n_points - 1]->unrealized_pnl);
    assert_line(out, "realised:", want);
    snprintf(want, sizeof want, "trades:     %zu (fees %.2f)", p->n_trades, fees);
    assert_line(out, "trades:", want);
    const Sath__V1__TradeRecord *t = p->trades[p->n_trades - 1]; /* the newest, listed last */
    snprintf(want, sizeof want, "%-4s %-10s %.6f @ %.2f  fee %.4f", t->side, t->symbol, t->qty, t->price,
             t->fee);
    assert_non_null(strstr(out, want));
}

static void check_json(const char *out, const Sath__V1__BotPerformance *p)
{
    json_error_t err;
    json_t *j = json_loads(out, 0, &err);
    if (!j)
        fprintf(stderr, "--json output is not JSON (%s): %s\n", err.text, out);
    assert_non_null(j);
    json_t *pts = json_object_get(j, "points"), *trs = json_object_get(j, "trades");
    assert_int_equal(json_array_size(pts), p->n_points);
    assert_int_equal(json_array_size(trs), p->n_trades);
    for (size_t i = 0; i < p->n_points; i++) {
        json_t *pt = json_array_get(pts, i);
        assert_int_equal(json_integer_value(json_object_get(pt, "time")), p->points[i]->time->seconds);
        /* jansson prints doubles to round-trip: exact equality */
        assert_true(json_real_value(json_object_get(pt, "equity")) == p->points[i]->equity);
        assert_true(json_real_value(json_object_get(pt, "realized_pnl")) == p->points[i]->realized_pnl);
    }
    for (size_t i = 0; i < p->n_trades; i++) {
        json_t *t = json_array_get(trs, i);
        const Sath__V1__TradeRecord *w = p->trades[i];
        assert_string_equal(json_string_value(json_object_get(t, "side")), w->side);
        assert_string_equal(json_string_value(json_object_get(t, "symbol")), w->symbol);
        assert_string_equal(json_string_value(json_object_get(t, "order_id")), w->order_id);
        assert_string_equal(json_string_value(json_object_get(t, "run_id")), w->run_id);
        assert_true(json_real_value(json_object_get(t, "qty")) == w->qty);
        assert_true(json_real_value(json_object_get(t, "price")) == w->price);
        assert_true(json_real_value(json_object_get(t, "fee")) == w->fee);
    }
    json_decref(j);
}

static void test_summary_matches_get_bot_performance(void **state)
{
    fx *f = *state;
    int64_t since = (int64_t)time(NULL) - 5;
    Sath__V1__BotStatus *st = run_until_trades(f, 4);
    int64_t reported_trades = st->trades;
    double reported_equity = st->equity;
    sath__v1__bot_status__free_unpacked(st, NULL);

    Sath__V1__BotPerformance *p = api_performance(&f->b.u, since, 1);
    assert_true(p->n_points >= 2);
    assert_true(p->n_trades >= 4);
    assert_int_equal((int64_t)p->n_trades, reported_trades); /* every fill reached InfluxDB */
    for (size_t i = 0; i < p->n_points; i++) /* 1000.00 of capital, a short run */
        assert_true(p->points[i]->equity > 900 && p->points[i]->equity < 1100);
    assert_int_equal(p->step->seconds, 1);

    const char *target = f->b.e.sathd.target;
    login(target, f->home, f->b.u.email);
    char since_arg[24];
    snprintf(since_arg, sizeof since_arg, "%lld", (long long)since);
    child_result r;
    sathctl(target, f->home, NULL, &r, "bot", "performance", "--since", since_arg, "--step", "1", NULL);
    if (r.code != 0)
        fprintf(stderr, "sathctl: %s%s\n", r.out, r.err);
    assert_int_equal(r.code, 0);
    fprintf(stderr, "sathctl bot performance --since %s --step 1:\n%s", since_arg, r.out);
    check_text(r.out, p);

    sathctl(target, f->home, NULL, &r, "--json", "bot", "performance", "--since", since_arg, "--step", "1",
            NULL);
    assert_int_equal(r.code, 0);
    check_json(r.out, p);
    sath__v1__bot_performance__free_unpacked(p, NULL);

    /* bot status carries the last report's figures, in text and in JSON */
    sathctl(target, f->home, NULL, &r, "bot", "status", NULL);
    assert_int_equal(r.code, 0);
    char want[64];
    snprintf(want, sizeof want, "trades:     %lld\n", (long long)reported_trades);
    assert_non_null(strstr(r.out, want));
    snprintf(want, sizeof want, "equity:     %.2f (", reported_equity);
    assert_non_null(strstr(r.out, want));
    sathctl(target, f->home, NULL, &r, "--json", "bot", "status", NULL);
    assert_int_equal(r.code, 0);
    json_error_t jerr;
    json_t *j = json_loads(r.out, 0, &jerr);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "STOPPED");
    assert_non_null(json_string_value(json_object_get(j, "heartbeat_at")));
    assert_int_equal(json_integer_value(json_object_get(j, "trades")), reported_trades);
    assert_true(json_real_value(json_object_get(j, "equity")) == reported_equity);
    assert_non_null(json_object_get(j, "realized_pnl"));
    assert_non_null(json_object_get(j, "max_drawdown"));
    json_decref(j);
}

static void test_no_runs(void **state)
{
    fx *f = *state;
    botuser idle;
    assert_int_equal(botuser_new(&f->b.e, &idle), 0);
    Sath__V1__GetBotPerformanceRequest req = SATH__V1__GET_BOT_PERFORMANCE_REQUEST__INIT;
    Sath__V1__BotPerformance *p = NULL;
    assert_int_equal(sath_bot_get_bot_performance(idle.c, &req, &p, NULL), SATH_OK);
    assert_int_equal(p->n_points, 0); /* the other user's reports are not this one's */
    assert_int_equal(p->n_trades, 0);
    sath__v1__bot_performance__free_unpacked(p, NULL);

    char home[64];
    assert_int_equal(child_home_new(home, sizeof home, "sathctl-perf"), 0);
    login(f->b.e.sathd.target, home, idle.email);
    child_result r;
    sathctl(f->b.e.sathd.target, home, NULL, &r, "bot", "performance", NULL);
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "sathctl: bot performance: no reports since "));
    assert_non_null(strstr(r.err, "the bot has not run (or not reported) in this range"));
    sathctl(f->b.e.sathd.target, home, NULL, &r, "--json", "bot", "performance", NULL);
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "{\"points\":[],\"trades\":[]}\n");
    child_home_remove(home);
    botuser_free(&idle);
}

static void test_no_influxdb(void **state)
{
    (void)state;
    sathd_proc p;
    const char *no_influx[] = {"SATH_INFLUX_URL=", NULL}; /* whatever the environment says */
    assert_int_equal(sathd_proc_start(&p, no_influx), 0);
    char home[64], email[64];
    assert_int_equal(child_home_new(home, sizeof home, "sathctl-perf"), 0);
    snprintf(email, sizeof email, "perf.%ld@example.org", (long)getpid());
    child_result r;
    sathctl(p.target, home, BOTUSER_PASSWORD "\n", &r, "register", "--email", email, "--password-stdin", NULL);
    assert_int_equal(r.code, 0);
    login(p.target, home, email);
    sathctl(p.target, home, NULL, &r, "bot", "performance", NULL);
    assert_int_equal(r.code, 4);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "sathctl: bot performance: UNAVAILABLE: "));
    assert_non_null(strstr(r.err, "sathd runs without InfluxDB"));
    child_home_remove(home);
    assert_int_equal(sathd_proc_stop(&p), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_matches_get_bot_performance),
        cmocka_unit_test(test_no_runs),
        cmocka_unit_test(test_no_influxdb),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
