/*
 * torture_bot_core.c - sath-bot's deterministic core, without a server:
 *   - the sim feed: same (seed, symbol) -> same path; symbols independent of each other;
 *     its history is fixed by (seed, symbol), ends next to the start, leaves the path be
 *   - join_trend: a crossover started in an uptrend buys at once, once
 *   - a paper run of sma_crossover on seed 42 makes exactly the expected trades (values
 *     recorded from this implementation and reviewed: a change in the feed, strategy,
 *     sizing, fee or slippage shows up here), and never spends more than the capital
 *   - the wallet's arithmetic on a hand-computed round trip
 *   - the report queue keeps the newest records within its bound, counting drops
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "exec.h"
#include "market.h"
#include "paperrun.h"
#include "report_queue.h"
#include "strategy.h"
#include "wallet.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) <= 1e-9 * fabs(b) + 1e-12)

static void test_sim_deterministic(void **state)
{
    (void)state;
    const char *one[] = {"BTCUSDT"}, *two[] = {"ETHUSDT", "BTCUSDT"};
    bot_sim_params p = {42, 0.0, 0.01};
    bot_market *a = bot_market_sim_new(one, 1, &p), *b = bot_market_sim_new(two, 2, &p);
    bot_sim_params q = {43, 0.0, 0.01};
    bot_market *c = bot_market_sim_new(one, 1, &q);
    char err[64];
    int differs = 0;
    for (int t = 0; t < 1000; t++) {
        double pa, pb, pe, pc;
        assert_int_equal(a->ops->next(a, 0, &pa, err, sizeof err), 0);
        assert_int_equal(b->ops->next(b, 0, &pe, err, sizeof err), 0);
        assert_int_equal(b->ops->next(b, 1, &pb, err, sizeof err), 0);
        assert_int_equal(c->ops->next(c, 0, &pc, err, sizeof err), 0);
        assert_true(pa == pb); /* BTCUSDT's path does not depend on the other symbols */
        assert_true(pa > 0 && isfinite(pa));
        differs |= pa != pc;
    }
    assert_true(differs); /* another seed, another path */
    a->ops->free(a);
    b->ops->free(b);
    c->ops->free(c);
}

/* The sim's past: the same for the same (seed, symbol), joined to the start price, and
 * reading it leaves the run's own path as it was. */
static void test_sim_history(void **state)
{
    (void)state;
    const char *one[] = {"BTCUSDT"};
    bot_sim_params p = {42, 0.0, 0.01};
    bot_market *a = bot_market_sim_new(one, 1, &p), *b = bot_market_sim_new(one, 1, &p);
    double h1[50], h2[50], h3[50];
    assert_int_equal(a->ops->history(a, 0, h1, 50), 50);
    assert_int_equal(a->ops->history(a, 0, h2, 50), 50);
    assert_int_equal(a->ops->history(a, 1, h3, 50), 0); /* no such symbol */
    assert_memory_equal(h1, h2, sizeof h1);
    double start = bot_sim_start_price("BTCUSDT");
    int moves = 0;
    for (int k = 0; k < 50; k++) {
        double next = k < 49 ? h1[k + 1] : start;
        assert_true(h1[k] > 0 && isfinite(h1[k]));
        assert_true(fabs(log(next / h1[k])) < 0.01 * 6); /* one step of sigma 0.01 */
        moves += h1[k] != next;
    }
    assert_int_equal(moves, 50);
    char err[64];
    for (int t = 0; t < 100; t++) {
        double pa, pb;
        assert_int_equal(a->ops->next(a, 0, &pa, err, sizeof err), 0);
        assert_int_equal(b->ops->next(b, 0, &pb, err, sizeof err), 0);
        assert_true(pa == pb); /* b never read its history */
    }
    assert_int_equal(a->ops->history(a, 0, h3, 50), 50);
    assert_memory_equal(h1, h3, sizeof h1); /* the past does not move with the run */
    a->ops->free(a);
    b->ops->free(b);
}

/* join_trend: a crossover started in an uptrend buys on its first ready tick; in a
 * downtrend it waits for the up-cross; without the call it waits in both. */
static void test_strategy_join_trend(void **state)
{
    (void)state;
    const char *names[] = {"sma_crossover", "ema_crossover"};
    for (int k = 0; k < 2; k++) {
        bot_strategy *up = bot_strategy_new(names[k], 1), *plain = bot_strategy_new(names[k], 1),
                     *down = bot_strategy_new(names[k], 1);
        double px = 100;
        for (int t = 0; t < 40; t++, px *= 1.001) {
            bot_strategy_update(up, 0, px);
            bot_strategy_update(plain, 0, px);
            bot_strategy_update(down, 0, 200 - px);
        }
        bot_strategy_join_trend(up);
        bot_strategy_join_trend(down);
        assert_int_equal(bot_strategy_update(up, 0, px), BOT_BUY);
        assert_int_equal(bot_strategy_update(plain, 0, px), BOT_HOLD);
        assert_int_equal(bot_strategy_update(down, 0, 200 - px), BOT_HOLD);
        px *= 1.001;
        assert_int_equal(bot_strategy_update(up, 0, px), BOT_HOLD); /* once only */
        /* the falling one turns up: its buy comes with the cross, as without the call */
        bot_signal sig = BOT_HOLD;
        double q = 200 - px;
        for (int t = 0; t < 40 && sig == BOT_HOLD; t++, q *= 1.01)
            sig = bot_strategy_update(down, 0, q);
        assert_int_equal(sig, BOT_BUY);
        bot_strategy_free(up);
        bot_strategy_free(plain);
        bot_strategy_free(down);
    }
    /* the other strategies' signals are states already: nothing changes */
    bot_strategy *g = bot_strategy_new("grid", 1);
    bot_strategy_update(g, 0, 100);
    bot_strategy_join_trend(g);
    assert_int_equal(bot_strategy_update(g, 0, 100.5), BOT_HOLD);
    bot_strategy_free(g);
}

typedef struct rec {
    bot_fill f[64];
    size_t n;
} rec;

static void keep(void *arg, const bot_fill *f)
{
    rec *r = arg;
    if (r->n < 64)
        r->f[r->n++] = *f;
}

static void test_paper_run_exact_trades(void **state)
{
    (void)state;
    rec r = {0};
    paperrun run;
    assert_int_equal(paperrun_init(&run, keep, &r, NULL), 0);
    const bot_wallet *w = &run.wallet;
    for (int t = 0; t < 500; t++) {
        bot_engine_tick(&run.engine, 1);
        assert_true(w->cash >= 0); /* never more than the capital */
        assert_true(w->pos[0].qty * w->pos[0].avg_price <= 1000.0);
    }
    assert_int_equal(r.n, 29);
    static const struct { int side; double qty, price, fee; } want[4] = {
        {1, 0.012198, 41010.23790841325, 0.5002428820068248},
        {-1, 0.012198, 39765.99335369541, 0.48506558692837665},
        {1, 0.012397, 40350.86230698017, 0.5002296400196332},
        {-1, 0.012397, 40511.458817827996, 0.5022205549646137},
    };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(r.f[i].side, want[i].side);
        NEAR(r.f[i].qty, want[i].qty);
        NEAR(r.f[i].price, want[i].price);
        NEAR(r.f[i].fee, want[i].fee);
    }
    /* the sell's realised PnL is qty * (sell - entry) - sell fee */
    NEAR(r.f[1].realized, 0.012198 * (39765.99335369541 - 41010.23790841325) - 0.48506558692837665);
    NEAR(bot_wallet_equity(w), 1022.9326104791393);
    NEAR(w->realized, 33.177332403407895);
    assert_int_equal(w->trades, 29);
    assert_int_equal(w->wins, 5);
    assert_int_equal(w->losses, 9);
    NEAR(w->max_drawdown, 0.09059297640506009);
    paperrun_free(&run);
}

static void test_wallet_round_trip(void **state)
{
    (void)state;
    const char *syms[] = {"AAAUSDT", "BBBUSDT"};
    bot_wallet w;
    assert_int_equal(bot_wallet_init(&w, syms, 2, 1000.0), 0);
    /* sizing: risk 100 bps at a 2% stop = 500, capped at 1000 / 2 symbols = 500 */
    NEAR(bot_wallet_buy_qty(&w, 0, 100.0, 100, 0.0), 5.0);
    /* 10000 bps would be 50000: capped per symbol */
    NEAR(bot_wallet_buy_qty(&w, 0, 100.0, 10000, 0.0), 5.0);
    bot_fill b = {.sym = 0, .side = 1, .qty = 4, .price = 100, .fee = 0.4};
    bot_wallet_apply(&w, &b);
    NEAR(w.cash, 1000.0 - 400.0 - 0.4);
    bot_wallet_mark(&w, 0, 110.0);
    NEAR(bot_wallet_unrealized(&w), 40.0);
    NEAR(bot_wallet_equity(&w), 1039.6);
    bot_wallet_mark(&w, 0, 90.0);
    NEAR(w.max_drawdown, (1039.6 - 959.6) / 1039.6);
    bot_fill s = {.sym = 0, .side = -1, .qty = 10, .price = 105, .fee = 0.42};
    bot_wallet_apply(&w, &s);
    NEAR(s.qty, 4.0); /* never sells more than held */
    NEAR(s.realized, 4 * 5.0 - 0.42);
    assert_int_equal(w.wins, 1);
    NEAR(w.pos[0].qty, 0.0);
    /* the cash left bounds the next buy */
    w.cash = 30.0;
    NEAR(bot_wallet_buy_qty(&w, 1, 10.0, 100, 0.0), 3.0);
    bot_wallet_free(&w);
}

static void test_report_queue_bound(void **state)
{
    (void)state;
    bot_rq *q = bot_rq_new(3);
    for (int i = 1; i <= 5; i++)
        assert_int_equal(bot_rq_push(q, i <= 2 ? 1 : 2, &i, sizeof i), 0);
    assert_int_equal(bot_rq_len(q), 3);
    assert_int_equal(bot_rq_dropped(q), 2);
    bot_rq_item it[8];
    size_t n = bot_rq_peek(q, it, 8);
    assert_int_equal(n, 3); /* records 3, 4, 5: the oldest went */
    assert_int_equal(*(int *)it[0].data, 3);
    bot_rq_pop(q, 1);
    assert_int_equal(bot_rq_len(q), 2);
    int x = 9;
    bot_rq_push(q, 1, &x, sizeof x);
    n = bot_rq_peek(q, it, 8);
    assert_int_equal(n, 2); /* a batch stops at the next kind */
    bot_rq_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_deterministic),
        cmocka_unit_test(test_sim_history),
        cmocka_unit_test(test_strategy_join_trend),
        cmocka_unit_test(test_paper_run_exact_trades),
        cmocka_unit_test(test_wallet_round_trip),
        cmocka_unit_test(test_report_queue_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
