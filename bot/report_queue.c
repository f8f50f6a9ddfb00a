/*
 * report_queue.c - bounded FIFO ring of owned records (see report_queue.h).
 */
#include "report_queue.h"

#include <stdlib.h>
#include <string.h>

struct bot_rq {
    bot_rq_item *ring;
    size_t cap, head, len;
    uint64_t dropped;
};

bot_rq *bot_rq_new(size_t cap)
{
    bot_rq *q = calloc(1, sizeof *q);
    if (!q || !cap || !(q->ring = calloc(cap, sizeof *q->ring))) {
        free(q);
        return NULL;
    }
    q->cap = cap;
    return q;
}

void bot_rq_free(bot_rq *q)
{
    if (!q)
        return;
    bot_rq_pop(q, q->len);
    free(q->ring);
    free(q);
}

int bot_rq_push(bot_rq *q, int kind, const void *data, size_t len)
{
    void *copy = malloc(len ? len : 1);
    if (!copy)
        return -1;
    memcpy(copy, data, len);
    if (q->len == q->cap) {
        bot_rq_pop(q, 1);
        q->dropped++;
    }
    bot_rq_item *it = &q->ring[(q->head + q->len) % q->cap];
    *it = (bot_rq_item){kind, copy, len};
    q->len++;
    return 0;
}

size_t bot_rq_peek(const bot_rq *q, bot_rq_item *out, size_t max)
{
    size_t n = 0;
    while (n < max && n < q->len) {
        const bot_rq_item *it = &q->ring[(q->head + n) % q->cap];
        if (n > 0 && it->kind != out[0].kind)
            break;
        out[n++] = *it;
    }
    return n;
}

void bot_rq_pop(bot_rq *q, size_t n)
{
    for (; n > 0 && q->len > 0; n--) {
        free(q->ring[q->head].data);
        q->ring[q->head].data = NULL;
        q->head = (q->head + 1) % q->cap;
        q->len--;
    }
}

size_t bot_rq_len(const bot_rq *q)
{
    return q->len;
}

uint64_t bot_rq_dropped(const bot_rq *q)
{
    return q->dropped;
}
