/*
 * global.c - sath_global_init()/sath_global_cleanup() and the log callback, gRPC core's
 * log lines included (its gpr_log function is replaced, see sath/global.h).
 */
#define _GNU_SOURCE /* vasprintf */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "internal.h"
#include "sath/error.h"
#include "sath/global.h"

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_inits;           /* sath_global_init() minus sath_global_cleanup() */
static sath_log_cb g_log_cb;  /* guarded by g_mu */
static void *g_log_ud;
static int g_log_min = SATH_LOG_WARN;

int sath_global_init(long flags)
{
    if (flags != SATH_GLOBAL_DEFAULT)
        return SATH_EINVAL;
    if (sodium_init() < 0)
        return SATH_ENOMEM;
    pthread_mutex_lock(&g_mu);
    g_inits++;
    pthread_mutex_unlock(&g_mu);
    sath__transport_acquire();
    return SATH_OK;
}

void sath_global_cleanup(void)
{
    pthread_mutex_lock(&g_mu);
    int mine = g_inits > 0;
    if (mine)
        g_inits--;
    pthread_mutex_unlock(&g_mu);
    if (mine)
        sath__transport_release_blocking();
}

int sath_global_set_log(sath_log_cb cb, void *userdata, int min_level)
{
    if (min_level < SATH_LOG_DEBUG || min_level > SATH_LOG_OFF)
        return SATH_EINVAL;
    pthread_mutex_lock(&g_mu);
    g_log_cb = cb;
    g_log_ud = userdata;
    g_log_min = min_level;
    pthread_mutex_unlock(&g_mu);
    sath__transport_set_log_level(cb ? min_level : SATH_LOG_OFF);
    return SATH_OK;
}

void sath__log_line(int level, const char *message)
{
    pthread_mutex_lock(&g_mu);
    sath_log_cb cb = level >= g_log_min ? g_log_cb : NULL;
    void *ud = g_log_ud;
    pthread_mutex_unlock(&g_mu);
    if (cb)
        cb(ud, level, message);
}

void sath__log(int level, const char *fmt, ...)
{
    pthread_mutex_lock(&g_mu);
    int wanted = g_log_cb && level >= g_log_min;
    pthread_mutex_unlock(&g_mu);
    if (!wanted)
        return;
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n >= 0) {
        sath__log_line(level, msg);
        free(msg);
    }
}
