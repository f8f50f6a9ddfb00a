/*
 * torture_authsync.c - the guarantees of sathd/authsync.h with two real sathd instances
 * (A and B) on one database and one Redis:
 *
 *  - a token revoked on A is refused on A at once and on B within the bound
 *    (SATH_AUTH_STALENESS_MS, 100 ms here);
 *  - a user row changed on A, or by plain SQL, is never served stale past the bound;
 *  - B really serves from its cache (a change written *without* being published is not
 *    seen while the feed is healthy), and when a feed is cut B falls back to the
 *    backends: the unpublished change is seen within the bound.
 *
 * "Within the bound" is checked strictly: every call that starts `BOUND_MS` after the
 * write returned must see it.  How soon B first saw it is printed for information.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>
#include <sodium.h>

#include "sath/sath.h"
#include "sathd_proc.h"

#define BOUND_MS 100
#define PASSWORD "Tr0ub4dor&3 horse staple"

typedef struct fixture {
    sathd_proc a, b;
    redisContext *redis;
} fixture;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static redisContext *redis_connect(void)
{
    const char *url = getenv("SATH_TEST_REDIS_URL");
    if (!url || strncmp(url, "unix://", 7) != 0)
        return NULL; /* tests/fixtures/services.sh gives a unix socket */
    redisContext *c = redisConnectUnix(url + 7);
    if (c && c->err) {
        redisFree(c);
        return NULL;
    }
    return c;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || sodium_init() < 0)
        return -1;
    unsigned char seed[32];
    static char key_env[128];
    randombytes_buf(seed, sizeof seed);
    strcpy(key_env, "SATH_JWT_ED25519_KEY=");
    sodium_bin2base64(key_env + strlen(key_env), sizeof key_env - strlen(key_env), seed,
                      sizeof seed, sodium_base64_VARIANT_ORIGINAL);
    const char *env[] = {key_env, "SATH_AUTH_STALENESS_MS=100", "SATH_PWHASH_OPSLIMIT=2",
                         "SATH_PWHASH_MEMLIMIT_KIB=19456", NULL};
    if (sathd_proc_start(&f->a, env) != 0 || sathd_proc_start_peer(&f->b, &f->a, env) != 0)
        return -1;
    if (!(f->redis = redis_connect()))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    redisFree(f->redis);
    int rb = sathd_proc_stop(&f->b);
    int ra = sathd_proc_stop(&f->a);
    free(f);
    return ra == 0 && rb == 0 ? 0 : -1;
}

typedef struct account {
    char email[96];
    char user_id[37];
    char *access, *refresh;
} account;

static void account_free(account *a)
{
    free(a->access);
    free(a->refresh);
}

/* A client presenting the access token only: with a refresh token the SDK would renew
 * a refused access token by itself and hide the refusal. */
static sath_client *client_for(const sathd_proc *p, const account *a)
{
    sath_client *c = NULL;
    assert_int_equal(sath_client_new(p->target, NULL, &c), SATH_OK);
    if (a)
        assert_int_equal(sath_client_set_tokens(c, a->access, NULL), SATH_OK);
    return c;
}

/* Registers on A and logs in (on A). */
static void new_account(fixture *f, account *out)
{
    unsigned char r[6];
    randombytes_buf(r, sizeof r);
    snprintf(out->email, sizeof out->email, "sync.%02x%02x%02x%02x%02x%02x@example.com", r[0],
             r[1], r[2], r[3], r[4], r[5]);
    sath_client *c = client_for(&f->a, NULL);
    Sath__V1__RegisterRequest rq = SATH__V1__REGISTER_REQUEST__INIT;
    rq.email = out->email;
    rq.password = (char *)PASSWORD;
    rq.name = (char *)"Before";
    Sath__V1__RegisterResponse *reg = NULL;
    assert_int_equal(sath_auth_register(c, &rq, &reg, NULL), SATH_OK);
    snprintf(out->user_id, sizeof out->user_id, "%s", reg->user->id);
    sath__v1__register_response__free_unpacked(reg, NULL);
    Sath__V1__LoginRequest lq = SATH__V1__LOGIN_REQUEST__INIT;
    lq.email = out->email;
    lq.password = rq.password;
    Sath__V1__LoginResponse *login = NULL;
    assert_int_equal(sath_auth_login(c, &lq, &login, NULL), SATH_OK);
    out->access = strdup(login->access_token);
    out->refresh = strdup(login->refresh_token);
    sath__v1__login_response__free_unpacked(login, NULL);
    sath_client_free(c);
}

/* GetMe's status; *name (may be NULL) gets a copy of the name served. */
static int get_me(sath_client *c, char *name, size_t n)
{
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    Sath__V1__User *u = NULL;
    int rc = sath_user_get_me(c, &req, &u, NULL);
    if (name)
        snprintf(name, n, "%s", u ? u->name : "");
    if (u)
        sath__v1__user__free_unpacked(u, NULL);
    return rc;
}

/* Calls GetMe on c from t0 (the write returned) until `want` is seen and through
 * t0 + BOUND_MS + 50; every call started at or after t0 + BOUND_MS must see it.
 * Returns when it was first seen (ms after t0). */
static int64_t converges(sath_client *c, int want_rc, const char *want_name, int64_t t0)
{
    int64_t first = -1;
    for (int after_bound = 0;;) {
        int64_t start = now_ms();
        if (start > t0 + BOUND_MS + 50 && after_bound)
            break;
        after_bound |= start >= t0 + BOUND_MS;
        char name[256];
        int rc = get_me(c, name, sizeof name);
        int seen = rc == want_rc && (!want_name || strcmp(name, want_name) == 0);
        if (seen && first < 0)
            first = start - t0;
        if (start >= t0 + BOUND_MS && !seen)
            fail_msg("stale answer %d after %lld ms (bound %d ms)", rc, (long long)(start - t0),
                     BOUND_MS);
        sleep_ms(2);
    }
    assert_true(first >= 0);
    return first;
}

/* Waits until both instances' feeds are synchronised: a change published on A is seen
 * on B (so the first test does not measure start-up). */
static void warm(sath_client *on_b)
{
    for (int i = 0; i < 100 && get_me(on_b, NULL, 0) != SATH_OK; i++)
        sleep_ms(20);
    sleep_ms(3 * BOUND_MS);
}

static void logout_on_a_is_refused_on_b_within_bound(void **state)
{
    fixture *f = *state;
    account acc = {0};
    new_account(f, &acc);
    sath_client *ca = client_for(&f->a, &acc), *cb = client_for(&f->b, &acc);
    warm(cb);
    assert_int_equal(get_me(ca, NULL, 0), SATH_OK);
    assert_int_equal(get_me(cb, NULL, 0), SATH_OK); /* cached on B now */
    assert_int_equal(get_me(cb, NULL, 0), SATH_OK);

    Sath__V1__LogoutRequest lq = SATH__V1__LOGOUT_REQUEST__INIT;
    lq.refresh_token = acc.refresh;
    Sath__V1__LogoutResponse *lr = NULL;
    assert_int_equal(sath_auth_logout(ca, &lq, &lr, NULL), SATH_OK);
    int64_t t0 = now_ms();
    sath__v1__logout_response__free_unpacked(lr, NULL);
    assert_int_equal(get_me(ca, NULL, 0), SATH_UNAUTHENTICATED); /* at once on A */
    int64_t first = converges(cb, SATH_UNAUTHENTICATED, NULL, t0);
    print_message("logout on A: refused on B after %lld ms (bound %d ms)\n", (long long)first,
                  BOUND_MS);
    sath_client_free(ca);
    sath_client_free(cb);
    account_free(&acc);
}

static void update_on_a_or_sql_is_served_on_b_within_bound(void **state)
{
    fixture *f = *state;
    account acc = {0};
    new_account(f, &acc);
    sath_client *ca = client_for(&f->a, &acc), *cb = client_for(&f->b, &acc);
    warm(cb);
    char name[256];
    assert_int_equal(get_me(cb, name, sizeof name), SATH_OK);
    assert_string_equal(name, "Before");
    assert_int_equal(get_me(cb, name, sizeof name), SATH_OK); /* from B's cache */

    Sath__V1__UpdateMeRequest uq = SATH__V1__UPDATE_ME_REQUEST__INIT;
    Google__Protobuf__StringValue nv = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
    nv.value = (char *)"After";
    uq.name = &nv;
    Sath__V1__User *u = NULL;
    assert_int_equal(sath_user_update_me(ca, &uq, &u, NULL), SATH_OK);
    int64_t t0 = now_ms();
    sath__v1__user__free_unpacked(u, NULL);
    assert_int_equal(get_me(ca, name, sizeof name), SATH_OK);
    assert_string_equal(name, "After"); /* at once on A */
    int64_t first = converges(cb, SATH_OK, "After", t0);
    print_message("UpdateMe on A: new row on B after %lld ms\n", (long long)first);

    /* Billing, an operator, anything that writes the row: the trigger publishes it. */
    char *r = sathd_proc_sql(&f->a, "UPDATE users SET name = 'By SQL' WHERE id = $1",
                             acc.user_id);
    assert_non_null(r);
    free(r);
    t0 = now_ms();
    first = converges(cb, SATH_OK, "By SQL", t0);
    converges(ca, SATH_OK, "By SQL", t0);
    print_message("UPDATE by SQL: new row on B after %lld ms\n", (long long)first);

    /* DeleteMe on A: B stops answering for the account within the bound. */
    Sath__V1__DeleteMeRequest dq = SATH__V1__DELETE_ME_REQUEST__INIT;
    dq.password = (char *)PASSWORD;
    Sath__V1__DeleteMeResponse *dr = NULL;
    assert_int_equal(sath_user_delete_me(ca, &dq, &dr, NULL), SATH_OK);
    t0 = now_ms();
    sath__v1__delete_me_response__free_unpacked(dr, NULL);
    assert_int_equal(get_me(ca, NULL, 0), SATH_UNAUTHENTICATED);
    converges(cb, SATH_UNAUTHENTICATED, NULL, t0);
    sath_client_free(ca);
    sath_client_free(cb);
    account_free(&acc);
}

/* iss and jti of an access token (the payload's JSON, found by key). */
static void claim(const char *token, const char *key, char *out, size_t n)
{
    const char *dot = strchr(token, '.'), *dot2 = dot ? strchr(dot + 1, '.') : NULL;
    assert_non_null(dot2);
    char json[2048];
    size_t len = 0;
    assert_int_equal(sodium_base642bin((unsigned char *)json, sizeof json - 1, dot + 1,
                                       (size_t)(dot2 - dot - 1), NULL, &len, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    json[len] = '\0';
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *v = strstr(json, pat);
    assert_non_null(v);
    v += strlen(pat);
    const char *end = strchr(v, '"');
    assert_non_null(end);
    snprintf(out, n, "%.*s", (int)(end - v), v);
}

/* Denies the token in Redis as sathd_session_deny does, but without publishing it. */
static void deny_unpublished(fixture *f, const char *token)
{
    char iss[256], jti[64], buf[512], hex[65], key[96];
    unsigned char h[32];
    claim(token, "iss", iss, sizeof iss);
    claim(token, "jti", jti, sizeof jti);
    size_t il = strlen(iss), jl = strlen(jti);
    memcpy(buf, iss, il + 1);
    memcpy(buf + il + 1, jti, jl);
    crypto_hash_sha256(h, (const unsigned char *)buf, il + 1 + jl);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(key, sizeof key, "sath:deny:%s", hex);
    redisReply *r = redisCommand(f->redis, "SET %s 1 EX 900", key);
    assert_non_null(r);
    freeReplyObject(r);
}

/* Tries (a few times: a machine busy enough to delay B's heartbeat past the bound makes
 * B ask Redis, which is right but proves nothing here) to have B serve a token from its
 * cache after the token was denied in Redis *without* being published.  On success
 * *acc and *cb are the account and B's client. */
static void cached_past_an_unpublished_denial(fixture *f, account *acc, sath_client **cb)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        memset(acc, 0, sizeof *acc);
        new_account(f, acc);
        *cb = client_for(&f->b, acc);
        warm(*cb);
        assert_int_equal(get_me(*cb, NULL, 0), SATH_OK);
        deny_unpublished(f, acc->access);
        sath_client *ca = client_for(&f->a, acc);
        assert_int_equal(get_me(ca, NULL, 0), SATH_UNAUTHENTICATED); /* A never cached it */
        sath_client_free(ca);
        if (get_me(*cb, NULL, 0) == SATH_OK)
            return;
        sath_client_free(*cb);
        account_free(acc);
    }
    fail_msg("B never served a token from its cache: its revocation feed was never healthy");
}

static void cached_while_fed_and_fallback_when_cut(void **state)
{
    fixture *f = *state;
    account acc;
    sath_client *cb = NULL;
    /* A revocation that was never published: B, trusting its healthy feed, still
     * answers from cache -- which shows the round trip is really skipped. */
    cached_past_an_unpublished_denial(f, &acc, &cb);
    /* Cut every revocation feed: B must go back to asking Redis within the bound. */
    redisReply *r = redisCommand(f->redis, "CLIENT KILL TYPE pubsub");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer >= 2); /* A's and B's */
    freeReplyObject(r);
    int64_t t0 = now_ms();
    int64_t first = converges(cb, SATH_UNAUTHENTICATED, NULL, t0);
    print_message("revocation feed cut: unpublished revocation seen after %lld ms\n",
                  (long long)first);
    sath_client_free(cb);
    account_free(&acc);
}

/* The same for a user's row: changed with the trigger off (so not published), B keeps
 * serving its cached row; once B's user feed is cut, it reads the row again. */
static void cached_row_while_fed_and_fallback_when_cut(void **state)
{
    fixture *f = *state;
    account acc = {0};
    sath_client *cb = NULL;
    char name[256], want[64], sql[160];
    int served = 0;
    for (int attempt = 0; attempt < 3 && !served; attempt++) {
        if (attempt) { /* see cached_past_an_unpublished_denial */
            sath_client_free(cb);
            account_free(&acc);
            memset(&acc, 0, sizeof acc);
        }
        new_account(f, &acc);
        cb = client_for(&f->b, &acc);
        warm(cb);
        assert_int_equal(get_me(cb, name, sizeof name), SATH_OK);
        assert_string_equal(name, "Before");
        snprintf(want, sizeof want, "Unpublished %d", attempt);
        snprintf(sql, sizeof sql, "UPDATE users SET name = '%s' WHERE id = $1", want);
        free(sathd_proc_sql(&f->a, "ALTER TABLE users DISABLE TRIGGER users_changed", NULL));
        char *done = sathd_proc_sql(&f->a, sql, acc.user_id);
        assert_non_null(done);
        free(done);
        free(sathd_proc_sql(&f->a, "ALTER TABLE users ENABLE TRIGGER users_changed", NULL));
        served = get_me(cb, name, sizeof name) == SATH_OK && strcmp(name, "Before") == 0;
    }
    if (!served)
        fail_msg("B never served a row from its cache: its user feed was never healthy");
    char *n = sathd_proc_sql(&f->a,
                             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE application_name = 'sathd-authsync' AND datname = "
                             "current_database()",
                             NULL);
    assert_non_null(n);
    assert_true(atoi(n) >= 2); /* A's and B's */
    free(n);
    int64_t t0 = now_ms();
    int64_t first = converges(cb, SATH_OK, want, t0);
    print_message("user feed cut: unpublished row seen after %lld ms\n", (long long)first);
    sath_client_free(cb);
    account_free(&acc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(logout_on_a_is_refused_on_b_within_bound),
        cmocka_unit_test(update_on_a_or_sql_is_served_on_b_within_bound),
        cmocka_unit_test(cached_while_fed_and_fallback_when_cut),
        cmocka_unit_test(cached_row_while_fed_and_fallback_when_cut),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
