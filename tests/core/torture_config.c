/*
 * torture_config.c - sathd_config: defaults, env files, precedence, validation
 * messages that name the variable, secrets never printed, address/URL parsers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sathd/config.h"

/* base64 of 32 and 16 bytes */
#define SECRET32 "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ="
#define SECRET16 "c2hvcnQtc2hvcnQtMTIzNA=="

static void clear_env(void)
{
#define UNSET(var, ...) unsetenv(#var);
    SATHD_CONFIG_VARS(UNSET)
#undef UNSET
    unsetenv("SATH_ENV_FILE");
}

static int setup(void **state)
{
    (void)state;
    clear_env();
    return 0;
}

/* Loads and expects failure; returns the message (static). */
static const char *load_fails(const char *file)
{
    static char err[512];
    sathd_config cfg;
    err[0] = '\0';
    assert_int_equal(sathd_config_load(&cfg, file, err, sizeof err), -1);
    return err;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_defaults(void **state)
{
    (void)state;
    sathd_config cfg;
    char err[256];
    assert_int_equal(sathd_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_int_equal(cfg.env, SATHD_ENV_DEVELOPMENT);
    assert_string_equal(cfg.grpc_addr.host, "127.0.0.1");
    assert_int_equal(cfg.grpc_addr.port, 50051);
    assert_int_equal(cfg.http_addr.port, 8080);
    assert_null(cfg.database_url);
    assert_int_equal(cfg.access_ttl, 900);
    assert_int_equal(cfg.refresh_ttl, 604800);
    assert_string_equal(cfg.jwt_issuer, "sath");
    assert_string_equal(cfg.jwt_audience, "sath-api");
    assert_int_equal(cfg.jwt_alg, SATHD_JWT_EDDSA);
    assert_int_equal(cfg.grpc_workers, sathd_cpu_count());
    assert_int_equal(cfg.grpc_calls_per_method, 8);
    /* handlers run on the gRPC workers and the REST threads (the gateway is on) */
    assert_int_equal(cfg.http_enabled, 1);
    assert_int_equal(cfg.http_threads, 4 * sathd_cpu_count() > 256 ? 256 : 4 * sathd_cpu_count());
    assert_int_equal(cfg.db_pool_size, 2 * (cfg.grpc_workers + cfg.http_threads));
    assert_int_equal(cfg.redis_pool_size, 2 * (cfg.grpc_workers + cfg.http_threads));
    assert_int_equal(cfg.db_statement_timeout_ms, 5000);
    assert_int_equal(cfg.pwhash_memlimit_kib, 19456);
    assert_int_equal(cfg.pwhash_opslimit, 2);
    assert_int_equal(cfg.pwhash_concurrency, sathd_cpu_count());
    assert_int_equal(cfg.max_message_bytes, 4194304);
    assert_null(cfg.tls_cert_file);
    assert_int_equal(cfg.shutdown_grace_ms, 10000);
    assert_int_equal(cfg.log_level, 1);
    assert_int_equal(cfg.plans_cache_ttl_ms, 30000);
    assert_int_equal(sathd_config_require(&cfg, SATHD_CFG_NEED_DB, err, sizeof err), -1);
    assert_non_null(strstr(err, "SATH_DATABASE_URL"));
    assert_int_equal(sathd_config_require(&cfg, SATHD_CFG_NEED_REDIS, err, sizeof err), -1);
    assert_non_null(strstr(err, "SATH_REDIS_URL"));
    sathd_config_free(&cfg);
}

static void test_workers_drive_pool_defaults(void **state)
{
    (void)state;
    sathd_config cfg;
    char err[256];
    setenv("SATH_GRPC_WORKERS", "5", 1);
    setenv("SATH_HTTP_THREADS", "7", 1);
    setenv("SATH_REDIS_POOL_SIZE", "3", 1);
    assert_int_equal(sathd_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_int_equal(cfg.db_pool_size, 2 * (5 + 7)); /* REST threads run handlers too */
    assert_int_equal(cfg.redis_pool_size, 3);
    sathd_config_free(&cfg);
    /* With the gateway off only the gRPC workers run handlers. */
    setenv("SATH_HTTP_ENABLED", "off", 1);
    assert_int_equal(sathd_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_int_equal(cfg.db_pool_size, 2 * 5);
    sathd_config_free(&cfg);
    unsetenv("SATH_HTTP_ENABLED");
    unsetenv("SATH_HTTP_THREADS");
}

static void test_env_file(void **state)
{
    (void)state;
    char path[] = "/tmp/torture_config_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "# platform settings\n"
                     "\n"
                     "export SATH_ENV=production\n"
                     "SATH_DATABASE_URL='postgresql://u:p#w@db/sath'\n"
                     "SATH_REDIS_URL = \"redis://:pw@cache:6380/2\"\n"
                     "SATH_ACCESS_TTL=120   # two minutes\n"
                     "SATH_JWT_ISSUER=from-file\n"
                     "SATH_JWT_ED25519_KEY_FILE=/etc/sath/jwt.key\n"
                     "SATH_JWT_KID=\n"
                     "OTHER_TOOL_SETTING=ignored\r\n");
    setenv("SATH_JWT_ISSUER", "from-env", 1); /* the real environment wins */
    sathd_config cfg;
    char err[256];
    assert_int_equal(sathd_config_load(&cfg, path, err, sizeof err), 0);
    assert_int_equal(cfg.env, SATHD_ENV_PRODUCTION);
    assert_string_equal(cfg.database_url, "postgresql://u:p#w@db/sath");
    assert_string_equal(cfg.redis_url.host, "cache");
    assert_int_equal(cfg.redis_url.port, 6380);
    assert_int_equal(cfg.redis_url.db, 2);
    assert_string_equal(cfg.redis_url.password, "pw");
    assert_int_equal(cfg.access_ttl, 120);
    assert_string_equal(cfg.jwt_issuer, "from-env");
    assert_null(cfg.jwt_kid); /* VAR= means unset */
    assert_int_equal(sathd_config_require(&cfg, SATHD_CFG_NEED_DB | SATHD_CFG_NEED_REDIS, err,
                                          sizeof err),
                     0);
    sathd_config_free(&cfg);

    /* SATH_ENV_FILE is used when no explicit file is given */
    setenv("SATH_ENV_FILE", path, 1);
    assert_int_equal(sathd_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_int_equal(cfg.access_ttl, 120);
    sathd_config_free(&cfg);

    write_file(path, "SATH_ACCESS_TTL=100\nSATH_JWT_ISSUER=\"unterminated\n");
    const char *msg = load_fails(path);
    assert_non_null(strstr(msg, ":2:"));
    assert_non_null(strstr(msg, "unterminated"));
    unlink(path);
    msg = load_fails("/nonexistent/sath.env");
    assert_non_null(strstr(msg, "/nonexistent/sath.env"));
}

static void expect_bad(const char *var, const char *value, const char *named)
{
    clear_env();
    setenv(var, value, 1);
    const char *msg = load_fails(NULL);
    if (!strstr(msg, named))
        fail_msg("%s=%s: message \"%s\" does not name %s", var, value, msg, named);
}

static void test_bad_values_name_the_variable(void **state)
{
    (void)state;
    expect_bad("SATH_ACCESS_TTL", "59", "SATH_ACCESS_TTL");
    expect_bad("SATH_ACCESS_TTL", "86401", "SATH_ACCESS_TTL");
    expect_bad("SATH_ACCESS_TTL", "15m", "SATH_ACCESS_TTL");
    expect_bad("SATH_ENV", "staging", "SATH_ENV");
    expect_bad("SATH_GRPC_ADDR", "localhost", "SATH_GRPC_ADDR");
    expect_bad("SATH_HTTP_ADDR", "127.0.0.1:99999", "SATH_HTTP_ADDR");
    expect_bad("SATH_REDIS_URL", "http://cache:6379", "SATH_REDIS_URL");
    expect_bad("SATH_REDIS_URL", "redis://cache:6379/x", "SATH_REDIS_URL");
    expect_bad("SATH_GRPC_WORKERS", "0", "SATH_GRPC_WORKERS");
    expect_bad("SATH_GRPC_WORKERS", "257", "SATH_GRPC_WORKERS");
    expect_bad("SATH_PWHASH_MEMLIMIT_KIB", "19455", "SATH_PWHASH_MEMLIMIT_KIB");
    expect_bad("SATH_PWHASH_OPSLIMIT", "1", "SATH_PWHASH_OPSLIMIT");
    expect_bad("SATH_LOG_LEVEL", "verbose", "SATH_LOG_LEVEL");
    expect_bad("SATH_JWT_ALG", "RS256", "SATH_JWT_ALG");
    expect_bad("SATH_TLS_CERT_FILE", "/etc/cert.pem", "SATH_TLS_KEY_FILE");
    expect_bad("SATH_TLS_CLIENT_CA_FILE", "/etc/ca.pem", "SATH_TLS_CLIENT_CA_FILE");
    expect_bad("SATH_DATABASE_URL", "host=x port", "SATH_DATABASE_URL");
    expect_bad("SATH_JWT_ED25519_KEY", "not base64!", "SATH_JWT_ED25519_KEY");
    expect_bad("SATH_JWT_EXTRA_PUBLIC_KEYS", "k1", "SATH_JWT_EXTRA_PUBLIC_KEYS");
    expect_bad("SATH_ENV", "production", "SATH_JWT_ED25519_KEY_FILE");
    /* the message never repeats a secret */
    clear_env();
    setenv("SATH_JWT_ALG", "HS256", 1);
    setenv("SATH_JWT_HS256_SECRET", SECRET16, 1);
    assert_null(strstr(load_fails(NULL), SECRET16));
}

/* Issue 12 item 8: production refuses plaintext on non-loopback addresses unless a TLS
 * proxy is declared, and turns reflection off unless asked. */
static void test_production_rules(void **state)
{
    (void)state;
    sathd_config cfg;
    char err[512];
    const char *msg;
    clear_env();
    setenv("SATH_ENV", "production", 1);
    setenv("SATH_JWT_ED25519_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1);
    assert_int_equal(sathd_config_load(&cfg, NULL, err, sizeof err), 0); /* loopback defaults */
    assert_int_equal(sathd_config_reflection(&cfg), 0);
    sathd_config_free(&cfg);
    setenv("SATH_GRPC_REFLECTION", "on", 1);
    assert_int_equal(sathd_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_int_equal(sathd_config_reflection(&cfg), 1);
    sathd_config_free(&cfg);
    unsetenv("SATH_GRPC_REFLECTION");

    setenv("SATH_GRPC_ADDR", "0.0.0.0:50051", 1);
    msg = load_fails(NULL);
    assert_non_null(strstr(msg, "SATH_GRPC_ADDR"));
    assert_non_null(strstr(msg, "SATH_TLS_TERMINATED_BY_PROXY"));
    setenv("SATH_GRPC_ADDR", "[::]:50051", 1);
    assert_non_null(strstr(load_fails(NULL), "SATH_GRPC_ADDR"));
    setenv("SATH_GRPC_ADDR", "[::1]:50051", 1);
    setenv("SATH_HTTP_ADDR", "192.0.2.10:8080", 1);
    assert_non_null(strstr(load_fails(NULL), "SATH_HTTP_ADDR"));
    setenv("SATH_HTTP_ENABLED", "off", 1); /* no REST listener: nothing to refuse */
    assert_int_equal(sathd_config_load(&cfg, NULL, err, sizeof err), 0);
    sathd_config_free(&cfg);
    unsetenv("SATH_HTTP_ENABLED");
    setenv("SATH_GRPC_ADDR", "0.0.0.0:50051", 1);
    setenv("SATH_TLS_TERMINATED_BY_PROXY", "on", 1);
    assert_int_equal(sathd_config_load(&cfg, NULL, err, sizeof err), 0);
    sathd_config_free(&cfg);
    /* Development: anything goes, reflection on. */
    clear_env();
    setenv("SATH_GRPC_ADDR", "0.0.0.0:50051", 1);
    assert_int_equal(sathd_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_int_equal(sathd_config_reflection(&cfg), 1);
    sathd_config_free(&cfg);
    assert_true(sathd_host_is_loopback("127.0.0.2"));
    assert_true(sathd_host_is_loopback("::1"));
    assert_true(sathd_host_is_loopback("localhost"));
    assert_false(sathd_host_is_loopback("::"));
    assert_false(sathd_host_is_loopback("10.0.0.1"));
}

static void test_rates_and_proxies(void **state)
{
    (void)state;
    sathd_config cfg;
    char err[512];
    expect_bad("SATH_RL_LOGIN_IP", "30 per minute", "SATH_RL_LOGIN_IP");
    expect_bad("SATH_RL_USER", "0/60", "SATH_RL_USER");
    expect_bad("SATH_TRUSTED_PROXIES", "10.0.0.0/8,proxy.local", "SATH_TRUSTED_PROXIES");
    expect_bad("SATH_PASSWORD_MIN_SCORE", "5", "SATH_PASSWORD_MIN_SCORE");
    clear_env();
    setenv("SATH_RL_LOGIN_IP", "5/10", 1);
    assert_int_equal(sathd_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_int_equal(cfg.rl_login_ip.count, 5);
    assert_int_equal(cfg.rl_login_ip.period_s, 10);
    assert_int_equal(cfg.rl_login_account.count, 10); /* default 10/300 */
    assert_int_equal(cfg.rl_login_account.period_s, 300);
    assert_int_equal(cfg.password_min_score, 3);
    sathd_config_free(&cfg);
}

static void test_hs256_secret_length(void **state)
{
    (void)state;
    sathd_config cfg;
    char err[256];
    setenv("SATH_JWT_ALG", "HS256", 1);
    assert_non_null(strstr(load_fails(NULL), "SATH_JWT_HS256_SECRET"));
    setenv("SATH_JWT_HS256_SECRET", SECRET16, 1);
    assert_non_null(strstr(load_fails(NULL), "SATH_JWT_HS256_SECRET"));
    setenv("SATH_JWT_HS256_SECRET", SECRET32, 1);
    assert_int_equal(sathd_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_int_equal(cfg.jwt_alg, SATHD_JWT_HS256);
    sathd_config_free(&cfg);
    /* base64url without padding is accepted as well */
    setenv("SATH_JWT_HS256_SECRET", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ", 1);
    assert_int_equal(sathd_config_load(&cfg, NULL, err, sizeof err), 0);
    sathd_config_free(&cfg);
}

static char *capture(void (*fn)(const sathd_config *, FILE *), const sathd_config *cfg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    if (fn)
        fn(cfg, f);
    else
        sathd_config_print_help(f);
    fclose(f);
    return buf;
}

static void test_help_lists_every_variable(void **state)
{
    (void)state;
    setenv("SATH_JWT_HS256_SECRET", SECRET32, 1);
    char *help = capture(NULL, NULL);
#define CHECK_LISTED(var, ...) assert_non_null(strstr(help, #var " "));
    SATHD_CONFIG_VARS(CHECK_LISTED)
#undef CHECK_LISTED
    assert_non_null(strstr(help, "(default 900)"));
    assert_null(strstr(help, SECRET32));
    free(help);
}

static void test_dump_masks_secrets(void **state)
{
    (void)state;
    setenv("SATH_JWT_ALG", "HS256", 1);
    setenv("SATH_JWT_HS256_SECRET", SECRET32, 1);
    setenv("SATH_DATABASE_URL", "postgresql://sath:hunter2@db:5432/sath", 1);
    setenv("SATH_REDIS_URL", "redis://:redispw@cache:6379/1", 1);
    setenv("SATH_JWT_EXTRA_PUBLIC_KEYS",
           "old:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=,older:"
           "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
           1);
    sathd_config cfg;
    char err[256];
    assert_int_equal(sathd_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_int_equal(cfg.n_extra_keys, 2);
    assert_string_equal(cfg.extra_keys[1].kid, "older");
    assert_memory_equal(cfg.extra_keys[0].key, cfg.extra_keys[1].key, 32);
    char *dump = capture(sathd_config_dump, &cfg);
    assert_null(strstr(dump, SECRET32));
    assert_null(strstr(dump, "hunter2"));
    assert_null(strstr(dump, "redispw"));
    assert_non_null(strstr(dump, "SATH_JWT_HS256_SECRET=***\n"));
    assert_non_null(strstr(dump, "SATH_DATABASE_URL=postgresql://sath:***@db:5432/sath\n"));
    assert_non_null(strstr(dump, "SATH_REDIS_URL=redis://:***@cache:6379/1\n"));
    assert_non_null(strstr(dump, "SATH_JWT_ALG=HS256\n"));
    free(dump);
    sathd_config_free(&cfg);
    setenv("SATH_DATABASE_URL", "host=db user=sath password=hunter2 dbname=sath", 1);
    assert_int_equal(sathd_config_load(&cfg, NULL, err, sizeof err), 0);
    dump = capture(sathd_config_dump, &cfg);
    assert_null(strstr(dump, "hunter2"));
    free(dump);
    sathd_config_free(&cfg);
}

static void test_hostport_parse(void **state)
{
    (void)state;
    sathd_hostport hp;
    char err[128];
    assert_int_equal(sathd_hostport_parse("0.0.0.0:0", &hp, err, sizeof err), 0);
    assert_string_equal(hp.host, "0.0.0.0");
    assert_int_equal(hp.port, 0);
    assert_int_equal(sathd_hostport_parse("[::1]:50051", &hp, err, sizeof err), 0);
    assert_string_equal(hp.host, "::1");
    assert_int_equal(hp.port, 50051);
    assert_int_equal(sathd_hostport_parse("localhost:65535", &hp, err, sizeof err), 0);
    const char *bad[] = {"", ":80", "host", "host:", "host:-1", "host:65536", "::1:80",
                         "[::1]80", "[::1", "host:80x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sathd_hostport_parse(bad[i], &hp, err, sizeof err) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
}

static void test_redis_url_parse(void **state)
{
    (void)state;
    sathd_redis_url u;
    char err[128];
    assert_int_equal(sathd_redis_url_parse("redis://cache", &u, err, sizeof err), 0);
    assert_int_equal(u.is_unix, 0);
    assert_string_equal(u.host, "cache");
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 0);
    assert_string_equal(u.password, "");
    assert_int_equal(sathd_redis_url_parse("redis://app:p%40ss@[::1]:7000/15", &u, err, sizeof err), 0);
    assert_string_equal(u.username, "app");
    assert_string_equal(u.password, "p@ss");
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 7000);
    assert_int_equal(u.db, 15);
    assert_int_equal(sathd_redis_url_parse("unix:///run/redis.sock?db=4&password=x", &u, err,
                                           sizeof err),
                     0);
    assert_int_equal(u.is_unix, 1);
    assert_string_equal(u.path, "/run/redis.sock");
    assert_int_equal(u.db, 4);
    assert_string_equal(u.password, "x");
    const char *bad[] = {"", "cache:6379", "redis://", "redis://:pw@", "redis://h:99999",
                         "redis://h/abc", "unix://relative.sock", "unix:///s?dbx=1",
                         "redis://:p%zz@h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sathd_redis_url_parse(bad[i], &u, err, sizeof err) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(sathd_redis_url_parse("redis://:topsecret@h:1/x", &u, err, sizeof err), -1);
    assert_null(strstr(err, "topsecret"));
}

static void test_base64_any(void **state)
{
    (void)state;
    unsigned char out[64];
    assert_int_equal(sathd_base64_decode_any("aGk=", out, sizeof out), 2);
    assert_int_equal(sathd_base64_decode_any("aGk", out, sizeof out), 2);
    assert_int_equal(sathd_base64_decode_any("-_-_", out, sizeof out), 3);
    assert_int_equal(sathd_base64_decode_any("+/+/", out, sizeof out), 3);
    assert_int_equal(sathd_base64_decode_any("aGk=!", out, sizeof out), -1);
    assert_int_equal(sathd_base64_decode_any("", out, sizeof out), -1);
    assert_int_equal(sathd_base64_decode_any(SECRET32, out, 16), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, setup),
        cmocka_unit_test_setup(test_workers_drive_pool_defaults, setup),
        cmocka_unit_test_setup(test_env_file, setup),
        cmocka_unit_test_setup(test_bad_values_name_the_variable, setup),
        cmocka_unit_test_setup(test_hs256_secret_length, setup),
        cmocka_unit_test_setup(test_help_lists_every_variable, setup),
        cmocka_unit_test_setup(test_dump_masks_secrets, setup),
        cmocka_unit_test_setup(test_hostport_parse, setup),
        cmocka_unit_test_setup(test_redis_url_parse, setup),
        cmocka_unit_test_setup(test_base64_any, setup),
        cmocka_unit_test_setup(test_production_rules, setup),
        cmocka_unit_test_setup(test_rates_and_proxies, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
