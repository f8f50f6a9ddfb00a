/*
 * user_service.c - sath.v1.UserService: the caller's own account.
 *
 * An email or password change needs the current password and ends every other session
 * of the account (their refresh families are revoked, which also kills the access tokens
 * issued for them); the caller's own session stays.  DeleteMe needs the password too,
 * deactivates the account and ends all of its sessions at once through the user's
 * access-token cut-off.
 */
#include <stdlib.h>
#include <string.h>

#include "sathd/app.h"
#include "sathd/log.h"
#include "sathd/password.h"
#include "sath/v1/user.sath-server.h"
#include "email.h"
#include "sathd/bot_store.h"
#include "sathd/services.h"
#include "sathd/svc.h"
#include "text.h"
#include "tokens.h"
#include "sathd/users_store.h"

static int user_get_me(sathd_call *call, const Sath__V1__GetMeRequest *req, Sath__V1__User *resp)
{
    (void)req;
    Sath__V1__User *u = NULL;
    int rc = sathd_users_get(call, sathd_call_identity(call)->user_id, &u);
    if (rc == SATHD_OK)
        *resp = *u;
    return rc;
}

/* Checks the account's present password (email and password changes, DeleteMe): a
 * stolen access token alone must not be enough to take the account over or delete it.
 * Missing or wrong: PERMISSION_DENIED. */
static int verify_current(sathd_call *call, const char *user_id, const char *current,
                          const char *what)
{
    sathd_app *app = sathd_call_app(call);
    if (!current || !*current)
        return sathd_call_error(call, SATHD_PERMISSION_DENIED,
                                "%s: the current password is required", what);
    const char *stored = NULL;
    int rc = sathd_users_get_hash(call, user_id, &stored);
    if (rc != SATHD_OK)
        return rc;
    if ((rc = sathd_svc_pw_enter(call)) != SATHD_OK)
        return rc;
    sathd_pw_result r = sathd_pwhash_verify(app->pwhash, stored, current, strlen(current),
                                            sathd_tokens_pwhash_wait_ms(call), NULL);
    sathd_svc_pw_leave(call);
    if (r == SATHD_PW_MISMATCH || r == SATHD_PW_BAD_INPUT)
        return sathd_call_error(call, SATHD_PERMISSION_DENIED, "%s: the current password is wrong",
                                what);
    return r == SATHD_PW_OK ? SATHD_OK : sathd_svc_pw_status(call, r, "password check");
}

/* Checks a new password's rules and strength and returns its hash. */
static int new_password_hash(sathd_call *call, const char *next, const char *email,
                             const char *name, char **new_hash)
{
    sathd_app *app = sathd_call_app(call);
    const char *why = NULL;
    if (sathd_password_check_rules(next, strlen(next), &why) != 0 ||
        sathd_svc_password_strong(call, next, email, name, &why) != 0)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "new_%s", why);
    int rc = sathd_svc_pw_enter(call);
    if (rc != SATHD_OK)
        return rc;
    sathd_pw_result r = sathd_pwhash_hash(app->pwhash, next, strlen(next),
                                          sathd_tokens_pwhash_wait_ms(call), new_hash);
    sathd_svc_pw_leave(call);
    return r == SATHD_PW_OK ? SATHD_OK : sathd_svc_pw_status(call, r, "password change");
}

/* Ends every session of the user but the caller's (after an email or password change). */
static int end_other_sessions(sathd_call *call, const sathd_identity *id, const char *what)
{
    redisContext *redis = NULL;
    int rc = sathd_svc_redis_open(call, &redis);
    if (rc != SATHD_OK)
        return rc;
    long long ended = 0;
    sathd_session_rc src = sathd_session_revoke_all_for_user(redis, id->user_id, id->session_id,
                                                             &ended);
    sathd_svc_redis_close(call, redis);
    if (src != SATHD_SESSION_OK)
        return sathd_svc_session_error(call, src, "revoke other sessions");
    sathd_log(SATHD_LOG_INFO, "msg=\"%s changed\" user=%s other_sessions_ended=%lld", what,
              id->user_id, ended);
    return SATHD_OK;
}

static int user_update_me(sathd_call *call, const Sath__V1__UpdateMeRequest *req,
                          Sath__V1__User *resp)
{
    const sathd_identity *id = sathd_call_identity(call);
    const char *why = NULL, *name = NULL, *email = NULL;
    char email_buf[255];
    if (req->name) {
        if (sathd_text_check(req->name->value, 200, &why) != 0)
            return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "name %s", why);
        name = req->name->value;
    }
    if (req->email) {
        if (sathd_email_normalize(req->email->value, email_buf, sizeof email_buf, &why) != 0)
            return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "email: %s", why);
        email = email_buf;
    }
    int rc = SATHD_OK;
    if (email || req->new_password) {
        const char *what = req->new_password ? "new_password" : "email";
        rc = verify_current(call, id->user_id,
                            req->current_password ? req->current_password->value : NULL, what);
        if (rc != SATHD_OK)
            return rc;
    }
    char *new_hash = NULL;
    if (req->new_password) {
        Sath__V1__User *cur = NULL;
        if ((rc = sathd_users_get(call, id->user_id, &cur)) != SATHD_OK)
            return rc;
        rc = new_password_hash(call, req->new_password->value, email ? email : cur->email,
                               name ? name : cur->name, &new_hash);
        if (rc != SATHD_OK)
            return rc;
    }
    Sath__V1__User *u = NULL;
    rc = sathd_users_update(call, id->user_id, name, email, new_hash, &u);
    int changed_pw = new_hash != NULL;
    free(new_hash);
    if (rc != SATHD_OK)
        return rc;
    *resp = *u;
    if (!changed_pw && !email)
        return SATHD_OK;
    return end_other_sessions(call, id, changed_pw ? "password" : "email");
}

static int user_delete_me(sathd_call *call, const Sath__V1__DeleteMeRequest *req,
                          Sath__V1__DeleteMeResponse *resp)
{
    (void)resp;
    sathd_app *app = sathd_call_app(call);
    const sathd_identity *id = sathd_call_identity(call);
    int rc = verify_current(call, id->user_id, req->password, "password");
    if (rc != SATHD_OK)
        return rc;
    if ((rc = sathd_users_deactivate(call, id->user_id)) != SATHD_OK)
        return rc;
    /* the account's bot stops; sath-orchestrator then removes what it ran */
    sathd_pg_conn *c = NULL;
    if ((rc = sathd_svc_pg_open(call, &c)) == SATHD_OK)
        rc = sathd_bot_desire(call, c, id->user_id, "stopped", false, NULL, "account deleted", NULL);
    sathd_svc_pg_close(call, c);
    if (rc != SATHD_OK)
        return rc;
    redisContext *redis = NULL;
    if ((rc = sathd_svc_redis_open(call, &redis)) != SATHD_OK)
        return rc;
    /* +1: the cut-off spares tokens issued in its own second; none may survive here. */
    sathd_session_rc src = sathd_session_set_user_cutoff(
        redis, id->user_id, sathd_svc_now() + 1,
        app->jwt_policy.access_ttl_s + app->jwt_policy.leeway_s + 1);
    if (src == SATHD_SESSION_OK)
        src = sathd_session_revoke_all_for_user(redis, id->user_id, NULL, NULL);
    sathd_svc_redis_close(call, redis);
    if (src != SATHD_SESSION_OK)
        return sathd_svc_session_error(call, src, "end sessions");
    sathd_log(SATHD_LOG_INFO, "msg=\"account deactivated\" request_id=%s user=%s",
              sathd_call_request_id(call), id->user_id);
    return SATHD_OK;
}

static const sath_v1_user_service_impl user_impl = {
    .get_me = user_get_me,
    .update_me = user_update_me,
    .delete_me = user_delete_me,
};

int sathd_services_bind_user(sathd_registry *reg)
{
    return sath_v1_user_service_bind(reg, &user_impl);
}
