/*
 * slots.c - see slots.h.  The free list is a stack: the most recently returned slot is
 * reused first, so a quiet server keeps using (and keeping warm) few connections.
 */
#include "slots.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int sathd_slots_init(sathd_slots *s, int size)
{
    memset(s, 0, sizeof *s);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->mu, NULL);
    s->free_stack = calloc(size > 0 ? (size_t)size : 1, sizeof *s->free_stack);
    if (!s->free_stack)
        return -1;
    s->size = size;
    for (int i = 0; i < size; i++)
        s->free_stack[i] = size - 1 - i;
    s->nfree = size;
    return 0;
}

void sathd_slots_destroy(sathd_slots *s)
{
    free(s->free_stack);
    s->free_stack = NULL;
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
}

int sathd_slots_take(sathd_slots *s, int64_t timeout_ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    if (timeout_ms > 0) {
        int64_t ms = timeout_ms > 86400000 ? 86400000 : timeout_ms;
        dl.tv_sec += (time_t)(ms / 1000);
        dl.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    while (s->nfree == 0 && rc != ETIMEDOUT)
        rc = timeout_ms > 0 ? pthread_cond_timedwait(&s->cv, &s->mu, &dl) : ETIMEDOUT;
    int idx = s->nfree > 0 ? s->free_stack[--s->nfree] : -1;
    pthread_mutex_unlock(&s->mu);
    return idx;
}

void sathd_slots_give(sathd_slots *s, int idx)
{
    pthread_mutex_lock(&s->mu);
    s->free_stack[s->nfree++] = idx;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}
