/*
 * users_store.c - SQL of the users table (see users_store.h).
 *
 * Times are selected as integer microseconds since the epoch so no timestamp text is
 * parsed on the hot path; emails are stored normalised (lower case), which the table's
 * CHECK constraint and unique index rely on.
 */
#include "sathd/users_store.h"

#include <string.h>

#include "sathd/authsync.h"
#include "sathd/svc.h"
#include "sathd/users_cache.h"

#define USER_COLUMNS                                                                   \
    "u.id, u.email, u.name, u.is_active, p.name, "                                     \
    "(extract(epoch FROM u.created_at) * 1000000)::bigint, "                           \
    "(extract(epoch FROM u.updated_at) * 1000000)::bigint"

static const sathd_pg_stmt st_insert = {
    "users_insert",
    "WITH u AS (INSERT INTO users (email, password_hash, name, plan_id) "
    "VALUES ($1, $2, $3, (SELECT id FROM plans WHERE name = 'free')) RETURNING *) "
    "SELECT " USER_COLUMNS " FROM u JOIN plans p ON p.id = u.plan_id",
    3};
static const sathd_pg_stmt st_find_login = {
    "users_find_login", "SELECT id, password_hash, is_active FROM users WHERE email = $1", 1};
static const sathd_pg_stmt st_get = {
    "users_get",
    "SELECT " USER_COLUMNS " FROM users u JOIN plans p ON p.id = u.plan_id "
    "WHERE u.id = $1 AND u.is_active",
    1};
static const sathd_pg_stmt st_get_hash = {
    "users_get_hash", "SELECT password_hash FROM users WHERE id = $1 AND is_active", 1};
static const sathd_pg_stmt st_rehash = {
    "users_rehash",
    "UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2", 3};
static const sathd_pg_stmt st_update = {
    "users_update",
    "WITH u AS (UPDATE users SET name = COALESCE($2, name), email = COALESCE($3, email), "
    "password_hash = COALESCE($4, password_hash), "
    "password_changed_at = CASE WHEN $4::text IS NULL THEN password_changed_at ELSE now() END, "
    "updated_at = now() WHERE id = $1 AND is_active RETURNING *) "
    "SELECT " USER_COLUMNS " FROM u JOIN plans p ON p.id = u.plan_id",
    4};
static const sathd_pg_stmt st_deactivate = {
    "users_deactivate",
    "UPDATE users SET is_active = false, deactivated_at = now(), updated_at = now() "
    "WHERE id = $1 AND is_active",
    1};
static const sathd_pg_stmt st_is_active = {
    "users_is_active", "SELECT is_active FROM users WHERE id = $1", 1};

static int user_from_row(sathd_call *call, const PGresult *res, Sath__V1__User **out)
{
    Sath__V1__User *u = sathd_call_alloc(call, sizeof *u);
    if (!u)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    sath__v1__user__init(u);
    u->id = sathd_svc_cell(call, res, 0, 0);
    u->email = sathd_svc_cell(call, res, 0, 1);
    u->name = sathd_svc_cell(call, res, 0, 2);
    u->is_active = PQgetvalue(res, 0, 3)[0] == 't';
    u->plan = sathd_svc_cell(call, res, 0, 4);
    u->created_at = sathd_svc_timestamp_us(call, PQgetvalue(res, 0, 5));
    u->updated_at = sathd_svc_timestamp_us(call, PQgetvalue(res, 0, 6));
    if (!u->id || !u->email || !u->name || !u->plan)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    *out = u;
    return SATHD_OK;
}

/* Runs `st` and turns a one-row result into a User; zero rows is NOT_FOUND. */
static int query_user(sathd_call *call, const sathd_pg_stmt *st, const char *const *params,
                      Sath__V1__User **out)
{
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query1(call, st, params, &res);
    if (rc != SATHD_OK)
        return rc;
    if (PQntuples(res) != 1)
        rc = sathd_call_error(call, SATHD_NOT_FOUND, "account not found");
    else
        rc = user_from_row(call, res, out);
    return rc;
}

int sathd_users_insert(sathd_call *call, const char *email, const char *hash, const char *name,
                       Sath__V1__User **out)
{
    const char *params[] = {email, hash, name};
    int rc = query_user(call, &st_insert, params, out);
    if (rc == SATHD_ALREADY_EXISTS)
        return sathd_call_error(call, SATHD_ALREADY_EXISTS, "an account with this email already exists");
    return rc;
}

int sathd_users_find_login(sathd_call *call, const char *email, sathd_login_row *row)
{
    const char *params[] = {email};
    const PGresult *res = NULL;
    memset(row, 0, sizeof *row);
    int rc = sathd_svc_pg_query1(call, &st_find_login, params, &res);
    if (rc != SATHD_OK)
        return rc;
    if (PQntuples(res) == 1) {
        row->found = true;
        row->id = sathd_svc_cell(call, res, 0, 0);
        row->password_hash = sathd_svc_cell(call, res, 0, 1);
        row->is_active = PQgetvalue(res, 0, 2)[0] == 't';
        if (!row->id || !row->password_hash)
            rc = sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    }
    return rc;
}

int sathd_users_get(sathd_call *call, const char *id, Sath__V1__User **out)
{
    sathd_app *app = sathd_call_app(call);
    uint64_t stamp = 0;
    if (sathd_users_cache_get(app->users, call, id, out, &stamp) &&
        sathd_authsync_valid(app->sync, SATHD_FEED_USERS, id, stamp, sathd_authsync_now_ms()))
        return SATHD_OK;
    /* Stamped before the read: a change applied meanwhile makes this row stale. */
    stamp = sathd_authsync_stamp(app->sync);
    const char *params[] = {id};
    int rc = query_user(call, &st_get, params, out);
    if (rc == SATHD_OK)
        sathd_users_cache_put(app->users, *out, stamp);
    return rc;
}

/* A write to the row of `id` has completed: this instance stops serving what it cached
 * at once (the others learn it from the trigger's NOTIFY: sql/006_user_change_notify.sql). */
static void changed(sathd_call *call, const char *id)
{
    sathd_authsync_changed(sathd_call_app(call)->sync, id);
}

int sathd_users_get_hash(sathd_call *call, const char *id, const char **hash)
{
    const char *params[] = {id};
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query1(call, &st_get_hash, params, &res);
    if (rc != SATHD_OK)
        return rc;
    if (PQntuples(res) != 1)
        rc = sathd_call_error(call, SATHD_NOT_FOUND, "account not found");
    else if (!(*hash = sathd_svc_cell(call, res, 0, 0)))
        rc = sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    return rc;
}

int sathd_users_rehash(sathd_call *call, const char *id, const char *old_hash, const char *new_hash)
{
    const char *params[] = {id, old_hash, new_hash};
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query1(call, &st_rehash, params, &res);
    return rc;
}

int sathd_users_update(sathd_call *call, const char *id, const char *name, const char *email,
                       const char *new_hash, Sath__V1__User **out)
{
    const char *params[] = {id, name, email, new_hash};
    int rc = query_user(call, &st_update, params, out);
    changed(call, id); /* even on failure: the statement may have committed */
    if (rc == SATHD_ALREADY_EXISTS)
        return sathd_call_error(call, SATHD_ALREADY_EXISTS, "an account with this email already exists");
    return rc;
}

int sathd_users_deactivate(sathd_call *call, const char *id)
{
    const char *params[] = {id};
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query1(call, &st_deactivate, params, &res);
    changed(call, id);
    if (rc != SATHD_OK)
        return rc;
    if (sathd_svc_affected(res) != 1)
        rc = sathd_call_error(call, SATHD_NOT_FOUND, "account not found");
    return rc;
}

int sathd_users_is_active(sathd_call *call, const char *id, bool *active)
{
    const char *params[] = {id};
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query1(call, &st_is_active, params, &res);
    if (rc != SATHD_OK)
        return rc;
    *active = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    return rc;
}
