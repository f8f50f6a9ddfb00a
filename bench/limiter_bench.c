/*
 * limiter_bench.c - what sathd's rate limiter costs per call, measured in CPU time so a
 * busy machine changes the figure far less than it changes throughput.
 *
 *   local   the in-process path every cheap call takes (client address from the peer,
 *           key, GCRA bucket in the sharded table), single thread and N threads
 *   redis   the Redis path of Login/Register/Refresh and key creation/tests: one EVAL of
 *           the GCRA script with two keys (the round trip is most of it)
 *
 * usage: sath-limiter-bench [--redis unix:///path/redis.sock] [--iterations N] [--threads T]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sathd/config.h"
#include "sathd/ratelimit.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct job {
    sathd_rl_local *l;
    long n;
    int id;
} job;

/* What limits.c's admit_local does for one authenticated call, minus the metadata lookup. */
static void *run_local(void *p)
{
    job *j = p;
    sathd_rate rate = {1000000000, 1};
    sathd_rl_result res;
    char ip[64], key[80], peer[64];
    struct timespec now;
    snprintf(peer, sizeof peer, "ipv4:127.0.0.%d:51234", j->id + 1);
    for (long i = 0; i < j->n; i++) {
        sathd_client_ip(peer, NULL, NULL, ip, sizeof ip);
        int len = snprintf(key, sizeof key, "u:%08lx-0000-4000-8000-%012lx", (long)j->id, i % 1000);
        clock_gettime(CLOCK_MONOTONIC, &now);
        sathd_rl_local_check(j->l, key, (size_t)len, &rate,
                             (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000, &res);
        if (!res.allowed)
            abort();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *redis = NULL;
    long n = 2000000;
    int threads = 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--redis") == 0 && i + 1 < argc)
            redis = argv[++i];
        else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
            n = atol(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--redis unix:///path] [--iterations N] [--threads T]\n",
                    argv[0]);
            return 2;
        }
    }
    if (sodium_init() < 0 || n < 1 || threads < 1 || threads > 64)
        return 2;
    sathd_rl_local *l = sathd_rl_local_new(65536);
    job jobs[64];
    pthread_t t[64];
    for (int k = 1; k <= threads; k = k == threads ? k + 1 : threads) {
        double c0 = cpu_s();
        for (int i = 0; i < k; i++) {
            jobs[i] = (job){l, n, i};
            pthread_create(&t[i], NULL, run_local, &jobs[i]);
        }
        for (int i = 0; i < k; i++)
            pthread_join(t[i], NULL);
        double c = cpu_s() - c0;
        printf("local  threads=%d calls=%ld cpu_ns_per_call=%.0f\n", k, n * k, c * 1e9 / (double)(n * k));
    }
    sathd_rl_local_free(l);
    if (redis) {
        sathd_redis_url u;
        char err[256];
        if (sathd_redis_url_parse(redis, &u, err, sizeof err) != 0 || !u.is_unix) {
            fprintf(stderr, "--redis: %s\n", u.is_unix ? err : "a unix:// URL");
            return 2;
        }
        redisContext *c = redisConnectUnix(u.path);
        if (!c || c->err)
            return 1;
        long m = n / 20 > 0 ? n / 20 : 1;
        sathd_rate rates[2] = {{1000000000, 1}, {1000000000, 1}};
        const char *keys[2] = {"bench:rl:ip:127.0.0.1", "bench:rl:acct:x"};
        sathd_rl_result res;
        struct timespec w0, w1;
        clock_gettime(CLOCK_MONOTONIC, &w0);
        double c0 = cpu_s();
        for (long i = 0; i < m; i++)
            if (sathd_rl_redis_check(c, keys, rates, 2, &res) != 0 || !res.allowed)
                return 1;
        double cc = cpu_s() - c0;
        clock_gettime(CLOCK_MONOTONIC, &w1);
        double wall = (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) / 1e9;
        printf("redis  calls=%ld client_cpu_ns_per_call=%.0f wall_us_per_call=%.1f\n", m,
               cc * 1e9 / (double)m, wall * 1e6 / (double)m);
        redisCommand(c, "DEL %s %s", keys[0], keys[1]);
        redisFree(c);
    }
    return 0;
}
