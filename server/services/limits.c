/*
 * limits.c - sathd_rpc_hooks.admit: which rate limits a call counts against, and where.
 *
 *   call                           limits (key)                        store   Redis down
 *   Login                          client IP, account (email)          Redis   refuse (UNAVAILABLE)
 *   Register                       client IP, email                    Redis   refuse
 *   Refresh                        client IP, refresh token            Redis   refuse
 *   CreateExchangeKey, CreateAiKey,
 *   TestKey                        user                                Redis   refuse
 *   any other authenticated call   user                                process (never touches Redis)
 *   any other public call          client IP                           process
 *   health checks                  none
 *
 * The expensive and guessable calls share one budget across every instance (Redis GCRA,
 * one atomic script per call); the cheap authenticated calls are limited in process, so
 * they cost no round trip (issue 14) and keep working when Redis is down (fail open for
 * reads): each instance gives each user SATH_RL_USER, so N instances give at most N
 * times that.  Login and Register fail closed: an attacker who can take Redis down must
 * not get unlimited password guesses.
 *
 * A key Redis refused is remembered in process until its wait is over, so a flood of
 * refused calls (a login storm) costs no Redis round trip each (refused_before).
 *
 * Accounts and refresh tokens are never stored in clear in Redis: their keys carry a
 * BLAKE2b hash.  The client address is the peer, or X-Forwarded-For behind a proxy
 * listed in SATH_TRUSTED_PROXIES (clientip.c).
 */
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sathd/app.h"
#include "sathd/log.h"
#include "sathd/ratelimit.h"
#include "sathd/rpc.h"
#include "sath/v1/auth.pb-c.h"
#include "email.h"
#include "sathd/services.h"
#include "sathd/svc.h"

enum subject { BY_EMAIL, BY_TOKEN, BY_USER };

typedef struct policy {
    const char *path;
    const char *ip_name;  /* NULL: no per-IP limit */
    size_t ip_rate;       /* offsetof(sathd_config, ...) */
    enum subject subject;
    const char *sub_name;
    size_t sub_rate;
} policy;

#define RATE(f) offsetof(sathd_config, f)
static const policy redis_policies[] = {
    {"/sath.v1.AuthService/Login", "login-ip", RATE(rl_login_ip), BY_EMAIL, "login-account",
     RATE(rl_login_account)},
    {"/sath.v1.AuthService/Register", "register-ip", RATE(rl_register_ip), BY_EMAIL,
     "register-account", RATE(rl_register_account)},
    {"/sath.v1.AuthService/Refresh", "refresh-ip", RATE(rl_refresh_ip), BY_TOKEN, "refresh-token",
     RATE(rl_refresh_token)},
    {"/sath.v1.KeysService/CreateExchangeKey", NULL, 0, BY_USER, "expensive-user",
     RATE(rl_expensive_user)},
    {"/sath.v1.KeysService/CreateAiKey", NULL, 0, BY_USER, "expensive-user",
     RATE(rl_expensive_user)},
    {"/sath.v1.KeysService/TestKey", NULL, 0, BY_USER, "expensive-user", RATE(rl_expensive_user)},
};

static const sathd_rate *cfg_rate(const sathd_config *cfg, size_t off)
{
    return (const sathd_rate *)(const void *)((const char *)cfg + off);
}

/* hex of a 16-byte BLAKE2b of `s` (case-folded email or token) into out[33]. */
static void subject_hash(const char *s, char out[33])
{
    unsigned char h[16];
    crypto_generichash(h, sizeof h, (const unsigned char *)s, strlen(s), NULL, 0);
    sodium_bin2hex(out, 33, h, sizeof h);
}

/* The subject of a Redis policy from the request, in out (hashed). 0, or -1 if none. */
static int subject_of(const sathd_call *call, const policy *p, const ProtobufCMessage *req,
                      char out[40])
{
    const char *raw = NULL;
    char email[255];
    switch (p->subject) {
    case BY_EMAIL: {
        const char *given = NULL;
        if (req->descriptor == &sath__v1__login_request__descriptor)
            given = ((const Sath__V1__LoginRequest *)(const void *)req)->email;
        else if (req->descriptor == &sath__v1__register_request__descriptor)
            given = ((const Sath__V1__RegisterRequest *)(const void *)req)->email;
        if (!given)
            break;
        /* Spellings of one address must share a bucket: normalise as the handler will. */
        raw = sathd_email_normalize(given, email, sizeof email, NULL) == 0 ? email : given;
        break;
    }
    case BY_TOKEN:
        if (req->descriptor == &sath__v1__refresh_request__descriptor)
            raw = ((const Sath__V1__RefreshRequest *)(const void *)req)->refresh_token;
        break;
    case BY_USER:
        raw = sathd_call_identity(call) ? sathd_call_identity(call)->user_id : NULL;
        break;
    }
    if (!raw)
        return -1;
    subject_hash(raw, out);
    return 0;
}

static int refuse(sathd_call *call, const sathd_ratelimit_info *info)
{
    sathd_call_set_ratelimit(call, info);
    return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED,
                            "too many requests (limit %s: %lld per %lld s); retry in %lld s",
                            info->policy, (long long)info->quota, (long long)info->window_s,
                            (long long)info->retry_after_s);
}

static void fill_info(sathd_ratelimit_info *info, const char *name, const sathd_rate *r,
                      const sathd_rl_result *res)
{
    info->policy = name;
    info->quota = r->count;
    info->window_s = r->period_s;
    info->remaining = res->remaining;
    info->reset_s = (res->reset_ms + 999) / 1000;
    info->retry_after_s = res->allowed ? 0 : (res->retry_after_ms + 999) / 1000;
    if (!res->allowed && info->retry_after_s < 1)
        info->retry_after_s = 1;
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A refusal by Redis holds for its whole wait: GCRA never lets a refused key through
 * sooner (its time only moves forward, and the key outlives the wait), whatever the other
 * instances do.  Remembered here, the refused keys answer a flood without a round trip. */
static int refused_before(sathd_call *call, const char *const *keys, const char *const *names,
                          const sathd_rate *rates, size_t n)
{
    sathd_app *app = sathd_call_app(call);
    int64_t now = mono_us();
    for (size_t i = 0; i < n && app->rl_refused; i++) {
        int64_t until = sathd_rl_local_get(app->rl_refused, keys[i], strlen(keys[i]));
        if (until > now) {
            int64_t wait_s = (until - now + 999999) / 1000000;
            sathd_ratelimit_info info = {names[i], rates[i].count, rates[i].period_s, 0, wait_s,
                                         wait_s};
            return refuse(call, &info);
        }
    }
    return SATHD_OK;
}

static int admit_redis(sathd_call *call, const policy *p, const ProtobufCMessage *req)
{
    sathd_app *app = sathd_call_app(call);
    const sathd_config *cfg = app->cfg;
    char keys[2][300], sub[40];
    const char *kp[2], *names[2];
    sathd_rate rates[2];
    size_t n = 0;
    if (p->ip_name) {
        snprintf(keys[n], sizeof keys[n], "%s%s:%s", cfg->ratelimit_prefix, p->ip_name,
                 sathd_call_client_ip(call));
        rates[n] = *cfg_rate(cfg, p->ip_rate);
        names[n++] = p->ip_name;
    }
    if (subject_of(call, p, req, sub) == 0) {
        snprintf(keys[n], sizeof keys[n], "%s%s:%s", cfg->ratelimit_prefix, p->sub_name, sub);
        rates[n] = *cfg_rate(cfg, p->sub_rate);
        names[n++] = p->sub_name;
    }
    if (n == 0)
        return SATHD_OK;
    for (size_t i = 0; i < n; i++)
        kp[i] = keys[i];
    int rc = refused_before(call, kp, names, rates, n);
    if (rc != SATHD_OK)
        return rc;
    redisContext *redis = NULL;
    rc = sathd_svc_redis_open(call, &redis);
    if (rc == SATHD_DEADLINE_EXCEEDED)
        return rc;
    if (rc != SATHD_OK)
        return sathd_call_error(call, SATHD_UNAVAILABLE,
                                "rate limiter unavailable, retry shortly");
    sathd_rl_result res;
    int ok = sathd_rl_redis_check(redis, kp, rates, n, &res);
    sathd_svc_redis_close(call, redis);
    if (ok != 0) {
        sathd_log(SATHD_LOG_WARN, "msg=\"rate limiter: Redis failed, call refused\" request_id=%s",
                  sathd_call_request_id(call));
        return sathd_call_error(call, SATHD_UNAVAILABLE, "rate limiter unavailable, retry shortly");
    }
    sathd_ratelimit_info info;
    fill_info(&info, names[res.which], &rates[res.which], &res);
    if (!res.allowed) {
        if (app->rl_refused)
            sathd_rl_local_set(app->rl_refused, keys[res.which], strlen(keys[res.which]),
                               mono_us() + res.retry_after_ms * 1000);
        return refuse(call, &info);
    }
    sathd_call_set_ratelimit(call, &info);
    return SATHD_OK;
}

static int admit_local(sathd_call *call)
{
    sathd_app *app = sathd_call_app(call);
    const sathd_identity *id = sathd_call_identity(call);
    char key[80];
    const sathd_rate *rate;
    const char *name;
    if (id && id->user_id) {
        snprintf(key, sizeof key, "u:%s", id->user_id);
        rate = &app->cfg->rl_user;
        name = "user";
    } else {
        snprintf(key, sizeof key, "i:%s", sathd_call_client_ip(call));
        rate = &app->cfg->rl_public_ip;
        name = "public-ip";
    }
    sathd_rl_result res;
    sathd_rl_local_check(app->rl_local, key, strlen(key), rate, mono_us(), &res);
    sathd_ratelimit_info info;
    fill_info(&info, name, rate, &res);
    if (!res.allowed)
        return refuse(call, &info);
    sathd_call_set_ratelimit(call, &info);
    return SATHD_OK;
}

int sathd_services_admit(void *ud, sathd_call *call, const ProtobufCMessage *req)
{
    sathd_app *app = ud;
    char ip[64];
    sathd_client_ip(sathd_call_peer(call), sathd_call_metadata(call, "x-forwarded-for"),
                    app->trusted_proxies, ip, sizeof ip);
    sathd_call_set_client_ip(call, ip);
    const sathd_method_desc *m = sathd_call_method(call);
    if (app->cfg->ratelimit == 0 || !app->rl_local || (m->flags & SATHD_METHOD_NO_ACCESS_LOG))
        return SATHD_OK;
    for (size_t i = 0; i < sizeof redis_policies / sizeof redis_policies[0]; i++)
        if (strcmp(m->path, redis_policies[i].path) == 0)
            return admit_redis(call, &redis_policies[i], req);
    return admit_local(call);
}
