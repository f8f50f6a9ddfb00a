/*
 * addr.c - parsers for the address-like configuration values: host:port, Redis URLs,
 * base64 in any of its common spellings.  Shared by config.c and the Redis pool.
 *
 * Error messages never quote a password back: they may end up in the log.
 */
#include "sathd/config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

int sathd_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

/* Strict decimal in [lo, hi] covering the whole of s[0..len). */
static int parse_num(const char *s, size_t len, long lo, long hi, long *out)
{
    if (len == 0 || len > 10)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int copy_part(char *dst, size_t cap, const char *s, size_t len)
{
    if (len >= cap)
        return -1;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

/* Parses host[:port] (or [v6][:port]) of s[0..len); `defport` < 0 makes the port
 * mandatory. */
static int parse_hostport_n(const char *s, size_t len, int defport, sathd_hostport *out,
                            const char **why)
{
    const char *end = s + len, *host = s, *hend, *colon = NULL;
    if (len > 0 && s[0] == '[') {
        hend = memchr(s, ']', len);
        if (!hend) {
            *why = "missing ']' after IPv6 address";
            return -1;
        }
        host = s + 1;
        if (hend + 1 < end) {
            if (hend[1] != ':') {
                *why = "expected ':' after ']'";
                return -1;
            }
            colon = hend + 1;
        }
    } else {
        colon = NULL;
        for (const char *p = s; p < end; p++)
            if (*p == ':')
                colon = p;
        hend = colon ? colon : end;
        if (colon && memchr(s, ':', (size_t)(colon - s))) {
            *why = "IPv6 addresses must be written [addr]:port";
            return -1;
        }
    }
    if (hend == host || copy_part(out->host, sizeof out->host, host, (size_t)(hend - host))) {
        *why = "missing or too long host";
        return -1;
    }
    long port = defport;
    if (colon) {
        if (parse_num(colon + 1, (size_t)(end - colon - 1), 0, 65535, &port) != 0) {
            *why = "port must be a number 0..65535";
            return -1;
        }
    } else if (defport < 0) {
        *why = "missing ':port'";
        return -1;
    }
    out->port = (int)port;
    return 0;
}

int sathd_hostport_parse(const char *s, sathd_hostport *out, char *err, size_t errlen)
{
    const char *why = NULL;
    memset(out, 0, sizeof *out);
    if (!s || parse_hostport_n(s, strlen(s), -1, out, &why) != 0) {
        snprintf(err, errlen, "expected host:port or [ipv6]:port (%s)", s ? why : "empty");
        return -1;
    }
    return 0;
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* Copies s[0..len) percent-decoded into dst (URL userinfo may encode ':' '@' '/'). */
static int copy_pct(char *dst, size_t cap, const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int a = i + 2 < len ? hexval((unsigned char)s[i + 1]) : -1;
            int b = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
            if (a < 0 || b < 0)
                return -1;
            c = a * 16 + b;
            i += 2;
        }
        if (n + 1 >= cap)
            return -1;
        dst[n++] = (char)c;
    }
    dst[n] = '\0';
    return 0;
}

/* Handles the "?db=N&password=P" query of a unix:// URL. */
static int parse_unix_query(const char *q, sathd_redis_url *out, const char **why)
{
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        long v;
        if (len > 3 && strncmp(q, "db=", 3) == 0) {
            if (parse_num(q + 3, len - 3, 0, 65535, &v) != 0) {
                *why = "db must be a number";
                return -1;
            }
            out->db = (int)v;
        } else if (len > 9 && strncmp(q, "password=", 9) == 0) {
            if (copy_pct(out->password, sizeof out->password, q + 9, len - 9) != 0) {
                *why = "bad or too long password";
                return -1;
            }
        } else {
            *why = "unknown query parameter (expected db= or password=)";
            return -1;
        }
        q += len + (amp ? 1 : 0);
    }
    return 0;
}

static int parse_unix_url(const char *p, sathd_redis_url *out, const char **why)
{
    const char *q = strchr(p, '?');
    size_t plen = q ? (size_t)(q - p) : strlen(p);
    if (plen == 0 || p[0] != '/') {
        *why = "unix:// needs an absolute socket path (unix:///path)";
        return -1;
    }
    if (copy_part(out->path, sizeof out->path, p, plen) != 0) {
        *why = "socket path too long";
        return -1;
    }
    out->is_unix = 1;
    return q ? parse_unix_query(q + 1, out, why) : 0;
}

static int parse_tcp_url(const char *p, sathd_redis_url *out, const char **why)
{
    const char *slash = strchr(p, '/');
    size_t alen = slash ? (size_t)(slash - p) : strlen(p);
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (p[i] == '@')
            at = p + i;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon ? colon + 1 : p; /* redis://password@host is accepted too */
        if (colon && copy_pct(out->username, sizeof out->username, p, (size_t)(colon - p))) {
            *why = "bad or too long user name";
            return -1;
        }
        if (copy_pct(out->password, sizeof out->password, pw, (size_t)(at - pw)) != 0) {
            *why = "bad or too long password";
            return -1;
        }
        alen -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    sathd_hostport hp;
    if (parse_hostport_n(p, alen, 6379, &hp, why) != 0)
        return -1;
    memcpy(out->host, hp.host, sizeof out->host);
    out->port = hp.port;
    if (slash && slash[1]) {
        long db;
        if (parse_num(slash + 1, strlen(slash + 1), 0, 65535, &db) != 0) {
            *why = "database after '/' must be a number";
            return -1;
        }
        out->db = (int)db;
    }
    return 0;
}

int sathd_redis_url_parse(const char *s, sathd_redis_url *out, char *err, size_t errlen)
{
    const char *why = "expected redis://[:password@]host:port[/db] or unix:///path[?db=N]";
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (s && strncmp(s, "redis://", 8) == 0)
        rc = parse_tcp_url(s + 8, out, &why);
    else if (s && strncmp(s, "unix://", 7) == 0)
        rc = parse_unix_url(s + 7, out, &why);
    if (rc != 0) {
        sodium_memzero(out, sizeof *out);
        snprintf(err, errlen, "%s", why);
    }
    return rc;
}

long sathd_base64_decode_any(const char *s, unsigned char *out, size_t cap)
{
    static const int variants[] = {
        sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
        sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING};
    if (!s || !*s)
        return -1;
    size_t len = strlen(s);
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        size_t n = 0;
        /* b64_end NULL: a stray character fails instead of ending the input early */
        if (sodium_base642bin(out, cap, s, len, NULL, &n, NULL, variants[i]) == 0)
            return (long)n;
    }
    return -1;
}
