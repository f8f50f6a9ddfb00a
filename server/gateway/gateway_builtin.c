/*
 * gateway_builtin.c - the endpoints that are not RPC methods (/healthz, /readyz,
 * /openapi.json, /docs, /.well-known/jwks.json, /metrics).
 *
 * /docs serves files below the configured directory only: the path is percent-decoded
 * once, and any segment that is empty-dot ("." / ".."), hidden (".x"), or contains a
 * backslash or NUL is refused, so nothing outside the directory is reachable; only
 * regular files are served, by file descriptor (no copy).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway_internal.h"
#include "sathd/registry.h"

static int is_get(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

static enum MHD_Result send_text(const sathd_gateway *g, struct MHD_Connection *conn,
                                 const sathd_gw_req *rq, int status, const char *ctype,
                                 const char *text)
{
    return sathd_gw_send(g, conn, rq, status, ctype, text, strlen(text), NULL);
}

/* Sends malloc'd `s` (taken over) with MHD_RESPMEM_MUST_FREE. */
static enum MHD_Result send_owned(struct MHD_Connection *conn, const sathd_gw_req *rq,
                                  const char *ctype, char *s)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, "X-Request-Id", rq->request_id);
    if (rq->origin)
        MHD_add_response_header(r, "Access-Control-Allow-Origin", rq->origin);
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

static const char *content_type_of(const char *path)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".json", "application/json"},
        {".map", "application/json"}, {".png", "image/png"}, {".svg", "image/svg+xml"},
        {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(dot, types[i][0]) == 0)
            return types[i][1];
    return "application/octet-stream";
}

/* 1 when the relative path `rel` is safe to join below the docs directory. */
static int safe_relpath(const char *rel)
{
    if (!*rel)
        return 0;
    const char *p = rel;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n == 0 || p[0] == '.' || memchr(p, '\\', n))
            return 0;
        p += n;
        if (*p == '/')
            p++;
    }
    return 1;
}

static enum MHD_Result serve_docs(const sathd_gateway *g, struct MHD_Connection *conn,
                                  const sathd_gw_req *rq, const char *url)
{
    static const char json404[] = "{\"code\":5,\"message\":\"not found\",\"details\":[],"
                                  "\"detail\":\"not found\"}";
    if (strcmp(url, "/docs") == 0) {
        const char *extra[] = {"Location", "/docs/", NULL};
        return sathd_gw_send(g, conn, rq, 301, NULL, NULL, 0, extra);
    }
    const char *rel = url + strlen("/docs/");
    size_t rl = strlen(rel);
    char *dec = sathd_arena_alloc(rq->arena, rl + 16);
    if (!dec)
        return MHD_NO;
    if (sathd_gw_percent_decode(rel, rl, dec, 0) < 0)
        dec[0] = '\0', rl = (size_t)-1;
    if (rl != (size_t)-1 && !dec[0])
        strcpy(dec, "index.html");
    const char *dir = g->opts.docs_dir;
    char path[4096];
    int fd = -1;
    struct stat st;
    if (dir && *dir && safe_relpath(dec) &&
        snprintf(path, sizeof path, "%s/%s", dir, dec) < (int)sizeof path &&
        (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0 && fstat(fd, &st) == 0 &&
        S_ISREG(st.st_mode)) {
        struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
        if (!r) {
            close(fd);
            return MHD_NO;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type_of(dec));
        MHD_add_response_header(r, "X-Request-Id", rq->request_id);
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        /* Only our own files run on the page, it talks only to us, nobody frames it
         * (Swagger UI sets inline styles, hence style-src 'unsafe-inline'). */
        MHD_add_response_header(r, "Content-Security-Policy", SATHD_GW_DOCS_CSP);
        MHD_add_response_header(r, "X-Frame-Options", "DENY");
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
        enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        return rc;
    }
    if (fd >= 0)
        close(fd);
    return sathd_gw_send(g, conn, rq, 404, "application/json", json404, sizeof json404 - 1, NULL);
}

int sathd_gw_builtin(const sathd_gateway *g, struct MHD_Connection *conn, const sathd_gw_req *rq,
                   const char *method, const char *url, enum MHD_Result *res)
{
    if (strncmp(url, "/api/", 5) == 0)
        return 0; /* the hot path: every RPC route lives under /api/ */
    int docs = strcmp(url, "/docs") == 0 || strncmp(url, "/docs/", 6) == 0;
    int known = docs || strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0 ||
                strcmp(url, "/openapi.json") == 0 || strcmp(url, "/.well-known/jwks.json") == 0 ||
                strcmp(url, "/metrics") == 0;
    if (!known)
        return 0;
    if (!is_get(method)) {
        const char *extra[] = {"Allow", "GET, HEAD", NULL};
        static const char body[] = "{\"code\":12,\"message\":\"method not allowed\","
                                   "\"details\":[],\"detail\":\"method not allowed\"}";
        *res = sathd_gw_send(g, conn, rq, 405, "application/json", body, sizeof body - 1, extra);
        return 1;
    }
    if (docs) {
        *res = serve_docs(g, conn, rq, url);
    } else if (strcmp(url, "/healthz") == 0) {
        *res = send_text(g, conn, rq, 200, "application/json", "{\"status\":\"ok\"}");
    } else if (strcmp(url, "/readyz") == 0) {
        int ok = !g->backend.ready || g->backend.ready(g->backend.ud);
        *res = send_text(g, conn, rq, ok ? 200 : 503, "application/json",
                         ok ? "{\"status\":\"ready\"}" : "{\"status\":\"unavailable\"}");
    } else if (strcmp(url, "/openapi.json") == 0) {
        if (g->opts.openapi_json)
            *res = sathd_gw_send(g, conn, rq, 200, "application/json", g->opts.openapi_json,
                                 g->opts.openapi_json_len, NULL);
        else
            *res = sathd_gw_send_error(g, conn, rq, SATHD_NOT_FOUND, "no OpenAPI document");
    } else {
        int jwks = strcmp(url, "/.well-known/jwks.json") == 0;
        char *(*fn)(void *) = jwks ? g->backend.jwks : g->backend.metrics;
        char *s = fn ? fn(g->backend.ud) : NULL;
        if (s)
            *res = send_owned(conn, rq, jwks ? "application/json" : "text/plain; version=0.0.4", s);
        else
            *res = sathd_gw_send_error(g, conn, rq, SATHD_NOT_FOUND, "not available here");
    }
    return 1;
}
