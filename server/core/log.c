/*
 * log.c - logfmt lines on stderr, written directly or by a background writer.
 *
 * The threshold is written once during start-up (before threads exist) and read-only
 * afterwards, so readers need no lock.
 *
 * Direct mode (the default, and every program but `sathd serve`): each line is
 * formatted into a stack buffer and emitted with one write(2), which keeps lines from
 * different threads from interleaving.
 *
 * Asynchronous mode (sathd_log_async_start): a line costs a vsnprintf into the calling
 * thread's own buffer, under that buffer's own lock, which only the writer ever
 * contends for (for a pointer swap).  The writer thread swaps each buffer with a spare
 * every SINK_PERIOD_MS, or sooner when one is half full, and writes what it took with
 * one writev(2) per batch.  Memory is bounded: a line that does not fit in its
 * thread's buffer is dropped and counted, never waited for (a slow stderr must not slow
 * calls down); the count is reported by a warning line.  The lines are the same as in
 * direct mode; lines of one thread keep their order.  The buffers of a thread that has
 * not logged for a second are handed back to the system (MADV_DONTNEED), so an idle
 * server keeps no resident log memory.  These buffers are the log's
 * process-wide state, like the threshold: logging is the process's, not a call's.
 */
#include "sathd/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 2048
#define SINK_PERIOD_MS 5
/* A thread quiet this many flushes (1 s) gets its buffers' pages given back. */
#define QUIET_RELEASE (1000 / SINK_PERIOD_MS)

static sathd_log_level log_threshold = SATHD_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* One thread's buffer.  `mu` guards data/len; `spare` belongs to the writer. */
typedef struct tbuf {
    pthread_mutex_t mu;
    char *data, *spare; /* mmap'd, sink.cap bytes each */
    size_t len;
    _Atomic int dead; /* the thread has exited: flush, then free */
    int quiet;        /* writer's: flushes in a row that found nothing */
    struct tbuf *next;
} tbuf;

static struct {
    pthread_mutex_t mu; /* guards list and the wake-up condition */
    pthread_cond_t cv;
    tbuf *list;
    pthread_t thread;
    pthread_key_t key;
    size_t cap;
    _Atomic int on, stop, wake;
    _Atomic uint64_t dropped;
} sink = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static _Thread_local tbuf *my_buf;

void sathd_log_set_level(sathd_log_level level) { log_threshold = level; }

int sathd_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

int sathd_log_enabled(sathd_log_level level) { return level >= log_threshold; }

uint64_t sathd_log_dropped(void) { return atomic_load(&sink.dropped); }

/* Formats one whole line (with its '\n') into buf (cap >= LINE_MAX_BYTES); its length. */
static size_t format_line(char *buf, sathd_log_level level, const char *fmt, va_list ap)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(buf, LINE_MAX_BYTES, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000L, level_names[level]);
    int m = vsnprintf(buf + n, LINE_MAX_BYTES - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > LINE_MAX_BYTES - 2)
        len = LINE_MAX_BYTES - 2; /* truncated: keep the line a line */
    buf[len++] = '\n';
    return len;
}

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w <= 0)
            return; /* nothing sensible to do when stderr is gone */
        p += w, n -= (size_t)w;
    }
}

static void thread_gone(void *arg)
{
    atomic_store(&((tbuf *)arg)->dead, 1);
}

/* Page-aligned, so a quiet thread's pages can be handed back (release_pages). */
static char *buf_alloc(void)
{
    void *p = mmap(NULL, sink.cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void buf_free(char *p)
{
    if (p)
        munmap(p, sink.cap);
}

/* The calling thread's buffer, made and registered on first use; NULL when out of memory. */
static tbuf *own_buffer(void)
{
    if (my_buf)
        return my_buf;
    tbuf *b = calloc(1, sizeof *b);
    if (!b || !(b->data = buf_alloc()) || !(b->spare = buf_alloc())) {
        if (b)
            buf_free(b->data);
        free(b);
        return NULL;
    }
    pthread_mutex_init(&b->mu, NULL);
    pthread_setspecific(sink.key, b);
    pthread_mutex_lock(&sink.mu);
    b->next = sink.list;
    sink.list = b;
    pthread_mutex_unlock(&sink.mu);
    return my_buf = b;
}

static void wake_writer(void)
{
    if (!atomic_exchange(&sink.wake, 1)) {
        pthread_mutex_lock(&sink.mu);
        pthread_cond_signal(&sink.cv);
        pthread_mutex_unlock(&sink.mu);
    }
}

/* 1 when the line went to this thread's buffer (or was dropped), 0 to write directly. */
static int log_async(sathd_log_level level, const char *fmt, va_list ap)
{
    tbuf *b = own_buffer();
    if (!b)
        return 0;
    pthread_mutex_lock(&b->mu);
    int fits = sink.cap - b->len >= LINE_MAX_BYTES;
    if (fits)
        b->len += format_line(b->data + b->len, level, fmt, ap);
    int half = b->len >= sink.cap / 2;
    pthread_mutex_unlock(&b->mu);
    if (!fits)
        atomic_fetch_add(&sink.dropped, 1);
    if (half || !fits)
        wake_writer();
    return 1;
}

void sathd_log(sathd_log_level level, const char *fmt, ...)
{
    if (level < log_threshold || level > SATHD_LOG_ERROR)
        return;
    va_list ap;
    va_start(ap, fmt);
    int done = atomic_load_explicit(&sink.on, memory_order_acquire) && log_async(level, fmt, ap);
    va_end(ap);
    if (done)
        return;
    char line[LINE_MAX_BYTES];
    va_start(ap, fmt);
    size_t len = format_line(line, level, fmt, ap);
    va_end(ap);
    write_all(line, len);
}

#define MAX_BATCH 256

/* Takes every buffer's lines (under the list lock: only pointer swaps) and writes them
 * without any lock held; frees the buffers of exited threads after writing them. */
static void flush_all(void)
{
    struct iovec iov[MAX_BATCH];
    tbuf *gone = NULL;
    int n = 0;
    pthread_mutex_lock(&sink.mu);
    tbuf **link = &sink.list;
    while (*link && n < MAX_BATCH) {
        tbuf *b = *link;
        int dead = atomic_load(&b->dead);
        pthread_mutex_lock(&b->mu);
        char *full = b->data;
        size_t len = b->len;
        b->data = b->spare;
        b->len = 0;
        b->spare = full; /* the writer's until its next flush */
        /* A thread that stopped logging keeps no resident buffer: both become
         * zero pages again until it logs (the swap just made `data` the clean one). */
        b->quiet = len ? 0 : b->quiet + 1;
        if (b->quiet == QUIET_RELEASE) {
            madvise(b->data, sink.cap, MADV_DONTNEED);
            madvise(b->spare, sink.cap, MADV_DONTNEED);
        }
        pthread_mutex_unlock(&b->mu);
        if (len) {
            iov[n].iov_base = full;
            iov[n++].iov_len = len;
        }
        if (dead) {
            *link = b->next;
            b->next = gone;
            gone = b;
        } else {
            link = &b->next;
        }
    }
    pthread_mutex_unlock(&sink.mu);
    for (int i = 0; i < n;) {
        ssize_t w = writev(STDERR_FILENO, iov + i, n - i);
        if (w <= 0)
            break;
        while (i < n && (size_t)w >= iov[i].iov_len)
            w -= (ssize_t)iov[i++].iov_len;
        if (i < n) {
            iov[i].iov_base = (char *)iov[i].iov_base + w;
            iov[i].iov_len -= (size_t)w;
        }
    }
    while (gone) {
        tbuf *b = gone;
        gone = b->next;
        pthread_mutex_destroy(&b->mu);
        buf_free(b->data);
        buf_free(b->spare);
        free(b);
    }
}

static void direct_line(sathd_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void direct_line(sathd_log_level level, const char *fmt, ...)
{
    char line[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    size_t len = format_line(line, level, fmt, ap);
    va_end(ap);
    write_all(line, len);
}

static void report_drops(uint64_t *reported)
{
    uint64_t d = atomic_load(&sink.dropped);
    if (d != *reported)
        direct_line(SATHD_LOG_WARN,
                    "msg=\"log lines dropped: the log writer fell behind\" dropped=%llu total=%llu",
                    (unsigned long long)(d - *reported), (unsigned long long)d);
    *reported = d;
}

static void *writer_main(void *arg)
{
    (void)arg;
    uint64_t reported = 0;
    int64_t ticks = 0;
    while (!atomic_load(&sink.stop)) {
        pthread_mutex_lock(&sink.mu);
        if (!atomic_load(&sink.wake) && !atomic_load(&sink.stop)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += SINK_PERIOD_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L)
                ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&sink.cv, &sink.mu, &ts);
        }
        pthread_mutex_unlock(&sink.mu);
        atomic_store(&sink.wake, 0);
        flush_all();
        if (++ticks % (1000 / SINK_PERIOD_MS) == 0)
            report_drops(&reported);
    }
    flush_all();
    report_drops(&reported);
    return NULL;
}

int sathd_log_async_start(size_t buf_bytes)
{
    if (atomic_load(&sink.on))
        return 0;
    sink.cap = buf_bytes < 4 * LINE_MAX_BYTES ? 4 * LINE_MAX_BYTES : buf_bytes;
    if (pthread_key_create(&sink.key, thread_gone) != 0)
        return -1;
    atomic_store(&sink.stop, 0);
    if (pthread_create(&sink.thread, NULL, writer_main, NULL) != 0) {
        pthread_key_delete(sink.key);
        return -1;
    }
    atomic_store_explicit(&sink.on, 1, memory_order_release);
    return 0;
}

void sathd_log_async_stop(void)
{
    if (!atomic_load(&sink.on))
        return;
    atomic_store_explicit(&sink.on, 0, memory_order_release);
    atomic_store(&sink.stop, 1);
    pthread_mutex_lock(&sink.mu);
    pthread_cond_signal(&sink.cv);
    pthread_mutex_unlock(&sink.mu);
    pthread_join(sink.thread, NULL);
    /* Threads still alive keep their (now empty) buffer until they exit; the key stays,
     * so their destructor still runs: mark every buffer dead and free it here instead. */
    pthread_mutex_lock(&sink.mu);
    for (tbuf *b = sink.list, *next; b; b = next) {
        next = b->next;
        pthread_mutex_lock(&b->mu);
        write_all(b->data, b->len);
        pthread_mutex_unlock(&b->mu);
    }
    pthread_mutex_unlock(&sink.mu);
}
