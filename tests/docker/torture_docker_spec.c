/*
 * torture_docker_spec.c - the docker backend's JSON without an engine: the create body
 * (hardening always present, defaults vs spec values, the token only as a file path, the
 * podman variant) and the refusals (missing ids, malformed env, env carrying the token);
 * inspect answers of dockerd and podman (running, exited, OOM, created) read into
 * sathd_bot_observed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "docker_spec.h"

#define USER "0b5f1a9e-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
#define BOT "7d0c6a0e-1111-4222-8333-944455556666"
#define RUN "7d0c6a0e-1111-4222-8333-944455556667"
#define TOKEN "rt_3q2+7w-secret-token-value"

static const sathd_docker_defaults defs = {
    .image = "sath-bot:latest", .network_mode = "bridge", .memory_bytes = 256 << 20,
    .nano_cpus = 0, .pids_limit = 128, .open_files = 1024, .stop_grace_s = 10, .tmpfs_mb = 16,
    .log_max_size = "10m", .log_max_files = 3, .engine_nproc = 4096,
};

static const char *const env_ok[] = {"SATH_BOT_ID=" BOT, "SATH_RUN_ID=" RUN,
                                     "SATH_ADDR=127.0.0.1:1", NULL};
static const char *const argv_ok[] = {"--verbose", NULL};

static sathd_bot_spec base(void)
{
    return (sathd_bot_spec){.user_id = USER, .bot_id = BOT, .run_id = RUN, .mode = "live",
                            .argv = argv_ok, .env = env_ok, .run_token = TOKEN};
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void create_body(void **state)
{
    (void)state;
    sathd_bot_spec s = base();
    char err[256] = "";
    json_t *b = sathd_docker_create_body(&s, &defs, "/var/lib/sath/bots/docker-tokens/t", 0, err,
                                         sizeof err);
    assert_non_null(b);
    char *text = json_dumps(b, JSON_COMPACT);
    assert_null(strstr(text, TOKEN)); /* the token itself is never in the body */
    free(text);
    assert_string_equal(str(b, "Image"), "sath-bot:latest");
    assert_string_equal(str(b, "User"), "65534:65534");
    assert_string_equal(json_string_value(json_array_get(json_object_get(b, "Cmd"), 0)),
                        "--verbose");
    json_t *env = json_object_get(b, "Env");
    assert_int_equal(json_array_size(env), 4);
    assert_string_equal(json_string_value(json_array_get(env, 3)),
                        "SATH_RUN_TOKEN_FILE=/run/secrets/sath_run_token");
    json_t *l = json_object_get(b, "Labels");
    assert_string_equal(str(l, "sath.user"), USER);
    assert_string_equal(str(l, "sath.bot"), BOT);
    assert_string_equal(str(l, "sath.run"), RUN);
    assert_string_equal(str(l, "sath.mode"), "live");
    assert_int_equal(json_integer_value(json_object_get(b, "StopTimeout")), 10);
    json_t *hc = json_object_get(b, "HostConfig");
    assert_int_equal(json_integer_value(json_object_get(hc, "Memory")), 256 << 20);
    assert_int_equal(json_integer_value(json_object_get(hc, "MemorySwap")), 256 << 20);
    assert_null(json_object_get(hc, "NanoCpus")); /* 0 = no CPU limit */
    assert_int_equal(json_integer_value(json_object_get(hc, "PidsLimit")), 128);
    assert_string_equal(json_string_value(json_array_get(json_object_get(hc, "CapDrop"), 0)),
                        "ALL");
    assert_string_equal(json_string_value(json_array_get(json_object_get(hc, "SecurityOpt"), 0)),
                        "no-new-privileges");
    assert_true(json_is_true(json_object_get(hc, "ReadonlyRootfs")));
    assert_string_equal(str(json_object_get(hc, "Tmpfs"), "/tmp"),
                        "rw,noexec,nosuid,nodev,size=16m");
    assert_string_equal(str(hc, "NetworkMode"), "bridge");
    assert_string_equal(str(json_object_get(hc, "RestartPolicy"), "Name"), "no");
    assert_string_equal(json_string_value(json_array_get(json_object_get(hc, "Binds"), 0)),
                        "/var/lib/sath/bots/docker-tokens/t:/run/secrets/sath_run_token:ro");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(
                         json_object_get(hc, "Ulimits"), 0), "Soft")), 1024);
    assert_string_equal(str(json_object_get(json_object_get(hc, "LogConfig"), "Config"),
                            "max-file"), "3");
    json_decref(b);

    /* the spec's own values win over the defaults; podman: nofile, and nproc at the
     * host's limit so that podman does not add its own (which runc cannot set) */
    s.memory_bytes = 64 << 20;
    s.nano_cpus = 250000000;
    s.pids_limit = 32;
    s.stop_grace_s = 3;
    s.network_mode = "none";
    s.image = "other:1";
    s.argv = NULL;
    b = sathd_docker_create_body(&s, &defs, NULL, 1, err, sizeof err);
    assert_non_null(b);
    hc = json_object_get(b, "HostConfig");
    assert_string_equal(str(b, "Image"), "other:1");
    assert_null(json_object_get(b, "Cmd")); /* the image's own command */
    assert_int_equal(json_array_size(json_object_get(b, "Env")), 3); /* no token: no file */
    assert_int_equal(json_integer_value(json_object_get(hc, "Memory")), 64 << 20);
    assert_int_equal(json_integer_value(json_object_get(hc, "NanoCpus")), 250000000);
    assert_int_equal(json_integer_value(json_object_get(hc, "PidsLimit")), 32);
    assert_int_equal(json_integer_value(json_object_get(b, "StopTimeout")), 3);
    assert_string_equal(str(hc, "NetworkMode"), "none");
    assert_null(json_object_get(hc, "Binds"));
    json_t *ul = json_object_get(hc, "Ulimits");
    assert_int_equal(json_array_size(ul), 2);
    assert_string_equal(str(json_array_get(ul, 0), "Name"), "nofile");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(ul, 0), "Hard")), 1024);
    assert_string_equal(str(json_array_get(ul, 1), "Name"), "nproc");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(ul, 1), "Hard")),
                     defs.engine_nproc);
    /* podman whose own limit we cannot see: no Ulimits (its nproc default would fail) */
    sathd_docker_defaults blind = defs;
    blind.engine_nproc = -2;
    json_t *b2 = sathd_docker_create_body(&s, &blind, NULL, 1, err, sizeof err);
    assert_non_null(b2);
    assert_null(json_object_get(json_object_get(b2, "HostConfig"), "Ulimits"));
    json_decref(b2);
    assert_string_equal(str(json_object_get(json_object_get(hc, "LogConfig"), "Config"),
                            "max-size"), "10m");
    json_decref(b);
}

static void create_refusals(void **state)
{
    (void)state;
    char err[256];
    sathd_bot_spec s = base();
    s.run_id = NULL;
    assert_null(sathd_docker_create_body(&s, &defs, NULL, 0, err, sizeof err));
    s = base();
    sathd_docker_defaults noimg = defs;
    noimg.image = NULL;
    assert_null(sathd_docker_create_body(&s, &noimg, NULL, 0, err, sizeof err));

    static const char *const env_bad[] = {"SATH_BOT_ID=" BOT, "=x", NULL};
    s.env = env_bad;
    assert_null(sathd_docker_create_body(&s, &defs, NULL, 0, err, sizeof err));
    assert_non_null(strstr(err, "NAME=value"));

    static const char *const env_noeq[] = {"JUSTANAME", NULL};
    s.env = env_noeq;
    assert_null(sathd_docker_create_body(&s, &defs, NULL, 0, err, sizeof err));

    static const char *const env_tok[] = {"SATH_BOT_ID=" BOT, "SATH_X=Bearer " TOKEN, NULL};
    s.env = env_tok;
    assert_null(sathd_docker_create_body(&s, &defs, "/t", 0, err, sizeof err));
    assert_non_null(strstr(err, "SATH_X"));
    assert_null(strstr(err, TOKEN));

    s = base(); /* a path with ':' would change the bind's meaning */
    assert_null(sathd_docker_create_body(&s, &defs, "/a:b/token", 0, err, sizeof err));
}

static void observed(void **state)
{
    (void)state;
    sathd_bot_observed o;
    /* dockerd, OOM-killed */
    json_t *j = json_loads(
        "{\"Id\":\"2547778f22d3be9c18acae64dbf087985019414dd560c72679c2abe69c5461a7\","
        "\"State\":{\"Status\":\"exited\",\"Running\":false,\"OOMKilled\":true,\"ExitCode\":137,"
        "\"Error\":\"\",\"StartedAt\":\"2026-11-28T15:26:32.904136287Z\","
        "\"FinishedAt\":\"2026-11-28T15:26:33.916722251Z\"},"
        "\"Config\":{\"Labels\":{\"sath.user\":\"" USER "\",\"sath.run\":\"" RUN "\"}}}",
        0, NULL);
    assert_non_null(j);
    assert_int_equal(sathd_docker_observed_from_inspect(j, &o), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_EXITED);
    assert_int_equal(o.exit_code, 137);
    assert_int_equal(o.oom_killed, 1);
    assert_string_equal(o.user_id, USER);
    assert_string_equal(o.run_id, RUN);
    assert_int_equal(strlen(o.handle), 64);
    assert_int_equal(o.started_at_ms, 1795879592904LL);
    assert_int_equal(o.finished_at_ms, 1795879593916LL);
    assert_non_null(strstr(o.error, "out-of-memory"));
    json_decref(j);

    /* podman, running (FinishedAt zero time, exit code not meaningful yet) */
    j = json_loads("{\"Id\":\"3c6b\",\"State\":{\"Status\":\"running\",\"ExitCode\":0,"
                   "\"StartedAt\":\"2026-11-28T15:26:36.530697084Z\","
                   "\"FinishedAt\":\"0001-01-01T00:00:00Z\",\"Health\":{\"Status\":\"\"}},"
                   "\"Config\":{\"Labels\":null}}",
                   0, NULL);
    assert_int_equal(sathd_docker_observed_from_inspect(j, &o), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_RUNNING);
    assert_string_equal(o.user_id, "");
    assert_int_equal(o.finished_at_ms, 0);
    json_decref(j);

    /* created, never started; an engine error */
    j = json_loads("{\"Id\":\"ab\",\"State\":{\"Status\":\"created\",\"Error\":\"OCI runtime "
                   "create failed\",\"StartedAt\":\"0001-01-01T00:00:00Z\"}}",
                   0, NULL);
    assert_int_equal(sathd_docker_observed_from_inspect(j, &o), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_PENDING);
    assert_int_equal(o.started_at_ms, 0);
    assert_string_equal(o.error, "OCI runtime create failed");
    json_decref(j);

    /* not an inspect answer */
    j = json_loads("{\"message\":\"No such container\"}", 0, NULL);
    assert_int_equal(sathd_docker_observed_from_inspect(j, &o), -EPROTO);
    json_decref(j);
    j = json_loads("[1,2]", 0, NULL);
    assert_int_equal(sathd_docker_observed_from_inspect(j, &o), -EPROTO);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_body),
        cmocka_unit_test(create_refusals),
        cmocka_unit_test(observed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
