/*
 * botcalls.h - BotService calls the bot control plane's end-to-end tests share
 * (tests/bots/torture_bots_process.c, the container-backend scenarios of botscenario.c,
 * tests/botagent); cmocka asserts inside, so only for tests.
 */
#ifndef SATH_TEST_BOTCALLS_H
#define SATH_TEST_BOTCALLS_H

#include <stddef.h>
#include <stdint.h>

#include "botenv.h"

void botcall_free_status(Sath__V1__BotStatus *st);
/* "start" | "stop" | "restart": asserts SATH_OK, returns the status (caller frees). */
Sath__V1__BotStatus *botcall(botuser *u, const char *what);
/* A new user with a valid paper config whose bot was asked to start. */
void botcall_new_started_user(botenv *e, botuser *u);
/* The same, then waits up to timeout_ms for RUNNING (asserted); the status (caller frees). */
Sath__V1__BotStatus *botcall_new_running_user(botenv *e, botuser *u, int timeout_ms);
/* StopBot (asserts SATH_OK), then waits up to timeout_ms for STOPPED (asserted); the
 * status (caller frees). */
Sath__V1__BotStatus *botcall_stop_wait(botuser *u, int timeout_ms);
/* GetBotLogs: the last `tail` lines, after since_ms (0: any); NULL when the call failed. */
Sath__V1__GetBotLogsResponse *botcall_logs(botuser *u, int tail, int64_t since_ms);
/* 1 when a log line containing `text` arrives within timeout_ms (copied into out, which
 * may be NULL). */
int botcall_log_line(botuser *u, const char *text, char *out, size_t outlen, int timeout_ms);

/* RUNNING with a handle (container / service id) of handle_len characters, in a run other
 * than `not_run` and a handle other than `not_handle` (NULL: any), within timeout_ms; the
 * status (caller frees) or NULL after printing the last one.  (Right after a restart the
 * status may already name the new run while the old bot is still being replaced.) */
Sath__V1__BotStatus *botcall_wait_running(botuser *u, size_t handle_len, const char *not_run,
                                          const char *not_handle, int timeout_ms);
/* Waits up to timeout_ms for FAILED and asserts the last exit code; the status (caller
 * frees). */
Sath__V1__BotStatus *botcall_wait_failed(botuser *u, int exit_code, int timeout_ms);
/* Asserts that every run of the user has ended and its token is revoked. */
void botcall_assert_runs_ended(botenv *e, const char *user_id);
/* Reads the engine's address from the environment variable `host_var` (ctest sets it from
 * tests/fixtures/engines.sh), packs sath-bot-standin ($SATH_BOT_STANDIN) into `image` there
 * with scripts/bot-image.sh ($SATH_BOT_IMAGE_SCRIPT), and initialises libcurl.  Returns the
 * unix:// address (the environment's), or NULL after saying on stderr what is missing. */
const char *botcall_engine_image(const char *host_var, const char *image);

#endif
