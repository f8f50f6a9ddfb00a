/*
 * auth_service.c - sath.v1.AuthService: Register, Login, Refresh, Logout.
 *
 * Login never tells an unknown email from a wrong password: both answer the same
 * UNAUTHENTICATED message after the same amount of Argon2id work (a dummy verify for
 * unknown or deactivated accounts).  Imported bcrypt hashes and Argon2id hashes with
 * parameters below the configured ones are replaced on the first successful login.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sathd/app.h"
#include "sathd/log.h"
#include "sathd/password.h"
#include "sath/v1/auth.sath-server.h"
#include "email.h"
#include "sathd/services.h"
#include "sathd/svc.h"
#include "text.h"
#include "tokens.h"
#include "sathd/users_store.h"

#define LOGIN_FAILED "invalid email or password"

/* token_type of every token response; protobuf-c strings are not const. */
static char token_type_bearer[] = "bearer";

/* LoginResponse and RefreshResponse are distinct types with the same fields (the
 * FastAPI platform answered both with one JSON shape). */
#define FILL_TOKEN_RESPONSE(resp, t)                                                     \
    do {                                                                                 \
        (resp)->access_token = (t).access_token;                                         \
        (resp)->refresh_token = (t).refresh_token;                                       \
        (resp)->token_type = token_type_bearer;                                          \
        (resp)->expires_in = (t).expires_in;                                             \
        (resp)->refresh_expires_in = (t).refresh_expires_in;                             \
    } while (0)

static int auth_register(sathd_call *call, const Sath__V1__RegisterRequest *req,
                         Sath__V1__RegisterResponse *resp)
{
    sathd_app *app = sathd_call_app(call);
    char email[255];
    const char *why = NULL;
    if (sathd_email_normalize(req->email, email, sizeof email, &why) != 0)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "email: %s", why);
    size_t pwlen = strlen(req->password);
    if (sathd_password_check_rules(req->password, pwlen, &why) != 0)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "password: %s", why);
    if (sathd_text_check(req->name, 200, &why) != 0)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "name %s", why);
    if (sathd_svc_password_strong(call, req->password, email, req->name, &why) != 0)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "%s", why);

    char *hash = NULL;
    int rc = sathd_svc_pw_enter(call);
    if (rc != SATHD_OK)
        return rc;
    sathd_pw_result r = sathd_pwhash_hash(app->pwhash, req->password, pwlen,
                                          sathd_tokens_pwhash_wait_ms(call), &hash);
    sathd_svc_pw_leave(call);
    if (r != SATHD_PW_OK)
        return sathd_svc_pw_status(call, r, "hashing password");
    rc = sathd_users_insert(call, email, hash, req->name, &resp->user);
    free(hash);
    if (rc == SATHD_OK)
        sathd_log(SATHD_LOG_INFO, "msg=\"account created\" request_id=%s user=%s",
                  sathd_call_request_id(call), resp->user->id);
    return rc;
}

/* Checks the password of an existing account; upgrades the stored hash when asked. */
static int check_password(sathd_call *call, const sathd_login_row *row, const char *pw, size_t len)
{
    sathd_app *app = sathd_call_app(call);
    bool rehash = false;
    sathd_pw_result r = sathd_pwhash_verify(app->pwhash, row->password_hash, pw, len,
                                            sathd_tokens_pwhash_wait_ms(call), &rehash);
    if (r == SATHD_PW_MISMATCH || r == SATHD_PW_BAD_HASH) {
        if (r == SATHD_PW_BAD_HASH)
            sathd_log(SATHD_LOG_ERROR, "msg=\"unusable stored password hash\" user=%s", row->id);
        return sathd_call_error(call, SATHD_UNAUTHENTICATED, LOGIN_FAILED);
    }
    if (r != SATHD_PW_OK)
        return sathd_svc_pw_status(call, r, "verifying password");
    if (rehash) {
        char *fresh = NULL;
        if (sathd_pwhash_hash(app->pwhash, pw, len, sathd_tokens_pwhash_wait_ms(call), &fresh) ==
            SATHD_PW_OK) {
            /* Best effort: a failed upgrade must not fail a correct login. */
            if (sathd_users_rehash(call, row->id, row->password_hash, fresh) == SATHD_OK)
                sathd_log(SATHD_LOG_INFO, "msg=\"password hash upgraded\" user=%s", row->id);
            free(fresh);
        }
    }
    return SATHD_OK;
}

static int auth_login(sathd_call *call, const Sath__V1__LoginRequest *req,
                      Sath__V1__LoginResponse *resp)
{
    sathd_app *app = sathd_call_app(call);
    size_t pwlen = strlen(req->password);
    if (pwlen > SATHD_PASSWORD_MAX_BYTES)
        return sathd_call_error(call, SATHD_UNAUTHENTICATED, LOGIN_FAILED);
    char email[255];
    sathd_login_row row = {0};
    int rc = SATHD_OK;
    if (sathd_email_normalize(req->email, email, sizeof email, NULL) == 0)
        rc = sathd_users_find_login(call, email, &row);
    if (rc != SATHD_OK || (rc = sathd_svc_pw_enter(call)) != SATHD_OK)
        return rc;
    if (!row.found || !row.is_active) {
        sathd_pw_result r = sathd_pwhash_dummy_verify(app->pwhash, req->password, pwlen,
                                                      sathd_tokens_pwhash_wait_ms(call));
        sathd_svc_pw_leave(call);
        if (r == SATHD_PW_BUSY)
            return sathd_svc_pw_status(call, r, "dummy verify");
        return sathd_call_error(call, SATHD_UNAUTHENTICATED, LOGIN_FAILED);
    }
    rc = check_password(call, &row, req->password, pwlen);
    sathd_svc_pw_leave(call);
    if (rc != SATHD_OK)
        return rc;

    redisContext *redis = NULL;
    if ((rc = sathd_svc_redis_open(call, &redis)) != SATHD_OK)
        return rc;
    sathd_refresh refresh;
    sathd_session_rc src = sathd_session_issue(redis, row.id, app->cfg->refresh_ttl, &refresh);
    sathd_svc_redis_close(call, redis);
    if (src != SATHD_SESSION_OK)
        return sathd_svc_session_error(call, src, "issue");
    sathd_token_pair t;
    rc = sathd_tokens_issue(call, &refresh, &t);
    sodium_memzero(refresh.token, sizeof refresh.token);
    if (rc == SATHD_OK)
        FILL_TOKEN_RESPONSE(resp, t);
    return rc;
}

static int auth_refresh(sathd_call *call, const Sath__V1__RefreshRequest *req,
                        Sath__V1__RefreshResponse *resp)
{
    sathd_app *app = sathd_call_app(call);
    if (!req->refresh_token[0])
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "refresh_token is required");
    redisContext *redis = NULL;
    int rc = sathd_svc_redis_open(call, &redis);
    if (rc != SATHD_OK)
        return rc;
    sathd_refresh refresh;
    sathd_session_rc src = sathd_session_rotate(redis, req->refresh_token, app->cfg->refresh_ttl,
                                                &refresh);
    if (src == SATHD_SESSION_REUSE_DETECTED)
        sathd_log(SATHD_LOG_WARN, "msg=\"refresh token reuse, session revoked\" request_id=%s user=%s",
                  sathd_call_request_id(call), refresh.user_id);
    if (src != SATHD_SESSION_OK) {
        sathd_svc_redis_close(call, redis);
        return sathd_svc_session_error(call, src, "rotate");
    }
    bool active = false;
    rc = sathd_users_is_active(call, refresh.user_id, &active);
    if (rc == SATHD_OK && !active) {
        /* Deactivated after the token was issued: the session must not outlive it. */
        sathd_session_revoke_all_for_user(redis, refresh.user_id, NULL, NULL);
        rc = sathd_call_error(call, SATHD_UNAUTHENTICATED, "invalid or expired refresh token");
    }
    sathd_svc_redis_close(call, redis);
    sathd_token_pair t;
    if (rc == SATHD_OK)
        rc = sathd_tokens_issue(call, &refresh, &t);
    sodium_memzero(refresh.token, sizeof refresh.token);
    if (rc == SATHD_OK)
        FILL_TOKEN_RESPONSE(resp, t);
    return rc;
}

static int auth_logout(sathd_call *call, const Sath__V1__LogoutRequest *req,
                       Sath__V1__LogoutResponse *resp)
{
    (void)resp;
    sathd_app *app = sathd_call_app(call);
    const sathd_identity *id = sathd_call_identity(call);
    redisContext *redis = NULL;
    int rc = sathd_svc_redis_open(call, &redis);
    if (rc != SATHD_OK)
        return rc;
    sathd_session_rc src = SATHD_SESSION_OK;
    if (id->session_id && id->session_id[0])
        src = sathd_session_revoke_family(redis, id->session_id);
    if (src == SATHD_SESSION_INVALID)
        src = SATHD_SESSION_OK; /* the session had already ended */
    if (src == SATHD_SESSION_OK && req->refresh_token[0]) {
        char owner[37] = "";
        src = sathd_session_revoke_family_by_token(redis, req->refresh_token, id->user_id,
                                                   owner);
        if (src == SATHD_SESSION_INVALID)
            src = SATHD_SESSION_OK; /* already gone, or another user's token: both answer
                                       as a token we do not know (nothing revoked) */
    }
    if (src == SATHD_SESSION_OK)
        src = sathd_session_deny(redis, id->issuer, id->jti, id->expires_at,
                                 app->jwt_policy.leeway_s, sathd_svc_now());
    sathd_svc_redis_close(call, redis);
    if (src != SATHD_SESSION_OK)
        return sathd_svc_session_error(call, src, "logout");
    return SATHD_OK;
}

static const sath_v1_auth_service_impl auth_impl = {
    .register_ = auth_register,
    .login = auth_login,
    .refresh = auth_refresh,
    .logout = auth_logout,
};

int sathd_services_bind_auth(sathd_registry *reg)
{
    return sath_v1_auth_service_bind(reg, &auth_impl);
}
