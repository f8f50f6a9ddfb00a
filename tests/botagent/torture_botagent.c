/*
 * torture_botagent.c - BotAgentService against a real sathd, PostgreSQL and InfluxDB
 * (no orchestrator: runs and run tokens are seeded in the database, so each case
 * controls exactly which token is current).
 *
 *   - run tokens open BotAgentService and nothing else; user tokens never open it;
 *     stale (an earlier run), revoked, expired and mismatched-user tokens are refused
 *   - GetRunConfig returns the run's config and the DECRYPTED exchange key
 *   - Heartbeat / ReportTrades land in InfluxDB with the run's tags; a bot cannot write
 *     another symbol, and a value with newlines/quotes stays one point (no line forging)
 *   - GetBotStatus shows the heartbeat and figures; GetBotPerformance returns the curve
 *     and the trades, over gRPC and REST; another user sees none of them
 *   - /metrics counts the points written
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "agentenv.h"
#include "botenv.h"

typedef struct fx {
    botenv e; /* only e.sathd is started */
    char db[32];
    char influx_env[300], db_env[64];
    const char *env[4];
    botuser a, b;
    char key_id[37];
} fx;

static int make_key_and_config(botuser *u, char key_id[37])
{
    if (botuser_exchange_key(u, "main", "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
                             "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j", 0,
                             key_id) != SATH_OK)
        return -1;
    botcfg cfg = {.n_symbols = 2, .capital_cents = 1000000, .risk_bps = 100,
                  .strategy = "ema_crossover", .exchange_key_id = key_id};
    return botuser_store_config(u, &cfg, NULL);
}

static int setup(void **state)
{
    if (!influx_url()) {
        fprintf(stderr, "SATH_TEST_INFLUX_URL not set: start the suite with tests/fixtures/services.sh\n");
        return -1;
    }
    fx *f = calloc(1, sizeof *f);
    influx_db_name(f->db);
    snprintf(f->influx_env, sizeof f->influx_env, "SATH_INFLUX_URL=%s", influx_url());
    snprintf(f->db_env, sizeof f->db_env, "SATH_INFLUX_DB=%s", f->db);
    f->env[0] = f->influx_env;
    f->env[1] = f->db_env;
    f->env[2] = NULL;
    *state = f;
    if (sathd_proc_start(&f->e.sathd, f->env) != 0)
        return -1;
    if (botuser_new(&f->e, &f->a) != 0 || botuser_new(&f->e, &f->b) != 0) {
        fprintf(stderr, "cannot register users\n");
        return -1;
    }
    if (sathd_proc_set_plan(&f->e.sathd, f->a.id, "pro") != 0)
        return -1;
    if (make_key_and_config(&f->a, f->key_id) != 0 || botuser_config(&f->b, 1, 100000, 0) != 0) {
        fprintf(stderr, "cannot store key/config: %s\n", sath_client_last_error_message(f->a.c));
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    botuser_free(&f->a);
    botuser_free(&f->b);
    assert_int_equal(sathd_proc_stop(&f->e.sathd), 0);
    free(f);
    return 0;
}

static void token(char out[64])
{
    unsigned char r[24];
    randombytes_buf(r, sizeof r);
    memcpy(out, "sathrt_", 7);
    sodium_bin2hex(out + 7, 64 - 7, r, 24);
}

static int run_config(sath_client *c, Sath__V1__RunConfig **out)
{
    Sath__V1__GetRunConfigRequest req = SATH__V1__GET_RUN_CONFIG_REQUEST__INIT;
    *out = NULL;
    return sath_bot_agent_get_run_config(c, &req, out, NULL);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ts_at_ms(Google__Protobuf__Timestamp *t, int64_t ms)
{
    t->seconds = ms / 1000;
    t->nanos = (int32_t)(ms % 1000) * 1000000;
}

static int heartbeat(sath_client *c, int64_t seq, double equity, const char *pos_symbol)
{
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    ts_at_ms(&ts, now_ms());
    Sath__V1__BotReport r = SATH__V1__BOT_REPORT__INIT;
    r.time = &ts;
    r.seq = seq;
    r.equity = equity;
    r.cash = equity / 2;
    r.trades = seq;
    Sath__V1__BotPosition p = SATH__V1__BOT_POSITION__INIT, *pp = &p;
    Sath__V1__BotPrice px = SATH__V1__BOT_PRICE__INIT, *ppx = &px;
    if (pos_symbol) {
        p.symbol = (char *)pos_symbol;
        p.qty = 0.5;
        p.avg_price = 100;
        p.last_price = 101;
        r.positions = &pp;
        r.n_positions = 1;
        px.symbol = (char *)pos_symbol;
        px.price = 101;
        r.last_prices = &ppx;
        r.n_last_prices = 1;
    }
    Sath__V1__AgentAck *ack = NULL;
    int rc = sath_bot_agent_heartbeat(c, &r, &ack, NULL);
    if (ack)
        sath__v1__agent_ack__free_unpacked(ack, NULL);
    return rc;
}

static int trade_at(sath_client *c, const char *symbol, const char *order_id,
                    Google__Protobuf__Timestamp *ts)
{
    Sath__V1__BotTrade t = SATH__V1__BOT_TRADE__INIT, *tp = &t;
    t.time = ts;
    t.symbol = (char *)symbol;
    t.side = (char *)"BUY";
    t.qty = 0.25;
    t.price = 30000.5;
    t.fee = 7.5;
    t.order_id = (char *)order_id;
    Sath__V1__ReportTradesRequest req = SATH__V1__REPORT_TRADES_REQUEST__INIT;
    req.trades = &tp;
    req.n_trades = 1;
    Sath__V1__AgentAck *ack = NULL;
    int rc = sath_bot_agent_report_trades(c, &req, &ack, NULL);
    if (ack)
        sath__v1__agent_ack__free_unpacked(ack, NULL);
    return rc;
}

static int trade(sath_client *c, const char *symbol, const char *order_id, int64_t offset_ms)
{
    static int64_t base_s;
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    if (!base_s)
        base_s = now_ms() / 1000; /* a fixed base: a retried trade carries the same time */
    ts_at_ms(&ts, base_s * 1000 + offset_ms);
    return trade_at(c, symbol, order_id, &ts);
}

/* Run tokens open BotAgentService only; user tokens never do; stale/revoked/expired no. */
static void test_auth_rules(void **state)
{
    fx *f = *state;
    char tok1[64], tok2[64], run1[37], run2[37];
    token(tok1);
    token(tok2);
    assert_int_equal(seed_run(&f->e.sathd, f->a.id, tok1, run1), 0);
    sath_client *bot = token_client(f->e.sathd.target, tok1);
    Sath__V1__RunConfig *cfg = NULL;
    assert_int_equal(run_config(bot, &cfg), SATH_OK);
    assert_string_equal(cfg->run_id, run1);
    assert_int_equal(cfg->n_symbols, 2);
    assert_string_equal(cfg->symbols[0], "BTCUSDT");
    assert_string_equal(cfg->strategy, "ema_crossover");
    assert_int_equal(cfg->capital_cents, 1000000);
    assert_string_equal(cfg->exchange, "binance");
    /* the decrypted key, exactly as stored */
    assert_string_equal(cfg->exchange_api_secret,
                        "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j");
    assert_null(cfg->resume);
    sath__v1__run_config__free_unpacked(cfg, NULL);

    /* the user's own access token is refused on the agent service */
    assert_int_equal(run_config(f->a.c, &cfg), SATH_UNAUTHENTICATED);
    /* the run token is refused everywhere else */
    Sath__V1__GetBotStatusRequest sreq = SATH__V1__GET_BOT_STATUS_REQUEST__INIT;
    Sath__V1__BotStatus *st = NULL;
    assert_int_equal(sath_bot_get_bot_status(bot, &sreq, &st, NULL), SATH_UNAUTHENTICATED);
    Sath__V1__GetMeRequest mreq = SATH__V1__GET_ME_REQUEST__INIT;
    Sath__V1__User *me = NULL;
    assert_int_equal(sath_user_get_me(bot, &mreq, &me, NULL), SATH_UNAUTHENTICATED);
    /* and over REST too (the agent service has no route at all) */
    char url[256];
    long code = 0;
    snprintf(url, sizeof url, "%s/api/v1/bot/status", f->e.sathd.http_base);
    free(test_http("GET", url, tok1, NULL, &code));
    assert_int_equal(code, 401);

    /* a new run makes the first token stale */
    assert_int_equal(seed_run(&f->e.sathd, f->a.id, tok2, run2), 0);
    assert_int_equal(run_config(bot, &cfg), SATH_UNAUTHENTICATED);
    sath_client *bot2 = token_client(f->e.sathd.target, tok2);
    assert_int_equal(run_config(bot2, &cfg), SATH_OK);
    sath__v1__run_config__free_unpacked(cfg, NULL);
    /* revoked, then expired */
    free(sathd_proc_sql(&f->e.sathd, "UPDATE bot_runs SET token_revoked_at = now() WHERE id = $1::uuid", run2));
    assert_int_equal(run_config(bot2, &cfg), SATH_UNAUTHENTICATED);
    free(sathd_proc_sql(&f->e.sathd,
                        "UPDATE bot_runs SET token_revoked_at = NULL, token_expires_at = now() - interval '1 s' "
                        "WHERE id = $1::uuid", run2));
    assert_int_equal(run_config(bot2, &cfg), SATH_UNAUTHENTICATED);
    /* a run row of user A pointed at by B's bot (user mismatch) is refused */
    char tok3[64], run3[37];
    token(tok3);
    assert_int_equal(seed_run(&f->e.sathd, f->b.id, tok3, run3), 0);
    char sql[300];
    snprintf(sql, sizeof sql, "UPDATE bot_runs SET user_id = '%s' WHERE id = $1::uuid RETURNING 1", f->a.id);
    free(sathd_proc_sql(&f->e.sathd, sql, run3));
    sath_client *bot3 = token_client(f->e.sathd.target, tok3);
    assert_int_equal(run_config(bot3, &cfg), SATH_UNAUTHENTICATED);
    /* garbage and user-looking tokens */
    sath_client *junk = token_client(f->e.sathd.target, "sathrt_nope");
    assert_int_equal(run_config(junk, &cfg), SATH_UNAUTHENTICATED);
    sath_client_free(junk);
    sath_client_free(bot3);
    sath_client_free(bot2);
    sath_client_free(bot);
}

/* Reports land in InfluxDB under the run's own tags; symbols outside the run are refused;
 * a hostile order id stays one point; figures and performance come back to the owner only. */
static void test_reports_and_tags(void **state)
{
    fx *f = *state;
    char ta[64], tb[64], ra[37], rb[37];
    token(ta);
    token(tb);
    assert_int_equal(seed_run(&f->e.sathd, f->a.id, ta, ra), 0);
    assert_int_equal(seed_run(&f->e.sathd, f->b.id, tb, rb), 0);
    sath_client *bot_a = token_client(f->e.sathd.target, ta);
    sath_client *bot_b = token_client(f->e.sathd.target, tb);

    assert_int_equal(heartbeat(bot_a, 1, 10000.0, "BTCUSDT"), SATH_OK);
    assert_int_equal(heartbeat(bot_a, 2, 10050.0, "ETHUSDT"), SATH_OK);
    /* B's run trades BTCUSDT only: another symbol is refused, in positions and trades */
    assert_int_equal(heartbeat(bot_b, 1, 5000.0, "ETHUSDT"), SATH_INVALID_ARGUMENT);
    assert_int_equal(trade(bot_b, "ETHUSDT", "o-1", 0), SATH_INVALID_ARGUMENT);
    assert_int_equal(heartbeat(bot_b, 1, 5000.0, "BTCUSDT"), SATH_OK);
    /* one trade of A with an order id built to forge a second line and a tag */
    const char *evil = "x\" 1\nbot_trade,user_id=" "victim" " qty=1 1";
    assert_int_equal(trade(bot_a, "BTCUSDT", evil, -10), SATH_OK);
    assert_int_equal(trade(bot_a, "ETHUSDT", "paper-2", -5), SATH_OK);
    assert_int_equal(trade(bot_a, "ETHUSDT", "paper-2", -5), SATH_OK); /* retried: stored once */
    /* out-of-window times are refused */
    assert_int_equal(trade(bot_a, "ETHUSDT", "old", -2LL * 86400 * 1000), SATH_INVALID_ARGUMENT);
    /* and so are times no Timestamp can hold (seconds * 1000 would overflow) */
    Google__Protobuf__Timestamp huge = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    huge.seconds = INT64_MAX;
    assert_int_equal(trade_at(bot_a, "ETHUSDT", "huge", &huge), SATH_INVALID_ARGUMENT);
    huge.seconds = INT64_MIN;
    assert_int_equal(trade_at(bot_a, "ETHUSDT", "tiny", &huge), SATH_INVALID_ARGUMENT);

    char q[512];
    snprintf(q, sizeof q, "SELECT * FROM bot_trade WHERE user_id = '%s'", f->a.id);
    assert_int_equal(influx_wait_rows(f->db, q, 2, 10000), 2);
    json_t *j = influx_query(f->db, q);
    json_t *series = json_array_get(json_object_get(json_array_get(json_object_get(j, "results"), 0), "series"), 0);
    /* every tag is the run's own */
    size_t ncol = json_array_size(json_object_get(series, "columns"));
    int c_oid = -1, c_run = -1, c_bot = -1, c_mode = -1;
    for (size_t i = 0; i < ncol; i++) {
        const char *name = json_string_value(json_array_get(json_object_get(series, "columns"), i));
        if (strcmp(name, "order_id") == 0) c_oid = (int)i;
        if (strcmp(name, "run_id") == 0) c_run = (int)i;
        if (strcmp(name, "bot_id") == 0) c_bot = (int)i;
        if (strcmp(name, "mode") == 0) c_mode = (int)i;
    }
    assert_true(c_oid >= 0 && c_run >= 0 && c_bot >= 0 && c_mode >= 0);
    json_t *row0 = json_array_get(json_object_get(series, "values"), 0);
    /* the newline became a space; the quote is kept inside the one field */
    assert_string_equal(json_string_value(json_array_get(row0, (size_t)c_oid)),
                        "x\" 1 bot_trade,user_id=victim qty=1 1");
    assert_string_equal(json_string_value(json_array_get(row0, (size_t)c_run)), ra);
    assert_string_equal(json_string_value(json_array_get(row0, (size_t)c_mode)), "paper");
    json_decref(j);
    assert_int_equal(influx_rows(f->db, "SELECT * FROM bot_trade WHERE user_id = 'victim'"), 0);
    snprintf(q, sizeof q, "SELECT * FROM bot_equity WHERE user_id = '%s'", f->b.id);
    assert_int_equal(influx_wait_rows(f->db, q, 1, 10000), 1);
    snprintf(q, sizeof q, "SELECT * FROM bot_price WHERE user_id = '%s' AND symbol = 'ETHUSDT'", f->b.id);
    assert_int_equal(influx_rows(f->db, q), 0);

    /* GetBotStatus: heartbeat + figures of the current run */
    Sath__V1__BotStatus *st = botuser_status(&f->a);
    assert_non_null(st);
    assert_non_null(st->last_heartbeat_at);
    assert_true(st->equity > 10049.9 && st->equity < 10050.1);
    assert_int_equal(st->trades, 2);
    sath__v1__bot_status__free_unpacked(st, NULL);
    /* an older report (lower seq, delivered late) does not replace the last state */
    assert_int_equal(heartbeat(bot_a, 1, 1.0, NULL), SATH_OK);
    st = botuser_status(&f->a);
    assert_true(st->equity > 10049.9);
    sath__v1__bot_status__free_unpacked(st, NULL);

    /* GetBotPerformance: A sees its points and its 2 trades, B sees only its own */
    Sath__V1__GetBotPerformanceRequest pr = SATH__V1__GET_BOT_PERFORMANCE_REQUEST__INIT;
    Sath__V1__BotPerformance *perf = NULL;
    assert_int_equal(sath_bot_get_bot_performance(f->a.c, &pr, &perf, NULL), SATH_OK);
    assert_true(perf->n_points >= 1);
    assert_int_equal(perf->n_trades, 2);
    assert_string_equal(perf->trades[0]->run_id, ra);
    sath__v1__bot_performance__free_unpacked(perf, NULL);
    assert_int_equal(sath_bot_get_bot_performance(f->b.c, &pr, &perf, NULL), SATH_OK);
    assert_int_equal(perf->n_trades, 0);
    sath__v1__bot_performance__free_unpacked(perf, NULL);
    /* bad ranges */
    Google__Protobuf__Duration step = GOOGLE__PROTOBUF__DURATION__INIT;
    step.nanos = 5000000;
    pr.step = &step;
    assert_int_equal(sath_bot_get_bot_performance(f->a.c, &pr, &perf, NULL), SATH_INVALID_ARGUMENT);
    pr.step = NULL;
    Google__Protobuf__Timestamp since = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    pr.since = &since;
    since.seconds = INT64_MAX; /* seconds * 1000 would overflow: refused, not wrapped */
    assert_int_equal(sath_bot_get_bot_performance(f->a.c, &pr, &perf, NULL), SATH_INVALID_ARGUMENT);
    since.seconds = INT64_MIN;
    assert_int_equal(sath_bot_get_bot_performance(f->a.c, &pr, &perf, NULL), SATH_INVALID_ARGUMENT);
    since.seconds = now_ms() / 1000 - 60;
    since.nanos = 1000000000;
    assert_int_equal(sath_bot_get_bot_performance(f->a.c, &pr, &perf, NULL), SATH_INVALID_ARGUMENT);
    pr.since = NULL;

    /* REST: GET /api/v1/bot/performance?step=60s with A's access token */
    char *access = NULL;
    sath_client_get_tokens(f->a.c, &access, NULL);
    char url[300];
    long code = 0;
    snprintf(url, sizeof url, "%s/api/v1/bot/performance?step=60s", f->e.sathd.http_base);
    char *body = test_http("GET", url, access, NULL, &code);
    assert_int_equal(code, 200);
    json_t *pj = json_loads(body, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(pj, "trades")), 2);
    assert_string_equal(json_string_value(json_object_get(pj, "step")), "60s");
    json_decref(pj);
    free(body);
    sath_free(access);

    /* /metrics counts what was written */
    snprintf(url, sizeof url, "%s/metrics", f->e.sathd.http_base);
    body = test_http("GET", url, NULL, NULL, &code);
    assert_non_null(strstr(body, "sathd_influx_points_written_total"));
    assert_null(strstr(body, "sathd_influx_points_written_total 0\n"));
    assert_non_null(strstr(body, "sathd_influx_up 1"));
    free(body);
    sath_client_free(bot_a);
    sath_client_free(bot_b);
}

/* GetRunConfig follows the effective plan: a live run of a pro user is allowed; once the
 * past-due grace period has run out (no webhook since: users.plan_id still says pro) the
 * same run is refused live trading, and the free plan is written. */
static void test_run_config_effective_plan(void **state)
{
    fx *f = *state;
    char tok[64], run[37];
    token(tok);
    assert_int_equal(seed_run(&f->e.sathd, f->a.id, tok, run), 0);
    free(sathd_proc_sql(&f->e.sathd, "UPDATE bot_runs SET mode = 'live' WHERE id = $1::uuid", run));
    sath_client *bot = token_client(f->e.sathd.target, tok);
    Sath__V1__RunConfig *cfg = NULL;
    assert_int_equal(run_config(bot, &cfg), SATH_OK);
    assert_int_equal(cfg->mode, SATH__V1__BOT_MODE__BOT_MODE_LIVE);
    assert_true(cfg->live_allowed);
    sath__v1__run_config__free_unpacked(cfg, NULL);
    assert_int_equal(sathd_proc_set_past_due(&f->e.sathd, f->a.id, 8), 0);
    cfg = NULL;
    assert_int_equal(run_config(bot, &cfg), SATH_FAILED_PRECONDITION);
    char *n = sathd_proc_plan_name(&f->e.sathd, f->a.id);
    assert_string_equal(n, "free");
    free(n);
    sath_client_free(bot);
    assert_int_equal(sathd_proc_set_plan(&f->e.sathd, f->a.id, "pro"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_rules),
        cmocka_unit_test(test_reports_and_tags),
        cmocka_unit_test(test_run_config_effective_plan),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
