/*
 * bot_store.h - the bots domain as sathd sees it: the validated form of a BotConfig,
 * the caller's plan limits, the desired-state write and the log-stream reads
 * (bot_config.c, bot_logs.c).  BotService's handlers (server/services/bot_service.c)
 * and DeleteMe use it; billing's downgrade should use sathd_bot_desire() too.
 *
 * sathd never runs a bot: it validates, writes the desired state (sath_bot_desire() in
 * sql/003_bots.sql) and answers from what sath-orchestrator observed.
 */
#ifndef SATHD_BOT_STORE_H
#define SATHD_BOT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sathd/call.h"
#include <hiredis/hiredis.h>

#include "sathd/pg.h"
#include "sath/v1/bot.pb-c.h"

#define SATHD_BOT_MAX_SYMBOLS_HARD 64 /* whatever the plan says */
#define SATHD_BOT_SYMBOL_MAX 20

/* A validated configuration; strings live in the call's arena. */
typedef struct sathd_bot_cfg {
    const char **symbols; /* upper-case, deduplicated, in the order given */
    size_t n_symbols;
    const char *mode;     /* "paper" | "live" */
    const char *exchange_key_id, *ai_key_id; /* "" = none */
    int64_t capital_cents;
    int32_t risk_bps;
    const char *strategy;
} sathd_bot_cfg;

/* A user's plan as limits. */
typedef struct sathd_bot_plan {
    const char *name;
    int32_t max_symbols;
    int64_t max_capital_cents;
    bool live_trading;
} sathd_bot_plan;

/*
 * Where the bots domain learns the plan in force for `user_id`: billing's effective plan
 * (sathd_billing_effective_plan), recomputed from the subscription, so a past-due grace
 * period that ran out since the last webhook counts now -- never users.plan_id as last
 * written.  The caller supplies it because this library may not link sathd_billing: it is
 * linked by sath-orchestrator too, which has no billing object (grace policy, plan
 * catalogue), and billing already builds on the bots' SQL (sath_bot_desire()).  sathd's
 * services layer, which links both, passes sathd__services_bot_plan.
 *
 * Called inside the caller's open transaction on `c` (it locks the user's row, and may
 * move users.plan_id and stop a bot that no longer fits: that commits with the caller's
 * work).  Fills *out (strings in the call's arena); on failure sets the call's status and
 * returns it, the transaction then being unusable.
 */
typedef int (*sathd_bot_plan_fn)(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                                 sathd_bot_plan *out);

/* The strategies sath-bot implements, NULL-terminated; the first is the default. */
extern const char *const sathd_bot_strategies[];

/* Checks and normalises `in` (INVALID_ARGUMENT naming the field); the key ids must be
 * the caller's (an exchange key on an exchange the bot trades).  Needs a connection. */
int sathd_bot_cfg_validate(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                           const Sath__V1__BotConfig *in, sathd_bot_cfg *out);
/* FAILED_PRECONDITION naming the limit when `cfg` (run in `mode`) exceeds `plan`. */
int sathd_bot_cfg_check_plan(sathd_call *call, const sathd_bot_cfg *cfg, const char *mode,
                             const sathd_bot_plan *plan);
/* JSON of everything but mode, as stored in bot_instances.config (arena string). */
char *sathd_bot_cfg_json(sathd_call *call, const sathd_bot_cfg *cfg);
/* Back from stored JSON + mode column (lenient: it was validated when written). */
int sathd_bot_cfg_from_json(sathd_call *call, const char *json, const char *mode,
                            sathd_bot_cfg *out);

/* Desired-state write (the one place BotService, DeleteMe and billing's downgrade go
 * through): runs sath_bot_desire() on `c`, inside the caller's transaction if any.
 * state "running" with new_run creates a run in `mode` (NULL = configured mode).
 * NOTIFY reaches sath-orchestrator at commit.  *found = 0 when the user has no bot. */
int sathd_bot_desire(sathd_call *call, sathd_pg_conn *c, const char *user_id, const char *state,
                     bool new_run, const char *mode, const char *reason, int *found);

/* BotService's operations on the caller's bot (bot_store.c); each sets the call's error
 * and returns its status on failure. */
/* Observed state and what was asked (state UNSPECIFIED when there is no bot yet). */
int sathd_bot_status_get(sathd_call *call, Sath__V1__BotStatus *resp);
/* The stored configuration; NOT_FOUND before the first one. */
int sathd_bot_config_get(sathd_call *call, Sath__V1__BotConfig *resp);
/* Validates (INVALID_ARGUMENT), checks the effective plan from plan_fn
 * (FAILED_PRECONDITION), stores a new configuration version. */
int sathd_bot_config_update(sathd_call *call, const Sath__V1__UpdateBotConfigRequest *req,
                            sathd_bot_plan_fn plan_fn, Sath__V1__BotConfig *resp);
/* Start (restart 0: idempotent, a wanted run is left alone) or restart (a new run);
 * the effective plan (plan_fn) is checked again with the run's mode (mode_override or
 * the configured one), in the same transaction as the desired-state write. */
int sathd_bot_request_run(sathd_call *call, Sath__V1__BotMode mode_override, int restart,
                          sathd_bot_plan_fn plan_fn, Sath__V1__BotStatus *resp);
/* Stop (idempotent). */
int sathd_bot_request_stop(sathd_call *call, Sath__V1__BotStatus *resp);

/* Log reads from the per-user Redis stream the orchestrator fills (bot_logs.c). */
int sathd_bot_logs_get(sathd_call *call, const Sath__V1__GetBotLogsRequest *req,
                       Sath__V1__GetBotLogsResponse *resp);
/* FollowBotLogs: tail, then new lines until the client goes or the current run ends. */
int sathd_bot_logs_follow(sathd_call *call, const Sath__V1__FollowBotLogsRequest *req,
                          sathd_writer *out);
/* One LogLine (arena) from a stream entry [id, [field, value, ...]]; *out NULL for an
 * end marker or a malformed entry. */
int sathd_bot_logline_from_entry(sathd_call *call, const redisReply *entry, Sath__V1__LogLine **out);

#endif
