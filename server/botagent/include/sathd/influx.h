/*
 * influx.h - bot metrics into InfluxDB 1.x (v1 HTTP API), and read back.
 *
 * Writing never blocks a call: sathd_influx_enqueue() appends line-protocol text to an
 * in-memory buffer under a mutex held for a memcpy, and one background thread POSTs the
 * buffer to /write?db=...&precision=ns in batches through the shared HTTP client
 * (sathd/httpc.h).  The buffer is bounded (bytes, pending + in flight): past the bound new
 * points are dropped and counted, never waited for.  While InfluxDB is down the batch
 * in flight is retried with backoff (1 s doubling to 30 s) and the outage logged once.
 * Counters are exported on /metrics (sathd_influx_render_metrics).
 *
 * Reading: sathd_influx_query() runs one InfluxQL query through /query (epoch=ms) within
 * the caller's deadline and returns the parsed JSON.
 */
#ifndef SATHD_INFLUX_H
#define SATHD_INFLUX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sathd_influx sathd_influx;
typedef struct sathd_httpc sathd_httpc;

typedef struct sathd_influx_config {
    const char *url;         /* "http://127.0.0.1:8086"; copied */
    const char *db;          /* database, created at start if missing; copied */
    size_t max_queue_bytes;  /* bound of pending + in-flight line protocol (0: 8 MiB) */
    size_t batch_bytes;      /* largest POST body (0: 1 MiB) */
    int flush_ms;            /* the writer wakes at least this often (0: 200) */
    sathd_httpc *http;       /* borrowed; must outlive the writer */
} sathd_influx_config;

/* Starts the writer thread.  Returns 0 and *out, or -errno (bad URL/db name: -EINVAL). */
int sathd_influx_new(const sathd_influx_config *cfg, sathd_influx **out);

/* Sends what is queued (for up to `grace_ms`), stops the thread, frees.  NULL is fine. */
void sathd_influx_free(sathd_influx *x, int grace_ms);

/* Queues `len` bytes of complete line-protocol lines (each ending in '\n'), `points`
 * of them.  Returns 1 when queued, 0 when dropped (queue full; counted).  Thread-safe,
 * never blocks on I/O. */
int sathd_influx_enqueue(sathd_influx *x, const char *lines, size_t len, size_t points);

/* Runs InfluxQL `q` on the database (GET /query?db=..&epoch=ms&q=..), giving up at the
 * absolute monotonic `deadline_ms` (0: 10 s).  Returns 0 with *out (json_decref it), or
 * -1 with a reason in err (never a secret). */
int sathd_influx_query(sathd_influx *x, const char *q, int64_t deadline_ms, json_t **out,
                       char *err, size_t errlen);

/* Prometheus text of the writer's counters (malloc'd; free()):
 *   sathd_influx_points_queued_total, sathd_influx_points_written_total,
 *   sathd_influx_points_dropped_total, sathd_influx_write_errors_total,
 *   sathd_influx_queue_bytes, sathd_influx_up.  `ud` is the sathd_influx (may be NULL:
 *   then only sathd_influx_up 0). */
char *sathd_influx_render_metrics(void *ud);

/* Counters, for tests and benchmarks. */
typedef struct sathd_influx_stats {
    uint64_t queued, written, dropped, write_errors, batches;
    size_t queue_bytes;
    int up;
} sathd_influx_stats;
void sathd_influx_get_stats(sathd_influx *x, sathd_influx_stats *out);

/* ---- line protocol --------------------------------------------------------------- */

/* A growing line-protocol text (malloc'd). */
typedef struct sathd_lp {
    char *buf;
    size_t len, cap;
    size_t points;
    int oom;
} sathd_lp;

/* Starts a point: measurement and tags (NULL-terminated key, value, key, value...;
 * empty values are left out).  Keys and values are escaped. */
void sathd_lp_begin(sathd_lp *b, const char *measurement, const char *const *tags);
/* Fields, after sathd_lp_begin, in any mix; non-finite floats are left out. */
void sathd_lp_float(sathd_lp *b, const char *key, double v);
void sathd_lp_int(sathd_lp *b, const char *key, int64_t v);
void sathd_lp_str(sathd_lp *b, const char *key, const char *v);
/* Ends the point with its timestamp in ns. */
void sathd_lp_end(sathd_lp *b, int64_t ts_ns);
void sathd_lp_free(sathd_lp *b);

#endif
