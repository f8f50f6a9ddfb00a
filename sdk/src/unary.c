/*
 * unary.c - one unary call: encode, attach metadata and token, call, decode, and the
 * transparent token refresh around it.
 */
#include "unary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "internal.h"
#include "sath/error.h"

/* Refresh this many seconds before the access token's exp. */
#define SATH__REFRESH_LEEWAY_S 30

/* Methods that take no access token (option sath.v1.public_method in the protos), plus
 * gRPC's own services.  Sending them a token would be harmless, but refreshing before a
 * Login or Refresh would be wrong. */
static int is_public(const char *path)
{
    static const char *const public_paths[] = {
        "/sath.v1.AuthService/Register",
        "/sath.v1.AuthService/Login",
        "/sath.v1.AuthService/Refresh",
        "/sath.v1.BillingService/ListPlans",
    };
    if (strncmp(path, "/grpc.", 6) == 0)
        return 1;
    for (size_t i = 0; i < sizeof public_paths / sizeof public_paths[0]; i++)
        if (strcmp(path, public_paths[i]) == 0)
            return 1;
    return 0;
}

/* What one attempt produced besides its return code. */
typedef struct outcome {
    char *message;   /* malloc'd or NULL */
    sath__md *md;    /* response metadata, malloc'd */
    size_t n_md;
} outcome;

static void outcome_clear(outcome *o)
{
    sath__rpc rpc;
    memset(&rpc, 0, sizeof rpc);
    rpc.status_message = o->message;
    rpc.resp_md = o->md;
    rpc.n_resp_md = o->n_md;
    sath__rpc_clear(&rpc);
    memset(o, 0, sizeof *o);
}

/* Request metadata: client defaults, then opts, then authorization.  The bearer string is
 * returned in *bearer so the caller can wipe it. */
static int build_md(sath_client *c, const sath_call_opts *opts, const char *access,
                    sath__md **md, size_t *n, char **bearer)
{
    size_t cap = c->md.n + (opts ? opts->md.n : 0) + 1;
    sath__md *arr = calloc(cap, sizeof *arr);
    if (!arr)
        return SATH_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < c->md.n; i++)
        arr[k++] = c->md.items[i];
    for (size_t i = 0; opts && i < opts->md.n; i++)
        arr[k++] = opts->md.items[i];
    *bearer = NULL;
    if (access) {
        size_t len = strlen("Bearer ") + strlen(access) + 1;
        if (!(*bearer = malloc(len))) {
            free(arr);
            return SATH_ENOMEM;
        }
        snprintf(*bearer, len, "Bearer %s", access);
        arr[k].key = (char *)"authorization";
        arr[k++].value = *bearer;
    }
    *md = arr;
    *n = k;
    return SATH_OK;
}

static int attempt(sath_client *c, const char *path, const uint8_t *buf, size_t len,
                   const char *access, const ProtobufCMessageDescriptor *out,
                   ProtobufCMessage **resp, const sath_call_opts *opts, outcome *res)
{
    sath__rpc rpc;
    memset(&rpc, 0, sizeof rpc);
    char *bearer = NULL;
    sath__md *md = NULL;
    int rc = build_md(c, opts, access, &md, &rpc.n_md, &bearer);
    if (rc != SATH_OK)
        return rc;
    rpc.md = md;
    rpc.path = path;
    rpc.req = buf;
    rpc.req_len = len;
    rpc.timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : c->timeout_ms;
    rc = sath__channel_unary(c->chan, &rpc);
    free(md);
    sath__secret_free(bearer);
    if (rc == SATH_OK)
        rc = rpc.status;
    if (rc == SATH_OK) {
        *resp = protobuf_c_message_unpack(out, NULL, rpc.resp_len, rpc.resp ? rpc.resp : (const uint8_t *)"");
        if (!*resp || !rpc.resp) {
            if (*resp)
                protobuf_c_message_free_unpacked(*resp, NULL);
            *resp = NULL;
            rc = SATH_EPROTO;
        }
    }
    if (rpc.resp) {
        sodium_memzero(rpc.resp, rpc.resp_len); /* may hold tokens */
    }
    res->message = rpc.status_message;
    res->md = rpc.resp_md;
    res->n_md = rpc.n_resp_md;
    rpc.status_message = NULL;
    rpc.resp_md = NULL;
    rpc.n_resp_md = 0;
    sath__rpc_clear(&rpc);
    if (rc < 0 && res->message && !*res->message) {
        free(res->message);
        res->message = NULL;
    }
    return rc;
}

/* Stores the outcome of the call in opts and the thread's last error. */
static void record(sath_client *c, const char *path, sath_call_opts *opts, int flags, int rc,
                   outcome *res)
{
    const char *msg = res->message ? res->message : "";
    if (opts) {
        free(opts->status_message);
        opts->status = rc;
        opts->status_message = NULL;
        if (rc != SATH_OK)
            opts->status_message = strdup(*msg ? msg : sath_strerror(rc));
        sath__md_list_clear(&opts->resp_md);
        for (size_t i = 0; i < res->n_md; i++)
            if (sath__md_list_add(&opts->resp_md, res->md[i].key, res->md[i].value) != SATH_OK)
                break;
    }
    if (flags & SATH__CALL_QUIET)
        return;
    if (rc == SATH_OK)
        sath__set_error(c, NULL);
    else
        sath__set_error(c, "%s %s: %s", path, sath_err_name(rc), *msg ? msg : sath_strerror(rc));
}

/* One attempt of a call with `access` (NULL: none).  *retryable says whether a refresh
 * and second attempt may follow an UNAUTHENTICATED answer. */
typedef int (*attempt_fn)(void *ctx, const char *access, outcome *res, int *retryable);

/* Runs fn with the current access token, refreshing before (token about to expire) and
 * after (UNAUTHENTICATED, when retryable) as described in unary.h. */
static int with_token(sath_client *c, attempt_fn fn, void *ctx, outcome *res)
{
    char *access = NULL;
    int64_t exp = 0;
    int has_refresh = 0, retryable = 1;
    uint64_t gen = sath__tokens_snapshot(c, &access, &exp, &has_refresh);
    if (access && has_refresh && exp > 0 && exp - (int64_t)time(NULL) <= SATH__REFRESH_LEEWAY_S) {
        sath__tokens_refresh(c, gen, NULL); /* on failure the old token still gets its chance */
        sath__secret_free(access);
        gen = sath__tokens_snapshot(c, &access, &exp, &has_refresh);
    }
    int rc = fn(ctx, access, res, &retryable);
    if (rc == SATH_UNAUTHENTICATED && retryable && has_refresh &&
        sath__tokens_refresh(c, gen, NULL) == SATH_OK) {
        sath__secret_free(access);
        sath__tokens_snapshot(c, &access, &exp, &has_refresh);
        if (access) {
            outcome_clear(res);
            rc = fn(ctx, access, res, &retryable);
        }
    }
    sath__secret_free(access);
    return rc;
}

typedef struct unary_ctx {
    sath_client *c;
    const char *path;
    const uint8_t *buf;
    size_t len;
    const ProtobufCMessageDescriptor *out;
    ProtobufCMessage **resp;
    const sath_call_opts *opts;
} unary_ctx;

static int unary_attempt(void *ctx, const char *access, outcome *res, int *retryable)
{
    unary_ctx *u = ctx;
    *retryable = 1;
    return attempt(u->c, u->path, u->buf, u->len, access, u->out, u->resp, u->opts, res);
}

/* SATH_EINVAL recorded in opts (arguments the stubs never pass). */
static int invalid(sath_call_opts *opts)
{
    if (opts) {
        free(opts->status_message);
        opts->status_message = NULL;
        opts->status = SATH_EINVAL;
    }
    return SATH_EINVAL;
}

/* The request serialized into a malloc'd *buf (wiped and freed by the caller). */
static int pack(const ProtobufCMessage *req, uint8_t **buf, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(req);
    *buf = malloc(*len ? *len : 1);
    if (!*buf)
        return SATH_ENOMEM;
    return protobuf_c_message_pack(req, *buf) == *len ? SATH_OK : SATH_EPROTO;
}

int sath__unary_ex(sath_client *c, const char *path, const ProtobufCMessage *req,
                   const ProtobufCMessageDescriptor *out, ProtobufCMessage **resp,
                   sath_call_opts *opts, int flags)
{
    outcome res;
    memset(&res, 0, sizeof res);
    ProtobufCMessage *discard = NULL;
    if (!resp)
        resp = &discard; /* the caller does not want the response */
    *resp = NULL;
    if (!c || !path || path[0] != '/' || !req || !out)
        return invalid(opts);
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = pack(req, &buf, &len);
    if (rc == SATH_OK) {
        unary_ctx u = {c, path, buf, len, out, resp, opts};
        if (flags & SATH__CALL_PUBLIC)
            rc = attempt(c, path, buf, len, NULL, out, resp, opts, &res);
        else
            rc = with_token(c, unary_attempt, &u, &res);
    }
    if (buf) {
        sodium_memzero(buf, len); /* requests carry passwords and refresh tokens */
        free(buf);
    }
    record(c, path, opts, flags, rc, &res);
    outcome_clear(&res);
    if (discard)
        protobuf_c_message_free_unpacked(discard, NULL);
    return rc;
}

int sath__unary(sath_client *c, const char *path, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *out, ProtobufCMessage **resp,
                sath_call_opts *opts)
{
    int flags = path && is_public(path) ? SATH__CALL_PUBLIC : 0;
    return sath__unary_ex(c, path, req, out, resp, opts, flags);
}

/* ---- server streaming ---------------------------------------------------------- */

typedef struct stream_ctx {
    const ProtobufCMessageDescriptor *out;
    sath__stream_fn on_msg;
    void *arg;
    int bad; /* a message did not decode */
} stream_ctx;

static int on_stream_bytes(void *arg, const uint8_t *buf, size_t len)
{
    stream_ctx *sc = arg;
    ProtobufCMessage *m = protobuf_c_message_unpack(sc->out, NULL, len, buf ? buf : (const uint8_t *)"");
    if (!m) {
        sc->bad = 1;
        return 1;
    }
    int stop = sc->on_msg ? sc->on_msg(sc->arg, m) : 0;
    protobuf_c_message_free_unpacked(m, NULL);
    return stop;
}

typedef struct stream_call {
    sath_client *c;
    const char *path;
    const uint8_t *buf;
    size_t len;
    stream_ctx *sc;
    const sath_call_opts *opts;
    size_t n_msgs;
} stream_call;

static int stream_attempt(void *ctx, const char *access, outcome *res, int *retryable)
{
    stream_call *sca = ctx;
    sath__rpc rpc;
    memset(&rpc, 0, sizeof rpc);
    char *bearer = NULL;
    sath__md *md = NULL;
    int rc = build_md(sca->c, sca->opts, access, &md, &rpc.n_md, &bearer);
    if (rc != SATH_OK)
        return rc;
    rpc.md = md;
    rpc.path = sca->path;
    rpc.req = sca->buf;
    rpc.req_len = sca->len;
    rpc.timeout_ms = sca->opts && sca->opts->timeout_ms > 0 ? sca->opts->timeout_ms : 0; /* streams last */
    rc = sath__channel_server_stream(sca->c->chan, &rpc, on_stream_bytes, NULL, sca->sc, &sca->n_msgs);
    free(md);
    sath__secret_free(bearer);
    if (rc == SATH_OK)
        rc = sca->sc->bad ? SATH_EPROTO : rpc.status;
    *retryable = sca->n_msgs == 0; /* never replay a stream that delivered something */
    res->message = rpc.status_message;
    res->md = rpc.resp_md;
    res->n_md = rpc.n_resp_md;
    rpc.status_message = NULL;
    rpc.resp_md = NULL;
    rpc.n_resp_md = 0;
    sath__rpc_clear(&rpc);
    return rc;
}

int sath__server_stream(sath_client *c, const char *path, const ProtobufCMessage *req,
                        const ProtobufCMessageDescriptor *out, sath__stream_fn on_msg, void *arg,
                        sath_call_opts *opts)
{
    outcome res;
    memset(&res, 0, sizeof res);
    if (!c || !path || path[0] != '/' || !req || !out)
        return invalid(opts);
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = pack(req, &buf, &len);
    stream_ctx sc = {out, on_msg, arg, 0};
    if (rc == SATH_OK) {
        stream_call sca = {c, path, buf, len, &sc, opts, 0};
        rc = with_token(c, stream_attempt, &sca, &res);
    }
    if (buf) {
        sodium_memzero(buf, len);
        free(buf);
    }
    record(c, path, opts, 0, rc, &res);
    outcome_clear(&res);
    return rc;
}
