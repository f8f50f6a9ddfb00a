/*
 * bot_config.c - validation of a user's BotConfig and the plan limits it must respect.
 *
 * Checked when the config is stored (UpdateBotConfig) and again at every start or
 * restart, because the plan (or a key) may have changed since.  The plan is the effective
 * one, which the caller supplies (sathd_bot_plan_fn in sathd/bot_store.h).  Every message names the
 * field or the limit; none contains a key.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sathd/bot_store.h"
#include "sathd/svc.h"

const char *const sathd_bot_strategies[] = {"sma_crossover", "ema_crossover", "rsi_reversion",
                                            "grid", NULL};

/* The exchanges sath-bot trades on. */
static const char *const bot_exchanges[] = {"binance", NULL};

static int in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* BTCUSDT-like: 2..20 of A-Z 0-9 (lower case accepted and upper-cased). */
static char *symbol_norm(sathd_call *call, const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > SATHD_BOT_SYMBOL_MAX)
        return NULL;
    char *u = sathd_call_strdup(call, s);
    for (size_t i = 0; u && i < n; i++) {
        if (!isascii((unsigned char)u[i]) || !isalnum((unsigned char)u[i]))
            return NULL;
        u[i] = (char)toupper((unsigned char)u[i]);
    }
    return u;
}

static int check_key(sathd_call *call, sathd_pg_conn *c, const char *user_id, const char *field,
                     const char *id, int is_ai)
{
    static const sathd_pg_stmt st_ex = {
        "bot_key_exchange", "SELECT exchange FROM api_keys WHERE id = $1 AND user_id = $2", 2};
    static const sathd_pg_stmt st_ai = {
        "bot_key_ai", "SELECT provider FROM ai_keys WHERE id = $1 AND user_id = $2", 2};
    if (!sathd_uuid_valid(id))
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "%s must be a UUID", field);
    const char *p[2] = {id, user_id};
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query(call, c, is_ai ? &st_ai : &st_ex, p, &res);
    if (rc != SATHD_OK)
        return rc;
    if (PQntuples(res) != 1)
        rc = sathd_call_error(call, SATHD_INVALID_ARGUMENT, "%s: you have no such key", field);
    else if (!is_ai && !in_list(bot_exchanges, PQgetvalue(res, 0, 0)))
        rc = sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                              "%s is a %s key; the bot trades on binance", field,
                              PQgetvalue(res, 0, 0));
    return rc;
}

int sathd_bot_cfg_validate(sathd_call *call, sathd_pg_conn *c, const char *user_id,
                           const Sath__V1__BotConfig *in, sathd_bot_cfg *out)
{
    memset(out, 0, sizeof *out);
    if (!in)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "config is required");
    if (in->n_symbols == 0)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "symbols: at least one is required");
    if (in->n_symbols > SATHD_BOT_MAX_SYMBOLS_HARD)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "symbols: at most %d",
                                SATHD_BOT_MAX_SYMBOLS_HARD);
    out->symbols = sathd_call_alloc(call, in->n_symbols * sizeof *out->symbols);
    if (!out->symbols)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < in->n_symbols; i++) {
        char *s = symbol_norm(call, in->symbols[i] ? in->symbols[i] : "");
        if (!s)
            return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                    "symbols[%zu] must be 2 to %d letters or digits, like BTCUSDT",
                                    i, SATHD_BOT_SYMBOL_MAX);
        int dup = 0;
        for (size_t j = 0; j < out->n_symbols && !dup; j++)
            dup = strcmp(out->symbols[j], s) == 0;
        if (!dup)
            out->symbols[out->n_symbols++] = s;
    }
    switch (in->mode) {
    case SATH__V1__BOT_MODE__BOT_MODE_UNSPECIFIED:
    case SATH__V1__BOT_MODE__BOT_MODE_PAPER: out->mode = "paper"; break;
    case SATH__V1__BOT_MODE__BOT_MODE_LIVE: out->mode = "live"; break;
    default: return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "mode is not a BotMode");
    }
    if (in->capital_cents <= 0)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "capital_cents must be > 0");
    out->capital_cents = in->capital_cents;
    if (in->risk_per_trade_bps < 1 || in->risk_per_trade_bps > 10000)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                "risk_per_trade_bps must be 1 to 10000");
    out->risk_bps = in->risk_per_trade_bps;
    out->strategy = in->strategy && *in->strategy ? in->strategy : sathd_bot_strategies[0];
    if (!in_list(sathd_bot_strategies, out->strategy))
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                "strategy must be one of sma_crossover, ema_crossover, "
                                "rsi_reversion, grid");
    out->exchange_key_id = in->exchange_key_id ? in->exchange_key_id : "";
    out->ai_key_id = in->ai_key_id ? in->ai_key_id : "";
    if (strcmp(out->mode, "live") == 0 && !*out->exchange_key_id)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                "exchange_key_id is required in live mode");
    int rc = SATHD_OK;
    if (*out->exchange_key_id)
        rc = check_key(call, c, user_id, "exchange_key_id", out->exchange_key_id, 0);
    if (rc == SATHD_OK && *out->ai_key_id)
        rc = check_key(call, c, user_id, "ai_key_id", out->ai_key_id, 1);
    return rc;
}

int sathd_bot_cfg_check_plan(sathd_call *call, const sathd_bot_cfg *cfg, const char *mode,
                             const sathd_bot_plan *plan)
{
    if ((int64_t)cfg->n_symbols > plan->max_symbols)
        return sathd_call_error(call, SATHD_FAILED_PRECONDITION,
                                "plan limit max_symbols: plan %s allows %d symbols, the config has %zu",
                                plan->name, plan->max_symbols, cfg->n_symbols);
    if (cfg->capital_cents > plan->max_capital_cents)
        return sathd_call_error(call, SATHD_FAILED_PRECONDITION,
                                "plan limit max_capital: plan %s allows %lld cents, the config has %lld",
                                plan->name, (long long)plan->max_capital_cents,
                                (long long)cfg->capital_cents);
    if (strcmp(mode, "live") == 0 && !plan->live_trading)
        return sathd_call_error(call, SATHD_FAILED_PRECONDITION,
                                "plan limit live_trading: plan %s allows paper trading only",
                                plan->name);
    return SATHD_OK;
}

char *sathd_bot_cfg_json(sathd_call *call, const sathd_bot_cfg *cfg)
{
    json_t *syms = json_array();
    for (size_t i = 0; syms && i < cfg->n_symbols; i++)
        json_array_append_new(syms, json_string(cfg->symbols[i]));
    json_t *o = json_pack("{s:o?, s:s, s:s, s:I, s:i, s:s}", "symbols", syms, "exchange_key_id",
                          cfg->exchange_key_id, "ai_key_id", cfg->ai_key_id, "capital_cents",
                          (json_int_t)cfg->capital_cents, "risk_per_trade_bps", (int)cfg->risk_bps,
                          "strategy", cfg->strategy);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    char *r = s ? sathd_call_strdup(call, s) : NULL;
    free(s);
    return r;
}

int sathd_bot_cfg_from_json(sathd_call *call, const char *json, const char *mode,
                            sathd_bot_cfg *out)
{
    memset(out, 0, sizeof *out);
    json_t *o = json_loads(json, 0, NULL);
    json_t *syms = json_object_get(o, "symbols");
    size_t n = json_array_size(syms);
    out->symbols = sathd_call_alloc(call, (n + 1) * sizeof *out->symbols);
    int ok = o && out->symbols;
    for (size_t i = 0; ok && i < n; i++) {
        const char *s = json_string_value(json_array_get(syms, i));
        ok = s && (out->symbols[out->n_symbols++] = sathd_call_strdup(call, s)) != NULL;
    }
    const char *ek = json_string_value(json_object_get(o, "exchange_key_id"));
    const char *ak = json_string_value(json_object_get(o, "ai_key_id"));
    const char *st = json_string_value(json_object_get(o, "strategy"));
    out->exchange_key_id = sathd_call_strdup(call, ek ? ek : "");
    out->ai_key_id = sathd_call_strdup(call, ak ? ak : "");
    out->strategy = sathd_call_strdup(call, st ? st : "");
    out->capital_cents = (int64_t)json_integer_value(json_object_get(o, "capital_cents"));
    out->risk_bps = (int32_t)json_integer_value(json_object_get(o, "risk_per_trade_bps"));
    out->mode = sathd_call_strdup(call, mode);
    json_decref(o);
    if (!ok || !out->exchange_key_id || !out->ai_key_id || !out->strategy || !out->mode)
        return sathd_call_error(call, SATHD_INTERNAL, "stored bot config unreadable");
    return SATHD_OK;
}

int sathd_bot_desire(sathd_call *call, sathd_pg_conn *c, const char *user_id, const char *state,
                     bool new_run, const char *mode, const char *reason, int *found)
{
    static const sathd_pg_stmt st = {
        "bot_desire", "SELECT sath_bot_desire($1, $2, $3, $4, $5)", 5};
    const char *p[5] = {user_id, state, new_run ? "true" : "false", mode, reason ? reason : ""};
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query(call, c, &st, p, &res);
    if (rc != SATHD_OK)
        return rc;
    if (found)
        *found = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0);
    return SATHD_OK;
}
