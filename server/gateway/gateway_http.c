/*
 * gateway_http.c - the libmicrohttpd server of the REST gateway: connection and request
 * lifecycle, header handling (request id, metadata, deadline), dispatch to the router,
 * transcoder and backend.  Answers are built by gateway_reply.c, CORS by gateway_cors.c,
 * the non-RPC endpoints by gateway_builtin.c.
 *
 * Memory: each connection owns one arena (created when the connection opens, freed when
 * it closes); a request allocates everything in it, including the response body, which
 * libmicrohttpd sends from there (MHD_RESPMEM_PERSISTENT); the arena is reset when the
 * request completes.  URLs are left percent-encoded (no-op unescape callback) so path
 * variables and query values are decoded exactly once, by route.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway_internal.h"
#include "sathd/log.h"
#include "sathd/rpc.h"
#include "transcode.h"

#define SATHD_GW_MAX_MD 32
#define SATHD_GW_MAX_QUERY 64

/* ---- request parts -------------------------------------------------------------- */

typedef struct md_collect {
    sathd_arena *arena;
    sathd_gw_md *md;
    size_t n;
} md_collect;

/* X-Forwarded-For for the client address (rate limits; believed only from a trusted
 * proxy, see clientip.c).  Several such headers form one list, in order. */
static enum MHD_Result forwarded_for(md_collect *mc, const char *value)
{
    for (size_t i = 0; i < mc->n; i++) {
        if (strcmp(mc->md[i].key, "x-forwarded-for") == 0) {
            size_t a = strlen(mc->md[i].value), b = strlen(value);
            char *joined = sathd_arena_alloc(mc->arena, a + b + 3);
            if (!joined)
                return MHD_NO;
            memcpy(joined, mc->md[i].value, a);
            memcpy(joined + a, ", ", 2);
            memcpy(joined + a + 2, value, b + 1);
            mc->md[i].value = joined;
            return MHD_YES;
        }
    }
    mc->md[mc->n].key = "x-forwarded-for";
    mc->md[mc->n].value = value;
    mc->n++;
    return MHD_YES;
}

static enum MHD_Result collect_md(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    md_collect *mc = cls;
    if (!value || mc->n >= SATHD_GW_MAX_MD)
        return MHD_YES;
    /* headers a handler reads as metadata under their own name: the bearer token, and
     * the signature of a signed public call (Stripe webhooks, over the raw HttpBody) */
    static const char *const forwarded[] = {"authorization", "stripe-signature"};
    const char *name = NULL;
    for (size_t i = 0; !name && i < sizeof forwarded / sizeof forwarded[0]; i++)
        if (strcasecmp(key, forwarded[i]) == 0)
            name = forwarded[i];
    if (!name && strcasecmp(key, "x-forwarded-for") == 0)
        return forwarded_for(mc, value);
    if (!name && strncasecmp(key, "grpc-metadata-", 14) == 0 && key[14] &&
        strcasecmp(key + 14, "x-forwarded-for") != 0) /* only the real header counts */
        name = key + 14;
    if (!name)
        return MHD_YES;
    size_t n = strlen(name);
    char *lower = sathd_arena_alloc(mc->arena, n + 1);
    if (!lower)
        return MHD_NO;
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)tolower((unsigned char)name[i]);
    if (strcmp(lower, "x-request-id") == 0)
        return MHD_YES; /* the gateway's own value wins */
    mc->md[mc->n].key = lower;
    mc->md[mc->n].value = value;
    mc->n++;
    return MHD_YES;
}

typedef struct query_collect {
    sathd_gw_query *q;
    size_t n;
    int overflow;
} query_collect;

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    query_collect *qc = cls;
    if (qc->n >= SATHD_GW_MAX_QUERY) {
        qc->overflow = 1;
        return MHD_NO;
    }
    qc->q[qc->n].key = key;
    qc->q[qc->n].value = value;
    qc->n++;
    return MHD_YES;
}

/* Grpc-Timeout ("<1-8 digits><H|M|S|m|u|n>") or X-Timeout-Ms, else the default (for a
 * server stream, none: it lasts until the client goes or the stream ends). */
static int64_t request_deadline(const sathd_gateway *g, struct MHD_Connection *conn, int stream)
{
    int64_t now = sathd_rpc_now_ns(), ns = -1;
    const char *gt = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Grpc-Timeout");
    const char *xt = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Timeout-Ms");
    if (gt) {
        size_t d = strspn(gt, "0123456789");
        if (d >= 1 && d <= 8 && gt[d] && !gt[d + 1]) {
            int64_t v = strtoll(gt, NULL, 10);
            switch (gt[d]) {
            case 'H': ns = v * 3600 * 1000000000LL; break;
            case 'M': ns = v * 60 * 1000000000LL; break;
            case 'S': ns = v * 1000000000LL; break;
            case 'm': ns = v * 1000000LL; break;
            case 'u': ns = v * 1000LL; break;
            case 'n': ns = v; break;
            default: break;
            }
        }
    } else if (xt) {
        size_t d = strspn(xt, "0123456789");
        if (d >= 1 && d <= 10 && !xt[d])
            ns = strtoll(xt, NULL, 10) * 1000000LL;
    }
    if (ns < 0 && stream)
        return INT64_MAX;
    if (ns < 0)
        ns = g->opts.request_timeout_ms * 1000000LL;
    return now + ns;
}

static const char *peer_text(sathd_arena *a, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    const char *fam = "ipv4";
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET) {
            const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
            inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
            port = ntohs(in->sin_port);
        } else if (sa->sa_family == AF_INET6) {
            const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
            port = ntohs(in6->sin6_port);
            fam = "ipv6";
        }
    }
    char *s = sathd_arena_alloc(a, 80);
    if (s)
        snprintf(s, 80, "%s:%s:%d", fam, host, port);
    return s ? s : "-";
}

/* ---- dispatch -------------------------------------------------------------------- */

static enum MHD_Result call_method(const sathd_gateway *g, struct MHD_Connection *conn,
                                   sathd_gw_req *rq, const char *verb, const sathd_gw_match *mt)
{
    sathd_gw_query q[SATHD_GW_MAX_QUERY];
    query_collect qc = {q, 0, 0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, &qc);
    if (qc.overflow)
        return sathd_gw_send_http_error(g, conn, rq, 400, "too many query parameters", NULL);
    sathd_gw_http_in in = {
        .verb = verb, .match = mt, .query = q, .n_query = qc.n,
        .body = rq->body, .body_len = rq->body_len,
        .content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"),
    };
    ProtobufCMessage *msg = NULL;
    const char *why = NULL;
    int http = sathd_gw_build_request(rq->arena, &in, &msg, &why);
    if (http == 415 || http == 500)
        return sathd_gw_send_http_error(g, conn, rq, http, why ? why : "internal error", NULL);

    sathd_gw_md md[SATHD_GW_MAX_MD + 1];
    md_collect mc = {rq->arena, md, 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_md, &mc);
    md[mc.n].key = "x-request-id";
    md[mc.n++].value = rq->request_id;
    if (mt->method->flags & SATHD_METHOD_SERVER_STREAMING) {
        if (http != 0)
            return sathd_gw_send_error(g, conn, rq, SATHD_INVALID_ARGUMENT,
                                       why ? why : "malformed request");
        return sathd_gw_stream(g, conn, rq, mt->method, msg, md, mc.n, peer_text(rq->arena, conn),
                               request_deadline(g, conn, 1));
    }
    sathd_gw_call c = {
        .method = mt->method, .req = http == 0 ? msg : NULL, .decode_error = why,
        .md = md, .n_md = mc.n, .peer = peer_text(rq->arena, conn),
        .deadline_ns = request_deadline(g, conn, 0), .arena = rq->arena,
    };
    int st = g->backend.invoke(g->backend.ud, &c);
    if (st != SATHD_OK || !c.resp)
        return sathd_gw_send_call_error(g, conn, rq, st == SATHD_OK ? SATHD_INTERNAL : st,
                                        c.message ? c.message : sathd_status_name(st), &c);
    const char *extra[12] = {NULL};
    sathd_gw_ratelimit_headers(rq->arena, &c, extra);
    int code = mt->method->http.success_code ? mt->method->http.success_code : 200;
    if (code == 204)
        return sathd_gw_send(g, conn, rq, 204, NULL, NULL, 0, extra);
    size_t len = 0;
    const char *ctype = NULL;
    char *body = sathd_gw_response_body(rq->arena, mt->method, c.resp, &len, &ctype);
    if (!body)
        return sathd_gw_send_error(g, conn, rq, SATHD_INTERNAL, "cannot encode the response");
    return sathd_gw_send(g, conn, rq, code, ctype, body, len, extra);
}

static enum MHD_Result dispatch(const sathd_gateway *g, struct MHD_Connection *conn,
                                sathd_gw_req *rq, const char *url, const char *method)
{
    enum MHD_Result res = MHD_NO;
    rq->api = strncmp(url, "/api/", 5) == 0;
    if (rq->too_big)
        return sathd_gw_send_http_error(g, conn, rq, 413, "request body too large", NULL);
    if (sathd_gw_cors_preflight(g, conn, rq, method, &res))
        return res;
    if (sathd_gw_builtin(g, conn, rq, method, url, &res))
        return res;
    size_t ulen = strlen(url);
    char *buf = sathd_arena_alloc(rq->arena, ulen + SATHD_GW_MAX_VARS + 1);
    if (!buf)
        return MHD_NO;
    sathd_gw_match mt;
    int st = sathd_gw_route_match(g->router, method, url, ulen, buf, ulen + SATHD_GW_MAX_VARS + 1,
                                  &mt);
    if (st == 404)
        return sathd_gw_send_http_error(g, conn, rq, 404, "no such endpoint", NULL);
    if (st == 405) {
        const char *extra[] = {"Allow", mt.allow, NULL};
        return sathd_gw_send_http_error(g, conn, rq, 405, "method not allowed on this endpoint", extra);
    }
    return call_method(g, conn, rq, method, &mt);
}

/* Bytes of the request head as received: request line and every header line. */
typedef struct head_size {
    size_t bytes;
} head_size;

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    ((head_size *)cls)->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

/* First callback of a request: context in the connection's arena, early 413. */
static sathd_gw_req *request_begin(const sathd_gateway *g, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    sathd_gw_conn *gc = ci ? ci->socket_context : NULL;
    if (!gc)
        return NULL;
    sathd_gw_guard_head_done(g->guard, gc);
    sathd_arena *a = gc->arena;
    sathd_gw_req *rq = sathd_arena_calloc(a, sizeof *rq);
    if (!rq)
        return NULL;
    rq->arena = a;
    rq->conn = gc;
    rq->request_id = sathd_request_id(
        a, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id"));
    rq->origin = sathd_gw_cors_origin(
        g, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin"));
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl) {
        unsigned long long n = strtoull(cl, NULL, 10);
        if (n > g->opts.max_body_bytes)
            rq->too_big = 1;
        else if (n > 0)
            rq->body_cap = (size_t)n;
    }
    return rq;
}

static void body_append(const sathd_gateway *g, sathd_gw_req *rq, const char *data, size_t n)
{
    if (rq->too_big)
        return;
    if (rq->body_len + n > g->opts.max_body_bytes) {
        rq->too_big = 1;
        return;
    }
    if (rq->body_len + n > rq->body_cap || !rq->body) {
        size_t cap = rq->body_cap ? rq->body_cap : 4096;
        while (cap < rq->body_len + n)
            cap *= 2;
        char *nb = sathd_arena_alloc(rq->arena, cap);
        if (!nb) {
            rq->too_big = 1;
            return;
        }
        if (rq->body_len)
            memcpy(nb, rq->body, rq->body_len);
        rq->body = nb;
        rq->body_cap = cap;
    }
    memcpy(rq->body + rq->body_len, data, n);
    rq->body_len += n;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    const sathd_gateway *g = cls;
    sathd_gw_req *rq = *con_cls;
    if (!rq) {
        if (!(rq = request_begin(g, conn)))
            return MHD_NO;
        *con_cls = rq;
        /* libmicrohttpd answers heads beyond its memory pool with its own HTML; the pool
         * is several times our limits, so the answer is normally this JSON one. */
        head_size uri = {strlen(url)};
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_header_size, &uri);
        if (uri.bytes > g->opts.max_header_bytes / 2)
            return sathd_gw_send_http_error(g, conn, rq, 414, "request URI too long", NULL);
        head_size hs = {uri.bytes + strlen(method) + 12};
        MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header_size, &hs);
        if (hs.bytes > g->opts.max_header_bytes)
            return sathd_gw_send_http_error(g, conn, rq, 431, "request header fields too large", NULL);
        if (rq->too_big) /* refuse before reading the body; MHD then closes */
            return sathd_gw_send_http_error(g, conn, rq, 413, "request body too large", NULL);
        return MHD_YES;
    }
    if (*upload_data_size) {
        body_append(g, rq, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    return dispatch(g, conn, rq, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    const sathd_gateway *g = cls;
    (void)conn;
    (void)toe;
    sathd_gw_req *rq = *con_cls;
    if (rq) {
        sathd_gw_guard_request_done(g->guard, rq->conn); /* the next head has a deadline */
        sathd_arena_reset(rq->arena);
    }
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    const sathd_gateway *g = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = sathd_gw_guard_open(g->guard, conn);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        sathd_gw_guard_close(g->guard, *socket_context);
        *socket_context = NULL;
    }
}

/* URLs stay percent-encoded: route.c and the transcoder decode each part once. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt,
                                                            va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\r\n")] = '\0';
    for (char *p = msg; *p; p++)
        if (*p == '"')
            *p = '\'';
    sathd_log(SATHD_LOG_DEBUG, "msg=\"http\" detail=\"%s\"", msg);
}

/* ---- lifecycle --------------------------------------------------------------------- */

static int resolve(const sathd_gateway_opts *o, struct sockaddr_storage *ss, socklen_t *sl,
                   char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char port[16];
    snprintf(port, sizeof port, "%d", o->port);
    int rc = getaddrinfo(o->host && *o->host ? o->host : "127.0.0.1", port, &hints, &ai);
    if (rc != 0 || !ai) {
        snprintf(err, errlen, "cannot resolve %s: %s", o->host, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *sl = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

sathd_gateway *sathd_gateway_start(const sathd_gateway_opts *o,
                                   const sathd_method_desc *const *methods, size_t n_methods,
                                   const sathd_gw_backend *backend, char *err, size_t errlen)
{
    sathd_gateway *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    g->opts = *o;
    g->backend = *backend;
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    if (sathd_gw_streams_new(g) != 0) {
        snprintf(err, errlen, "out of memory");
        sathd_gateway_stop(g);
        return NULL;
    }
    if (!(g->router = sathd_gw_router_new(methods, n_methods, err, errlen)) ||
        sathd_gw_cors_parse(g, err, errlen) != 0 || resolve(o, &ss, &sl, err, errlen) != 0 ||
        !(g->guard = sathd_gw_guard_new(o->header_timeout_ms, err, errlen))) {
        sathd_gateway_stop(g);
        return NULL;
    }
    /* suspend/resume: a server stream waiting for its next message leaves its thread */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    unsigned timeout_s = (unsigned)((o->request_timeout_ms + 999) / 1000);
    g->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, g,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads > 0 ? o->threads : 1),
        MHD_OPTION_CONNECTION_LIMIT, o->max_connections ? o->max_connections : 1024u,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        o->max_connections_per_ip ? o->max_connections_per_ip : 64u,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout_s ? timeout_s : 1u,
        /* 4x: heads up to our limits fit, so request_begin answers 414/431 in JSON */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        4 * (o->max_header_bytes ? o->max_header_bytes : (size_t)16384),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, g,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, g,
        MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, g,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, g,
        MHD_OPTION_END);
    if (!g->daemon) {
        snprintf(err, errlen, "cannot serve HTTP on %s:%d", o->host, o->port);
        sathd_gateway_stop(g);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(g->daemon, MHD_DAEMON_INFO_BIND_PORT);
    g->port = di ? di->port : o->port;
    return g;
}

int sathd_gateway_port(const sathd_gateway *g) { return g->port; }

void sathd_gateway_stop(sathd_gateway *g)
{
    if (!g)
        return;
    sathd_gw_streams_stop(g);
    if (g->daemon)
        MHD_stop_daemon(g->daemon);
    sathd_gw_guard_free(g->guard); /* after the daemon: no connection is left */
    sathd_gw_router_free(g->router);
    free(g->cors_buf);
    free(g);
}
