/*
 * botscenario.h - the bot life-cycle scenarios every container backend must pass, written
 * once and run against each engine (tests/docker/torture_bots_docker.c on dockerd and
 * podman, tests/swarm/torture_bots_swarm.c on a one-node swarm).
 *
 * A scenario drives BotService through a real sathd and sath-orchestrator (botenv) and
 * checks both what GetBotStatus says and what the ENGINE says.  The second part differs by
 * backend (a container vs a service and its tasks), so each torture file describes its
 * engine in a botscenario_backend and the scenarios call it at fixed points; everything
 * else (the calls, the run token's absence from inspect, the logs, the run ids, the
 * revoked tokens) is asserted here, the same for every backend.
 */
#ifndef SATH_TEST_BOTSCENARIO_H
#define SATH_TEST_BOTSCENARIO_H

#include <stddef.h>

#include <jansson.h>

#include "botcalls.h"
#include "botenv.h"

typedef struct botscenario_backend {
    const char *name;  /* GetBotStatus's backend: "docker", "swarm" */
    size_t handle_len; /* length of BotStatus.container_id: a container id, a service id */
    int wait_ms;       /* how long one step (start, restart, stop) may take on the engine */
    int fail_ms;       /* how long a bot crashing with code 7 may take to be FAILED */

    /* The engine's inspect of the user's one bot object (asserts there is exactly one,
     * with id `handle`); *labels points at its labels inside it.  Caller json_decref's. */
    json_t *(*inspect)(const char *user, const char *handle, json_t **labels);
    /* What only this backend promises of a bot just RUNNING (`st`, handle
     * st->container_id) and its inspect; may be NULL. */
    void (*running)(const Sath__V1__BotStatus *st, json_t *inspect);
    /* RestartBot answered a run other than old_run: waits until the engine runs that new
     * run and asserts how the old one was replaced (a new container / the same service
     * updated). */
    void (*restarted)(botuser *u, const char *old_run, const char *old_handle);
    /* STOPPED was reported (`st`): asserts nothing of the user's runs is left running on
     * the engine (handle: the bot's before the stop). */
    void (*stopped)(const Sath__V1__BotStatus *st, const char *user, const char *handle);
    /* FAILED with exit code 7 (`st`): asserts the engine's side of the crashes. */
    void (*failed)(botuser *u, const Sath__V1__BotStatus *st);
    /* Asserts the user has exactly one bot object, `handle`, and that it is running;
     * returns a generation the scenarios compare to prove nothing was recreated (the
     * count of tasks, or of containers). */
    int (*alive)(const char *user, const char *handle);
} botscenario_backend;

/* The Engine API client of server/bots (docker_api.h), which the backends' hooks use. */
typedef struct sathd_docker sathd_docker;

/* The engine a backend's scenarios run on: its address from the environment variable
 * `host_var` (ctest sets it from tests/fixtures/engines.sh), sath-bot-standin packed into
 * `image` there (botcall_engine_image) and an Engine API client on it; *host is the
 * address.  NULL after saying on stderr what is missing.  botscenario_engine_close ends
 * it (and libcurl) after the tests. */
sathd_docker *botscenario_engine(const char *host_var, const char *image, const char **host);
void botscenario_engine_close(sathd_docker *api);

/* One scenario's prestate: the backend and the orchestrator's extra environment (a
 * NULL-terminated "K=V" list, kept for the orchestrator's restarts). */
typedef struct botscenario_case {
    const botscenario_backend *be;
    const char *const *orch_env;
} botscenario_case;

/* The state a scenario gets: its case and the started botenv. */
typedef struct botscenario {
    const botscenario_backend *be;
    botenv *env;
} botscenario;

/* cmocka fixtures: *state holds a botscenario_case on entry and a botscenario after. */
int botscenario_setup(void **state);
int botscenario_teardown(void **state);

/* start -> RUNNING (backend, handle, labels, no token in inspect, the token read by the
 * bot), logs shipped, restart -> a new run replacing the old one, stop -> STOPPED exit 0,
 * every token revoked. */
void botscenario_lifecycle(void **state);
/* A bot exiting 7 each time (the case's environment makes it crash) is restarted at least
 * twice, ends FAILED with code 7, stays FAILED, and its last words reached the logs. */
void botscenario_crash_failed(void **state);
/* SIGKILL the orchestrator while a bot runs: the bot keeps running; the next orchestrator
 * adopts the same run and object, never a second one, and logs keep flowing. */
void botscenario_orchestrator_killed(void **state);

/* A cmocka test of scenario `fn` named `name` with case `cs` (a botscenario_case *). */
#define BOTSCENARIO_TEST(name, fn, cs) \
    { name, fn, botscenario_setup, botscenario_teardown, (void *)(cs) }
/* Every scenario, for a backend's test list: a scenario added above runs on every backend.
 * `normal` and `crashing` are botscenario_case pointers (the second's bot exits 7);
 * crash_name names the crash test after what the backend does about it. */
#define BOTSCENARIO_TESTS(normal, crashing, crash_name)                               \
    BOTSCENARIO_TEST("lifecycle", botscenario_lifecycle, normal),                     \
        BOTSCENARIO_TEST(crash_name, botscenario_crash_failed, crashing),             \
        BOTSCENARIO_TEST("orchestrator_killed_readopts", botscenario_orchestrator_killed, normal)

#endif
