/*
 * bench_report.h - printing a bench_result as text or as one JSON object.
 *
 * JSON keys: target, method, connections, concurrency, calls, ok, errors,
 * errors_by_status {NAME: count}, elapsed_s, qps, latency_us {p50, p90, p99, max, mean, min}.
 * qps counts every measured call (OK or not) per second of measured time.
 */
#ifndef SATH_BENCH_REPORT_H
#define SATH_BENCH_REPORT_H

#include <stdio.h>

#include "bench_opts.h"
#include "bench_run.h"

/* Writes the report to `f`.  0, or -1 when the JSON could not be built. */
int bench_report(FILE *f, const bench_opts *o, const bench_result *r);

#endif
