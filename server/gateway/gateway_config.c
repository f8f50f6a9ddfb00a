/*
 * gateway_config.c - gateway options from sathd's configuration table (SATH_HTTP_*,
 * SATH_CORS_ORIGINS, SATH_DOCS_DIR), shared by sathd serve and sath-gateway, and the
 * embedded OpenAPI document when the build generated one.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sathd/gateway.h"
#include "sathd/gateway_config.h"

#if defined(__has_include)
#if __has_include("sath/v1/openapi.sath.h")
#include "sath/v1/openapi.sath.h"
#define SATHD_GW_HAVE_OPENAPI 1
#endif
#endif

#ifndef SATHD_DOCS_DIR_INSTALL
#define SATHD_DOCS_DIR_INSTALL ""
#endif
#ifndef SATHD_DOCS_DIR_BUILD
#define SATHD_DOCS_DIR_BUILD ""
#endif

static int has_index(const char *dir)
{
    char p[4096];
    struct stat st;
    return dir[0] && snprintf(p, sizeof p, "%s/index.html", dir) < (int)sizeof p &&
           stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

const char *sathd_gw_default_docs_dir(void)
{
    if (has_index(SATHD_DOCS_DIR_INSTALL))
        return SATHD_DOCS_DIR_INSTALL;
    if (has_index(SATHD_DOCS_DIR_BUILD))
        return SATHD_DOCS_DIR_BUILD;
    return NULL;
}

void sathd_gw_opts_from_config(sathd_gateway_opts *o, const sathd_config *cfg)
{
    memset(o, 0, sizeof *o);
    o->host = cfg->http_addr.host;
    o->port = cfg->http_addr.port;
    o->threads = (int)cfg->http_threads;
    o->max_body_bytes = (size_t)cfg->http_max_body_bytes;
    o->max_header_bytes = (size_t)cfg->http_max_header_bytes;
    o->max_connections = (unsigned)cfg->http_max_connections;
    o->request_timeout_ms = cfg->http_request_timeout_ms;
    o->max_connections_per_ip = (unsigned)cfg->http_max_connections_per_ip;
    o->header_timeout_ms = cfg->http_header_timeout_ms;
    o->cors_origins = cfg->cors_origins;
    o->docs_dir = cfg->docs_dir ? cfg->docs_dir : sathd_gw_default_docs_dir();
#ifdef SATHD_GW_HAVE_OPENAPI
    o->openapi_json = sath_v1_openapi_json;
    o->openapi_json_len = sath_v1_openapi_json_len;
#endif
}
