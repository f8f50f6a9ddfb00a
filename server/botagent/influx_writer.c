/*
 * influx_writer.c - the bounded queue and background writer of bot metrics (influx.h).
 *
 * Two buffers: `pending` (filled by sathd_influx_enqueue under the mutex) and `flight`
 * (owned by the writer thread while it POSTs).  The writer swaps them when flight is
 * empty, so enqueue only ever memcpys; the bound covers both, so an InfluxDB outage
 * costs at most max_queue_bytes of memory and then drops (counted) instead of waiting.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sathd/httpc.h"
#include "sathd/influx.h"
#include "influx_internal.h"
#include "sathd/log.h"

struct sathd_influx {
    char *url, *db;
    sathd_httpc *http;
    size_t max_bytes, batch_bytes;
    int flush_ms;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *pending;
    size_t pending_len, pending_cap, pending_points;
    size_t flight_len; /* under mu: bytes the writer holds */
    int stop;
    int64_t stop_deadline_ms;
    pthread_t thread;
    int thread_started;

    _Atomic uint64_t queued, written, dropped, errors, batches;
    _Atomic int up;
    int db_created;
};

static int valid_name(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return 0;
    return 1;
}

int sathd_influx_enqueue(sathd_influx *x, const char *lines, size_t len, size_t points)
{
    if (!x || len == 0)
        return 0;
    pthread_mutex_lock(&x->mu);
    int ok = x->pending_len + x->flight_len + len <= x->max_bytes;
    if (ok && x->pending_len + len > x->pending_cap) {
        size_t cap = x->pending_cap ? x->pending_cap : 65536;
        while (cap < x->pending_len + len)
            cap *= 2;
        char *p = realloc(x->pending, cap);
        ok = p != NULL;
        if (p) {
            x->pending = p;
            x->pending_cap = cap;
        }
    }
    if (ok) {
        memcpy(x->pending + x->pending_len, lines, len);
        x->pending_len += len;
        x->pending_points += points;
        if (x->pending_len >= x->batch_bytes)
            pthread_cond_signal(&x->cv);
    }
    pthread_mutex_unlock(&x->mu);
    atomic_fetch_add(ok ? &x->queued : &x->dropped, points);
    return ok;
}

/* POST one body; 1 written, 0 retry later, -1 refused for good (bad points). */
static int post(sathd_influx *x, const char *path_query, const char *body, size_t len)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", x->url, path_query);
    sathd_httpc_request rq = {.method = "POST", .url = url, .body = body, .body_len = len,
                              .content_type = "text/plain; charset=utf-8",
                              .timeout_ms = 10000, .connect_timeout_ms = 2000,
                              .max_response = 65536};
    sathd_httpc_response rs;
    memset(&rs, 0, sizeof rs);
    sathd_httpc_err e = sathd_httpc_do(x->http, &rq, &rs);
    long st = rs.status;
    int rc = e == SATHD_HTTPC_OK && st >= 200 && st < 300 ? 1
             : e == SATHD_HTTPC_OK && st >= 400 && st < 500 ? -1
                                                           : 0;
    if (rc == -1)
        sathd_log(SATHD_LOG_WARN, "msg=\"InfluxDB refused points\" status=%ld body=\"%.200s\"", st,
                  rs.body ? rs.body : "");
    else if (rc == 0 && atomic_load(&x->up))
        sathd_log(SATHD_LOG_WARN, "msg=\"InfluxDB unreachable, bot metrics queued\" reason=\"%s\" status=%ld",
                  e == SATHD_HTTPC_OK ? "http status" : sathd_httpc_strerror(e), st);
    sathd_httpc_response_free(&rs);
    return rc;
}

static int64_t now_ms(void)
{
    return sathd_httpc_now_ms();
}

/* Cut a batch of at most batch_bytes at a line end (a single longer line goes alone). */
static size_t cut(const char *buf, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t k = max;
    while (k > 0 && buf[k - 1] != '\n')
        k--;
    if (k == 0) {
        const char *nl = memchr(buf, '\n', len);
        k = nl ? (size_t)(nl - buf) + 1 : len;
    }
    return k;
}

static size_t count_lines(const char *p, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += p[i] == '\n';
    return c;
}

static void *writer(void *arg)
{
    sathd_influx *x = arg;
    char *flight = NULL;
    size_t flight_len = 0, off = 0;
    long backoff = 1000;
    int64_t next_try = 0;
    char wpath[256], cpath[300];
    snprintf(wpath, sizeof wpath, "/write?db=%s&precision=ns", x->db);
    snprintf(cpath, sizeof cpath, "/query?q=CREATE%%20DATABASE%%20%%22%s%%22", x->db);
    for (;;) {
        pthread_mutex_lock(&x->mu);
        for (;;) {
            int have = flight_len > off || x->pending_len > 0;
            if (x->stop && (!have || now_ms() >= x->stop_deadline_ms))
                break;
            if (have && now_ms() >= next_try)
                break;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            long wait = have ? (long)(next_try - now_ms()) : x->flush_ms;
            if (wait > x->flush_ms)
                wait = x->flush_ms;
            if (wait < 1)
                wait = 1;
            ts.tv_sec += wait / 1000;
            ts.tv_nsec += (wait % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&x->cv, &x->mu, &ts);
        }
        if (x->stop && ((flight_len <= off && x->pending_len == 0) || now_ms() >= x->stop_deadline_ms)) {
            pthread_mutex_unlock(&x->mu);
            break;
        }
        if (flight_len <= off && x->pending_len > 0) { /* swap */
            free(flight);
            flight = x->pending;
            flight_len = x->pending_len;
            off = 0;
            x->flight_len = flight_len;
            x->pending = NULL;
            x->pending_len = x->pending_cap = x->pending_points = 0;
        }
        pthread_mutex_unlock(&x->mu);

        if (!x->db_created) {
            int c = post(x, cpath, "", 0);
            if (c == 1) {
                x->db_created = 1;
            } else {
                next_try = now_ms() + backoff;
                backoff = backoff * 2 > 30000 ? 30000 : backoff * 2;
                atomic_store(&x->up, 0);
                continue;
            }
        }
        size_t n = cut(flight + off, flight_len - off, x->batch_bytes);
        int rc = post(x, wpath, flight + off, n);
        if (rc == 0) {
            atomic_fetch_add(&x->errors, 1);
            atomic_store(&x->up, 0);
            next_try = now_ms() + backoff;
            backoff = backoff * 2 > 30000 ? 30000 : backoff * 2;
            continue;
        }
        size_t pts = count_lines(flight + off, n);
        if (rc == 1) {
            if (!atomic_load(&x->up))
                sathd_log(SATHD_LOG_INFO, "msg=\"InfluxDB reachable, writing bot metrics\" db=%s", x->db);
            atomic_store(&x->up, 1);
            atomic_fetch_add(&x->written, pts);
        } else {
            atomic_fetch_add(&x->errors, 1);
            atomic_fetch_add(&x->dropped, pts);
        }
        atomic_fetch_add(&x->batches, 1);
        backoff = 1000;
        next_try = 0;
        off += n;
        pthread_mutex_lock(&x->mu);
        x->flight_len = flight_len - off;
        pthread_mutex_unlock(&x->mu);
    }
    if (flight_len > off)
        atomic_fetch_add(&x->dropped, count_lines(flight + off, flight_len - off));
    free(flight);
    return NULL;
}

int sathd_influx_new(const sathd_influx_config *cfg, sathd_influx **out)
{
    *out = NULL;
    if (!cfg->url || (strncmp(cfg->url, "http://", 7) != 0 && strncmp(cfg->url, "https://", 8) != 0) ||
        !valid_name(cfg->db) || !cfg->http)
        return -EINVAL;
    sathd_influx *x = calloc(1, sizeof *x);
    if (!x)
        return -ENOMEM;
    x->url = strdup(cfg->url);
    x->db = strdup(cfg->db);
    if (!x->url || !x->db) {
        free(x->url);
        free(x->db);
        free(x);
        return -ENOMEM;
    }
    size_t l = strlen(x->url);
    while (l > 0 && x->url[l - 1] == '/')
        x->url[--l] = '\0';
    x->http = cfg->http;
    x->max_bytes = cfg->max_queue_bytes ? cfg->max_queue_bytes : 8u << 20;
    x->batch_bytes = cfg->batch_bytes ? cfg->batch_bytes : 1u << 20;
    x->flush_ms = cfg->flush_ms > 0 ? cfg->flush_ms : 200;
    atomic_store(&x->up, 1); /* so the first failure is logged */
    pthread_mutex_init(&x->mu, NULL);
    pthread_cond_init(&x->cv, NULL);
    if (pthread_create(&x->thread, NULL, writer, x) != 0) {
        sathd_influx_free(x, 0);
        return -EAGAIN;
    }
    x->thread_started = 1;
    *out = x;
    return 0;
}

void sathd_influx_free(sathd_influx *x, int grace_ms)
{
    if (!x)
        return;
    if (x->thread_started) {
        pthread_mutex_lock(&x->mu);
        x->stop = 1;
        x->stop_deadline_ms = now_ms() + grace_ms;
        pthread_cond_signal(&x->cv);
        pthread_mutex_unlock(&x->mu);
        pthread_join(x->thread, NULL);
    }
    if (x->pending_points)
        atomic_fetch_add(&x->dropped, x->pending_points);
    pthread_mutex_destroy(&x->mu);
    pthread_cond_destroy(&x->cv);
    free(x->pending);
    free(x->url);
    free(x->db);
    free(x);
}

void sathd_influx_get_stats(sathd_influx *x, sathd_influx_stats *o)
{
    memset(o, 0, sizeof *o);
    if (!x)
        return;
    o->queued = atomic_load(&x->queued);
    o->written = atomic_load(&x->written);
    o->dropped = atomic_load(&x->dropped);
    o->write_errors = atomic_load(&x->errors);
    o->batches = atomic_load(&x->batches);
    o->up = atomic_load(&x->up) && x->db_created;
    pthread_mutex_lock(&x->mu);
    o->queue_bytes = x->pending_len + x->flight_len;
    pthread_mutex_unlock(&x->mu);
}

char *sathd_influx_render_metrics(void *ud)
{
    sathd_influx_stats s;
    sathd_influx_get_stats(ud, &s);
    char *out = NULL;
    if (asprintf(&out,
                 "# HELP sathd_influx_points_queued_total Bot metric points queued for InfluxDB.\n"
                 "# TYPE sathd_influx_points_queued_total counter\n"
                 "sathd_influx_points_queued_total %llu\n"
                 "# HELP sathd_influx_points_written_total Bot metric points InfluxDB accepted.\n"
                 "# TYPE sathd_influx_points_written_total counter\n"
                 "sathd_influx_points_written_total %llu\n"
                 "# HELP sathd_influx_points_dropped_total Bot metric points dropped (queue full, refused, shutdown).\n"
                 "# TYPE sathd_influx_points_dropped_total counter\n"
                 "sathd_influx_points_dropped_total %llu\n"
                 "# HELP sathd_influx_write_errors_total Failed writes to InfluxDB.\n"
                 "# TYPE sathd_influx_write_errors_total counter\n"
                 "sathd_influx_write_errors_total %llu\n"
                 "# HELP sathd_influx_queue_bytes Line protocol waiting for InfluxDB.\n"
                 "# TYPE sathd_influx_queue_bytes gauge\n"
                 "sathd_influx_queue_bytes %zu\n"
                 "# HELP sathd_influx_up 1 when the last write to InfluxDB succeeded.\n"
                 "# TYPE sathd_influx_up gauge\n"
                 "sathd_influx_up %d\n",
                 (unsigned long long)s.queued, (unsigned long long)s.written,
                 (unsigned long long)s.dropped, (unsigned long long)s.write_errors, s.queue_bytes,
                 s.up) < 0)
        return NULL;
    return out;
}

const char *sathd__influx_url(const sathd_influx *x)
{
    return x->url;
}

const char *sathd__influx_db(const sathd_influx *x)
{
    return x->db;
}

sathd_httpc *sathd__influx_http(const sathd_influx *x)
{
    return x->http;
}
