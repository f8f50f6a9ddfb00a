/*
 * torture_auth_flow.c - AuthService and UserService end to end: libsathclient against a
 * real sathd with its own PostgreSQL database and the test Redis.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "it_client.h"

typedef it_fixture fixture;

/* A fresh address per test so tests never collide (upper case: stored in lower case). */
static void new_email(char *buf, size_t n, const char *tag)
{
    it_new_email(buf, n, tag, "Example.COM");
}

static int do_register(sath_client *c, const char *email, const char *pw, const char *name,
                       Sath__V1__RegisterResponse **out)
{
    return it_register(c, email, pw, name, out, NULL);
}

static int do_login(sath_client *c, const char *email, const char *pw, Sath__V1__LoginResponse **out)
{
    return it_login(c, email, pw, out, NULL);
}

/* A second client that presents `access` as its bearer token. */
static sath_client *client_with(const fixture *f, const char *access, const char *refresh)
{
    sath_client *c = it_client_with(f->proc.target, access, refresh);
    assert_non_null(c);
    return c;
}

#define get_me it_get_me

static void register_and_login(void **state)
{
    fixture *f = *state;
    char email[128];
    new_email(email, sizeof email, "Ana");
    Sath__V1__RegisterResponse *reg = NULL;
    assert_int_equal(do_register(f->c, email, "correct horse battery", "Ana María", &reg), SATH_OK);
    assert_non_null(reg->user);
    assert_int_equal(strlen(reg->user->id), 36);
    char lower[128];
    for (size_t i = 0; i <= strlen(email); i++)
        lower[i] = (char)((email[i] >= 'A' && email[i] <= 'Z') ? email[i] + 32 : email[i]);
    assert_string_equal(reg->user->email, lower);
    assert_string_equal(reg->user->name, "Ana María");
    assert_string_equal(reg->user->plan, "free");
    assert_true(reg->user->is_active);
    assert_non_null(reg->user->created_at);
    assert_true(reg->user->created_at->seconds > 1700000000);

    /* Same address in another case: ALREADY_EXISTS. */
    assert_int_equal(do_register(f->c, lower, "another one 2 try", "x", NULL), SATH_ALREADY_EXISTS);

    Sath__V1__LoginResponse *login = NULL;
    assert_int_equal(do_login(f->c, lower, "correct horse battery", &login), SATH_OK);
    assert_string_equal(login->token_type, "bearer");
    assert_int_equal(login->expires_in, 900);
    assert_int_equal(login->refresh_expires_in, 604800);
    assert_int_equal(strlen(login->refresh_token), 43);

    sath_client *me = client_with(f, login->access_token, NULL);
    Sath__V1__User *u = NULL;
    assert_int_equal(get_me(me, &u), SATH_OK);
    assert_string_equal(u->id, reg->user->id);
    assert_string_equal(u->email, lower);
    sath__v1__user__free_unpacked(u, NULL);
    sath_client_free(me);
    sath__v1__login_response__free_unpacked(login, NULL);
    sath__v1__register_response__free_unpacked(reg, NULL);
}

static void register_validation(void **state)
{
    fixture *f = *state;
    char email[128];
    new_email(email, sizeof email, "val");
    assert_int_equal(do_register(f->c, "not-an-email", "long enough pw", "x", NULL), SATH_INVALID_ARGUMENT);
    assert_int_equal(do_register(f->c, email, "short", "x", NULL), SATH_INVALID_ARGUMENT);
    assert_int_equal(do_register(f->c, email, "1234567", "x", NULL), SATH_INVALID_ARGUMENT);
    assert_int_equal(do_register(f->c, email, "long enough pw", "bad\x1b[2Jname", NULL), SATH_INVALID_ARGUMENT);
    assert_int_equal(do_register(f->c, email, "long enough pw", "bad\xff", NULL), SATH_INVALID_ARGUMENT);
    char *big = malloc(1026);
    for (size_t i = 0; i < 1025; i++) /* not a repeat: strong enough for zxcvbn */
        big[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7) % 36];
    big[1025] = '\0';
    assert_int_equal(do_register(f->c, email, big, "x", NULL), SATH_INVALID_ARGUMENT);
    big[1024] = '\0'; /* exactly 1024 bytes is allowed and never truncated */
    assert_int_equal(do_register(f->c, email, big, "x", NULL), SATH_OK);
    Sath__V1__LoginResponse *login = NULL;
    big[1023] = big[1023] == 'q' ? 'r' : 'q'; /* differs only in the last byte */
    assert_int_equal(do_login(f->c, email, big, &login), SATH_UNAUTHENTICATED);
    free(big);
}

static void sql_metacharacters_are_data(void **state)
{
    fixture *f = *state;
    char email[128];
    new_email(email, sizeof email, "o'brien");
    const char *name = "Robert'); DROP TABLE users;-- 李 🚀";
    Sath__V1__RegisterResponse *reg = NULL;
    assert_int_equal(do_register(f->c, email, "p' OR '1'='1", name, &reg), SATH_OK);
    assert_string_equal(reg->user->name, name);
    sath__v1__register_response__free_unpacked(reg, NULL);
    Sath__V1__LoginResponse *login = NULL;
    assert_int_equal(do_login(f->c, "x' OR '1'='1@example.com", "p' OR '1'='1", &login), SATH_UNAUTHENTICATED);
    assert_int_equal(do_login(f->c, email, "p' OR '1'='1", &login), SATH_OK);
    sath__v1__login_response__free_unpacked(login, NULL);
    char *count = sathd_proc_sql(&f->proc, "SELECT count(*) FROM users", NULL);
    assert_non_null(count);
    assert_true(atoi(count) >= 1);
    free(count);
}

static void login_does_not_reveal_accounts(void **state)
{
    fixture *f = *state;
    char email[128], unknown[128];
    new_email(email, sizeof email, "who");
    new_email(unknown, sizeof unknown, "nobody");
    assert_int_equal(do_register(f->c, email, "the right one 4711", "w", NULL), SATH_OK);
    sath_call_opts *o1 = NULL, *o2 = NULL;
    sath_call_opts_new(&o1);
    sath_call_opts_new(&o2);
    Sath__V1__LoginRequest req = SATH__V1__LOGIN_REQUEST__INIT;
    Sath__V1__LoginResponse *resp = NULL;
    req.email = email;
    req.password = (char *)"wrong password";
    assert_int_equal(sath_auth_login(f->c, &req, &resp, o1), SATH_UNAUTHENTICATED);
    req.email = unknown;
    assert_int_equal(sath_auth_login(f->c, &req, &resp, o2), SATH_UNAUTHENTICATED);
    assert_string_equal(sath_call_opts_status_message(o1), sath_call_opts_status_message(o2));
    sath_call_opts_free(o1);
    sath_call_opts_free(o2);
}

static void missing_or_bad_token(void **state)
{
    fixture *f = *state;
    assert_int_equal(get_me(f->c, NULL), SATH_UNAUTHENTICATED);
    sath_client *c = client_with(f, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", NULL);
    assert_int_equal(get_me(c, NULL), SATH_UNAUTHENTICATED);
    sath_client_free(c);
}

static void refresh_rotation_and_reuse(void **state)
{
    fixture *f = *state;
    char email[128];
    new_email(email, sizeof email, "rot");
    assert_int_equal(do_register(f->c, email, "rotate me please", "r", NULL), SATH_OK);
    Sath__V1__LoginResponse *login = NULL;
    assert_int_equal(do_login(f->c, email, "rotate me please", &login), SATH_OK);

    Sath__V1__RefreshRequest rq = SATH__V1__REFRESH_REQUEST__INIT;
    Sath__V1__RefreshResponse *r1 = NULL, *r2 = NULL, *r3 = NULL;
    rq.refresh_token = login->refresh_token;
    assert_int_equal(sath_auth_refresh(f->c, &rq, &r1, NULL), SATH_OK);
    assert_string_not_equal(r1->refresh_token, login->refresh_token);
    sath_client *fresh = client_with(f, r1->access_token, NULL);
    assert_int_equal(get_me(fresh, NULL), SATH_OK);

    /* The old token again: reuse. The whole family dies, including r1's tokens. */
    assert_int_equal(sath_auth_refresh(f->c, &rq, &r2, NULL), SATH_UNAUTHENTICATED);
    rq.refresh_token = r1->refresh_token;
    assert_int_equal(sath_auth_refresh(f->c, &rq, &r3, NULL), SATH_UNAUTHENTICATED);
    assert_int_equal(get_me(fresh, NULL), SATH_UNAUTHENTICATED);
    sath_client_free(fresh);
    sath__v1__refresh_response__free_unpacked(r1, NULL);
    sath__v1__login_response__free_unpacked(login, NULL);
}

static void logout_revokes(void **state)
{
    fixture *f = *state;
    char email[128];
    new_email(email, sizeof email, "bye");
    assert_int_equal(do_register(f->c, email, "see you later", "b", NULL), SATH_OK);
    Sath__V1__LoginResponse *a = NULL, *b = NULL;
    assert_int_equal(do_login(f->c, email, "see you later", &a), SATH_OK);
    assert_int_equal(do_login(f->c, email, "see you later", &b), SATH_OK);
    sath_client *ca = client_with(f, a->access_token, NULL);
    sath_client *cb = client_with(f, b->access_token, NULL);
    Sath__V1__LogoutRequest lq = SATH__V1__LOGOUT_REQUEST__INIT;
    Sath__V1__LogoutResponse *lr = NULL;
    lq.refresh_token = a->refresh_token;
    assert_int_equal(sath_auth_logout(ca, &lq, &lr, NULL), SATH_OK);
    sath__v1__logout_response__free_unpacked(lr, NULL);
    assert_int_equal(get_me(ca, NULL), SATH_UNAUTHENTICATED);
    Sath__V1__RefreshRequest rq = SATH__V1__REFRESH_REQUEST__INIT;
    Sath__V1__RefreshResponse *rr = NULL;
    rq.refresh_token = a->refresh_token;
    assert_int_equal(sath_auth_refresh(f->c, &rq, &rr, NULL), SATH_UNAUTHENTICATED);
    /* The other session is untouched. */
    assert_int_equal(get_me(cb, NULL), SATH_OK);
    sath_client_free(ca);
    sath_client_free(cb);
    sath__v1__login_response__free_unpacked(a, NULL);
    sath__v1__login_response__free_unpacked(b, NULL);
}

static void update_me_and_password_change(void **state)
{
    fixture *f = *state;
    char email[128], email2[128];
    new_email(email, sizeof email, "upd");
    new_email(email2, sizeof email2, "upd2");
    assert_int_equal(do_register(f->c, email, "first pass phrase 81", "Before", NULL), SATH_OK);
    Sath__V1__LoginResponse *mine = NULL, *other = NULL;
    assert_int_equal(do_login(f->c, email, "first pass phrase 81", &mine), SATH_OK);
    assert_int_equal(do_login(f->c, email, "first pass phrase 81", &other), SATH_OK);
    sath_client *cm = client_with(f, mine->access_token, NULL);
    sath_client *co = client_with(f, other->access_token, NULL);

    Google__Protobuf__StringValue name = GOOGLE__PROTOBUF__STRING_VALUE__INIT, mail = name,
                                  np = name, cp = name;
    name.value = (char *)"After";
    mail.value = email2;
    Sath__V1__UpdateMeRequest uq = SATH__V1__UPDATE_ME_REQUEST__INIT;
    uq.name = &name;
    Sath__V1__User *u = NULL;
    assert_int_equal(sath_user_update_me(cm, &uq, &u, NULL), SATH_OK);
    assert_string_equal(u->name, "After");
    sath__v1__user__free_unpacked(u, NULL);
    /* A new email needs the current password (torture_security covers the refusals). */
    uq.name = NULL;
    uq.email = &mail;
    cp.value = (char *)"first pass phrase 81";
    uq.current_password = &cp;
    assert_int_equal(sath_user_update_me(cm, &uq, &u, NULL), SATH_OK);
    sath__v1__user__free_unpacked(u, NULL);

    /* A new password without the current one, or with a wrong one, is refused. */
    Sath__V1__UpdateMeRequest pq = SATH__V1__UPDATE_ME_REQUEST__INIT;
    np.value = (char *)"second pass phrase 92";
    pq.new_password = &np;
    assert_int_equal(sath_user_update_me(cm, &pq, &u, NULL), SATH_PERMISSION_DENIED);
    cp.value = (char *)"not my password";
    pq.current_password = &cp;
    assert_int_equal(sath_user_update_me(cm, &pq, &u, NULL), SATH_PERMISSION_DENIED);
    cp.value = (char *)"first pass phrase 81";
    assert_int_equal(sath_user_update_me(cm, &pq, &u, NULL), SATH_OK);
    sath__v1__user__free_unpacked(u, NULL);

    /* The other session ended; mine goes on; only the new password logs in. */
    assert_int_equal(get_me(co, NULL), SATH_UNAUTHENTICATED);
    assert_int_equal(get_me(cm, NULL), SATH_OK);
    Sath__V1__RefreshRequest rq = SATH__V1__REFRESH_REQUEST__INIT;
    Sath__V1__RefreshResponse *rr = NULL;
    rq.refresh_token = other->refresh_token;
    assert_int_equal(sath_auth_refresh(f->c, &rq, &rr, NULL), SATH_UNAUTHENTICATED);
    Sath__V1__LoginResponse *l = NULL;
    assert_int_equal(do_login(f->c, email2, "first pass phrase 81", &l), SATH_UNAUTHENTICATED);
    assert_int_equal(do_login(f->c, email2, "second pass phrase 92", &l), SATH_OK);
    sath__v1__login_response__free_unpacked(l, NULL);
    sath_client_free(cm);
    sath_client_free(co);
    sath__v1__login_response__free_unpacked(mine, NULL);
    sath__v1__login_response__free_unpacked(other, NULL);
}

static void delete_me_ends_everything(void **state)
{
    fixture *f = *state;
    char email[128];
    new_email(email, sizeof email, "del");
    assert_int_equal(do_register(f->c, email, "delete me now", "d", NULL), SATH_OK);
    Sath__V1__LoginResponse *a = NULL, *b = NULL;
    assert_int_equal(do_login(f->c, email, "delete me now", &a), SATH_OK);
    assert_int_equal(do_login(f->c, email, "delete me now", &b), SATH_OK);
    sath_client *ca = client_with(f, a->access_token, NULL);
    sath_client *cb = client_with(f, b->access_token, NULL);
    Sath__V1__DeleteMeRequest dq = SATH__V1__DELETE_ME_REQUEST__INIT;
    Sath__V1__DeleteMeResponse *dr = NULL;
    dq.password = (char *)"delete me now";
    assert_int_equal(sath_user_delete_me(ca, &dq, &dr, NULL), SATH_OK);
    sath__v1__delete_me_response__free_unpacked(dr, NULL);
    assert_int_equal(get_me(ca, NULL), SATH_UNAUTHENTICATED);
    assert_int_equal(get_me(cb, NULL), SATH_UNAUTHENTICATED);
    Sath__V1__RefreshRequest rq = SATH__V1__REFRESH_REQUEST__INIT;
    Sath__V1__RefreshResponse *rr = NULL;
    rq.refresh_token = b->refresh_token;
    assert_int_equal(sath_auth_refresh(f->c, &rq, &rr, NULL), SATH_UNAUTHENTICATED);
    Sath__V1__LoginResponse *l = NULL;
    assert_int_equal(do_login(f->c, email, "delete me now", &l), SATH_UNAUTHENTICATED);
    char *active = sathd_proc_sql(&f->proc, "SELECT is_active::text FROM users WHERE email = lower($1)", email);
    assert_non_null(active);
    assert_string_equal(active, "false");
    free(active);
    sath_client_free(ca);
    sath_client_free(cb);
    sath__v1__login_response__free_unpacked(a, NULL);
    sath__v1__login_response__free_unpacked(b, NULL);
}

static void bcrypt_import_is_upgraded(void **state)
{
    fixture *f = *state;
    char email[128];
    new_email(email, sizeof email, "legacy");
    for (char *p = email; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    /* A row as the FastAPI platform's passlib left it (bcrypt, password "U*U"). */
    char *id = sathd_proc_sql(&f->proc,
        "INSERT INTO users (email, password_hash, name, plan_id) VALUES ($1, "
        "'$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW', 'legacy', "
        "(SELECT id FROM plans WHERE name = 'free')) RETURNING id", email);
    assert_non_null(id);
    free(id);
    Sath__V1__LoginResponse *l = NULL;
    assert_int_equal(do_login(f->c, email, "U*V", &l), SATH_UNAUTHENTICATED);
    assert_int_equal(do_login(f->c, email, "U*U", &l), SATH_OK);
    sath__v1__login_response__free_unpacked(l, NULL);
    char *hash = sathd_proc_sql(&f->proc, "SELECT password_hash FROM users WHERE email = $1", email);
    assert_non_null(hash);
    assert_true(strncmp(hash, "$argon2id$", 10) == 0);
    free(hash);
    assert_int_equal(do_login(f->c, email, "U*U", &l), SATH_OK);
    sath__v1__login_response__free_unpacked(l, NULL);
}

static void list_plans_is_public(void **state)
{
    fixture *f = *state;
    Sath__V1__ListPlansRequest req = SATH__V1__LIST_PLANS_REQUEST__INIT;
    Sath__V1__ListPlansResponse *resp = NULL;
    for (int round = 0; round < 2; round++) { /* second round from the cache */
        assert_int_equal(sath_billing_list_plans(f->c, &req, &resp, NULL), SATH_OK);
        assert_true(resp->n_plans >= 2);
        assert_string_equal(resp->plans[0]->name, "free");
        assert_int_equal(resp->plans[0]->price_monthly->cents, 0);
        for (size_t i = 1; i < resp->n_plans; i++) {
            assert_true(resp->plans[i]->price_monthly->cents >= resp->plans[i - 1]->price_monthly->cents);
            assert_true(resp->plans[i]->max_symbols > 0);
            assert_string_equal(resp->plans[i]->price_monthly->currency, "USD");
        }
        sath__v1__list_plans_response__free_unpacked(resp, NULL);
    }
}

static void later_methods_unimplemented(void **state)
{
    fixture *f = *state;
    char email[128];
    new_email(email, sizeof email, "later");
    assert_int_equal(do_register(f->c, email, "wait for it", "l", NULL), SATH_OK);
    Sath__V1__LoginResponse *l = NULL;
    assert_int_equal(do_login(f->c, email, "wait for it", &l), SATH_OK);
    sath_client *c = client_with(f, l->access_token, NULL);
    Sath__V1__GetSubscriptionRequest sq = SATH__V1__GET_SUBSCRIPTION_REQUEST__INIT;
    Sath__V1__Subscription *ss = NULL;
    /* billing is implemented (issue 11): a new account is on the implicit free plan */
    assert_int_equal(sath_billing_get_subscription(c, &sq, &ss, NULL), SATH_OK);
    assert_string_equal(ss->id, "");
    assert_string_equal(ss->plan->name, "free");
    assert_int_equal(ss->status, SATH__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_ACTIVE);
    sath__v1__subscription__free_unpacked(ss, NULL);
    sath_client_free(c);
    sath__v1__login_response__free_unpacked(l, NULL);
}

static void sdk_refreshes_transparently(void **state)
{
    fixture *f = *state;
    char email[128];
    new_email(email, sizeof email, "sdk");
    assert_int_equal(do_register(f->c, email, "transparent refresh", "s", NULL), SATH_OK);
    sath_client *c = NULL;
    assert_int_equal(sath_client_new(f->proc.target, NULL, &c), SATH_OK);
    assert_int_equal(sath_client_login(c, email, "transparent refresh", NULL), SATH_OK);
    char *access = NULL, *refresh = NULL;
    assert_int_equal(sath_client_get_tokens(c, &access, &refresh), SATH_OK);
    /* A garbage access token with the valid refresh token: the SDK refreshes once. */
    assert_int_equal(sath_client_set_tokens(c, "garbage.token.here", refresh), SATH_OK);
    assert_int_equal(get_me(c, NULL), SATH_OK);
    char *access2 = NULL, *refresh2 = NULL;
    assert_int_equal(sath_client_get_tokens(c, &access2, &refresh2), SATH_OK);
    assert_string_not_equal(refresh2, refresh);
    sath_free(access), sath_free(refresh), sath_free(access2), sath_free(refresh2);
    sath_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(register_and_login),
        cmocka_unit_test(register_validation),
        cmocka_unit_test(sql_metacharacters_are_data),
        cmocka_unit_test(login_does_not_reveal_accounts),
        cmocka_unit_test(missing_or_bad_token),
        cmocka_unit_test(refresh_rotation_and_reuse),
        cmocka_unit_test(logout_revokes),
        cmocka_unit_test(update_me_and_password_change),
        cmocka_unit_test(delete_me_ends_everything),
        cmocka_unit_test(bcrypt_import_is_upgraded),
        cmocka_unit_test(list_plans_is_public),
        cmocka_unit_test(later_methods_unimplemented),
        cmocka_unit_test(sdk_refreshes_transparently),
    };
    return cmocka_run_group_tests(tests, it_setup, it_teardown);
}
