/*
 * agent_config.c - GetRunConfig: the run's configuration, its decrypted keys, and the
 * state to resume from (see botagent.h).
 *
 * Keys are read scoped by the run's user (another user's key id finds nothing) and
 * decrypted with the associated data of their own row and column, exactly as KeysService
 * stores them; the plaintext goes only into the response (arena), never into a log.
 * The plan is the effective one (sathd_bot_plan_fn, from the services layer): a bot that
 * starts (or is restarted after a crash) when its user's grace period has run out learns
 * that live trading is no longer allowed.
 * Resume: the newest report of this bot in this mode, this run's first (a crash restart
 * of the run), else the bot's previous run's (a restart or a new start).
 */
#include <sodium.h>
#include <string.h>

#include "sathd/app.h"
#include "sathd/bot_store.h"
#include "sathd/botagent.h"
#include "sathd/keyring.h"
#include "sathd/keys_store.h"
#include "sathd/log.h"
#include "sathd/svc.h"

static const sathd_pg_stmt st_resume = {
    "agent_resume",
    "SELECT encode(last_report, 'hex') FROM bot_runs "
    "WHERE bot_id = $1 AND mode = $2 AND last_report IS NOT NULL "
    "ORDER BY (id = $3) DESC, last_heartbeat_at DESC LIMIT 1",
    3};

/* One decrypted column into the arena (the sodium buffer is wiped at once). */
static int open_col(sathd_call *call, const sathd_keys_row *row, const char *column,
                    const char *env, char **out)
{
    sathd_keys_purpose purpose = row->is_ai ? SATHD_KEYS_AI_KEYS : SATHD_KEYS_API_KEYS;
    char ad[SATHD_KEYS_AD_MAX], kid[SATHD_KEYS_KID_MAX + 1] = "?";
    char *pt = NULL;
    size_t len = 0;
    sathd_keys_rc rc = SATHD_KEYS_EINVAL;
    if (sathd_keys_ad(ad, sizeof ad, purpose, row->user_id, row->id, column) >= 0)
        rc = sathd_envelope_open(sathd_call_app(call)->keyring, purpose, ad, env, &pt, &len, kid);
    if (rc != SATHD_KEYS_OK) {
        sathd_log(SATHD_LOG_ERROR,
                  "msg=\"run key cannot be decrypted\" request_id=%s key=%s column=%s kid=%s reason=\"%s\"",
                  sathd_call_request_id(call), row->id, column, kid, sathd_keys_strerror(rc));
        return sathd_call_error(call, SATHD_DATA_LOSS, "stored key %s cannot be decrypted", row->id);
    }
    *out = sathd_call_strndup(call, pt, len);
    sathd_keys_secret_free(pt);
    return *out ? SATHD_OK : sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
}

static int load_keys(sathd_call *call, const sathd_agent_run *run, Sath__V1__RunConfig *out)
{
    sathd_keys_row row;
    int rc = SATHD_OK;
    if (*run->exchange_key_id) {
        rc = sathd_keys_store_get(call, run->user_id, run->exchange_key_id, &row);
        if (rc == SATHD_NOT_FOUND)
            return sathd_call_error(call, SATHD_FAILED_PRECONDITION,
                                    "the run's exchange key was deleted");
        if (rc == SATHD_OK && row.is_ai)
            return sathd_call_error(call, SATHD_FAILED_PRECONDITION, "exchange_key_id is an AI key");
        if (rc == SATHD_OK)
            rc = open_col(call, &row, "api_key", row.enc_key, &out->exchange_api_key);
        if (rc == SATHD_OK)
            rc = open_col(call, &row, "api_secret", row.enc_secret, &out->exchange_api_secret);
        if (rc == SATHD_OK)
            out->exchange = sathd_call_strdup(call, row.kind);
    }
    if (rc == SATHD_OK && *run->ai_key_id) {
        rc = sathd_keys_store_get(call, run->user_id, run->ai_key_id, &row);
        if (rc == SATHD_NOT_FOUND)
            return sathd_call_error(call, SATHD_FAILED_PRECONDITION, "the run's AI key was deleted");
        if (rc == SATHD_OK && !row.is_ai)
            return sathd_call_error(call, SATHD_FAILED_PRECONDITION, "ai_key_id is not an AI key");
        if (rc == SATHD_OK)
            rc = open_col(call, &row, "api_key", row.enc_key, &out->ai_api_key);
        if (rc == SATHD_OK)
            out->ai_provider = sathd_call_strdup(call, row.kind);
    }
    return rc;
}

static int load_resume(sathd_call *call, const sathd_agent_run *run, Sath__V1__RunConfig *out)
{
    const char *p[3] = {run->bot_id, run->mode, run->run_id};
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query1(call, &st_resume, p, &res);
    if (rc != SATHD_OK || PQntuples(res) != 1)
        return rc;
    const char *hex = PQgetvalue(res, 0, 0);
    size_t hl = strlen(hex), bl = 0;
    unsigned char *bin = sathd_call_alloc(call, hl / 2 + 1);
    if (!bin || sodium_hex2bin(bin, hl / 2 + 1, hex, hl, NULL, &bl, NULL) != 0)
        return SATHD_OK; /* unreadable: start from the capital */
    out->resume = sath__v1__bot_report__unpack(sathd_call_allocator(call), bl, bin);
    return SATHD_OK;
}

int sathd_agent_run_config(sathd_call *call, const sathd_agent_run *run, sathd_bot_plan_fn plan_fn,
                           Sath__V1__RunConfig *out)
{
    out->bot_id = (char *)run->bot_id;
    out->run_id = (char *)run->run_id;
    out->mode = strcmp(run->mode, "live") == 0 ? SATH__V1__BOT_MODE__BOT_MODE_LIVE
                                                : SATH__V1__BOT_MODE__BOT_MODE_PAPER;
    out->symbols = (char **)run->symbols;
    out->n_symbols = run->n_symbols;
    out->capital_cents = run->capital_cents;
    out->risk_per_trade_bps = run->risk_bps;
    out->strategy = (char *)run->strategy;
    sathd_pg_conn *c = NULL;
    sathd_bot_plan plan;
    int rc = sathd_svc_pg_open(call, &c);
    if (rc == SATHD_OK && (rc = sathd_svc_pg_begin(call, c)) == SATHD_OK) {
        if ((rc = plan_fn(call, c, run->user_id, &plan)) != SATHD_OK)
            sathd_pg_rollback(c);
        else /* the effective plan billing recomputed (and a bot it stopped) stands */
            rc = sathd_svc_pg_commit(call, c);
    }
    sathd_svc_pg_close(call, c);
    if (rc != SATHD_OK)
        return rc;
    out->live_allowed = plan.live_trading;
    if (out->mode == SATH__V1__BOT_MODE__BOT_MODE_LIVE && !plan.live_trading)
        return sathd_call_error(call, SATHD_FAILED_PRECONDITION,
                                "plan %s does not allow live trading", plan.name);
    rc = load_keys(call, run, out);
    if (rc == SATHD_OK)
        rc = load_resume(call, run, out);
    return rc;
}
