/*
 * session.c - sath_client_login() and sath_client_logout(): the calls that start and
 * end the session held by a sath_client.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"
#include "sath/error.h"
#include "sath/v1/auth.pb-c.h"
#include "unary.h"

static void wipe_login_response(Sath__V1__LoginResponse *resp)
{
    sodium_memzero(resp->access_token, strlen(resp->access_token));
    sodium_memzero(resp->refresh_token, strlen(resp->refresh_token));
    protobuf_c_message_free_unpacked(&resp->base, NULL);
}

int sath_client_login(sath_client *c, const char *email, const char *password, sath_call_opts *opts)
{
    if (!c || !email || !password)
        return sath__fail(c, opts, SATH_EINVAL, "email and password are required");
    Sath__V1__LoginRequest req = SATH__V1__LOGIN_REQUEST__INIT;
    req.email = (char *)email;
    req.password = (char *)password;
    Sath__V1__LoginResponse *resp = NULL;
    int rc = sath__unary_ex(c, "/sath.v1.AuthService/Login", req.base.descriptor, &req.base,
                            &sath__v1__login_response__descriptor, (ProtobufCMessage **)&resp, opts,
                            SATH__CALL_PUBLIC);
    if (rc != SATH_OK)
        return rc;
    if (!resp->access_token[0]) {
        rc = sath__fail(c, opts, SATH_EPROTO, "Login answered without an access token");
    } else {
        rc = sath__tokens_replace(c, resp->access_token, resp->refresh_token[0] ? resp->refresh_token : NULL);
    }
    wipe_login_response(resp);
    return rc;
}

int sath_client_logout(sath_client *c, sath_call_opts *opts)
{
    if (!c)
        return sath__fail(c, opts, SATH_EINVAL, "the client is NULL");
    char *access = NULL, *refresh = NULL;
    int rc = sath_client_get_tokens(c, &access, &refresh);
    if (rc != SATH_OK)
        return rc;
    if (!access) {
        sath__secret_free(refresh);
        sath__tokens_replace(c, NULL, NULL);
        return sath__fail(c, opts, SATH_ENOTOKEN, "not logged in");
    }
    sath__secret_free(access);
    Sath__V1__LogoutRequest req = SATH__V1__LOGOUT_REQUEST__INIT;
    req.refresh_token = refresh ? refresh : (char *)"";
    Sath__V1__LogoutResponse *resp = NULL;
    rc = sath__unary_ex(c, "/sath.v1.AuthService/Logout", req.base.descriptor, &req.base,
                        &sath__v1__logout_response__descriptor, (ProtobufCMessage **)&resp, opts, 0);
    if (resp)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    sath__secret_free(refresh);
    sath__tokens_replace(c, NULL, NULL); /* a local logout always happens */
    return rc;
}
