/*
 * metrics.h - per-method call counters and latency histograms, Prometheus text output.
 *
 * Recording is lock-free (relaxed atomic increments), so every worker thread and the
 * REST gateway can record into one sathd_metrics without contention on a lock.
 * Methods are identified by their registry index (sathd_registry_entry.index).
 */
#ifndef SATHD_METRICS_H
#define SATHD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "sathd/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sathd_metrics sathd_metrics;

/* Counters for every method `reg` holds now (methods added later are not counted).
 * `reg` must outlive the metrics.  Free with sathd_metrics_free(); NULL on OOM. */
sathd_metrics *sathd_metrics_new(const sathd_registry *reg);
void sathd_metrics_free(sathd_metrics *m);
/* Counts one finished call of method `index` with grpc status `status` that took
 * `duration_us` microseconds.  Unknown indexes and statuses are ignored.  Thread-safe. */
void sathd_metrics_record(sathd_metrics *m, size_t index, int status, int64_t duration_us);
/* Calls of method `index` that ended with `status` (status -1: all calls). */
uint64_t sathd_metrics_count(const sathd_metrics *m, size_t index, int status);
/* Prometheus text exposition (version 0.0.4) of all counters:
 *   sathd_rpc_calls_total{method,code}, sathd_rpc_duration_seconds{method} histogram.
 * Returns a NUL-terminated string the caller frees with free(); NULL on OOM. */
char *sathd_metrics_render(const sathd_metrics *m);
/* Appends the text `render(ud)` returns (malloc'd Prometheus text, freed by the caller
 * of render) to every sathd_metrics_render() output: counters of other parts of the
 * process (e.g. the InfluxDB writer).  Up to 4; call before serving.  0 or -1 (full). */
int sathd_metrics_add_extra(sathd_metrics *m, char *(*render)(void *ud), void *ud);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_METRICS_H */
