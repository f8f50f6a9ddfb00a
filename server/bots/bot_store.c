/*
 * bot_store.c - the bots domain's tables as BotService needs them: the bot row and its
 * observed state, configuration versions, and start / stop / restart requests written
 * as desired state (sath_bot_desire(), sql/003_bots.sql) in one transaction.
 *
 * Invariants: every statement is scoped by the caller's user id (another user's bot
 * does not exist for the caller); the bot row is locked (FOR UPDATE) while a start
 * decides whether a run is needed, so concurrent starts create exactly one run; the
 * effective plan (sathd_bot_plan_fn) is checked again at every start, in the same
 * transaction, since it may have changed since the config was stored.  Answers come
 * from what sath-orchestrator observed.
 */
#include <stdlib.h>
#include <string.h>

#include "sathd/bot_store.h"
#include "sathd/log.h"
#include "sathd/svc.h"

#define TS_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

static const sathd_pg_stmt st_status = {
    "bot_status",
    "SELECT b.id, b.status, b.mode, coalesce(b.container_id, ''), " TS_US("b.started_at") ", "
    TS_US("b.stopped_at") ", b.message, coalesce(b.current_run_id::text, ''), b.desired_state, "
    "b.restarts, coalesce(b.last_exit_code, -1), b.oom_killed, b.backend, "
    TS_US("b.observed_at") ", b.generation > b.observed_generation, b.node "
    "FROM bot_instances b WHERE b.user_id = $1",
    1};

static Sath__V1__BotState state_enum(const char *s)
{
    if (strcmp(s, "starting") == 0) return SATH__V1__BOT_STATE__BOT_STATE_STARTING;
    if (strcmp(s, "running") == 0) return SATH__V1__BOT_STATE__BOT_STATE_RUNNING;
    if (strcmp(s, "stopping") == 0) return SATH__V1__BOT_STATE__BOT_STATE_STOPPING;
    if (strcmp(s, "stopped") == 0) return SATH__V1__BOT_STATE__BOT_STATE_STOPPED;
    if (strcmp(s, "failed") == 0) return SATH__V1__BOT_STATE__BOT_STATE_FAILED;
    return SATH__V1__BOT_STATE__BOT_STATE_UNSPECIFIED;
}

static Sath__V1__BotMode mode_enum(const char *s)
{
    return strcmp(s, "live") == 0 ? SATH__V1__BOT_MODE__BOT_MODE_LIVE
                                  : SATH__V1__BOT_MODE__BOT_MODE_PAPER;
}

/* Fills `out` from the bot row (state UNSPECIFIED and no id when the user has none). */
static int load_status(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                       Sath__V1__BotStatus *out)
{
    const char *p[1] = {user_id};
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query(call, c, &st_status, p, &res);
    if (rc != SATHD_OK)
        return rc;
    out->last_exit_code = -1;
    if (PQntuples(res) == 1) {
        out->id = sathd_svc_cell(call, res, 0, 0);
        out->run_id = sathd_svc_cell(call, res, 0, 7);
        /* a bot row exists from the first config on; "never started" until a run does */
        out->state = *out->run_id ? state_enum(PQgetvalue(res, 0, 1))
                                  : SATH__V1__BOT_STATE__BOT_STATE_UNSPECIFIED;
        out->mode = mode_enum(PQgetvalue(res, 0, 2));
        out->container_id = sathd_svc_cell(call, res, 0, 3);
        out->started_at = sathd_svc_timestamp_us(call, PQgetisnull(res, 0, 4) ? NULL : PQgetvalue(res, 0, 4));
        out->stopped_at = sathd_svc_timestamp_us(call, PQgetisnull(res, 0, 5) ? NULL : PQgetvalue(res, 0, 5));
        out->message = sathd_svc_cell(call, res, 0, 6);
        out->desired_state = state_enum(PQgetvalue(res, 0, 8));
        out->restarts = (int32_t)strtol(PQgetvalue(res, 0, 9), NULL, 10);
        out->last_exit_code = (int32_t)strtol(PQgetvalue(res, 0, 10), NULL, 10);
        out->oom_killed = PQgetvalue(res, 0, 11)[0] == 't';
        out->backend = sathd_svc_cell(call, res, 0, 12);
        out->observed_at = sathd_svc_timestamp_us(call, PQgetisnull(res, 0, 13) ? NULL : PQgetvalue(res, 0, 13));
        out->pending_change = PQgetvalue(res, 0, 14)[0] == 't';
        out->node = sathd_svc_cell(call, res, 0, 15);
    }
    return SATHD_OK;
}

int sathd_bot_status_get(sathd_call *call, Sath__V1__BotStatus *resp)
{
    sathd_pg_conn *c = NULL;
    int rc = sathd_svc_pg_open(call, &c);
    if (rc == SATHD_OK)
        rc = load_status(call, c, sathd_call_identity(call)->user_id, resp);
    sathd_svc_pg_close(call, c);
    return rc;
}

static const sathd_pg_stmt st_config = {
    "bot_config_get",
    "SELECT b.config::text, b.mode, " TS_US("v.created_at") ", b.config_version "
    "FROM bot_instances b LEFT JOIN bot_config_versions v "
    "  ON v.bot_id = b.id AND v.version = b.config_version "
    "WHERE b.user_id = $1 AND b.config_version > 0",
    1};

/* The stored config; *found = 0 when none was ever set. */
static int load_config(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                       sathd_bot_cfg *cfg, const char **updated_us, int *found)
{
    const char *p[1] = {user_id};
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query(call, c, &st_config, p, &res);
    if (rc != SATHD_OK)
        return rc;
    *found = PQntuples(res) == 1;
    if (*found) {
        rc = sathd_bot_cfg_from_json(call, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), cfg);
        if (updated_us)
            *updated_us = PQgetisnull(res, 0, 2) ? NULL : sathd_svc_cell(call, res, 0, 2);
    }
    return rc;
}

static int fill_config(sathd_call *call, const sathd_bot_cfg *cfg, const char *updated_us,
                       Sath__V1__BotConfig *out)
{
    out->symbols = (char **)cfg->symbols;
    out->n_symbols = cfg->n_symbols;
    out->mode = mode_enum(cfg->mode);
    out->exchange_key_id = (char *)cfg->exchange_key_id;
    out->ai_key_id = (char *)cfg->ai_key_id;
    out->capital_cents = cfg->capital_cents;
    out->risk_per_trade_bps = cfg->risk_bps;
    out->strategy = (char *)cfg->strategy;
    out->updated_at = sathd_svc_timestamp_us(call, updated_us);
    return SATHD_OK;
}

int sathd_bot_config_get(sathd_call *call, Sath__V1__BotConfig *resp)
{
    sathd_pg_conn *c = NULL;
    sathd_bot_cfg cfg;
    const char *updated = NULL;
    int found = 0;
    int rc = sathd_svc_pg_open(call, &c);
    if (rc == SATHD_OK)
        rc = load_config(call, c, sathd_call_identity(call)->user_id, &cfg, &updated, &found);
    sathd_svc_pg_close(call, c);
    if (rc == SATHD_OK && !found)
        rc = sathd_call_error(call, SATHD_NOT_FOUND, "no bot configuration yet (UpdateBotConfig)");
    return rc == SATHD_OK ? fill_config(call, &cfg, updated, resp) : rc;
}

static const sathd_pg_stmt st_bot_ensure = {
    "bot_ensure", "INSERT INTO bot_instances (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING", 1};
static const sathd_pg_stmt st_bot_lock = {
    "bot_lock",
    "SELECT id, config_version, desired_state, coalesce(current_run_id::text, '') "
    "FROM bot_instances WHERE user_id = $1 FOR UPDATE",
    1};
static const sathd_pg_stmt st_version_add = {
    "bot_version_add",
    "INSERT INTO bot_config_versions (bot_id, version, mode, config) VALUES ($1, $2, $3, $4::jsonb) "
    "RETURNING " TS_US("created_at"),
    4};
static const sathd_pg_stmt st_config_set = {
    "bot_config_set",
    "UPDATE bot_instances SET config = $2::jsonb, mode = CASE WHEN desired_state = 'running' "
    "THEN mode ELSE $3 END, config_version = $4, updated_at = now() WHERE id = $1",
    4};

/* Runs `st` in c's open transaction; on failure rolls it back.  The result belongs to
 * the call. */
static int txq(sathd_call *call, sathd_pg_conn *c, const sathd_pg_stmt *st, const char *const *p,
               const PGresult **res)
{
    const PGresult *r = NULL;
    int rc = sathd_svc_pg_query(call, c, st, p, &r);
    if (rc != SATHD_OK)
        sathd_pg_rollback(c);
    if (res)
        *res = r;
    return rc;
}

/* In c's open transaction: the plan `plan_fn` gives, then whether `cfg` run in `mode` fits
 * it.  SATHD_OK with the transaction still open; or the refusal (FAILED_PRECONDITION) with
 * the transaction committed, so the effective plan billing just recomputed is kept; or
 * another failure with it rolled back. */
static int plan_gate(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                     sathd_bot_plan_fn plan_fn, const sathd_bot_cfg *cfg, const char *mode)
{
    sathd_bot_plan plan;
    int rc = plan_fn(call, c, user_id, &plan);
    if (rc != SATHD_OK) {
        sathd_pg_rollback(c);
        return rc;
    }
    rc = sathd_bot_cfg_check_plan(call, cfg, mode, &plan);
    /* refused: what billing changed on the way (the plan now in force, a bot it stopped)
     * stands; a failed commit only loses that recomputation, which the next call redoes */
    if (rc != SATHD_OK && sathd_pg_commit(c) != 0)
        sathd_pg_rollback(c);
    return rc;
}

int sathd_bot_config_update(sathd_call *call, const Sath__V1__UpdateBotConfigRequest *req,
                            sathd_bot_plan_fn plan_fn, Sath__V1__BotConfig *resp)
{
    const char *uid = sathd_call_identity(call)->user_id;
    sathd_pg_conn *c = NULL;
    sathd_bot_cfg cfg;
    int rc = sathd_svc_pg_open(call, &c);
    if (rc != SATHD_OK)
        return rc;
    if ((rc = sathd_bot_cfg_validate(call, c, uid, req->config, &cfg)) != SATHD_OK)
        goto out;
    char *json = sathd_bot_cfg_json(call, &cfg);
    if (!json) {
        rc = sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    const char *p1[1] = {uid};
    const PGresult *res = NULL;
    if ((rc = sathd_svc_pg_begin(call, c)) != SATHD_OK ||
        (rc = plan_gate(call, c, uid, plan_fn, &cfg, cfg.mode)) != SATHD_OK ||
        (rc = txq(call, c, &st_bot_ensure, p1, NULL)) != SATHD_OK ||
        (rc = txq(call, c, &st_bot_lock, p1, &res)) != SATHD_OK)
        goto out;
    char *bot_id = sathd_svc_cell(call, res, 0, 0);
    char *ver = sathd_call_printf(call, "%ld", strtol(PQgetvalue(res, 0, 1), NULL, 10) + 1);
    const char *p2[4] = {bot_id, ver, cfg.mode, json};
    if ((rc = txq(call, c, &st_version_add, p2, &res)) != SATHD_OK)
        goto out;
    char *updated = sathd_svc_cell(call, res, 0, 0);
    const char *p3[4] = {bot_id, json, cfg.mode, ver};
    if ((rc = txq(call, c, &st_config_set, p3, NULL)) != SATHD_OK ||
        (rc = sathd_svc_pg_commit(call, c)) != SATHD_OK)
        goto out;
    rc = fill_config(call, &cfg, updated, resp);
out:
    sathd_svc_pg_close(call, c);
    return rc;
}

static const char *mode_name(Sath__V1__BotMode m)
{
    switch (m) {
    case SATH__V1__BOT_MODE__BOT_MODE_PAPER: return "paper";
    case SATH__V1__BOT_MODE__BOT_MODE_LIVE: return "live";
    default: return NULL;
    }
}

/* Start (restart = 0) or restart: checks the config, then in one transaction the
 * effective plan (which locks the user's row, so a concurrent plan change either comes
 * first and is seen here, or comes after and finds this run to stop) and, under the bot
 * row's lock, asks for a new run unless one is already wanted. */
int sathd_bot_request_run(sathd_call *call, Sath__V1__BotMode mode_override, int restart,
                          sathd_bot_plan_fn plan_fn, Sath__V1__BotStatus *resp)
{
    const char *uid = sathd_call_identity(call)->user_id;
    if (mode_override != SATH__V1__BOT_MODE__BOT_MODE_UNSPECIFIED && !mode_name(mode_override))
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "mode is not a BotMode");
    sathd_pg_conn *c = NULL;
    sathd_bot_cfg cfg;
    int found = 0;
    int rc = sathd_svc_pg_open(call, &c);
    if (rc != SATHD_OK)
        return rc;
    if ((rc = load_config(call, c, uid, &cfg, NULL, &found)) != SATHD_OK)
        goto out;
    if (!found) {
        rc = sathd_call_error(call, SATHD_FAILED_PRECONDITION,
                              "the bot has no configuration yet: set one first (UpdateBotConfig)");
        goto out;
    }
    const char *mode = mode_name(mode_override) ? mode_name(mode_override) : cfg.mode;
    const char *p1[1] = {uid};
    const PGresult *res = NULL;
    if ((rc = sathd_svc_pg_begin(call, c)) != SATHD_OK ||
        (rc = plan_gate(call, c, uid, plan_fn, &cfg, mode)) != SATHD_OK ||
        (rc = txq(call, c, &st_bot_lock, p1, &res)) != SATHD_OK)
        goto out;
    int wanted = strcmp(PQgetvalue(res, 0, 2), "running") == 0 && *PQgetvalue(res, 0, 3);
    if (!wanted || restart) {
        if ((rc = sathd_bot_desire(call, c, uid, "running", true, mode, "", NULL)) != SATHD_OK) {
            sathd_pg_rollback(c);
            goto out;
        }
    }
    if ((rc = sathd_svc_pg_commit(call, c)) != SATHD_OK)
        goto out;
    if (!wanted || restart)
        sathd_log(SATHD_LOG_INFO, "msg=\"bot %s requested\" request_id=%s user=%s mode=%s",
                  restart ? "restart" : "start", sathd_call_request_id(call), uid, mode);
    rc = load_status(call, c, uid, resp);
out:
    sathd_svc_pg_close(call, c);
    return rc;
}



int sathd_bot_request_stop(sathd_call *call, Sath__V1__BotStatus *resp)
{
    const char *uid = sathd_call_identity(call)->user_id;
    sathd_pg_conn *c = NULL;
    int rc = sathd_svc_pg_open(call, &c);
    if (rc != SATHD_OK)
        return rc;
    const char *p1[1] = {uid};
    const PGresult *res = NULL;
    if ((rc = sathd_svc_pg_begin(call, c)) != SATHD_OK ||
        (rc = txq(call, c, &st_bot_lock, p1, &res)) != SATHD_OK)
        goto out;
    int running = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 2), "running") == 0;
    if (running && (rc = sathd_bot_desire(call, c, uid, "stopped", false, NULL, "stopped by the user",
                                          NULL)) != SATHD_OK) {
        sathd_pg_rollback(c);
        goto out;
    }
    if ((rc = sathd_svc_pg_commit(call, c)) != SATHD_OK)
        goto out;
    if (running)
        sathd_log(SATHD_LOG_INFO, "msg=\"bot stop requested\" request_id=%s user=%s",
                  sathd_call_request_id(call), uid);
    rc = load_status(call, c, uid, resp);
out:
    sathd_svc_pg_close(call, c);
    return rc;
}



