/*
 * docker_frames.c - demultiplexes the Docker Engine's 8-byte-framed log stream into lines
 * (see docker_frames.h for the wire format).
 *
 * Invariants: `hdr_len < 8` while a header is being collected and `left == 0` then; while
 * `left > 0` the bytes belong to stream `cur`.  A frame's timestamp prefix is collected in
 * the stream's own buffer (`in_ts`), so a header, a timestamp or a line may each be cut at
 * any byte and resumed by the next call.  Nothing here trusts `size`: a frame may claim up
 * to 4 GiB and we only ever copy what was fed.
 */
#define _GNU_SOURCE /* timegm */
#include "docker_frames.h"

#include <errno.h>
#include <string.h>
#include <time.h>

void sathd_docker_demux_init(sathd_docker_demux *d, int timestamps, sathd_docker_line_fn fn,
                             void *arg)
{
    memset(d, 0, sizeof *d);
    d->fn = fn;
    d->arg = arg;
    d->timestamps = timestamps != 0;
}

const char *sathd_docker_demux_error(const sathd_docker_demux *d)
{
    return d->err;
}

static int stop(sathd_docker_demux *d, int rc)
{
    d->stopped = 1;
    d->stop_rc = rc;
    return rc;
}

/* ---- RFC 3339 ------------------------------------------------------------------------ */

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int sathd_docker_parse_time(const char *s, size_t len, int64_t *ns)
{
    int y, mo, d, h, mi, sec;
    if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return -EINVAL;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
        return -EINVAL;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -EINVAL;
    size_t i = 19;
    int64_t frac = 0;
    if (i < len && s[i] == '.') {
        size_t nd = 0;
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++)
            if (nd < 9)
                frac = frac * 10 + (s[i] - '0');
        if (nd == 0)
            return -EINVAL;
        for (; nd < 9; nd++)
            frac *= 10;
    }
    int64_t off = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return -EINVAL;
        off = (int64_t)(oh * 60 + om) * 60 * (s[i] == '+' ? 1 : -1);
        i += 6;
    } else {
        return -EINVAL;
    }
    if (i != len)
        return -EINVAL;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = sec};
    int64_t t = (int64_t)timegm(&tm) - off; /* UTC, whatever TZ says; normalises day 31 */
    if (t < 0 || t > INT64_MAX / 1000000000 - 1)
        return -EINVAL;
    *ns = t * 1000000000 + frac;
    return 0;
}

/* ---- lines --------------------------------------------------------------------------- */

static int emit(sathd_docker_demux *d, int idx)
{
    sathd_docker_line_buf *b = &d->out[idx];
    int rc = d->fn(d->arg, idx + 1, b->ts_ns, b->line, b->len);
    b->len = 0;
    return rc;
}

/* Payload bytes of one frame of stream `idx` (0 stdout, 1 stderr). */
static int payload(sathd_docker_demux *d, int idx, const char *p, size_t n)
{
    sathd_docker_line_buf *b = &d->out[idx];
    while (n > 0) {
        if (b->in_ts) {
            const char *sp = memchr(p, ' ', n);
            size_t take = sp ? (size_t)(sp - p) : n;
            if (b->ts_len + take >= sizeof b->ts)
                return -EPROTO;
            memcpy(b->ts + b->ts_len, p, take);
            b->ts_len += take;
            p += take;
            n -= take;
            if (!sp)
                return 0;
            p++, n--; /* the space */
            int64_t ts;
            if (sathd_docker_parse_time(b->ts, b->ts_len, &ts) != 0)
                return -EPROTO;
            b->in_ts = 0;
            b->ts_len = 0;
            if (b->len == 0) /* a continuation keeps its first piece's time */
                b->ts_ns = ts;
            continue;
        }
        if (b->len == sizeof b->line) {
            /* Full: deliver what we have as one piece of an overlong line (unless the line
             * ends exactly here, so no empty line follows). */
            if (*p == '\n')
                p++, n--;
            int rc = emit(d, idx);
            if (rc)
                return rc;
            continue;
        }
        const char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        size_t room = sizeof b->line - b->len;
        if (take > room)
            take = room;
        memcpy(b->line + b->len, p, take);
        b->len += take;
        p += take;
        n -= take;
        if (nl && p == nl) { /* the line ended: consume the '\n' */
            p++, n--;
            int rc = emit(d, idx);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* ---- frames -------------------------------------------------------------------------- */

int sathd_docker_demux_feed(sathd_docker_demux *d, const void *data, size_t n)
{
    const unsigned char *p = data;
    if (d->stopped)
        return d->stop_rc;
    while (n > 0) {
        if (d->left == 0) { /* collecting a header */
            size_t take = 8 - d->hdr_len;
            if (take > n)
                take = n;
            memcpy(d->hdr + d->hdr_len, p, take);
            d->hdr_len += (unsigned)take;
            p += take;
            n -= take;
            if (d->hdr_len < 8)
                return 0;
            d->hdr_len = 0;
            switch (d->hdr[0]) {
            case 0: /* stdin: Docker's stdcopy writes it to stdout too */
            case 1: d->cur = 0; break;
            case 2: d->cur = 1; break;
            case 3: d->cur = 2; break;
            default: return stop(d, -EPROTO);
            }
            d->left = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 |
                      (uint32_t)d->hdr[6] << 8 | d->hdr[7];
            if (d->cur < 2 && d->timestamps && d->left > 0) {
                d->out[d->cur].in_ts = 1;
                d->out[d->cur].ts_len = 0;
            }
            if (d->cur == 2 && d->left == 0)
                return stop(d, -EIO);
            continue;
        }
        size_t take = d->left < n ? d->left : n;
        if (d->cur == 2) {
            size_t room = sizeof d->err - 1 - d->err_len;
            size_t c = take < room ? take : room;
            memcpy(d->err + d->err_len, p, c);
            d->err_len += c;
            d->err[d->err_len] = '\0';
        } else {
            int rc = payload(d, d->cur, (const char *)p, take);
            if (rc)
                return stop(d, rc);
        }
        p += take;
        n -= take;
        d->left -= (uint32_t)take;
        if (d->left == 0) {
            if (d->cur == 2)
                return stop(d, -EIO);
            if (d->out[d->cur].in_ts) /* a frame that ended inside its timestamp */
                return stop(d, -EPROTO);
        }
    }
    return 0;
}

int sathd_docker_demux_finish(sathd_docker_demux *d)
{
    if (d->stopped)
        return d->stop_rc;
    int truncated = d->hdr_len != 0 || d->left != 0;
    for (int i = 0; i < 2; i++) {
        if (d->out[i].len > 0) {
            int rc = emit(d, i);
            if (rc)
                return stop(d, rc);
        }
    }
    return stop(d, truncated ? -EPROTO : 0);
}
