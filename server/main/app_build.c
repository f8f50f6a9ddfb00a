/*
 * app_build.c - see app_build.h.
 *
 * The token signing key is where a production deployment most often goes wrong, so
 * the rules are strict: in production a key must be configured; in development a
 * missing key is replaced by an ephemeral one with a loud warning (sessions then do
 * not survive a restart, which scripts/run avoids by generating and keeping a key).
 */
#include "app_build.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "sathd/httpc.h"
#include "sathd/log.h"
#include "sathd/billing.h"
#include "sathd/keyring.h"
#include "sathd/keytest.h"
#include "sathd/plans.h"
#include "sathd/ratelimit.h"

static sathd_jwt_keys *load_jwt_keys(const sathd_config *cfg, char *err, size_t errlen)
{
    const char *why = "unknown error";
    sathd_jwt_keys *k = NULL;
    if (cfg->jwt_alg == SATHD_JWT_HS256) {
        if (!cfg->jwt_hs256_secret) {
            snprintf(err, errlen, "SATH_JWT_HS256_SECRET is required when SATH_JWT_ALG=HS256");
            return NULL;
        }
        unsigned char secret[SATHD_JWT_HS256_MAX_SECRET];
        long n = sathd_base64_decode_any(cfg->jwt_hs256_secret, secret, sizeof secret);
        if (n >= 0)
            k = sathd_jwt_keys_new_hs256(secret, (size_t)n, cfg->jwt_kid, &why);
        sodium_memzero(secret, sizeof secret);
        if (!k)
            snprintf(err, errlen, "SATH_JWT_HS256_SECRET: %s", n < 0 ? "not valid base64" : why);
        return k;
    }
    if (cfg->jwt_ed25519_key_file) {
        if (!(k = sathd_jwt_keys_from_key_file(cfg->jwt_ed25519_key_file, cfg->jwt_kid, &why)))
            snprintf(err, errlen, "SATH_JWT_ED25519_KEY_FILE: %s", why);
    } else if (cfg->jwt_ed25519_key) {
        if (!(k = sathd_jwt_keys_from_seed_b64(cfg->jwt_ed25519_key, cfg->jwt_kid, &why)))
            snprintf(err, errlen, "SATH_JWT_ED25519_KEY: %s", why);
    } else if (cfg->env == SATHD_ENV_PRODUCTION) {
        snprintf(err, errlen,
                 "no token signing key: set SATH_JWT_ED25519_KEY_FILE to a file holding a "
                 "base64 32-byte seed (e.g. `head -c32 /dev/urandom | base64 > key; chmod 600 key`)");
    } else {
        unsigned char seed[32];
        sathd_jwt_gen_seed(seed);
        k = sathd_jwt_keys_new_ed25519(seed, cfg->jwt_kid, &why);
        sodium_memzero(seed, sizeof seed);
        if (k)
            sathd_log(SATHD_LOG_WARN, "msg=\"no SATH_JWT_ED25519_KEY(_FILE): using an ephemeral "
                                      "signing key; sessions end when sathd restarts\"");
        else
            snprintf(err, errlen, "generating a signing key: %s", why);
    }
    if (k && cfg->jwt_extra_public_keys &&
        sathd_jwt_keys_add_public_list(k, cfg->jwt_extra_public_keys, &why) != 0) {
        snprintf(err, errlen, "SATH_JWT_EXTRA_PUBLIC_KEYS: %s", why);
        sathd_jwt_keys_free(k);
        k = NULL;
    }
    return k;
}

/* The keyring for users' API keys follows the same rules as the signing key: required
 * in production, ephemeral with a warning in development (keys stored then cannot be
 * read after a restart). */
static int build_keyring(sathd_app *app, const sathd_config *cfg, char *err, size_t errlen)
{
    if (cfg->encryption_keys) {
        app->keyring = sathd_keyring_parse(cfg->encryption_keys, err, errlen);
        return app->keyring ? 0 : -1;
    }
    if (cfg->env == SATHD_ENV_PRODUCTION) {
        snprintf(err, errlen,
                 "SATH_ENCRYPTION_KEYS: required in production to encrypt users' API keys; "
                 "set it to kid:base64key, e.g. k1:$(head -c32 /dev/urandom | base64)");
        return -1;
    }
    if (!(app->keyring = sathd_keyring_ephemeral("ephemeral"))) {
        snprintf(err, errlen, "generating an encryption key failed");
        return -1;
    }
    sathd_log(SATHD_LOG_WARN,
              "msg=\"no SATH_ENCRYPTION_KEYS: using an ephemeral key; stored API keys cannot be "
              "read after sathd restarts (generate one: head -c32 /dev/urandom | base64)\"");
    return 0;
}

/* The outbound client; each SATH_OUTBOUND_ALLOW entry is tried alone first so a
 * bad one is named.  curl_global_init has run in main. */
static int build_http(sathd_app *app, const sathd_config *cfg, char *err, size_t errlen)
{
    char **allow = sathd_httpc_list_split(cfg->outbound_allow);
    int rc = allow ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && allow[i]; i++) {
        const char *one[] = {allow[i], NULL};
        sathd_httpc_config probe = {.outbound_allow = one};
        sathd_httpc *c = NULL;
        if ((rc = sathd_httpc_new(&probe, &c)) == -EINVAL)
            snprintf(err, errlen,
                     "SATH_OUTBOUND_ALLOW: \"%s\" is not host[:port], IP[:port], [IPv6][:port] "
                     "or a CIDR", allow[i]);
        sathd_httpc_free(c);
    }
    sathd_httpc_config hc = {.user_agent = "sathd/" SATHD_VERSION,
                             .outbound_allow = (const char *const *)allow};
    if (rc == 0)
        rc = sathd_httpc_new(&hc, &app->http);
    if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory");
    sathd_httpc_list_free(allow);
    return rc == 0 ? 0 : -1;
}

static int build_auth(sathd_app *app, const sathd_config *cfg, char *err, size_t errlen)
{
    if (!(app->jwt = load_jwt_keys(cfg, err, errlen)))
        return -1;
    app->jwt_policy.issuer = cfg->jwt_issuer;
    app->jwt_policy.audience = cfg->jwt_audience;
    app->jwt_policy.access_ttl_s = cfg->access_ttl;
    app->jwt_policy.leeway_s = SATHD_JWT_MAX_LEEWAY;
    /* Sized for the tokens alive at once: one per active session within a 15-minute TTL. */
    if (!(app->verified = sathd_token_cache_new(16384))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sathd_pwhash_params pp = {
        .opslimit = (unsigned long long)cfg->pwhash_opslimit,
        .memlimit_kib = (size_t)cfg->pwhash_memlimit_kib,
        .max_concurrency = (unsigned)cfg->pwhash_concurrency,
    };
    const char *why = NULL;
    if (!(app->pwhash = sathd_pwhash_new(&pp, &why))) {
        snprintf(err, errlen, "SATH_PWHASH_*: %s", why);
        return -1;
    }
    return 0;
}

/* Billing: provider none says so loudly (config refuses it in production); stripe
 * needs its secrets (checked by the config too). */
static int build_billing(sathd_app *app, const sathd_config *cfg, char *err, size_t errlen)
{
    if (sathd_billing_new(cfg, app->http, &app->billing, err, errlen) != 0)
        return -1;
    if (sathd_billing_is_free_mode(app->billing))
        sathd_log(SATHD_LOG_WARN, "msg=\"billing provider none: Subscribe activates plans at once "
                                  "and nothing is charged (set SATH_BILLING_PROVIDER=stripe)\"");
    else
        sathd_log(SATHD_LOG_INFO, "msg=\"billing provider stripe\" url=%s", cfg->stripe_url);
    return 0;
}

/* Rate limiting and abuse bounds (services/limits.c uses them).  The in-process table is
 * sized for the users active within a window; a full table reuses idle buckets. */
static int build_limits(sathd_app *app, const sathd_config *cfg, char *err, size_t errlen)
{
    char why[200];
    if (!(app->trusted_proxies = sathd_cidr_list_parse(cfg->trusted_proxies, why, sizeof why))) {
        snprintf(err, errlen, "SATH_TRUSTED_PROXIES: %s", why);
        return -1;
    }
    app->rl_local = sathd_rl_local_new(65536);
    app->rl_refused = sathd_rl_local_new(16384);
    app->pw_per_ip = sathd_rl_conc_new((unsigned)cfg->pwhash_per_ip);
    if (!app->rl_local || !app->rl_refused || !app->pw_per_ip) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int sathd_app_build(sathd_app *app, const sathd_config *cfg, unsigned needs, char *err,
                    size_t errlen)
{
    memset(app, 0, sizeof *app);
    app->cfg = cfg;
    if ((needs & SATHD_APP_DB)) {
        sathd_pg_pool_options po = {
            .conninfo = cfg->database_url,
            .size = (int)cfg->db_pool_size,
            .statement_timeout_ms = (int)cfg->db_statement_timeout_ms,
        };
        if (!(app->pg = sathd_pg_pool_new(&po, err, errlen)))
            goto fail;
    }
    if ((needs & SATHD_APP_REDIS)) {
        sathd_redis_pool_options ro = {.url = &cfg->redis_url, .size = (int)cfg->redis_pool_size};
        if (!(app->redis = sathd_redis_pool_new(&ro, err, errlen)))
            goto fail;
    }
    if ((needs & SATHD_APP_AUTH) && build_auth(app, cfg, err, errlen) != 0)
        goto fail;
    if ((needs & SATHD_APP_AUTH) && build_keyring(app, cfg, err, errlen) != 0)
        goto fail;
    if ((needs & SATHD_APP_AUTH) && build_http(app, cfg, err, errlen) != 0)
        goto fail;
    if ((needs & SATHD_APP_DB) && !(app->plans = sathd_plans_cache_new(cfg->plans_cache_ttl_ms))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if ((needs & SATHD_APP_BILLING) && build_billing(app, cfg, err, errlen) != 0)
        goto fail;
    if ((needs & SATHD_APP_AUTH) && build_limits(app, cfg, err, errlen) != 0)
        goto fail;
    return 0;
fail:
    sathd_app_destroy(app);
    return -1;
}

void sathd_app_destroy(sathd_app *app)
{
    sathd_rl_local_free(app->rl_local);
    sathd_rl_local_free(app->rl_refused);
    sathd_rl_conc_free(app->pw_per_ip);
    sathd_cidr_list_free(app->trusted_proxies);
    sathd_keyring_free(app->keyring);
    sathd_billing_free(app->billing);
    sathd_httpc_free(app->http);
    sathd_plans_cache_free(app->plans);
    sathd_pwhash_free(app->pwhash);
    sathd_jwt_keys_free(app->jwt);
    sathd_token_cache_free(app->verified);
    if (app->redis)
        sathd_redis_pool_free(app->redis);
    if (app->pg)
        sathd_pg_pool_free(app->pg);
    memset(app, 0, sizeof *app);
}
