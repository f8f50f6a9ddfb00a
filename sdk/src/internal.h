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

#include <protobuf-c/protobuf-c.h>

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
    char *cert_file; /* client certificate chain (mutual TLS), with key_file */
    char *key_file;
    char *server_name;
    int64_t timeout_ms;
    int64_t connect_timeout_ms;
    int64_t keepalive_time_ms;
    int64_t keepalive_timeout_ms;
    int wait_for_ready;
    int read_attempts; /* 1: no retries */
    sath__md_list md;
};

struct sath_call_opts {
    int64_t timeout_ms; /* 0: the client's default */
    sath__md_list md;
    char *authorization; /* replaces the session's token when set (wiped on free) */
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
    int wait_for_ready;
    struct sath__async *async; /* created by the first asynchronous call (async.c) */
    pthread_mutex_t async_mu;  /* guards the creation of async */
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

/* Logging (global.c): lines at the callback's minimum level or above reach it. */
void sath__log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sath__log_line(int level, const char *message);

/* Read methods retried on UNAVAILABLE (retry.c): the service config for `attempts`
 * (malloc'd JSON, NULL when out of memory) and the {service, method} list itself. */
char *sath__retry_service_config(int attempts);
size_t sath__read_methods(const char *const (**out)[2]);

/* Wipes and frees a secret string; NULL is allowed. */
void sath__secret_free(char *s);
/* Makes `msg` (malloc'd, taken over) the calling thread's last error on `c`; NULL clears it. */
void sath__set_error_message(sath_client *c, char *msg);

/*
 * The message rule (sath/error.h): the message of a call that ended with `rc` given the
 * server's status message or the local detail `detail` (either may be NULL/"").
 * malloc'd; NULL for SATH_OK (or out of memory).
 */
char *sath__call_message(int rc, const char *detail);
/* Stores the outcome of a call in `opts` (may be NULL) and, unless `quiet`, the calling
 * thread's last error on `c` (may be NULL): status, message by the rule, response metadata. */
void sath__record(sath_client *c, sath_call_opts *opts, int quiet, int rc, const char *detail,
                  const sath__md *md, size_t n_md);
/* sath__record() of a failure found locally; returns rc. */
int sath__fail(sath_client *c, sath_call_opts *opts, int rc, const char *detail);
/* Pieces of a call shared by unary.c and async.c.  sath__rpc_init() fills the inputs of
 * `rpc`: path, request bytes, deadline, wait-for-ready and the metadata (client's, then
 * opts', then authorization: opts' override or the bearer of `access`, returned in *bearer
 * to be wiped); the caller frees rpc->md.  Then encoding with the type check, decoding. */
int sath__rpc_init(sath_client *c, const sath_call_opts *opts, const char *access, const char *path,
                   const uint8_t *buf, size_t len, sath__rpc *rpc, char **bearer);
int sath__encode(const ProtobufCMessageDescriptor *in, const ProtobufCMessage *req, uint8_t **buf,
                 size_t *len, char *why, size_t whylen);
int sath__decode(const ProtobufCMessageDescriptor *out, sath__rpc *rpc, ProtobufCMessage **resp);
/* True for methods that take no access token. */
int sath__is_public(const char *path);
/* Freeing a client with asynchronous calls (async.c): cancel_all before the channel is
 * freed (which waits for their completions), then free runs their callbacks. */
void sath__async_cancel_all(sath_client *c);
void sath__async_free(sath_client *c);

/* Token state (tokens.c). */
/* Copies the current access token (or NULL) and its exp; returns the generation. */
uint64_t sath__tokens_snapshot(sath_client *c, char **access, int64_t *exp, int *has_refresh);
/* Replaces the tokens and fires the callback. */
int sath__tokens_replace(sath_client *c, const char *access, const char *refresh);
/* Refreshes unless the generation moved past `seen` (then reuses that result). */
int sath__tokens_refresh(sath_client *c, uint64_t seen, sath_call_opts *opts);

#endif /* SATH_SDK_INTERNAL_H */
