/*
 * torture_botai.c - the AI key of a run, end to end: a user stores an OpenAI key
 * (KeysService, encrypted at rest) and names it in the bot's config; sathd decrypts it
 * into the run's config (BotAgentService); the real sath-bot under sath-orchestrator
 * (process backend, sim feed) asks the provider before each entry.  The provider is
 * tests/bot/fake_ai.py, reached through sath-bot's --ai-url; never a real one.
 *
 *   - the provider sees the user's key as its bearer token, and questions naming the
 *     run's symbol; while it says NO the bot opens no position (no trade reported)
 *   - once it says YES the bot trades
 *   - the key never appears in the bot's log lines; the log says the filter is on and
 *     which entries were vetoed
 */
#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agentenv.h"
#include "botcalls.h"
#include "fakex.h"

#define KEY "sk-proj-e2e-7c1f0a9d3b6e4f2a8c5d1e7b0a3f6c9d"
/* a long AI timeout: a question that timed out on a loaded machine would let an entry
 * through (the fallback) and fail the "no trade while NO" check */
#define BOT_ARGS \
    "--tick-ms 40 --heartbeat-ms 300 --seed 42 --volatility 0.01 --ai-backoff-ms 0 --ai-timeout-ms 15000"

typedef struct fx {
    botrun_fx b; /* sathd + orchestrator running sath-bot, and the user */
    fakex ai;    /* tests/bot/fake_ai.py */
} fx;

/* What the fake answers from now on. */
static void answer(fx *f, const char *text)
{
    assert_int_equal(fakeai_configure(&f->ai, text, 200, 0), 0);
}

/* The fake's requests (json_decref). */
static json_t *calls(fx *f)
{
    json_t *c = fakeai_calls(&f->ai);
    assert_non_null(c);
    return c;
}

static int setup(void **state)
{
    if (!getenv("SATH_FAKE_AI") || !getenv("SATH_BOT_BIN"))
        return -1;
    fx *f = calloc(1, sizeof *f);
    *state = f;
    if (!f)
        return -1;
    char args[300];
    if (fakeai_start(&f->ai, KEY) != 0)
        return -1;
    snprintf(args, sizeof args, BOT_ARGS " --ai-url %s --ai-model gpt-e2e", f->ai.base);
    if (botrun_fx_start(&f->b, 0, args) != 0)
        return -1;
    Sath__V1__CreateAiKeyRequest req = SATH__V1__CREATE_AI_KEY_REQUEST__INIT;
    req.provider = SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI;
    req.label = (char *)"e2e";
    req.api_key = (char *)KEY;
    Sath__V1__AiKey *key = NULL;
    int rc = sath_keys_create_ai_key(f->b.u.c, &req, &key, NULL);
    if (rc != SATH_OK) {
        fprintf(stderr, "CreateAiKey: %s: %s\n", sath_err_name(rc), sath_client_last_error_message(f->b.u.c));
        return -1;
    }
    botcfg cfg = {.n_symbols = 1, .capital_cents = 100000, .risk_bps = 100,
                  .strategy = "sma_crossover", .ai_key_id = key->id};
    rc = botuser_store_config(&f->b.u, &cfg, NULL);
    sath__v1__ai_key__free_unpacked(key, NULL);
    return rc == SATH_OK ? 0 : -1;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    botrun_fx_stop(&f->b);
    fakex_stop(&f->ai);
    free(f);
    return 0;
}

static int64_t reported_trades(botuser *u)
{
    Sath__V1__BotStatus *st = botuser_status(u);
    assert_non_null(st);
    int64_t n = st->last_heartbeat_at ? st->trades : -1;
    sath__v1__bot_status__free_unpacked(st, NULL);
    return n;
}

static void test_entries_need_the_providers_yes(void **state)
{
    fx *f = *state;
    answer(f, "NO");
    botcall_free_status(botcall(&f->b.u, "start"));

    /* at least three questions, all with the user's key, about the run's symbol */
    size_t n = 0;
    for (int waited = 0; waited < 30000 && n < 3; waited += 200) {
        json_t *c = calls(f);
        n = json_array_size(c);
        json_decref(c);
        sleep_ms(200);
    }
    assert_true(n >= 3);
    json_t *c = calls(f);
    size_t i;
    json_t *call;
    json_array_foreach(c, i, call) {
        assert_true(json_is_true(json_object_get(call, "ok"))); /* key, headers and body accepted */
        assert_string_equal(json_string_value(json_object_get(call, "model")), "gpt-e2e");
        assert_non_null(strstr(json_string_value(json_object_get(call, "question")), "Symbol BTCUSDT."));
    }
    json_decref(c);
    /* every entry vetoed: heartbeats come, trades do not (the same seed without the
     * filter trades within a few seconds: torture_botrun) */
    sleep_ms(1500);
    assert_int_equal(reported_trades(&f->b.u), 0);

    answer(f, "YES");
    int64_t trades = 0;
    for (int waited = 0; waited < 30000 && trades < 1; waited += 200) {
        trades = reported_trades(&f->b.u);
        sleep_ms(200);
    }
    assert_true(trades >= 1);

    Sath__V1__BotStatus *st = botcall_stop_wait(&f->b.u, 20000);
    assert_int_equal(st->last_exit_code, 0);
    botcall_free_status(st);

    Sath__V1__GetBotLogsResponse *logs = botcall_logs(&f->b.u, 2000, 0);
    assert_non_null(logs);
    int on = 0, vetoed = 0;
    for (size_t k = 0; k < logs->n_lines; k++) {
        const char *t = logs->lines[k]->text;
        assert_null(strstr(t, KEY));
        assert_null(strstr(t, "e2e-7c1f0a9d")); /* not even a piece of it */
        on |= strstr(t, "\"msg\":\"AI filter on: entries are confirmed by the AI provider\"") != NULL;
        vetoed += strstr(t, "\"msg\":\"entry vetoed by the AI filter\"") != NULL;
    }
    sath__v1__get_bot_logs_response__free_unpacked(logs, NULL);
    assert_true(on);
    assert_true(vetoed >= 3);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entries_need_the_providers_yes),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
