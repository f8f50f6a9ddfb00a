/*
 * bench_method.c - see bench_method.h.
 */
#include "bench_method.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "grpc/health/v1/health.pb-c.h"
#include "sath/client.h"
#include "sath/error.h"
#include "sath/v1/auth.sath-client.h"
#include "sath/v1/billing.sath-client.h"
#include "sath/v1/user.sath-client.h"

/* Health/Check has no generated stub: the public raw call, encoded and decoded here. */
static int call_health(sath_client *c, sath_call_opts *copts)
{
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    uint8_t buf[64];
    size_t len = grpc__health__v1__health_check_request__pack(&req, buf);
    void *bytes = NULL;
    size_t n = 0;
    int rc = sath_client_call_raw(c, "/grpc.health.v1.Health/Check", buf, len, &bytes, &n, copts);
    if (rc == SATH_OK) {
        Grpc__Health__V1__HealthCheckResponse *h =
            grpc__health__v1__health_check_response__unpack(NULL, n, bytes);
        /* An answer that is not SERVING is a failed health check, not a success. */
        if (!h || h->status != GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING)
            rc = h ? SATH_UNAVAILABLE : SATH_EPROTO;
        if (h)
            grpc__health__v1__health_check_response__free_unpacked(h, NULL);
    }
    sath_free(bytes);
    return rc;
}

static int call_login(sath_client *c, const bench_account *a, sath_call_opts *copts)
{
    Sath__V1__LoginRequest req = SATH__V1__LOGIN_REQUEST__INIT;
    req.email = (char *)a->email;
    req.password = (char *)a->password;
    Sath__V1__LoginResponse *resp = NULL;
    int rc = sath_auth_login(c, &req, &resp, copts);
    if (resp) {
        /* the tokens are secrets: wipe before freeing */
        if (resp->access_token)
            sodium_memzero(resp->access_token, strlen(resp->access_token));
        if (resp->refresh_token)
            sodium_memzero(resp->refresh_token, strlen(resp->refresh_token));
        sath__v1__login_response__free_unpacked(resp, NULL);
    }
    return rc;
}

int bench_call(bench_method m, sath_client *c, const bench_account *acct, sath_call_opts *copts)
{
    switch (m) {
    case BENCH_HEALTH:
        return call_health(c, copts);
    case BENCH_GET_ME: {
        Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
        return sath_user_get_me(c, &req, NULL, copts);
    }
    case BENCH_LIST_PLANS: {
        Sath__V1__ListPlansRequest req = SATH__V1__LIST_PLANS_REQUEST__INIT;
        return sath_billing_list_plans(c, &req, NULL, copts);
    }
    case BENCH_LOGIN:
        return call_login(c, acct, copts);
    }
    return SATH_EINVAL;
}

/* Fills `a` with a fresh random account (not registered yet). */
static void random_account(bench_account *a)
{
    unsigned char rnd[12];
    char hex[2 * sizeof rnd + 1];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    snprintf(a->email, sizeof a->email, "bench-%s@bench.invalid", hex);
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(a->password, sizeof a->password, rnd, sizeof rnd);
}

/* Registers `a`; an account that already exists is fine (a given --email may). */
static int register_account(sath_client *c, const bench_account *a, char *err, size_t errlen)
{
    Sath__V1__RegisterRequest req = SATH__V1__REGISTER_REQUEST__INIT;
    req.email = (char *)a->email;
    req.password = (char *)a->password;
    req.name = (char *)"sath-bench";
    int rc = sath_auth_register(c, &req, NULL, NULL);
    if (rc == SATH_ALREADY_EXISTS)
        return SATH_OK;
    if (rc != SATH_OK)
        snprintf(err, errlen, "Register failed: %s: %s", sath_err_name(rc),
                 sath_client_last_error_message(c));
    return rc;
}

/* Logs clients[0] in and copies its tokens to the others (one session shared by all). */
static int login_all(sath_client *const *clients, int n, const bench_account *a, char *err,
                     size_t errlen)
{
    int rc = sath_client_login(clients[0], a->email, a->password, NULL);
    if (rc != SATH_OK) {
        snprintf(err, errlen, "Login failed: %s: %s", sath_err_name(rc),
                 sath_client_last_error_message(clients[0]));
        return rc;
    }
    char *access = NULL, *refresh = NULL;
    rc = sath_client_get_tokens(clients[0], &access, &refresh);
    for (int i = 1; rc == SATH_OK && i < n; i++)
        rc = sath_client_set_tokens(clients[i], access, refresh);
    if (rc != SATH_OK)
        snprintf(err, errlen, "sharing the tokens failed: %s", sath_err_name(rc));
    if (access) {
        sodium_memzero(access, strlen(access));
        sath_free(access);
    }
    if (refresh) {
        sodium_memzero(refresh, strlen(refresh));
        sath_free(refresh);
    }
    return rc;
}

int bench_account_prepare(const bench_opts *o, sath_client *const *clients, int n,
                          bench_account *acct, char *err, size_t errlen)
{
    memset(acct, 0, sizeof *acct);
    if (o->method != BENCH_GET_ME && o->method != BENCH_LOGIN)
        return SATH_OK;
    int rc;
    if (o->email) {
        if (strlen(o->email) >= sizeof acct->email || strlen(o->password) >= sizeof acct->password) {
            snprintf(err, errlen, "--email or --password too long");
            return SATH_EINVAL;
        }
        strcpy(acct->email, o->email);
        strcpy(acct->password, o->password);
    } else {
        random_account(acct);
    }
    rc = register_account(clients[0], acct, err, errlen);
    if (rc == SATH_OK && o->method == BENCH_GET_ME)
        rc = login_all(clients, n, acct, err, errlen);
    return rc;
}

void bench_account_clear(bench_account *acct)
{
    sodium_memzero(acct->password, sizeof acct->password);
}
