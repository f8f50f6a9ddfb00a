/*
 * torture_bots_swarm.c - the bot control plane end to end on the swarm backend: BotService
 * in a real sathd, a real sath-orchestrator with SATH_BOT_BACKEND=swarm, and real services
 * on the one-node swarm of tests/fixtures/engines.sh (SATH_TEST_SWARM_HOST).  The bot is
 * sath-bot-standin packed by scripts/bot-image.sh --program.
 *
 * The life-cycle scenarios are tests/bots/botscenario.c's, shared with the docker backend;
 * this file says what the engine must show at each step, and adds what only a swarm does.
 * Covered: start -> RUNNING with the service id and the node's host name, one service
 * labelled for the user and run, the token a secret (absent from the service's inspect),
 * logs through Redis; restart -> the same service ForceUpdated to the new run; stop ->
 * scaled to 0, STOPPED exit 0, no node; a crashing bot restarted by the ENGINE (several
 * tasks, counted as the bot's restarts) and FAILED with its exit code once the engine's
 * policy gives up; the orchestrator SIGKILLed -> the next one adopts the same service; a
 * constraint no node satisfies -> STARTING with the engine's reason.
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

static json_t *spec_get(json_t *service, const char *key)
{
    return json_object_get(json_object_get(service, "Spec"), key);
}

static json_t *inspect(const char *user, const char *sid, json_t **labels)
{
    assert_int_equal(services_of(user), 1);
    json_t *j = service_of(user);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "ID")), sid);
    *labels = spec_get(j, "Labels");
    return j;
}

/* placed on the node it reports; limited, hardened, restarted by the engine, the token a
 * secret; its task runs */
static void running_hardened(const Sath__V1__BotStatus *st, json_t *service)
{
    const char *sid = st->container_id;
    /* the node the engine placed the task on, by its host name */
    char host[256];
    node_hostname(host, sizeof host);
    assert_non_null(st->node);
    assert_string_equal(st->node, host);
    json_t *tt = spec_get(service, "TaskTemplate");
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
    int n_running;
    assert_true(tasks_of(sid, &n_running) >= 1);
    assert_int_equal(n_running, 1);
}

/* restart: the same service, ForceUpdated to the new run; the old task goes */
static void restarted(botuser *u, const char *old_run, const char *sid)
{
    /* (right after RestartBot the status names the new run while the orchestrator has not
     * acted yet: wait for the service itself to carry it) */
    char run2[37] = "";
    for (int waited = 0; waited < WAIT_MS && !*run2; waited += 200) {
        Sath__V1__BotStatus *st = botcall_wait_running(u, 25, old_run, NULL, WAIT_MS);
        assert_non_null(st);
        assert_string_equal(st->container_id, sid);
        json_t *j = service_of(u->id);
        const char *lab = json_string_value(json_object_get(spec_get(j, "Labels"), "sath.run"));
        if (lab && strcmp(lab, st->run_id) == 0)
            snprintf(run2, sizeof run2, "%s", lab);
        json_decref(j);
        botcall_free_status(st);
        if (!*run2)
            sleep_ms(200);
    }
    assert_true(*run2);
    assert_int_equal(services_of(u->id), 1);
    json_t *j = service_of(u->id);
    assert_true(json_integer_value(json_object_get(spec_get(j, "TaskTemplate"), "ForceUpdate")) >= 1);
    json_decref(j);
    int n_running = 0;
    for (int waited = 0; waited < WAIT_MS; waited += 200) {
        if (tasks_of(sid, &n_running) >= 2 && n_running == 1)
            break;
        sleep_ms(200);
    }
    assert_int_equal(n_running, 1);
}

/* stopped: scaled to 0 or removed, never running */
static void stopped(const Sath__V1__BotStatus *st, const char *user, const char *sid)
{
    assert_string_equal(st->node, ""); /* not running anywhere */
    json_t *j = service_of(user);
    if (j) {
        assert_int_equal(json_integer_value(json_object_get(
                             json_object_get(spec_get(j, "Mode"), "Replicated"), "Replicas")), 0);
        json_decref(j);
        int n_running;
        tasks_of(sid, &n_running);
        assert_int_equal(n_running, 0);
    }
}

/* exits 7 each time: the ENGINE restarted it (several tasks), and once its policy gave up
 * the bot is FAILED, not restarted again by the orchestrator */
static void failed(botuser *u, const Sath__V1__BotStatus *st)
{
    assert_non_null(strstr(st->message, "engine"));
    /* (the engine's restarts of the run count as the bot's: MaxAttempts 3, its tasks beyond
     * the first, at least two of which the orchestrator saw; botscenario asserts >= 2) */
    char sid[32];
    snprintf(sid, sizeof sid, "%s", st->container_id);
    json_t *j = service_of(u->id);
    if (j) {
        snprintf(sid, sizeof sid, "%s", json_string_value(json_object_get(j, "ID")));
        json_decref(j);
    }
    int n_running;
    if (*sid && j) {
        assert_true(tasks_of(sid, &n_running) >= 3); /* MaxAttempts 3: the engine retried */
        assert_int_equal(n_running, 0);
    }
}

/* exactly the one service, its one task running; the count of tasks is the generation
 * (a recreated bot would be a new task) */
static int alive(const char *user, const char *sid)
{
    json_t *labels, *j = inspect(user, sid, &labels);
    json_decref(j);
    int n_running, tasks = tasks_of(sid, &n_running);
    assert_int_equal(n_running, 1);
    return tasks;
}

static const botscenario_backend swarm_backend = {
    .name = "swarm",
    .handle_len = 25,
    .wait_ms = WAIT_MS,
    .fail_ms = 90000,
    .inspect = inspect,
    .running = running_hardened,
    .restarted = restarted,
    .stopped = stopped,
    .failed = failed,
    .alive = alive,
};

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

    botcall_free_status(botcall_stop_wait(&u, WAIT_MS));
    botuser_free(&u);
}

int main(void)
{
    if (!(g_api = botscenario_engine("SATH_TEST_SWARM_HOST", IMAGE, &g_host)))
        return 1;
    make_env();
    const botscenario_case normal = {&swarm_backend, orch_env};
    const botscenario_case crashing = {&swarm_backend, crash_env};
    const struct CMUnitTest tests[] = {
        BOTSCENARIO_TESTS(&normal, &crashing, "crash_engine_restarts"),
        cmocka_unit_test_prestate_setup_teardown(placement_unsatisfiable, botenv_setup,
                                                 botenv_teardown, (void *)placement_env),
    };
    int rc = cmocka_run_group_tests_name("swarm", tests, NULL, NULL);
    botscenario_engine_close(g_api);
    return rc;
}
