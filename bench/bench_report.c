/*
 * bench_report.c - see bench_report.h.
 */
#include "bench_report.h"

#include <jansson.h>

#include "sath/error.h"

static double us(uint64_t ns)
{
    return (double)ns / 1000.0;
}

/* Status code of slot `s` (the last slot has none: "OTHER"). */
static const char *slot_name(int s)
{
    if (s == BENCH_STATUS_SLOTS - 1)
        return "OTHER";
    return sath_err_name(s + BENCH_STATUS_MIN);
}

static double qps_of(const bench_result *r)
{
    return r->elapsed_s > 0 ? (double)r->calls / r->elapsed_s : 0.0;
}

static void report_text(FILE *f, const bench_opts *o, const bench_result *r)
{
    const bench_hist *h = &r->hist;
    fprintf(f, "target       %s\n", o->target);
    fprintf(f, "method       %s (%s)\n", bench_method_name(o->method), bench_method_path(o->method));
    fprintf(f, "load         %d connections, %d threads, warm-up %.1f s\n", o->connections,
            o->concurrency, o->warmup_s);
    fprintf(f, "calls        %llu in %.3f s: %llu OK, %llu errors\n", (unsigned long long)r->calls,
            r->elapsed_s, (unsigned long long)r->ok, (unsigned long long)(r->calls - r->ok));
    for (int s = 0; s < BENCH_STATUS_SLOTS; s++)
        if (r->status[s] && s != bench_status_slot(0))
            fprintf(f, "  %-22s %llu\n", slot_name(s), (unsigned long long)r->status[s]);
    if (r->first_error[0])
        fprintf(f, "first error  %s\n", r->first_error);
    fprintf(f, "qps          %.0f\n", qps_of(r));
    fprintf(f, "latency us   p50 %.0f  p90 %.0f  p99 %.0f  max %.0f  (mean %.0f, min %.0f)\n",
            us(bench_hist_percentile(h, 50)), us(bench_hist_percentile(h, 90)),
            us(bench_hist_percentile(h, 99)), us(h->max), bench_hist_mean(h) / 1000.0,
            us(h->count ? h->min : 0));
}

static json_t *report_json(const bench_opts *o, const bench_result *r)
{
    const bench_hist *h = &r->hist;
    json_t *by = json_object();
    for (int s = 0; by && s < BENCH_STATUS_SLOTS; s++)
        if (r->status[s] && s != bench_status_slot(0))
            json_object_set_new(by, slot_name(s), json_integer((json_int_t)r->status[s]));
    return json_pack("{s:s, s:s, s:i, s:i, s:I, s:I, s:I, s:o, s:f, s:f, s:s,"
                     " s:{s:f, s:f, s:f, s:f, s:f, s:f}}",
                     "target", o->target, "method", bench_method_name(o->method),
                     "connections", o->connections, "concurrency", o->concurrency,
                     "calls", (json_int_t)r->calls, "ok", (json_int_t)r->ok,
                     "errors", (json_int_t)(r->calls - r->ok), "errors_by_status", by,
                     "elapsed_s", r->elapsed_s, "qps", qps_of(r), "first_error", r->first_error,
                     "latency_us", "p50", us(bench_hist_percentile(h, 50)),
                     "p90", us(bench_hist_percentile(h, 90)), "p99", us(bench_hist_percentile(h, 99)),
                     "max", us(h->max), "mean", bench_hist_mean(h) / 1000.0,
                     "min", us(h->count ? h->min : 0));
}

int bench_report(FILE *f, const bench_opts *o, const bench_result *r)
{
    if (!o->json) {
        report_text(f, o, r);
        return 0;
    }
    json_t *j = report_json(o, r);
    if (!j)
        return -1;
    int rc = json_dumpf(j, f, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    fputc('\n', f);
    json_decref(j);
    return rc == 0 ? 0 : -1;
}
