/*
 * influx_query.c - one InfluxQL query through GET /query (see influx.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "influx_internal.h"
#include "sathd/httpc.h"
#include "sathd/influx.h"

static char *urlencode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *o = malloc(strlen(s) * 3 + 1), *p = o;
    if (!o)
        return NULL;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    *p = '\0';
    return o;
}

int sathd_influx_query(sathd_influx *x, const char *q, int64_t deadline_ms, json_t **out,
                       char *err, size_t errlen)
{
    *out = NULL;
    char *eq = urlencode(q);
    const char *base = sathd__influx_url(x), *db = sathd__influx_db(x);
    size_t n = strlen(base) + strlen(db) + (eq ? strlen(eq) : 0) + 64;
    char *url = malloc(n);
    if (!eq || !url) {
        free(eq);
        free(url);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(url, n, "%s/query?db=%s&epoch=ms&q=%s", base, db, eq);
    free(eq);
    sathd_httpc_request rq = {.method = "GET", .url = url,
                              .deadline_ms = deadline_ms ? deadline_ms : sathd_httpc_now_ms() + 10000,
                              .connect_timeout_ms = 2000, .max_response = 16u << 20};
    sathd_httpc_response rs;
    memset(&rs, 0, sizeof rs);
    sathd_httpc_err e = sathd_httpc_do(sathd__influx_http(x), &rq, &rs);
    free(url);
    int rc = -1;
    if (e != SATHD_HTTPC_OK) {
        snprintf(err, errlen, "InfluxDB: %s", sathd_httpc_strerror(e));
    } else if (rs.status != 200) {
        snprintf(err, errlen, "InfluxDB answered HTTP %ld", rs.status);
    } else {
        json_error_t je;
        *out = json_loadb(rs.body, rs.body_len, 0, &je);
        const char *qe = json_string_value(
            json_object_get(json_array_get(json_object_get(*out, "results"), 0), "error"));
        if (!*out)
            snprintf(err, errlen, "InfluxDB answer is not JSON");
        else if (qe) {
            snprintf(err, errlen, "InfluxDB: %.200s", qe);
            json_decref(*out);
            *out = NULL;
        } else
            rc = 0;
    }
    sathd_httpc_response_free(&rs);
    return rc;
}
