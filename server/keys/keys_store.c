/*
 * keys_store.c - SQL of the api_keys and ai_keys tables (see keys_store.h).
 *
 * Text arrays (permissions, warnings) travel as JSON both ways (array_to_json out,
 * json_array_elements_text in), so no PostgreSQL array literal is ever built by hand.
 */
#include "sathd/keys_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sathd/svc.h"

#define TS_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
#define EX_COLUMNS                                                                          \
    "id::text, exchange, label, key_hint, is_testnet, encrypted_passphrase IS NOT NULL, " \
    TS_US("created_at") ", " TS_US("last_tested_at") ", coalesce(last_test_ok, false), "   \
    "array_to_json(permissions)::text, array_to_json(warnings)::text"
#define AI_COLUMNS                                                                       \
    "id::text, provider, label, coalesce(base_url, ''), key_hint, " TS_US("created_at") \
    ", " TS_US("last_tested_at") ", coalesce(last_test_ok, false), "                    \
    "array_to_json(permissions)::text, array_to_json(warnings)::text"

static const sathd_pg_stmt st_ins_ex = {
    "keys_insert_exchange",
    "INSERT INTO api_keys (id, user_id, exchange, label, encrypted_key, encrypted_secret, "
    "encrypted_passphrase, key_id, key_hint, is_testnet) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING " EX_COLUMNS,
    10};
static const sathd_pg_stmt st_ins_ai = {
    "keys_insert_ai",
    "INSERT INTO ai_keys (id, user_id, provider, label, base_url, encrypted_key, key_id, key_hint) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING " AI_COLUMNS,
    8};
/* The per-user creation lock (held to COMMIT) and the counts it protects. */
static const sathd_pg_stmt st_lock_user = {
    "keys_lock_user", "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", 1};
static const sathd_pg_stmt st_count_ex = {
    "keys_count_exchange", "SELECT count(*) >= $2::bigint FROM api_keys WHERE user_id = $1", 2};
static const sathd_pg_stmt st_count_ai = {
    "keys_count_ai", "SELECT count(*) >= $2::bigint FROM ai_keys WHERE user_id = $1", 2};
static const sathd_pg_stmt st_list_ex = {
    "keys_list_exchange",
    "SELECT " EX_COLUMNS " FROM api_keys WHERE user_id = $1 ORDER BY created_at DESC, id", 1};
static const sathd_pg_stmt st_list_ai = {
    "keys_list_ai",
    "SELECT " AI_COLUMNS " FROM ai_keys WHERE user_id = $1 ORDER BY created_at DESC, id", 1};
static const sathd_pg_stmt st_del_ex = {
    "keys_delete_exchange", "DELETE FROM api_keys WHERE id = $1 AND user_id = $2", 2};
static const sathd_pg_stmt st_del_ai = {
    "keys_delete_ai", "DELETE FROM ai_keys WHERE id = $1 AND user_id = $2", 2};
static const sathd_pg_stmt st_get = {
    "keys_get",
    "SELECT false, id::text, user_id::text, exchange, is_testnet, '', encrypted_key, "
    "encrypted_secret FROM api_keys WHERE id = $1 AND user_id = $2 "
    "UNION ALL "
    "SELECT true, id::text, user_id::text, provider, false, coalesce(base_url, ''), "
    "encrypted_key, '' FROM ai_keys WHERE id = $1 AND user_id = $2",
    2};
#define RECORD_SET                                                                     \
    " SET last_tested_at = now(), last_test_ok = $3, last_test_message = $4, "         \
    "permissions = ARRAY(SELECT json_array_elements_text($5::json)), "                 \
    "warnings = ARRAY(SELECT json_array_elements_text($6::json)) WHERE id = $1 AND user_id = $2"
static const sathd_pg_stmt st_rec_ex = {"keys_record_exchange", "UPDATE api_keys" RECORD_SET, 6};
static const sathd_pg_stmt st_rec_ai = {"keys_record_ai", "UPDATE ai_keys" RECORD_SET, 6};

/* A JSON array of strings (as array_to_json gives) into an arena array. */
static int strings_from_json(sathd_call *call, const char *text, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    json_t *a = json_loads(text, 0, NULL);
    if (!json_is_array(a) || json_array_size(a) == 0) {
        json_decref(a);
        return 0;
    }
    char **v = sathd_call_alloc(call, json_array_size(a) * sizeof *v);
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
        if (!v || !(v[*n] = sathd_call_strdup(call, json_string_value(e) ? json_string_value(e) : ""))) {
            json_decref(a);
            return -1;
        }
        (*n)++;
    }
    json_decref(a);
    *out = v;
    return 0;
}

/* The KeyTestSummary from columns tested_us, ok, perms, warnings starting at `col`. */
static Sath__V1__KeyTestSummary *summary(sathd_call *call, const PGresult *res, int row, int col)
{
    Sath__V1__KeyTestSummary *s = sathd_call_alloc(call, sizeof *s);
    if (!s)
        return NULL;
    sath__v1__key_test_summary__init(s);
    if (!PQgetisnull(res, row, col))
        s->tested_at = sathd_svc_timestamp_us(call, PQgetvalue(res, row, col));
    s->ok = PQgetvalue(res, row, col + 1)[0] == 't';
    if (strings_from_json(call, PQgetvalue(res, row, col + 2), &s->permissions, &s->n_permissions) ||
        strings_from_json(call, PQgetvalue(res, row, col + 3), &s->warnings, &s->n_warnings))
        return NULL;
    return s;
}

static Sath__V1__Exchange exchange_enum(const char *name)
{
    return strcmp(name, "binance") == 0 ? SATH__V1__EXCHANGE__EXCHANGE_BINANCE
           : strcmp(name, "bybit") == 0 ? SATH__V1__EXCHANGE__EXCHANGE_BYBIT
                                        : SATH__V1__EXCHANGE__EXCHANGE_OTHER;
}

static Sath__V1__AiProvider provider_enum(const char *name)
{
    return strcmp(name, "openai") == 0      ? SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI
           : strcmp(name, "anthropic") == 0 ? SATH__V1__AI_PROVIDER__AI_PROVIDER_ANTHROPIC
                                            : SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI_COMPATIBLE;
}

static Sath__V1__ExchangeKey *exchange_from_row(sathd_call *call, const PGresult *res, int r)
{
    Sath__V1__ExchangeKey *k = sathd_call_alloc(call, sizeof *k);
    if (!k)
        return NULL;
    sath__v1__exchange_key__init(k);
    k->id = sathd_svc_cell(call, res, r, 0);
    k->exchange = exchange_enum(PQgetvalue(res, r, 1));
    k->label = sathd_svc_cell(call, res, r, 2);
    k->api_key_masked = sathd_svc_cell(call, res, r, 3);
    k->is_testnet = PQgetvalue(res, r, 4)[0] == 't';
    k->has_passphrase = PQgetvalue(res, r, 5)[0] == 't';
    k->created_at = sathd_svc_timestamp_us(call, PQgetvalue(res, r, 6));
    k->last_test = summary(call, res, r, 7);
    return k->id && k->label && k->api_key_masked && k->last_test ? k : NULL;
}

static Sath__V1__AiKey *ai_from_row(sathd_call *call, const PGresult *res, int r)
{
    Sath__V1__AiKey *k = sathd_call_alloc(call, sizeof *k);
    if (!k)
        return NULL;
    sath__v1__ai_key__init(k);
    k->id = sathd_svc_cell(call, res, r, 0);
    k->provider = provider_enum(PQgetvalue(res, r, 1));
    k->label = sathd_svc_cell(call, res, r, 2);
    k->base_url = sathd_svc_cell(call, res, r, 3);
    k->api_key_masked = sathd_svc_cell(call, res, r, 4);
    k->created_at = sathd_svc_timestamp_us(call, PQgetvalue(res, r, 5));
    k->last_test = summary(call, res, r, 6);
    return k->id && k->label && k->base_url && k->api_key_masked && k->last_test ? k : NULL;
}

static int oom(sathd_call *call)
{
    return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
}

/* BEGIN; lock the user's key creations; refuse past the cap; INSERT; COMMIT. */
static int insert_capped(sathd_call *call, const char *user_id, int is_ai, int64_t cap,
                         const sathd_pg_stmt *ins, const char *const *params,
                         const PGresult **res)
{
    sathd_pg_conn *c = NULL;
    const PGresult *r = NULL; /* results belong to the call (cleared when it ends) */
    *res = NULL;
    int rc = sathd_svc_pg_open(call, &c);
    if (rc != SATHD_OK)
        return rc;
    if (sathd_pg_begin(c) != 0) {
        sathd_svc_pg_close(call, c);
        return sathd_call_error(call, SATHD_UNAVAILABLE, "database unavailable");
    }
    char lock_key[64], capbuf[24];
    snprintf(lock_key, sizeof lock_key, "keys:%s", user_id);
    snprintf(capbuf, sizeof capbuf, "%lld", (long long)cap);
    const char *lp[] = {lock_key}, *cp[] = {user_id, capbuf};
    if ((rc = sathd_svc_pg_query(call, c, &st_lock_user, lp, &r)) == SATHD_OK)
        rc = sathd_svc_pg_query(call, c, is_ai ? &st_count_ai : &st_count_ex, cp, &r);
    if (rc == SATHD_OK) {
        int full = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
        if (full)
            rc = sathd_call_error(call, SATHD_FAILED_PRECONDITION,
                                  "you already have %lld %s keys, the most allowed: delete one "
                                  "before adding another", (long long)cap,
                                  is_ai ? "AI-provider" : "exchange");
        else
            rc = sathd_svc_pg_query(call, c, ins, params, res);
    }
    if (rc == SATHD_OK && sathd_pg_commit(c) != 0) {
        *res = NULL;
        rc = sathd_call_error(call, SATHD_UNAVAILABLE, "database unavailable");
    } else if (rc != SATHD_OK) {
        sathd_pg_rollback(c);
    }
    sathd_svc_pg_close(call, c);
    return rc;
}

int sathd_keys_store_insert_exchange(sathd_call *call, const sathd_keys_new_exchange *k,
                                     Sath__V1__ExchangeKey **out)
{
    const char *params[] = {k->id,         k->user_id,        k->exchange, k->label,
                            k->enc_key,    k->enc_secret,     k->enc_passphrase,
                            k->kid,        k->hint,           k->testnet ? "true" : "false"};
    const PGresult *res = NULL;
    int rc = insert_capped(call, k->user_id, 0, k->max_per_user, &st_ins_ex, params, &res);
    if (rc != SATHD_OK)
        return rc;
    if (PQntuples(res) != 1 || !(*out = exchange_from_row(call, res, 0)))
        rc = oom(call);
    return rc;
}

int sathd_keys_store_insert_ai(sathd_call *call, const sathd_keys_new_ai *k, Sath__V1__AiKey **out)
{
    const char *params[] = {k->id,       k->user_id, k->provider, k->label,
                            k->base_url, k->enc_key, k->kid,      k->hint};
    const PGresult *res = NULL;
    int rc = insert_capped(call, k->user_id, 1, k->max_per_user, &st_ins_ai, params, &res);
    if (rc != SATHD_OK)
        return rc;
    if (PQntuples(res) != 1 || !(*out = ai_from_row(call, res, 0)))
        rc = oom(call);
    return rc;
}

/* The two listings differ only in statement and row type: one body, generated twice. */
#define DEFINE_LIST(fn, T, stmt, from_row)                                                     \
    int fn(sathd_call *call, const char *user_id, T ***out, size_t *n)                        \
    {                                                                                          \
        const char *params[] = {user_id};                                                      \
        const PGresult *res = NULL;                                                            \
        int rc = sathd_svc_pg_query1(call, &stmt, params, &res);                               \
        if (rc != SATHD_OK)                                                                    \
            return rc;                                                                         \
        int rows = PQntuples(res);                                                             \
        *n = 0;                                                                                \
        *out = rows ? sathd_call_alloc(call, (size_t)rows * sizeof **out) : NULL;              \
        if (rows && !*out)                                                                     \
            rc = oom(call);                                                                    \
        for (int r = 0; rc == SATHD_OK && r < rows; r++)                                       \
            if (!((*out)[(*n)++] = from_row(call, res, r)))                                    \
                rc = oom(call);                                                                \
        return rc;                                                                             \
    }

DEFINE_LIST(sathd_keys_store_list_exchange, Sath__V1__ExchangeKey, st_list_ex, exchange_from_row)
DEFINE_LIST(sathd_keys_store_list_ai, Sath__V1__AiKey, st_list_ai, ai_from_row)

int sathd_keys_store_delete(sathd_call *call, bool is_ai, const char *user_id, const char *id)
{
    const char *params[] = {id, user_id};
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query1(call, is_ai ? &st_del_ai : &st_del_ex, params, &res);
    if (rc != SATHD_OK)
        return rc;
    if (sathd_svc_affected(res) != 1)
        rc = sathd_call_error(call, SATHD_NOT_FOUND, "key not found");
    return rc;
}

int sathd_keys_store_get(sathd_call *call, const char *user_id, const char *id,
                         sathd_keys_row *row)
{
    const char *params[] = {id, user_id};
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query1(call, &st_get, params, &res);
    if (rc != SATHD_OK)
        return rc;
    memset(row, 0, sizeof *row);
    if (PQntuples(res) < 1) {
        rc = sathd_call_error(call, SATHD_NOT_FOUND, "key not found");
    } else {
        row->is_ai = PQgetvalue(res, 0, 0)[0] == 't';
        row->id = sathd_svc_cell(call, res, 0, 1);
        row->user_id = sathd_svc_cell(call, res, 0, 2);
        row->kind = sathd_svc_cell(call, res, 0, 3);
        row->testnet = PQgetvalue(res, 0, 4)[0] == 't';
        row->base_url = sathd_svc_cell(call, res, 0, 5);
        row->enc_key = sathd_svc_cell(call, res, 0, 6);
        row->enc_secret = sathd_svc_cell(call, res, 0, 7);
        if (!row->id || !row->user_id || !row->kind || !row->base_url || !row->enc_key ||
            !row->enc_secret)
            rc = oom(call);
    }
    return rc;
}

static char *json_strings(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}

int sathd_keys_store_record_test(sathd_call *call, const sathd_keys_row *row,
                                 const sathd_keys_test_record *rec)
{
    char *perms = json_strings(rec->perms, rec->n_perms);
    char *warns = json_strings(rec->warnings, rec->n_warnings);
    int rc;
    if (!perms || !warns) {
        rc = oom(call);
    } else {
        const char *params[] = {row->id, row->user_id, rec->ok ? "true" : "false",
                                rec->message ? rec->message : "", perms, warns};
        const PGresult *res = NULL;
        rc = sathd_svc_pg_query1(call, row->is_ai ? &st_rec_ai : &st_rec_ex, params, &res);
    }
    free(perms);
    free(warns);
    return rc;
}
