/*
 * torture_bots_docker.c - the bot control plane end to end on the docker backend:
 * BotService in a real sathd, a real sath-orchestrator with SATH_BOT_BACKEND=docker, and
 * real containers on the engine named by argv[1] ("docker": the private dockerd of
 * tests/fixtures/engines.sh, "podman": its podman service).  The bot is
 * sath-bot-standin, packed into an image by scripts/bot-image.sh --program (the binary and
 * the libraries ldd finds; no registry), so the image path operators use is the one tested.
 *
 * Covered: config -> start -> RUNNING with a container id, logs shipped through Redis, the
 * run token read by the bot from its file and absent from `docker inspect`, restart -> a
 * new container replaces the old one (never two), stop -> STOPPED with exit 0, token
 * revoked; a crashing bot restarted with backoff and then FAILED with its exit code; the
 * orchestrator SIGKILLed while a bot runs -> restarted -> the same container adopted,
 * none duplicated.
 */
#include <setjmp.h>
#include <signal.h>
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

#include "botcalls.h"
#include "botenv.h"
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

/* RUNNING with a container id, in a run other than `not_run` and a container other than
 * `not_cid` (NULL: any), within WAIT_MS.  (Right after a restart the status may already
 * name the new run while the old container is still being replaced.) */
static Sath__V1__BotStatus *wait_running_run(botuser *u, const char *not_run, const char *not_cid)
{
    return botcall_wait_running(u, 64, not_run, not_cid, WAIT_MS);
}

static void lifecycle(void **state)
{
    botenv *e = *state;
    botuser u;
    botcall_new_started_user(e, &u);
    Sath__V1__BotStatus *st = wait_running_run(&u, NULL, NULL);
    assert_non_null(st);
    assert_string_equal(st->backend, "docker");
    char run1[37], cid1[65];
    snprintf(run1, sizeof run1, "%s", st->run_id);
    snprintf(cid1, sizeof cid1, "%s", st->container_id);
    botcall_free_status(st);

    /* the engine has exactly that container, labelled for the user and the run */
    json_t *j;
    assert_int_equal(containers_of(u.id, &j), 1);
    assert_string_equal(json_string_value(json_object_get(j, "Id")), cid1);
    json_t *labels = json_object_get(json_object_get(j, "Config"), "Labels");
    assert_string_equal(json_string_value(json_object_get(labels, "sath.run")), run1);
    assert_string_equal(json_string_value(json_object_get(labels, "sath.mode")), "paper");
    char *all = json_dumps(j, JSON_COMPACT);
    assert_null(strstr(all, "sathrt_")); /* no run token anywhere in inspect */
    assert_non_null(strstr(all, "SATH_RUN_TOKEN_FILE=/run/secrets/sath_run_token"));
    free(all);
    json_decref(j);

    /* the bot read its token (it logs only the length), and its lines reached sathd */
    char line[512];
    assert_true(botcall_log_line(&u, "standin bot started", line, sizeof line, WAIT_MS));
    assert_non_null(strstr(line, run1));
    assert_null(strstr(line, "\"token_bytes\":0"));
    assert_non_null(strstr(line, "\"token_bytes\":"));
    assert_true(botcall_log_line(&u, "tick 1", line, sizeof line, WAIT_MS));

    /* restart: a new run in a new container, the old one gone */
    st = botcall(&u, "restart");
    assert_string_not_equal(st->run_id, run1);
    botcall_free_status(st);
    st = wait_running_run(&u, run1, cid1);
    assert_non_null(st);
    assert_string_not_equal(st->container_id, cid1);
    botcall_free_status(st);
    assert_int_equal(containers_of(u.id, NULL), 1);
    assert_true(botcall_log_line(&u, "standin bot stopping on SIGTERM", line, sizeof line, WAIT_MS));

    /* stop: STOPPED, exit 0, the container kept for its status, tokens revoked */
    botcall_free_status(botcall(&u, "stop"));
    st = botuser_wait(&u, SATH__V1__BOT_STATE__BOT_STATE_STOPPED, WAIT_MS);
    assert_non_null(st);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_STOPPED);
    assert_int_equal(st->last_exit_code, 0);
    botcall_free_status(st);
    assert_true(containers_of(u.id, &j) <= 1);
    if (j) {
        const char *status = json_string_value(json_object_get(json_object_get(j, "State"), "Status"));
        assert_string_not_equal(status, "running");
        json_decref(j);
    }
    botcall_assert_runs_ended(e, u.id);
    botuser_free(&u);
}

/* exits 7 each time: restarted with growing delays, FAILED after the limit. */
static void crash_backoff_failed(void **state)
{
    botuser u;
    botcall_new_started_user(*state, &u);
    Sath__V1__BotStatus *st = botcall_wait_failed(&u, 7, 60000);
    assert_true(st->restarts >= 2);
    botcall_free_status(st);
    sleep_ms(1000); /* FAILED stays FAILED, and no container is left running */
    st = botuser_status(&u);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_FAILED);
    botcall_free_status(st);
    json_t *j;
    assert_true(containers_of(u.id, &j) <= 1);
    if (j) {
        assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "State"), "ExitCode")),
                         7);
        json_decref(j);
    }
    char line[512];
    assert_true(botcall_log_line(&u, "crashing with code 7", line, sizeof line, 5000));
    botuser_free(&u);
}

/* SIGKILL the orchestrator while the bot runs: the bot keeps running; the next
 * orchestrator adopts the same container, never a second one. */
static void orchestrator_killed_readopts(void **state)
{
    botenv *e = *state;
    botuser u;
    botcall_new_started_user(e, &u);
    Sath__V1__BotStatus *st = wait_running_run(&u, NULL, NULL);
    assert_non_null(st);
    char run[37], cid[65];
    snprintf(run, sizeof run, "%s", st->run_id);
    snprintf(cid, sizeof cid, "%s", st->container_id);
    botcall_free_status(st);

    botenv_orch_kill(e, SIGKILL);
    sleep_ms(1000);
    json_t *j;
    assert_int_equal(containers_of(u.id, &j), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "State"), "Status")), "running");
    json_decref(j);

    assert_int_equal(botenv_orch_start(e), 0);
    sleep_ms(2000); /* several polls */
    st = botuser_wait(&u, SATH__V1__BOT_STATE__BOT_STATE_RUNNING, WAIT_MS);
    assert_non_null(st);
    assert_string_equal(st->run_id, run);
    assert_string_equal(st->container_id, cid);
    botcall_free_status(st);
    assert_int_equal(containers_of(u.id, &j), 1);
    assert_string_equal(json_string_value(json_object_get(j, "Id")), cid);
    json_decref(j);
    char line[512];
    assert_true(botcall_log_line(&u, "tick 5", line, sizeof line, WAIT_MS)); /* still shipping */

    botcall_free_status(botcall(&u, "stop"));
    st = botuser_wait(&u, SATH__V1__BOT_STATE__BOT_STATE_STOPPED, WAIT_MS);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_STOPPED);
    botcall_free_status(st);
    botuser_free(&u);
}

int main(int argc, char **argv)
{
    g_engine = argc > 1 ? argv[1] : "docker";
    const char *var = strcmp(g_engine, "podman") == 0 ? "SATH_TEST_PODMAN_HOST"
                                                      : "SATH_TEST_DOCKER_HOST";
    if (!(g_host = botcall_engine_image(var, IMAGE)))
        return 1;
    char err[256];
    if (sathd_docker_open(g_host, &g_api, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", g_host, err);
        return 1;
    }
    make_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(lifecycle, botenv_setup, botenv_teardown, (void *)orch_env),
        cmocka_unit_test_prestate_setup_teardown(crash_backoff_failed, botenv_setup, botenv_teardown,
                                                 (void *)crash_env),
        cmocka_unit_test_prestate_setup_teardown(orchestrator_killed_readopts, botenv_setup, botenv_teardown,
                                                 (void *)orch_env),
    };
    int rc = cmocka_run_group_tests_name(g_engine, tests, NULL, NULL);
    sathd_docker_close(g_api);
    curl_global_cleanup();
    return rc;
}
