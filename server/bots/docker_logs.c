/*
 * docker_logs.c - a bot's log lines from an Engine API log endpoint after a cursor (see
 * docker_logs.h); shared by the docker backend (container logs) and the swarm backend
 * (service logs), which the engines send in the same 8-byte frames.
 */
#include "docker_logs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_frames.h"

#define LOGS_MAX_BYTES ((size_t)64 << 20) /* per call; the cursor resumes the rest */

/* The logs cursor: unix seconds << 24 | lines already delivered from that second.  The
 * engine filters with since=<seconds> (inclusive; podman's timestamps have whole seconds
 * only, so a finer cursor could not work there), and we skip the lines of that second
 * already delivered.  Lines of one container come back in the same order every time (one
 * log file), which is what the count relies on. */
#define CURSOR_SEC(c) ((int64_t)((c) >> 24))
#define CURSOR_N(c) ((uint32_t)((c) & 0xffffffu))

typedef struct logs_ctx {
    sathd_docker_demux demux;
    sathd_bot_log_cb cb;
    void *arg;
    int64_t sec;    /* second of the cursor */
    uint32_t skip;  /* lines of `sec` still to skip */
    uint32_t seen;  /* lines of `sec` delivered or skipped so far */
    int stopped;    /* the caller's callback asked to stop */
} logs_ctx;

static int logs_line(void *arg, int stream, int64_t ts_ns, const char *line, size_t len)
{
    logs_ctx *c = arg;
    int64_t sec = ts_ns / 1000000000;
    if (sec < c->sec)
        return 0; /* the engine's since filter already drops these */
    if (sec > c->sec) {
        c->sec = sec;
        c->skip = 0;
        c->seen = 0;
    }
    if (c->skip > 0) {
        c->skip--;
        return 0;
    }
    if (c->seen < 0xffffffu)
        c->seen++; /* delivered, whatever the callback answers */
    if (c->cb(c->arg, ts_ns / 1000000, stream == SATHD_DOCKER_STDERR ? "stderr" : "stdout", line,
              len) != 0) {
        c->stopped = 1;
        return 1;
    }
    return 0;
}

static int logs_data(void *arg, const void *p, size_t n)
{
    logs_ctx *c = arg;
    return sathd_docker_demux_feed(&c->demux, p, n) != 0;
}

int sathd_docker_logs_read(sathd_docker *api, const char *logs_path, uint64_t *cursor,
                           sathd_bot_log_cb cb, void *arg, char *err, size_t errlen)
{
    logs_ctx *c = calloc(1, sizeof *c); /* the demultiplexer holds 33 KiB of line buffers */
    if (!c)
        return -ENOMEM;
    c->cb = cb;
    c->arg = arg;
    c->sec = CURSOR_SEC(*cursor);
    c->skip = c->seen = CURSOR_N(*cursor);
    sathd_docker_demux_init(&c->demux, 1, logs_line, c);
    char path[400];
    int n = snprintf(path, sizeof path, "%s?stdout=1&stderr=1&timestamps=1&since=%lld",
                     logs_path, (long long)c->sec);
    if (n < 0 || (size_t)n >= sizeof path) {
        free(c);
        snprintf(err, errlen, "log path too long");
        return -ENAMETOOLONG;
    }
    int rc, st = sathd_docker_stream(api, path, 60000, LOGS_MAX_BYTES, logs_data, c, err, errlen);
    if (st == 200)
        rc = sathd_docker_demux_finish(&c->demux) ; /* an unterminated last line too */
    else if (st == -ECANCELED && c->stopped)
        rc = 0;                                      /* the caller stopped: cursor is exact */
    else if (st == -ECANCELED || st == -EFBIG)
        rc = c->demux.stopped ? c->demux.stop_rc : 0; /* cut: the rest comes next call */
    else
        rc = st < 0 ? st : sathd_docker_status_rc(st);
    if (rc == 1 && c->stopped)
        rc = 0;
    if (rc == -EIO && *sathd_docker_demux_error(&c->demux))
        snprintf(err, errlen, "%s", sathd_docker_demux_error(&c->demux));
    if (rc == -EPROTO && !*err)
        snprintf(err, errlen, "log stream is not in Docker's frame format");
    if (c->sec > CURSOR_SEC(*cursor) || c->seen > CURSOR_N(*cursor))
        *cursor = (uint64_t)c->sec << 24 | c->seen;
    free(c);
    return rc;
}
