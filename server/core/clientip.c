/*
 * clientip.c - who the client is, for rate limits: the peer address, or, behind a proxy
 * the operator trusts (SATH_TRUSTED_PROXIES), the address that proxy put in
 * X-Forwarded-For.
 *
 * X-Forwarded-For is a list each proxy appends to; only the entries added by proxies we
 * trust are believable, so it is read from the right, skipping trusted proxies, and the
 * first other address is the client.  Anything left of it may be forged by the client.
 */
#include "sathd/ratelimit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cidr {
    int family; /* AF_INET / AF_INET6 */
    unsigned char addr[16];
    int bits;
} cidr;

struct sathd_cidr_list {
    size_t n;
    cidr e[];
};

/* Parses an address (v4, v6, or v4-mapped v6, which is taken as v4) into c. */
static int parse_addr(const char *s, size_t len, cidr *c)
{
    char buf[INET6_ADDRSTRLEN + 1];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, c->addr) == 1) {
        c->family = AF_INET;
        c->bits = 32;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, c->addr) == 1) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(c->addr, mapped, 12) == 0) {
            memmove(c->addr, c->addr + 12, 4);
            c->family = AF_INET;
            c->bits = 32;
        } else {
            c->family = AF_INET6;
            c->bits = 128;
        }
        return 0;
    }
    return -1;
}

sathd_cidr_list *sathd_cidr_list_parse(const char *s, char *err, size_t errlen)
{
    size_t cap = 1;
    for (const char *p = s ? s : ""; *p; p++)
        cap += *p == ',';
    sathd_cidr_list *l = calloc(1, sizeof *l + cap * sizeof(cidr));
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (const char *p = s ? s : ""; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, ", ");
        const char *slash = memchr(p, '/', len);
        cidr *c = &l->e[l->n];
        size_t alen = slash ? (size_t)(slash - p) : len;
        int ok = parse_addr(p, alen, c) == 0;
        if (ok && slash) {
            char *end = NULL;
            long bits = strtol(slash + 1, &end, 10);
            int max = c->family == AF_INET ? 32 : 128;
            ok = end == p + len && end > slash + 1 && bits >= 0 && bits <= max;
            if (ok)
                c->bits = (int)bits;
        }
        if (!ok) {
            snprintf(err, errlen, "\"%.*s\" is not an IP address or CIDR network", (int)len, p);
            free(l);
            return NULL;
        }
        l->n++;
        p += len;
    }
    return l;
}

void sathd_cidr_list_free(sathd_cidr_list *l) { free(l); }

static int in_cidr(const cidr *net, const cidr *a)
{
    if (net->family != a->family)
        return 0;
    int full = net->bits / 8, rest = net->bits % 8;
    if (memcmp(net->addr, a->addr, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (net->addr[full] & mask) == (a->addr[full] & mask);
}

static int contains(const sathd_cidr_list *l, const cidr *a)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (in_cidr(&l->e[i], a))
            return 1;
    return 0;
}

int sathd_cidr_list_contains(const sathd_cidr_list *l, const char *ip)
{
    cidr a;
    return parse_addr(ip, strlen(ip), &a) == 0 && contains(l, &a);
}

/* The address part of a transport peer string, in out; -1 when there is none. */
static int peer_addr(const char *peer, char *out, size_t outlen)
{
    const char *p = peer;
    if (strncmp(p, "ipv4:", 5) == 0 || strncmp(p, "ipv6:", 5) == 0)
        p += 5;
    else
        return -1;
    const char *start = p, *end;
    if (*p == '[' || strncmp(p, "%5B", 3) == 0) {
        start = p + (*p == '[' ? 1 : 3);
        end = strchr(start, ']');
        if (!end)
            end = strstr(start, "%5D");
    } else {
        end = strrchr(p, ':');
    }
    if (!end || end == start || (size_t)(end - start) >= outlen)
        return -1;
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
    return 0;
}

/* Canonical text of address `s` (len bytes) into out; -1 if it is none. */
static int canonical(const char *s, size_t len, char *out, size_t outlen)
{
    cidr a;
    if (parse_addr(s, len, &a) != 0)
        return -1;
    return inet_ntop(a.family, a.addr, out, (socklen_t)outlen) ? 0 : -1;
}

void sathd_client_ip(const char *peer, const char *xff, const sathd_cidr_list *trusted,
                     char *out, size_t outlen)
{
    char addr[INET6_ADDRSTRLEN + 8];
    if (!peer || peer_addr(peer, addr, sizeof addr) != 0 ||
        canonical(addr, strlen(addr), out, outlen) != 0) {
        snprintf(out, outlen, "%s", peer && strncmp(peer, "unix:", 5) == 0 ? "unix" : "unknown");
        return;
    }
    if (!xff || !trusted || trusted->n == 0 || !sathd_cidr_list_contains(trusted, out))
        return;
    /* From the right: skip the proxies we trust; the first other entry is the client. */
    const char *end = xff + strlen(xff);
    while (end > xff) {
        const char *comma = end;
        while (comma > xff && comma[-1] != ',')
            comma--;
        const char *a = comma, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        char cand[INET6_ADDRSTRLEN];
        if (canonical(a, (size_t)(b - a), cand, sizeof cand) != 0)
            return; /* garbage: stay with the last trustworthy hop */
        snprintf(out, outlen, "%s", cand);
        if (!sathd_cidr_list_contains(trusted, cand))
            return;
        end = comma > xff ? comma - 1 : xff;
    }
}
