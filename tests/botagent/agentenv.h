/*
 * agentenv.h - helpers of the BotAgentService tests: InfluxDB queries over HTTP, runs and
 * run tokens seeded straight into the test database, agent clients holding a run token.
 */
#ifndef SATH_TEST_AGENTENV_H
#define SATH_TEST_AGENTENV_H

#include <jansson.h>

#include "botenv.h"
#include "sath/sath.h"
#include "sathd_proc.h"
#include "test_http.h"

/* SATH_TEST_INFLUX_URL, or NULL (then the InfluxDB tests skip). */
const char *influx_url(void);
/* A fresh database name "t_<random>". */
void influx_db_name(char out[32]);
/* GET /query on db; the parsed answer (json_decref) or NULL. */
json_t *influx_query(const char *db, const char *q);
/* Number of rows of the first series of the first statement of `q` (0 when none). */
size_t influx_rows(const char *db, const char *q);
/* Polls until influx_rows(q) >= want or timeout; returns the last count. */
size_t influx_wait_rows(const char *db, const char *q, size_t want, int timeout_ms);

/* The environment of sathd and sath-orchestrator for a run of the real sath-bot: InfluxDB
 * when with_influx (database `db`), sath-bot as the program with `bot_args`, and no
 * address-space limit (ASan builds of the bot reserve terabytes of shadow).  sathd binds
 * port 0; botenv gives the orchestrator the address it got, and botenv_sathd_restart
 * binds the same one again, where the running bot looks. */
typedef struct botrun_env {
    char db[32];
    char influx[300], db_env[64];
    char prog[600], args[400];
    const char *sathd[3], *orch[4];
} botrun_env;
void botrun_env_init(botrun_env *e, int with_influx, const char *bot_args);

/* The usual fixture of a test running the real sath-bot: sathd + sath-orchestrator with
 * botrun_env (InfluxDB when with_influx) and one registered user, logged in, without a
 * bot config yet.  botrun_fx_start: 0 or -1; botrun_fx_stop undoes what started.  Keep
 * it where it was started (botenv holds pointers into env). */
typedef struct botrun_fx {
    botenv e;
    botrun_env env;
    botuser u;
} botrun_fx;
int botrun_fx_start(botrun_fx *x, int with_influx, const char *bot_args);
void botrun_fx_stop(botrun_fx *x);

/* Makes a new current run of the user's bot with run token `token` (valid 1 h) and
 * returns its id in run_id[37]; 0 or -1. */
int seed_run(const sathd_proc *p, const char *user_id, const char *token, char run_id[37]);

/* A client at `target` holding `token` as its bearer token. */
sath_client *token_client(const char *target, const char *token);


#endif
