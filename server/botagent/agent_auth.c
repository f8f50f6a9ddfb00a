/*
 * agent_auth.c - run tokens: who a bot is (see botagent.h).
 *
 * One indexed lookup by token hash (bot_runs_token_hash_key) joined to the bot row and
 * the run's config version.  The token must name the bot's current run, unrevoked and
 * unexpired: a stale token (an earlier run, a revoked attempt) and a user's access
 * token are refused alike, with the same message.
 */
#include <sodium.h>
#include <string.h>

#include "sathd/bot_store.h"
#include "sathd/botagent.h"
#include "sathd/log.h"
#include "sathd/svc.h"

#define BAD_RUN_TOKEN "invalid, expired or revoked run token"

static const sathd_pg_stmt st_run = {
    "agent_run",
    "SELECT r.id, r.bot_id, r.user_id, r.mode, coalesce(v.config::text, b.config::text) "
    "FROM bot_runs r JOIN bot_instances b ON b.id = r.bot_id AND b.current_run_id = r.id "
    "AND b.user_id = r.user_id "
    "JOIN users u ON u.id = r.user_id AND u.is_active "
    "LEFT JOIN bot_config_versions v ON v.id = r.config_version_id "
    "WHERE r.token_hash = $1 AND r.token_revoked_at IS NULL AND r.token_expires_at > now()",
    1};

int sathd_agent_authenticate(sathd_call *call, const char *token, sathd_identity *out)
{
    size_t len = strlen(token);
    if (len < sizeof SATHD_RUN_TOKEN_PREFIX + 16 || len > 200 ||
        strncmp(token, SATHD_RUN_TOKEN_PREFIX, strlen(SATHD_RUN_TOKEN_PREFIX)) != 0)
        return sathd_call_error(call, SATHD_UNAUTHENTICATED, BAD_RUN_TOKEN);
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[2 * sizeof h + 1];
    crypto_hash_sha256(h, (const unsigned char *)token, len);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    const char *p[1] = {hex};
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query1(call, &st_run, p, &res);
    if (rc != SATHD_OK)
        return rc;
    if (PQntuples(res) != 1) {
        sathd_log(SATHD_LOG_DEBUG, "msg=\"run token refused\" request_id=%s",
                  sathd_call_request_id(call));
        return sathd_call_error(call, SATHD_UNAUTHENTICATED, BAD_RUN_TOKEN);
    }
    sathd_agent_run *run = sathd_call_alloc(call, sizeof *run);
    if (!run)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    run->run_id = sathd_svc_cell(call, res, 0, 0);
    run->bot_id = sathd_svc_cell(call, res, 0, 1);
    run->user_id = sathd_svc_cell(call, res, 0, 2);
    run->mode = sathd_svc_cell(call, res, 0, 3);
    sathd_bot_cfg cfg;
    rc = sathd_bot_cfg_from_json(call, PQgetvalue(res, 0, 4), run->mode, &cfg);
    if (rc != SATHD_OK)
        return rc;
    run->strategy = cfg.strategy;
    run->symbols = cfg.symbols;
    run->n_symbols = cfg.n_symbols;
    run->capital_cents = cfg.capital_cents;
    run->risk_bps = cfg.risk_bps;
    run->exchange_key_id = cfg.exchange_key_id;
    run->ai_key_id = cfg.ai_key_id;
    out->user_id = run->user_id;
    out->jti = run->run_id;
    out->issuer = "sath-run";
    out->session_id = "";
    out->token = token;
    out->run = run;
    return SATHD_OK;
}
