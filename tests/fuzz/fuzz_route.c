/*
 * fuzz_route.c - libFuzzer target for the REST router (server/gateway/route.c): path
 * matching and percent-decoding of arbitrary verbs and paths against the generated route
 * table.  Input: the verb up to the first '\n', then the path (any bytes).
 * Invariants checked: the result is 200/404/405; on 200 every variable value is a
 * NUL-terminated string inside the caller's buffer and the verb matches; on 405 the
 * Allow list is non-empty; decoding never writes past len + 1 bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "sath/v1/routes.sath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sathd_gw_router *router(void)
{
    static sathd_gw_router *r; /* built once per process; read-only afterwards */
    if (!r) {
        char err[256];
        r = sathd_gw_router_new(sath_v1_all_methods, sath_v1_n_all_methods, err, sizeof err);
        if (!r)
            abort();
    }
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size < 16 ? size : 16);
    size_t vlen = nl ? (size_t)(nl - data) : 0;
    char verb[17];
    memcpy(verb, data, vlen);
    verb[vlen] = '\0';
    size_t plen = size - (nl ? vlen + 1 : 0);
    char *path = malloc(plen ? plen : 1); /* exact size: ASan sees any over-read */
    if (!path)
        return 0;
    memcpy(path, data + (size - plen), plen);
    size_t buflen = plen + SATHD_GW_MAX_VARS + 1;
    char *buf = malloc(buflen);
    sathd_gw_match m;
    int st = sathd_gw_route_match(router(), verb, path, plen, buf, buflen, &m);
    if (st == 200) {
        if (!m.method || strcmp(m.method->http.verb, verb) != 0)
            abort();
        for (size_t i = 0; i < m.n_vars; i++)
            if (m.vars[i].value < buf || m.vars[i].value + strlen(m.vars[i].value) >= buf + buflen)
                abort();
    } else if (st == 405) {
        if (!m.allow[0])
            abort();
    } else if (st != 404) {
        abort();
    }
    char *dec = malloc(plen + 1);
    long d = sathd_gw_percent_decode(path, plen, dec, (int)(size & 1));
    if (d > (long)plen || (d >= 0 && dec[d] != '\0'))
        abort();
    free(dec);
    free(buf);
    free(path);
    return 0;
}
