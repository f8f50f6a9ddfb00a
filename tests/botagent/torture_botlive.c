/*
 * torture_botlive.c - sath-bot in LIVE mode end to end: sathd + sath-orchestrator +
 * sath-bot, the exchange key stored through KeysService and handed to the bot by
 * GetRunConfig, orders sent to tests/bot/fake_exchange.py (which checks the key and every
 * signature, and here never fills, so orders stay open), then StopBot: every order the
 * bot placed is cancelled before it exits 0, and no secret reaches the bot's log.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agentenv.h"
#include "botenv.h"

#define KEY "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
#define SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

typedef struct fx {
    botenv e;
    pid_t fake;
    char fake_dir[64], fake_base[64];
    botrun_env env;
    botuser u;
} fx;

static int start_fake(fx *f)
{
    snprintf(f->fake_dir, sizeof f->fake_dir, "/tmp/sath-fakex-XXXXXX");
    if (!mkdtemp(f->fake_dir))
        return -1;
    char pf[128];
    snprintf(pf, sizeof pf, "%s/port", f->fake_dir);
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    f->fake = fork();
    if (f->fake == 0) {
        execlp(py, py, getenv("SATH_FAKE_EXCHANGE"), "--port-file", pf, "--key", KEY, "--secret",
               SECRET, "--fill-after", "1000000", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100 && !f->fake_base[0]; i++) {
        FILE *pfh = fopen(pf, "r");
        int port = 0;
        if (pfh && fscanf(pfh, "%d", &port) == 1 && port > 0)
            snprintf(f->fake_base, sizeof f->fake_base, "http://127.0.0.1:%d", port);
        if (pfh)
            fclose(pfh);
        sleep_ms(100);
    }
    return f->fake_base[0] ? 0 : -1;
}

static int live_config(fx *f)
{
    if (sathd_proc_set_plan(&f->e.sathd, f->u.id, "pro") != 0)
        return -1;
    Sath__V1__CreateExchangeKeyRequest kr = SATH__V1__CREATE_EXCHANGE_KEY_REQUEST__INIT;
    kr.exchange = SATH__V1__EXCHANGE__EXCHANGE_BINANCE;
    kr.label = (char *)"live";
    kr.api_key = (char *)KEY;
    kr.api_secret = (char *)SECRET;
    kr.is_testnet = 1;
    Sath__V1__ExchangeKey *k = NULL;
    if (sath_keys_create_exchange_key(f->u.c, &kr, &k, NULL) != SATH_OK)
        return -1;
    static char s1[] = "BTCUSDT", s2[] = "ETHUSDT";
    char *syms[] = {s1, s2};
    Sath__V1__BotConfig cfg = SATH__V1__BOT_CONFIG__INIT;
    cfg.symbols = syms;
    cfg.n_symbols = 2;
    cfg.mode = SATH__V1__BOT_MODE__BOT_MODE_LIVE;
    cfg.capital_cents = 100000;
    cfg.risk_per_trade_bps = 100;
    cfg.strategy = (char *)"sma_crossover";
    cfg.exchange_key_id = k->id;
    Sath__V1__UpdateBotConfigRequest req = SATH__V1__UPDATE_BOT_CONFIG_REQUEST__INIT;
    req.config = &cfg;
    Sath__V1__BotConfig *out = NULL;
    int rc = sath_bot_update_bot_config(f->u.c, &req, &out, NULL);
    if (out)
        sath__v1__bot_config__free_unpacked(out, NULL);
    sath__v1__exchange_key__free_unpacked(k, NULL);
    return rc == SATH_OK ? 0 : -1;
}

static int setup(void **state)
{
    if (!getenv("SATH_BOT_BIN") || !getenv("SATH_FAKE_EXCHANGE"))
        return -1;
    fx *f = calloc(1, sizeof *f);
    *state = f;
    if (start_fake(f) != 0)
        return -1;
    char args[300];
    snprintf(args, sizeof args, "--binance-url %s --tick-ms 50 --heartbeat-ms 300 --grace-ms 2000 "
             "--http-timeout-ms 2000", f->fake_base);
    botrun_env_init(&f->env, 0, args);
    if (botenv_start2(&f->e, f->env.orch, f->env.sathd) != 0 || botuser_new(&f->e, &f->u) != 0 ||
        live_config(f) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    botuser_free(&f->u);
    botenv_stop(&f->e);
    if (f->fake > 0) {
        kill(f->fake, SIGTERM);
        waitpid(f->fake, NULL, 0);
    }
    char pf[128];
    snprintf(pf, sizeof pf, "%s/port", f->fake_dir);
    unlink(pf);
    rmdir(f->fake_dir);
    free(f);
    return 0;
}

static json_t *fake_state(fx *f)
{
    char url[128];
    long code = 0;
    snprintf(url, sizeof url, "%s/_fake/state", f->fake_base);
    char *body = http_get(url, NULL, &code);
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;
    free(body);
    return j;
}

static size_t count_status(json_t *st, const char *status)
{
    size_t n = 0, i;
    json_t *o;
    json_array_foreach(json_object_get(st, "orders"), i, o) {
        if (!status || strcmp(json_string_value(json_object_get(o, "status")), status) == 0)
            n++;
    }
    return n;
}

static void test_live_orders_cancelled_on_stop(void **state)
{
    fx *f = *state;
    Sath__V1__StartBotRequest sr = SATH__V1__START_BOT_REQUEST__INIT;
    Sath__V1__BotStatus *st = NULL;
    assert_int_equal(sath_bot_start_bot(f->u.c, &sr, &st, NULL), SATH_OK);
    assert_int_equal(st->mode, SATH__V1__BOT_MODE__BOT_MODE_LIVE);
    sath__v1__bot_status__free_unpacked(st, NULL);
    st = botuser_wait(&f->u, SATH__V1__BOT_STATE__BOT_STATE_RUNNING, 20000);
    assert_non_null(st);
    sath__v1__bot_status__free_unpacked(st, NULL);

    /* the bot places signed orders with the key it got from sathd; none fills */
    json_t *fs = NULL;
    for (int waited = 0; waited < 60000; waited += 200) {
        json_decref(fs);
        fs = fake_state(f);
        if (count_status(fs, "NEW") >= 1)
            break;
        sleep_ms(200);
    }
    assert_true(count_status(fs, "NEW") >= 1);
    assert_int_equal(json_array_size(json_object_get(fs, "bad")), 0); /* every request signed right */
    json_decref(fs);

    Sath__V1__StopBotRequest stop = SATH__V1__STOP_BOT_REQUEST__INIT;
    assert_int_equal(sath_bot_stop_bot(f->u.c, &stop, &st, NULL), SATH_OK);
    sath__v1__bot_status__free_unpacked(st, NULL);
    st = botuser_wait(&f->u, SATH__V1__BOT_STATE__BOT_STATE_STOPPED, 20000);
    assert_non_null(st);
    assert_int_equal(st->last_exit_code, 0);
    sath__v1__bot_status__free_unpacked(st, NULL);

    fs = fake_state(f);
    size_t all = count_status(fs, NULL);
    assert_true(all >= 1);
    assert_int_equal(count_status(fs, "NEW"), 0); /* nothing left behind on the exchange */
    assert_int_equal(count_status(fs, "CANCELED"), all);
    json_decref(fs);

    /* the log has the cancellations and never the key or secret */
    Sath__V1__GetBotLogsRequest lr = SATH__V1__GET_BOT_LOGS_REQUEST__INIT;
    lr.tail = 2000;
    Sath__V1__GetBotLogsResponse *logs = NULL;
    assert_int_equal(sath_bot_get_bot_logs(f->u.c, &lr, &logs, NULL), SATH_OK);
    int cancelled = 0;
    for (size_t i = 0; i < logs->n_lines; i++) {
        assert_null(strstr(logs->lines[i]->text, SECRET));
        assert_null(strstr(logs->lines[i]->text, KEY));
        cancelled |= strstr(logs->lines[i]->text, "order cancelled") != NULL;
    }
    assert_true(cancelled);
    sath__v1__get_bot_logs_response__free_unpacked(logs, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_orders_cancelled_on_stop),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
