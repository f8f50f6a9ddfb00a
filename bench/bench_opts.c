/*
 * bench_opts.c - see bench_opts.h.
 */
#include "bench_opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[] = {"health", "get-me", "list-plans", "login"};
static const char *const method_paths[] = {
    "/grpc.health.v1.Health/Check",
    "/sath.v1.UserService/GetMe",
    "/sath.v1.BillingService/ListPlans",
    "/sath.v1.AuthService/Login",
};

const char *bench_method_name(bench_method m)
{
    return (unsigned)m < 4 ? method_names[m] : "?";
}

const char *bench_method_path(bench_method m)
{
    return (unsigned)m < 4 ? method_paths[m] : "?";
}

void bench_opts_usage(FILE *f)
{
    fputs("usage: sath-bench --target HOST:PORT [options]\n"
          "  --target HOST:PORT     loopback sathd (127.0.0.1:P, localhost:P, [::1]:P, unix:PATH)\n"
          "  --connections N        separate client handles / HTTP/2 connections (default 1)\n"
          "  --concurrency C        calling threads, spread over the connections (default 1)\n"
          "  --method M             health | get-me | list-plans | login (default health)\n"
          "  --duration S           measured seconds (default 10)\n"
          "  --requests N           measured calls instead of a duration\n"
          "  --warmup S             unmeasured seconds first (default 0)\n"
          "  --timeout-ms MS        per-call deadline (default 10000)\n"
          "  --email E --password P account for get-me/login (default: a fresh random one;\n"
          "                         the password may also come from SATH_BENCH_PASSWORD)\n"
          "  --json                 print one JSON object\n",
          f);
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (*s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Loopback hosts only: the text before the last ':' (brackets allowed), or unix:. */
static int target_is_loopback(const char *t)
{
    if (strncmp(t, "unix:", 5) == 0)
        return t[5] != '\0';
    const char *colon = strrchr(t, ':');
    if (!colon || colon == t || colon[1] == '\0')
        return 0;
    size_t n = (size_t)(colon - t);
    for (const char *p = colon + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    if ((n == 9 && strncmp(t, "localhost", 9) == 0) || (n == 5 && strncmp(t, "[::1]", 5) == 0))
        return 1;
    if (n < 7 || n > 15 || strncmp(t, "127.", 4) != 0)
        return 0;
    int dots = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '.')
            dots++;
        else if (t[i] < '0' || t[i] > '9')
            return 0;
    }
    return dots == 3;
}

static int set_method(bench_opts *o, const char *s)
{
    for (unsigned i = 0; i < 4; i++)
        if (strcmp(s, method_names[i]) == 0) {
            o->method = (bench_method)i;
            return 0;
        }
    return -1;
}

enum { O_TARGET = 256, O_CONN, O_CONC, O_METHOD, O_DUR, O_REQ, O_WARM, O_TMO, O_EMAIL, O_PW, O_JSON };

/* Applies one option; -1 with err filled on a bad value. */
static int apply(bench_opts *o, int c, const char *arg, char *err, size_t errlen)
{
    uint64_t u = 0;
    double d = 0;
    int bad = 0;
    switch (c) {
    case O_TARGET: o->target = arg; break;
    case O_CONN: bad = parse_u64(arg, 1, 256, &u); o->connections = (int)u; break;
    case O_CONC: bad = parse_u64(arg, 1, 1024, &u); o->concurrency = (int)u; break;
    case O_METHOD: bad = set_method(o, arg); break;
    case O_DUR: bad = parse_double(arg, 0.1, 3600, &d); o->duration_s = d; break;
    case O_REQ: bad = parse_u64(arg, 1, UINT64_C(1000000000), &o->requests); break;
    case O_WARM: bad = parse_double(arg, 0, 600, &d); o->warmup_s = d; break;
    case O_TMO: bad = parse_u64(arg, 1, 600000, &u); o->timeout_ms = (int64_t)u; break;
    case O_EMAIL: o->email = arg; break;
    case O_PW: o->password = arg; break;
    case O_JSON: o->json = 1; break;
    default: bad = 1;
    }
    if (bad)
        snprintf(err, errlen, "bad value for option: %s", arg ? arg : "(none)");
    return bad ? -1 : 0;
}

int bench_opts_parse(int argc, char **argv, bench_opts *o, char *err, size_t errlen)
{
    static const struct option longopts[] = {
        {"target", required_argument, NULL, O_TARGET},
        {"connections", required_argument, NULL, O_CONN},
        {"concurrency", required_argument, NULL, O_CONC},
        {"method", required_argument, NULL, O_METHOD},
        {"duration", required_argument, NULL, O_DUR},
        {"requests", required_argument, NULL, O_REQ},
        {"warmup", required_argument, NULL, O_WARM},
        {"timeout-ms", required_argument, NULL, O_TMO},
        {"email", required_argument, NULL, O_EMAIL},
        {"password", required_argument, NULL, O_PW},
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->connections = 1;
    o->concurrency = 1;
    o->method = BENCH_HEALTH;
    o->duration_s = 10;
    o->timeout_ms = 10000;
    o->password = getenv("SATH_BENCH_PASSWORD");
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h') {
            bench_opts_usage(stdout);
            return 1;
        }
        if (c == '?') {
            snprintf(err, errlen, "unknown option (see --help)");
            return -1;
        }
        if (apply(o, c, optarg, err, errlen) != 0)
            return -1;
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument: %s", argv[optind]);
        return -1;
    }
    if (!o->target) {
        snprintf(err, errlen, "--target is required");
        return -1;
    }
    if (!target_is_loopback(o->target)) {
        snprintf(err, errlen, "--target must be a loopback address or unix: socket, not %s",
                 o->target);
        return -1;
    }
    if (o->email && !o->password) {
        snprintf(err, errlen, "--email needs --password (or SATH_BENCH_PASSWORD)");
        return -1;
    }
    return 0;
}
