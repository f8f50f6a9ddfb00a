/*
 * torture_docker_frames.c - the Docker log-stream demultiplexer (server/bots/docker_frames.c):
 * a hand-built stream (stdout and stderr frames, nanosecond and whole-second timestamps, a
 * message split over two frames as Docker does past 16 KiB, an empty frame, a line longer
 * than SATHD_DOCKER_LINE_MAX, a frame with several lines) must give the same hand-written
 * lines whether it arrives in one piece, cut at every single byte boundary, in two cuts at
 * every pair of boundaries of a shorter stream, or one byte at a time.  Then the refusals:
 * unknown stream byte, bad timestamps, systemerr, truncation, a callback that stops.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "docker_frames.h"

/* ---- a growable byte string and the collected lines -------------------------------- */

typedef struct buf { unsigned char *p; size_t n, cap; } buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void frame(buf *b, int stream, const char *payload, size_t n)
{
    unsigned char h[8] = {(unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24),
                          (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n};
    put(b, h, 8);
    put(b, payload, n);
}

static void frame_s(buf *b, int stream, const char *payload)
{
    frame(b, stream, payload, strlen(payload));
}

typedef struct got {
    buf text; /* "<stream>|<ts_ns>|<line>\n" per line, so a run compares as one string */
    int lines;
    int stop_after; /* callback returns 42 at this line (0 = never) */
} got;

static int on_line(void *arg, int stream, int64_t ts_ns, const char *line, size_t len)
{
    got *g = arg;
    char head[64];
    int k = snprintf(head, sizeof head, "%d|%lld|", stream, (long long)ts_ns);
    put(&g->text, head, (size_t)k);
    put(&g->text, line, len);
    put(&g->text, "\n", 1);
    g->lines++;
    return g->stop_after && g->lines == g->stop_after ? 42 : 0;
}

/* Feeds `s` cut at the given offsets (sorted, within [0, n]) and returns the lines. */
static char *run_cuts(const buf *s, int timestamps, const size_t *cuts, size_t ncuts, int *rc_out)
{
    sathd_docker_demux *d = malloc(sizeof *d);
    assert_non_null(d);
    got g = {0};
    sathd_docker_demux_init(d, timestamps, on_line, &g);
    size_t at = 0;
    int rc = 0;
    for (size_t i = 0; i <= ncuts && rc == 0; i++) {
        size_t end = i < ncuts ? cuts[i] : s->n;
        rc = sathd_docker_demux_feed(d, s->p + at, end - at);
        at = end;
    }
    if (rc == 0)
        rc = sathd_docker_demux_finish(d);
    *rc_out = rc;
    put(&g.text, "", 1);
    free(d);
    return (char *)g.text.p;
}

/* ---- the reference stream ---------------------------------------------------------- */

#define TS1 "2026-11-28T15:26:32.902912883Z"
#define TS1_NS "1795879592902912883"
#define TS2 "2026-11-28T15:26:36Z"
#define TS2_NS "1795879596000000000"
#define TS3 "2026-11-28T16:26:37.5+01:00"
#define TS3_NS "1795879597500000000"

static buf g_long; /* the overlong line's text */

static void reference(buf *s, buf *want)
{
    s->n = want->n = 0;
    frame_s(s, 1, TS1 " hello\n");
    frame_s(s, 2, TS1 " oops: on stderr\n");
    frame_s(s, 1, TS2 " first half of a partial ");   /* Docker's 16 KiB split */
    frame_s(s, 2, TS2 " interleaved\n");
    frame_s(s, 1, TS3 " second half\n");              /* keeps the first piece's time */
    frame(s, 1, "", 0);                               /* an empty frame: nothing */
    frame_s(s, 1, TS3 " \n");                         /* an empty line */
    frame_s(s, 0, TS3 " stdin goes to stdout\n");
    frame_s(s, 2, TS3 " a\nb\n");                     /* several lines in one frame */
    buf f = {0};
    put(&f, TS1 " ", strlen(TS1) + 1);
    put(&f, g_long.p, g_long.n);
    put(&f, "\n", 1);
    frame(s, 1, (const char *)f.p, f.n);
    free(f.p);
    frame_s(s, 2, TS2 " unterminated at the end");

    const char *w = "1|" TS1_NS "|hello\n"
                    "2|" TS1_NS "|oops: on stderr\n"
                    "2|" TS2_NS "|interleaved\n"
                    "1|" TS2_NS "|first half of a partial second half\n"
                    "1|" TS3_NS "|\n"
                    "1|" TS3_NS "|stdin goes to stdout\n"
                    "2|" TS3_NS "|a\n"
                    "2|" TS3_NS "|b\n";
    put(want, w, strlen(w));
    /* the long line: SATHD_DOCKER_LINE_MAX bytes, then the rest */
    put(want, "1|" TS1_NS "|", strlen("1|" TS1_NS "|"));
    put(want, g_long.p, SATHD_DOCKER_LINE_MAX);
    put(want, "\n1|" TS1_NS "|", strlen("\n1|" TS1_NS "|"));
    put(want, g_long.p + SATHD_DOCKER_LINE_MAX, g_long.n - SATHD_DOCKER_LINE_MAX);
    put(want, "\n", 1);
    const char *tail = "2|" TS2_NS "|unterminated at the end\n";
    put(want, tail, strlen(tail) + 1);
}

static int setup(void **state)
{
    (void)state;
    g_long.n = 0;
    for (size_t i = 0; i < SATHD_DOCKER_LINE_MAX + 100; i++) {
        char c = (char)('a' + i % 26);
        put(&g_long, &c, 1);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(g_long.p);
    g_long = (buf){0};
    return 0;
}

static void whole(void **state)
{
    (void)state;
    buf s = {0}, want = {0};
    reference(&s, &want);
    int rc;
    char *out = run_cuts(&s, 1, NULL, 0, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(out, (char *)want.p);
    free(out);
    free(s.p);
    free(want.p);
}

/* Every byte boundary of the whole stream, headers, timestamps and the long line included. */
static void every_boundary(void **state)
{
    (void)state;
    buf s = {0}, want = {0};
    reference(&s, &want);
    for (size_t cut = 0; cut <= s.n; cut++) {
        int rc;
        char *out = run_cuts(&s, 1, &cut, 1, &rc);
        if (rc != 0 || strcmp(out, (char *)want.p) != 0)
            fail_msg("cut at byte %zu of %zu: rc %d", cut, s.n, rc);
        free(out);
    }
    free(s.p);
    free(want.p);
}

/* Byte by byte (n cuts), and every pair of cuts over the short frames (the first 9 frames:
 * everything but the long line), so two splits inside one header or timestamp are covered. */
static void byte_by_byte_and_pairs(void **state)
{
    (void)state;
    buf s = {0}, want = {0};
    reference(&s, &want);
    size_t *cuts = malloc(s.n * sizeof *cuts);
    assert_non_null(cuts);
    for (size_t i = 0; i < s.n; i++)
        cuts[i] = i + 1;
    int rc;
    char *out = run_cuts(&s, 1, cuts, s.n - 1, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(out, (char *)want.p);
    free(out);
    free(cuts);

    buf shrt = {0}, wshort = {0};
    frame_s(&shrt, 1, TS1 " hello\n");
    frame_s(&shrt, 2, TS2 " half ");
    frame_s(&shrt, 2, TS3 " whole\n");
    frame(&shrt, 1, "", 0);
    frame_s(&shrt, 1, TS2 " x\ny\n");
    const char *w = "1|" TS1_NS "|hello\n2|" TS2_NS "|half whole\n1|" TS2_NS "|x\n1|" TS2_NS "|y\n";
    put(&wshort, w, strlen(w) + 1);
    for (size_t a = 0; a <= shrt.n; a++) {
        for (size_t b = a; b <= shrt.n; b++) {
            size_t two[2] = {a, b};
            char *o = run_cuts(&shrt, 1, two, 2, &rc);
            if (rc != 0 || strcmp(o, (char *)wshort.p) != 0)
                fail_msg("cuts at %zu and %zu: rc %d", a, b, rc);
            free(o);
        }
    }
    free(shrt.p);
    free(wshort.p);
    free(s.p);
    free(want.p);
}

static void without_timestamps(void **state)
{
    (void)state;
    buf s = {0};
    frame_s(&s, 1, "plain line\n");
    frame_s(&s, 2, "2026 is not parsed here\n");
    for (size_t cut = 0; cut <= s.n; cut++) {
        int rc;
        char *out = run_cuts(&s, 0, &cut, 1, &rc);
        assert_int_equal(rc, 0);
        assert_string_equal(out, "1|0|plain line\n2|0|2026 is not parsed here\n");
        free(out);
    }
    free(s.p);
}

static void refusals(void **state)
{
    (void)state;
    int rc;
    char *out;
    buf s = {0};

    frame_s(&s, 4, "x\n"); /* no such stream */
    out = run_cuts(&s, 0, NULL, 0, &rc);
    assert_int_equal(rc, -EPROTO);
    free(out);

    s.n = 0; /* an HTTP error body fed as if it were frames */
    put(&s, "{\"message\":\"No such container\"}", 31);
    out = run_cuts(&s, 0, NULL, 0, &rc);
    assert_int_equal(rc, -EPROTO);
    free(out);

    static const char *const bad_ts[] = {
        "2026-11-28 15:26:32Z x\n", "2026-13-28T15:26:32Z x\n", "2026-11-28T15:26:32 x\n",
        "2026-11-28T15:26:32.Z x\n", "2026-11-28T15:26:32+0100 x\n", "hello world\n",
        "1969-12-31T23:59:59Z x\n", "2026-11-28T15:26:32.123456789012345678901234Z x\n",
    };
    for (size_t i = 0; i < sizeof bad_ts / sizeof bad_ts[0]; i++) {
        s.n = 0;
        frame_s(&s, 1, bad_ts[i]);
        out = run_cuts(&s, 1, NULL, 0, &rc);
        if (rc != -EPROTO)
            fail_msg("accepted %s", bad_ts[i]);
        assert_string_equal(out, "");
        free(out);
    }

    s.n = 0; /* a frame that ends inside its timestamp */
    frame_s(&s, 1, "2026-11-28T15:26:32Z");
    frame_s(&s, 1, " x\n");
    out = run_cuts(&s, 1, NULL, 0, &rc);
    assert_int_equal(rc, -EPROTO);
    free(out);

    /* systemerr: lines before it are delivered, then -EIO with the engine's text */
    s.n = 0;
    frame_s(&s, 1, "before\n");
    frame_s(&s, 3, "error from daemon in stream: Error grabbing logs");
    frame_s(&s, 1, "after\n");
    sathd_docker_demux d;
    got g = {0};
    sathd_docker_demux_init(&d, 0, on_line, &g);
    assert_int_equal(sathd_docker_demux_feed(&d, s.p, s.n), -EIO);
    assert_string_equal(sathd_docker_demux_error(&d),
                        "error from daemon in stream: Error grabbing logs");
    assert_int_equal(g.lines, 1);
    assert_int_equal(sathd_docker_demux_feed(&d, "x", 1), -EIO); /* stays failed */
    assert_int_equal(sathd_docker_demux_finish(&d), -EIO);
    free(g.text.p);

    /* truncated inside a header, inside a payload: the partial line still comes out */
    s.n = 0;
    frame_s(&s, 1, "complete\n");
    frame_s(&s, 1, "cut short here");
    for (size_t drop = 1; drop < 14 + 8; drop++) { /* 14 payload bytes, 8 header bytes */
        sathd_docker_demux_init(&d, 0, on_line, &g);
        g = (got){0};
        assert_int_equal(sathd_docker_demux_feed(&d, s.p, s.n - drop), 0);
        assert_int_equal(sathd_docker_demux_finish(&d), -EPROTO);
        char w[64];
        if (drop < 14) /* cut inside the payload: the partial line comes out */
            snprintf(w, sizeof w, "1|0|complete\n1|0|%.*s\n", (int)(14 - drop), "cut short here");
        else
            snprintf(w, sizeof w, "1|0|complete\n");
        put(&g.text, "", 1);
        assert_string_equal((char *)g.text.p, w);
        free(g.text.p);
    }

    /* a callback that stops: its value comes back, nothing more is delivered */
    s.n = 0;
    frame_s(&s, 1, "one\ntwo\nthree\n");
    sathd_docker_demux_init(&d, 0, on_line, &g);
    g = (got){.stop_after = 2};
    assert_int_equal(sathd_docker_demux_feed(&d, s.p, s.n), 42);
    assert_int_equal(g.lines, 2);
    assert_int_equal(sathd_docker_demux_finish(&d), 42);
    free(g.text.p);
    free(s.p);
}

static void parse_time(void **state)
{
    (void)state;
    int64_t ns = -1;
    assert_int_equal(sathd_docker_parse_time("1970-01-01T00:00:00Z", 20, &ns), 0);
    assert_int_equal(ns, 0);
    assert_int_equal(sathd_docker_parse_time(TS1, strlen(TS1), &ns), 0);
    assert_int_equal(ns, 1795879592902912883LL);
    assert_int_equal(sathd_docker_parse_time("2000-02-29T12:00:00.1-02:30", 27, &ns), 0);
    assert_int_equal(ns, (951825600LL + 9000) * 1000000000LL + 100000000LL);
    /* more than 9 fraction digits: the rest is ignored, not rounded */
    assert_int_equal(sathd_docker_parse_time("2026-11-28T15:26:32.1234567899Z", 31, &ns), 0);
    assert_int_equal(ns % 1000000000LL, 123456789);
    assert_int_equal(sathd_docker_parse_time("2026-11-28T15:26:32", 19, &ns), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_time),
        cmocka_unit_test_setup_teardown(whole, setup, teardown),
        cmocka_unit_test_setup_teardown(every_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(byte_by_byte_and_pairs, setup, teardown),
        cmocka_unit_test(without_timestamps),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
