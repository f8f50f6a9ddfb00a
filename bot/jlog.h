/*
 * jlog.h - sath-bot's log: one JSON object a line on stdout
 *   {"time":"2026-11-28T16:00:00.123Z","level":"info","msg":"...","fields":{...}}
 *
 * The orchestrator ships these lines to the user (GetBotLogs), so they must never hold a
 * secret: callers never pass one, and as a second line of defence any field whose name
 * looks like a secret ("secret", "token", "api_key", "password", "signature") is written
 * as "[redacted]".  Thread-safe (one fputs under a lock per line).
 */
#ifndef SATHBOT_JLOG_H
#define SATHBOT_JLOG_H

#include <jansson.h>

typedef enum { BOT_DEBUG, BOT_INFO, BOT_WARN, BOT_ERROR } bot_level;

/* Lines below `min` are dropped (default BOT_INFO). */
void bot_log_set_level(bot_level min);

/* Writes one line.  `fields` (may be NULL) is a JSON object whose reference is stolen. */
void bot_log(bot_level level, const char *msg, json_t *fields);

#endif
