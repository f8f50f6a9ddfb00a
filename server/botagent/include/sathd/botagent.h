/*
 * botagent.h - the bot's side of sathd (BotAgentService) and what users read of it.
 *
 * A bot proves who it is with its run token: the orchestrator minted it for one run
 * attempt and stored only its SHA-256 (sql/003_bots.sql).  sathd_agent_authenticate()
 * hashes what the bot presents and accepts it only when it names a run that is the
 * bot's CURRENT run, not revoked and not expired; everything the handlers need about the
 * run (user, bot, mode, strategy, symbols) comes from that row, never from the bot.  So
 * a bot can only read its own run's keys and only write its own user's series: the
 * InfluxDB tags are the run's.
 *
 * Storage: the last report of each run in bot_runs (sql/005_botagent.sql), every report
 * and trade as points in InfluxDB (sathd/influx.h, app->influx; without it the reports
 * are still stored in PostgreSQL and GetBotPerformance answers UNAVAILABLE).
 */
#ifndef SATHD_BOTAGENT_H
#define SATHD_BOTAGENT_H

#include <stddef.h>
#include <stdint.h>

#include "sathd/bot_store.h"
#include "sathd/call.h"
#include "sathd/pg.h"
#include "sath/v1/bot_agent.pb-c.h"
#include "sath/v1/bot.pb-c.h"

/* The run a run token opens (identity->run), in the call's arena. */
typedef struct sathd_agent_run {
    const char *run_id, *bot_id, *user_id;
    const char *mode;     /* "paper" | "live" */
    const char *strategy;
    const char **symbols;
    size_t n_symbols;
    int64_t capital_cents;
    int32_t risk_bps;
    const char *exchange_key_id, *ai_key_id; /* "" = none */
} sathd_agent_run;

/* Run tokens start with this (the orchestrator's token.c mints them so). */
#define SATHD_RUN_TOKEN_PREFIX "sathrt_"

/* Authenticates a run token for a SATHD_METHOD_RUN_TOKEN method: fills `out` (user_id,
 * run) or answers UNAUTHENTICATED.  Never logs the token. */
int sathd_agent_authenticate(sathd_call *call, const char *token, sathd_identity *out);

/* GetRunConfig: the run's configuration, decrypted keys and the state to resume from;
 * live_allowed and the live-mode refusal (FAILED_PRECONDITION) follow the effective plan
 * plan_fn gives (sathd/bot_store.h). */
int sathd_agent_run_config(sathd_call *call, const sathd_agent_run *run, sathd_bot_plan_fn plan_fn,
                           Sath__V1__RunConfig *out);
/* Heartbeat: validates, stores as the run's last state, queues points for InfluxDB. */
int sathd_agent_heartbeat(sathd_call *call, const sathd_agent_run *run,
                          const Sath__V1__BotReport *r, Sath__V1__AgentAck *ack);
/* ReportTrades: validates, queues one bot_trade point per trade. */
int sathd_agent_trades(sathd_call *call, const sathd_agent_run *run,
                       const Sath__V1__ReportTradesRequest *req, Sath__V1__AgentAck *ack);

/* GetBotStatus's headline figures of run `run_id` ("" = none: nothing set). */
int sathd_agent_status_figures(sathd_call *call, const char *run_id, Sath__V1__BotStatus *out);

/* GetBotPerformance for the calling user (identity->user_id). */
int sathd_bot_performance(sathd_call *call, const Sath__V1__GetBotPerformanceRequest *req,
                          Sath__V1__BotPerformance *out);

#endif
