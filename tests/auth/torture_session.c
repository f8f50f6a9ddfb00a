/*
 * torture_session.c - refresh-token sessions and the access-token deny-list against a
 * real Redis (SATH_TEST_REDIS_URL, e.g. unix:///tmp/x/redis.sock, from
 * tests/fixtures/services.sh).  Without it the suite fails: a skipped Redis test proves
 * nothing.
 *
 * Every test uses fresh random user ids, so tests never see each other's keys and no
 * FLUSHDB is needed (the Redis may be shared with other suites).
 */
#include "sathd/session.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TTL 3600

/* Connects to SATH_TEST_REDIS_URL: unix:///path or redis://host:port. */
static redisContext *connect_redis(void)
{
    const char *url = getenv("SATH_TEST_REDIS_URL");
    redisContext *c = NULL;
    if (!url || !*url) {
        fprintf(stderr, "SATH_TEST_REDIS_URL is not set (start tests/fixtures/services.sh)\n");
        return NULL;
    }
    if (strncmp(url, "unix://", 7) == 0) {
        c = redisConnectUnix(url + 7);
    } else if (strncmp(url, "redis://", 8) == 0) {
        char host[256];
        int port = 6379;
        const char *hp = url + 8, *colon = strrchr(hp, ':');
        size_t hl = colon ? (size_t)(colon - hp) : strcspn(hp, "/");
        if (hl >= sizeof host)
            return NULL;
        memcpy(host, hp, hl);
        host[hl] = '\0';
        if (colon)
            port = atoi(colon + 1);
        c = redisConnect(host, port);
    } else {
        fprintf(stderr, "SATH_TEST_REDIS_URL must be unix:///path or redis://host:port\n");
        return NULL;
    }
    if (!c || c->err) {
        fprintf(stderr, "cannot connect to %s: %s\n", url, c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    return c;
}

static int setup(void **state)
{
    /* hiredis writes with plain write(2): a dead peer raises SIGPIPE, which sathd ignores
     * process-wide, and so do we. */
    signal(SIGPIPE, SIG_IGN);
    if (sodium_init() < 0)
        return -1;
    redisContext *c = connect_redis();
    *state = c;
    return c ? 0 : -1;
}

static int teardown(void **state)
{
    if (*state)
        redisFree(*state);
    return 0;
}

static void random_uuid(char out[37])
{
    unsigned char b[16];
    char hex[33];
    randombytes_buf(b, sizeof b);
    sodium_bin2hex(hex, sizeof hex, b, sizeof b);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static void rt_key(char key[80], const char *token)
{
    unsigned char h[32];
    char hex[65];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(key, 80, "sath:rt:%s", hex);
}

static long long ttl_of(redisContext *c, const char *key)
{
    redisReply *r = redisCommand(c, "TTL %s", key);
    assert_non_null(r);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

static char *hget(redisContext *c, const char *key, const char *field)
{
    redisReply *r = redisCommand(c, "HGET %s %s", key, field);
    assert_non_null(r);
    char *v = r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
    freeReplyObject(r);
    return v;
}

static void assert_hfield(redisContext *c, const char *key, const char *field, const char *want)
{
    char *v = hget(c, key, field);
    assert_non_null(v);
    assert_string_equal(v, want);
    free(v);
}

static void test_issue(void **state)
{
    redisContext *c = *state;
    char user[37], key[80], fkey[80], ukey[80];
    sathd_refresh s;
    random_uuid(user);
    assert_int_equal(sathd_session_issue(c, user, TTL, &s), SATHD_SESSION_OK);
    assert_int_equal(strlen(s.token), SATHD_REFRESH_TOKEN_LEN);
    assert_int_equal(strspn(s.token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                     SATHD_REFRESH_TOKEN_LEN);
    assert_int_equal(strlen(s.family), SATHD_SESSION_FAMILY_LEN);
    assert_string_equal(s.user_id, user);
    assert_true(s.expires_at > (int64_t)time(NULL) + TTL - 5);

    /* Stored under the token's hash only; the token itself is no key. */
    rt_key(key, s.token);
    assert_hfield(c, key, "user", user);
    assert_hfield(c, key, "family", s.family);
    assert_hfield(c, key, "state", "active");
    snprintf(fkey, sizeof fkey, "sath:rf:%s", s.family);
    snprintf(ukey, sizeof ukey, "sath:ru:%s", user);
    assert_hfield(c, fkey, "revoked", "0");
    assert_hfield(c, fkey, "user", user);
    redisReply *r = redisCommand(c, "SISMEMBER %s %s", ukey, s.family);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    r = redisCommand(c, "EXISTS sath:rt:%s", s.token);
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    /* Every key has the refresh TTL. */
    assert_in_range(ttl_of(c, key), TTL - 5, TTL);
    assert_in_range(ttl_of(c, fkey), TTL - 5, TTL);
    assert_in_range(ttl_of(c, ukey), TTL - 5, TTL);

    /* Two sessions never share token or family. */
    sathd_refresh s2;
    assert_int_equal(sathd_session_issue(c, user, TTL, &s2), SATHD_SESSION_OK);
    assert_string_not_equal(s.token, s2.token);
    assert_string_not_equal(s.family, s2.family);
}

static void test_rotate(void **state)
{
    redisContext *c = *state;
    char user[37], k1[80], k2[80];
    sathd_refresh s1, s2, s3;
    random_uuid(user);
    assert_int_equal(sathd_session_issue(c, user, TTL, &s1), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_rotate(c, s1.token, 2 * TTL, &s2), SATHD_SESSION_OK);
    assert_string_not_equal(s2.token, s1.token);
    assert_string_equal(s2.family, s1.family);
    assert_string_equal(s2.user_id, user);
    rt_key(k1, s1.token);
    rt_key(k2, s2.token);
    assert_hfield(c, k1, "state", "rotated"); /* kept, so reuse can be recognised */
    assert_hfield(c, k2, "state", "active");
    /* The new token, the family and the user index carry the new TTL. */
    assert_in_range(ttl_of(c, k2), 2 * TTL - 5, 2 * TTL);
    char fkey[80];
    snprintf(fkey, sizeof fkey, "sath:rf:%s", s1.family);
    assert_in_range(ttl_of(c, fkey), 2 * TTL - 5, 2 * TTL);
    assert_int_equal(sathd_session_rotate(c, s2.token, TTL, &s3), SATHD_SESSION_OK);
    assert_string_equal(s3.family, s1.family);
    /* A shorter TTL never shortens the family below its newest token. */
    assert_in_range(ttl_of(c, fkey), 2 * TTL - 5, 2 * TTL);
    char fam[SATHD_SESSION_FAMILY_LEN + 1];
    assert_int_equal(sathd_session_family_of(c, s3.token, fam), SATHD_SESSION_OK);
    assert_string_equal(fam, s1.family);
}

static void test_reuse_revokes_family(void **state)
{
    redisContext *c = *state;
    char user[37];
    sathd_refresh s1, s2, s3, again;
    random_uuid(user);
    assert_int_equal(sathd_session_issue(c, user, TTL, &s1), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_rotate(c, s1.token, TTL, &s2), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_rotate(c, s2.token, TTL, &s3), SATHD_SESSION_OK);
    /* The thief replays s1: reuse detected, whole family revoked. */
    assert_int_equal(sathd_session_rotate(c, s1.token, TTL, &again),
                     SATHD_SESSION_REUSE_DETECTED);
    assert_string_equal(again.user_id, user);
    assert_string_equal(again.family, s1.family);
    assert_string_equal(again.token, ""); /* no new token was handed out */
    /* The newest token of the family is dead too. */
    assert_int_equal(sathd_session_rotate(c, s3.token, TTL, &again), SATHD_SESSION_INVALID);
    assert_int_equal(sathd_session_rotate(c, s1.token, TTL, &again), SATHD_SESSION_INVALID);
    char fkey[80];
    snprintf(fkey, sizeof fkey, "sath:rf:%s", s1.family);
    assert_hfield(c, fkey, "revoked", "1");
    /* Other families of the same user are untouched. */
    sathd_refresh other, other2;
    assert_int_equal(sathd_session_issue(c, user, TTL, &other), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_rotate(c, other.token, TTL, &other2), SATHD_SESSION_OK);
}

typedef struct racer {
    const char *token;
    pthread_barrier_t *start;
    sathd_session_rc rc;
    sathd_refresh out;
} racer;

static void *race_rotate(void *arg)
{
    racer *r = arg;
    redisContext *c = connect_redis(); /* a context per thread: hiredis is not thread-safe */
    pthread_barrier_wait(r->start);
    r->rc = c ? sathd_session_rotate(c, r->token, TTL, &r->out) : SATHD_SESSION_UNAVAILABLE;
    if (c)
        redisFree(c);
    return NULL;
}

static void test_concurrent_rotation(void **state)
{
    redisContext *c = *state;
    enum { N = 8 };
    for (int round = 0; round < 5; round++) {
        char user[37];
        sathd_refresh s;
        random_uuid(user);
        assert_int_equal(sathd_session_issue(c, user, TTL, &s), SATHD_SESSION_OK);
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, N);
        racer r[N];
        pthread_t t[N];
        for (int i = 0; i < N; i++) {
            memset(&r[i], 0, sizeof r[i]);
            r[i].token = s.token;
            r[i].start = &start;
            assert_int_equal(pthread_create(&t[i], NULL, race_rotate, &r[i]), 0);
        }
        int ok = 0, reuse = 0, invalid = 0;
        for (int i = 0; i < N; i++) {
            pthread_join(t[i], NULL);
            ok += r[i].rc == SATHD_SESSION_OK;
            reuse += r[i].rc == SATHD_SESSION_REUSE_DETECTED;
            invalid += r[i].rc == SATHD_SESSION_INVALID;
        }
        pthread_barrier_destroy(&start);
        /* Exactly one winner; the first loser looks like a replay and revokes the family,
         * later ones find it revoked. */
        assert_int_equal(ok, 1);
        assert_int_equal(reuse, 1);
        assert_int_equal(invalid, N - 2);
    }
}

static void test_invalid_tokens(void **state)
{
    redisContext *c = *state;
    sathd_refresh out;
    /* Well-formed but never issued. */
    assert_int_equal(sathd_session_rotate(c, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", TTL, &out),
                     SATHD_SESSION_INVALID);
    /* Not even shaped like one of ours. */
    static const char *const bad[] = {"", "short", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                      "+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(sathd_session_rotate(c, bad[i], TTL, &out), SATHD_SESSION_INVALID);
        assert_int_equal(sathd_session_revoke_family_by_token(c, bad[i], NULL, NULL),
                         SATHD_SESSION_INVALID);
    }
    /* Expired: Redis drops the key at its TTL. */
    char user[37];
    sathd_refresh s;
    random_uuid(user);
    assert_int_equal(sathd_session_issue(c, user, 1, &s), SATHD_SESSION_OK);
    struct timespec pause = {2, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    assert_int_equal(sathd_session_rotate(c, s.token, TTL, &out), SATHD_SESSION_INVALID);
}

static void test_logout(void **state)
{
    redisContext *c = *state;
    char user[37], owner[37];
    sathd_refresh s1, s2, out;
    random_uuid(user);
    assert_int_equal(sathd_session_issue(c, user, TTL, &s1), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_rotate(c, s1.token, TTL, &s2), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_revoke_family_by_token(c, s2.token, NULL, owner), SATHD_SESSION_OK);
    assert_string_equal(owner, user);
    assert_int_equal(sathd_session_rotate(c, s2.token, TTL, &out), SATHD_SESSION_INVALID);
    /* Logging out with an older token of the family also works (and is idempotent). */
    assert_int_equal(sathd_session_revoke_family_by_token(c, s1.token, NULL, NULL), SATHD_SESSION_OK);
    char ukey[80];
    snprintf(ukey, sizeof ukey, "sath:ru:%s", user);
    redisReply *r = redisCommand(c, "SISMEMBER %s %s", ukey, s1.family);
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    assert_int_equal(sathd_session_revoke_family_by_token(
                         c, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL),
                     SATHD_SESSION_INVALID);
}

/* Logout presenting another user's refresh token: answered as an unknown token, and the
 * victim's session goes on (issue 12 item 7). */
static void test_logout_other_owner(void **state)
{
    redisContext *c = *state;
    char victim[37], attacker[37];
    sathd_refresh v, out;
    random_uuid(victim);
    random_uuid(attacker);
    assert_int_equal(sathd_session_issue(c, victim, TTL, &v), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_revoke_family_by_token(c, v.token, attacker, NULL),
                     SATHD_SESSION_INVALID);
    assert_int_equal(sathd_session_rotate(c, v.token, TTL, &out), SATHD_SESSION_OK);
    /* The owner itself still can. */
    assert_int_equal(sathd_session_revoke_family_by_token(c, out.token, victim, NULL),
                     SATHD_SESSION_OK);
    sathd_refresh again;
    assert_int_equal(sathd_session_rotate(c, out.token, TTL, &again), SATHD_SESSION_INVALID);
}

static void test_revoke_all_except_current(void **state)
{
    redisContext *c = *state;
    char user[37], other_user[37];
    sathd_refresh s[3], o, out;
    long long n = -1;
    random_uuid(user);
    random_uuid(other_user);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sathd_session_issue(c, user, TTL, &s[i]), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_issue(c, other_user, TTL, &o), SATHD_SESSION_OK);

    /* Password change from session 0: end the OTHER sessions. */
    char keep[SATHD_SESSION_FAMILY_LEN + 1];
    assert_int_equal(sathd_session_family_of(c, s[0].token, keep), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_revoke_all_for_user(c, user, keep, &n), SATHD_SESSION_OK);
    assert_int_equal(n, 2);
    assert_int_equal(sathd_session_rotate(c, s[1].token, TTL, &out), SATHD_SESSION_INVALID);
    assert_int_equal(sathd_session_rotate(c, s[2].token, TTL, &out), SATHD_SESSION_INVALID);
    sathd_refresh kept;
    assert_int_equal(sathd_session_rotate(c, s[0].token, TTL, &kept), SATHD_SESSION_OK);
    /* Another user's sessions are untouched. */
    assert_int_equal(sathd_session_rotate(c, o.token, TTL, &out), SATHD_SESSION_OK);

    /* DeleteMe: everything. */
    assert_int_equal(sathd_session_revoke_all_for_user(c, user, NULL, &n), SATHD_SESSION_OK);
    assert_int_equal(n, 1);
    assert_int_equal(sathd_session_rotate(c, kept.token, TTL, &out), SATHD_SESSION_INVALID);
    assert_int_equal(sathd_session_revoke_all_for_user(c, user, NULL, &n), SATHD_SESSION_OK);
    assert_int_equal(n, 0);
}

static void test_denylist(void **state)
{
    redisContext *c = *state;
    char user[37], jti[32], jti2[32];
    unsigned char rnd[8];
    int64_t now = (int64_t)time(NULL);
    random_uuid(user);
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(jti, sizeof jti, rnd, sizeof rnd);
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(jti2, sizeof jti2, rnd, sizeof rnd);
    const char *iss = "https://auth.sath.test";

    assert_int_equal(sathd_session_access_ok(c, iss, jti, user, now, NULL), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_deny(c, iss, jti, now + 100, 60, now), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_access_ok(c, iss, jti, user, now, NULL), SATHD_SESSION_REVOKED);
    assert_int_equal(sathd_session_access_ok(c, iss, jti2, user, now, NULL), SATHD_SESSION_OK);
    /* Same jti from another issuer is another token. */
    assert_int_equal(sathd_session_access_ok(c, "https://other.test", jti, user, now, NULL),
                     SATHD_SESSION_OK);

    /* The entry lives until exp + leeway, no longer. */
    unsigned char in[256];
    size_t il = strlen(iss);
    memcpy(in, iss, il);
    in[il] = '\0';
    memcpy(in + il + 1, jti, strlen(jti));
    unsigned char h[32];
    char hex[65], key[96];
    crypto_hash_sha256(h, in, il + 1 + strlen(jti));
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(key, sizeof key, "sath:deny:%s", hex);
    assert_in_range(ttl_of(c, key), 155, 160);

    /* Denying an already-expired token stores nothing. */
    assert_int_equal(sathd_session_deny(c, iss, jti2, now - 120, 60, now), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_access_ok(c, iss, jti2, user, now, NULL), SATHD_SESSION_OK);
}

static void test_user_cutoff(void **state)
{
    redisContext *c = *state;
    char user[37], other[37], key[80];
    int64_t now = (int64_t)time(NULL);
    random_uuid(user);
    random_uuid(other);
    assert_int_equal(sathd_session_access_ok(c, "i", "j1", user, now - 10, NULL), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_set_user_cutoff(c, user, now, 960), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_access_ok(c, "i", "j1", user, now - 10, NULL), SATHD_SESSION_REVOKED);
    assert_int_equal(sathd_session_access_ok(c, "i", "j1", user, now - 1, NULL), SATHD_SESSION_REVOKED);
    assert_int_equal(sathd_session_access_ok(c, "i", "j2", user, now, NULL), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_access_ok(c, "i", "j3", user, now + 5, NULL), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_access_ok(c, "i", "j1", other, now - 10, NULL), SATHD_SESSION_OK);
    /* The user id's hex case does not matter. */
    char upper[37];
    for (int i = 0; i < 37; i++)
        upper[i] = (char)((user[i] >= 'a' && user[i] <= 'f') ? user[i] - 32 : user[i]);
    assert_int_equal(sathd_session_access_ok(c, "i", "j1", upper, now - 10, NULL), SATHD_SESSION_REVOKED);
    snprintf(key, sizeof key, "sath:ucut:%s", user);
    assert_in_range(ttl_of(c, key), 955, 960);
    /* A value nobody of ours wrote fails closed, as unavailable rather than "fine". */
    redisReply *r = redisCommand(c, "SET %s garbage EX 60", key);
    freeReplyObject(r);
    assert_int_equal(sathd_session_access_ok(c, "i", "j2", user, now, NULL), SATHD_SESSION_UNAVAILABLE);
}

static void test_redis_failures_are_unavailable(void **state)
{
    redisContext *c = *state;
    char user[37], ukey[80];
    random_uuid(user);
    /* A key of the wrong type makes the script fail inside Redis: an error reply. */
    snprintf(ukey, sizeof ukey, "sath:ru:%s", user);
    redisReply *r = redisCommand(c, "SET %s not-a-set EX 60", ukey);
    freeReplyObject(r);
    long long n = 0;
    assert_int_equal(sathd_session_revoke_all_for_user(c, user, NULL, &n),
                     SATHD_SESSION_UNAVAILABLE);
    sathd_refresh s;
    assert_int_equal(sathd_session_issue(c, user, TTL, &s), SATHD_SESSION_UNAVAILABLE);
    assert_string_equal(s.token, ""); /* nothing usable handed out */

    /* A dead connection. */
    redisContext *dead = connect_redis();
    assert_non_null(dead);
    random_uuid(user);
    assert_int_equal(sathd_session_issue(dead, user, TTL, &s), SATHD_SESSION_OK);
    shutdown(dead->fd, SHUT_RDWR);
    sathd_refresh out;
    assert_int_equal(sathd_session_rotate(dead, s.token, TTL, &out), SATHD_SESSION_UNAVAILABLE);
    assert_int_equal(sathd_session_access_ok(dead, "i", "j", user, 0, NULL), SATHD_SESSION_UNAVAILABLE);
    assert_int_equal(sathd_session_deny(dead, "i", "j", (int64_t)time(NULL) + 100, 60,
                                        (int64_t)time(NULL)),
                     SATHD_SESSION_UNAVAILABLE);
    assert_int_equal(sathd_session_revoke_family_by_token(dead, s.token, NULL, NULL),
                     SATHD_SESSION_UNAVAILABLE);
    redisFree(dead);
    /* The token is still good on a working connection: the failure changed nothing. */
    assert_int_equal(sathd_session_rotate(c, s.token, TTL, &out), SATHD_SESSION_OK);
}

/* An access token names its session (sid): revoking the session, by id, by token, for
 * the whole user or by reuse detection, refuses the access tokens issued for it. */
static void test_session_revocation_reaches_access_tokens(void **state)
{
    redisContext *c = *state;
    char user[37];
    sathd_refresh a, b, k, rot, out;
    int64_t now = (int64_t)time(NULL);
    random_uuid(user);
    assert_int_equal(sathd_session_issue(c, user, TTL, &a), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_issue(c, user, TTL, &b), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_issue(c, user, TTL, &k), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_access_ok(c, "i", "ja", user, now, a.family), SATHD_SESSION_OK);

    assert_int_equal(sathd_session_revoke_family(c, a.family), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_access_ok(c, "i", "ja", user, now, a.family), SATHD_SESSION_REVOKED);
    assert_int_equal(sathd_session_rotate(c, a.token, TTL, &out), SATHD_SESSION_INVALID);
    assert_int_equal(sathd_session_access_ok(c, "i", "jb", user, now, b.family), SATHD_SESSION_OK);

    /* Revoke all but k: b's access tokens die, k's live. */
    assert_int_equal(sathd_session_revoke_all_for_user(c, user, k.family, NULL), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_access_ok(c, "i", "jb", user, now, b.family), SATHD_SESSION_REVOKED);
    assert_int_equal(sathd_session_access_ok(c, "i", "jk", user, now, k.family), SATHD_SESSION_OK);

    /* Reuse detection revokes k's family and so its access tokens. */
    assert_int_equal(sathd_session_rotate(c, k.token, TTL, &rot), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_access_ok(c, "i", "jk", user, now, k.family), SATHD_SESSION_OK);
    assert_int_equal(sathd_session_rotate(c, k.token, TTL, &out), SATHD_SESSION_REUSE_DETECTED);
    assert_int_equal(sathd_session_access_ok(c, "i", "jk", user, now, k.family), SATHD_SESSION_REVOKED);

    /* A session that never existed (or expired) is no session; bad ids are caller errors. */
    assert_int_equal(sathd_session_access_ok(c, "i", "jx", user, now, "0123456789abcdef0123456789abcdef"),
                     SATHD_SESSION_REVOKED);
    assert_int_equal(sathd_session_revoke_family(c, "0123456789abcdef0123456789abcdef"),
                     SATHD_SESSION_INVALID);
    assert_int_equal(sathd_session_access_ok(c, "i", "jx", user, now, "NOT-HEX"), SATHD_SESSION_BAD_ARG);
    assert_int_equal(sathd_session_revoke_family(c, "zz"), SATHD_SESSION_BAD_ARG);
}

static void test_bad_args(void **state)
{
    redisContext *c = *state;
    sathd_refresh s;
    char user[37];
    random_uuid(user);
    assert_int_equal(sathd_session_issue(c, "not-a-uuid", TTL, &s), SATHD_SESSION_BAD_ARG);
    assert_int_equal(sathd_session_issue(c, user, 0, &s), SATHD_SESSION_BAD_ARG);
    assert_int_equal(sathd_session_issue(c, user, SATHD_SESSION_MAX_TTL + 1, &s),
                     SATHD_SESSION_BAD_ARG);
    assert_int_equal(sathd_session_issue(NULL, user, TTL, &s), SATHD_SESSION_BAD_ARG);
    assert_int_equal(sathd_session_rotate(c, NULL, TTL, &s), SATHD_SESSION_BAD_ARG);
    assert_int_equal(sathd_session_revoke_all_for_user(c, "x", NULL, NULL), SATHD_SESSION_BAD_ARG);
    assert_int_equal(sathd_session_access_ok(c, "i", "", user, 0, NULL), SATHD_SESSION_BAD_ARG);
    char long_jti[100];
    memset(long_jti, 'j', sizeof long_jti - 1);
    long_jti[sizeof long_jti - 1] = '\0';
    assert_int_equal(sathd_session_deny(c, "i", long_jti, 10, 0, 0), SATHD_SESSION_BAD_ARG);
    assert_int_equal(sathd_session_set_user_cutoff(c, user, 1, 0), SATHD_SESSION_BAD_ARG);
    assert_string_equal(sathd_session_strerror(SATHD_SESSION_REUSE_DETECTED), "reuse_detected");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue),
        cmocka_unit_test(test_rotate),
        cmocka_unit_test(test_reuse_revokes_family),
        cmocka_unit_test(test_concurrent_rotation),
        cmocka_unit_test(test_invalid_tokens),
        cmocka_unit_test(test_logout),
        cmocka_unit_test(test_logout_other_owner),
        cmocka_unit_test(test_revoke_all_except_current),
        cmocka_unit_test(test_denylist),
        cmocka_unit_test(test_user_cutoff),
        cmocka_unit_test(test_redis_failures_are_unavailable),
        cmocka_unit_test(test_session_revocation_reaches_access_tokens),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
