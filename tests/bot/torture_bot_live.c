/*
 * torture_bot_live.c - sath-bot's live engine (bot/exec_live.c) against a local fake
 * exchange (fake_exchange.py) that checks API key, HMAC-SHA256 signature, recvWindow and
 * form encoding, and keeps order state.  Never a real exchange.
 *
 *   - a signed LIMIT order is accepted, fills on polling, and the fill reaches the wallet
 *   - a placement whose answer times out is not sent twice: the engine asks for the
 *     order by its client id and adopts it (one order on the exchange)
 *   - stop: every open order is cancelled and its reserved cash returned
 *   - a wrong secret is refused by the exchange's signature check
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
#include <curl/curl.h>
#include <jansson.h>

#include "exec.h"
#include "fakex.h"
#include "wallet.h"

#define KEY "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
#define SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

typedef struct fx {
    fakex fake;
    bot_wallet w;
    bot_fill fills[16];
    size_t n_fills;
} fx;

static void on_fill(void *arg, const bot_fill *f)
{
    fx *x = arg;
    if (x->n_fills < 16)
        x->fills[x->n_fills++] = *f;
}

static int setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    *state = x;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static const char *const opts[] = {"--fill-after", "2", "--slow-posts", "2", "--slow-ms", "1500",
                                       NULL};
    if (fakex_start(&x->fake, KEY, SECRET, opts) != 0)
        return -1;
    const char *syms[] = {"BTCUSDT", "ETHUSDT"};
    return bot_wallet_init(&x->w, syms, 2, 10000.0) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    fx *x = *state;
    fakex_stop(&x->fake);
    bot_wallet_free(&x->w);
    free(x);
    curl_global_cleanup();
    return 0;
}

static json_t *order_by_suffix(json_t *st, const char *suffix)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(st, "orders"), i, o) {
        const char *cid = json_string_value(json_object_get(o, "clientOrderId"));
        size_t l = strlen(cid), s = strlen(suffix);
        if (l >= s && strcmp(cid + l - s, suffix) == 0)
            return o;
    }
    return NULL;
}

static bot_exec *live(fx *x, const char *secret)
{
    bot_live_params p = {x->fake.base, KEY, secret, "t1abcdef-42", 500, 4, 5000};
    return bot_exec_live_new(&x->w, &p, 0.001, on_fill, x);
}

static void test_live_orders(void **state)
{
    fx *x = *state;
    bot_exec *e = live(x, SECRET);
    assert_non_null(e);
    char err[256];
    /* 1: a signed order, filled on the second status query */
    assert_int_equal(e->ops->submit(e, 0, 1, 0.5, 100.0, err, sizeof err), 0);
    assert_true(e->ops->busy(e, 0));
    assert_true(x->w.reserved > 50.0); /* cost held while open */
    e->ops->poll(e);
    assert_int_equal(x->n_fills, 0);
    e->ops->poll(e);
    assert_int_equal(x->n_fills, 1);
    assert_false(e->ops->busy(e, 0));
    assert_true(x->w.pos[0].qty > 0.499999 && x->w.pos[0].qty < 0.500001);
    assert_true(x->w.reserved < 1e-9);
    double cash_after_fill = x->w.cash;
    assert_true(cash_after_fill < 10000.0 - 50.0 + 1e-6);

    /* 2: the answer to order 2's POST comes after the bot's timeout: it must be adopted,
     * not sent again */
    assert_int_equal(e->ops->submit(e, 1, 1, 1.0, 150.0, err, sizeof err), 0);
    assert_true(e->ops->busy(e, 1));
    json_t *st = fakex_state(&x->fake);
    assert_non_null(st);
    assert_int_equal(json_array_size(json_object_get(st, "orders")), 2);
    json_t *o2 = order_by_suffix(st, "-2");
    assert_non_null(o2);
    assert_string_equal(json_string_value(json_object_get(o2, "status")), "NEW");
    assert_int_equal(json_array_size(json_object_get(st, "bad")), 0); /* every request signed right */
    json_decref(st);

    /* 3: stop cancels what is open and gives the reserved cash back */
    assert_int_equal(e->ops->cancel_all(e), 0);
    assert_false(e->ops->busy(e, 1));
    assert_true(x->w.reserved < 1e-9);
    assert_true(x->w.cash > cash_after_fill - 1e-6 && x->w.cash < cash_after_fill + 1e-6);
    st = fakex_state(&x->fake);
    o2 = order_by_suffix(st, "-2");
    assert_string_equal(json_string_value(json_object_get(o2, "status")), "CANCELED");
    json_decref(st);
    e->ops->free(e);
}

static void test_wrong_secret_refused(void **state)
{
    fx *x = *state;
    bot_exec *e = live(x, "not-the-secret");
    char err[256] = "";
    assert_int_equal(e->ops->submit(e, 0, 1, 0.1, 100.0, err, sizeof err), -1);
    assert_non_null(strstr(err, "-1022"));
    json_t *st = fakex_state(&x->fake);
    assert_true(json_array_size(json_object_get(st, "bad")) >= 1);
    json_decref(st);
    e->ops->free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_orders),
        cmocka_unit_test(test_wrong_secret_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
