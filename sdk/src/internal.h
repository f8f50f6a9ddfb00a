/*
 * internal.h - the private structures behind libsathclient's opaque handles.
 *
 * Nothing here is installed.  Invariants:
 *   - sath_client.tok_mu guards access/refresh/access_exp/generation/refreshing; every
 *     token string is heap memory that is wiped (sodium_memzero) before it is freed.
 *   - generation grows by one whenever the tokens change, so a thread can tell whether
 *     somebody else refreshed since it looked.
 *   - cb_mu serialises token callbacks; it is always taken before tok_mu, never after.
 */
#ifndef SATH_SDK_INTERNAL_H
#define SATH_SDK_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "sath/client.h"
#include "transport.h"

/* A list of metadata pairs (heap strings), owned by its container. */
typedef struct sath__md_list {
    sath__md *items;
    size_t n;
    size_t cap;
} sath__md_list;

int sath__md_list_add(sath__md_list *l, const char *key, const char *value);
int sath__md_list_copy(sath__md_list *dst, const sath__md_list *src);
void sath__md_list_clear(sath__md_list *l);
/* SATH_OK when `key`/`value` may be sent as user metadata, SATH_EINVAL otherwise. */
int sath__md_check(const char *key, const char *value);

struct sath_client_options {
    int tls;
    char *root_ca_file;
    int64_t timeout_ms;
    sath__md_list md;
};

struct sath_call_opts {
    int64_t timeout_ms; /* 0: the client's default */
    sath__md_list md;
    int status;
    char *status_message;
    sath__md_list resp_md;
};

/* Last error message of one thread on one client. */
typedef struct sath__thread_err {
    pthread_t thread;
    char *message;
    struct sath__thread_err *next;
} sath__thread_err;

struct sath_client {
    sath__channel *chan;
    int64_t timeout_ms;
    sath__md_list md;

    pthread_mutex_t tok_mu;
    pthread_cond_t tok_cv;
    char *access;
    char *refresh;
    int64_t access_exp; /* exp claim of access, 0 when unknown */
    uint64_t generation;
    int refreshing;

    pthread_mutex_t cb_mu;
    sath_tokens_cb cb;
    void *cb_userdata;

    pthread_mutex_t err_mu;
    sath__thread_err *errs;
};

/* Wipes and frees a secret string; NULL is allowed. */
void sath__secret_free(char *s);
/* Records `message` (printf) as the calling thread's last error on `c`; NULL clears it. */
void sath__set_error(sath_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Token state (tokens.c). */
/* Copies the current access token (or NULL) and its exp; returns the generation. */
uint64_t sath__tokens_snapshot(sath_client *c, char **access, int64_t *exp, int *has_refresh);
/* Replaces the tokens and fires the callback. */
int sath__tokens_replace(sath_client *c, const char *access, const char *refresh);
/* Refreshes unless the generation moved past `seen` (then reuses that result). */
int sath__tokens_refresh(sath_client *c, uint64_t seen, sath_call_opts *opts);

#endif /* SATH_SDK_INTERNAL_H */
