/*
 * bench_rpc.c - runs the test server (rpc_fixture: Login, GetMe, Health, reflection) until
 * SIGINT/SIGTERM, for load tools such as h2load.  Prints "port N" on stdout.  Not a test.
 *   SATH_BENCH_WORKERS (default 2)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "rpc_fixture.h"
#include "sathd/log.h"

int main(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any grpc thread exists */
    if (getenv("SATH_BENCH_QUIET"))
        sathd_log_set_level(SATHD_LOG_WARN);
    fixture *f = fx_start(0);
    if (!f)
        return 1;
    printf("port %d\n", f->port);
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    fx_stop(f);
    grpc_shutdown();
    return 0;
}
