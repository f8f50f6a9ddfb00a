/*
 * bench_agent.c - benchmark (not a test): N bots reporting to sathd through
 * BotAgentService, every `interval_ms` (default: 100 bots, every 1000 ms, for 30 s), and
 * what that costs sathd: reports/s accepted, points/s InfluxDB accepted (sathd's
 * /metrics), sathd CPU per report (utime+stime from /proc), Heartbeat latency.
 *
 *   SATH_TEST_* from tests/fixtures/services.sh, SATHD_BIN=...  bench_agent [BOTS [INTERVAL_MS [SECONDS]]]
 *
 * INTERVAL_MS 0 makes every bot report as fast as it can (sathd's ceiling).  Each bot is
 * a real user with a config and a seeded run token; each report carries 2 symbols
 * (bot_equity + 2 bot_price points), and every 10th report also a trade.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agentenv.h"
#include "botenv.h"

typedef struct bot {
    sath_client *c;
    char token[64];
} bot;

static int n_bots = 100, interval_ms = 1000, seconds = 30;
static bot *bots;
static volatile int go, stop;
static long long *lat_us;
static size_t n_lat, cap_lat;
static unsigned long long reports, failures;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double cpu_s(pid_t pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf, sizeof buf, f)) {
        if (f)
            fclose(f);
        return 0;
    }
    fclose(f);
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double metric(const char *base, const char *name)
{
    char url[256];
    long code;
    snprintf(url, sizeof url, "%s/metrics", base);
    char *body = test_http("GET", url, NULL, NULL, &code);
    double v = -1;
    char key[128];
    snprintf(key, sizeof key, "\n%s ", name);
    char *p = body ? strstr(body, key) : NULL;
    if (p)
        v = strtod(p + strlen(key), NULL);
    free(body);
    return v;
}

static void *worker(void *arg)
{
    size_t first = (size_t)(intptr_t)arg, step = 10;
    while (!go)
        usleep(1000);
    long long next = now_us();
    for (int64_t seq = 1; !stop; seq++) {
        for (size_t i = first; i < (size_t)n_bots && !stop; i += step) {
            struct timespec rt;
            clock_gettime(CLOCK_REALTIME, &rt);
            Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
            ts.seconds = rt.tv_sec;
            ts.nanos = (int32_t)(rt.tv_nsec / 1000000) * 1000000;
            Sath__V1__BotReport r = SATH__V1__BOT_REPORT__INIT;
            r.time = &ts;
            r.seq = seq;
            r.equity = 1000 + (double)(seq % 100);
            r.cash = 500;
            r.trades = seq / 10;
            Sath__V1__BotPrice p1 = SATH__V1__BOT_PRICE__INIT, p2 = SATH__V1__BOT_PRICE__INIT;
            p1.symbol = (char *)"BTCUSDT";
            p1.price = 30000 + (double)seq;
            p2.symbol = (char *)"ETHUSDT";
            p2.price = 2000 + (double)seq;
            Sath__V1__BotPrice *pp[2] = {&p1, &p2};
            r.last_prices = pp;
            r.n_last_prices = 2;
            Sath__V1__AgentAck *ack = NULL;
            long long t0 = now_us();
            int rc = sath_bot_agent_heartbeat(bots[i].c, &r, &ack, NULL);
            long long dt = now_us() - t0;
            if (ack)
                sath__v1__agent_ack__free_unpacked(ack, NULL);
            if (rc == SATH_OK && seq % 10 == 0) {
                char oid[32];
                snprintf(oid, sizeof oid, "paper-%lld", (long long)seq);
                Sath__V1__BotTrade t = SATH__V1__BOT_TRADE__INIT, *tp = &t;
                t.time = &ts;
                t.symbol = (char *)"BTCUSDT";
                t.side = (char *)"BUY";
                t.qty = 0.01;
                t.price = p1.price;
                t.fee = 0.3;
                t.order_id = oid;
                Sath__V1__ReportTradesRequest tr = SATH__V1__REPORT_TRADES_REQUEST__INIT;
                tr.trades = &tp;
                tr.n_trades = 1;
                rc = sath_bot_agent_report_trades(bots[i].c, &tr, &ack, NULL);
                if (ack)
                    sath__v1__agent_ack__free_unpacked(ack, NULL);
            }
            pthread_mutex_lock(&mu);
            if (rc == SATH_OK)
                reports++;
            else
                failures++;
            if (n_lat == cap_lat) {
                cap_lat = cap_lat ? cap_lat * 2 : 4096;
                lat_us = realloc(lat_us, cap_lat * sizeof *lat_us);
            }
            lat_us[n_lat++] = dt;
            pthread_mutex_unlock(&mu);
        }
        if (interval_ms > 0) {
            next += (long long)interval_ms * 1000;
            long long w = next - now_us();
            if (w > 0)
                usleep((useconds_t)w);
        }
    }
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc > 1) n_bots = atoi(argv[1]);
    if (argc > 2) interval_ms = atoi(argv[2]);
    if (argc > 3) seconds = atoi(argv[3]);
    if (!influx_url() || sodium_init() < 0) {
        fprintf(stderr, "needs SATH_TEST_INFLUX_URL (tests/fixtures/services.sh)\n");
        return 2;
    }
    char db[32], e1[300], e2[64];
    influx_db_name(db);
    snprintf(e1, sizeof e1, "SATH_INFLUX_URL=%s", influx_url());
    snprintf(e2, sizeof e2, "SATH_INFLUX_DB=%s", db);
    /* one client address registers every user: no rate limits in a benchmark */
    const char *env[] = {e1, e2, "SATH_RATELIMIT=off", "SATH_GRPC_WORKERS=2", NULL};
    botenv e;
    memset(&e, 0, sizeof e);
    if (sathd_proc_start(&e.sathd, env) != 0)
        return 1;
    bots = calloc((size_t)n_bots, sizeof *bots);
    fprintf(stderr, "registering %d users ...\n", n_bots);
    for (int i = 0; i < n_bots; i++) {
        botuser u;
        if (botuser_new(&e, &u) != 0)
            return 1;
        if (sathd_proc_set_plan(&e.sathd, u.id, "pro") != 0)
            return 1;
        if (botuser_config(&u, 2, 100000, 0) != 0)
            return 1;
        unsigned char r[24];
        randombytes_buf(r, sizeof r);
        memcpy(bots[i].token, "sathrt_", 7);
        sodium_bin2hex(bots[i].token + 7, sizeof bots[i].token - 7, r, sizeof r);
        char run[37];
        if (seed_run(&e.sathd, u.id, bots[i].token, run) != 0)
            return 1;
        bots[i].c = token_client(e.sathd.target, bots[i].token);
        botuser_free(&u);
    }
    pthread_t th[10];
    for (int k = 0; k < 10; k++)
        pthread_create(&th[k], NULL, worker, (void *)(intptr_t)k);
    double w0 = metric(e.sathd.http_base, "sathd_influx_points_written_total");
    double c0 = cpu_s(e.sathd.pid);
    long long t0 = now_us();
    go = 1;
    sleep((unsigned)seconds);
    stop = 1;
    for (int k = 0; k < 10; k++)
        pthread_join(th[k], NULL);
    double el = (double)(now_us() - t0) / 1e6, c1 = cpu_s(e.sathd.pid);
    sleep(2); /* the writer's last batch */
    double w1 = metric(e.sathd.http_base, "sathd_influx_points_written_total");
    double dropped = metric(e.sathd.http_base, "sathd_influx_points_dropped_total");
    qsort(lat_us, n_lat, sizeof *lat_us, cmp);
    printf("bots %d, interval %d ms, %.1f s\n", n_bots, interval_ms, el);
    printf("reports accepted      %llu (%.0f/s), failed %llu\n", reports, (double)reports / el, failures);
    printf("influx points written %.0f (%.0f/s), dropped %.0f\n", w1 - w0, (w1 - w0) / el, dropped);
    printf("sathd cpu             %.2f s (%.1f%% of one core), %.0f us per report\n", c1 - c0,
           100.0 * (c1 - c0) / el, reports ? 1e6 * (c1 - c0) / (double)reports : 0.0);
    if (n_lat)
        printf("heartbeat latency     p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", lat_us[n_lat / 2] / 1000.0,
               lat_us[n_lat * 99 / 100] / 1000.0, lat_us[n_lat - 1] / 1000.0);
    for (int i = 0; i < n_bots; i++)
        sath_client_free(bots[i].c);
    free(bots);
    free(lat_us);
    sathd_proc_stop(&e.sathd);
    return 0;
}
