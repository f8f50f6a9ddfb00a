/*
 * client.c - sath_client lifetime and per-thread last error messages.
 */
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
    if (pthread_mutex_init(&c->async_mu, NULL) != 0) {
        pthread_mutex_destroy(&c->cb_mu);
        pthread_cond_destroy(&c->tok_cv);
        pthread_mutex_destroy(&c->tok_mu);
        return SATH_ENOMEM;
    }
    if (pthread_mutex_init(&c->err_mu, NULL) != 0) {
        pthread_mutex_destroy(&c->async_mu);
        pthread_mutex_destroy(&c->cb_mu);
        pthread_cond_destroy(&c->tok_cv);
        pthread_mutex_destroy(&c->tok_mu);
        return SATH_ENOMEM;
    }
    return SATH_OK;
}

/* The PEM files of `opts`, read into `pem` (freed by the caller). */
typedef struct pem_files {
    char *root, *cert, *key;
} pem_files;

static void pem_files_free(pem_files *p)
{
    free(p->root);
    free(p->cert);
    sath__secret_free(p->key);
}

static int read_pems(const sath_client_options *opts, pem_files *p)
{
    int rc = SATH_OK;
    if (opts->root_ca_file)
        rc = read_file(opts->root_ca_file, &p->root);
    if (rc == SATH_OK && opts->cert_file)
        rc = read_file(opts->cert_file, &p->cert);
    if (rc == SATH_OK && opts->key_file)
        rc = read_file(opts->key_file, &p->key);
    return rc;
}

static int open_channel(sath_client *c, const char *target, const sath_client_options *opts)
{
    if (!opts)
        return sath__channel_new(target, NULL, &c->chan);
    pem_files pem = {NULL, NULL, NULL};
    char *service_config = NULL;
    int rc = opts->tls ? read_pems(opts, &pem) : SATH_OK;
    if (rc == SATH_OK && opts->read_attempts > 1 &&
        !(service_config = sath__retry_service_config(opts->read_attempts)))
        rc = SATH_ENOMEM;
    if (rc == SATH_OK) {
        sath__channel_config cfg = {
            .tls = opts->tls,
            .root_pem = pem.root,
            .cert_pem = pem.cert,
            .key_pem = pem.key,
            .server_name = opts->server_name,
            .connect_timeout_ms = opts->connect_timeout_ms,
            .keepalive_time_ms = opts->keepalive_time_ms,
            .keepalive_timeout_ms = opts->keepalive_timeout_ms,
            .service_config = service_config,
        };
        rc = sath__channel_new(target, &cfg, &c->chan);
    }
    free(service_config);
    pem_files_free(&pem);
    return rc;
}

int sath_client_new(const char *target, const sath_client_options *opts, sath_client **out)
{
    if (!out)
        return SATH_EINVAL;
    *out = NULL;
    if (!target || !*target)
        return SATH_EINVAL;
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
    c->wait_for_ready = opts && opts->wait_for_ready;
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
    sath__async_cancel_all(c);
    sath__channel_free(c->chan); /* waits until every started call completed */
    sath__async_free(c);        /* reports them */
    sath__md_list_clear(&c->md);
    sath__secret_free(c->access);
    sath__secret_free(c->refresh);
    for (sath__thread_err *e = c->errs, *next; e; e = next) {
        next = e->next;
        free(e->message);
        free(e);
    }
    pthread_mutex_destroy(&c->async_mu);
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

void sath__set_error_message(sath_client *c, char *msg)
{
    /* Only the owning thread ever replaces its entry's message, so no lock is needed
     * around the string itself. */
    sath__thread_err *e = thread_entry(c, msg != NULL);
    if (!e) {
        free(msg);
        return;
    }
    free(e->message);
    e->message = msg;
}

int sath__fail(sath_client *c, sath_call_opts *opts, int rc, const char *detail)
{
    sath__record(c, opts, 0, rc, detail, NULL, 0);
    return rc;
}

const char *sath_client_last_error_message(sath_client *c)
{
    if (!c)
        return "";
    sath__thread_err *e = thread_entry(c, 0);
    return e && e->message ? e->message : "";
}
