/*
 * torture_bots_docker.c - the bot control plane end to end on the docker backend:
 * BotService in a real sathd, a real sath-orchestrator with SATH_BOT_BACKEND=docker, and
 * real containers on the engine named by argv[1] ("docker": the private dockerd of
 * tests/fixtures/engines.sh, "podman": its podman service).  The bot is
 * sath-bot-standin, packed into an image by scripts/bot-image.sh --program (the binary and
 * the libraries ldd finds; no registry), so the image path operators use is the one tested.
 *
 * The scenarios are tests/bots/botscenario.c's, shared with the swarm backend; this file
 * says what the engine must show at each step.  Covered: config -> start -> RUNNING with a
 * container id, logs shipped through Redis, the run token read by the bot from its file
 * and absent from `docker inspect`, restart -> a new container replaces the old one (never
 * two), stop -> STOPPED with exit 0, token revoked; a crashing bot restarted with backoff
 * by the orchestrator and then FAILED with its exit code; the orchestrator SIGKILLed while
 * a bot runs -> restarted -> the same container adopted, none duplicated.
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
#include <curl/curl.h>
#include <jansson.h>

#include "botscenario.h"
#include "docker_api.h"

#define WAIT_MS 30000
#define IMAGE "sath-standin:test"

static const char *g_engine, *g_host;
static sathd_docker *g_api;
static char g_env_backend[64], g_env_host[300], g_env_image[64];

/* The orchestrator's extra environment: the docker backend on the test engine. */
static const char *orch_env[8];
static const char *crash_env[8];

static void make_env(void)
{
    snprintf(g_env_backend, sizeof g_env_backend, "SATH_BOT_BACKEND=docker");
    snprintf(g_env_host, sizeof g_env_host, "SATH_DOCKER_HOST=%s", g_host);
    snprintf(g_env_image, sizeof g_env_image, "SATH_BOT_IMAGE=%s", IMAGE);
    const char *common[] = {g_env_backend, g_env_host, g_env_image, "SATH_BOT_NETWORK=none",
                            "SATH_BOT_PIDS_LIMIT=64", "SATH_BOT_MEMORY_BYTES=67108864"};
    for (int i = 0; i < 6; i++)
        orch_env[i] = crash_env[i] = common[i];
    crash_env[6] = "SATH_BOT_ARGS=--crash-after-ms 150 --exit-code 7";
}

/* Containers the engine has for the user (by our label), and the raw inspect of the
 * first one (caller json_decref's; NULL when none). */
static int containers_of(const char *user, json_t **first)
{
    char path[256], err[256];
    snprintf(path, sizeof path,
             "/containers/json?all=1&filters=%%7B%%22label%%22%%3A%%5B%%22sath.user%%3D%s%%22%%5D%%7D",
             user);
    json_t *list = NULL;
    assert_int_equal(sathd_docker_json(g_api, "GET", path, NULL, 0, &list, err, sizeof err), 200);
    int n = (int)json_array_size(list);
    if (first) {
        *first = NULL;
        if (n > 0) {
            snprintf(path, sizeof path, "/containers/%s/json",
                     json_string_value(json_object_get(json_array_get(list, 0), "Id")));
            assert_int_equal(sathd_docker_json(g_api, "GET", path, NULL, 0, first, err, sizeof err),
                             200);
        }
    }
    json_decref(list);
    return n;
}

static json_t *container_status(json_t *container, const char *key)
{
    return json_object_get(json_object_get(container, "State"), key);
}

static json_t *inspect(const char *user, const char *cid, json_t **labels)
{
    json_t *j;
    assert_int_equal(containers_of(user, &j), 1);
    assert_string_equal(json_string_value(json_object_get(j, "Id")), cid);
    *labels = json_object_get(json_object_get(j, "Config"), "Labels");
    return j;
}

/* restart: a new run in a new container, the old one gone after its goodbye */
static void restarted(botuser *u, const char *old_run, const char *old_cid)
{
    Sath__V1__BotStatus *st = botcall_wait_running(u, 64, old_run, old_cid, WAIT_MS);
    assert_non_null(st);
    assert_string_not_equal(st->container_id, old_cid);
    botcall_free_status(st);
    assert_int_equal(containers_of(u->id, NULL), 1);
    char line[512];
    assert_true(botcall_log_line(u, "standin bot stopping on SIGTERM", line, sizeof line, WAIT_MS));
}

/* stopped: the container kept for its status (or gone), never running */
static void stopped(const Sath__V1__BotStatus *st, const char *user, const char *cid)
{
    (void)st;
    (void)cid;
    json_t *j;
    assert_true(containers_of(user, &j) <= 1);
    if (j) {
        assert_string_not_equal(json_string_value(container_status(j, "Status")), "running");
        json_decref(j);
    }
}

/* exits 7 each time: the orchestrator restarted it with growing delays, then gave up; no
 * container is left running */
static void failed(botuser *u, const Sath__V1__BotStatus *st)
{
    (void)st;
    json_t *j;
    assert_true(containers_of(u->id, &j) <= 1);
    if (j) {
        assert_int_equal(json_integer_value(container_status(j, "ExitCode")), 7);
        json_decref(j);
    }
}

/* exactly the one container, running; the container id itself is what proves it was
 * adopted rather than recreated */
static int alive(const char *user, const char *cid)
{
    json_t *labels, *j = inspect(user, cid, &labels);
    assert_string_equal(json_string_value(container_status(j, "Status")), "running");
    json_decref(j);
    return 1;
}

static const botscenario_backend docker_backend = {
    .name = "docker",
    .handle_len = 64,
    .wait_ms = WAIT_MS,
    .fail_ms = 60000,
    .inspect = inspect,
    .restarted = restarted,
    .stopped = stopped,
    .failed = failed,
    .alive = alive,
};

int main(int argc, char **argv)
{
    g_engine = argc > 1 ? argv[1] : "docker";
    const char *var = strcmp(g_engine, "podman") == 0 ? "SATH_TEST_PODMAN_HOST"
                                                      : "SATH_TEST_DOCKER_HOST";
    if (!(g_api = botscenario_engine(var, IMAGE, &g_host)))
        return 1;
    make_env();
    const botscenario_case normal = {&docker_backend, orch_env};
    const botscenario_case crashing = {&docker_backend, crash_env};
    const struct CMUnitTest tests[] = {
        BOTSCENARIO_TESTS(&normal, &crashing, "crash_backoff_failed"),
    };
    int rc = cmocka_run_group_tests_name(g_engine, tests, NULL, NULL);
    botscenario_engine_close(g_api);
    return rc;
}
