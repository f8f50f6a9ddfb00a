/*
 * torture_botrun.c - sath-bot end to end: sathd (fixed free port, InfluxDB) +
 * sath-orchestrator (process backend) + the real sath-bot on the sim feed.
 *
 *   - a started paper bot shows a heartbeat and equity in GetBotStatus, JSON log lines
 *     in GetBotLogs (no run token in them), points and trades in GetBotPerformance
 *   - determinism: the trades in InfluxDB are exactly the first trades of
 *     `sath-bot --offline` with the same seed (side, quantity, price)
 *   - sathd restarted while the bot runs: reports resume and the trade sequence has no
 *     gap (the bot's queue carried them over)
 *   - stop: exit code 0, a final report; the next run resumes from the reported state
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

#include <cmocka.h>

#include "agentenv.h"
#include "botcalls.h"

#define BOT_ARGS "--tick-ms 40 --heartbeat-ms 300 --seed 42 --volatility 0.01"

typedef struct fill {
    char side[8];
    double qty, price;
} fill;

typedef struct fx {
    botrun_fx run;
    fill offline[4000];
    size_t n_offline;
} fx;

/* The fills of `sath-bot --offline` with the run's parameters. */
static size_t offline_fills(fill *out, size_t max)
{
    char cmd[1200];
    /* the run's arguments first: the later --tick-ms 0 wins (no sleeping offline) */
    snprintf(cmd, sizeof cmd, "%s --offline " BOT_ARGS " --symbols BTCUSDT --capital 1000 "
             "--risk-bps 100 --strategy sma_crossover --ticks 6000 --tick-ms 0", getenv("SATH_BOT_BIN"));
    FILE *p = popen(cmd, "r");
    char line[2048];
    size_t n = 0;
    while (p && fgets(line, sizeof line, p)) {
        json_t *j = json_loads(line, 0, NULL);
        const char *msg = json_string_value(json_object_get(j, "msg"));
        if (msg && strcmp(msg, "fill") == 0 && n < max) {
            json_t *f = json_object_get(j, "fields");
            snprintf(out[n].side, sizeof out[n].side, "%s", json_string_value(json_object_get(f, "side")));
            out[n].qty = json_number_value(json_object_get(f, "qty"));
            out[n].price = json_number_value(json_object_get(f, "price"));
            n++;
        }
        json_decref(j);
    }
    if (p)
        pclose(p);
    return n;
}

static int setup(void **state)
{
    if (!influx_url() || !getenv("SATH_BOT_BIN"))
        return -1;
    fx *f = calloc(1, sizeof *f);
    *state = f;
    f->n_offline = offline_fills(f->offline, 4000);
    if (f->n_offline < 10) {
        fprintf(stderr, "sath-bot --offline made %zu fills\n", f->n_offline);
        return -1;
    }
    return botrun_fx_start(&f->run, 1, BOT_ARGS) == 0 && botuser_config(&f->run.u, 1, 100000, 0) == 0
               ? 0
               : -1;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    botrun_fx_stop(&f->run);
    free(f);
    return 0;
}

static Sath__V1__BotStatus *start(botuser *u)
{
    botcall_free_status(botcall(u, "start"));
    return botuser_wait(u, SATH__V1__BOT_STATE__BOT_STATE_RUNNING, 20000);
}

/* What the bot said, when a wait fails (diagnostics on stderr). */
static void dump_logs(botuser *u)
{
    Sath__V1__BotStatus *st = botuser_status(u);
    if (st) {
        fprintf(stderr, "status: state %d exit %d restarts %d message '%s'\n", st->state,
                st->last_exit_code, st->restarts, st->message);
        sath__v1__bot_status__free_unpacked(st, NULL);
    }
    Sath__V1__GetBotLogsResponse *logs = botcall_logs(u, 30, 0);
    if (logs) {
        for (size_t i = 0; i < logs->n_lines; i++)
            fprintf(stderr, "bot log: %s\n", logs->lines[i]->text);
        sath__v1__get_bot_logs_response__free_unpacked(logs, NULL);
    }
}

/* Heartbeat after `after_s` (0: any) within timeout; the status (free it) or NULL. */
static Sath__V1__BotStatus *wait_heartbeat(botuser *u, int64_t after_s, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        Sath__V1__BotStatus *st = botuser_status(u);
        if (st && st->last_heartbeat_at && st->last_heartbeat_at->seconds > after_s && st->equity > 0)
            return st;
        if (st)
            sath__v1__bot_status__free_unpacked(st, NULL);
        sleep_ms(100);
    }
    dump_logs(u);
    return NULL;
}

/* The run's trades from InfluxDB, oldest first, checked against the offline fills:
 * returns how many matched as a contiguous prefix (== the number stored when all do). */
static size_t check_prefix(fx *f, const char *run_id, size_t *stored)
{
    char q[400];
    snprintf(q, sizeof q, "SELECT side, qty, price FROM bot_trade WHERE run_id = '%s' ORDER BY time ASC",
             run_id);
    json_t *j = influx_query(f->run.env.db, q);
    json_t *vals = json_object_get(
        json_array_get(json_object_get(json_array_get(json_object_get(j, "results"), 0), "series"), 0),
        "values");
    size_t n = json_array_size(vals), ok = 0;
    for (size_t i = 0; i < n && i < f->n_offline; i++) {
        json_t *row = json_array_get(vals, i);
        const char *side = json_string_value(json_array_get(row, 1));
        double qty = json_number_value(json_array_get(row, 2)), px = json_number_value(json_array_get(row, 3));
        if (!side || strcmp(side, f->offline[i].side) != 0 || fabs(qty - f->offline[i].qty) > 1e-12 ||
            fabs(px - f->offline[i].price) > 1e-9 * f->offline[i].price) {
            fprintf(stderr, "trade %zu differs: %s %.9g @ %.12g, offline %s %.9g @ %.12g\n", i,
                    side ? side : "?", qty, px, f->offline[i].side, f->offline[i].qty, f->offline[i].price);
            break;
        }
        ok++;
    }
    json_decref(j);
    *stored = n;
    return ok;
}

static void test_paper_run(void **state)
{
    fx *f = *state;
    Sath__V1__BotStatus *st = start(&f->run.u);
    assert_non_null(st);
    char run[37];
    snprintf(run, sizeof run, "%s", st->run_id);
    sath__v1__bot_status__free_unpacked(st, NULL);

    /* within 30 s: heartbeat and equity */
    st = wait_heartbeat(&f->run.u, 0, 30000);
    assert_non_null(st);
    assert_true(st->equity > 900 && st->equity < 1100);
    sath__v1__bot_status__free_unpacked(st, NULL);

    /* trades: the offline run's, in order */
    char q[300];
    snprintf(q, sizeof q, "SELECT qty FROM bot_trade WHERE run_id = '%s'", run);
    assert_true(influx_wait_rows(f->run.env.db, q, 4, 30000) >= 4);
    size_t stored = 0, ok = check_prefix(f, run, &stored);
    assert_true(stored >= 4);
    assert_int_equal(ok, stored);

    /* JSON log lines, without the token */
    Sath__V1__GetBotLogsResponse *logs = botcall_logs(&f->run.u, 200, 0);
    assert_non_null(logs);
    size_t json_lines = 0;
    for (size_t i = 0; i < logs->n_lines; i++) {
        assert_null(strstr(logs->lines[i]->text, "sathrt_"));
        json_t *j = json_loads(logs->lines[i]->text, 0, NULL);
        if (j && json_object_get(j, "level") && json_object_get(j, "msg") && json_object_get(j, "time"))
            json_lines++;
        json_decref(j);
    }
    if (json_lines < 2)
        for (size_t i = 0; i < logs->n_lines; i++)
            fprintf(stderr, "log: %s\n", logs->lines[i]->text);
    assert_true(json_lines >= 2);
    sath__v1__get_bot_logs_response__free_unpacked(logs, NULL);

    Sath__V1__GetBotPerformanceRequest pr = SATH__V1__GET_BOT_PERFORMANCE_REQUEST__INIT;
    Sath__V1__BotPerformance *perf = NULL;
    assert_int_equal(sath_bot_get_bot_performance(f->run.u.c, &pr, &perf, NULL), SATH_OK);
    assert_true(perf->n_points >= 1);
    assert_true(perf->n_trades >= 1);
    /* no range given: it starts at this user's first run of the day (seconds ago), not 24 h
     * back, so the curve has 1 s buckets instead of one 432 s bucket */
    assert_non_null(perf->since);
    assert_non_null(perf->step);
    assert_true(perf->since->seconds > (int64_t)time(NULL) - 600);
    assert_int_equal(perf->step->seconds, 1);
    sath__v1__bot_performance__free_unpacked(perf, NULL);

    /* sathd restarted under the running bot (same port) */
    size_t before = stored;
    assert_int_equal(botenv_sathd_restart(&f->run.e), 0);
    assert_int_equal(botuser_reconnect(&f->run.e, &f->run.u), 0);
    int64_t restarted = (int64_t)time(NULL);
    st = wait_heartbeat(&f->run.u, restarted, 30000);
    assert_non_null(st); /* reports resumed */
    assert_string_equal(st->run_id, run);
    sath__v1__bot_status__free_unpacked(st, NULL);
    assert_true(influx_wait_rows(f->run.env.db, q, before + 2, 30000) >= before + 2);
    ok = check_prefix(f, run, &stored);
    assert_int_equal(ok, stored); /* no gap, nothing out of order */

    /* stop: exit 0 and a final report */
    st = botcall_stop_wait(&f->run.u, 20000);
    assert_int_equal(st->last_exit_code, 0);
    int64_t trades_then = st->trades;
    assert_true(trades_then >= (int64_t)stored);
    double final_equity = st->equity, final_realized = st->realized_pnl;
    snprintf(q, sizeof q, "SELECT equity FROM bot_equity WHERE run_id = '%s' AND final = 1", run);
    assert_int_equal(influx_wait_rows(f->run.env.db, q, 1, 10000), 1);
    /* the curve's last point is the last report (a close, not a mean over its step), so
     * it ends where the bot ended */
    Sath__V1__GetBotPerformanceRequest pr2 = SATH__V1__GET_BOT_PERFORMANCE_REQUEST__INIT;
    Sath__V1__BotPerformance *perf2 = NULL;
    assert_int_equal(sath_bot_get_bot_performance(f->run.u.c, &pr2, &perf2, NULL), SATH_OK);
    assert_true(perf2->n_points >= 1);
    const Sath__V1__EquityPoint *lastp = perf2->points[perf2->n_points - 1];
    assert_true(fabs(lastp->equity - final_equity) < 1e-6);
    assert_true(fabs(lastp->realized_pnl - final_realized) < 1e-6);
    sath__v1__bot_performance__free_unpacked(perf2, NULL);
    sath__v1__bot_status__free_unpacked(st, NULL);

    /* a new run resumes from the last reported state (trade count carried over) */
    st = start(&f->run.u);
    assert_non_null(st);
    assert_string_not_equal(st->run_id, run);
    sath__v1__bot_status__free_unpacked(st, NULL);
    st = wait_heartbeat(&f->run.u, 0, 30000);
    assert_non_null(st);
    assert_true(st->trades >= trades_then);
    sath__v1__bot_status__free_unpacked(st, NULL);
    botcall_free_status(botcall_stop_wait(&f->run.u, 20000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paper_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
