/*
 * billing.c - the billing object: configuration (provider, Stripe URL and keys, the
 * webhook secrets split for rotation, grace, return page) and its HTTP client.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "billing_internal.h"
#include "sathd/app.h"

sathd_billing *sathd__billing_of(const sathd_call *call) { return sathd_call_app(call)->billing; }

static void free_secret(char *s)
{
    if (s) {
        sodium_memzero(s, strlen(s));
        free(s);
    }
}

/* Splits "whsec_a,whsec_b" in place into b->secrets. */
static int split_secrets(sathd_billing *b, char *err, size_t errlen)
{
    for (char *p = b->secrets_buf, *next; p && *p; p = next) {
        next = strchr(p, ',');
        if (next)
            *next++ = '\0';
        while (*p == ' ')
            p++;
        if (!*p)
            continue;
        if (b->n_secrets == SATHD_BILLING_MAX_SECRETS) {
            snprintf(err, errlen, "SATH_STRIPE_WEBHOOK_SECRET: at most %d secrets",
                     SATHD_BILLING_MAX_SECRETS);
            return -1;
        }
        b->secrets[b->n_secrets++] = p;
    }
    if (b->n_secrets == 0) {
        snprintf(err, errlen, "SATH_STRIPE_WEBHOOK_SECRET: no secret given");
        return -1;
    }
    return 0;
}

int sathd_billing_new(const sathd_config *cfg, sathd_httpc *http, sathd_billing **out, char *err,
                      size_t errlen)
{
    *out = NULL;
    if (cfg->billing_provider == SATHD_BILLING_NONE && cfg->env == SATHD_ENV_PRODUCTION) {
        snprintf(err, errlen, "SATH_BILLING_PROVIDER: none is refused in production (it "
                              "activates paid plans without charging); set stripe and its keys");
        return -1;
    }
    sathd_billing *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    b->provider = cfg->billing_provider;
    b->grace_s = cfg->billing_grace_days * 86400;
    b->timeout_ms = cfg->provider_timeout_ms;
    b->stripe_url = strdup(cfg->stripe_url ? cfg->stripe_url : "https://api.stripe.com");
    b->return_url = strdup(cfg->billing_return_url ? cfg->billing_return_url : "");
    int bad = !b->stripe_url || !b->return_url;
    if (!bad && b->provider == SATHD_BILLING_STRIPE) {
        b->secret_key = cfg->stripe_secret_key ? strdup(cfg->stripe_secret_key) : NULL;
        b->secrets_buf = cfg->stripe_webhook_secret ? strdup(cfg->stripe_webhook_secret) : NULL;
        b->secrets_len = b->secrets_buf ? strlen(b->secrets_buf) : 0;
        if (!b->secret_key || !b->secrets_buf) {
            snprintf(err, errlen, "SATH_STRIPE_SECRET_KEY and SATH_STRIPE_WEBHOOK_SECRET are "
                                  "required with SATH_BILLING_PROVIDER=stripe");
            sathd_billing_free(b);
            return -1;
        }
        if (split_secrets(b, err, errlen) != 0) {
            sathd_billing_free(b);
            return -1;
        }
    }
    size_t n = b->stripe_url ? strlen(b->stripe_url) : 0;
    while (n > 0 && b->stripe_url[n - 1] == '/')
        b->stripe_url[--n] = '\0';
    b->http = http;
    if (bad || !http) {
        snprintf(err, errlen, "billing: out of memory");
        sathd_billing_free(b);
        return -1;
    }
    *out = b;
    return 0;
}

void sathd_billing_free(sathd_billing *b)
{
    if (!b)
        return;
    free_secret(b->secret_key);
    if (b->secrets_buf)
        sodium_memzero(b->secrets_buf, b->secrets_len); /* split: strlen would stop early */
    free(b->secrets_buf);
    free(b->stripe_url);
    free(b->return_url);
    free(b);
}

int sathd_billing_is_free_mode(const sathd_billing *b) { return b->provider == SATHD_BILLING_NONE; }
