/*
 * botscenario.c - the container backends' shared life-cycle scenarios (botscenario.h).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <curl/curl.h>

#include "botscenario.h"
#include "docker_api.h"

sathd_docker *botscenario_engine(const char *host_var, const char *image, const char **host)
{
    if (!(*host = botcall_engine_image(host_var, image)))
        return NULL;
    sathd_docker *api = NULL;
    char err[256];
    if (sathd_docker_open(*host, &api, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", *host, err);
        return NULL;
    }
    return api;
}

void botscenario_engine_close(sathd_docker *api)
{
    sathd_docker_close(api);
    curl_global_cleanup();
}

int botscenario_setup(void **state)
{
    const botscenario_case *cs = *state;
    botscenario *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    void *env = (void *)cs->orch_env;
    if (botenv_setup(&env) != 0) {
        free(s);
        return -1;
    }
    s->be = cs->be;
    s->env = env;
    *state = s;
    return 0;
}

int botscenario_teardown(void **state)
{
    botscenario *s = *state;
    void *env = s->env;
    botenv_teardown(&env);
    free(s);
    return 0;
}

/* A new user whose bot runs on the engine: its run id and handle copied out, and its
 * status (caller frees). */
static Sath__V1__BotStatus *new_running_bot(botscenario *s, botuser *u, char run[37],
                                            char handle[65])
{
    const botscenario_backend *be = s->be;
    botcall_new_started_user(s->env, u);
    Sath__V1__BotStatus *st = botcall_wait_running(u, be->handle_len, NULL, NULL, be->wait_ms);
    assert_non_null(st);
    assert_string_equal(st->backend, be->name);
    snprintf(run, 37, "%s", st->run_id);
    snprintf(handle, 65, "%s", st->container_id);
    return st;
}

static const char *label(json_t *labels, const char *key)
{
    return json_string_value(json_object_get(labels, key));
}

void botscenario_lifecycle(void **state)
{
    botscenario *s = *state;
    const botscenario_backend *be = s->be;
    botuser u;
    char run1[37], handle1[65];
    Sath__V1__BotStatus *st = new_running_bot(s, &u, run1, handle1);

    /* the engine has exactly that bot, labelled for the user and the run; the run token is
     * nowhere in its inspect, only the path of the file the bot reads it from */
    json_t *labels = NULL;
    json_t *j = be->inspect(u.id, handle1, &labels);
    assert_string_equal(label(labels, "sath.user"), u.id);
    assert_string_equal(label(labels, "sath.run"), run1);
    assert_string_equal(label(labels, "sath.mode"), "paper");
    char *all = json_dumps(j, JSON_COMPACT);
    assert_null(strstr(all, "sathrt_"));
    assert_non_null(strstr(all, "SATH_RUN_TOKEN_FILE=/run/secrets/sath_run_token"));
    free(all);
    if (be->running)
        be->running(st, j);
    json_decref(j);
    botcall_free_status(st);

    /* the bot read its token (it logs only the length), and its lines reached sathd */
    char line[512];
    assert_true(botcall_log_line(&u, "standin bot started", line, sizeof line, be->wait_ms));
    assert_non_null(strstr(line, run1));
    assert_null(strstr(line, "\"token_bytes\":0"));
    assert_non_null(strstr(line, "\"token_bytes\":"));
    assert_true(botcall_log_line(&u, "tick 1", line, sizeof line, be->wait_ms));

    /* restart: a new run, which the engine then runs in place of the old one */
    st = botcall(&u, "restart");
    assert_string_not_equal(st->run_id, run1);
    botcall_free_status(st);
    be->restarted(&u, run1, handle1);

    /* stop: STOPPED with exit 0 (the stand-in's answer to SIGTERM), tokens revoked */
    st = botcall_stop_wait(&u, be->wait_ms);
    assert_int_equal(st->last_exit_code, 0);
    assert_int_equal(st->restarts, 0); /* it never crashed */
    be->stopped(st, u.id, handle1);
    botcall_free_status(st);
    botcall_assert_runs_ended(s->env, u.id);
    botuser_free(&u);
}

void botscenario_crash_failed(void **state)
{
    botscenario *s = *state;
    botuser u;
    botcall_new_started_user(s->env, &u);
    Sath__V1__BotStatus *failed = botcall_wait_failed(&u, 7, s->be->fail_ms);
    /* restarted at least twice before it was given up, whoever restarts it (the
     * orchestrator with backoff, or a swarm's engine) */
    assert_true(failed->restarts >= 2);
    sleep_ms(1000); /* FAILED stays FAILED: nobody starts the bot again */
    Sath__V1__BotStatus *st = botuser_status(&u);
    assert_non_null(st);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_FAILED);
    botcall_free_status(st);
    s->be->failed(&u, failed);
    botcall_free_status(failed);
    char line[512];
    assert_true(botcall_log_line(&u, "crashing with code 7", line, sizeof line, 5000));
    botuser_free(&u);
}

void botscenario_orchestrator_killed(void **state)
{
    botscenario *s = *state;
    const botscenario_backend *be = s->be;
    botuser u;
    char run[37], handle[65];
    botcall_free_status(new_running_bot(s, &u, run, handle));
    int generation = be->alive(u.id, handle);

    botenv_orch_kill(s->env, SIGKILL);
    sleep_ms(1000);
    assert_int_equal(be->alive(u.id, handle), generation); /* runs on, unwatched */

    assert_int_equal(botenv_orch_start(s->env), 0);
    sleep_ms(2000); /* several polls */
    Sath__V1__BotStatus *st = botuser_wait(&u, SATH__V1__BOT_STATE__BOT_STATE_RUNNING, be->wait_ms);
    assert_non_null(st);
    assert_string_equal(st->run_id, run);
    assert_string_equal(st->container_id, handle);
    botcall_free_status(st);
    assert_int_equal(be->alive(u.id, handle), generation); /* adopted: nothing recreated */
    char line[512];
    assert_true(botcall_log_line(&u, "tick 5", line, sizeof line, be->wait_ms)); /* still shipping */

    botcall_free_status(botcall_stop_wait(&u, be->wait_ms));
    botuser_free(&u);
}
