/*
 * route.c - compiling google.api.http path templates and matching requests to them.
 *
 * A linear scan over the compiled routes: with a few dozen routes of a handful of
 * segments each this costs well under a microsecond and keeps the code obviously
 * correct (it is fuzzed).  Routes are kept in table order; the first full match wins.
 */
#include "route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct segment {
    char *text;   /* literal text, or the variable's field path */
    size_t len;   /* length of a literal */
    int is_var;
} segment;

typedef struct route {
    const sathd_method_desc *method;
    size_t n_seg;
    segment seg[SATHD_GW_MAX_SEGMENTS];
} route;

struct sathd_gw_router {
    size_t n;
    route *routes;
};

static void route_clear(route *rt)
{
    for (size_t i = 0; i < rt->n_seg; i++)
        free(rt->seg[i].text);
    rt->n_seg = 0;
}

/* Parses one template segment [s, s+len) into *sg.  0 or -1. */
static int compile_segment(const char *s, size_t len, segment *sg)
{
    if (len == 0)
        return -1;
    if (s[0] == '{') {
        if (len < 3 || s[len - 1] != '}')
            return -1;
        const char *name = s + 1;
        size_t nlen = len - 2;
        const char *eq = memchr(name, '=', nlen);
        if (eq) {
            /* only the single-segment wildcard form {field=*} is supported */
            if ((size_t)(name + nlen - eq) != 2 || eq[1] != '*')
                return -1;
            nlen = (size_t)(eq - name);
        }
        for (size_t i = 0; i < nlen; i++) {
            char c = name[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.'))
                return -1;
        }
        if (nlen == 0)
            return -1;
        sg->is_var = 1;
        sg->text = strndup(name, nlen);
        sg->len = nlen;
    } else {
        if (memchr(s, '{', len) || memchr(s, '}', len) || memchr(s, '*', len))
            return -1;
        sg->is_var = 0;
        sg->text = strndup(s, len);
        sg->len = len;
    }
    return sg->text ? 0 : -1;
}

static int compile_route(const sathd_method_desc *m, route *rt, char *err, size_t errlen)
{
    const char *p = m->http.path;
    rt->method = m;
    rt->n_seg = 0;
    if (!p || p[0] != '/') {
        snprintf(err, errlen, "%s: http path must start with '/'", m->path);
        return -1;
    }
    p++;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (rt->n_seg == SATHD_GW_MAX_SEGMENTS ||
            compile_segment(p, len, &rt->seg[rt->n_seg]) != 0) {
            snprintf(err, errlen, "%s: bad http path template \"%s\"", m->path, m->http.path);
            route_clear(rt);
            return -1;
        }
        rt->n_seg++;
        p += len;
        if (*p == '/')
            p++;
    }
    return 0;
}

sathd_gw_router *sathd_gw_router_new(const sathd_method_desc *const *methods, size_t n, char *err,
                                     size_t errlen)
{
    sathd_gw_router *r = calloc(1, sizeof *r);
    if (!r || !(r->routes = calloc(n ? n : 1, sizeof *r->routes))) {
        free(r);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!methods[i] || !methods[i]->http.verb || !methods[i]->http.path)
            continue;
        if (compile_route(methods[i], &r->routes[r->n], err, errlen) != 0) {
            sathd_gw_router_free(r);
            return NULL;
        }
        r->n++;
    }
    return r;
}

void sathd_gw_router_free(sathd_gw_router *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        route_clear(&r->routes[i]);
    free(r->routes);
    free(r);
}

size_t sathd_gw_router_count(const sathd_gw_router *r) { return r->n; }

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long sathd_gw_percent_decode(const char *in, size_t len, char *out, int plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = hexval(in[i + 1]), lo = hexval(in[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '\0') {
            return -1;
        } else {
            out[o++] = plus_is_space && c == '+' ? ' ' : c;
        }
    }
    out[o] = '\0';
    return (long)o;
}

/* Splits the request path into segments; -1 when it has too many or does not start
 * with '/'.  An empty trailing segment ("/a/") counts, so "/a/" never matches "/a". */
static int split_path(const char *path, size_t len, const char **seg, size_t *seglen, size_t *n)
{
    if (len == 0 || path[0] != '/')
        return -1;
    *n = 0;
    size_t i = 1;
    for (;;) {
        size_t start = i;
        while (i < len && path[i] != '/')
            i++;
        if (*n == SATHD_GW_MAX_SEGMENTS)
            return -1;
        seg[*n] = path + start;
        seglen[*n] = i - start;
        (*n)++;
        if (i >= len)
            break;
        i++;
    }
    if (*n == 1 && seglen[0] == 0)
        *n = 0; /* "/" */
    return 0;
}

static int shape_matches(const route *rt, const char *const *seg, const size_t *seglen, size_t n)
{
    if (rt->n_seg != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (rt->seg[i].is_var ? seglen[i] == 0
                              : (seglen[i] != rt->seg[i].len ||
                                 memcmp(seg[i], rt->seg[i].text, seglen[i]) != 0))
            return 0;
    }
    return 1;
}

/* Binds the variables of `rt`; 0, or -1 when a value does not decode or buf is short. */
static int bind_vars(const route *rt, const char *const *seg, const size_t *seglen, char *buf,
                     size_t buflen, sathd_gw_match *out)
{
    size_t used = 0;
    out->n_vars = 0;
    for (size_t i = 0; i < rt->n_seg; i++) {
        if (!rt->seg[i].is_var)
            continue;
        if (out->n_vars == SATHD_GW_MAX_VARS || buflen - used < seglen[i] + 1)
            return -1;
        long d = sathd_gw_percent_decode(seg[i], seglen[i], buf + used, 0);
        if (d < 0)
            return -1;
        out->vars[out->n_vars].field = rt->seg[i].text;
        out->vars[out->n_vars].value = buf + used;
        out->n_vars++;
        used += (size_t)d + 1;
    }
    return 0;
}

static void allow_add(char *allow, size_t cap, const char *verb)
{
    if (strstr(allow, verb))
        return;
    size_t l = strlen(allow);
    snprintf(allow + l, cap - l, "%s%s", l ? ", " : "", verb);
}

int sathd_gw_route_match(const sathd_gw_router *r, const char *verb, const char *path,
                         size_t path_len, char *buf, size_t buflen, sathd_gw_match *out)
{
    const char *seg[SATHD_GW_MAX_SEGMENTS];
    size_t seglen[SATHD_GW_MAX_SEGMENTS], n = 0;
    memset(out, 0, sizeof *out);
    if (split_path(path, path_len, seg, seglen, &n) != 0)
        return 404;
    int shape_seen = 0;
    for (size_t i = 0; i < r->n; i++) {
        const route *rt = &r->routes[i];
        if (!shape_matches(rt, seg, seglen, n))
            continue;
        if (strcmp(rt->method->http.verb, verb) == 0) {
            if (bind_vars(rt, seg, seglen, buf, buflen, out) != 0)
                return 404;
            out->method = rt->method;
            out->allow[0] = '\0';
            return 200;
        }
        shape_seen = 1;
        allow_add(out->allow, sizeof out->allow, rt->method->http.verb);
    }
    return shape_seen ? 405 : 404;
}
