/*
 * call.h - what a handler can see and do during one call.
 *
 * A sathd_call lives from the moment a request (gRPC or REST) is matched to a method
 * until its response has been sent.  It owns an arena: every allocation made through
 * it is released in one place when the call ends, so handlers never free anything
 * they got from here; other resources (pooled connections, PostgreSQL results) are
 * tied to the call with sathd_call_defer and released when the handler has returned.  Handlers reach server-wide state (configuration, pools, keys)
 * only through sathd_call_app(); there are no mutable globals.
 *
 * All functions are for the thread that runs the call; a sathd_call is never shared.
 */
#ifndef SATHD_CALL_H
#define SATHD_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "sathd/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sathd_app sathd_app; /* server-wide context, sathd/app.h (server/app) */

/* Who made the call, set by the authentication interceptor from a verified access
 * token.  All strings are owned by the call. */
typedef struct sathd_identity {
    const char *user_id;  /* UUID of the account */
    const char *jti;      /* token id, for the logout denylist */
    const char *issuer;   /* iss claim */
    int64_t expires_at;   /* exp claim, unix seconds */
    const char *token;    /* the raw access token */
    const char *session_id; /* refresh-token family the token was issued for ("" if none) */
    int64_t issued_at;    /* iat claim, unix seconds */
    /* Run-token calls (SATHD_METHOD_RUN_TOKEN) only: the bot run the token opens, a
     * sathd_agent_run (sathd/botagent.h) in the call's arena; NULL for user tokens. */
    const void *run;
} sathd_identity;

/* The limit that decided a call (allowed or refused), for the transports: gRPC sends it
 * as trailing metadata (and RetryInfo when refused), REST as the IETF RateLimit-Policy /
 * RateLimit headers and Retry-After. */
typedef struct sathd_ratelimit_info {
    const char *policy;    /* static name, e.g. "login-ip" */
    int64_t quota;         /* requests per window */
    int64_t window_s;
    int64_t remaining;     /* left after this call */
    int64_t reset_s;       /* until the quota is whole again */
    int64_t retry_after_s; /* > 0 when the call was refused */
} sathd_ratelimit_info;

/* Zeroed memory from the call's arena, aligned for any type; NULL when exhausted. */
void *sathd_call_alloc(sathd_call *call, size_t size);
/* Copy of `s` (or of its first `n` bytes, NUL-terminated) in the call's arena. */
char *sathd_call_strdup(sathd_call *call, const char *s);
char *sathd_call_strndup(sathd_call *call, const char *s, size_t n);
/* printf into the call's arena. */
char *sathd_call_printf(sathd_call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A protobuf-c allocator drawing from the arena (its free is a no-op). */
ProtobufCAllocator *sathd_call_allocator(sathd_call *call);

/* Records the call's error status and message (printf format) and returns `code`.
 * The message goes to the client as grpc-message / the REST error body: it must never
 * contain a secret.  A code of SATHD_INTERNAL is sent to the client as a generic
 * "internal error" with the request id, while the detailed message goes to the log. */
int sathd_call_error(sathd_call *call, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The verified caller, or NULL on a public method called without a token. */
const sathd_identity *sathd_call_identity(const sathd_call *call);
/* Server-wide context (never NULL). */
sathd_app *sathd_call_app(const sathd_call *call);
/* The method being called. */
const sathd_method_desc *sathd_call_method(const sathd_call *call);
/* Request id: the client's x-request-id when well-formed, else a generated one. */
const char *sathd_call_request_id(const sathd_call *call);
/* First value of request metadata `key` (lower case), NUL-terminated, or NULL. */
const char *sathd_call_metadata(sathd_call *call, const char *key);
/* Peer address as text, e.g. "ipv4:127.0.0.1:51234". */
const char *sathd_call_peer(const sathd_call *call);
/* The client's address for limits and logs: set by the admission hook from the peer (and
 * X-Forwarded-For behind a trusted proxy); before that, or without one, NULL. */
const char *sathd_call_client_ip(const sathd_call *call);
void sathd_call_set_client_ip(sathd_call *call, const char *ip); /* copied */
/* Records / returns the deciding rate limit (copied; NULL when no limit applied). */
void sathd_call_set_ratelimit(sathd_call *call, const sathd_ratelimit_info *info);
const sathd_ratelimit_info *sathd_call_ratelimit(const sathd_call *call);
/* Milliseconds left until the call's deadline (>= 0), or INT64_MAX when it has none.
 * Database work of the call is bounded by this (statement_timeout). */
int64_t sathd_call_remaining_ms(const sathd_call *call);

/* Cleanup tied to the call, in the way h2o ties disposers to its pool: fn(call, arg) runs
 * once, when the handler (and the interceptors around it) have returned and before the
 * call's status is logged, latest registered first.  Pooled connections and PostgreSQL
 * results taken through sathd/svc.h are released this way, so no path of a handler can
 * leak them.  Returns 0, or -1 when the arena is exhausted (then fn is not registered:
 * the caller releases `arg` itself). */
typedef void (*sathd_defer_fn)(sathd_call *call, void *arg);
int sathd_call_defer(sathd_call *call, sathd_defer_fn fn, void *arg);
/* Runs now, and removes, the deferred fn(call, arg) registered earlier with the same fn
 * and arg (to give a pooled connection back before a slow step).  0, or -1 when no such
 * cleanup is pending. */
int sathd_call_defer_run(sathd_call *call, sathd_defer_fn fn, void *arg);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_CALL_H */
