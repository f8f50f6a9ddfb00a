/*
 * gateway_local.c - the in-process backend: a REST request becomes a sathd_call run
 * through the same interceptor chain and handlers as a gRPC call (authentication, access
 * log, metrics, error mapping), on the gateway thread, with no loopback hop.
 */
#include <string.h>

#include "sathd/gateway.h"
#include "sathd/app.h"
#include "sathd/jwt.h"
#include "sathd/metrics.h"
#include "sathd/rpc.h"

/* sathd_metadata_fn over the header-derived pairs of the request. */
static const char *md_lookup(void *ud, sathd_call *call, const char *key)
{
    (void)call;
    const sathd_gw_call *c = ud;
    for (size_t i = 0; i < c->n_md; i++)
        if (strcmp(c->md[i].key, key) == 0)
            return c->md[i].value;
    return NULL;
}

/* The call of c->method on the chain of the gRPC server; NULL with the status in *st. */
static sathd_call *local_call(sathd_gw_local *l, sathd_gw_call *c,
                              const sathd_registry_entry **e, int *st)
{
    *e = sathd_registry_lookup(l->reg, c->method->path, strlen(c->method->path));
    if (!*e) {
        c->message = "method not served";
        *st = SATHD_UNIMPLEMENTED;
        return NULL;
    }
    sathd_call *call = sathd_call_new(c->arena, sathd_rpc_server_env(l->srv), *e, md_lookup, c,
                                      c->peer, c->deadline_ns);
    if (!call) {
        c->message = "out of memory";
        *st = SATHD_RESOURCE_EXHAUSTED;
    }
    return call;
}

/* What the REST answer needs from the finished call: its message and rate limit. */
static int local_finish(sathd_call *call, sathd_gw_call *c, int st)
{
    c->message = sathd_call_message(call);
    const sathd_ratelimit_info *rl = sathd_call_ratelimit(call);
    if ((c->has_rl = rl != NULL))
        c->rl = *rl;
    return st;
}

static int local_invoke(void *ud, sathd_gw_call *c)
{
    const sathd_registry_entry *e = NULL;
    int st = SATHD_OK;
    sathd_call *call = local_call(ud, c, &e, &st);
    if (!call)
        return st;
    if (!c->req)
        sathd_call_error(call, SATHD_INVALID_ARGUMENT, "%s",
                         c->decode_error ? c->decode_error : "malformed request");
    st = sathd_call_run(call, e, c->req, &c->resp);
    return local_finish(call, c, st);
}

/* A server-streaming method on the stream's own thread (gateway_stream.c). */
static int local_invoke_stream(void *ud, sathd_gw_call *c, sathd_writer *out)
{
    const sathd_registry_entry *e = NULL;
    int st = SATHD_OK;
    sathd_call *call = local_call(ud, c, &e, &st);
    if (!call)
        return st;
    st = sathd_call_run_stream(call, e, c->req, out);
    return local_finish(call, c, st);
}

/* The verdict the gRPC health service answers with (the `healthy` hook: cached, at most
 * one probe of the backing services per SATHD_HEALTH_PROBE_MS), so load balancers
 * polling /readyz hard cost no I/O. */
static int local_ready(void *ud)
{
    sathd_gw_local *l = ud;
    const sathd_rpc_hooks *h = &sathd_rpc_server_env(l->srv)->hooks;
    return h->healthy ? h->healthy(h->ud) : 1;
}

static char *local_jwks(void *ud)
{
    sathd_gw_local *l = ud;
    return l->app->jwt ? sathd_jwks_json(l->app->jwt) : NULL;
}

static char *local_metrics(void *ud)
{
    sathd_gw_local *l = ud;
    sathd_metrics *m = sathd_rpc_server_metrics(l->srv);
    return m ? sathd_metrics_render(m) : NULL;
}

void sathd_gw_local_backend(sathd_gw_backend *out, sathd_gw_local *ctx)
{
    out->ud = ctx;
    out->invoke = local_invoke;
    out->invoke_stream = local_invoke_stream;
    out->ready = local_ready;
    out->jwks = local_jwks;
    out->metrics = local_metrics;
}
