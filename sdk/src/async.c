/*
 * async.c - asynchronous calls (sath/async.h): started on any thread, completed by the
 * channel's completion thread (transport.c), delivered to their callbacks by
 * sath_client_poll() on the program's thread.
 *
 * Invariants (a->mu guards all of them):
 *   - a call is on `running` from its start until the completion thread reports it,
 *     then on the `done` queue until sath_client_poll() takes it; `pending` counts both.
 *   - call->op is the transport's handle while the call runs and NULL once reported, so
 *     a cancel under a->mu never touches a freed op (the transport frees an op only after
 *     its done callback, which takes a->mu, returned).
 *   - the eventfd is readable whenever `done` is non-empty: a completion that finds the
 *     queue empty writes it after queueing; the poller resets it when it takes the queue
 *     (a spurious wake-up with an empty queue is possible and harmless, a lost one is not).
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"
#include "sath/async.h"
#include "sath/error.h"
#include "unary.h"

struct sath_async_call {
    struct sath__async *a;
    sath__op *op;
    const ProtobufCMessageDescriptor *out;
    sath_async_cb cb;
    void *userdata;
    int rc;          /* transport result or grpc status, once reported */
    sath__rpc rpc;   /* its status_message and resp, taken from the transport */
    sath_async_call *prev, *next;
    int cancelled;   /* sath_async_call_cancel() was called (under a->mu) */
    /* A call made with the session's token while a refresh token was held keeps its
     * inputs for one retry after UNAUTHENTICATED (as the blocking calls do): */
    sath_client *c;
    sath__rpc in;    /* path, md (owned array; authorization last), req (owned bytes) */
    char *bearer;    /* owned value of that authorization entry; wiped */
    uint64_t gen;    /* token generation the call started with */
};

typedef struct sath__async {
    pthread_mutex_t mu;
    int efd;
    sath_async_call *running;
    sath_async_call *done_head, *done_tail;
    int pending;
} sath__async;

/* The client's async state, created on first use; NULL when out of resources. */
static sath__async *get_async(sath_client *c)
{
    pthread_mutex_lock(&c->async_mu);
    sath__async *a = c->async;
    if (!a && (a = calloc(1, sizeof *a)) != NULL) {
        a->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (a->efd < 0 || pthread_mutex_init(&a->mu, NULL) != 0) {
            if (a->efd >= 0)
                close(a->efd);
            free(a);
            a = NULL;
        } else {
            c->async = a;
        }
    }
    pthread_mutex_unlock(&c->async_mu);
    return a;
}

static void unlink_running(sath__async *a, sath_async_call *call)
{
    if (call->prev)
        call->prev->next = call->next;
    else
        a->running = call->next;
    if (call->next)
        call->next->prev = call->prev;
    call->prev = call->next = NULL;
}

/* Releases the inputs kept for a retry. */
static void drop_inputs(sath_async_call *call)
{
    free((void *)call->in.md);
    if (call->in.req) {
        sodium_memzero((void *)call->in.req, call->in.req_len);
        free((void *)call->in.req);
    }
    sath__secret_free(call->bearer);
    memset(&call->in, 0, sizeof call->in);
    call->bearer = NULL;
    call->c = NULL;
}

static void on_done(void *arg, sath__rpc *rpc, int rc);

/*
 * Completion thread, after UNAUTHENTICATED: refresh the session (a blocking round trip on
 * this internal thread, never on the program's) and start the call again with the new
 * token.  SATH_OK when it was restarted.
 */
static int retry_after_refresh(sath_async_call *call)
{
    sath_client *c = call->c;
    if (sath__tokens_refresh(c, call->gen, NULL) != SATH_OK)
        return SATH_UNAUTHENTICATED;
    char *access = NULL;
    int64_t exp;
    int has_refresh;
    sath__tokens_snapshot(c, &access, &exp, &has_refresh);
    char *bearer = NULL;
    int rc = access && asprintf(&bearer, "Bearer %s", access) >= 0 ? SATH_OK : SATH_ENOTOKEN;
    sath__secret_free(access);
    if (rc != SATH_OK)
        return rc;
    sath__secret_free(call->bearer);
    call->bearer = bearer;
    ((sath__md *)(uintptr_t)call->in.md)[call->in.n_md - 1].value = bearer;
    sath__async *a = call->a;
    pthread_mutex_lock(&a->mu);
    rc = call->cancelled ? SATH_CANCELLED
                         : sath__channel_start(c->chan, &call->in, on_done, call, &call->op);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

/* Completion thread: queue the call for its callback and wake the poller. */
static void on_done(void *arg, sath__rpc *rpc, int rc)
{
    sath_async_call *call = arg;
    sath__async *a = call->a;
    if (call->c) { /* retry once, then the inputs are no longer needed */
        int again = rc == SATH_OK && rpc->status == SATH_UNAUTHENTICATED;
        int restarted = again && retry_after_refresh(call) == SATH_OK;
        /* the transport copied the inputs; the new attempt (this same thread runs its
         * on_done later) has no retry of its own */
        drop_inputs(call);
        if (restarted)
            return;
    }
    pthread_mutex_lock(&a->mu);
    call->op = NULL;
    call->rc = rc == SATH_OK ? rpc->status : rc;
    call->rpc.status_message = rpc->status_message;
    call->rpc.resp = rpc->resp;
    call->rpc.resp_len = rpc->resp_len;
    rpc->status_message = NULL;
    rpc->resp = NULL;
    unlink_running(a, call);
    int was_empty = !a->done_head;
    if (a->done_tail)
        a->done_tail->next = call;
    else
        a->done_head = call;
    a->done_tail = call;
    pthread_mutex_unlock(&a->mu);
    /* Only the first completion after the poller emptied the queue needs to wake it:
     * the poller takes the whole queue and resets the eventfd under a->mu. */
    uint64_t one = 1;
    while (was_empty && write(a->efd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

/* Decodes and reports one completed call, then frees it. */
static void deliver(sath_async_call *call)
{
    int rc = call->rc;
    ProtobufCMessage *resp = NULL;
    if (rc == SATH_OK)
        rc = sath__decode(call->out, &call->rpc, &resp);
    char why[160] = "";
    if (rc == SATH_EPROTO && !call->rpc.status_message)
        snprintf(why, sizeof why, "could not decode the %s", call->out->name);
    char *msg = sath__call_message(rc, call->rpc.status_message && *call->rpc.status_message
                                           ? call->rpc.status_message : why);
    call->cb(call->userdata, rc, resp, msg ? msg : "");
    free(msg);
    sath__rpc_clear(&call->rpc);
    free(call);
}

int sath__unary_async(sath_client *c, const char *path, const ProtobufCMessageDescriptor *in,
                      const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out,
                      sath_async_cb cb, void *userdata, const sath_call_opts *opts,
                      sath_async_call **handle)
{
    if (handle)
        *handle = NULL;
    if (!c || !cb || !path || !out)
        return sath__fail(c, NULL, SATH_EINVAL, "a client, a request and a callback are required");
    char why[256] = "";
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = sath__encode(in, req, &buf, &len, why, sizeof why);
    if (rc != SATH_OK)
        return sath__fail(c, NULL, rc, why);
    sath__async *a = get_async(c);
    sath_async_call *call = a ? calloc(1, sizeof *call) : NULL;
    char *access = NULL, *bearer = NULL;
    int has_refresh = 0;
    uint64_t gen = 0;
    sath__rpc rpc;
    memset(&rpc, 0, sizeof rpc);
    rc = call ? SATH_OK : SATH_ENOMEM;
    if (rc == SATH_OK && !sath__is_public(path) && !(opts && opts->authorization)) {
        int64_t exp;
        gen = sath__tokens_snapshot(c, &access, &exp, &has_refresh);
    }
    if (rc == SATH_OK)
        rc = sath__rpc_init(c, opts, access, path, buf, len, &rpc, &bearer);
    if (rc == SATH_OK) {
        call->a = a;
        call->out = out;
        call->cb = cb;
        call->userdata = userdata;
        if (access && has_refresh) { /* keep the inputs for a retry after a refresh */
            call->c = c;
            call->in = rpc;
            call->bearer = bearer;
            call->gen = gen;
            bearer = NULL;
            buf = NULL;
            rpc.md = NULL;
        }
        pthread_mutex_lock(&a->mu); /* on_done waits for it: the call is linked first */
        call->next = a->running;
        if (a->running)
            a->running->prev = call;
        a->running = call;
        rc = sath__channel_start(c->chan, call->c ? &call->in : &rpc, on_done, call, &call->op);
        if (rc == SATH_OK)
            a->pending++;
        else
            unlink_running(a, call);
        pthread_mutex_unlock(&a->mu);
    }
    free((void *)rpc.md);
    sath__secret_free(bearer);
    sath__secret_free(access);
    if (buf) {
        sodium_memzero(buf, len);
        free(buf);
    }
    if (rc != SATH_OK) {
        if (call)
            drop_inputs(call);
        free(call);
        return sath__fail(c, NULL, rc, "the call could not be started");
    }
    if (handle)
        *handle = call;
    return SATH_OK;
}

/* Takes the done queue (a->mu held) and resets the eventfd. */
static sath_async_call *take_done(sath__async *a)
{
    sath_async_call *list = a->done_head;
    a->done_head = a->done_tail = NULL;
    uint64_t count;
    while (read(a->efd, &count, sizeof count) < 0 && errno == EINTR)
        ;
    return list;
}

int sath_client_poll(sath_client *c, int timeout_ms)
{
    if (!c || timeout_ms < -1)
        return SATH_EINVAL;
    sath__async *a = get_async(c);
    if (!a)
        return SATH_ENOMEM;
    pthread_mutex_lock(&a->mu);
    if (!a->done_head && timeout_ms != 0) {
        pthread_mutex_unlock(&a->mu);
        struct pollfd p = {a->efd, POLLIN, 0};
        if (timeout_ms > 0 || sath_client_async_pending(c) > 0)
            while (poll(&p, 1, timeout_ms) < 0 && errno == EINTR)
                ;
        pthread_mutex_lock(&a->mu);
    }
    sath_async_call *list = take_done(a);
    int n = 0;
    for (sath_async_call *call = list; call; call = call->next)
        n++;
    a->pending -= n;
    pthread_mutex_unlock(&a->mu);
    while (list) {
        sath_async_call *next = list->next;
        deliver(list);
        list = next;
    }
    return n;
}

int sath_client_async_fd(sath_client *c)
{
    if (!c)
        return SATH_EINVAL;
    sath__async *a = get_async(c);
    return a ? a->efd : SATH_ENOMEM;
}

int sath_client_async_pending(sath_client *c)
{
    if (!c)
        return 0;
    pthread_mutex_lock(&c->async_mu);
    sath__async *a = c->async;
    pthread_mutex_unlock(&c->async_mu);
    if (!a)
        return 0;
    pthread_mutex_lock(&a->mu);
    int n = a->pending;
    pthread_mutex_unlock(&a->mu);
    return n;
}

void sath_async_call_cancel(sath_async_call *call)
{
    if (!call)
        return;
    sath__async *a = call->a;
    pthread_mutex_lock(&a->mu);
    call->cancelled = 1; /* also stops a retry after a refresh */
    if (call->op)
        sath__op_cancel(call->op);
    pthread_mutex_unlock(&a->mu);
}

void sath__async_cancel_all(sath_client *c)
{
    sath__async *a = c->async;
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    for (sath_async_call *call = a->running; call; call = call->next) {
        call->cancelled = 1;
        if (call->op)
            sath__op_cancel(call->op);
    }
    pthread_mutex_unlock(&a->mu);
}

void sath__async_free(sath_client *c)
{
    sath__async *a = c->async;
    if (!a)
        return;
    /* The channel is gone, so every call has been reported to the done queue. */
    sath_async_call *list = take_done(a);
    while (list) {
        sath_async_call *next = list->next;
        deliver(list);
        list = next;
    }
    close(a->efd);
    pthread_mutex_destroy(&a->mu);
    free(a);
    c->async = NULL;
}
