/*
 * call.c - the per-call context handlers see (call.h) and transports create (rpc.h).
 *
 * A sathd_call is allocated in its own arena and knows nothing about gRPC: request
 * metadata is fetched through the transport's sathd_metadata_fn, so the REST gateway
 * can build the same object from an HTTP request and run the same chain.
 */
#include "rpc_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t sathd_rpc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

sathd_call *sathd_call_new(sathd_arena *arena, const sathd_call_env *env,
                           const sathd_registry_entry *m, sathd_metadata_fn md, void *md_ud,
                           const char *peer, int64_t deadline_ns)
{
    sathd_call *c = sathd_arena_calloc(arena, sizeof *c);
    if (!c)
        return NULL;
    c->arena = arena;
    c->env = env;
    c->entry = m;
    c->md = md;
    c->md_ud = md_ud;
    c->peer = sathd_call_strdup(c, peer ? peer : "-");
    c->deadline_ns = deadline_ns;
    c->started_ns = sathd_rpc_now_ns();
    c->status = SATHD_OK;
    return c->peer ? c : NULL;
}

/* One pending cleanup, in the call's arena; fn == NULL once it has run. */
struct sathd_defer {
    sathd_defer_fn fn;
    void *arg;
    struct sathd_defer *next;
};

int sathd_call_defer(sathd_call *call, sathd_defer_fn fn, void *arg)
{
    struct sathd_defer *d = sathd_arena_alloc(call->arena, sizeof *d);
    if (!d)
        return -1;
    d->fn = fn;
    d->arg = arg;
    d->next = call->defers;
    call->defers = d;
    return 0;
}

int sathd_call_defer_run(sathd_call *call, sathd_defer_fn fn, void *arg)
{
    for (struct sathd_defer *d = call->defers; d; d = d->next)
        if (d->fn == fn && d->arg == arg) {
            d->fn = NULL;
            fn(call, arg);
            return 0;
        }
    return -1;
}

void sathd_call_run_defers(sathd_call *call)
{
    /* A cleanup may register another (it runs first, being the latest). */
    while (call->defers) {
        struct sathd_defer *d = call->defers;
        call->defers = d->next;
        sathd_defer_fn fn = d->fn;
        d->fn = NULL;
        if (fn)
            fn(call, d->arg);
    }
}

void *sathd_call_alloc(sathd_call *call, size_t size) { return sathd_arena_calloc(call->arena, size); }

const char *sathd_call_client_ip(const sathd_call *call) { return call->client_ip; }

void sathd_call_set_client_ip(sathd_call *call, const char *ip)
{
    call->client_ip = sathd_call_strdup(call, ip);
}

void sathd_call_set_ratelimit(sathd_call *call, const sathd_ratelimit_info *info)
{
    call->has_rl = info != NULL;
    if (info)
        call->rl = *info;
}

const sathd_ratelimit_info *sathd_call_ratelimit(const sathd_call *call)
{
    return call->has_rl ? &call->rl : NULL;
}

char *sathd_call_strndup(sathd_call *call, const char *s, size_t n)
{
    if (!s)
        return NULL;
    size_t len = strnlen(s, n);
    char *d = sathd_arena_alloc(call->arena, len + 1);
    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *sathd_call_strdup(sathd_call *call, const char *s)
{
    return s ? sathd_call_strndup(call, s, strlen(s)) : NULL;
}

__attribute__((format(printf, 2, 0))) static char *arena_vprintf(sathd_arena *a, const char *fmt,
                                                               va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    char *d = NULL;
    if (n >= 0) {
        d = sathd_arena_alloc(a, (size_t)n + 1);
        if (d) {
            if ((size_t)n < sizeof small)
                memcpy(d, small, (size_t)n + 1);
            else
                vsnprintf(d, (size_t)n + 1, fmt, ap2);
        }
    }
    va_end(ap2);
    return d;
}

char *sathd_call_printf(sathd_call *call, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = arena_vprintf(call->arena, fmt, ap);
    va_end(ap);
    return d;
}

ProtobufCAllocator *sathd_call_allocator(sathd_call *call) { return sathd_arena_allocator(call->arena); }

int sathd_call_error(sathd_call *call, int code, const char *fmt, ...)
{
    call->status = code;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        call->message = arena_vprintf(call->arena, fmt, ap);
        va_end(ap);
    } else {
        call->message = NULL;
    }
    return code;
}

const sathd_identity *sathd_call_identity(const sathd_call *call) { return call->identity; }
sathd_app *sathd_call_app(const sathd_call *call) { return call->env->app; }
const sathd_method_desc *sathd_call_method(const sathd_call *call) { return call->entry->desc; }
const char *sathd_call_request_id(const sathd_call *call)
{
    return call->request_id ? call->request_id : "-";
}

const char *sathd_call_metadata(sathd_call *call, const char *key)
{
    return call->md && key ? call->md(call->md_ud, call, key) : NULL;
}

const char *sathd_call_peer(const sathd_call *call) { return call->peer; }

int64_t sathd_call_remaining_ms(const sathd_call *call)
{
    if (call->deadline_ns == INT64_MAX)
        return INT64_MAX;
    int64_t left = call->deadline_ns - sathd_rpc_now_ns();
    return left > 0 ? left / 1000000 : 0;
}

int sathd_call_status(const sathd_call *call) { return call->status; }
const char *sathd_call_message(const sathd_call *call) { return call->message; }
sathd_arena *sathd_call_arena(sathd_call *call) { return call->arena; }

#define STATUS_NAME_(name, grpc, http, text) [grpc] = #name,
static const char *const status_names[] = {SATHD_STATUS_MAP(STATUS_NAME_)};
#undef STATUS_NAME_

const char *sathd_status_name(int code)
{
    if (code < 0 || code >= (int)(sizeof status_names / sizeof status_names[0]) ||
        status_names[code] == NULL)
        return "UNKNOWN";
    return status_names[code];
}
