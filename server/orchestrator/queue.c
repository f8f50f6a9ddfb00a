/*
 * queue.c - the orchestrator's work queue and worker threads.
 *
 * A bot id is queued at most once; while a worker holds it, a new request only marks
 * it to run again afterwards, so one orchestrator never works on a bot from two
 * threads (the advisory lock covers other orchestrators).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sathd/log.h"
#include "orch.h"

static int held_by_worker(orch *o, const char *key)
{
    for (int i = 0; i < o->cfg.workers; i++)
        if (strcmp(o->busy[i], key) == 0) {
            o->again[i] = 1;
            return 1;
        }
    return 0;
}

void orch_enqueue_item(orch *o, char kind, const char *id)
{
    char key[40];
    snprintf(key, sizeof key, "%c:%s", kind, id);
    pthread_mutex_lock(&o->mu);
    int skip = held_by_worker(o, key);
    for (orch_item *it = o->head; it && !skip; it = it->next)
        skip = strcmp(it->id, key) == 0;
    if (!skip) {
        orch_item *it = calloc(1, sizeof *it);
        if (it) {
            snprintf(it->id, sizeof it->id, "%s", key);
            if (o->tail)
                o->tail->next = it;
            else
                o->head = it;
            o->tail = it;
            pthread_cond_signal(&o->cv);
        }
    }
    pthread_mutex_unlock(&o->mu);
}

void orch_enqueue(orch *o, const char *bot_id)
{
    orch_enqueue_item(o, 'b', bot_id);
}

void *orch_worker_main(void *arg)
{
    orch_worker *w = arg;
    orch *o = w->o;
    redisContext *rc = NULL;
    for (;;) {
        pthread_mutex_lock(&o->mu);
        while (!o->head && !o->stopping)
            pthread_cond_wait(&o->cv, &o->mu);
        if (o->stopping) {
            pthread_mutex_unlock(&o->mu);
            break;
        }
        orch_item *it = o->head;
        o->head = it->next;
        if (!o->head)
            o->tail = NULL;
        snprintf(o->busy[w->index], sizeof o->busy[w->index], "%s", it->id);
        o->again[w->index] = 0;
        pthread_mutex_unlock(&o->mu);

        sathd_pg_error why;
        sathd_pg_conn *c = sathd_pg_acquire(o->pg, 5000, &why);
        if (!c) {
            sathd_log(SATHD_LOG_WARN, "msg=\"database unavailable\" reason=\"%s\"", why.message);
        } else {
            if (it->id[0] == 'b')
                orch_reconcile(o, c, &rc, it->id + 2);
            else
                orch_reap_orphan(o, c, it->id + 2);
            sathd_pg_release(o->pg, c);
        }
        pthread_mutex_lock(&o->mu);
        int again = o->again[w->index];
        o->busy[w->index][0] = '\0';
        pthread_mutex_unlock(&o->mu);
        if (again)
            orch_enqueue_item(o, it->id[0], it->id + 2);
        free(it);
    }
    if (rc)
        sathd_redis_release(o->redis, rc);
    return NULL;
}
