/*
 * bench_run.c - see bench_run.h.
 */
#include "bench_run.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sath/error.h"

enum { PHASE_WARMUP, PHASE_MEASURE, PHASE_STOP };

/* Shared by all threads of one run. */
typedef struct run_shared {
    const bench_opts *o;
    sath_client *const *clients;
    const bench_account *acct;
    atomic_int phase;
    atomic_uint_fast64_t claimed; /* measured calls handed out (--requests) */
} run_shared;

/* One calling thread; its results are merged after join. */
typedef struct run_thread {
    pthread_t tid;
    run_shared *sh;
    sath_client *client;
    bench_hist hist;
    uint64_t status[BENCH_STATUS_SLOTS];
    uint64_t calls;
    uint64_t last_end_ns; /* end of the last measured call */
    char first_error[256];
    int started;
} run_thread;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bench_status_slot(int status)
{
    if (status < BENCH_STATUS_MIN || status > BENCH_STATUS_MAX)
        return BENCH_STATUS_SLOTS - 1;
    return status - BENCH_STATUS_MIN;
}

/* May this thread make one more measured call?  Claims a slot with --requests. */
static int claim(run_shared *sh)
{
    if (sh->o->requests == 0)
        return 1;
    return atomic_fetch_add(&sh->claimed, 1) < sh->o->requests;
}

static void *thread_main(void *arg)
{
    run_thread *t = arg;
    run_shared *sh = t->sh;
    sath_call_opts *copts = NULL;
    if (sath_call_opts_new(&copts) != SATH_OK ||
        sath_call_opts_set_timeout_ms(copts, sh->o->timeout_ms) != SATH_OK) {
        snprintf(t->first_error, sizeof t->first_error, "sath_call_opts_new failed");
        sath_call_opts_free(copts);
        return NULL;
    }
    for (;;) {
        int phase = atomic_load(&sh->phase);
        if (phase == PHASE_STOP || (phase == PHASE_MEASURE && !claim(sh)))
            break;
        uint64_t t0 = now_ns();
        int rc = bench_call(sh->o->method, t->client, sh->acct, copts);
        uint64_t t1 = now_ns();
        if (phase != PHASE_MEASURE)
            continue;
        bench_hist_record(&t->hist, t1 - t0);
        t->status[bench_status_slot(rc)]++;
        t->calls++;
        t->last_end_ns = t1;
        if (rc != SATH_OK && !t->first_error[0])
            snprintf(t->first_error, sizeof t->first_error, "%s: %s", sath_err_name(rc),
                     sath_call_opts_status_message(copts));
    }
    sath_call_opts_free(copts);
    return NULL;
}

static void sleep_s(double s)
{
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void merge(bench_result *res, const run_thread *t, int n, uint64_t start_ns)
{
    uint64_t last = start_ns;
    for (int i = 0; i < n; i++) {
        bench_hist_merge(&res->hist, &t[i].hist);
        for (int s = 0; s < BENCH_STATUS_SLOTS; s++)
            res->status[s] += t[i].status[s];
        res->calls += t[i].calls;
        if (t[i].last_end_ns > last)
            last = t[i].last_end_ns;
        if (!res->first_error[0] && t[i].first_error[0])
            memcpy(res->first_error, t[i].first_error, sizeof res->first_error);
    }
    res->ok = res->status[bench_status_slot(SATH_OK)];
    res->elapsed_s = (double)(last - start_ns) / 1e9;
}

int bench_run(const bench_opts *o, sath_client *const *clients, const bench_account *acct,
              bench_result *res)
{
    memset(res, 0, sizeof *res);
    bench_hist_reset(&res->hist);
    run_shared sh = {.o = o, .clients = clients, .acct = acct};
    atomic_init(&sh.phase, o->warmup_s > 0 ? PHASE_WARMUP : PHASE_MEASURE);
    atomic_init(&sh.claimed, 0);
    /* the histograms make this ~30 KiB per thread: heap, not stack */
    run_thread *t = calloc((size_t)o->concurrency, sizeof *t);
    if (!t) {
        fprintf(stderr, "sath-bench: out of memory\n");
        return -1;
    }
    uint64_t start_ns = now_ns();
    int n = 0, rc = 0;
    for (; n < o->concurrency; n++) {
        t[n].sh = &sh;
        t[n].client = clients[n % o->connections];
        bench_hist_reset(&t[n].hist);
        if (pthread_create(&t[n].tid, NULL, thread_main, &t[n]) != 0) {
            fprintf(stderr, "sath-bench: cannot start thread %d\n", n);
            atomic_store(&sh.phase, PHASE_STOP);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && o->warmup_s > 0) {
        sleep_s(o->warmup_s);
        start_ns = now_ns();
        atomic_store(&sh.phase, PHASE_MEASURE);
    }
    if (rc == 0 && o->requests == 0) {
        sleep_s(o->duration_s);
        atomic_store(&sh.phase, PHASE_STOP);
    }
    for (int i = 0; i < n; i++)
        pthread_join(t[i].tid, NULL);
    merge(res, t, n, start_ns);
    free(t);
    return rc;
}
