/*
 * config.h - sathd's configuration: environment variables (SATH_*), optionally read
 * from an env file, as the original platform's .env.platform did.
 *
 * Every variable is declared exactly once, in SATHD_CONFIG_VARS below.  The struct
 * fields, parsing, validation, defaults, `sathd --help` text and the masked dump are
 * all generated from that table, so they cannot drift apart.
 *
 * Precedence: the real environment wins over the env file, which wins over the
 * defaults.  A bad value stops start-up with a message naming the variable and what
 * it expects.  Secrets (types SECRET and the passwords inside URLs) are never printed.
 */
#ifndef SATHD_CONFIG_H
#define SATHD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A listen/connect address: "host:port" or "[v6addr]:port".  Port 0 means "any". */
typedef struct sathd_hostport {
    char host[256]; /* without brackets */
    int port;       /* 0..65535 */
} sathd_hostport;

/* A parsed Redis location: redis://[[user]:password@]host[:port][/db] or
 * unix:///path/to/sock[?db=N][&password=P].  `password` is a secret: never log it. */
typedef struct sathd_redis_url {
    int is_unix;        /* 1: `path` is a unix socket; 0: `host`:`port` over TCP */
    char host[256];
    int port;           /* default 6379 */
    char path[108];     /* sizeof(sockaddr_un.sun_path) */
    char username[128]; /* Redis 6 ACL user, "" for plain AUTH <password> */
    char password[256]; /* "" = no AUTH */
    int db;             /* SELECT n, default 0 */
} sathd_redis_url;

/* A rate limit "COUNT/SECONDS": COUNT requests in any window of SECONDS (ratelimit.h). */
typedef struct sathd_rate {
    int64_t count;    /* requests allowed per window, >= 1 */
    int64_t period_s; /* the window, seconds, >= 1 */
} sathd_rate;

/* One extra verification key for token rotation (SATH_JWT_EXTRA_PUBLIC_KEYS). */
typedef struct sathd_jwt_pubkey {
    char kid[64];
    unsigned char key[32]; /* raw Ed25519 public key */
} sathd_jwt_pubkey;

/* Values of the CHOICE variables, in the order their choices are listed.  log_level
 * is a sathd_log_level (debug=0 ... error=3, same order as log.h). */
enum { SATHD_ENV_DEVELOPMENT = 0, SATHD_ENV_PRODUCTION = 1 };
enum { SATHD_JWT_EDDSA = 0, SATHD_JWT_HS256 = 1 };
enum { SATHD_BILLING_NONE = 0, SATHD_BILLING_STRIPE = 1 };
enum { SATHD_REFLECTION_AUTO = 0, SATHD_REFLECTION_OFF = 1, SATHD_REFLECTION_ON = 2 };

/*
 * X(VARIABLE, field, TYPE, default, min, max, choices, help)
 *   TYPE    STR | SECRET | INT | CHOICE | ADDR | REDIS | RATE ("COUNT/SECONDS")
 *   default text as it would appear in the environment; NULL = unset; "auto" = derived
 *           (documented in help) and computed after parsing.
 *   min/max bounds of INT values; choices "a|b|c" for CHOICE (field = index).
 */
#define SATHD_CONFIG_VARS(X)                                                                   \
    X(SATH_ENV, env, CHOICE, "development", 0, 0, "development|production",                    \
      "Deployment environment; production refuses insecure settings")                          \
    X(SATH_GRPC_ADDR, grpc_addr, ADDR, "127.0.0.1:50051", 0, 0, NULL,                          \
      "gRPC listen address host:port")                                                         \
    X(SATH_HTTP_ADDR, http_addr, ADDR, "127.0.0.1:8080", 0, 0, NULL,                           \
      "REST gateway listen address host:port")                                                 \
    X(SATH_HTTP_ENABLED, http_enabled, CHOICE, "on", 0, 0, "off|on",                           \
      "Serve the REST gateway in-process next to gRPC")                                        \
    X(SATH_HTTP_THREADS, http_threads, INT, "auto", 1, 256, NULL,                              \
      "REST gateway threads (default: 4 x number of CPUs)")                                    \
    X(SATH_HTTP_MAX_BODY_BYTES, http_max_body_bytes, INT, "1048576", 256, 67108864, NULL,      \
      "Largest REST request body in bytes (larger: 413)")                                      \
    X(SATH_HTTP_MAX_HEADER_BYTES, http_max_header_bytes, INT, "16384", 2048, 1048576, NULL,    \
      "Memory per REST connection for the request line and headers, bytes")                    \
    X(SATH_HTTP_MAX_CONNECTIONS, http_max_connections, INT, "1024", 1, 65536, NULL,            \
      "Concurrent REST connections")                                                           \
    X(SATH_HTTP_REQUEST_TIMEOUT_MS, http_request_timeout_ms, INT, "30000", 100, 3600000, NULL, \
      "Deadline of a REST call when the client sets none, and idle connection timeout, ms")    \
    X(SATH_CORS_ORIGINS, cors_origins, STR, NULL, 0, 0, NULL,                                  \
      "Comma-separated origins allowed by CORS (\"*\" for any); unset: CORS off")               \
    X(SATH_DOCS_DIR, docs_dir, STR, NULL, 0, 0, NULL,                                          \
      "Directory served at /docs (default: the installed docs, else the build tree's)")        \
    X(SATH_UPSTREAM_GRPC, upstream_grpc, STR, "127.0.0.1:50051", 0, 0, NULL,                   \
      "sath-gateway only: the sathd it forwards to, host:port")                                \
    X(SATH_DATABASE_URL, database_url, STR, NULL, 0, 0, NULL,                                  \
      "PostgreSQL connection string (libpq URL or key=value); required for serve/migrate")     \
    X(SATH_REDIS_URL, redis_url, REDIS, NULL, 0, 0, NULL,                                      \
      "redis://[:password@]host:port[/db] or unix:///path[?db=N]; required for serve")          \
    X(SATH_ACCESS_TTL, access_ttl, INT, "900", 60, 86400, NULL,                                \
      "Access token lifetime in seconds")                                                      \
    X(SATH_REFRESH_TTL, refresh_ttl, INT, "604800", 300, 31536000, NULL,                       \
      "Refresh token lifetime in seconds")                                                     \
    X(SATH_JWT_ISSUER, jwt_issuer, STR, "sath", 0, 0, NULL, "JWT iss claim")                   \
    X(SATH_JWT_AUDIENCE, jwt_audience, STR, "sath-api", 0, 0, NULL, "JWT aud claim")           \
    X(SATH_JWT_ALG, jwt_alg, CHOICE, "EdDSA", 0, 0, "EdDSA|HS256", "JWT signing algorithm")    \
    X(SATH_JWT_ED25519_KEY_FILE, jwt_ed25519_key_file, STR, NULL, 0, 0, NULL,                  \
      "Path of the Ed25519 signing key file (EdDSA)")                                          \
    X(SATH_JWT_ED25519_KEY, jwt_ed25519_key, SECRET, NULL, 0, 0, NULL,                         \
      "Base64 of the 32-byte Ed25519 seed (EdDSA), alternative to the key file")               \
    X(SATH_JWT_KID, jwt_kid, STR, NULL, 0, 0, NULL, "Key id put in the JWT header")            \
    X(SATH_JWT_HS256_SECRET, jwt_hs256_secret, SECRET, NULL, 0, 0, NULL,                       \
      "Base64/base64url HMAC secret, at least 32 bytes decoded (HS256)")                       \
    X(SATH_JWT_EXTRA_PUBLIC_KEYS, jwt_extra_public_keys, STR, NULL, 0, 0, NULL,                \
      "Extra verification keys kid:base64pub,... (key rotation)")                              \
    X(SATH_GRPC_WORKERS, grpc_workers, INT, "auto", 1, 256, NULL,                              \
      "gRPC worker threads (default: number of CPUs)")                                         \
    X(SATH_GRPC_CALLS_PER_METHOD, grpc_calls_per_method, INT, "8", 1, 1024, NULL,              \
      "Calls requested in advance per method and worker")                                      \
    X(SATH_DB_POOL_SIZE, db_pool_size, INT, "auto", 1, 1024, NULL,                             \
      "PostgreSQL connections (default: 2 x (workers + REST threads))")                        \
    X(SATH_REDIS_POOL_SIZE, redis_pool_size, INT, "auto", 1, 1024, NULL,                       \
      "Redis connections (default: 2 x (workers + REST threads))")                             \
    X(SATH_DB_STATEMENT_TIMEOUT_MS, db_statement_timeout_ms, INT, "5000", 10, 3600000, NULL,   \
      "Default statement_timeout of every PostgreSQL connection, ms")                          \
    X(SATH_PWHASH_MEMLIMIT_KIB, pwhash_memlimit_kib, INT, "19456", 19456, 4194304, NULL,       \
      "Argon2id memory per hash in KiB (OWASP minimum 19456)")                                 \
    X(SATH_PWHASH_OPSLIMIT, pwhash_opslimit, INT, "2", 2, 64, NULL, "Argon2id iterations")     \
    X(SATH_PASSWORD_MIN_SCORE, password_min_score, INT, "3", 0, 4, NULL,                      \
      "Least zxcvbn strength score (0-4) of a new password; 0 turns the check off")           \
    X(SATH_PWHASH_CONCURRENCY, pwhash_concurrency, INT, "auto", 1, 1024, NULL,                 \
      "Password hashes computed at once (default: number of CPUs)")                            \
    X(SATH_MAX_MESSAGE_BYTES, max_message_bytes, INT, "4194304", 1024, 67108864, NULL,         \
      "Largest request/response message in bytes")                                             \
    X(SATH_TLS_CERT_FILE, tls_cert_file, STR, NULL, 0, 0, NULL,                                \
      "PEM certificate chain (set together with SATH_TLS_KEY_FILE)")                           \
    X(SATH_TLS_KEY_FILE, tls_key_file, STR, NULL, 0, 0, NULL,                                  \
      "PEM private key (set together with SATH_TLS_CERT_FILE)")                                \
    X(SATH_TLS_CLIENT_CA_FILE, tls_client_ca_file, STR, NULL, 0, 0, NULL,                      \
      "PEM CAs of client certificates: every gRPC client must present one (mutual TLS)")      \
    X(SATH_SHUTDOWN_GRACE_MS, shutdown_grace_ms, INT, "10000", 0, 600000, NULL,                \
      "Time in-flight calls get to finish on shutdown, ms")                                    \
    X(SATH_LOG_LEVEL, log_level, CHOICE, "info", 0, 0, "debug|info|warn|error",                \
      "Lowest log level written")                                                              \
    X(SATH_PLANS_CACHE_TTL_MS, plans_cache_ttl_ms, INT, "30000", 0, 86400000, NULL,            \
      "How long the plan catalogue is cached, ms (0 = no cache)")                              \
    X(SATH_BILLING_PROVIDER, billing_provider, CHOICE, "none", 0, 0, "none|stripe",            \
      "Payment provider: none (plans activate at once, nothing is charged; refused in "        \
      "production) or stripe")                                                                 \
    X(SATH_STRIPE_SECRET_KEY, stripe_secret_key, SECRET, NULL, 0, 0, NULL,                     \
      "Stripe secret API key (sk_live_... / sk_test_...); required with provider stripe")      \
    X(SATH_STRIPE_WEBHOOK_SECRET, stripe_webhook_secret, SECRET, NULL, 0, 0, NULL,             \
      "Stripe webhook signing secrets whsec_...,whsec_... (several during rotation; any may "  \
      "match); required with provider stripe")                                                 \
    X(SATH_STRIPE_URL, stripe_url, STR, "https://api.stripe.com", 0, 0, NULL,                  \
      "Stripe API base URL (tests point it at a local fake)")                                  \
    X(SATH_BILLING_RETURN_URL, billing_return_url, STR, "http://127.0.0.1:8080/app/billing", 0, \
      0, NULL, "Page Stripe Checkout returns to (?checkout=success|cancel is appended)")      \
    X(SATH_BILLING_GRACE_DAYS, billing_grace_days, INT, "7", 0, 60, NULL,                      \
      "Days a PAST_DUE subscription keeps its plan before the free plan applies")              \
    X(SATH_ENCRYPTION_KEYS, encryption_keys, SECRET, NULL, 0, 0, NULL,                         \
      "Master keys for API keys at rest, kid:base64(32 bytes),...; the first encrypts, all "   \
      "decrypt (generate: head -c32 /dev/urandom | base64); required in production")          \
    X(SATH_BINANCE_URL, binance_url, STR, "https://api.binance.com", 0, 0, NULL,               \
      "Binance REST base URL (key tests)")                                                     \
    X(SATH_BINANCE_TESTNET_URL, binance_testnet_url, STR, "https://testnet.binance.vision", 0, \
      0, NULL, "Binance testnet REST base URL (key tests)")                                    \
    X(SATH_BYBIT_URL, bybit_url, STR, "https://api.bybit.com", 0, 0, NULL,                     \
      "Bybit v5 REST base URL (key tests)")                                                    \
    X(SATH_BYBIT_TESTNET_URL, bybit_testnet_url, STR, "https://api-testnet.bybit.com", 0, 0,   \
      NULL, "Bybit testnet REST base URL (key tests)")                                         \
    X(SATH_OPENAI_URL, openai_url, STR, "https://api.openai.com", 0, 0, NULL,                  \
      "OpenAI API base URL (key tests)")                                                       \
    X(SATH_ANTHROPIC_URL, anthropic_url, STR, "https://api.anthropic.com", 0, 0, NULL,         \
      "Anthropic API base URL (key tests)")                                                    \
    X(SATH_PROVIDER_TIMEOUT_MS, provider_timeout_ms, INT, "10000", 100, 120000, NULL,          \
      "Total time a key test may take talking to the provider, ms")                            \
    X(SATH_OUTBOUND_ALLOW, outbound_allow, STR, NULL, 0, 0, NULL,                              \
      "Destinations user-supplied URLs may reach although private or local, comma-separated: " \
      "host[:port], IP[:port], [IPv6][:port] or CIDR (default: none)")                          \
    X(SATH_MAX_EXCHANGE_KEYS, max_exchange_keys, INT, "20", 1, 10000, NULL,                    \
      "Exchange keys one user may store")                                                      \
    X(SATH_MAX_AI_KEYS, max_ai_keys, INT, "20", 1, 10000, NULL,                                \
      "AI-provider keys one user may store")                                                   \
    X(SATH_TLS_TERMINATED_BY_PROXY, tls_terminated_by_proxy, CHOICE, "off", 0, 0, "off|on",    \
      "A proxy in front does TLS: production then allows plaintext on non-loopback addresses") \
    X(SATH_GRPC_REFLECTION, grpc_reflection, CHOICE, "auto", 0, 0, "auto|off|on",              \
      "gRPC server reflection (auto: on in development, off in production)")                  \
    X(SATH_HTTP_MAX_CONNECTIONS_PER_IP, http_max_connections_per_ip, INT, "64", 1, 65536, NULL, \
      "Concurrent REST connections from one client address")                                   \
    X(SATH_HTTP_HEADER_TIMEOUT_MS, http_header_timeout_ms, INT, "10000", 100, 600000, NULL,    \
      "Time a REST client gets to send the whole request head (line and headers), ms")         \
    X(SATH_TRUSTED_PROXIES, trusted_proxies, STR, NULL, 0, 0, NULL,                            \
      "Proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For names the client")        \
    X(SATH_RATELIMIT, ratelimit, CHOICE, "on", 0, 0, "off|on",                                 \
      "Rate limiting (see README, Security); off only for trusted benchmarks")                 \
    X(SATH_RATELIMIT_PREFIX, ratelimit_prefix, STR, "sath:rl:", 0, 0, NULL,                    \
      "Prefix of the limiter's Redis keys (deployments sharing one Redis keep apart)")         \
    X(SATH_RL_LOGIN_IP, rl_login_ip, RATE, "30/60", 0, 0, NULL,                                \
      "Login attempts per client address, COUNT/SECONDS")                                      \
    X(SATH_RL_LOGIN_ACCOUNT, rl_login_account, RATE, "10/300", 0, 0, NULL,                     \
      "Login attempts per account (email), COUNT/SECONDS")                                     \
    X(SATH_RL_REGISTER_IP, rl_register_ip, RATE, "10/600", 0, 0, NULL,                         \
      "Registrations per client address, COUNT/SECONDS")                                       \
    X(SATH_RL_REGISTER_ACCOUNT, rl_register_account, RATE, "5/3600", 0, 0, NULL,               \
      "Registration attempts per email, COUNT/SECONDS")                                        \
    X(SATH_RL_REFRESH_IP, rl_refresh_ip, RATE, "60/60", 0, 0, NULL,                            \
      "Token refreshes per client address, COUNT/SECONDS")                                     \
    X(SATH_RL_REFRESH_TOKEN, rl_refresh_token, RATE, "10/60", 0, 0, NULL,                      \
      "Refresh attempts per refresh token, COUNT/SECONDS")                                     \
    X(SATH_RL_EXPENSIVE_USER, rl_expensive_user, RATE, "10/60", 0, 0, NULL,                    \
      "Key creations and key tests per user, COUNT/SECONDS (Redis, all instances)")           \
    X(SATH_RL_USER, rl_user, RATE, "1200/60", 0, 0, NULL,                                      \
      "Other authenticated calls per user and instance, COUNT/SECONDS (in process)")          \
    X(SATH_RL_PUBLIC_IP, rl_public_ip, RATE, "1200/60", 0, 0, NULL,                            \
      "Other public calls per client address and instance, COUNT/SECONDS (in process)")       \
    X(SATH_PWHASH_PER_IP, pwhash_per_ip, INT, "2", 1, 1024, NULL,                              \
      "Password hashes one client address may have running or waiting at once")                \
    X(SATH_INFLUX_URL, influx_url, STR, NULL, 0, 0, NULL,                                      \
      "InfluxDB 1.x base URL for bot metrics, e.g. http://127.0.0.1:8086 (unset: none)")       \
    X(SATH_INFLUX_DB, influx_db, STR, "sath", 0, 0, NULL, "InfluxDB database of bot metrics") \
    X(SATH_INFLUX_QUEUE_BYTES, influx_queue_bytes, INT, "8388608", 65536, 1073741824, NULL,    \
      "Bot metrics waiting for InfluxDB, bytes; beyond it points are dropped (counted)")

#define SATHD_CFG_CTYPE_STR char *
#define SATHD_CFG_CTYPE_SECRET char *
#define SATHD_CFG_CTYPE_INT int64_t
#define SATHD_CFG_CTYPE_CHOICE int
#define SATHD_CFG_CTYPE_ADDR sathd_hostport
#define SATHD_CFG_CTYPE_REDIS sathd_redis_url
#define SATHD_CFG_CTYPE_RATE sathd_rate

/* Number of variables in SATHD_CONFIG_VARS. */
#define SATHD_CFG_ONE_(var, field, type, def, lo, hi, choices, help) +1
enum { SATHD_CONFIG_NVARS = 0 SATHD_CONFIG_VARS(SATHD_CFG_ONE_) };
#undef SATHD_CFG_ONE_

typedef struct sathd_config {
#define SATHD_CFG_FIELD(var, field, type, def, lo, hi, choices, help) SATHD_CFG_CTYPE_##type field;
    SATHD_CONFIG_VARS(SATHD_CFG_FIELD)
#undef SATHD_CFG_FIELD
    /* Which variables were given (environment or file), by table order. */
    unsigned char is_set[SATHD_CONFIG_NVARS];
    /* SATH_JWT_EXTRA_PUBLIC_KEYS, parsed; `extra_keys` is owned by the config. */
    sathd_jwt_pubkey *extra_keys;
    size_t n_extra_keys;
} sathd_config;

/* What a command needs beyond the always-validated values (sathd_config_require). */
#define SATHD_CFG_NEED_DB 0x1u    /* SATH_DATABASE_URL */
#define SATHD_CFG_NEED_REDIS 0x2u /* SATH_REDIS_URL */

/*
 * Loads the configuration: defaults, then `env_file` (or SATH_ENV_FILE when env_file
 * is NULL; no file when both are NULL), then the real environment.  Returns 0, or -1
 * with a message naming the variable in `err`.  On success free with
 * sathd_config_free(); on failure nothing needs freeing.
 */
int sathd_config_load(sathd_config *cfg, const char *env_file, char *err, size_t errlen);
/* Checks that the variables a command needs (SATHD_CFG_NEED_*) are set. 0 or -1. */
int sathd_config_require(const sathd_config *cfg, unsigned needs, char *err, size_t errlen);
/* Releases the strings and wipes the secrets; `cfg` may be loaded again afterwards. */
void sathd_config_free(sathd_config *cfg);
/* The `--help` section listing every variable with its default (never a value). */
void sathd_config_print_help(FILE *out);
/* VAR=value lines of the effective configuration; secrets and URL passwords masked. */
void sathd_config_dump(const sathd_config *cfg, FILE *out);

/* Whether gRPC reflection is served: SATH_GRPC_REFLECTION, where auto means on in
 * development and off in production. */
int sathd_config_reflection(const sathd_config *cfg);
/* 1 when host (no brackets) is a loopback address or "localhost". */
int sathd_host_is_loopback(const char *host);

/* Parses "host:port" / "[v6]:port".  0, or -1 with a reason in `err`. */
int sathd_hostport_parse(const char *s, sathd_hostport *out, char *err, size_t errlen);
/* Parses a Redis URL (see sathd_redis_url).  0, or -1 with a reason in `err` (the
 * reason never contains the password). */
int sathd_redis_url_parse(const char *s, sathd_redis_url *out, char *err, size_t errlen);
/* Decodes standard or URL-safe base64, padded or not, strictly (no stray characters).
 * Returns the decoded length, or -1 when invalid or longer than `cap`. */
long sathd_base64_decode_any(const char *s, unsigned char *out, size_t cap);
/* Number of online CPUs (>= 1). */
int sathd_cpu_count(void);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_CONFIG_H */
