/*
 * stripe_sig.h - verification of Stripe webhook signatures (the Stripe-Signature
 * header), on the raw request bytes, before anything in the body is parsed.
 *
 * Header: comma-separated `key=value` items, e.g.
 *   t=1700000000,v1=<64 hex>,v1=<64 hex>,v0=<ignored>
 * The signed payload is `<t>.<body>`; each v1 is HMAC-SHA256 of it keyed with a webhook
 * secret (the whole "whsec_..." string, as Stripe's libraries use it).  Several v1 appear
 * while Stripe rolls a secret, and we may hold several secrets while we roll ours: the
 * event is genuine when ANY v1 matches ANY secret.  Comparisons are constant-time.
 *
 * Pure functions, no allocation; tests/fuzz/fuzz_stripe_sig.c drives the parser.
 */
#ifndef SATHD_STRIPE_SIG_H
#define SATHD_STRIPE_SIG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SATHD_STRIPE_SIG_MAX_HEADER 4096 /* longer headers are malformed */
#define SATHD_STRIPE_SIG_MAX_V1 8        /* v1 entries kept (more are ignored) */
#define SATHD_STRIPE_SIG_TOLERANCE 300   /* seconds |now - t| may be, Stripe's default */

typedef struct sathd_stripe_sig {
    int64_t t;                                       /* the signed timestamp, unix seconds */
    size_t n_v1;                                     /* well-formed v1 signatures kept */
    unsigned char v1[SATHD_STRIPE_SIG_MAX_V1][32];   /* decoded */
} sathd_stripe_sig;

typedef enum sathd_stripe_sig_rc {
    SATHD_STRIPE_SIG_OK = 0,
    SATHD_STRIPE_SIG_MALFORMED, /* no header, bad syntax, no/several/bad t= */
    SATHD_STRIPE_SIG_NO_V1,     /* no well-formed v1 signature */
    SATHD_STRIPE_SIG_STALE,     /* |now - t| > tolerance (checked before any HMAC) */
    SATHD_STRIPE_SIG_MISMATCH,  /* no v1 matches any secret */
} sathd_stripe_sig_rc;

/* Parses `len` bytes of a Stripe-Signature header into *out.  Exactly one `t=` (decimal,
 * at most 12 digits) is required; `v1=` values that are not 64 hex digits are skipped
 * (they cannot match); other schemes are ignored.  Returns OK, MALFORMED or NO_V1. */
sathd_stripe_sig_rc sathd_stripe_sig_parse(const char *header, size_t len, sathd_stripe_sig *out);

/* Verifies `body` (`len` raw bytes) against `header` (NUL-terminated, may be NULL) with
 * the `n_secrets` secrets, at unix time `now`, allowing |now - t| <= tolerance_s. */
sathd_stripe_sig_rc sathd_stripe_sig_verify(const char *header, const void *body, size_t len,
                                            const char *const *secrets, size_t n_secrets,
                                            int64_t now, int64_t tolerance_s);

/* HMAC-SHA256 of `<t>.<body>` keyed with `secret`, as 64 lower-case hex digits + NUL into
 * hex[65] (for signing test events and the fake Stripe's checks). */
void sathd_stripe_sig_sign(const char *secret, int64_t t, const void *body, size_t len,
                           char hex[65]);

/* Short description of a result, for logs and 400 answers (never echoes input). */
const char *sathd_stripe_sig_strerror(sathd_stripe_sig_rc rc);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_STRIPE_SIG_H */
