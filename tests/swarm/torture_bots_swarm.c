/*
 * torture_bots_swarm.c - the bot control plane end to end on the swarm backend: BotService
 * in a real sathd, a real sath-orchestrator with SATH_BOT_BACKEND=swarm, and real services
 * on the one-node swarm of tests/fixtures/engines.sh (SATH_TEST_SWARM_HOST).  The bot is
 * sath-bot-standin packed by scripts/bot-image.sh --program.
 *
 * Covered: start -> RUNNING with the service id and the node's host name, one service
 * labelled for the user and run, the token a secret (absent from the service's inspect),
 * logs through Redis; restart -> the same service ForceUpdated to the new run; stop ->
 * scaled to 0, STOPPED exit 0, no node; a crashing bot restarted by the ENGINE (several
 * tasks, counted as the bot's restarts) and FAILED with its exit code once the engine's
 * policy gives up; the orchestrator SIGKILLed -> the next one adopts the same service; a
 * constraint no node satisfies -> STARTING with the engine's reason.
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

#define WAIT_MS 40000
#define IMAGE "sath-standin:test"

static const char *g_host;
static sathd_docker *g_api;
static char g_env_host[300];
static const char *orch_env[12], *crash_env[12], *placement_env[12];

static void make_env(void)
{
    snprintf(g_env_host, sizeof g_env_host, "SATH_DOCKER_HOST=%s", g_host);
    const char *common[] = {"SATH_BOT_BACKEND=swarm", g_env_host, "SATH_BOT_IMAGE=" IMAGE,
                            "SATH_BOT_NETWORK=host", "SATH_BOT_PIDS_LIMIT=64",
                            "SATH_BOT_MEMORY_BYTES=67108864", "SATH_BOT_STOP_GRACE_S=5"};
    for (int i = 0; i < 7; i++)
        orch_env[i] = crash_env[i] = placement_env[i] = common[i];
    crash_env[7] = "SATH_BOT_ARGS=--crash-after-ms 150 --exit-code 7";
    crash_env[8] = "SATH_BOT_RESTART_MAX=3";
    crash_env[9] = "SATH_BOT_BACKOFF_BASE_MS=200";
    placement_env[7] = "SATH_SWARM_CONSTRAINTS=node.labels.sath_no_such_label==true";
}

/* GET /services/bot_user_<user> (NULL when absent; caller json_decref's). */
static json_t *service_of(const char *user)
{
    char path[160], err[256];
    snprintf(path, sizeof path, "/services/bot_user_%s", user);
    json_t *j = NULL;
    int st = sathd_docker_json(g_api, "GET", path, NULL, 0, &j, err, sizeof err);
    if (st != 200) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Services of ours for the user, by label. */
static int services_of(const char *user)
{
    char path[256], err[256];
    snprintf(path, sizeof path,
             "/services?filters=%%7B%%22label%%22%%3A%%5B%%22sath.user%%3D%s%%22%%5D%%7D", user);
    json_t *list = NULL;
    assert_int_equal(sathd_docker_json(g_api, "GET", path, NULL, 0, &list, err, sizeof err), 200);
    int n = (int)json_array_size(list);
    json_decref(list);
    return n;
}

/* Tasks the engine made for the service, and how many of them are running. */
static int tasks_of(const char *service_id, int *running)
{
    char path[200], err[256];
    snprintf(path, sizeof path, "/tasks?filters=%%7B%%22service%%22%%3A%%5B%%22%s%%22%%5D%%7D",
             service_id);
    json_t *list = NULL;
    assert_int_equal(sathd_docker_json(g_api, "GET", path, NULL, 0, &list, err, sizeof err), 200);
    size_t i;
    json_t *t;
    *running = 0;
    json_array_foreach(list, i, t) {
        const char *s = json_string_value(json_object_get(json_object_get(t, "Status"), "State"));
        *running += s && strcmp(s, "running") == 0;
    }
    int n = (int)json_array_size(list);
    json_decref(list);
    return n;
}

/* Host name of the swarm's one node, as the engine knows it (GET /nodes). */
static void node_hostname(char *out, size_t len)
{
    char err[256];
    json_t *list = NULL;
    assert_int_equal(sathd_docker_json(g_api, "GET", "/nodes", NULL, 0, &list, err, sizeof err), 200);
    assert_int_equal(json_array_size(list), 1);
    const char *h = json_string_value(
        json_object_get(json_object_get(json_array_get(list, 0), "Description"), "Hostname"));
    assert_non_null(h);
    assert_true(*h);
    snprintf(out, len, "%s", h);
    json_decref(list);
}

static Sath__V1__BotStatus *wait_running_run(botuser *u, const char *not_run)
{
    return botcall_wait_running(u, 25, not_run, NULL, WAIT_MS);
}

static void lifecycle(void **state)
{
    botenv *e = *state;
    botuser u;
    botcall_new_started_user(e, &u);
    Sath__V1__BotStatus *st = wait_running_run(&u, NULL);
    assert_non_null(st);
    assert_string_equal(st->backend, "swarm");
    /* the node the engine placed the task on, by its host name */
    char host[256];
    node_hostname(host, sizeof host);
    assert_non_null(st->node);
    assert_string_equal(st->node, host);
    char run1[37], sid[32];
    snprintf(run1, sizeof run1, "%s", st->run_id);
    snprintf(sid, sizeof sid, "%s", st->container_id);
    botcall_free_status(st);

    /* exactly that service, labelled, limited, hardened, the token a secret */
    assert_int_equal(services_of(u.id), 1);
    json_t *j = service_of(u.id);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "ID")), sid);
    json_t *spec = json_object_get(j, "Spec");
    json_t *labels = json_object_get(spec, "Labels");
    assert_string_equal(json_string_value(json_object_get(labels, "sath.run")), run1);
    assert_string_equal(json_string_value(json_object_get(labels, "sath.mode")), "paper");
    json_t *tt = json_object_get(spec, "TaskTemplate");
    json_t *cs = json_object_get(tt, "ContainerSpec");
    assert_true(json_is_true(json_object_get(cs, "ReadOnly")));
    assert_string_equal(json_string_value(json_array_get(json_object_get(cs, "CapabilityDrop"), 0)),
                        "ALL");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(tt, "Resources"), "Limits"), "MemoryBytes")),
                     67108864);
    assert_string_equal(json_string_value(json_object_get(json_object_get(tt, "RestartPolicy"),
                                                          "Condition")),
                        "on-failure");
    assert_int_equal(json_array_size(json_object_get(cs, "Secrets")), 1);
    char *all = json_dumps(j, JSON_COMPACT);
    assert_null(strstr(all, "sathrt_"));
    assert_non_null(strstr(all, "SATH_RUN_TOKEN_FILE=/run/secrets/sath_run_token"));
    free(all);
    json_decref(j);

    /* the task runs; the bot read its token from the secret; its lines reached sathd */
    int running;
    assert_true(tasks_of(sid, &running) >= 1);
    assert_int_equal(running, 1);
    char line[512];
    assert_true(botcall_log_line(&u, "standin bot started", line, sizeof line, WAIT_MS));
    assert_non_null(strstr(line, run1));
    assert_null(strstr(line, "\"token_bytes\":0"));
    assert_true(botcall_log_line(&u, "tick 1", line, sizeof line, WAIT_MS));

    /* restart: the same service, ForceUpdated to the new run */
    st = botcall(&u, "restart");
    assert_string_not_equal(st->run_id, run1);
    botcall_free_status(st);
    /* (right after RestartBot the status names the new run while the orchestrator has not
     * acted yet: wait for the service itself to carry it) */
    char run2[37] = "";
    for (int waited = 0; waited < WAIT_MS && !*run2; waited += 200) {
        st = wait_running_run(&u, run1);
        assert_non_null(st);
        assert_string_equal(st->container_id, sid);
        j = service_of(u.id);
        const char *lab = json_string_value(json_object_get(
            json_object_get(json_object_get(j, "Spec"), "Labels"), "sath.run"));
        if (lab && strcmp(lab, st->run_id) == 0)
            snprintf(run2, sizeof run2, "%s", lab);
        json_decref(j);
        botcall_free_status(st);
        if (!*run2)
            sleep_ms(200);
    }
    assert_true(*run2);
    assert_int_equal(services_of(u.id), 1);
    j = service_of(u.id);
    assert_true(json_integer_value(json_object_get(
                    json_object_get(json_object_get(j, "Spec"), "TaskTemplate"), "ForceUpdate")) >= 1);
    json_decref(j);
    for (int waited = 0; waited < WAIT_MS; waited += 200) { /* the old task goes */
        if (tasks_of(sid, &running) >= 2 && running == 1)
            break;
        sleep_ms(200);
    }
    assert_int_equal(running, 1);

    /* stop: scaled to 0, STOPPED with exit 0, tokens revoked */
    botcall_free_status(botcall(&u, "stop"));
    st = botuser_wait(&u, SATH__V1__BOT_STATE__BOT_STATE_STOPPED, WAIT_MS);
    assert_non_null(st);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_STOPPED);
    assert_int_equal(st->last_exit_code, 0);
    assert_string_equal(st->node, ""); /* not running anywhere */
    assert_int_equal(st->restarts, 0);  /* it never crashed */
    botcall_free_status(st);
    j = service_of(u.id);
    if (j) { /* kept at 0 or removed: never running */
        assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(
                             json_object_get(j, "Spec"), "Mode"), "Replicated"), "Replicas")), 0);
        json_decref(j);
        tasks_of(sid, &running);
        assert_int_equal(running, 0);
    }
    botcall_assert_runs_ended(e, u.id);
    botuser_free(&u);
}

/* exits 7 each time: the ENGINE restarts it (several tasks), and once its policy gives up
 * the bot is FAILED with the exit code, not restarted again by the orchestrator. */
static void crash_engine_restarts(void **state)
{
    botuser u;
    botcall_new_started_user(*state, &u);
    Sath__V1__BotStatus *st = botcall_wait_failed(&u, 7, 90000);
    assert_non_null(strstr(st->message, "engine"));
    /* the engine's restarts of the run are the bot's restarts (MaxAttempts 3: its tasks
     * beyond the first, at least two of which the orchestrator saw) */
    assert_true(st->restarts >= 2);
    char sid[32];
    snprintf(sid, sizeof sid, "%s", st->container_id);
    botcall_free_status(st);
    json_t *j = service_of(u.id);
    if (j) {
        snprintf(sid, sizeof sid, "%s", json_string_value(json_object_get(j, "ID")));
        json_decref(j);
    }
    int running;
    if (*sid && j) {
        assert_true(tasks_of(sid, &running) >= 3); /* MaxAttempts 3: the engine retried */
        assert_int_equal(running, 0);
    }
    char line[512];
    assert_true(botcall_log_line(&u, "crashing with code 7", line, sizeof line, 5000));
    botuser_free(&u);
}

static void orchestrator_killed_readopts(void **state)
{
    botenv *e = *state;
    botuser u;
    botcall_new_started_user(e, &u);
    Sath__V1__BotStatus *st = wait_running_run(&u, NULL);
    assert_non_null(st);
    char run[37], sid[32];
    snprintf(run, sizeof run, "%s", st->run_id);
    snprintf(sid, sizeof sid, "%s", st->container_id);
    botcall_free_status(st);
    int running, tasks = tasks_of(sid, &running);

    botenv_orch_kill(e, SIGKILL);
    sleep_ms(1000);
    assert_int_equal(services_of(u.id), 1);
    tasks_of(sid, &running);
    assert_int_equal(running, 1);

    assert_int_equal(botenv_orch_start(e), 0);
    sleep_ms(2000);
    st = botuser_wait(&u, SATH__V1__BOT_STATE__BOT_STATE_RUNNING, WAIT_MS);
    assert_non_null(st);
    assert_string_equal(st->run_id, run);
    assert_string_equal(st->container_id, sid);
    botcall_free_status(st);
    assert_int_equal(services_of(u.id), 1);
    assert_int_equal(tasks_of(sid, &running), tasks); /* the same task: nothing recreated */
    assert_int_equal(running, 1);
    char line[512];
    assert_true(botcall_log_line(&u, "tick 5", line, sizeof line, WAIT_MS));

    botcall_free_status(botcall(&u, "stop"));
    st = botuser_wait(&u, SATH__V1__BOT_STATE__BOT_STATE_STOPPED, WAIT_MS);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_STOPPED);
    botcall_free_status(st);
    botuser_free(&u);
}

/* A constraint no node satisfies: the service exists, its task stays pending, and
 * GetBotStatus says STARTING with the engine's reason; stop still works. */
static void placement_unsatisfiable(void **state)
{
    botuser u;
    botcall_new_started_user(*state, &u);
    Sath__V1__BotStatus *st = NULL;
    int seen = 0;
    for (int waited = 0; waited < WAIT_MS && !seen; waited += 200) {
        botcall_free_status(st);
        st = botuser_status(&u);
        seen = st && st->state == SATH__V1__BOT_STATE__BOT_STATE_STARTING && st->message &&
               strstr(st->message, "no suitable node");
        if (!seen)
            sleep_ms(200);
    }
    if (!seen && st)
        print_error("state %d message %s\n", (int)st->state, st->message);
    assert_true(seen);
    assert_non_null(strstr(st->message, "pending"));
    botcall_free_status(st);
    sleep_ms(2000); /* still pending, never recreated */
    st = botuser_status(&u);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_STARTING);
    botcall_free_status(st);
    assert_int_equal(services_of(u.id), 1);

    botcall_free_status(botcall(&u, "stop"));
    st = botuser_wait(&u, SATH__V1__BOT_STATE__BOT_STATE_STOPPED, WAIT_MS);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_STOPPED);
    botcall_free_status(st);
    botuser_free(&u);
}

int main(void)
{
    if (!(g_host = botcall_engine_image("SATH_TEST_SWARM_HOST", IMAGE)))
        return 1;
    char err[256];
    if (sathd_docker_open(g_host, &g_api, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", g_host, err);
        return 1;
    }
    make_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(lifecycle, botenv_setup, botenv_teardown, (void *)orch_env),
        cmocka_unit_test_prestate_setup_teardown(crash_engine_restarts, botenv_setup, botenv_teardown,
                                                 (void *)crash_env),
        cmocka_unit_test_prestate_setup_teardown(orchestrator_killed_readopts, botenv_setup,
                                                 botenv_teardown, (void *)orch_env),
        cmocka_unit_test_prestate_setup_teardown(placement_unsatisfiable, botenv_setup,
                                                 botenv_teardown, (void *)placement_env),
    };
    int rc = cmocka_run_group_tests_name("swarm", tests, NULL, NULL);
    sathd_docker_close(g_api);
    curl_global_cleanup();
    return rc;
}
