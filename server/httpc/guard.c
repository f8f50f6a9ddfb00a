/*
 * guard.c - the SSRF guard: which destinations a request to a user-supplied URL may
 * reach, and pinning the connection to the addresses that were checked.
 *
 * The host is resolved once here; if ANY address it resolves to is of a refused kind
 * (and not allowed by the operator), the request is refused - a mixed answer is how
 * rebinding attacks hide an internal address.  The transfer then gets the checked
 * addresses through CURLOPT_RESOLVE (curl does not ask DNS again) and an open-socket
 * callback refusing any address outside them, so even a path we did not foresee
 * (a literal address form curl parses differently, a cached entry) cannot connect
 * elsewhere.
 */
#include "httpc_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* IPv4 ranges that are not the public internet (RFC 6890 and friends). */
static const struct { unsigned char net[4]; int prefix; } v4_blocked[] = {
    {{0, 0, 0, 0}, 8},         /* "this network", unspecified */
    {{10, 0, 0, 0}, 8},        /* private */
    {{100, 64, 0, 0}, 10},     /* CGNAT shared space */
    {{127, 0, 0, 0}, 8},       /* loopback */
    {{169, 254, 0, 0}, 16},    /* link-local (cloud metadata lives here) */
    {{172, 16, 0, 0}, 12},     /* private */
    {{192, 0, 0, 0}, 24},      /* IETF protocol assignments */
    {{192, 0, 2, 0}, 24},      /* documentation */
    {{192, 88, 99, 0}, 24},    /* 6to4 relay anycast */
    {{192, 168, 0, 0}, 16},    /* private */
    {{198, 18, 0, 0}, 15},     /* benchmarking */
    {{198, 51, 100, 0}, 24},   /* documentation */
    {{203, 0, 113, 0}, 24},    /* documentation */
    {{224, 0, 0, 0}, 4},       /* multicast */
    {{240, 0, 0, 0}, 4},       /* reserved, broadcast */
};

/* IPv6 ranges refused outright; the ones embedding an IPv4 address are handled apart. */
static const struct { unsigned char net[16]; int prefix; } v6_blocked[] = {
    {{0}, 128},                                             /* :: unspecified */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128}, /* ::1 loopback */
    {{0x01, 0x00}, 64},                                     /* 100::/64 discard */
    {{0x20, 0x01, 0x0d, 0xb8}, 32},                         /* documentation */
    {{0x20, 0x01, 0x00, 0x00}, 32},                         /* Teredo (hides an IPv4 peer) */
    {{0xfc}, 7},                                            /* unique local */
    {{0xfe, 0x80}, 10},                                     /* link-local */
    {{0xfe, 0xc0}, 10},                                     /* site-local (deprecated) */
    {{0xff}, 8},                                            /* multicast */
};

static int prefix_match(const unsigned char *a, const unsigned char *net, int prefix)
{
    int whole = prefix / 8, rest = prefix % 8;
    if (memcmp(a, net, (size_t)whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (net[whole] & mask);
}

static int v4_blocked_bytes(const unsigned char a[4])
{
    for (size_t i = 0; i < sizeof v4_blocked / sizeof v4_blocked[0]; i++)
        if (prefix_match(a, v4_blocked[i].net, v4_blocked[i].prefix))
            return 1;
    return 0;
}

/* The IPv4 address an IPv6 one carries (v4-mapped, v4-compatible, NAT64, 6to4), if any. */
static const unsigned char *v6_embedded_v4(const unsigned char a[16])
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char compat[12] = {0};
    static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
        return a + 12;
    if (memcmp(a, compat, 12) == 0 && (a[12] | a[13]) != 0) /* ::a.b.c.d, not :: or ::1 */
        return a + 12;
    if (a[0] == 0x20 && a[1] == 0x02) /* 2002:AABB:CCDD::/48 */
        return a + 2;
    return NULL;
}

int httpc_addr_blocked(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return v4_blocked_bytes((const unsigned char *)&in->sin_addr);
    }
    if (sa->sa_family != AF_INET6)
        return 1; /* only IP is reachable through the guard */
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
    const unsigned char *a = in6->sin6_addr.s6_addr;
    const unsigned char *v4 = v6_embedded_v4(a);
    if (v4 && v4_blocked_bytes(v4))
        return 1;
    for (size_t i = 0; i < sizeof v6_blocked / sizeof v6_blocked[0]; i++)
        if (prefix_match(a, v6_blocked[i].net, v6_blocked[i].prefix))
            return 1;
    return 0;
}

int httpc_allow_parse(const char *text, httpc_allow *out)
{
    memset(out, 0, sizeof *out);
    char buf[300];
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, text, n + 1);
    char *host = buf, *port = NULL, *slash = NULL;
    if (buf[0] == '[') { /* [v6] or [v6]:port */
        char *end = strchr(buf, ']');
        if (!end || (end[1] && end[1] != ':'))
            return -1;
        *end = '\0';
        host = buf + 1;
        port = end[1] == ':' ? end + 2 : NULL;
    } else if ((slash = strchr(buf, '/'))) { /* CIDR, no port */
        *slash++ = '\0';
    } else {
        char *colon = strchr(buf, ':');
        if (colon && !strchr(colon + 1, ':')) { /* host:port; more colons: a bare v6 */
            *colon = '\0';
            port = colon + 1;
        }
    }
    if (port) {
        char *end = NULL;
        long p = strtol(port, &end, 10);
        if (!*port || *end || p < 1 || p > 65535)
            return -1;
        out->port = (int)p;
    }
    if (inet_pton(AF_INET, host, out->addr) == 1) {
        out->family = AF_INET;
        out->prefix = 32;
    } else if (inet_pton(AF_INET6, host, out->addr) == 1) {
        out->family = AF_INET6;
        out->prefix = 128;
    } else {
        if (slash || buf[0] == '[' || !*host || strlen(host) >= sizeof out->name)
            return -1;
        for (size_t i = 0; host[i]; i++) {
            unsigned char ch = (unsigned char)host[i];
            if (!isalnum(ch) && ch != '.' && ch != '-' && ch != '_')
                return -1;
            out->name[i] = (char)tolower(ch);
        }
        out->is_name = 1;
        return 0;
    }
    if (slash) {
        char *end = NULL;
        long bits = strtol(slash, &end, 10);
        if (!*slash || *end || bits < 0 || bits > out->prefix)
            return -1;
        out->prefix = (int)bits;
    }
    return 0;
}

/* Whether entry `a` lets `host`:`port` resolving to `sa` through. */
static int allow_matches(const httpc_allow *a, const char *host, int port,
                         const struct sockaddr *sa)
{
    if (a->port && a->port != port)
        return 0;
    if (a->is_name)
        return strcasecmp(a->name, host) == 0;
    const unsigned char *bytes = NULL;
    int family = sa->sa_family;
    if (family == AF_INET) {
        bytes = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    } else if (family == AF_INET6) {
        bytes = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (a->family == AF_INET && memcmp(bytes, mapped, 12) == 0) { /* ::ffff:a.b.c.d */
            bytes += 12;
            family = AF_INET;
        }
    }
    return bytes && family == a->family && prefix_match(bytes, a->addr, a->prefix);
}

static int allowed(const sathd_httpc *c, const char *host, int port, const struct sockaddr *sa)
{
    for (size_t i = 0; i < c->n_allow; i++)
        if (allow_matches(&c->allow[i], host, port, sa))
            return 1;
    return 0;
}

sathd_httpc_err httpc_url_host(CURLU *u, char *host, size_t hostlen, int *port)
{
    char *h = NULL, *p = NULL, *scheme = NULL;
    sathd_httpc_err rc = SATHD_HTTPC_EINVAL;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK)
        goto out;
    size_t n = strlen(h);
    const char *start = h;
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        start = h + 1;
        n -= 2;
    }
    if (n == 0 || n >= hostlen || memchr(start, '%', n)) /* no zone ids either */
        goto out;
    for (size_t i = 0; i < n; i++)
        host[i] = (char)tolower((unsigned char)start[i]);
    host[n] = '\0';
    *port = atoi(p);
    rc = *port > 0 && *port <= 65535 ? SATHD_HTTPC_OK : SATHD_HTTPC_EINVAL;
out:
    curl_free(scheme);
    curl_free(h);
    curl_free(p);
    return rc;
}

sathd_httpc_err httpc_guard_resolve(const sathd_httpc *c, const char *host, int port,
                                    httpc_pin *pin)
{
    memset(pin, 0, sizeof *pin);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return SATHD_HTTPC_EUNREACHABLE;
    sathd_httpc_err rc = SATHD_HTTPC_OK;
    for (struct addrinfo *ai = res; ai && rc == SATHD_HTTPC_OK; ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
            (httpc_addr_blocked(ai->ai_addr) && !allowed(c, host, port, ai->ai_addr))) {
            rc = SATHD_HTTPC_EBLOCKED;
            break;
        }
        int dup = 0;
        for (size_t i = 0; i < pin->n && !dup; i++)
            dup = memcmp(&pin->addr[i], ai->ai_addr, ai->ai_addrlen) == 0;
        if (!dup && pin->n < HTTPC_PIN_MAX) {
            memcpy(&pin->addr[pin->n], ai->ai_addr, ai->ai_addrlen);
            pin->n++;
        }
    }
    freeaddrinfo(res);
    if (rc == SATHD_HTTPC_OK && pin->n == 0)
        rc = SATHD_HTTPC_EUNREACHABLE;
    return rc;
}

sathd_httpc_err sathd_httpc_guard_check(const sathd_httpc *c, const char *url)
{
    CURLU *u = curl_url();
    if (!u)
        return SATHD_HTTPC_EINTERNAL;
    char host[256];
    int port = 0;
    httpc_pin pin;
    sathd_httpc_err rc = SATHD_HTTPC_EINVAL;
    if (url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        (rc = httpc_url_host(u, host, sizeof host, &port)) == SATHD_HTTPC_OK)
        rc = httpc_guard_resolve(c, host, port, &pin);
    curl_url_cleanup(u);
    return rc;
}

/* Whether `sa` is one of the pinned addresses (address only: the port is curl's). */
static int pinned(const httpc_pin *pin, const struct sockaddr *sa)
{
    for (size_t i = 0; i < pin->n; i++) {
        const struct sockaddr *p = (const struct sockaddr *)&pin->addr[i];
        if (p->sa_family != sa->sa_family)
            continue;
        if (sa->sa_family == AF_INET &&
            memcmp(&((const struct sockaddr_in *)(const void *)p)->sin_addr,
                   &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4) == 0)
            return 1;
        if (sa->sa_family == AF_INET6 &&
            memcmp(&((const struct sockaddr_in6 *)(const void *)p)->sin6_addr,
                   &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16) == 0)
            return 1;
    }
    return 0;
}

static curl_socket_t open_checked(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    httpc_pin *pin = arg;
    if (purpose != CURLSOCKTYPE_IPCXN || !pinned(pin, &a->addr)) {
        pin->refused = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

int httpc_guard_pin(CURL *h, const char *host, int port, httpc_pin *pin,
                    struct curl_slist **resolve)
{
    *resolve = NULL;
    unsigned char lit[16];
    int literal = inet_pton(AF_INET, host, lit) == 1 || inet_pton(AF_INET6, host, lit) == 1;
    if (!literal) { /* a name: curl must use what we checked, not ask DNS again */
        char line[HTTPC_PIN_MAX * 50 + 300];
        int off = snprintf(line, sizeof line, "%s:%d:", host, port);
        for (size_t i = 0; i < pin->n && off > 0 && (size_t)off < sizeof line - 50; i++) {
            const struct sockaddr *sa = (const struct sockaddr *)&pin->addr[i];
            char ip[INET6_ADDRSTRLEN];
            const void *src = sa->sa_family == AF_INET
                                  ? (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr
                                  : (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
            inet_ntop(sa->sa_family, src, ip, sizeof ip);
            off += snprintf(line + off, sizeof line - (size_t)off,
                            sa->sa_family == AF_INET6 ? "%s[%s]" : "%s%s", i ? "," : "", ip);
        }
        if (off <= 0 || (size_t)off >= sizeof line || !(*resolve = curl_slist_append(NULL, line)))
            return -1;
        curl_easy_setopt(h, CURLOPT_RESOLVE, *resolve);
    }
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_checked);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, pin);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    return 0;
}
