/*
 * botcalls.c - BotService calls shared by the container-backend end-to-end tests (see
 * botcalls.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "botcalls.h"

void botcall_free_status(Sath__V1__BotStatus *st)
{
    if (st)
        sath__v1__bot_status__free_unpacked(st, NULL);
}

Sath__V1__BotStatus *botcall(botuser *u, const char *what)
{
    Sath__V1__BotStatus *st = NULL;
    int rc;
    if (strcmp(what, "start") == 0) {
        Sath__V1__StartBotRequest req = SATH__V1__START_BOT_REQUEST__INIT;
        rc = sath_bot_start_bot(u->c, &req, &st, NULL);
    } else if (strcmp(what, "stop") == 0) {
        Sath__V1__StopBotRequest req = SATH__V1__STOP_BOT_REQUEST__INIT;
        rc = sath_bot_stop_bot(u->c, &req, &st, NULL);
    } else {
        Sath__V1__RestartBotRequest req = SATH__V1__RESTART_BOT_REQUEST__INIT;
        rc = sath_bot_restart_bot(u->c, &req, &st, NULL);
    }
    assert_int_equal(rc, SATH_OK);
    assert_non_null(st);
    return st;
}

/* A new user with a valid paper config whose bot was asked to start. */
void botcall_new_started_user(botenv *e, botuser *u)
{
    assert_int_equal(botuser_new(e, u), 0);
    assert_int_equal(botuser_config(u, 1, 50000, 0), SATH_OK);
    botcall_free_status(botcall(u, "start"));
}

Sath__V1__BotStatus *botcall_new_running_user(botenv *e, botuser *u, int timeout_ms)
{
    botcall_new_started_user(e, u);
    Sath__V1__BotStatus *st = botuser_wait(u, SATH__V1__BOT_STATE__BOT_STATE_RUNNING, timeout_ms);
    assert_non_null(st);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_RUNNING);
    return st;
}

Sath__V1__BotStatus *botcall_stop_wait(botuser *u, int timeout_ms)
{
    botcall_free_status(botcall(u, "stop"));
    Sath__V1__BotStatus *st = botuser_wait(u, SATH__V1__BOT_STATE__BOT_STATE_STOPPED, timeout_ms);
    assert_non_null(st);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_STOPPED);
    return st;
}

Sath__V1__GetBotLogsResponse *botcall_logs(botuser *u, int tail, int64_t since_ms)
{
    Sath__V1__GetBotLogsRequest req = SATH__V1__GET_BOT_LOGS_REQUEST__INIT;
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    req.tail = tail;
    if (since_ms) {
        ts.seconds = since_ms / 1000;
        ts.nanos = (int32_t)(since_ms % 1000) * 1000000;
        req.since = &ts;
    }
    Sath__V1__GetBotLogsResponse *r = NULL;
    return sath_bot_get_bot_logs(u->c, &req, &r, NULL) == SATH_OK ? r : NULL;
}

/* The first log line containing `text` (copied into out), waiting up to timeout_ms. */
int botcall_log_line(botuser *u, const char *text, char *out, size_t outlen, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 100) {
        Sath__V1__GetBotLogsResponse *r = botcall_logs(u, 5000, 0);
        int found = 0;
        for (size_t i = 0; r && i < r->n_lines && !found; i++) {
            if (strstr(r->lines[i]->text, text)) {
                if (out)
                    snprintf(out, outlen, "%s", r->lines[i]->text);
                found = 1;
            }
        }
        if (r)
            sath__v1__get_bot_logs_response__free_unpacked(r, NULL);
        if (found)
            return 1;
        sleep_ms(100);
    }
    return 0;
}

const char *botcall_engine_image(const char *host_var, const char *image)
{
    const char *host = getenv(host_var);
    const char *standin = getenv("SATH_BOT_STANDIN"), *script = getenv("SATH_BOT_IMAGE_SCRIPT");
    if (!host || !*host || !standin || !script) {
        fprintf(stderr, "%s (tests/fixtures/engines.sh), SATH_BOT_STANDIN and "
                        "SATH_BOT_IMAGE_SCRIPT are required (run through ctest)\n", host_var);
        return NULL;
    }
    /* the stand-in bot as an image, the way operators build sath-bot's */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "SATH_DOCKER_HOST='%s' SATH_BOT_IMAGE=%s '%s' --program '%s' >&2",
             host, image, script, standin);
    if (system(cmd) != 0) {
        fprintf(stderr, "building the stand-in image failed\n");
        return NULL;
    }
    return curl_global_init(CURL_GLOBAL_DEFAULT) == 0 ? host : NULL;
}

void botcall_assert_runs_ended(botenv *e, const char *user_id)
{
    char *live = sathd_proc_sql(&e->sathd, "SELECT count(*) FROM bot_runs WHERE user_id = $1 "
                                            "AND (token_hash IS NOT NULL OR ended_at IS NULL)",
                                user_id);
    assert_string_equal(live, "0");
    free(live);
}

Sath__V1__BotStatus *botcall_wait_running(botuser *u, size_t handle_len, const char *not_run,
                                          const char *not_handle, int timeout_ms)
{
    Sath__V1__BotStatus *st = NULL;
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        botcall_free_status(st);
        st = botuser_status(u);
        if (st && st->state == SATH__V1__BOT_STATE__BOT_STATE_RUNNING &&
            (!not_run || strcmp(st->run_id, not_run) != 0) && st->container_id &&
            strlen(st->container_id) == handle_len &&
            (!not_handle || strcmp(st->container_id, not_handle) != 0))
            return st;
        sleep_ms(100);
    }
    if (st)
        print_error("never RUNNING: state %d run %s handle %s message %s\n", (int)st->state,
                    st->run_id, st->container_id, st->message);
    botcall_free_status(st);
    return NULL;
}

Sath__V1__BotStatus *botcall_wait_failed(botuser *u, int exit_code, int timeout_ms)
{
    Sath__V1__BotStatus *st = botuser_wait(u, SATH__V1__BOT_STATE__BOT_STATE_FAILED, timeout_ms);
    assert_non_null(st);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_FAILED);
    assert_int_equal(st->last_exit_code, exit_code);
    return st;
}
