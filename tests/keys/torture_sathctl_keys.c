/*
 * torture_sathctl_keys.c - `sathctl keys ...` end to end: the real sathctl binary against
 * a real sathd (sathd_proc) whose Binance/Anthropic URLs point at fake_providers.py.
 * Secrets go in through standard input and the environment, never argv, and never come
 * back out in any output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "keys_fixture.h"

typedef struct fixture {
    fake_providers fake;
    sathd_proc proc;
    char home[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    *state = f;
    if (!f || sodium_init() < 0 || fake_providers_start(&f->fake) != 0)
        return -1;
    static char env[2][160];
    snprintf(env[0], sizeof env[0], "SATH_BINANCE_URL=http://127.0.0.1:%d/binance", f->fake.port);
    snprintf(env[1], sizeof env[1], "SATH_ANTHROPIC_URL=http://127.0.0.1:%d/anthropic", f->fake.port);
    const char *extra[] = {env[0], env[1],
                           "SATH_ENCRYPTION_KEYS=k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", NULL};
    snprintf(f->home, sizeof f->home, "/tmp/sathctl-keys-XXXXXX");
    if (!mkdtemp(f->home))
        return -1;
    return sathd_proc_start(&f->proc, extra);
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return -1;
    int rc = f->proc.pid > 0 ? sathd_proc_stop(&f->proc) : -1;
    fake_providers_stop(&f->fake);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->home);
    if (f->home[0] && system(cmd) != 0)
        rc = -1;
    free(f);
    return rc;
}

/* Runs `sathctl ARGS` with `env` (shell assignments) and `input` on stdin; returns the
 * exit status, stdout+stderr in *out (malloc'd).  Every value interpolated here is a
 * test constant, an int or a UUID. */
static int sathctl(const fixture *f, const char *env, const char *input, const char *args, char **out)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "printf '%%s\\n' '%s' | env -i HOME=%s XDG_CONFIG_HOME=%s SATH_SERVER=%s %s %s %s 2>&1",
             input ? input : "", f->home, f->home, f->proc.target, env ? env : "", SATHCTL_PATH, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    *out = calloc(1, 65536);
    size_t n = fread(*out, 1, 65535, p);
    (*out)[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void no_secret(const char *out)
{
    assert_null(strstr(out, "binance-secret-good-0001"));
    assert_null(strstr(out, "good-anthropic-sk-0001"));
    assert_null(strstr(out, "wrong-secret-for-this-key"));
}

static void keys_cli(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    const char *pw = "SATH_PASSWORD='correct horse battery'";
    assert_int_equal(sathctl(f, pw, NULL, "register --email cli.keys@example.com", &out), 0);
    free(out);
    assert_int_equal(sathctl(f, pw, NULL, "login --email cli.keys@example.com", &out), 0);
    free(out);

    assert_int_equal(sathctl(f, NULL, "binance-secret-good-0001",
                             "keys add-exchange --exchange binance --api-key good-binance-key-0001 "
                             "--label main --secret-stdin", &out), 0);
    assert_non_null(strstr(out, "good*************0001"));
    no_secret(out);
    free(out);
    assert_int_equal(sathctl(f, "SATH_API_SECRET=wrong-secret-for-this-key", NULL,
                             "keys add-exchange --exchange binance --api-key good-binance-key-0001", &out), 0);
    free(out);
    assert_int_equal(sathctl(f, "SATH_AI_KEY=good-anthropic-sk-0001", NULL,
                             "keys add-ai --provider anthropic --label claude", &out), 0);
    no_secret(out);
    free(out);

    assert_int_equal(sathctl(f, NULL, NULL, "--json keys list", &out), 0);
    no_secret(out);
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(j);
    json_t *ex = json_object_get(j, "exchange_keys"), *ai = json_object_get(j, "ai_keys");
    assert_int_equal(json_array_size(ex), 2);
    assert_int_equal(json_array_size(ai), 1);
    char good[37], bad[37], claude[37];
    /* newest first: the wrong-secret key was added second */
    snprintf(bad, sizeof bad, "%s", json_string_value(json_object_get(json_array_get(ex, 0), "id")));
    snprintf(good, sizeof good, "%s", json_string_value(json_object_get(json_array_get(ex, 1), "id")));
    snprintf(claude, sizeof claude, "%s", json_string_value(json_object_get(json_array_get(ai, 0), "id")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(ex, 1), "label")), "main");
    json_decref(j);

    char args[128];
    snprintf(args, sizeof args, "keys test %s", good);
    assert_int_equal(sathctl(f, NULL, NULL, args, &out), 0);
    assert_non_null(strstr(out, "can trade: yes, can withdraw: no"));
    assert_non_null(strstr(out, "permission: SPOT"));
    free(out);
    snprintf(args, sizeof args, "--json keys test --id %s", claude);
    assert_int_equal(sathctl(f, NULL, NULL, args, &out), 0);
    assert_non_null(strstr(out, "\"ok\":true"));
    free(out);
    snprintf(args, sizeof args, "keys test %s", bad);
    assert_int_equal(sathctl(f, NULL, NULL, args, &out), 3);
    assert_non_null(strstr(out, "FAILED_PRECONDITION"));
    assert_non_null(strstr(out, "-1022"));
    no_secret(out);
    free(out);

    assert_int_equal(sathctl(f, NULL, NULL, "keys list", &out), 0);
    assert_non_null(strstr(out, "test: ok"));
    assert_non_null(strstr(out, "test: failed"));
    free(out);
    snprintf(args, sizeof args, "keys rm %s", claude); /* rm finds either kind */
    assert_int_equal(sathctl(f, NULL, NULL, args, &out), 0);
    free(out);
    assert_int_equal(sathctl(f, NULL, NULL, args, &out), 3);
    assert_non_null(strstr(out, "NOT_FOUND"));
    free(out);
    assert_int_equal(sathctl(f, NULL, NULL, "keys test not-a-uuid", &out), 3);
    assert_non_null(strstr(out, "INVALID_ARGUMENT"));
    free(out);
    /* usage errors */
    assert_int_equal(sathctl(f, NULL, NULL, "keys", &out), 2);
    free(out);
    assert_int_equal(sathctl(f, NULL, NULL, "keys frobnicate", &out), 2);
    free(out);
    assert_int_equal(sathctl(f, NULL, NULL, "keys add-exchange --exchange kraken --api-key x", &out), 2);
    free(out);
    assert_int_equal(sathctl(f, NULL, NULL, "keys rm", &out), 2);
    free(out);
    assert_int_equal(sathctl(f, NULL, NULL, "keys add-ai --help", &out), 0);
    assert_non_null(strstr(out, "--key-stdin"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(keys_cli)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
