/*
 * unary.c - one unary call: encode, attach metadata and token, call, decode, and the
 * transparent token refresh around it.
 */
#define _GNU_SOURCE /* asprintf */
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
int sath__is_public(const char *path)
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
    if (opts && opts->authorization) {
        arr[k].key = (char *)"authorization";
        arr[k++].value = opts->authorization;
    } else if (access) {
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

/* Where a call's response goes: decoded as `out` into *resp, or (out NULL) its bytes. */
typedef struct sink {
    const ProtobufCMessageDescriptor *out;
    ProtobufCMessage **resp;
    uint8_t **raw;
    size_t *raw_len;
} sink;

static int deliver(const sink *k, sath__rpc *rpc)
{
    if (k->out)
        return sath__decode(k->out, rpc, k->resp);
    if (!rpc->resp && !(rpc->resp = malloc(1)))
        return SATH_ENOMEM;
    *k->raw = rpc->resp;
    *k->raw_len = rpc->resp_len;
    rpc->resp = NULL;
    return SATH_OK;
}

/* Moves rpc's message and metadata into *res and clears rpc. */
static void take_outcome(sath__rpc *rpc, int rc, outcome *res)
{
    res->message = rpc->status_message;
    res->md = rpc->resp_md;
    res->n_md = rpc->n_resp_md;
    rpc->status_message = NULL;
    rpc->resp_md = NULL;
    rpc->n_resp_md = 0;
    sath__rpc_clear(rpc);
    if (rc < 0 && res->message && !*res->message) {
        free(res->message);
        res->message = NULL;
    }
}

static int attempt(sath_client *c, const char *path, const uint8_t *buf, size_t len,
                   const char *access, const sink *k, const sath_call_opts *opts, outcome *res)
{
    sath__rpc rpc;
    char *bearer = NULL;
    int rc = sath__rpc_init(c, opts, access, path, buf, len, &rpc, &bearer);
    if (rc != SATH_OK)
        return rc;
    rc = sath__channel_unary(c->chan, &rpc);
    free((void *)rpc.md);
    sath__secret_free(bearer);
    if (rc == SATH_OK)
        rc = rpc.status;
    if (rc == SATH_OK)
        rc = deliver(k, &rpc);
    take_outcome(&rpc, rc, res);
    return rc;
}

int sath__rpc_init(sath_client *c, const sath_call_opts *opts, const char *access, const char *path,
                   const uint8_t *buf, size_t len, sath__rpc *rpc, char **bearer)
{
    memset(rpc, 0, sizeof *rpc);
    sath__md *md = NULL;
    int rc = build_md(c, opts, access, &md, &rpc->n_md, bearer);
    if (rc != SATH_OK)
        return rc;
    rpc->md = md;
    rpc->path = path;
    rpc->req = buf;
    rpc->req_len = len;
    rpc->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : c->timeout_ms;
    rpc->wait_for_ready = c->wait_for_ready;
    return SATH_OK;
}

int sath__decode(const ProtobufCMessageDescriptor *out, sath__rpc *rpc, ProtobufCMessage **resp)
{
    int rc = SATH_OK;
    *resp = protobuf_c_message_unpack(out, NULL, rpc->resp_len, rpc->resp ? rpc->resp : (const uint8_t *)"");
    if (!*resp || !rpc->resp) {
        if (*resp)
            protobuf_c_message_free_unpacked(*resp, NULL);
        *resp = NULL;
        rc = SATH_EPROTO;
    }
    if (rpc->resp)
        sodium_memzero(rpc->resp, rpc->resp_len); /* may hold tokens */
    return rc;
}

char *sath__call_message(int rc, const char *detail)
{
    if (rc == SATH_OK)
        return NULL;
    int has_detail = detail && *detail;
    /* gRPC core words these itself on this side ("Deadline Exceeded"), sathd otherwise */
    if (rc == SATH_DEADLINE_EXCEEDED || rc == SATH_CANCELLED || (rc > 0 && !has_detail))
        return strdup(sath_strerror(rc));
    if (rc > 0)
        return strdup(detail);
    char *msg = NULL;
    if (!has_detail)
        return strdup(sath_strerror(rc));
    if (asprintf(&msg, "%s: %s", sath_strerror(rc), detail) < 0)
        return NULL;
    return msg;
}

void sath__record(sath_client *c, sath_call_opts *opts, int quiet, int rc, const char *detail,
                  const sath__md *md, size_t n_md)
{
    char *msg = sath__call_message(rc, detail);
    if (opts) {
        free(opts->status_message);
        opts->status = rc;
        opts->status_message = msg ? strdup(msg) : NULL;
        sath__md_list_clear(&opts->resp_md);
        for (size_t i = 0; i < n_md; i++)
            if (sath__md_list_add(&opts->resp_md, md[i].key, md[i].value) != SATH_OK)
                break;
    }
    if (c && !quiet)
        sath__set_error_message(c, msg);
    else
        free(msg);
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
    int has_refresh = 0, retryable = 0;
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

/* Runs fn without a token (public methods, or a caller's own authorization) or with
 * with_token(), and records the outcome; `out` names what failed to decode. */
static int call_recorded(sath_client *c, attempt_fn fn, void *ctx,
                         const ProtobufCMessageDescriptor *out, sath_call_opts *opts, int flags)
{
    outcome res;
    memset(&res, 0, sizeof res);
    int rc, retryable;
    if ((flags & SATH__CALL_PUBLIC) || (opts && opts->authorization))
        rc = fn(ctx, NULL, &res, &retryable);
    else
        rc = with_token(c, fn, ctx, &res);
    char why[256] = "";
    if (rc == SATH_EPROTO && !res.message && out)
        snprintf(why, sizeof why, "could not decode the %s", out->name);
    sath__record(c, opts, flags & SATH__CALL_QUIET, rc, res.message ? res.message : why, res.md,
                 res.n_md);
    outcome_clear(&res);
    return rc;
}

/* True when every sub-message of `m` (a message of type `d`, already checked) has its
 * field's type: a Timestamp where a StringValue belongs would be packed with its own
 * descriptor and sent as garbage.  Depth is bounded by the message types. */
static int submessages_typed(const ProtobufCMessage *m, const ProtobufCMessageDescriptor *d)
{
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        const char *member = (const char *)m + f->offset;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF &&
            *(const uint32_t *)(const void *)((const char *)m + f->quantifier_offset) != f->id)
            continue;
        size_t n = 1;
        const ProtobufCMessage *const *subs = (const ProtobufCMessage *const *)(const void *)member;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            n = *(const size_t *)(const void *)((const char *)m + f->quantifier_offset);
            subs = *(const ProtobufCMessage *const *const *)(const void *)member;
            if (n > 0 && !subs)
                return 0;
        }
        for (size_t k = 0; k < n; k++) {
            if (!subs[k])
                continue; /* an unset singular message */
            if (subs[k]->descriptor != f->descriptor || !submessages_typed(subs[k], f->descriptor))
                return 0;
        }
    }
    return 1;
}

/* Checks that `req` is a message of type `in`, then packs it into *buf.  A request of
 * another type, or one never initialised, has another descriptor pointer: it is compared,
 * never followed, so an uninitialised struct cannot crash here. */
int sath__encode(const ProtobufCMessageDescriptor *in, const ProtobufCMessage *req, uint8_t **buf,
                 size_t *len, char *why, size_t whylen)
{
    *buf = NULL;
    *len = 0;
    if (!req) {
        snprintf(why, whylen, "the request is NULL");
        return SATH_EINVAL;
    }
    if (in && req->descriptor != in) {
        snprintf(why, whylen, "the request is not a %s (initialise it with its __INIT macro "
                 "or __init function)", in->name);
        return SATH_EINVAL;
    }
    if (!submessages_typed(req, req->descriptor) || !protobuf_c_message_check(req)) {
        snprintf(why, whylen, "the %s is not well formed (a sub-message of the wrong type, "
                 "or a repeated field's count without its array)", req->descriptor->name);
        return SATH_EINVAL;
    }
    size_t n = protobuf_c_message_get_packed_size(req);
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return SATH_ENOMEM;
    if (protobuf_c_message_pack(req, b) != n) {
        free(b);
        snprintf(why, whylen, "could not encode the %s", req->descriptor->name);
        return SATH_EPROTO;
    }
    *buf = b;
    *len = n;
    return SATH_OK;
}

typedef struct unary_ctx {
    sath_client *c;
    const char *path;
    const uint8_t *buf;
    size_t len;
    const sink *k;
    const sath_call_opts *opts;
} unary_ctx;

static int unary_attempt(void *ctx, const char *access, outcome *res, int *retryable)
{
    unary_ctx *u = ctx;
    *retryable = 1;
    return attempt(u->c, u->path, u->buf, u->len, access, u->k, u->opts, res);
}

/* Sends the encoded request `buf` and records the outcome (the common end of both). */
static int call_bytes(sath_client *c, const char *path, const uint8_t *buf, size_t len,
                      const sink *k, sath_call_opts *opts, int flags)
{
    unary_ctx u = {c, path, buf, len, k, opts};
    return call_recorded(c, unary_attempt, &u, k->out, opts, flags);
}

/* The checks both typed entry points make, then the request encoded into *buf (wiped
 * and freed by the caller); a failure is recorded. */
static int typed_request(sath_client *c, const char *path, const ProtobufCMessageDescriptor *in,
                         const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out,
                         uint8_t **buf, size_t *len, sath_call_opts *opts)
{
    char why[256] = "";
    int rc = SATH_EINVAL;
    if (!c)
        snprintf(why, sizeof why, "the client is NULL");
    else if (!path || path[0] != '/' || !out)
        snprintf(why, sizeof why, "no method path or response type");
    else
        rc = sath__encode(in, req, buf, len, why, sizeof why);
    return rc == SATH_OK ? rc : sath__fail(c, opts, rc, why);
}

int sath__unary_ex(sath_client *c, const char *path, const ProtobufCMessageDescriptor *in,
                   const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out,
                   ProtobufCMessage **resp, sath_call_opts *opts, int flags)
{
    ProtobufCMessage *discard = NULL;
    if (!resp)
        resp = &discard; /* the caller does not want the response */
    *resp = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = typed_request(c, path, in, req, out, &buf, &len, opts);
    if (rc != SATH_OK)
        return rc;
    sink k = {out, resp, NULL, NULL};
    rc = call_bytes(c, path, buf, len, &k, opts, flags);
    sodium_memzero(buf, len); /* requests carry passwords and refresh tokens */
    free(buf);
    if (discard)
        protobuf_c_message_free_unpacked(discard, NULL);
    return rc;
}

int sath_client_call_raw(sath_client *c, const char *path, const void *req, size_t req_len,
                         void **resp, size_t *resp_len, sath_call_opts *opts)
{
    if (resp)
        *resp = NULL;
    if (resp_len)
        *resp_len = 0;
    if (!c || !path || path[0] != '/' || !strchr(path + 1, '/') || (!req && req_len) || !resp ||
        !resp_len)
        return sath__fail(c, opts, SATH_EINVAL,
                          "a client, a \"/package.Service/Method\" path and resp/resp_len are required");
    uint8_t *bytes = NULL;
    sink k = {NULL, NULL, &bytes, resp_len};
    int flags = sath__is_public(path) ? SATH__CALL_PUBLIC : 0;
    int rc = call_bytes(c, path, req ? req : "", req_len, &k, opts, flags);
    if (rc == SATH_OK)
        *resp = bytes;
    return rc;
}

int sath__unary(sath_client *c, const char *path, const ProtobufCMessageDescriptor *in,
                const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out,
                ProtobufCMessage **resp, sath_call_opts *opts)
{
    int flags = path && sath__is_public(path) ? SATH__CALL_PUBLIC : 0;
    return sath__unary_ex(c, path, in, req, out, resp, opts, flags);
}

/* ---- server streaming ------------------------------------------------------------ */

typedef struct stream_call {
    sath_client *c;
    const char *path;
    const uint8_t *buf;
    size_t len;
    const sath_call_opts *opts;
    sath_stream_msg_cb on_msg;
    sath_stream_alive_cb alive;
    void *arg;
    const int *bad; /* set when a message did not decode (typed streams), or NULL */
    size_t n_msgs;
} stream_call;

static int stream_attempt(void *ctx, const char *access, outcome *res, int *retryable)
{
    stream_call *s = ctx;
    sath__rpc rpc;
    char *bearer = NULL;
    int rc = sath__rpc_init(s->c, s->opts, access, s->path, s->buf, s->len, &rpc, &bearer);
    if (rc != SATH_OK)
        return rc;
    /* streams last: the client's default deadline is for unary calls, opts' still holds */
    rpc.timeout_ms = s->opts && s->opts->timeout_ms > 0 ? s->opts->timeout_ms : 0;
    size_t n = 0;
    rc = sath__channel_server_stream(s->c->chan, &rpc, s->on_msg, s->alive, s->arg, &n);
    s->n_msgs += n;
    free((void *)rpc.md);
    sath__secret_free(bearer);
    if (rc == SATH_OK)
        rc = s->bad && *s->bad ? SATH_EPROTO : rpc.status;
    *retryable = s->n_msgs == 0; /* never replay a stream that delivered something */
    if (rc == SATH_EPROTO) {
        free(rpc.status_message); /* the cancellation's words, not the reason */
        rpc.status_message = NULL;
    }
    take_outcome(&rpc, rc, res);
    return rc;
}

int sath_client_call_raw_stream(sath_client *c, const char *path, const void *req,
                                size_t req_len, sath_stream_msg_cb on_msg,
                                sath_stream_alive_cb alive, void *userdata, sath_call_opts *opts)
{
    if (!c || !path || path[0] != '/' || !strchr(path + 1, '/') || (!req && req_len) || !on_msg)
        return sath__fail(c, opts, SATH_EINVAL,
                          "a client, a \"/package.Service/Method\" path and on_msg are required");
    stream_call s = {c, path, req ? req : (const uint8_t *)"", req_len, opts, on_msg, alive,
                     userdata, NULL, 0};
    int flags = sath__is_public(path) ? SATH__CALL_PUBLIC : 0;
    return call_recorded(c, stream_attempt, &s, NULL, opts, flags);
}

/* The typed stream: each message decoded as `out` and handed to on_msg. */
typedef struct typed_stream {
    const ProtobufCMessageDescriptor *out;
    sath__stream_fn on_msg;
    void *arg;
    int bad;
} typed_stream;

static int on_stream_bytes(void *arg, const void *buf, size_t len)
{
    typed_stream *ts = arg;
    ProtobufCMessage *m = protobuf_c_message_unpack(ts->out, NULL, len, buf ? buf : "");
    if (!m) {
        ts->bad = 1;
        return 1;
    }
    int stop = ts->on_msg ? ts->on_msg(ts->arg, m) : 0;
    protobuf_c_message_free_unpacked(m, NULL);
    return stop;
}

int sath__server_stream(sath_client *c, const char *path, const ProtobufCMessageDescriptor *in,
                        const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out,
                        sath__stream_fn on_msg, void *arg, sath_call_opts *opts)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = typed_request(c, path, in, req, out, &buf, &len, opts);
    if (rc != SATH_OK)
        return rc;
    typed_stream ts = {out, on_msg, arg, 0};
    stream_call s = {c, path, buf, len, opts, on_stream_bytes, NULL, &ts, &ts.bad, 0};
    rc = call_recorded(c, stream_attempt, &s, out, opts, sath__is_public(path) ? SATH__CALL_PUBLIC : 0);
    sodium_memzero(buf, len);
    free(buf);
    return rc;
}
