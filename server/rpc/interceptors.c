/*
 * interceptors.c - the one chain every call runs through, whatever its transport:
 *
 *   1 request id   x-request-id when it matches [A-Za-z0-9._-]{1,64}, else 16 random bytes hex
 *   2 auth         non-public methods need `authorization: Bearer <token>`, checked by the
 *                  app's authenticate hook; public methods ignore any token
 *   3 deadline     an already expired call never reaches its handler (nor a limit)
 *   4 admission    the app's rate limits (hooks.admit), with the decoded request
 *   5 handler
 *   6 error map    INTERNAL details go to the log only; empty messages get a default
 *   7 access log   one INFO line: ids, method, peer, user, status, duration (no payloads,
 *                  no metadata values)
 *   8 metrics      lock-free per-method counters
 *
 * The chain is a straight function, not a list of function pointers: the order is a
 * security property (nothing runs before authentication) and should be read in one place.
 */
#include "rpc_internal.h"

#include <string.h>
#include <strings.h>

#include "sathd/log.h"

static void set_request_id(sathd_call *call)
{
    call->request_id = sathd_request_id(call->arena, sathd_call_metadata(call, "x-request-id"));
}

/* Token of "Bearer <token>" (scheme case-insensitive), or NULL. */
static const char *bearer_token(const char *h)
{
    if (strncasecmp(h, "bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
        return NULL;
    h += 6;
    while (*h == ' ' || *h == '\t')
        h++;
    return *h ? h : NULL;
}

static int authenticate(sathd_call *call)
{
    if (call->entry->desc->flags & SATHD_METHOD_PUBLIC)
        return SATHD_OK; /* a token on a public method is ignored, not verified */
    const char *h = sathd_call_metadata(call, "authorization");
    if (!h)
        return sathd_call_error(call, SATHD_UNAUTHENTICATED, "missing bearer token");
    const char *tok = bearer_token(h);
    if (!tok)
        return sathd_call_error(call, SATHD_UNAUTHENTICATED,
                                "authorization metadata must be 'Bearer <token>'");
    const sathd_rpc_hooks *hk = &call->env->hooks;
    if (!hk->authenticate)
        return sathd_call_error(call, SATHD_UNAUTHENTICATED, "authentication is not configured");
    sathd_identity *id = sathd_call_alloc(call, sizeof *id);
    if (!id)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    int rc = hk->authenticate(hk->ud, call, tok, id);
    if (rc != SATHD_OK) {
        if (call->status == SATHD_OK || call->status != rc)
            return sathd_call_error(call, rc == SATHD_INTERNAL ? rc : SATHD_UNAUTHENTICATED,
                                    "invalid access token");
        return rc;
    }
    call->identity = id;
    return SATHD_OK;
}

static int run_stream_handler(sathd_call *call, const sathd_registry_entry *m,
                              const ProtobufCMessage *req, sathd_writer *out)
{
    if (!m->stream_fn)
        return sathd_call_error(call, SATHD_UNIMPLEMENTED, "method %s is not implemented",
                                m->desc->path);
    call->status = SATHD_OK;
    call->message = NULL;
    int rc = m->stream_fn(call, m->impl, req, out);
    if (rc == SATHD_OK) {
        call->status = SATHD_OK;
        call->message = NULL;
    } else if (call->status != rc) {
        call->status = rc;
        call->message = NULL;
    }
    return rc;
}

static int admit(sathd_call *call, const ProtobufCMessage *req)
{
    const sathd_rpc_hooks *hk = &call->env->hooks;
    if (!hk->admit)
        return SATHD_OK;
    int rc = hk->admit(hk->ud, call, req);
    if (rc != SATHD_OK && call->status != rc)
        return sathd_call_error(call, rc, "request refused");
    return rc;
}

static int run_handler(sathd_call *call, const sathd_registry_entry *m,
                       const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    if (!m->fn)
        return sathd_call_error(call, SATHD_UNIMPLEMENTED, "method %s is not implemented",
                                m->desc->path);
    const ProtobufCMessageDescriptor *od = m->desc->output;
    ProtobufCMessage *r = sathd_arena_alloc(call->arena, od->sizeof_message);
    if (!r)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    protobuf_c_message_init(od, r);
    call->status = SATHD_OK;
    call->message = NULL;
    int rc = m->fn(call, m->impl, req, r);
    if (rc == SATHD_OK) {
        call->status = SATHD_OK;
        call->message = NULL;
        *resp = r;
    } else if (call->status != rc) {
        call->status = rc; /* handler returned a code without sathd_call_error */
        call->message = NULL;
    }
    return rc;
}

/* Copies `s` into a logfmt-safe form: quotes, backslashes and control bytes become '_'. */
static const char *log_safe(sathd_call *call, const char *s)
{
    char *d = s ? sathd_call_strdup(call, s) : NULL;
    if (!d)
        return "";
    for (char *p = d; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
            *p = '_';
    return d;
}

static void map_error(sathd_call *call)
{
    if (call->status == SATHD_OK) {
        call->message = NULL;
        return;
    }
    if (call->status < 0 || call->status > SATHD_UNAUTHENTICATED)
        call->status = SATHD_UNKNOWN;
    if (call->status == SATHD_INTERNAL) {
        sathd_log(SATHD_LOG_ERROR, "msg=\"internal error\" request_id=%s method=%s detail=\"%s\"",
                  call->request_id, call->entry->desc->path, log_safe(call, call->message));
        call->message = sathd_call_printf(call, "internal error (request id %s)", call->request_id);
        if (!call->message)
            call->message = "internal error";
        return;
    }
    if (!call->message || !*call->message) {
        char *m = sathd_call_strdup(call, sathd_status_name(call->status));
        if (m) {
            for (char *p = m; *p; p++)
                *p = *p == '_' ? ' ' : (char)(*p - 'A' + 'a');
        }
        call->message = m ? m : "error";
    }
}

/* The interceptor chain around a unary (out NULL) or streaming handler. */
static int call_run(sathd_call *call, const sathd_registry_entry *m, const ProtobufCMessage *req,
                    ProtobufCMessage **resp, sathd_writer *out)
{
    *resp = NULL;
    call->entry = m;
    set_request_id(call);
    if (!req) {
        if (call->status == SATHD_OK)
            sathd_call_error(call, SATHD_INVALID_ARGUMENT, "malformed request message");
    } else if (authenticate(call) == SATHD_OK) {
        if (sathd_call_remaining_ms(call) == 0)
            sathd_call_error(call, SATHD_DEADLINE_EXCEEDED, "deadline exceeded");
        else if (admit(call, req) != SATHD_OK) {
            /* refused (rate limit): the status is set */
        } else if (out)
            run_stream_handler(call, m, req, out);
        else
            run_handler(call, m, req, resp);
    }
    sathd_call_run_defers(call);
    map_error(call);
    if (call->status != SATHD_OK)
        *resp = NULL;
    int64_t dur_us = (sathd_rpc_now_ns() - call->started_ns) / 1000;
    if (!(m->desc->flags & SATHD_METHOD_NO_ACCESS_LOG) && sathd_log_enabled(SATHD_LOG_INFO))
        sathd_log(SATHD_LOG_INFO,
                  "msg=access request_id=%s method=%s peer=%s user=%s status=%s dur_us=%lld",
                  call->request_id, m->desc->path, log_safe(call, call->peer),
                  call->identity && call->identity->user_id
                      ? log_safe(call, call->identity->user_id)
                      : "-",
                  sathd_status_name(call->status), (long long)dur_us);
    sathd_metrics_record(call->env->metrics, m->index, call->status, dur_us);
    return call->status;
}

int sathd_call_run(sathd_call *call, const sathd_registry_entry *m, const ProtobufCMessage *req,
                   ProtobufCMessage **resp)
{
    return call_run(call, m, req, resp, NULL);
}

int sathd_call_run_stream(sathd_call *call, const sathd_registry_entry *m,
                          const ProtobufCMessage *req, sathd_writer *out)
{
    ProtobufCMessage *none = NULL;
    return call_run(call, m, req, &none, out);
}

int sathd_writer_send(sathd_writer *w, const ProtobufCMessage *msg)
{
    return w && w->send ? w->send(w->ud, msg) : -1;
}

int sathd_writer_alive(sathd_writer *w)
{
    return w && w->alive ? w->alive(w->ud) : 0;
}
