/*
 * sath_bench.c - sath-bench: a load generator for sathd built on libsathclient.
 *
 * Opens --connections clients (each its own gRPC channel), prepares the account the
 * method needs, runs --concurrency threads for the warm-up and the measured phase, and
 * prints calls, errors by status, QPS and latency percentiles.  Exit status: 0 when
 * every measured call succeeded, 1 when some failed or none were made, 2 on bad usage or
 * a failed set-up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sath/client.h"
#include "sath/error.h"

#include "bench_method.h"
#include "bench_opts.h"
#include "bench_report.h"
#include "bench_run.h"

/* Creates `n` clients for `target` into clients[]; 0 or a sath_errno. */
static int open_clients(const bench_opts *o, sath_client **clients)
{
    sath_client_options *co = NULL;
    int rc = sath_client_options_new(&co);
    if (rc == SATH_OK)
        rc = sath_client_options_set_timeout_ms(co, o->timeout_ms);
    for (int i = 0; rc == SATH_OK && i < o->connections; i++)
        rc = sath_client_new(o->target, co, &clients[i]);
    sath_client_options_free(co);
    return rc;
}

static int run(const bench_opts *o, sath_client **clients)
{
    char err[512] = "";
    bench_account acct;
    int rc = bench_account_prepare(o, clients, o->connections, &acct, err, sizeof err);
    if (rc != SATH_OK) {
        fprintf(stderr, "sath-bench: %s\n", err);
        bench_account_clear(&acct);
        return 2;
    }
    bench_result *res = malloc(sizeof *res);
    int status = 2;
    if (res && bench_run(o, clients, &acct, res) == 0 && bench_report(stdout, o, res) == 0)
        status = (res->calls > 0 && res->ok == res->calls) ? 0 : 1;
    free(res);
    bench_account_clear(&acct);
    return status;
}

int main(int argc, char **argv)
{
    bench_opts o;
    char err[512];
    int prc = bench_opts_parse(argc, argv, &o, err, sizeof err);
    if (prc == 1)
        return 0;
    if (prc != 0) {
        fprintf(stderr, "sath-bench: %s\n", err);
        bench_opts_usage(stderr);
        return 2;
    }
    sath_client **clients = calloc((size_t)o.connections, sizeof *clients);
    if (!clients) {
        fprintf(stderr, "sath-bench: out of memory\n");
        return 2;
    }
    int status = 2;
    int rc = open_clients(&o, clients);
    if (rc != SATH_OK)
        fprintf(stderr, "sath-bench: cannot create client for %s: %s\n", o.target, sath_strerror(rc));
    else
        status = run(&o, clients);
    for (int i = 0; i < o.connections; i++)
        sath_client_free(clients[i]);
    free(clients);
    return status;
}
