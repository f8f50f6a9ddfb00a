/*
 * user_service.c - sath.v1.UserService: the caller's own account.
 *
 * A password change needs the current password and ends every other session of the
 * account (their refresh families are revoked, which also kills the access tokens issued
 * for them); the caller's own session stays.  DeleteMe deactivates the account and ends
 * all of its sessions at once through the user's access-token cut-off.
 */
#include <stdlib.h>
#include <string.h>

#include "sathd/app.h"
#include "sathd/authsync.h"
#include "sathd/log.h"
#include "sathd/password.h"
#include "sath/v1/user.sath-server.h"
#include "email.h"
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

/* Verifies `current` against the stored hash and returns a hash of `next`. */
static int change_password(sathd_call *call, const char *user_id, const char *current,
                           const char *next, char **new_hash)
{
    sathd_app *app = sathd_call_app(call);
    const char *why = NULL;
    if (!current)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT,
                                "current_password is required to set new_password");
    if (sathd_password_check_rules(next, strlen(next), &why) != 0)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "new_password: %s", why);
    const char *stored = NULL;
    int rc = sathd_users_get_hash(call, user_id, &stored);
    if (rc != SATHD_OK)
        return rc;
    int wait = sathd_tokens_pwhash_wait_ms(call);
    sathd_pw_result r = sathd_pwhash_verify(app->pwhash, stored, current, strlen(current), wait, NULL);
    if (r == SATHD_PW_MISMATCH || r == SATHD_PW_BAD_INPUT)
        return sathd_call_error(call, SATHD_PERMISSION_DENIED, "current_password is wrong");
    if (r == SATHD_PW_OK)
        r = sathd_pwhash_hash(app->pwhash, next, strlen(next), wait, new_hash);
    if (r == SATHD_PW_BUSY)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED,
                                "too many password checks in progress, retry shortly");
    if (r != SATHD_PW_OK)
        return sathd_call_error(call, SATHD_INTERNAL, "password change: %s", sathd_pw_strerror(r));
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
    char *new_hash = NULL;
    if (req->new_password) {
        int rc = change_password(call, id->user_id,
                                 req->current_password ? req->current_password->value : NULL,
                                 req->new_password->value, &new_hash);
        if (rc != SATHD_OK)
            return rc;
    }
    Sath__V1__User *u = NULL;
    int rc = sathd_users_update(call, id->user_id, name, email, new_hash, &u);
    free(new_hash);
    if (rc != SATHD_OK)
        return rc;
    *resp = *u;
    if (!new_hash)
        return SATHD_OK;

    redisContext *redis = NULL;
    if ((rc = sathd_svc_redis_open(call, &redis)) != SATHD_OK)
        return rc;
    long long ended = 0;
    sathd_session_rc src = sathd_session_revoke_all_for_user(redis, id->user_id, id->session_id,
                                                             &ended);
    sathd_svc_redis_close(call, redis);
    sathd_authsync_changed(sathd_call_app(call)->sync, id->user_id); /* here before answering */
    if (src != SATHD_SESSION_OK)
        return sathd_svc_session_error(call, src, "revoke other sessions");
    sathd_log(SATHD_LOG_INFO, "msg=\"password changed\" user=%s other_sessions_ended=%lld",
              id->user_id, ended);
    return SATHD_OK;
}

static int user_delete_me(sathd_call *call, const Sath__V1__DeleteMeRequest *req,
                          Sath__V1__DeleteMeResponse *resp)
{
    (void)req, (void)resp;
    sathd_app *app = sathd_call_app(call);
    const sathd_identity *id = sathd_call_identity(call);
    int rc = sathd_users_deactivate(call, id->user_id);
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
    sathd_authsync_changed(app->sync, id->user_id); /* here before answering */
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
