/*
 * torture_bot_ai.c - sath-bot's AI confirmation of entries (bot/ai_filter.c) against a
 * local fake provider (fake_ai.py) that checks keys, headers and request bodies the way
 * OpenAI's and Anthropic's APIs do.  Never a real provider.
 *
 *   - OpenAI and Anthropic shapes: the right auth headers and version, the model, a
 *     question naming the symbol, the signal and the recent prices; YES confirms, NO
 *     vetoes, and a vetoed symbol is not asked about again for the next 16 prices
 *   - the provider fails (wrong key: 401, overloaded: 529, slower than the timeout, an
 *     answer that is neither YES nor NO): the strategy's signal stands, and after a
 *     failure the provider is not asked again within the backoff
 *   - in the engine: a paper run on seed 42 whose provider says YES makes exactly the
 *     trades of the run without a filter; one whose provider says NO makes none
 *   - a provider the filter does not speak (openai_compatible) gives no filter
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "ai_filter.h"
#include "engine.h"
#include "fakex.h"
#include "paperrun.h"

#define KEY "sk-test-4f9d2c7a1b8e6f3d0a5c9b2e7d4f1a8c"

typedef struct fx {
    fakex ai; /* tests/bot/fake_ai.py */
} fx;

static int setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    *state = x;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return x && fakeai_start(&x->ai, KEY) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    fx *x = *state;
    if (x)
        fakex_stop(&x->ai);
    free(x);
    curl_global_cleanup();
    return 0;
}

/* What the fake answers from now on. */
static void configure(fx *x, const char *answer, int status, int delay_ms)
{
    assert_int_equal(fakeai_configure(&x->ai, answer, status, delay_ms), 0);
}

/* The requests the fake has seen (json_decref it). */
static json_t *calls(fx *x)
{
    json_t *c = fakeai_calls(&x->ai);
    assert_non_null(c);
    return c;
}

static json_t *last_call(fx *x, size_t *n)
{
    json_t *c = calls(x);
    *n = json_array_size(c);
    assert_true(*n > 0);
    json_t *last = json_incref(json_array_get(c, *n - 1));
    json_decref(c);
    return last;
}

static bot_ai_filter *filter(fx *x, const char *provider, const char *key, const char *model,
                             long timeout_ms, long backoff_ms)
{
    bot_ai_params p = {provider, key, x->ai.base, model, timeout_ms, backoff_ms, 2};
    char err[128];
    bot_ai_filter *f = bot_ai_filter_new(&p, err, sizeof err);
    if (!f)
        fprintf(stderr, "bot_ai_filter_new: %s\n", err);
    assert_non_null(f);
    return f;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One provider: YES confirms, NO vetoes and sticks for 16 prices; checks what was sent. */
static void yes_then_no(fx *x, const char *provider, const char *model, const char *want_model,
                        const char *want_path)
{
    bot_ai_filter *f = filter(x, provider, KEY, model, 3000, 0);
    assert_non_null(f);
    bot_ai_filter_observe(f, 1, 100.5);
    bot_ai_filter_observe(f, 1, 101.25);
    bot_ai_filter_observe(f, 1, 99.75);
    configure(x, "YES", 200, 0);
    assert_int_equal(bot_ai_filter_ask(f, 1, "ETHUSDT", "sma_crossover", 99.75), BOT_AI_CONFIRMED);
    size_t n0;
    json_t *c = last_call(x, &n0);
    assert_true(json_is_true(json_object_get(c, "ok")));
    assert_string_equal(json_string_value(json_object_get(c, "path")), want_path);
    assert_string_equal(json_string_value(json_object_get(c, "model")), want_model);
    const char *q = json_string_value(json_object_get(c, "question"));
    assert_non_null(strstr(q, "Symbol ETHUSDT."));
    assert_non_null(strstr(q, "sma_crossover strategy signals BUY at 99.75"));
    assert_non_null(strstr(q, "oldest first: 100.5 101.25 99.75."));
    assert_non_null(strstr(json_string_value(json_object_get(c, "system")), "exactly one word: YES"));
    json_decref(c);

    configure(x, " no.", 200, 0); /* case, blanks and punctuation as a model writes them */
    assert_int_equal(bot_ai_filter_ask(f, 1, "ETHUSDT", "sma_crossover", 99.5), BOT_AI_VETOED);
    /* vetoed for the next 16 prices of that symbol, without asking; the other symbol asks */
    for (int k = 0; k < 15; k++) {
        bot_ai_filter_observe(f, 1, 99.0);
        assert_int_equal(bot_ai_filter_ask(f, 1, "ETHUSDT", "sma_crossover", 99.0), BOT_AI_VETOED);
    }
    size_t n1;
    json_decref(last_call(x, &n1));
    assert_int_equal(n1, n0 + 1);
    bot_ai_filter_observe(f, 1, 98.0);
    configure(x, "Yes", 200, 0);
    assert_int_equal(bot_ai_filter_ask(f, 1, "ETHUSDT", "sma_crossover", 98.0), BOT_AI_CONFIRMED);
    const bot_ai_stats *s = bot_ai_filter_stats(f);
    assert_int_equal(s->asked, 3);
    assert_int_equal(s->confirmed, 2);
    assert_int_equal(s->vetoed, 16);
    assert_int_equal(s->failed, 0);
    bot_ai_filter_free(f);
}

static void test_openai(void **state)
{
    yes_then_no(*state, "openai", "gpt-test", "gpt-test", "/v1/chat/completions");
}

static void test_anthropic(void **state)
{
    yes_then_no(*state, "anthropic", NULL, "claude-3-5-haiku-latest", "/v1/messages");
}

/* Every failure lets the strategy's signal stand (not a veto). */
static void test_failures_fall_back_to_the_strategy(void **state)
{
    fx *x = *state;
    size_t n;
    /* a wrong key: refused by the provider's auth check */
    bot_ai_filter *f = filter(x, "anthropic", "sk-ant-wrong-key-0000000000", NULL, 3000, 0);
    configure(x, "NO", 200, 0);
    bot_ai_outcome o = bot_ai_filter_ask(f, 0, "BTCUSDT", "grid", 50000);
    assert_int_equal(o, BOT_AI_FAILED);
    assert_true(bot_ai_allows(o));
    json_t *c = last_call(x, &n);
    assert_true(json_is_false(json_object_get(c, "ok")));
    assert_string_equal(json_string_value(json_object_get(c, "reason")), "x-api-key");
    json_decref(c);
    bot_ai_filter_free(f);

    f = filter(x, "openai", KEY, NULL, 3000, 0);
    configure(x, "NO", 529, 0); /* overloaded */
    assert_int_equal(bot_ai_filter_ask(f, 0, "BTCUSDT", "grid", 50000), BOT_AI_FAILED);
    configure(x, "I would rather not say", 200, 0);
    assert_int_equal(bot_ai_filter_ask(f, 0, "BTCUSDT", "grid", 50000), BOT_AI_FAILED);
    assert_int_equal(bot_ai_filter_stats(f)->failed, 2);
    bot_ai_filter_free(f);

    /* slower than the timeout: the tick waits no longer than the timeout */
    f = filter(x, "openai", KEY, NULL, 300, 0);
    configure(x, "NO", 200, 1500);
    int64_t t0 = now_ms();
    assert_int_equal(bot_ai_filter_ask(f, 0, "BTCUSDT", "grid", 50000), BOT_AI_FAILED);
    int64_t took = now_ms() - t0;
    assert_true(took >= 250 && took < 1200);
    bot_ai_filter_free(f);
}

static void test_backoff_after_a_failure(void **state)
{
    fx *x = *state;
    bot_ai_filter *f = filter(x, "openai", KEY, NULL, 3000, 60000);
    configure(x, "NO", 500, 0);
    size_t before, after;
    json_decref(calls(x)); /* reachable */
    assert_int_equal(bot_ai_filter_ask(f, 0, "BTCUSDT", "rsi_reversion", 50000), BOT_AI_FAILED);
    json_decref(last_call(x, &before));
    configure(x, "NO", 200, 0); /* healthy again, but within the backoff nobody asks */
    for (int k = 0; k < 5; k++)
        assert_int_equal(bot_ai_filter_ask(f, k % 2, "BTCUSDT", "rsi_reversion", 50000), BOT_AI_SKIPPED);
    json_decref(last_call(x, &after));
    assert_int_equal(after, before);
    assert_int_equal(bot_ai_filter_stats(f)->skipped, 5);
    bot_ai_filter_free(f);
}

/* Fills of 500 ticks of the reference paper run (torture_bot_core's run). */
static int64_t paper_run(bot_ai_filter *ai)
{
    paperrun r;
    assert_int_equal(paperrun_init(&r, NULL, NULL, ai), 0);
    for (int t = 0; t < 500; t++)
        bot_engine_tick(&r.engine, 1);
    int64_t trades = r.wallet.trades;
    paperrun_free(&r);
    return trades;
}

static void test_engine_asks_before_entries(void **state)
{
    fx *x = *state;
    int64_t plain = paper_run(NULL);
    assert_int_equal(plain, 29); /* torture_bot_core's figure */

    bot_ai_params p = {"openai", KEY, x->ai.base, NULL, 3000, 0, 1};
    char err[64];
    bot_ai_filter *yes = bot_ai_filter_new(&p, err, sizeof err);
    configure(x, "YES", 200, 0);
    assert_int_equal(paper_run(yes), plain);
    /* one question per entry: 29 fills = 15 buys + 14 sells */
    assert_int_equal(bot_ai_filter_stats(yes)->asked, 15);
    bot_ai_filter_free(yes);

    bot_ai_filter *no = bot_ai_filter_new(&p, err, sizeof err);
    configure(x, "NO", 200, 0);
    assert_int_equal(paper_run(no), 0);
    assert_true(bot_ai_filter_stats(no)->asked >= 1);
    assert_int_equal(bot_ai_filter_stats(no)->failed, 0);
    bot_ai_filter_free(no);
}

static void test_unsupported_provider(void **state)
{
    fx *x = *state;
    bot_ai_params p = {"openai_compatible", KEY, x->ai.base, NULL, 3000, 0, 1};
    char err[128];
    assert_null(bot_ai_filter_new(&p, err, sizeof err));
    assert_non_null(strstr(err, "openai_compatible"));
    bot_ai_params nokey = {"openai", "", x->ai.base, NULL, 3000, 0, 1};
    assert_null(bot_ai_filter_new(&nokey, err, sizeof err));
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openai),
        cmocka_unit_test(test_anthropic),
        cmocka_unit_test(test_failures_fall_back_to_the_strategy),
        cmocka_unit_test(test_backoff_after_a_failure),
        cmocka_unit_test(test_engine_asks_before_entries),
        cmocka_unit_test(test_unsupported_provider),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
