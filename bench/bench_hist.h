/*
 * bench_hist.h - latency histogram with logarithmic buckets (HDR-histogram style).
 *
 * Values (nanoseconds) below 64 get one bucket each; above that every power of two is
 * split into 64 linear sub-buckets, so a reported percentile is at most ~1.6% above the
 * true value.  The buckets are a fixed array inside the struct: recording never
 * allocates, and one histogram per thread needs no locking.  Histograms are merged once
 * at the end of a run.
 */
#ifndef SATH_BENCH_HIST_H
#define SATH_BENCH_HIST_H

#include <stdint.h>

#define BENCH_HIST_SUB_BITS 6
#define BENCH_HIST_SUB (1u << BENCH_HIST_SUB_BITS)
/* msb 63 gives shift 57, so the highest index is (57 + 1) * 64 + 63. */
#define BENCH_HIST_BUCKETS ((64 - BENCH_HIST_SUB_BITS + 1) * BENCH_HIST_SUB)

typedef struct bench_hist {
    uint64_t count;
    uint64_t min;
    uint64_t max;
    uint64_t sum; /* for the mean; 2^64 ns is 584 years, no overflow in practice */
    uint64_t buckets[BENCH_HIST_BUCKETS];
} bench_hist;

/* Empties `h`. */
void bench_hist_reset(bench_hist *h);
/* Adds one value (nanoseconds). */
void bench_hist_record(bench_hist *h, uint64_t value);
/* Adds every value of `src` into `dst`. */
void bench_hist_merge(bench_hist *dst, const bench_hist *src);
/* Value at percentile `p` (0..100): the upper bound of the bucket holding that rank,
 * clamped to the recorded maximum; 0 for an empty histogram. */
uint64_t bench_hist_percentile(const bench_hist *h, double p);
/* Mean of the recorded values; 0 for an empty histogram. */
double bench_hist_mean(const bench_hist *h);

#endif
