/*
 * influx_line.c - InfluxDB line protocol, built with escaping (see influx.h):
 *   measurement,tag=value field=1.5,n=3i,s="x" 1700000000000000000
 * Measurement: escape ',' and ' '.  Tag keys/values and field keys: ',', '=', ' '.
 * String field values: '"' and '\'.  Newlines cannot be escaped: they become spaces, so
 * one point can never turn into two (no value a bot sends can forge a line).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sathd/influx.h"

static void put(sathd_lp *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->buf, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->buf = p;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void put_escaped(sathd_lp *b, const char *s, const char *special)
{
    for (; *s; s++) {
        char c = *s == '\n' || *s == '\r' ? ' ' : *s;
        if (strchr(special, c))
            put(b, "\\", 1);
        put(b, &c, 1);
    }
}


void sathd_lp_begin(sathd_lp *b, const char *measurement, const char *const *tags)
{
    put_escaped(b, measurement, ", ");
    for (size_t i = 0; tags && tags[i] && tags[i + 1]; i += 2) {
        if (!*tags[i + 1])
            continue;
        put(b, ",", 1);
        put_escaped(b, tags[i], ",= ");
        put(b, "=", 1);
        put_escaped(b, tags[i + 1], ",= ");
    }
    put(b, " ", 1);
}

/* ' ' after the tags was just written when the last char is ' '; else separate by ',' */
static void field_key(sathd_lp *b, const char *key)
{
    if (b->len > 0 && b->buf[b->len - 1] != ' ')
        put(b, ",", 1);
    put_escaped(b, key, ",= ");
    put(b, "=", 1);
}

void sathd_lp_float(sathd_lp *b, const char *key, double v)
{
    if (!isfinite(v))
        return;
    char num[40];
    int n = snprintf(num, sizeof num, "%.17g", v);
    field_key(b, key);
    put(b, num, (size_t)n);
}

void sathd_lp_int(sathd_lp *b, const char *key, int64_t v)
{
    char num[32];
    int n = snprintf(num, sizeof num, "%lldi", (long long)v);
    field_key(b, key);
    put(b, num, (size_t)n);
}

void sathd_lp_str(sathd_lp *b, const char *key, const char *v)
{
    field_key(b, key);
    put(b, "\"", 1);
    put_escaped(b, v ? v : "", "\"\\");
    put(b, "\"", 1);
}

void sathd_lp_end(sathd_lp *b, int64_t ts_ns)
{
    char num[32];
    int n = snprintf(num, sizeof num, " %lld\n", (long long)ts_ns);
    put(b, num, (size_t)n);
    b->points++;
}

void sathd_lp_free(sathd_lp *b)
{
    free(b->buf);
    memset(b, 0, sizeof *b);
}
