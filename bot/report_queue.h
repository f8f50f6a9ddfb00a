/*
 * report_queue.h - the bot's outbox towards sathd: a bounded FIFO of opaque records
 * (trades, heartbeats) kept while sathd is unreachable, so a sathd restart loses
 * nothing as long as the outage fits the bound.  When full the OLDEST record is dropped
 * and counted (the newest state matters most; the count is reported).
 * Used by one thread.
 */
#ifndef SATHBOT_REPORT_QUEUE_H
#define SATHBOT_REPORT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct bot_rq bot_rq;

typedef struct bot_rq_item {
    int kind;
    void *data;
    size_t len;
} bot_rq_item;

/* A queue of at most `cap` records.  NULL on OOM. */
bot_rq *bot_rq_new(size_t cap);
void bot_rq_free(bot_rq *q);

/* Appends a copy of data[0..len).  0, or -1 on OOM (nothing changed). */
int bot_rq_push(bot_rq *q, int kind, const void *data, size_t len);

/* Points out[0..] at up to `max` records from the head, all of the head's kind; returns
 * how many.  They stay owned by the queue until bot_rq_pop(). */
size_t bot_rq_peek(const bot_rq *q, bot_rq_item *out, size_t max);

/* Removes n records from the head. */
void bot_rq_pop(bot_rq *q, size_t n);

size_t bot_rq_len(const bot_rq *q);
/* Records dropped because the queue was full, since creation. */
uint64_t bot_rq_dropped(const bot_rq *q);

#endif
