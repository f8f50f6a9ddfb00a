/*
 * config.c - loads sathd_config from the environment and an optional env file.
 *
 * Everything here is driven by SATHD_CONFIG_VARS (config.h): the table below is that
 * X-macro expanded into descriptors (name, type, default, bounds, field offset), and
 * parsing, --help and the masked dump walk the descriptors.  Only the checks that
 * involve several variables (TLS pair, JWT key material, derived defaults) are
 * written by hand, in finish().
 */
#include "sathd/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "envfile.h"
#include "sathd/log.h"
#include "sathd/ratelimit.h"

enum var_type { T_STR, T_SECRET, T_INT, T_CHOICE, T_ADDR, T_REDIS, T_RATE };

typedef struct var_desc {
    const char *name;
    enum var_type type;
    const char *def;
    int64_t lo, hi;
    const char *choices;
    const char *help;
    size_t offset;
} var_desc;

static const var_desc vars[] = {
#define SATHD_CFG_DESC(var, field, type, def, lo, hi, choices, help) \
    {#var, T_##type, def, lo, hi, choices, help, offsetof(sathd_config, field)},
    SATHD_CONFIG_VARS(SATHD_CFG_DESC)
#undef SATHD_CFG_DESC
};
#define NVARS (sizeof vars / sizeof vars[0])

_Static_assert(NVARS == SATHD_CONFIG_NVARS, "is_set is sized from the same table");

/* Index of `value` in "a|b|c", or -1. */
static int choice_index(const char *choices, const char *value)
{
    size_t vlen = strlen(value);
    int idx = 0;
    for (const char *p = choices; p; idx++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == vlen && strncmp(p, value, len) == 0)
            return idx;
        p = bar ? bar + 1 : NULL;
    }
    return -1;
}

static int parse_int(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || isspace((unsigned char)*s))
        return -1;
    *out = v;
    return 0;
}

/* Parses `value` into the field of `d`.  0, or -1 with "VAR: expected ..." in err. */
static int parse_var(sathd_config *cfg, const var_desc *d, const char *value, char *err,
                     size_t errlen)
{
    void *field = (char *)cfg + d->offset;
    char why[256];
    switch (d->type) {
    case T_STR:
    case T_SECRET: {
        char **sp = field;
        if (*value == '\0') {
            snprintf(err, errlen, "%s: expected a non-empty value", d->name);
            return -1;
        }
        if (*sp) {
            sodium_memzero(*sp, strlen(*sp));
            free(*sp);
        }
        *sp = strdup(value);
        if (!*sp) {
            snprintf(err, errlen, "%s: out of memory", d->name);
            return -1;
        }
        return 0;
    }
    case T_INT: {
        int64_t v;
        if (parse_int(value, &v) != 0 || v < d->lo || v > d->hi) {
            snprintf(err, errlen, "%s: expected an integer in %lld..%lld, got \"%s\"", d->name,
                     (long long)d->lo, (long long)d->hi, value);
            return -1;
        }
        *(int64_t *)field = v;
        return 0;
    }
    case T_CHOICE: {
        int idx = choice_index(d->choices, value);
        if (idx < 0) {
            snprintf(err, errlen, "%s: expected one of %s, got \"%s\"", d->name, d->choices,
                     value);
            return -1;
        }
        *(int *)field = idx;
        return 0;
    }
    case T_ADDR:
        if (sathd_hostport_parse(value, field, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s: %s", d->name, why);
            return -1;
        }
        return 0;
    case T_REDIS:
        if (sathd_redis_url_parse(value, field, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s: %s", d->name, why);
            return -1;
        }
        return 0;
    case T_RATE: {
        if (sathd_rate_parse(value, field) != 0) {
            snprintf(err, errlen, "%s: expected COUNT/SECONDS such as 30/60, got \"%s\"", d->name,
                     value);
            return -1;
        }
        return 0;
    }
    }
    return -1;
}

/* SATH_JWT_EXTRA_PUBLIC_KEYS = kid:base64pub[,kid:base64pub...] */
static int parse_extra_keys(sathd_config *cfg, char *err, size_t errlen)
{
    const char *s = cfg->jwt_extra_public_keys;
    if (!s)
        return 0;
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    cfg->extra_keys = calloc(cap, sizeof *cfg->extra_keys);
    if (!cfg->extra_keys)
        return -1;
    for (const char *p = s; *p;) {
        const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
        const char *colon = memchr(p, ':', (size_t)(end - p));
        sathd_jwt_pubkey *k = &cfg->extra_keys[cfg->n_extra_keys];
        char b64[128];
        size_t klen = colon ? (size_t)(colon - p) : 0, blen = colon ? (size_t)(end - colon - 1) : 0;
        if (!colon || klen == 0 || klen >= sizeof k->kid || blen == 0 || blen >= sizeof b64) {
            snprintf(err, errlen, "SATH_JWT_EXTRA_PUBLIC_KEYS: expected kid:base64pub[,...]");
            return -1;
        }
        memcpy(k->kid, p, klen);
        memcpy(b64, colon + 1, blen);
        b64[blen] = '\0';
        if (sathd_base64_decode_any(b64, k->key, sizeof k->key) != 32) {
            snprintf(err, errlen,
                     "SATH_JWT_EXTRA_PUBLIC_KEYS: key \"%s\" is not base64 of 32 bytes", k->kid);
            return -1;
        }
        cfg->n_extra_keys++;
        p = comma ? comma + 1 : end;
    }
    return 0;
}

/* Checks the JWT key material against the chosen algorithm. */
static int check_jwt(sathd_config *cfg, char *err, size_t errlen)
{
    unsigned char buf[256];
    if (cfg->jwt_hs256_secret) {
        long n = sathd_base64_decode_any(cfg->jwt_hs256_secret, buf, sizeof buf);
        sodium_memzero(buf, sizeof buf);
        if (n < 32) {
            snprintf(err, errlen,
                     "SATH_JWT_HS256_SECRET: expected base64/base64url of at least 32 bytes "
                     "(and at most %zu)", sizeof buf);
            return -1;
        }
    }
    if (cfg->jwt_ed25519_key) {
        long n = sathd_base64_decode_any(cfg->jwt_ed25519_key, buf, sizeof buf);
        sodium_memzero(buf, sizeof buf);
        if (n != 32) {
            snprintf(err, errlen, "SATH_JWT_ED25519_KEY: expected base64 of a 32-byte seed");
            return -1;
        }
    }
    if (cfg->jwt_ed25519_key && cfg->jwt_ed25519_key_file) {
        snprintf(err, errlen,
                 "SATH_JWT_ED25519_KEY: set either it or SATH_JWT_ED25519_KEY_FILE, not both");
        return -1;
    }
    if (cfg->jwt_alg == SATHD_JWT_HS256 && !cfg->jwt_hs256_secret) {
        snprintf(err, errlen, "SATH_JWT_HS256_SECRET: required when SATH_JWT_ALG=HS256");
        return -1;
    }
    if (cfg->jwt_alg == SATHD_JWT_EDDSA && cfg->env == SATHD_ENV_PRODUCTION &&
        !cfg->jwt_ed25519_key && !cfg->jwt_ed25519_key_file) {
        snprintf(err, errlen,
                 "SATH_JWT_ED25519_KEY_FILE: required in production with SATH_JWT_ALG=EdDSA "
                 "(or SATH_JWT_ED25519_KEY)");
        return -1;
    }
    return parse_extra_keys(cfg, err, errlen);
}

/* Derived defaults and checks spanning several variables. */
/* The key testers' provider base URLs: http(s), no whitespace.  The keyring itself
 * (SATH_ENCRYPTION_KEYS) is parsed by the keys layer when the app is built, where the
 * key material is turned into subkeys and wiped. */
static int check_provider_urls(const sathd_config *cfg, char *err, size_t errlen)
{
    const struct { const char *name, *value; } urls[] = {
        {"SATH_BINANCE_URL", cfg->binance_url}, {"SATH_BINANCE_TESTNET_URL", cfg->binance_testnet_url},
        {"SATH_BYBIT_URL", cfg->bybit_url},     {"SATH_BYBIT_TESTNET_URL", cfg->bybit_testnet_url},
        {"SATH_OPENAI_URL", cfg->openai_url},   {"SATH_ANTHROPIC_URL", cfg->anthropic_url},
        {"SATH_STRIPE_URL", cfg->stripe_url},   {"SATH_BILLING_RETURN_URL", cfg->billing_return_url},
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        const char *u = urls[i].value;
        if (!u)
            continue;
        int ok = (strncmp(u, "https://", 8) == 0 && u[8]) || (strncmp(u, "http://", 7) == 0 && u[7]);
        for (const char *c = u; ok && *c; c++)
            ok = (unsigned char)*c > 0x20 && (unsigned char)*c < 0x7f;
        if (!ok) {
            snprintf(err, errlen, "%s: expected an http:// or https:// base URL", urls[i].name);
            return -1;
        }
    }
    return 0;
}

/* Billing: stripe needs both of its secrets.  (That production refuses provider none is
 * checked when sathd builds billing, so commands that never serve, such as `migrate`,
 * run with any provider.) */
static int check_billing(const sathd_config *cfg, char *err, size_t errlen)
{
    if (cfg->billing_provider == SATHD_BILLING_NONE)
        return 0;
    if (!cfg->stripe_secret_key) {
        snprintf(err, errlen, "SATH_STRIPE_SECRET_KEY: required with SATH_BILLING_PROVIDER=stripe");
        return -1;
    }
    if (!cfg->stripe_webhook_secret) {
        snprintf(err, errlen,
                 "SATH_STRIPE_WEBHOOK_SECRET: required with SATH_BILLING_PROVIDER=stripe");
        return -1;
    }
    return 0;
}

int sathd_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (strcmp(host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6) ||
               (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    return 0;
}

int sathd_config_reflection(const sathd_config *cfg)
{
    if (cfg->grpc_reflection == SATHD_REFLECTION_AUTO)
        return cfg->env != SATHD_ENV_PRODUCTION;
    return cfg->grpc_reflection == SATHD_REFLECTION_ON;
}

/* Production: no plaintext on an address others can reach, unless the operator says a
 * proxy in front terminates TLS (and then owns that hop). */
static int check_production_transport(const sathd_config *cfg, char *err, size_t errlen)
{
    if (cfg->env != SATHD_ENV_PRODUCTION || cfg->tls_terminated_by_proxy)
        return 0;
    if (!cfg->tls_cert_file && !sathd_host_is_loopback(cfg->grpc_addr.host)) {
        snprintf(err, errlen,
                 "SATH_GRPC_ADDR: production refuses plaintext gRPC on a non-loopback address "
                 "(%s); set SATH_TLS_CERT_FILE/SATH_TLS_KEY_FILE, or "
                 "SATH_TLS_TERMINATED_BY_PROXY=on when a proxy in front does TLS",
                 cfg->grpc_addr.host);
        return -1;
    }
    /* The REST gateway speaks plain HTTP only: TLS is a proxy's job. */
    if (cfg->http_enabled && !sathd_host_is_loopback(cfg->http_addr.host)) {
        snprintf(err, errlen,
                 "SATH_HTTP_ADDR: production refuses plaintext REST on a non-loopback address "
                 "(%s); put a TLS proxy in front and set SATH_TLS_TERMINATED_BY_PROXY=on, or "
                 "bind 127.0.0.1",
                 cfg->http_addr.host);
        return -1;
    }
    return 0;
}

static int finish(sathd_config *cfg, char *err, size_t errlen)
{
    int cpus = sathd_cpu_count();
    if (cfg->grpc_workers == 0)
        cfg->grpc_workers = cpus;
    if (cfg->http_threads == 0)
        cfg->http_threads = 4 * cpus > 256 ? 256 : 4 * cpus;
    /* Handlers run on the gRPC workers and, with the gateway on, on the REST threads
     * too; two connections per such thread (a handler may hold one and take another),
     * opened only when used. */
    int64_t handler_threads = cfg->grpc_workers + (cfg->http_enabled ? cfg->http_threads : 0);
    if (cfg->db_pool_size == 0)
        cfg->db_pool_size = 2 * handler_threads > 1024 ? 1024 : 2 * handler_threads;
    if (cfg->redis_pool_size == 0)
        cfg->redis_pool_size = 2 * handler_threads > 1024 ? 1024 : 2 * handler_threads;
    if (cfg->pwhash_concurrency == 0)
        cfg->pwhash_concurrency = cpus;
    if (!cfg->tls_cert_file != !cfg->tls_key_file) {
        snprintf(err, errlen, "%s: SATH_TLS_CERT_FILE and SATH_TLS_KEY_FILE go together",
                 cfg->tls_cert_file ? "SATH_TLS_KEY_FILE" : "SATH_TLS_CERT_FILE");
        return -1;
    }
    if (cfg->tls_client_ca_file && !cfg->tls_cert_file) {
        snprintf(err, errlen, "SATH_TLS_CLIENT_CA_FILE: mutual TLS needs SATH_TLS_CERT_FILE and SATH_TLS_KEY_FILE");
        return -1;
    }
    if (cfg->database_url) {
        char *why = NULL;
        PQconninfoOption *opts = PQconninfoParse(cfg->database_url, &why);
        if (!opts) {
            /* libpq's reason names the bad part, never echoes a password value */
            snprintf(err, errlen, "SATH_DATABASE_URL: not a valid libpq connection string (%s)",
                     why ? why : "out of memory");
            PQfreemem(why);
            return -1;
        }
        PQconninfoFree(opts);
    }
    if (check_provider_urls(cfg, err, errlen) != 0 ||
        check_production_transport(cfg, err, errlen) != 0)
        return -1;
    if (check_billing(cfg, err, errlen) != 0)
        return -1;
    if (cfg->trusted_proxies) {
        char why[200];
        sathd_cidr_list *l = sathd_cidr_list_parse(cfg->trusted_proxies, why, sizeof why);
        if (!l) {
            snprintf(err, errlen, "SATH_TRUSTED_PROXIES: %s", why);
            return -1;
        }
        sathd_cidr_list_free(l);
    }
    return check_jwt(cfg, err, errlen);
}

int sathd_config_load(sathd_config *cfg, const char *env_file, char *err, size_t errlen)
{
    sathd_envfile file = {0};
    memset(cfg, 0, sizeof *cfg);
    if (!env_file)
        env_file = getenv("SATH_ENV_FILE");
    if (env_file && *env_file && sathd_envfile_read(env_file, &file, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < file.n; i++) {
        int known = 0;
        for (size_t j = 0; j < NVARS && !known; j++)
            known = strcmp(file.keys[i], vars[j].name) == 0;
        if (!known && strncmp(file.keys[i], "SATH_", 5) == 0)
            sathd_log(SATHD_LOG_WARN, "msg=\"unknown variable in env file\" var=%s file=\"%s\"",
                      file.keys[i], env_file);
    }
    int rc = 0;
    for (size_t i = 0; i < NVARS && rc == 0; i++) {
        const char *v = getenv(vars[i].name);
        if (!v)
            v = sathd_envfile_get(&file, vars[i].name);
        if (v && *v == '\0')
            v = NULL; /* VAR= in an env file means "not set" */
        cfg->is_set[i] = v != NULL;
        if (!v && vars[i].def && strcmp(vars[i].def, "auto") != 0)
            v = vars[i].def;
        if (v)
            rc = parse_var(cfg, &vars[i], v, err, errlen);
    }
    sathd_envfile_free(&file);
    if (rc == 0)
        rc = finish(cfg, err, errlen);
    if (rc != 0)
        sathd_config_free(cfg);
    return rc;
}

int sathd_config_require(const sathd_config *cfg, unsigned needs, char *err, size_t errlen)
{
    if ((needs & SATHD_CFG_NEED_DB) && !cfg->database_url) {
        snprintf(err, errlen, "SATH_DATABASE_URL: required (a PostgreSQL connection string)");
        return -1;
    }
    if ((needs & SATHD_CFG_NEED_REDIS) && !cfg->redis_url.is_unix && !cfg->redis_url.host[0]) {
        snprintf(err, errlen,
                 "SATH_REDIS_URL: required (redis://[:password@]host:port[/db] or unix:///path)");
        return -1;
    }
    return 0;
}

void sathd_config_free(sathd_config *cfg)
{
    for (size_t i = 0; i < NVARS; i++) {
        if (vars[i].type == T_STR || vars[i].type == T_SECRET) {
            char **sp = (char **)(void *)((char *)cfg + vars[i].offset);
            if (*sp) {
                sodium_memzero(*sp, strlen(*sp));
                free(*sp);
            }
        }
    }
    free(cfg->extra_keys);
    sodium_memzero(cfg, sizeof *cfg);
}

void sathd_config_print_help(FILE *out)
{
    fprintf(out, "Environment variables (the real environment wins over --env-file / "
                 "SATH_ENV_FILE):\n");
    for (size_t i = 0; i < NVARS; i++) {
        const var_desc *d = &vars[i];
        fprintf(out, "  %-29s %s", d->name, d->help);
        if (d->type == T_CHOICE)
            fprintf(out, " [%s]", d->choices);
        else if (d->type == T_INT)
            fprintf(out, " [%lld..%lld]", (long long)d->lo, (long long)d->hi);
        if (d->def && strcmp(d->def, "auto") != 0)
            fprintf(out, " (default %s)", d->def);
        fputc('\n', out);
    }
}

/* Writes a connection string / URL with any password replaced by "***". */
static void print_masked_url(FILE *out, const char *s)
{
    const char *scheme = strstr(s, "://");
    if (scheme) {
        const char *auth = scheme + 3, *slash = strchr(auth, '/'), *at = NULL;
        for (const char *p = auth; *p && (!slash || p < slash); p++)
            if (*p == '@')
                at = p;
        const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon) {
            fprintf(out, "%.*s***%s", (int)(colon + 1 - s), s, at);
            return;
        }
    }
    const char *pw = strstr(s, "password=");
    if (pw) {
        size_t skip = strcspn(pw + 9, " &");
        fprintf(out, "%.*s***%s", (int)(pw + 9 - s), s, pw + 9 + skip);
        return;
    }
    fputs(s, out);
}

static void dump_var(const sathd_config *cfg, const var_desc *d, FILE *out)
{
    const void *field = (const char *)cfg + d->offset;
    fprintf(out, "%s=", d->name);
    switch (d->type) {
    case T_STR: {
        const char *s = *(char *const *)field;
        if (s && strcmp(d->name, "SATH_DATABASE_URL") == 0)
            print_masked_url(out, s);
        else
            fputs(s ? s : "", out);
        break;
    }
    case T_SECRET:
        fputs(*(char *const *)field ? "***" : "", out);
        break;
    case T_INT:
        fprintf(out, "%lld", (long long)*(const int64_t *)field);
        break;
    case T_CHOICE: {
        const char *p = d->choices;
        for (int idx = *(const int *)field; idx > 0 && p; idx--)
            p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL;
        fprintf(out, "%.*s", p ? (int)strcspn(p, "|") : 0, p ? p : "");
        break;
    }
    case T_ADDR: {
        const sathd_hostport *a = field;
        fprintf(out, strchr(a->host, ':') ? "[%s]:%d" : "%s:%d", a->host, a->port);
        break;
    }
    case T_RATE: {
        const sathd_rate *r = field;
        fprintf(out, "%lld/%lld", (long long)r->count, (long long)r->period_s);
        break;
    }
    case T_REDIS: {
        const sathd_redis_url *u = field;
        if (u->is_unix)
            fprintf(out, "unix://%s?db=%d%s", u->path, u->db, u->password[0] ? "&password=***" : "");
        else if (u->host[0])
            fprintf(out, "redis://%s%s%s%s:%d/%d", u->username, u->password[0] ? ":***" : "",
                    u->username[0] || u->password[0] ? "@" : "", u->host, u->port, u->db);
        break;
    }
    }
    fputc('\n', out);
}

void sathd_config_dump(const sathd_config *cfg, FILE *out)
{
    for (size_t i = 0; i < NVARS; i++)
        dump_var(cfg, &vars[i], out);
}
