/*
 * bench_opts.h - command line of sath-bench.
 *
 * Parsing only checks and stores; nothing connects.  The target must be a loopback
 * address (127.0.0.0/8, localhost, [::1]) or a unix: socket: the tool generates load
 * as fast as it can and must not be pointed at someone else's server.
 */
#ifndef SATH_BENCH_OPTS_H
#define SATH_BENCH_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum bench_method {
    BENCH_HEALTH,     /* grpc.health.v1.Health/Check (no stub: generic SDK call) */
    BENCH_GET_ME,     /* sath.v1.UserService/GetMe with an access token */
    BENCH_LIST_PLANS, /* sath.v1.BillingService/ListPlans (public) */
    BENCH_LOGIN       /* sath.v1.AuthService/Login (Argon2id on the server: slow by design) */
} bench_method;

typedef struct bench_opts {
    const char *target;    /* points into argv */
    int connections;       /* sath_client handles, 1..256 */
    int concurrency;       /* calling threads, 1..1024 */
    bench_method method;
    double duration_s;     /* measured phase length; used when requests == 0 */
    uint64_t requests;     /* measured calls in total; 0: run for duration_s */
    double warmup_s;       /* unmeasured calls before the measured phase */
    int64_t timeout_ms;    /* per-call deadline */
    const char *email;     /* get-me/login account; NULL: a random one is registered */
    const char *password;  /* points into argv or the environment; never printed */
    int json;              /* print one JSON object instead of text */
} bench_opts;

/* Name of `m` as given on the command line ("health", "get-me", ...). */
const char *bench_method_name(bench_method m);
/* gRPC path of `m` ("/grpc.health.v1.Health/Check", ...). */
const char *bench_method_path(bench_method m);

/* Fills `o` from argv.  Returns 0, 1 when --help was asked (usage printed to stdout), or
 * -1 with a message in err. */
int bench_opts_parse(int argc, char **argv, bench_opts *o, char *err, size_t errlen);

/* Prints the usage text to `f`. */
void bench_opts_usage(FILE *f);

#endif
