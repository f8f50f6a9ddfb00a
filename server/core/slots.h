/*
 * slots.h - a fixed set of numbered slots handed out one caller at a time, with a
 * bounded wait: the free list shared by the PostgreSQL and Redis pools.
 */
#ifndef SATHD_CORE_SLOTS_H
#define SATHD_CORE_SLOTS_H

#include <pthread.h>
#include <stdint.h>

typedef struct sathd_slots {
    pthread_mutex_t mu; /* guards free_stack and nfree only */
    pthread_cond_t cv;  /* CLOCK_MONOTONIC, signalled when a slot comes back */
    int *free_stack;
    int nfree;
    int size;
} sathd_slots;

/* Slots 0..size-1, all free; slot 0 is handed out first.  0, or -1 when out of memory
 * (then sathd_slots_destroy is still safe). */
int sathd_slots_init(sathd_slots *s, int size);
void sathd_slots_destroy(sathd_slots *s);
/* Takes a free slot, waiting up to timeout_ms (<= 0: no wait).  Its index, or -1. */
int sathd_slots_take(sathd_slots *s, int64_t timeout_ms);
/* Gives slot `idx` back and wakes one waiter. */
void sathd_slots_give(sathd_slots *s, int idx);

#endif
