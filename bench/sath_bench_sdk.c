/*
 * sath_bench_sdk.c - sath-bench-sdk: the throughput of libsathclient's asynchronous API
 * next to its blocking API, on the same client, server and method (UserService/GetMe).
 *
 *   sath-bench-sdk [--calls N] [--threads T] [--inflight W] 127.0.0.1:PORT
 *
 * Account: $SATH_EMAIL/$SATH_PASSWORD, or a fresh one it registers.  Three runs of N calls
 * each (default 20000), after a warm-up of 500:
 *   blocking x1   one thread, one call at a time;
 *   blocking xT   T threads (default 8) sharing the client;
 *   async x1      one thread keeping W calls in flight (default 1000) with
 *                 sath_user_get_me_async() and sath_client_poll().
 * For each: calls/s, and the client's CPU time per call (getrusage), which is what the
 * asynchronous API saves besides threads.  Loopback targets only: it loads the server as
 * hard as it can.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <sodium.h>

#include "sath/sath.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

typedef struct shared {
    sath_client *c;
    int calls;     /* calls to make in total */
    int next;      /* next call number (under mu) */
    int failed;
    pthread_mutex_t mu;
} shared;

static int blocking_getme(sath_client *c)
{
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    Sath__V1__User *me = NULL;
    int rc = sath_user_get_me(c, &req, &me, NULL);
    if (me)
        sath__v1__user__free_unpacked(me, NULL);
    return rc;
}

static void *blocking_worker(void *arg)
{
    shared *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int mine = s->next < s->calls ? s->next++ : -1;
        pthread_mutex_unlock(&s->mu);
        if (mine < 0)
            return NULL;
        if (blocking_getme(s->c) != SATH_OK) {
            pthread_mutex_lock(&s->mu);
            s->failed++;
            pthread_mutex_unlock(&s->mu);
        }
    }
}

static int run_blocking(sath_client *c, int calls, int threads)
{
    shared s = {c, calls, 0, 0, PTHREAD_MUTEX_INITIALIZER};
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, blocking_worker, &s);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    free(t);
    return s.failed;
}

typedef struct async_run {
    sath_client *c;
    int to_start, done, failed;
} async_run;

static void start_one(async_run *r);

static void on_me(void *userdata, int status, void *resp, const char *message)
{
    async_run *r = userdata;
    (void)message;
    r->done++;
    if (status == SATH_OK)
        sath__v1__user__free_unpacked(resp, NULL);
    else
        r->failed++;
    if (r->to_start > 0)
        start_one(r); /* keep the window full */
}

static void start_one(async_run *r)
{
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    r->to_start--;
    if (sath_user_get_me_async(r->c, &req, on_me, r, NULL, NULL) != SATH_OK) {
        r->done++;
        r->failed++;
    }
}

static int run_async(sath_client *c, int calls, int inflight)
{
    async_run r = {c, calls, 0, 0};
    for (int i = 0; i < inflight && r.to_start > 0; i++)
        start_one(&r);
    while (r.done < calls)
        sath_client_poll(c, -1);
    return r.failed;
}

static void report(const char *name, int calls, int failed, double wall, double cpu)
{
    printf("%-14s %8d calls  %5d failed  %7.3f s  %9.0f calls/s  %7.1f us client CPU/call\n", name,
           calls, failed, wall, calls / wall, cpu * 1e6 / calls);
    fflush(stdout);
}

static int loopback(const char *t)
{
    return strncmp(t, "127.", 4) == 0 || strncmp(t, "localhost:", 10) == 0 ||
           strncmp(t, "[::1]:", 6) == 0 || strncmp(t, "unix:", 5) == 0;
}

int main(int argc, char **argv)
{
    int calls = 20000, threads = 8, inflight = 1000;
    const char *target = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc)
            calls = atoi(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--inflight") == 0 && i + 1 < argc)
            inflight = atoi(argv[++i]);
        else
            target = argv[i];
    }
    if (!target || !loopback(target) || calls <= 0 || threads <= 0 || inflight <= 0) {
        fprintf(stderr, "usage: %s [--calls N] [--threads T] [--inflight W] 127.0.0.1:PORT\n", argv[0]);
        return 2;
    }
    if (sodium_init() < 0 || sath_global_init(SATH_GLOBAL_DEFAULT) != SATH_OK)
        return 1;
    sath_client *c = NULL;
    int rc = sath_client_new(target, NULL, &c);
    char email[96], password[48];
    const char *e = getenv("SATH_EMAIL"), *p = getenv("SATH_PASSWORD");
    if (rc == SATH_OK && !(e && p)) {
        unsigned char r[8];
        randombytes_buf(r, sizeof r);
        snprintf(email, sizeof email, "bench.%02x%02x%02x%02x%02x%02x@example.org", r[0], r[1], r[2],
                 r[3], r[4], r[5]);
        snprintf(password, sizeof password, "bench-%02x%02x%02x%02x-pw", r[4], r[5], r[6], r[7]);
        Sath__V1__RegisterRequest req = SATH__V1__REGISTER_REQUEST__INIT;
        req.email = email;
        req.password = password;
        req.name = (char *)"bench";
        rc = sath_auth_register(c, &req, NULL, NULL);
        e = email;
        p = password;
    }
    if (rc == SATH_OK)
        rc = sath_client_login(c, e, p, NULL);
    if (rc != SATH_OK) {
        fprintf(stderr, "setup: %s: %s\n", sath_err_name(rc), sath_client_last_error_message(c));
        return 1;
    }
    run_async(c, 500, 100); /* warm-up: connection, token, server caches */

    char name[32];
    double w = now_s(), u = cpu_s();
    int failed = run_blocking(c, calls, 1);
    report("blocking x1", calls, failed, now_s() - w, cpu_s() - u);
    snprintf(name, sizeof name, "blocking x%d", threads);
    w = now_s(), u = cpu_s();
    failed = run_blocking(c, calls, threads);
    report(name, calls, failed, now_s() - w, cpu_s() - u);
    snprintf(name, sizeof name, "async x1 (%d)", inflight);
    w = now_s(), u = cpu_s();
    failed = run_async(c, calls, inflight);
    report(name, calls, failed, now_s() - w, cpu_s() - u);

    sath_client_logout(c, NULL);
    sath_client_free(c);
    sath_global_cleanup();
    return 0;
}
