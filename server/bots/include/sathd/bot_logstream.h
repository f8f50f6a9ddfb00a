/*
 * bot_logstream.h - the Redis stream through which bot log lines travel from
 * sath-orchestrator (writer) to sathd (GetBotLogs / FollowBotLogs), so the two may run
 * on different hosts.
 *
 * One stream per user: key SATHD_BOTLOG_KEY_PREFIX<user_id>, capped with
 * XADD ... MAXLEN ~ SATH_BOT_LOG_STREAM_MAX (default 10000).  Entry ids are Redis'
 * own ("*"), so an id's time part is when the line was shipped, never earlier than the
 * line's own time: `since` reads can start at the id <since_ms>.  Fields:
 *   line entry:  t=<unix ms the bot wrote it> s=<"o"|"e"> r=<run id> l=<text>
 *   end entry:   t=<unix ms> r=<run id> end=<"stopped"|"failed"|"exited">  (a run ended;
 *                followers of that run stop there)
 * Delivery is at-least-once: after an orchestrator crash a few lines may appear twice,
 * none is lost while the backend's own log still has them.
 */
#ifndef SATHD_BOT_LOGSTREAM_H
#define SATHD_BOT_LOGSTREAM_H

#define SATHD_BOTLOG_KEY_PREFIX "sath:botlog:"
#define SATHD_BOTLOG_DEFAULT_MAXLEN 10000

#endif
