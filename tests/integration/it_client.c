/*
 * it_client.c - see it_client.h.
 */
#include "it_client.h"

#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

int it_setup(void **state)
{
    it_fixture *f = calloc(1, sizeof *f);
    if (!f || sodium_init() < 0 || sathd_proc_start(&f->proc, NULL) != 0)
        return -1;
    if (sath_client_new(f->proc.target, NULL, &f->c) != SATH_OK)
        return -1;
    *state = f;
    return 0;
}

int it_teardown(void **state)
{
    it_fixture *f = *state;
    sath_client_free(f->c);
    int rc = sathd_proc_stop(&f->proc);
    free(f);
    return rc == 0 ? 0 : -1; /* a clean SIGTERM shutdown exits 0 */
}

void it_new_email(char *buf, size_t n, const char *tag, const char *domain)
{
    unsigned char r[6];
    randombytes_buf(r, sizeof r);
    snprintf(buf, n, "%s.%02x%02x%02x%02x%02x%02x@%s", tag, r[0], r[1], r[2], r[3], r[4], r[5],
             domain);
}

sath_client *it_client_with(const char *target, const char *access, const char *refresh)
{
    sath_client *c = NULL;
    if (sath_client_new(target, NULL, &c) != SATH_OK)
        return NULL;
    if (sath_client_set_tokens(c, access, refresh) != SATH_OK) {
        sath_client_free(c);
        return NULL;
    }
    return c;
}

int it_register(sath_client *c, const char *email, const char *pw, const char *name,
                Sath__V1__RegisterResponse **out, sath_call_opts *o)
{
    Sath__V1__RegisterRequest req = SATH__V1__REGISTER_REQUEST__INIT;
    req.email = (char *)email;
    req.password = (char *)pw;
    req.name = (char *)name;
    Sath__V1__RegisterResponse *resp = NULL;
    int rc = sath_auth_register(c, &req, &resp, o);
    if (out)
        *out = resp;
    else if (resp)
        sath__v1__register_response__free_unpacked(resp, NULL);
    return rc;
}

int it_login(sath_client *c, const char *email, const char *pw, Sath__V1__LoginResponse **out,
             sath_call_opts *o)
{
    Sath__V1__LoginRequest req = SATH__V1__LOGIN_REQUEST__INIT;
    req.email = (char *)email;
    req.password = (char *)pw;
    Sath__V1__LoginResponse *resp = NULL;
    int rc = sath_auth_login(c, &req, &resp, o);
    if (out)
        *out = resp;
    else if (resp)
        sath__v1__login_response__free_unpacked(resp, NULL);
    return rc;
}

int it_get_me(sath_client *c, Sath__V1__User **out)
{
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    Sath__V1__User *u = NULL;
    int rc = sath_user_get_me(c, &req, &u, NULL);
    if (out)
        *out = u;
    else if (u)
        sath__v1__user__free_unpacked(u, NULL);
    return rc;
}

int it_refresh(sath_client *c, const char *refresh_token)
{
    Sath__V1__RefreshRequest rq = SATH__V1__REFRESH_REQUEST__INIT;
    Sath__V1__RefreshResponse *rr = NULL;
    rq.refresh_token = (char *)refresh_token;
    int rc = sath_auth_refresh(c, &rq, &rr, NULL);
    if (rr)
        sath__v1__refresh_response__free_unpacked(rr, NULL);
    return rc;
}
