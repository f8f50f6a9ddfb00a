/*
 * bench_run.h - the load itself: threads, phases, per-thread results.
 *
 * C threads share `connections` clients round-robin (thread i uses client i % N).  The
 * run has a warm-up phase (calls made, nothing recorded), a measured phase (each call's
 * latency goes into the thread's own histogram, its status into the thread's counters),
 * then stop.  With --requests the measured phase ends after exactly that many calls
 * (slots are claimed from one atomic counter); otherwise after --duration seconds.
 * Every loop ends: on the phase switching to stop or on the counter running out.
 */
#ifndef SATH_BENCH_RUN_H
#define SATH_BENCH_RUN_H

#include <stdint.h>

#include "sath/client.h"

#include "bench_hist.h"
#include "bench_method.h"
#include "bench_opts.h"

/* Status codes kept apart: sath_errno runs from about -16 to 16; others go to "other". */
#define BENCH_STATUS_MIN (-16)
#define BENCH_STATUS_MAX 16
#define BENCH_STATUS_SLOTS (BENCH_STATUS_MAX - BENCH_STATUS_MIN + 2)

/* What a run measured (the merge of every thread). */
typedef struct bench_result {
    bench_hist hist;                        /* latencies of all measured calls, ns */
    uint64_t status[BENCH_STATUS_SLOTS];    /* calls by status; last slot: other codes */
    uint64_t calls;                         /* measured calls */
    uint64_t ok;                            /* of which SATH_OK */
    double elapsed_s;                       /* start of measuring to the last measured end */
    char first_error[256];                  /* message of one failed call, "" if none */
} bench_result;

/* Runs the load; fills *res (a large struct: allocate it, do not put it on a small stack).
 * 0, or -1 when threads or buffers could not be created (message on stderr). */
int bench_run(const bench_opts *o, sath_client *const *clients, const bench_account *acct,
              bench_result *res);

/* Index of `status` in bench_result.status. */
int bench_status_slot(int status);

#endif
