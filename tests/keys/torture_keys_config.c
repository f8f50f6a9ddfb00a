/*
 * torture_keys_config.c - how sathd starts (or refuses to) with respect to the
 * encryption keys and provider URLs: production without SATH_ENCRYPTION_KEYS, a key
 * that is not 32 bytes, a provider URL that is not http(s), and rotate-keys without
 * keys.  Each must exit 2 with a message naming the variable (and how to generate a
 * key), before anything is served.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

/* Runs sathd `cmd` with exactly `env` (shell assignments of test constants); returns
 * the exit status and stderr+stdout in *out (malloc'd). */
static int sathd(const char *env, const char *cmd, char **out)
{
    const char *bin = getenv("SATHD_BIN");
    assert_non_null(bin);
    char line[2048];
    snprintf(line, sizeof line, "env -i SATH_GRPC_ADDR=127.0.0.1:0 SATH_HTTP_ADDR=127.0.0.1:0 %s %s %s 2>&1", env, bin, cmd);
    FILE *p = popen(line, "r");
    assert_non_null(p);
    /* read to the end: a child that fills the pipe and finds it closed dies of SIGPIPE */
    size_t n = 0, cap = 8192, got;
    *out = malloc(cap);
    assert_non_null(*out);
    while ((got = fread(*out + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            *out = realloc(*out, cap);
            assert_non_null(*out);
        }
    }
    (*out)[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define DB "SATH_DATABASE_URL=postgresql://nobody@127.0.0.1:1/none SATH_REDIS_URL=redis://127.0.0.1:1 "
#define JWT "SATH_JWT_ED25519_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= "

static void production_needs_a_key(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(sathd("SATH_ENV=production " DB JWT, "serve", &out), 2);
    assert_non_null(strstr(out, "SATH_ENCRYPTION_KEYS"));
    assert_non_null(strstr(out, "head -c32 /dev/urandom | base64"));
    free(out);
}

static void bad_key_and_url(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(sathd(DB JWT "SATH_ENCRYPTION_KEYS=k1:c2hvcnQ=", "serve", &out), 2);
    assert_non_null(strstr(out, "key 'k1' must be base64 of exactly 32 bytes"));
    assert_null(strstr(out, "c2hvcnQ")); /* key material is never echoed */
    free(out);
    assert_int_equal(sathd(DB JWT "SATH_ENCRYPTION_KEYS=k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,"
                                  "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "serve", &out), 2);
    assert_non_null(strstr(out, "appears twice"));
    free(out);
    assert_int_equal(sathd(DB "SATH_OPENAI_URL=file:///etc/passwd", "serve", &out), 2);
    assert_non_null(strstr(out, "SATH_OPENAI_URL"));
    free(out);
    /* the SSRF allow-list and the per-user caps: a bad entry is named */
    assert_int_equal(sathd(DB JWT "SATH_OUTBOUND_ALLOW=127.0.0.1:7,10.0.0.0/33", "serve", &out), 2);
    assert_non_null(strstr(out, "SATH_OUTBOUND_ALLOW: \"10.0.0.0/33\" is not"));
    free(out);
    assert_int_equal(sathd(DB "SATH_MAX_AI_KEYS=0", "serve", &out), 2);
    assert_non_null(strstr(out, "SATH_MAX_AI_KEYS"));
    free(out);
    assert_int_equal(sathd(DB, "rotate-keys", &out), 2);
    assert_non_null(strstr(out, "rotate-keys needs SATH_ENCRYPTION_KEYS"));
    free(out);
    /* --help documents the variables */
    assert_int_equal(sathd("", "--help", &out), 0);
    assert_non_null(strstr(out, "SATH_ENCRYPTION_KEYS"));
    assert_non_null(strstr(out, "SATH_PROVIDER_TIMEOUT_MS"));
    assert_non_null(strstr(out, "SATH_OUTBOUND_ALLOW"));
    assert_non_null(strstr(out, "SATH_MAX_EXCHANGE_KEYS"));
    assert_non_null(strstr(out, "rotate-keys"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(production_needs_a_key),
        cmocka_unit_test(bad_key_and_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
