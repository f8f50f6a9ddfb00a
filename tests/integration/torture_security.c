/*
 * torture_security.c - the abuse and account-security findings of issue 12, over gRPC
 * (libsathclient) against a real sathd: re-authentication for email/password changes
 * and DeleteMe, password strength, logout with someone else's refresh token.  The REST
 * side of the same findings is tests/gateway/test_security.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "it_client.h"

typedef it_fixture fixture;

static void new_email(char *buf, size_t n, const char *tag)
{
    it_new_email(buf, n, tag, "example.com");
}

/* Register; the status, and the server's message in msg (may be NULL). */
static int do_register(sath_client *c, const char *email, const char *pw, const char *name,
                       char *msg, size_t msglen)
{
    sath_call_opts *o = NULL;
    sath_call_opts_new(&o);
    int rc = it_register(c, email, pw, name, NULL, o);
    if (msg) {
        const char *m = sath_call_opts_status_message(o);
        snprintf(msg, msglen, "%s", m ? m : "");
    }
    sath_call_opts_free(o);
    return rc;
}

static Sath__V1__LoginResponse *login_ok(sath_client *c, const char *email, const char *pw)
{
    Sath__V1__LoginResponse *out = NULL;
    assert_int_equal(it_login(c, email, pw, &out, NULL), SATH_OK);
    return out;
}

static int login_rc(sath_client *c, const char *email, const char *pw)
{
    return it_login(c, email, pw, NULL, NULL);
}

static sath_client *client_with_target(const char *target, const char *access)
{
    sath_client *c = it_client_with(target, access, NULL);
    assert_non_null(c);
    return c;
}

static sath_client *client_with(const fixture *f, const char *access)
{
    return client_with_target(f->proc.target, access);
}

static int get_me(sath_client *c, char *email_out, size_t n)
{
    Sath__V1__User *u = NULL;
    int rc = it_get_me(c, &u);
    if (u) {
        if (email_out)
            snprintf(email_out, n, "%s", u->email);
        sath__v1__user__free_unpacked(u, NULL);
    }
    return rc;
}

#define refresh_rc it_refresh

static int update_email(sath_client *c, const char *email, const char *current)
{
    Google__Protobuf__StringValue mail = GOOGLE__PROTOBUF__STRING_VALUE__INIT, cp = mail;
    Sath__V1__UpdateMeRequest uq = SATH__V1__UPDATE_ME_REQUEST__INIT;
    mail.value = (char *)email;
    uq.email = &mail;
    if (current) {
        cp.value = (char *)current;
        uq.current_password = &cp;
    }
    Sath__V1__User *u = NULL;
    int rc = sath_user_update_me(c, &uq, &u, NULL);
    if (u)
        sath__v1__user__free_unpacked(u, NULL);
    return rc;
}

#define PW "Kx7-maple-orbit"

/* Item 1: a new email needs the current password and ends the other sessions. */
static void email_change_needs_password(void **state)
{
    fixture *f = *state;
    char email[128], email2[128], seen[128];
    new_email(email, sizeof email, "mail");
    new_email(email2, sizeof email2, "mail2");
    assert_int_equal(do_register(f->c, email, PW, "Mail", NULL, 0), SATH_OK);
    Sath__V1__LoginResponse *mine = login_ok(f->c, email, PW), *other = login_ok(f->c, email, PW);
    sath_client *cm = client_with(f, mine->access_token), *co = client_with(f, other->access_token);

    assert_int_equal(update_email(cm, email2, NULL), SATH_PERMISSION_DENIED);
    assert_int_equal(update_email(cm, email2, "not the password"), SATH_PERMISSION_DENIED);
    assert_int_equal(get_me(cm, seen, sizeof seen), SATH_OK);
    assert_string_equal(seen, email); /* unchanged */
    assert_int_equal(get_me(co, NULL, 0), SATH_OK);

    assert_int_equal(update_email(cm, email2, PW), SATH_OK);
    assert_int_equal(get_me(cm, seen, sizeof seen), SATH_OK);
    assert_string_equal(seen, email2);
    /* The other session is over, access and refresh token alike. */
    assert_int_equal(get_me(co, NULL, 0), SATH_UNAUTHENTICATED);
    assert_int_equal(refresh_rc(f->c, other->refresh_token), SATH_UNAUTHENTICATED);
    assert_int_equal(refresh_rc(f->c, mine->refresh_token), SATH_OK);
    sath_client_free(cm);
    sath_client_free(co);
    sath__v1__login_response__free_unpacked(mine, NULL);
    sath__v1__login_response__free_unpacked(other, NULL);
}

/* Item 1: DeleteMe needs the password. */
static void delete_me_needs_password(void **state)
{
    fixture *f = *state;
    char email[128];
    new_email(email, sizeof email, "del");
    assert_int_equal(do_register(f->c, email, PW, "Del", NULL, 0), SATH_OK);
    Sath__V1__LoginResponse *l = login_ok(f->c, email, PW);
    sath_client *c = client_with(f, l->access_token);
    Sath__V1__DeleteMeRequest dq = SATH__V1__DELETE_ME_REQUEST__INIT;
    Sath__V1__DeleteMeResponse *dr = NULL;
    assert_int_equal(sath_user_delete_me(c, &dq, &dr, NULL), SATH_PERMISSION_DENIED);
    dq.password = (char *)"wrong password 1";
    assert_int_equal(sath_user_delete_me(c, &dq, &dr, NULL), SATH_PERMISSION_DENIED);
    assert_int_equal(get_me(c, NULL, 0), SATH_OK);
    char *active = sathd_proc_sql(&f->proc, "SELECT is_active::text FROM users WHERE email = $1", email);
    assert_non_null(active);
    assert_string_equal(active, "true");
    free(active);
    dq.password = (char *)PW;
    assert_int_equal(sath_user_delete_me(c, &dq, &dr, NULL), SATH_OK);
    sath__v1__delete_me_response__free_unpacked(dr, NULL);
    assert_int_equal(get_me(c, NULL, 0), SATH_UNAUTHENTICATED);
    sath_client_free(c);
    sath__v1__login_response__free_unpacked(l, NULL);
}

/* Item 3: weak passwords are refused with a message that helps. */
static void weak_passwords_refused(void **state)
{
    fixture *f = *state;
    char email[128], msg[512];
    new_email(email, sizeof email, "weak");
    static const char *const weak[] = {"password", "12345678", "        ", "qwertyuiop",
                                       "Password1", "p@ssw0rd!"};
    for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++) {
        assert_int_equal(do_register(f->c, email, weak[i], "Weak", msg, sizeof msg),
                         SATH_INVALID_ARGUMENT);
        assert_non_null(strstr(msg, "too easy to guess"));
        if (i > 0) /* never echoed ("password" is a word of the message itself) */
            assert_null(strstr(msg, weak[i]));
    }
    /* The user's own email and name count against the password. */
    char based[160];
    snprintf(based, sizeof based, "%s1", email);
    assert_int_equal(do_register(f->c, email, based, "Weak", msg, sizeof msg), SATH_INVALID_ARGUMENT);
    assert_non_null(strstr(msg, "email or name"));
    assert_int_equal(do_register(f->c, email, "Archibald Zwicky", "Archibald Zwicky", msg, sizeof msg),
                     SATH_INVALID_ARGUMENT);
    assert_int_equal(do_register(f->c, email, PW, "Weak", NULL, 0), SATH_OK);

    /* And a weak new password in UpdateMe. */
    Sath__V1__LoginResponse *l = login_ok(f->c, email, PW);
    sath_client *c = client_with(f, l->access_token);
    Google__Protobuf__StringValue np = GOOGLE__PROTOBUF__STRING_VALUE__INIT, cp = np;
    Sath__V1__UpdateMeRequest pq = SATH__V1__UPDATE_ME_REQUEST__INIT;
    np.value = (char *)"iloveyou";
    cp.value = (char *)PW;
    pq.new_password = &np;
    pq.current_password = &cp;
    Sath__V1__User *u = NULL;
    assert_int_equal(sath_user_update_me(c, &pq, &u, NULL), SATH_INVALID_ARGUMENT);
    assert_int_equal(login_rc(f->c, email, PW), SATH_OK);
    sath_client_free(c);
    sath__v1__login_response__free_unpacked(l, NULL);
}

/* Item 7: logout with another user's refresh token answers OK (as for an unknown token)
 * and leaves that user's session alone. */
static void logout_with_foreign_refresh_token(void **state)
{
    fixture *f = *state;
    char victim[128], attacker[128];
    new_email(victim, sizeof victim, "victim");
    new_email(attacker, sizeof attacker, "attacker");
    assert_int_equal(do_register(f->c, victim, PW, "V", NULL, 0), SATH_OK);
    assert_int_equal(do_register(f->c, attacker, PW, "A", NULL, 0), SATH_OK);
    Sath__V1__LoginResponse *v = login_ok(f->c, victim, PW), *a = login_ok(f->c, attacker, PW);
    sath_client *ca = client_with(f, a->access_token), *cv = client_with(f, v->access_token);
    Sath__V1__LogoutRequest lq = SATH__V1__LOGOUT_REQUEST__INIT;
    Sath__V1__LogoutResponse *lr = NULL;
    lq.refresh_token = v->refresh_token;
    assert_int_equal(sath_auth_logout(ca, &lq, &lr, NULL), SATH_OK);
    sath__v1__logout_response__free_unpacked(lr, NULL);
    assert_int_equal(get_me(cv, NULL, 0), SATH_OK);
    assert_int_equal(refresh_rc(f->c, v->refresh_token), SATH_OK);
    assert_int_equal(get_me(ca, NULL, 0), SATH_UNAUTHENTICATED); /* the attacker's own ended */
    sath_client_free(ca);
    sath_client_free(cv);
    sath__v1__login_response__free_unpacked(v, NULL);
    sath__v1__login_response__free_unpacked(a, NULL);
}

/* Login on `c` with per-call options, so the trailers can be read. */
static int login_opts(sath_client *c, const char *email, const char *pw, sath_call_opts *o)
{
    return it_login(c, email, pw, NULL, o);
}

/* A refusal carries retry info: retry-after seconds, the IETF limit description and a
 * google.rpc.Status with a RetryInfo detail in grpc-status-details-bin. */
static void assert_retry_info(const sath_call_opts *o, const char *policy)
{
    assert_int_equal(sath_call_opts_status(o), SATH_RESOURCE_EXHAUSTED);
    const char *ra = sath_call_opts_response_metadata(o, "retry-after");
    assert_non_null(ra);
    assert_true(atoi(ra) >= 1);
    const char *pol = sath_call_opts_response_metadata(o, "ratelimit-policy");
    assert_non_null(pol);
    assert_non_null(strstr(pol, policy));
    const char *bin = sath_call_opts_response_metadata(o, "grpc-status-details-bin");
    assert_non_null(bin);
    assert_int_equal((unsigned char)bin[0], 0x08); /* Status.code = 8 */
    assert_int_equal((unsigned char)bin[1], 8);
    /* no zero byte before the detail: code, lengths and seconds are all > 0 */
    assert_non_null(strstr(bin, "type.googleapis.com/google.rpc.RetryInfo"));
    assert_non_null(strstr(sath_call_opts_status_message(o), policy));
}

/* Item 2 over gRPC: brute force and floods meet RESOURCE_EXHAUSTED with retry info, per
 * account, per client address and per user. */
static void rate_limits_grpc(void **state)
{
    (void)state;
    static const char *const env[] = {
        "SATH_RL_LOGIN_IP=9/600",      "SATH_RL_LOGIN_ACCOUNT=5/600",
        "SATH_RL_REGISTER_IP=6/600",   "SATH_RL_REGISTER_ACCOUNT=3/600",
        "SATH_RL_EXPENSIVE_USER=3/600", "SATH_RL_USER=20/600", NULL,
    };
    sathd_proc p;
    assert_int_equal(sathd_proc_start(&p, env), 0);
    sath_client *c = NULL;
    assert_int_equal(sath_client_new(p.target, NULL, &c), SATH_OK);
    char a[128], b[128];
    new_email(a, sizeof a, "rla");
    new_email(b, sizeof b, "rlb");
    assert_int_equal(do_register(c, a, PW, "A", NULL, 0), SATH_OK);
    assert_int_equal(do_register(c, b, PW, "B", NULL, 0), SATH_OK);

    /* Per user, in process: 20 cheap calls, then refused. */
    Sath__V1__LoginResponse *l = login_ok(c, a, PW); /* login-ip 1, login-account(a) 1 */
    sath_client *ca = client_with_target(p.target, l->access_token);
    for (int i = 0; i < 20; i++)
        assert_int_equal(get_me(ca, NULL, 0), SATH_OK);
    assert_int_equal(get_me(ca, NULL, 0), SATH_RESOURCE_EXHAUSTED);
    /* Key tests are tighter and counted in Redis: 3, then refused with retry info. */
    Sath__V1__TestKeyRequest tq = SATH__V1__TEST_KEY_REQUEST__INIT;
    tq.id = (char *)"123e4567-e89b-12d3-a456-426614174000";
    Sath__V1__TestKeyResponse *tr = NULL;
    for (int i = 0; i < 3; i++)
        assert_int_equal(sath_keys_test_key(ca, &tq, &tr, NULL), SATH_NOT_FOUND);
    sath_call_opts *o = NULL;
    sath_call_opts_new(&o);
    assert_int_equal(sath_keys_test_key(ca, &tq, &tr, o), SATH_RESOURCE_EXHAUSTED);
    assert_retry_info(o, "expensive-user");
    sath_client_free(ca);
    sath__v1__login_response__free_unpacked(l, NULL);

    /* Brute force on one account: 4 more wrong passwords (5 in all), then even the right
     * one waits. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(login_rc(c, a, "wrong password 7"), SATH_UNAUTHENTICATED);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(login_opts(c, a, "wrong password 7", o), SATH_RESOURCE_EXHAUSTED);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_retry_info(o, "login-account");
    /* gRPC refusals are answered late (250 ms), which slows a flooding client down */
    long ms = (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 240 && ms < 5000);
    assert_int_equal(login_rc(c, a, PW), SATH_RESOURCE_EXHAUSTED);
    /* The address has 4 more logins (9 per window, 5 used): then every account waits. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(login_rc(c, b, PW), SATH_OK);
    assert_int_equal(login_opts(c, b, PW, o), SATH_RESOURCE_EXHAUSTED);
    assert_retry_info(o, "login-ip");

    /* Registrations from one address: 6 per window, 2 used. */
    int ok = 0, limited = 0;
    for (int i = 0; i < 10; i++) {
        char e[128];
        new_email(e, sizeof e, "flood");
        int rc = do_register(c, e, PW, "F", NULL, 0);
        ok += rc == SATH_OK;
        limited += rc == SATH_RESOURCE_EXHAUSTED;
    }
    assert_int_equal(ok, 4);
    assert_int_equal(limited, 6);
    /* A refusal holds for its wait even without Redis's word: with every limiter key of
     * this sathd deleted, the refused address is still answered at once, from memory. */
    const char *redis = getenv("SATH_TEST_REDIS_URL");
    assert_non_null(redis);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "redis-cli -s %s --scan --pattern 'it:%s:*' | xargs -r redis-cli -s %s del >/dev/null"
             " && test -z \"$(redis-cli -s %s --scan --pattern 'it:%s:*')\"",
             redis + 7, p.dbname, redis + 7, redis + 7, p.dbname);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(login_opts(c, b, PW, o), SATH_RESOURCE_EXHAUSTED);
    assert_retry_info(o, "login-ip");
    sath_call_opts_free(o);
    sath_client_free(c);
    assert_int_equal(sathd_proc_stop(&p), 0);
}

/* Item 2: with Redis gone, Login and Register are refused (fail closed) while calls
 * limited in process go on (fail open). */
static void limiter_fails_closed_for_login(void **state)
{
    (void)state;
    char dir[] = "/tmp/sath-rl-redis.XXXXXX", cmd[512], url[300];
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd,
             "redis-server --port 0 --unixsocket %s/redis.sock --save '' --appendonly no "
             "--daemonize yes --pidfile %s/redis.pid --logfile %s/redis.log",
             dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(url, sizeof url, "SATH_REDIS_URL=unix://%s/redis.sock", dir);
    for (int i = 0; i < 100 && access(strchr(url, '/') + 2, F_OK) != 0; i++)
        usleep(20000);
    const char *env[] = {url, NULL};
    sathd_proc p;
    assert_int_equal(sathd_proc_start(&p, env), 0);
    sath_client *c = NULL;
    assert_int_equal(sath_client_new(p.target, NULL, &c), SATH_OK);
    char e[128];
    new_email(e, sizeof e, "down");
    assert_int_equal(do_register(c, e, PW, "D", NULL, 0), SATH_OK);
    snprintf(cmd, sizeof cmd, "kill $(cat %s/redis.pid); sleep 0.3", dir);
    assert_int_equal(system(cmd), 0);
    sath_call_opts *o = NULL;
    sath_call_opts_new(&o);
    assert_int_equal(login_opts(c, e, PW, o), SATH_UNAVAILABLE);
    assert_non_null(strstr(sath_call_opts_status_message(o), "rate limiter"));
    new_email(e, sizeof e, "down2");
    assert_int_equal(do_register(c, e, PW, "D", NULL, 0), SATH_UNAVAILABLE);
    Sath__V1__ListPlansRequest pq = SATH__V1__LIST_PLANS_REQUEST__INIT;
    Sath__V1__ListPlansResponse *pr = NULL;
    assert_int_equal(sath_billing_list_plans(c, &pq, &pr, NULL), SATH_OK);
    sath__v1__list_plans_response__free_unpacked(pr, NULL);
    sath_call_opts_free(o);
    sath_client_free(c);
    assert_int_equal(sathd_proc_stop(&p), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Runs `sathd serve` with env (NULL-terminated "K=V"), expecting it to exit at once;
 * returns the exit status and the first part of stderr in out. */
static int serve_refused(const char *const *env, char *out, size_t outlen)
{
    char cmd[2048] = "env -i PATH=/usr/bin:/bin SATH_DATABASE_URL=host=/nonexistent "
                     "SATH_REDIS_URL=unix:///nonexistent/redis.sock "
                     "SATH_JWT_ED25519_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= "
                     "SATH_ENCRYPTION_KEYS=k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= ";
    for (size_t i = 0; env[i]; i++) {
        strncat(cmd, env[i], sizeof cmd - strlen(cmd) - 2);
        strcat(cmd, " ");
    }
    strncat(cmd, sathd_proc_binary(), sizeof cmd - strlen(cmd) - 1);
    strncat(cmd, " serve 2>&1", sizeof cmd - strlen(cmd) - 1);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, outlen - 1, f);
    out[n] = '\0';
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Item 8: production refuses plaintext on a non-loopback address unless a TLS proxy is
 * declared, and refuses to run as root. */
static void production_rules(void **state)
{
    (void)state;
    char out[2048];
    static const char *const plain[] = {"SATH_ENV=production", "SATH_GRPC_ADDR=192.0.2.1:0",
                                        NULL};
    assert_int_equal(serve_refused(plain, out, sizeof out), 2);
    assert_non_null(strstr(out, "SATH_TLS_TERMINATED_BY_PROXY"));
    static const char *const rest[] = {"SATH_ENV=production", "SATH_HTTP_ADDR=192.0.2.1:0", NULL};
    assert_int_equal(serve_refused(rest, out, sizeof out), 2);
    assert_non_null(strstr(out, "SATH_HTTP_ADDR"));
    /* Declared proxy: past the transport rule.  As root (CI) the next rule stops it; as
     * anyone else the unreachable database does. */
    static const char *const proxied[] = {"SATH_ENV=production", "SATH_GRPC_ADDR=192.0.2.1:0",
                                          "SATH_HTTP_ENABLED=off",
                                          "SATH_TLS_TERMINATED_BY_PROXY=on",
                                          /* production needs a payment provider (issue 11) */
                                          "SATH_BILLING_PROVIDER=stripe",
                                          "SATH_STRIPE_SECRET_KEY=sk_test_security",
                                          "SATH_STRIPE_WEBHOOK_SECRET=whsec_security", NULL};
    assert_int_not_equal(serve_refused(proxied, out, sizeof out), 0);
    assert_null(strstr(out, "SATH_TLS_TERMINATED_BY_PROXY"));
    if (geteuid() == 0)
        assert_non_null(strstr(out, "refusing to run as root"));
    else
        assert_null(strstr(out, "root"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(email_change_needs_password),
        cmocka_unit_test(delete_me_needs_password),
        cmocka_unit_test(weak_passwords_refused),
        cmocka_unit_test(logout_with_foreign_refresh_token),
        cmocka_unit_test(rate_limits_grpc),
        cmocka_unit_test(limiter_fails_closed_for_login),
        cmocka_unit_test(production_rules),
    };
    return cmocka_run_group_tests(tests, it_setup, it_teardown);
}
