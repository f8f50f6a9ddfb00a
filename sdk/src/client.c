/*
 * client.c - sath_client lifetime and per-thread last error messages.
 */
#define _GNU_SOURCE /* vasprintf */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"
#include "sath/error.h"

void sath_free(void *ptr)
{
    free(ptr);
}

void sath__secret_free(char *s)
{
    if (!s)
        return;
    sodium_memzero(s, strlen(s));
    free(s);
}

/* Reads a whole PEM file into a NUL-terminated heap string. */
static int read_file(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return SATH_ETLS;
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    int rc = buf ? SATH_OK : SATH_ENOMEM;
    while (rc == SATH_OK) {
        if (len + 1 == cap) {
            char *grown = cap < (16u << 20) ? realloc(buf, cap * 2) : NULL;
            if (!grown) {
                rc = cap < (16u << 20) ? SATH_ENOMEM : SATH_ETLS;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - 1 - len, f);
        len += got;
        if (got == 0) {
            rc = ferror(f) ? SATH_ETLS : SATH_OK;
            break;
        }
    }
    fclose(f);
    if (rc != SATH_OK || len == 0) {
        free(buf);
        return rc != SATH_OK ? rc : SATH_ETLS;
    }
    buf[len] = '\0';
    *out = buf;
    return SATH_OK;
}

static int init_locks(sath_client *c)
{
    if (pthread_mutex_init(&c->tok_mu, NULL) != 0)
        return SATH_ENOMEM;
    if (pthread_cond_init(&c->tok_cv, NULL) != 0) {
        pthread_mutex_destroy(&c->tok_mu);
        return SATH_ENOMEM;
    }
    if (pthread_mutex_init(&c->cb_mu, NULL) != 0) {
        pthread_cond_destroy(&c->tok_cv);
        pthread_mutex_destroy(&c->tok_mu);
        return SATH_ENOMEM;
    }
    if (pthread_mutex_init(&c->err_mu, NULL) != 0) {
        pthread_mutex_destroy(&c->cb_mu);
        pthread_cond_destroy(&c->tok_cv);
        pthread_mutex_destroy(&c->tok_mu);
        return SATH_ENOMEM;
    }
    return SATH_OK;
}

static int open_channel(sath_client *c, const char *target, const sath_client_options *opts)
{
    char *pem = NULL;
    int tls = opts && opts->tls;
    if (tls && opts->root_ca_file) {
        int rc = read_file(opts->root_ca_file, &pem);
        if (rc != SATH_OK)
            return rc;
    }
    int rc = sath__channel_new(target, tls, pem, &c->chan);
    free(pem);
    return rc;
}

int sath_client_new(const char *target, const sath_client_options *opts, sath_client **out)
{
    if (!target || !*target || !out)
        return SATH_EINVAL;
    *out = NULL;
    if (sodium_init() < 0)
        return SATH_ENOMEM;
    sath_client *c = calloc(1, sizeof *c);
    if (!c)
        return SATH_ENOMEM;
    int rc = init_locks(c);
    if (rc != SATH_OK) {
        free(c);
        return rc;
    }
    c->timeout_ms = opts ? opts->timeout_ms : 30000;
    rc = opts ? sath__md_list_copy(&c->md, &opts->md) : SATH_OK;
    sath__transport_acquire();
    if (rc == SATH_OK)
        rc = open_channel(c, target, opts);
    if (rc != SATH_OK) {
        sath_client_free(c);
        return rc;
    }
    *out = c;
    return SATH_OK;
}

void sath_client_free(sath_client *c)
{
    if (!c)
        return;
    sath__channel_free(c->chan);
    sath__md_list_clear(&c->md);
    sath__secret_free(c->access);
    sath__secret_free(c->refresh);
    for (sath__thread_err *e = c->errs, *next; e; e = next) {
        next = e->next;
        free(e->message);
        free(e);
    }
    pthread_mutex_destroy(&c->err_mu);
    pthread_mutex_destroy(&c->cb_mu);
    pthread_cond_destroy(&c->tok_cv);
    pthread_mutex_destroy(&c->tok_mu);
    free(c);
    /* Every client reaching here acquired gRPC in sath_client_new(). */
    sath__transport_release();
}

/* The calling thread's entry, created on first use; NULL when out of memory. */
static sath__thread_err *thread_entry(sath_client *c, int create)
{
    pthread_t self = pthread_self();
    pthread_mutex_lock(&c->err_mu);
    sath__thread_err *e = c->errs;
    while (e && !pthread_equal(e->thread, self))
        e = e->next;
    if (!e && create && (e = calloc(1, sizeof *e)) != NULL) {
        e->thread = self;
        e->next = c->errs;
        c->errs = e;
    }
    pthread_mutex_unlock(&c->err_mu);
    return e;
}

void sath__set_error(sath_client *c, const char *fmt, ...)
{
    /* Only the owning thread ever replaces its entry's message, so no lock is needed
     * around the string itself. */
    sath__thread_err *e = thread_entry(c, fmt != NULL);
    if (!e)
        return;
    char *msg = NULL;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
            msg = NULL;
        va_end(ap);
    }
    free(e->message);
    e->message = msg;
}

const char *sath_client_last_error_message(sath_client *c)
{
    if (!c)
        return "";
    sath__thread_err *e = thread_entry(c, 0);
    return e && e->message ? e->message : "";
}
