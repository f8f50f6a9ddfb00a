/*
 * metrics.c - lock-free per-method counters and Prometheus text rendering.
 *
 * One slot per registry entry, sized when the metrics are created.  Every counter is a
 * relaxed atomic: a scrape may see a call counted in calls_total but not yet in the
 * histogram, which Prometheus tolerates.  Slots are cache-line aligned so methods do
 * not share lines.
 */
#include "sathd/metrics.h"
#include "sathd/rpc.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define N_STATUS 17
/* histogram upper bounds in microseconds */
static const int64_t bucket_us[] = {100,    250,    500,     1000,    2500,    5000,   10000,
                                    25000,  50000,  100000,  250000,  500000,  1000000,
                                    2500000, 5000000, 10000000};
#define N_BUCKETS (sizeof bucket_us / sizeof bucket_us[0])

typedef struct slot {
    _Alignas(64) atomic_uint_fast64_t status[N_STATUS];
    atomic_uint_fast64_t bucket[N_BUCKETS + 1]; /* last: +Inf (non-cumulative here) */
    atomic_uint_fast64_t sum_us;
} slot;

struct sathd_metrics {
    const sathd_registry *reg;
    size_t n;
    slot *slots;
    struct {
        char *(*render)(void *ud);
        void *ud;
    } extra[4];
    size_t n_extra;
};

int sathd_metrics_add_extra(sathd_metrics *m, char *(*render)(void *ud), void *ud)
{
    if (!m || m->n_extra == sizeof m->extra / sizeof m->extra[0])
        return -1;
    m->extra[m->n_extra].render = render;
    m->extra[m->n_extra++].ud = ud;
    return 0;
}

sathd_metrics *sathd_metrics_new(const sathd_registry *reg)
{
    sathd_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->reg = reg;
    m->n = sathd_registry_count(reg);
    size_t bytes = (m->n ? m->n : 1) * sizeof(slot);
    m->slots = aligned_alloc(_Alignof(slot), (bytes + _Alignof(slot) - 1) / _Alignof(slot) * _Alignof(slot));
    if (!m->slots) {
        free(m);
        return NULL;
    }
    for (size_t i = 0; i < m->n; i++) {
        for (size_t s = 0; s < N_STATUS; s++)
            atomic_init(&m->slots[i].status[s], 0);
        for (size_t b = 0; b <= N_BUCKETS; b++)
            atomic_init(&m->slots[i].bucket[b], 0);
        atomic_init(&m->slots[i].sum_us, 0);
    }
    return m;
}

void sathd_metrics_free(sathd_metrics *m)
{
    if (!m)
        return;
    free(m->slots);
    free(m);
}

void sathd_metrics_record(sathd_metrics *m, size_t index, int status, int64_t duration_us)
{
    if (!m || index >= m->n || status < 0 || status >= N_STATUS)
        return;
    slot *s = &m->slots[index];
    if (duration_us < 0)
        duration_us = 0;
    size_t b = 0;
    while (b < N_BUCKETS && duration_us > bucket_us[b])
        b++;
    atomic_fetch_add_explicit(&s->status[status], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->sum_us, (uint_fast64_t)duration_us, memory_order_relaxed);
}

uint64_t sathd_metrics_count(const sathd_metrics *m, size_t index, int status)
{
    if (!m || index >= m->n || status < -1 || status >= N_STATUS)
        return 0;
    const slot *s = &m->slots[index];
    if (status >= 0)
        return atomic_load_explicit(&s->status[status], memory_order_relaxed);
    uint64_t t = 0;
    for (int i = 0; i < N_STATUS; i++)
        t += atomic_load_explicit(&s->status[i], memory_order_relaxed);
    return t;
}

static void render_method(FILE *f, const slot *s, const char *path)
{
    uint64_t cum = 0;
    for (size_t b = 0; b <= N_BUCKETS; b++) {
        cum += atomic_load_explicit(&s->bucket[b], memory_order_relaxed);
        if (b < N_BUCKETS)
            fprintf(f, "sathd_rpc_duration_seconds_bucket{method=\"%s\",le=\"%g\"} %llu\n", path,
                    (double)bucket_us[b] / 1e6, (unsigned long long)cum);
        else
            fprintf(f, "sathd_rpc_duration_seconds_bucket{method=\"%s\",le=\"+Inf\"} %llu\n", path,
                    (unsigned long long)cum);
    }
    fprintf(f, "sathd_rpc_duration_seconds_sum{method=\"%s\"} %.6f\n", path,
            (double)atomic_load_explicit(&s->sum_us, memory_order_relaxed) / 1e6);
    fprintf(f, "sathd_rpc_duration_seconds_count{method=\"%s\"} %llu\n", path,
            (unsigned long long)cum);
}

char *sathd_metrics_render(const sathd_metrics *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    /* method paths come from generated descriptors: [A-Za-z0-9./_] only, no escaping needed */
    fputs("# HELP sathd_rpc_calls_total RPC calls handled, by method and grpc status.\n"
          "# TYPE sathd_rpc_calls_total counter\n",
          f);
    for (size_t i = 0; m && i < m->n; i++) {
        const char *path = sathd_registry_at(m->reg, i)->desc->path;
        for (int st = 0; st < N_STATUS; st++) {
            uint64_t v = atomic_load_explicit(&m->slots[i].status[st], memory_order_relaxed);
            if (v || st == 0)
                fprintf(f, "sathd_rpc_calls_total{method=\"%s\",code=\"%s\"} %llu\n", path,
                        sathd_status_name(st), (unsigned long long)v);
        }
    }
    fputs("# HELP sathd_rpc_duration_seconds RPC latency, by method.\n"
          "# TYPE sathd_rpc_duration_seconds histogram\n",
          f);
    for (size_t i = 0; m && i < m->n; i++)
        render_method(f, &m->slots[i], sathd_registry_at(m->reg, i)->desc->path);
    for (size_t i = 0; m && i < m->n_extra; i++) {
        char *t = m->extra[i].render(m->extra[i].ud);
        if (t)
            fputs(t, f);
        free(t);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
