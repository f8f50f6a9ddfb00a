/*
 * pw_gate.c - the counting semaphore that bounds concurrent password hashing.
 *
 * Waiters sleep on a condvar bound to CLOCK_MONOTONIC so a wall-clock jump neither
 * lengthens nor shortens their deadline.  A waiter whose deadline passes gives up and
 * reports busy rather than queueing without bound: under a login flood, shedding load
 * early keeps latency bounded for those who do get a slot.
 */
#include "password_internal.h"

#include <errno.h>
#include <time.h>

int sathd_pw_gate_init(sathd_pw_gate *g, unsigned limit)
{
    pthread_condattr_t ca;
    if (limit == 0 || pthread_mutex_init(&g->mu, NULL) != 0)
        return -1;
    if (pthread_condattr_init(&ca) != 0) {
        pthread_mutex_destroy(&g->mu);
        return -1;
    }
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&g->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0) {
        pthread_mutex_destroy(&g->mu);
        return -1;
    }
    g->limit = limit;
    g->in_use = g->peak = 0;
    return 0;
}

void sathd_pw_gate_destroy(sathd_pw_gate *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

int sathd_pw_gate_acquire(sathd_pw_gate *g, int timeout_ms)
{
    struct timespec deadline;
    int rc = 0;
    if (timeout_ms > 0) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&g->mu);
    while (g->in_use >= g->limit && rc == 0) {
        if (timeout_ms == 0)
            rc = ETIMEDOUT;
        else if (timeout_ms < 0)
            pthread_cond_wait(&g->cv, &g->mu);
        else
            rc = pthread_cond_timedwait(&g->cv, &g->mu, &deadline);
    }
    /* A timed wait can time out just as a slot frees up: take it rather than fail. */
    if (g->in_use < g->limit) {
        rc = 0;
        if (++g->in_use > g->peak)
            g->peak = g->in_use;
    }
    pthread_mutex_unlock(&g->mu);
    return rc == 0 ? 0 : -1;
}

void sathd_pw_gate_release(sathd_pw_gate *g)
{
    pthread_mutex_lock(&g->mu);
    if (g->in_use > 0)
        g->in_use--;
    pthread_mutex_unlock(&g->mu);
    pthread_cond_signal(&g->cv);
}
