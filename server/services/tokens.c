/*
 * tokens.c - the token pair handed out by Login and Refresh.
 *
 * The access token carries the session (refresh family) id as `sid`, so revoking a
 * session also revokes the access tokens issued for it, and "end the other sessions"
 * can spare the caller's own.
 */
#include "tokens.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sathd/app.h"
#include "sathd/jwt.h"
#include "sathd/svc.h"

int sathd_tokens_pwhash_wait_ms(const sathd_call *call)
{
    int64_t left = sathd_call_remaining_ms(call);
    return (int)(left < SATHD_PWHASH_WAIT_MAX_MS ? left : SATHD_PWHASH_WAIT_MAX_MS);
}

int sathd_tokens_issue(sathd_call *call, const sathd_refresh *refresh, sathd_token_pair *out)
{
    sathd_app *app = sathd_call_app(call);
    sathd_jwt_claims claims;
    sathd_jwt_err err = SATHD_JWT_OK;
    char *access = sathd_jwt_sign_access(app->jwt, &app->jwt_policy, refresh->user_id,
                                         refresh->family, sathd_svc_now(), &claims, &err);
    if (!access)
        return sathd_call_error(call, SATHD_INTERNAL, "signing access token: %s",
                                sathd_jwt_strerror(err));
    out->access_token = sathd_call_strdup(call, access);
    sodium_memzero(access, strlen(access));
    free(access);
    out->refresh_token = sathd_call_strdup(call, refresh->token);
    out->expires_in = app->jwt_policy.access_ttl_s;
    out->refresh_expires_in = app->cfg->refresh_ttl;
    if (!out->access_token || !out->refresh_token)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    return SATHD_OK;
}
