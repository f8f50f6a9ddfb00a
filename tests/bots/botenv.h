/*
 * botenv.h - test fixture for the bot control plane: a real sathd (sathd_proc) with its
 * own database, a real sath-orchestrator on the process backend with its own state
 * directory, sath-bot-standin as the bot program, and users registered through the SDK.
 */
#ifndef SATH_TEST_BOTENV_H
#define SATH_TEST_BOTENV_H

#include <stdint.h>
#include <sys/types.h>

#include "sath/sath.h"
#include "sathd_proc.h"

typedef struct botenv {
    sathd_proc sathd;
    pid_t orch;
    char state_dir[256];
    char orch_log[300];
    char jwt_env[128], enc_env[128];
    const char *const *orch_extra; /* extra env of the orchestrator (kept for restarts) */
    const char *const *sathd_extra; /* extra env of sathd (kept for restarts), may be NULL */
} botenv;

typedef struct botuser {
    sath_client *c;
    char id[37];
    char email[96];
} botuser;

/* sathd + orchestrator (orch_extra: "K=V" list, NULL-terminated, may be NULL). */
int botenv_start(botenv *e, const char *const *orch_extra);
/* The same with extra sathd environment too (e.g. a fixed SATH_GRPC_ADDR, SATH_INFLUX_URL). */
int botenv_start2(botenv *e, const char *const *orch_extra, const char *const *sathd_extra);
void botenv_stop(botenv *e);
/* cmocka group/test fixtures: *state holds the orchestrator's extra env (a prestate, may be
 * NULL) on entry and the started botenv (heap) after; teardown stops and frees it. */
int botenv_setup(void **state);
int botenv_teardown(void **state);
int botenv_orch_start(botenv *e);
/* Sends `sig` to the orchestrator and reaps it. */
void botenv_orch_kill(botenv *e, int sig);
/* Restarts sathd on the same database (same signing key: tokens stay valid), and points
 * every given client... callers make new clients with botenv_client. */
int botenv_sathd_restart(botenv *e);

/* The password of every botuser_new user. */
#define BOTUSER_PASSWORD "correct horse battery"

/* A registered, logged-in user (on the free plan), password BOTUSER_PASSWORD. */
int botuser_new(botenv *e, botuser *u);
/* A new client for `u`, logged in to e's sathd again (after botenv_sathd_restart). */
int botuser_reconnect(botenv *e, botuser *u);
void botuser_free(botuser *u);
/* A bot config for botuser_store_config: the first n_symbols of BTCUSDT ETHUSDT SOLUSDT
 * BNBUSDT, paper (or live) mode; strategy, exchange_key_id and ai_key_id NULL leave them
 * unset. */
typedef struct botcfg {
    int n_symbols;
    int64_t capital_cents;
    int live;
    int risk_bps;
    const char *strategy;
    const char *exchange_key_id;
    const char *ai_key_id;
} botcfg;
/* UpdateBotConfig with `cfg`; returns its status.  `opts` (may be NULL) receives the
 * call's status message for tests that check why a config was refused. */
int botuser_store_config(botuser *u, const botcfg *cfg, sath_call_opts *opts);
/* Stores a config with `n` symbols and `capital` cents, risk 1%, sma_crossover, no key. */
int botuser_config(botuser *u, int n_symbols, int64_t capital, int live);
/* CreateExchangeKey (binance) with the given label (may be NULL), key and secret; the new
 * key's id goes to id[37].  Returns the call's status. */
int botuser_exchange_key(botuser *u, const char *label, const char *api_key,
                         const char *api_secret, int testnet, char id[37]);
/* Polls GetBotStatus until state == want (or timeout_ms); returns the last status
 * (caller frees) or NULL. */
Sath__V1__BotStatus *botuser_wait(botuser *u, Sath__V1__BotState want, int timeout_ms);
Sath__V1__BotStatus *botuser_status(botuser *u);

/* Live processes whose environment holds SATH_USER_ID=<user_id> (the bot and its
 * supervisor both do); pids of the standin bot go to bots (may be NULL). */
int count_user_procs(const char *user_id, pid_t *bots, int max, int *n_bots);
/* 1 when `needle` occurs in the file (binary-safe), 0 when not, -1 unreadable. */
int file_contains(const char *path, const char *needle);
void sleep_ms(int ms);

#endif
