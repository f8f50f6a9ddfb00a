/*
 * tokens.c - the session's tokens: storage, the change callback, and the serialised
 * refresh (one Refresh call at a time; threads that wait reuse its result).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"
#include "jwt.h"
#include "sath/error.h"
#include "sath/v1/auth.pb-c.h"
#include "unary.h"

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Reports the tokens held now to the callback (see sath_tokens_cb for the rules). */
static void fire(sath_client *c)
{
    pthread_mutex_lock(&c->cb_mu);
    if (c->cb) {
        pthread_mutex_lock(&c->tok_mu);
        char *access = dup_or_null(c->access);
        char *refresh = dup_or_null(c->refresh);
        int ok = (!c->access || access) && (!c->refresh || refresh);
        pthread_mutex_unlock(&c->tok_mu);
        if (ok)
            c->cb(c->cb_userdata, access, refresh);
        sath__secret_free(access);
        sath__secret_free(refresh);
    }
    pthread_mutex_unlock(&c->cb_mu);
}

/* Swaps in new (already copied) tokens; tok_mu must be held.  Wipes the old ones. */
static void swap_locked(sath_client *c, char *access, char *refresh)
{
    int64_t exp = 0;
    if (access && sath__jwt_exp(access, &exp) != SATH_OK)
        exp = 0; /* unknown: refresh only after UNAUTHENTICATED */
    sath__secret_free(c->access);
    sath__secret_free(c->refresh);
    c->access = access;
    c->refresh = refresh;
    c->access_exp = exp;
    c->generation++;
}

uint64_t sath__tokens_snapshot(sath_client *c, char **access, int64_t *exp, int *has_refresh)
{
    pthread_mutex_lock(&c->tok_mu);
    *access = dup_or_null(c->access);
    *exp = c->access_exp;
    *has_refresh = c->refresh != NULL;
    uint64_t gen = c->generation;
    pthread_mutex_unlock(&c->tok_mu);
    return gen;
}

int sath__tokens_replace(sath_client *c, const char *access, const char *refresh)
{
    char *a = dup_or_null(access);
    char *r = dup_or_null(refresh);
    if ((access && !a) || (refresh && !r)) {
        sath__secret_free(a);
        sath__secret_free(r);
        return SATH_ENOMEM;
    }
    pthread_mutex_lock(&c->tok_mu);
    swap_locked(c, a, r);
    pthread_mutex_unlock(&c->tok_mu);
    fire(c);
    return SATH_OK;
}

/* Calls Refresh with `refresh_token`; on success *access and *refresh get the new tokens. */
static int call_refresh(sath_client *c, char *refresh_token, sath_call_opts *opts, char **access,
                        char **refresh)
{
    Sath__V1__RefreshRequest req = SATH__V1__REFRESH_REQUEST__INIT;
    req.refresh_token = refresh_token;
    Sath__V1__RefreshResponse *resp = NULL;
    int rc = sath__unary_ex(c, "/sath.v1.AuthService/Refresh", req.base.descriptor, &req.base,
                            &sath__v1__refresh_response__descriptor, (ProtobufCMessage **)&resp,
                            opts, SATH__CALL_PUBLIC | (opts ? 0 : SATH__CALL_QUIET));
    if (rc == SATH_OK) {
        if (!resp->access_token[0] || !resp->refresh_token[0])
            rc = SATH_EPROTO;
        else if (!(*access = strdup(resp->access_token)) || !(*refresh = strdup(resp->refresh_token)))
            rc = SATH_ENOMEM;
        sodium_memzero(resp->access_token, strlen(resp->access_token));
        sodium_memzero(resp->refresh_token, strlen(resp->refresh_token));
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    }
    return rc;
}

int sath__tokens_refresh(sath_client *c, uint64_t seen, sath_call_opts *opts)
{
    pthread_mutex_lock(&c->tok_mu);
    while (c->refreshing)
        pthread_cond_wait(&c->tok_cv, &c->tok_mu);
    if (c->generation != seen) { /* somebody refreshed (or logged in/out) meanwhile */
        pthread_mutex_unlock(&c->tok_mu);
        return SATH_OK;
    }
    char *rt = dup_or_null(c->refresh);
    if (!rt) {
        int rc = c->refresh ? SATH_ENOMEM : SATH_ENOTOKEN;
        pthread_mutex_unlock(&c->tok_mu);
        return rc;
    }
    c->refreshing = 1;
    pthread_mutex_unlock(&c->tok_mu);

    char *access = NULL, *refresh = NULL;
    int rc = call_refresh(c, rt, opts, &access, &refresh);
    sath__secret_free(rt);

    int changed = 1;
    pthread_mutex_lock(&c->tok_mu);
    if (rc == SATH_OK)
        swap_locked(c, access, refresh);
    else if (rc == SATH_UNAUTHENTICATED) /* refresh token revoked or expired: session over */
        swap_locked(c, NULL, NULL);
    else
        changed = 0;
    c->refreshing = 0;
    pthread_cond_broadcast(&c->tok_cv);
    pthread_mutex_unlock(&c->tok_mu);
    if (rc != SATH_OK) {
        sath__secret_free(access);
        sath__secret_free(refresh);
    }
    if (changed)
        fire(c);
    return rc;
}

/* ---- public token API ---- */

int sath_client_set_tokens(sath_client *c, const char *access_token, const char *refresh_token)
{
    if (!c)
        return SATH_EINVAL;
    return sath__tokens_replace(c, access_token, refresh_token);
}

int sath_client_get_tokens(sath_client *c, char **access_token, char **refresh_token)
{
    if (!c || (!access_token && !refresh_token))
        return SATH_EINVAL;
    char *a = NULL, *r = NULL;
    pthread_mutex_lock(&c->tok_mu);
    int rc = SATH_OK;
    if (access_token && c->access && !(a = strdup(c->access)))
        rc = SATH_ENOMEM;
    if (refresh_token && c->refresh && !(r = strdup(c->refresh)))
        rc = SATH_ENOMEM;
    pthread_mutex_unlock(&c->tok_mu);
    if (rc != SATH_OK) {
        sath__secret_free(a);
        sath__secret_free(r);
        return rc;
    }
    if (access_token)
        *access_token = a;
    if (refresh_token)
        *refresh_token = r;
    return SATH_OK;
}

void sath_client_on_tokens(sath_client *c, sath_tokens_cb cb, void *userdata)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->cb_mu);
    c->cb = cb;
    c->cb_userdata = userdata;
    pthread_mutex_unlock(&c->cb_mu);
}

int sath_client_refresh(sath_client *c, sath_call_opts *opts)
{
    if (!c)
        return sath__fail(c, opts, SATH_EINVAL, "the client is NULL");
    char *access = NULL;
    int64_t exp = 0;
    int has_refresh = 0;
    uint64_t gen = sath__tokens_snapshot(c, &access, &exp, &has_refresh);
    sath__secret_free(access);
    int rc = has_refresh ? sath__tokens_refresh(c, gen, opts) : SATH_ENOTOKEN;
    if (rc == SATH_ENOTOKEN)
        sath__fail(c, opts, rc, "no refresh token held");
    return rc;
}
