/*
 * authenticate.c - turning a bearer token into the caller's identity.
 *
 * Runs on every authenticated call, so it costs one signature check (skipped for a
 * token verified before, see sathd/token_cache.h) and one Redis round trip (sathd_session_access_ok reads the token, session and user revocation
 * keys together).  The reason a token was refused goes to the debug log only: telling
 * the client "expired" versus "bad signature" helps nobody but an attacker.
 *
 * Two kinds of bearer token, each accepted on its own methods only: a user's access
 * token (a JWT) everywhere but BotAgentService, and a bot's run token ("sathrt_...",
 * sathd/botagent.h) on BotAgentService only (SATHD_METHOD_RUN_TOKEN).  A run token can
 * therefore never act as its user, and a user token never as a bot.
 */
#include <string.h>

#include "sathd/app.h"
#include "sathd/botagent.h"
#include "sathd/jwt.h"
#include "sathd/log.h"
#include "sathd/session.h"
#include "sathd/services.h"
#include "sathd/svc.h"

#define BAD_TOKEN "invalid or expired access token"

int sathd_services_authenticate(void *ud, sathd_call *call, const char *bearer_token,
                                sathd_identity *out)
{
    sathd_app *app = ud;
    const sathd_method_desc *m = sathd_call_method(call);
    if (m && (m->flags & SATHD_METHOD_RUN_TOKEN))
        return sathd_agent_authenticate(call, bearer_token, out);
    if (strncmp(bearer_token, SATHD_RUN_TOKEN_PREFIX, strlen(SATHD_RUN_TOKEN_PREFIX)) == 0)
        return sathd_call_error(call, SATHD_UNAUTHENTICATED, "run tokens open BotAgentService only");
    sathd_jwt_claims cl;
    size_t len = strlen(bearer_token);
    int64_t now = sathd_svc_now();
    if (len > SATHD_JWT_MAX_TOKEN_LEN ||
        !sathd_token_cache_get(app->verified, bearer_token, len, now, app->jwt_policy.leeway_s, &cl)) {
        sathd_jwt_err err = sathd_jwt_verify_access(app->jwt, &app->jwt_policy, bearer_token, len,
                                                    now, &cl);
        if (err != SATHD_JWT_OK) {
            sathd_log(SATHD_LOG_DEBUG, "msg=\"access token refused\" request_id=%s reason=%s",
                      sathd_call_request_id(call), sathd_jwt_strerror(err));
            return sathd_call_error(call, SATHD_UNAUTHENTICATED, BAD_TOKEN);
        }
        sathd_token_cache_put(app->verified, bearer_token, len, &cl);
    }
    redisContext *redis = NULL;
    int rc = sathd_svc_redis_open(call, &redis);
    if (rc != SATHD_OK)
        return rc;
    sathd_session_rc src = sathd_session_access_ok(redis, cl.iss, cl.jti, cl.sub, cl.iat, cl.sid);
    sathd_svc_redis_close(call, redis);
    if (src == SATHD_SESSION_REVOKED)
        return sathd_call_error(call, SATHD_UNAUTHENTICATED, "access token has been revoked");
    if (src != SATHD_SESSION_OK)
        return sathd_svc_session_error(call, src, "access check");
    out->user_id = sathd_call_strdup(call, cl.sub);
    out->jti = sathd_call_strdup(call, cl.jti);
    out->issuer = sathd_call_strdup(call, cl.iss);
    out->session_id = sathd_call_strdup(call, cl.sid);
    out->token = bearer_token;
    out->expires_at = cl.exp;
    out->issued_at = cl.iat;
    if (!out->user_id || !out->jti || !out->issuer || !out->session_id)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    return SATHD_OK;
}
