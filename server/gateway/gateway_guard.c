/*
 * gateway_guard.c - slow clients cannot hold the REST listener (issue 12 item 5).
 *
 * libmicrohttpd caps connections per client address itself (MHD_OPTION_PER_IP_CONNECTION_
 * LIMIT, set in gateway_http.c), but its connection timeout is an *idle* timeout: every
 * byte restarts it, so a client trickling one header byte every few seconds keeps its
 * connection forever, and ~1,000 such clients fill the server.  Here every connection gets
 * a deadline for its whole request head (request line and headers), from the moment it is
 * accepted or its previous response was done; the head's arrival (the first call of the
 * access handler) clears it.  A sweeper thread closes the connections past their deadline
 * with shutdown(2), which MHD then sees as the client leaving; however slowly the client
 * trickles, that cannot be put off.
 *
 * The connection record is MHD's socket context: it holds the connection's arena too.
 * MHD notifies CLOSED before it closes the socket, and the record leaves the list under
 * the same lock the sweeper holds while it calls shutdown(), so the sweeper never touches
 * a descriptor that may have been reused.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "gateway_internal.h"
#include "sathd/log.h"

struct sathd_gw_guard {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t sweeper;
    int running, stop;
    int64_t head_timeout_ms;
    sathd_gw_conn list; /* sentinel of a circular list */
    unsigned long long closed_slow;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *sweep(void *p)
{
    sathd_gw_guard *gd = p;
    int64_t tick = gd->head_timeout_ms / 4;
    if (tick > 250)
        tick = 250;
    if (tick < 10)
        tick = 10;
    pthread_mutex_lock(&gd->mu);
    while (!gd->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)(tick % 1000) * 1000000L;
        until.tv_sec += tick / 1000 + until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&gd->cv, &gd->mu, &until);
        int64_t now = now_ms();
        unsigned n = 0;
        for (sathd_gw_conn *c = gd->list.next; c != &gd->list; c = c->next) {
            if (c->head_deadline_ms && now > c->head_deadline_ms) {
                c->head_deadline_ms = 0;
                shutdown(c->fd, SHUT_RDWR);
                n++;
            }
        }
        gd->closed_slow += n;
        if (n)
            sathd_log(SATHD_LOG_DEBUG, "msg=\"closed connections whose request head was late\" "
                      "count=%u total=%llu", n, gd->closed_slow);
    }
    pthread_mutex_unlock(&gd->mu);
    return NULL;
}

sathd_gw_guard *sathd_gw_guard_new(int64_t head_timeout_ms, char *err, size_t errlen)
{
    sathd_gw_guard *gd = calloc(1, sizeof *gd);
    if (!gd) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&gd->mu, NULL);
    pthread_cond_init(&gd->cv, NULL);
    gd->list.next = gd->list.prev = &gd->list;
    gd->head_timeout_ms = head_timeout_ms > 0 ? head_timeout_ms : 10000;
    if (pthread_create(&gd->sweeper, NULL, sweep, gd) != 0) {
        snprintf(err, errlen, "cannot start the connection sweeper");
        sathd_gw_guard_free(gd);
        return NULL;
    }
    gd->running = 1;
    return gd;
}

void sathd_gw_guard_free(sathd_gw_guard *gd)
{
    if (!gd)
        return;
    if (gd->running) {
        pthread_mutex_lock(&gd->mu);
        gd->stop = 1;
        pthread_cond_signal(&gd->cv);
        pthread_mutex_unlock(&gd->mu);
        pthread_join(gd->sweeper, NULL);
    }
    pthread_cond_destroy(&gd->cv);
    pthread_mutex_destroy(&gd->mu);
    free(gd);
}

sathd_gw_conn *sathd_gw_guard_open(sathd_gw_guard *gd, struct MHD_Connection *mhd)
{
    sathd_gw_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (!(c->arena = sathd_arena_new(SATHD_GW_ARENA_CHUNK))) {
        free(c);
        return NULL;
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_CONNECTION_FD);
    c->fd = ci ? ci->connect_fd : -1;
    pthread_mutex_lock(&gd->mu);
    c->head_deadline_ms = c->fd >= 0 ? now_ms() + gd->head_timeout_ms : 0;
    c->next = gd->list.next;
    c->prev = &gd->list;
    gd->list.next->prev = c;
    gd->list.next = c;
    pthread_mutex_unlock(&gd->mu);
    return c;
}

void sathd_gw_guard_close(sathd_gw_guard *gd, sathd_gw_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&gd->mu);
    c->prev->next = c->next;
    c->next->prev = c->prev;
    pthread_mutex_unlock(&gd->mu);
    sathd_arena_free(c->arena);
    free(c);
}

void sathd_gw_guard_head_done(sathd_gw_guard *gd, sathd_gw_conn *c)
{
    pthread_mutex_lock(&gd->mu);
    c->head_deadline_ms = 0;
    pthread_mutex_unlock(&gd->mu);
}

void sathd_gw_guard_request_done(sathd_gw_guard *gd, sathd_gw_conn *c)
{
    pthread_mutex_lock(&gd->mu);
    if (c->fd >= 0)
        c->head_deadline_ms = now_ms() + gd->head_timeout_ms;
    pthread_mutex_unlock(&gd->mu);
}
