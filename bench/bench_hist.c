/*
 * bench_hist.c - see bench_hist.h.
 */
#include "bench_hist.h"

#include <math.h>
#include <string.h>

static unsigned index_of(uint64_t v)
{
    if (v < BENCH_HIST_SUB)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - BENCH_HIST_SUB_BITS;
    /* v >> shift lies in [SUB, 2 * SUB) */
    return (shift + 1u) * BENCH_HIST_SUB + (unsigned)((v >> shift) - BENCH_HIST_SUB);
}

/* Largest value that falls into bucket `idx`. */
static uint64_t upper_of(unsigned idx)
{
    if (idx < BENCH_HIST_SUB)
        return idx;
    unsigned shift = idx / BENCH_HIST_SUB - 1u;
    uint64_t lo = ((uint64_t)BENCH_HIST_SUB + idx % BENCH_HIST_SUB) << shift;
    return lo + ((uint64_t)1 << shift) - 1u;
}

void bench_hist_reset(bench_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

void bench_hist_record(bench_hist *h, uint64_t value)
{
    h->buckets[index_of(value)]++;
    h->count++;
    h->sum += value;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
}

void bench_hist_merge(bench_hist *dst, const bench_hist *src)
{
    for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t bench_hist_percentile(const bench_hist *h, double p)
{
    if (h->count == 0)
        return 0;
    if (p < 0)
        p = 0;
    if (p > 100)
        p = 100;
    uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t v = upper_of(i);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}

double bench_hist_mean(const bench_hist *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0.0;
}
