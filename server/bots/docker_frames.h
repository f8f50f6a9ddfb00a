/*
 * docker_frames.h - the demultiplexer for the Docker Engine's log stream
 * (GET /containers/{id}/logs, /attach, /services/{id}/logs without a TTY).
 *
 * The engine sends frames: an 8-byte header { stream, 0, 0, 0, size (uint32 big-endian) }
 * followed by `size` payload bytes.  Stream 0 is stdin (written as stdout, as Docker's
 * stdcopy does), 1 stdout, 2 stderr, 3 "systemerr" (an error from the engine itself, which
 * ends the stream).  With `timestamps=1` each message starts with an RFC 3339 time and one
 * space ("2026-11-28T15:26:32.902912883Z out\n"; podman sends whole seconds).  A message may
 * be split over several frames (Docker cuts lines at 16 KiB and marks the rest "partial"),
 * and the bytes of frames reach us in arbitrary pieces (HTTP chunks, socket reads): every
 * byte boundary is legal, including inside the header and inside the timestamp.
 *
 * The demultiplexer turns that into lines per stream: each line without its '\n', with the
 * time of its first piece.  A line longer than SATHD_DOCKER_LINE_MAX is delivered in pieces
 * of that size.  It never allocates; one struct holds all state (~33 KiB: keep it on the
 * heap or in a caller's frame that can afford it).
 */
#ifndef SATHD_DOCKER_FRAMES_H
#define SATHD_DOCKER_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#define SATHD_DOCKER_LINE_MAX 16384
#define SATHD_DOCKER_TS_MAX 40 /* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+hh:mm" fits in 35 */

enum { SATHD_DOCKER_STDOUT = 1, SATHD_DOCKER_STDERR = 2 };

/* Called once per complete line (or SATHD_DOCKER_LINE_MAX piece); `line` is not
 * NUL-terminated and is valid only during the call.  `ts_ns` is the message's time in
 * nanoseconds since the epoch, 0 without timestamps.  A non-zero return stops the
 * demultiplexer, and sathd_docker_demux_feed returns that value. */
typedef int (*sathd_docker_line_fn)(void *arg, int stream, int64_t ts_ns, const char *line,
                                    size_t len);

typedef struct sathd_docker_line_buf {
    size_t len;                   /* bytes in line[] */
    int64_t ts_ns;                /* time of the line's first piece */
    size_t ts_len;                /* bytes in ts[] while reading a frame's timestamp */
    int in_ts;                    /* reading the timestamp prefix of a frame */
    char ts[SATHD_DOCKER_TS_MAX];
    char line[SATHD_DOCKER_LINE_MAX];
} sathd_docker_line_buf;

typedef struct sathd_docker_demux {
    sathd_docker_line_fn fn;
    void *arg;
    int timestamps;               /* payloads start with "<RFC 3339> " */
    int stopped;                  /* a previous call failed: every later call fails the same */
    int stop_rc;
    unsigned char hdr[8];
    unsigned hdr_len;             /* header bytes collected for the next frame */
    uint32_t left;                /* payload bytes still to come in the current frame */
    int cur;                      /* current frame: 0 stdout, 1 stderr, 2 systemerr */
    size_t err_len;
    char err[256];                /* systemerr text (the engine's, never ours) */
    sathd_docker_line_buf out[2]; /* stdout, stderr */
} sathd_docker_demux;

/* Prepares `d` (no resources are held: nothing to free). */
void sathd_docker_demux_init(sathd_docker_demux *d, int timestamps, sathd_docker_line_fn fn,
                             void *arg);

/* Feeds the next `n` bytes of the stream.  Returns 0, the callback's non-zero value, or
 * -EPROTO (not a frame stream: unknown stream byte, bad or overlong timestamp) / -EIO (the
 * engine sent a systemerr frame; sathd_docker_demux_error says what).  After a failure
 * every call returns the same value. */
int sathd_docker_demux_feed(sathd_docker_demux *d, const void *p, size_t n);

/* End of stream: delivers unterminated lines, then returns 0, or -EPROTO when the stream
 * stopped inside a frame (truncated), or the earlier failure. */
int sathd_docker_demux_finish(sathd_docker_demux *d);

/* The engine's systemerr text after -EIO ("" otherwise); NUL-terminated, owned by `d`. */
const char *sathd_docker_demux_error(const sathd_docker_demux *d);

/* Parses an RFC 3339 time ("2026-11-28T15:26:32.902912883Z", "...T15:26:36+01:00") into
 * nanoseconds since the epoch.  Returns 0, or -EINVAL. */
int sathd_docker_parse_time(const char *s, size_t len, int64_t *ns);

#endif /* SATHD_DOCKER_FRAMES_H */
