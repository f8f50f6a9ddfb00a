/*
 * fuzz_docker_frames.c - libFuzzer target for the Docker log-stream demultiplexer
 * (server/bots/docker_frames.c).  Input: one flags byte (bit 0: timestamps=1; bits 1-7: the
 * chunk size, 1..127, in which the rest is fed), then the stream bytes as an engine would
 * send them.
 * Invariants checked: no crash or over-read (the stream sits in an exact-size buffer); every
 * line is at most SATHD_DOCKER_LINE_MAX bytes on stream 1 or 2; and feeding the stream in
 * chunks gives exactly the lines, times and result of feeding it in one piece (a digest of
 * both runs is compared), which is the property the log reader relies on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker_frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct digest { uint64_t h; size_t lines; } digest;

static void mix(digest *g, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        g->h = (g->h ^ b[i]) * 1099511628211ULL; /* FNV-1a */
}

static int on_line(void *arg, int stream, int64_t ts_ns, const char *line, size_t len)
{
    digest *g = arg;
    if ((stream != 1 && stream != 2) || len > SATHD_DOCKER_LINE_MAX || ts_ns < 0)
        abort();
    mix(g, &stream, sizeof stream);
    mix(g, &ts_ns, sizeof ts_ns);
    mix(g, &len, sizeof len);
    mix(g, line, len);
    g->lines++;
    return 0;
}

static int run(const uint8_t *p, size_t n, size_t chunk, int ts, digest *g)
{
    static sathd_docker_demux d; /* 33 KiB: not on libFuzzer's stack */
    sathd_docker_demux_init(&d, ts, on_line, g);
    int rc = 0;
    for (size_t at = 0; at < n && rc == 0; at += chunk)
        rc = sathd_docker_demux_feed(&d, p + at, n - at < chunk ? n - at : chunk);
    int fin = sathd_docker_demux_finish(&d);
    if (rc != 0 && fin != rc) /* a failure sticks */
        abort();
    return fin;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int ts = data[0] & 1;
    size_t chunk = (size_t)(data[0] >> 1);
    if (chunk == 0)
        chunk = 1;
    size_t n = size - 1;
    uint8_t *p = malloc(n ? n : 1);
    if (!p)
        return 0;
    memcpy(p, data + 1, n);
    digest whole = {14695981039346656037ULL, 0}, split = whole;
    int rc1 = run(p, n, n ? n : 1, ts, &whole);
    int rc2 = run(p, n, chunk, ts, &split);
    if (rc1 != rc2 || whole.h != split.h || whole.lines != split.lines)
        abort();
    free(p);
    return 0;
}
