/*
 * torture_botlive.c - sath-bot in LIVE mode end to end: sathd + sath-orchestrator +
 * sath-bot, the exchange key stored through KeysService and handed to the bot by
 * GetRunConfig, orders sent to tests/bot/fake_exchange.py (which checks the key and every
 * signature, and here never fills, so orders stay open), then StopBot: every order the
 * bot placed is cancelled before it exits 0, and no secret reaches the bot's log.
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

#include "agentenv.h"
#include "botcalls.h"
#include "fakex.h"

#define KEY "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
#define SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

typedef struct fx {
    botrun_fx run;
    fakex fake;
} fx;

static int live_config(fx *f)
{
    if (sathd_proc_set_plan(&f->run.e.sathd, f->run.u.id, "pro") != 0)
        return -1;
    char key_id[37];
    if (botuser_exchange_key(&f->run.u, "live", KEY, SECRET, 1, key_id) != SATH_OK)
        return -1;
    botcfg cfg = {.n_symbols = 2, .capital_cents = 100000, .live = 1, .risk_bps = 100,
                  .strategy = "sma_crossover", .exchange_key_id = key_id};
    return botuser_store_config(&f->run.u, &cfg, NULL) == SATH_OK ? 0 : -1;
}

static int setup(void **state)
{
    if (!getenv("SATH_BOT_BIN") || !getenv("SATH_FAKE_EXCHANGE"))
        return -1;
    fx *f = calloc(1, sizeof *f);
    *state = f;
    static const char *const never_fill[] = {"--fill-after", "1000000", NULL};
    if (fakex_start(&f->fake, KEY, SECRET, never_fill) != 0)
        return -1;
    char args[300];
    snprintf(args, sizeof args, "--binance-url %s --tick-ms 50 --heartbeat-ms 300 --grace-ms 2000 "
             "--http-timeout-ms 2000", f->fake.base);
    return botrun_fx_start(&f->run, 0, args) == 0 && live_config(f) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    botrun_fx_stop(&f->run);
    fakex_stop(&f->fake);
    free(f);
    return 0;
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
    Sath__V1__BotStatus *st = botcall(&f->run.u, "start");
    assert_int_equal(st->mode, SATH__V1__BOT_MODE__BOT_MODE_LIVE);
    sath__v1__bot_status__free_unpacked(st, NULL);
    st = botuser_wait(&f->run.u, SATH__V1__BOT_STATE__BOT_STATE_RUNNING, 20000);
    assert_non_null(st);
    sath__v1__bot_status__free_unpacked(st, NULL);

    /* the bot places signed orders with the key it got from sathd; none fills */
    json_t *fs = NULL;
    for (int waited = 0; waited < 60000; waited += 200) {
        json_decref(fs);
        fs = fakex_state(&f->fake);
        if (count_status(fs, "NEW") >= 1)
            break;
        sleep_ms(200);
    }
    assert_true(count_status(fs, "NEW") >= 1);
    assert_int_equal(json_array_size(json_object_get(fs, "bad")), 0); /* every request signed right */
    json_decref(fs);

    st = botcall_stop_wait(&f->run.u, 20000);
    assert_int_equal(st->last_exit_code, 0);
    sath__v1__bot_status__free_unpacked(st, NULL);

    fs = fakex_state(&f->fake);
    size_t all = count_status(fs, NULL);
    assert_true(all >= 1);
    assert_int_equal(count_status(fs, "NEW"), 0); /* nothing left behind on the exchange */
    assert_int_equal(count_status(fs, "CANCELED"), all);
    json_decref(fs);

    /* the log has the cancellations and never the key or secret */
    Sath__V1__GetBotLogsResponse *logs = botcall_logs(&f->run.u, 2000, 0);
    assert_non_null(logs);
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
