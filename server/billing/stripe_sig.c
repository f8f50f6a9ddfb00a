/*
 * stripe_sig.c - see sathd/stripe_sig.h.
 *
 * The parser walks the header once without copying; every item is bounded by the next
 * comma.  Invariants: nothing is read past `len`; a NUL inside the header makes it
 * malformed (a header is text); the timestamp check comes before the HMACs so a
 * replayed old event costs no hashing.
 */
#include "sathd/stripe_sig.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

/* 64 hex digits -> 32 bytes; -1 when not exactly that. */
static int decode_v1(const char *v, size_t n, unsigned char out[32])
{
    size_t len = 0;
    const char *stop = NULL;
    if (n != 64 || sodium_hex2bin(out, 32, v, n, NULL, &len, &stop) != 0)
        return -1;
    return len == 32 && stop == v + n ? 0 : -1;
}

static int parse_t(const char *v, size_t n, int64_t *t)
{
    if (n == 0 || n > 12)
        return -1;
    int64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (v[i] - '0');
    }
    *t = x;
    return 0;
}

sathd_stripe_sig_rc sathd_stripe_sig_parse(const char *h, size_t len, sathd_stripe_sig *out)
{
    memset(out, 0, sizeof *out);
    if (!h || len == 0 || len > SATHD_STRIPE_SIG_MAX_HEADER || memchr(h, '\0', len))
        return SATHD_STRIPE_SIG_MALFORMED;
    int have_t = 0;
    const char *end = h + len;
    for (const char *p = h; p <= end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item_end = comma ? comma : end;
        /* surrounding blanks are tolerated, as Stripe's own libraries do */
        while (p < item_end && (*p == ' ' || *p == '\t'))
            p++;
        const char *ie = item_end;
        while (ie > p && (ie[-1] == ' ' || ie[-1] == '\t'))
            ie--;
        const char *eq = memchr(p, '=', (size_t)(ie - p));
        if (!eq || eq == p)
            return SATHD_STRIPE_SIG_MALFORMED;
        size_t klen = (size_t)(eq - p), vlen = (size_t)(ie - eq - 1);
        const char *v = eq + 1;
        if (klen == 1 && *p == 't') {
            if (have_t++ || parse_t(v, vlen, &out->t) != 0)
                return SATHD_STRIPE_SIG_MALFORMED;
        } else if (klen == 2 && p[0] == 'v' && p[1] == '1') {
            if (out->n_v1 < SATHD_STRIPE_SIG_MAX_V1 && decode_v1(v, vlen, out->v1[out->n_v1]) == 0)
                out->n_v1++;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    if (!have_t)
        return SATHD_STRIPE_SIG_MALFORMED;
    return out->n_v1 ? SATHD_STRIPE_SIG_OK : SATHD_STRIPE_SIG_NO_V1;
}

static void hmac(const char *secret, int64_t t, const void *body, size_t len, unsigned char mac[32])
{
    char ts[24];
    int n = snprintf(ts, sizeof ts, "%lld.", (long long)t);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)n);
    crypto_auth_hmacsha256_update(&st, body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st);
}

sathd_stripe_sig_rc sathd_stripe_sig_verify(const char *header, const void *body, size_t len,
                                            const char *const *secrets, size_t n_secrets,
                                            int64_t now, int64_t tolerance_s)
{
    sathd_stripe_sig sig;
    sathd_stripe_sig_rc rc = sathd_stripe_sig_parse(header, header ? strlen(header) : 0, &sig);
    if (rc != SATHD_STRIPE_SIG_OK)
        return rc;
    int64_t skew = now - sig.t;
    if (skew > tolerance_s || -skew > tolerance_s)
        return SATHD_STRIPE_SIG_STALE;
    int match = 0;
    for (size_t s = 0; s < n_secrets; s++) {
        unsigned char mac[32];
        hmac(secrets[s], sig.t, body, len, mac);
        /* every pair is compared (no early exit), each in constant time */
        for (size_t i = 0; i < sig.n_v1; i++)
            match |= sodium_memcmp(mac, sig.v1[i], sizeof mac) == 0;
        sodium_memzero(mac, sizeof mac);
    }
    return match ? SATHD_STRIPE_SIG_OK : SATHD_STRIPE_SIG_MISMATCH;
}

void sathd_stripe_sig_sign(const char *secret, int64_t t, const void *body, size_t len,
                           char hex[65])
{
    unsigned char mac[32];
    hmac(secret, t, body, len, mac);
    sodium_bin2hex(hex, 65, mac, sizeof mac);
}

const char *sathd_stripe_sig_strerror(sathd_stripe_sig_rc rc)
{
    switch (rc) {
    case SATHD_STRIPE_SIG_OK:
        return "valid signature";
    case SATHD_STRIPE_SIG_MALFORMED:
        return "missing or malformed Stripe-Signature header";
    case SATHD_STRIPE_SIG_NO_V1:
        return "no v1 signature in Stripe-Signature";
    case SATHD_STRIPE_SIG_STALE:
        return "Stripe-Signature timestamp outside the tolerance";
    case SATHD_STRIPE_SIG_MISMATCH:
        return "signature does not match";
    }
    return "invalid signature";
}
