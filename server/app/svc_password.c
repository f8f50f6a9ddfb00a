/*
 * svc_password.c - what the handlers that take passwords share (see sathd/svc.h): the
 * strength rule for new passwords with the account's own words, the per-address bound on
 * password hashing, and the mapping of hashing failures to statuses.
 */
#include "svc_internal.h"

#include "sathd/password.h"
#include "sathd/ratelimit.h"

int sathd_svc_password_strong(sathd_call *call, const char *pw, const char *email,
                              const char *name, const char **why)
{
    const char *inputs[] = {email, name, NULL};
    if (!email) {
        inputs[0] = name;
        inputs[1] = NULL;
    }
    int min_score = (int)sathd_call_app(call)->cfg->password_min_score;
    return sathd_password_check_strength(pw, inputs, min_score, why);
}

int sathd_svc_pw_enter(sathd_call *call)
{
    sathd_app *app = sathd_call_app(call);
    const char *ip = sathd_call_client_ip(call);
    if (!app->pw_per_ip || !ip || sathd_rl_conc_acquire(app->pw_per_ip, ip) == 0)
        return SATHD_OK;
    sathd_ratelimit_info info = {
        .policy = "password-hashes-ip", .quota = app->cfg->pwhash_per_ip, .window_s = 1,
        .remaining = 0, .reset_s = 1, .retry_after_s = 1,
    };
    sathd_call_set_ratelimit(call, &info);
    return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED,
                            "too many password checks from your address at once, retry shortly");
}

void sathd_svc_pw_leave(sathd_call *call)
{
    sathd_app *app = sathd_call_app(call);
    const char *ip = sathd_call_client_ip(call);
    if (app->pw_per_ip && ip)
        sathd_rl_conc_release(app->pw_per_ip, ip);
}

int sathd_svc_pw_status(sathd_call *call, sathd_pw_result r, const char *what)
{
    switch (r) {
    case SATHD_PW_BUSY:
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED,
                                "too many password checks in progress, retry shortly");
    case SATHD_PW_BAD_INPUT:
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "password is too long");
    default:
        return sathd_call_error(call, SATHD_INTERNAL, "%s: %s", what, sathd_pw_strerror(r));
    }
}
