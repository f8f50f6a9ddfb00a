/*
 * gateway_cors.c - CORS of the REST gateway: the allowed origins (SATH_CORS_ORIGINS,
 * parsed once at start), the origin echoed to a request, and preflight answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway_internal.h"

int sathd_gw_cors_parse(sathd_gateway *g, char *err, size_t errlen)
{
    const char *list = g->opts.cors_origins;
    if (!list || !*list)
        return 0;
    if (!(g->cors_buf = strdup(list))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *save = NULL;
    for (char *t = strtok_r(g->cors_buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        size_t n = strlen(t);
        while (n && t[n - 1] == ' ')
            t[--n] = '\0';
        if (!n)
            continue;
        if (strcmp(t, "*") == 0)
            g->cors_any = 1;
        else if (g->n_origins < SATHD_GW_MAX_ORIGINS)
            g->origins[g->n_origins++] = t;
    }
    return 0;
}

const char *sathd_gw_cors_origin(const sathd_gateway *g, const char *origin)
{
    if (!origin || (!g->cors_any && g->n_origins == 0))
        return NULL;
    for (size_t i = 0; i < g->n_origins; i++)
        if (strcmp(g->origins[i], origin) == 0)
            return g->origins[i];
    return g->cors_any ? "*" : NULL;
}

int sathd_gw_cors_preflight(const sathd_gateway *g, struct MHD_Connection *conn,
                            const sathd_gw_req *rq, const char *method, enum MHD_Result *res)
{
    if (strcmp(method, "OPTIONS") != 0 || !rq->origin ||
        !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Access-Control-Request-Method"))
        return 0;
    const char *hdrs = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                   "Access-Control-Request-Headers");
    const char *extra[] = {
        "Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        "Access-Control-Allow-Headers",
        hdrs ? hdrs : "Authorization, Content-Type, X-Request-Id, X-Timeout-Ms, Grpc-Timeout",
        "Access-Control-Max-Age", "600",
        NULL};
    *res = sathd_gw_send(g, conn, rq, 204, NULL, NULL, 0, extra);
    return 1;
}
