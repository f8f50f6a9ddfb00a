/*
 * denylist.c - revocation of access tokens, which are otherwise valid until they expire:
 * a per-token deny entry (logout of one access token) and a per-user cut-off time
 * (DeleteMe, password change: every token issued before it dies).  Both are checked on
 * every authenticated call by sathd_session_access_ok with a single MGET.  Both writes
 * PUBLISH the user on SATHD_AUTHSYNC_CHANNEL in the same script (sathd/authsync.h).
 */
#include "session_internal.h"

#include "sathd/authsync.h"
#include "sathd/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ISS 255
#define MAX_JTI 63

/* KEYS: key.  ARGV: value, ttl, user. */
static const char lua_set_publish[] =
    "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])\n"
    "redis.call('PUBLISH', '" SATHD_AUTHSYNC_CHANNEL "', ARGV[3])\n"
    "return 1\n";

/* sath:deny:<sha256(iss NUL jti)>: the NUL cannot occur inside either string, so the
 * pair maps to one input unambiguously. */
static int deny_key(char key[SATHD_KEY_MAX], const char *iss, const char *jti)
{
    char buf[MAX_ISS + 1 + MAX_JTI];
    char hex[65];
    size_t il = strnlen(iss, MAX_ISS + 1), jl = strnlen(jti, MAX_JTI + 1);
    if (il > MAX_ISS || jl > MAX_JTI || jl == 0)
        return -1;
    memcpy(buf, iss, il);
    buf[il] = '\0';
    memcpy(buf + il + 1, jti, jl);
    sathd_session_sha256_hex(hex, buf, il + 1 + jl);
    snprintf(key, SATHD_KEY_MAX, SATHD_KEY_DENY "%s", hex);
    return 0;
}

sathd_session_rc sathd_session_deny(redisContext *c, const char *iss, const char *jti,
                                    const char *user_id, int64_t exp, int64_t leeway_s,
                                    int64_t now)
{
    char key[SATHD_KEY_MAX], ttl[24], user[37];
    if (!c || !iss || !jti || leeway_s < 0 || deny_key(key, iss, jti) != 0 ||
        !sathd_session_user_canon(user, user_id))
        return SATHD_SESSION_BAD_ARG;
    if (exp > INT64_MAX - leeway_s)
        return SATHD_SESSION_BAD_ARG;
    int64_t left = exp + leeway_s - now;
    if (left <= 0)
        return SATHD_SESSION_OK; /* already unusable: nothing to remember */
    snprintf(ttl, sizeof ttl, "%lld", (long long)left);
    const char *argv[] = {"EVAL", lua_set_publish, "1", key, "1", ttl, user};
    redisReply *r = sathd_session_cmd(c, 7, argv);
    if (!r)
        return SATHD_SESSION_UNAVAILABLE;
    freeReplyObject(r);
    return SATHD_SESSION_OK;
}

sathd_session_rc sathd_session_set_user_cutoff(redisContext *c, const char *user_id,
                                               int64_t cutoff, int64_t ttl_s)
{
    char key[SATHD_KEY_MAX], val[24], ttl[24], user[37];
    if (!c || !sathd_session_user_canon(user, user_id) || cutoff < 0 || ttl_s <= 0 ||
        ttl_s > SATHD_SESSION_MAX_TTL)
        return SATHD_SESSION_BAD_ARG;
    snprintf(key, sizeof key, SATHD_KEY_UCUT "%s", user);
    snprintf(val, sizeof val, "%lld", (long long)cutoff);
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_s);
    const char *argv[] = {"EVAL", lua_set_publish, "1", key, val, ttl, user};
    redisReply *r = sathd_session_cmd(c, 7, argv);
    if (!r)
        return SATHD_SESSION_UNAVAILABLE;
    freeReplyObject(r);
    return SATHD_SESSION_OK;
}

/* Reads the MGET reply of {deny, cut-off}: OK, REVOKED or UNAVAILABLE. */
static sathd_session_rc judge_token(const redisReply *r, int64_t iat)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
        return SATHD_SESSION_UNAVAILABLE;
    const redisReply *deny = r->element[0], *cut = r->element[1];
    if (deny->type != REDIS_REPLY_NIL)
        return SATHD_SESSION_REVOKED;
    if (cut->type == REDIS_REPLY_STRING) {
        char *end = NULL;
        long long v = strtoll(cut->str, &end, 10);
        if (end == cut->str || *end != '\0')
            return SATHD_SESSION_UNAVAILABLE; /* not written by us: fail closed */
        return iat < v ? SATHD_SESSION_REVOKED : SATHD_SESSION_OK;
    }
    return cut->type == REDIS_REPLY_NIL ? SATHD_SESSION_OK : SATHD_SESSION_UNAVAILABLE;
}

/* Reads the HGET reply of the family's `revoked` field.  A missing family (expired or
 * never issued) counts as revoked, like in rotation. */
static sathd_session_rc judge_family(const redisReply *r)
{
    if (r->type == REDIS_REPLY_NIL)
        return SATHD_SESSION_REVOKED;
    if (r->type != REDIS_REPLY_STRING)
        return SATHD_SESSION_UNAVAILABLE;
    return strcmp(r->str, "0") == 0 ? SATHD_SESSION_OK : SATHD_SESSION_REVOKED;
}

sathd_session_rc sathd_session_access_ok(redisContext *c, const char *iss, const char *jti,
                                         const char *user_id, int64_t iat, const char *sid)
{
    char dkey[SATHD_KEY_MAX], ukey[SATHD_KEY_MAX], fkey[SATHD_KEY_MAX], user[37];
    int with_sid = sid && sid[0];
    if (!c || !iss || !jti || !sathd_session_user_canon(user, user_id) ||
        deny_key(dkey, iss, jti) != 0 || (with_sid && !sathd_session_family_ok(sid)))
        return SATHD_SESSION_BAD_ARG;
    snprintf(ukey, sizeof ukey, SATHD_KEY_UCUT "%s", user);
    if (!with_sid) {
        const char *argv[] = {"MGET", dkey, ukey};
        redisReply *r = sathd_session_cmd(c, 3, argv);
        if (!r)
            return SATHD_SESSION_UNAVAILABLE;
        sathd_session_rc rc = judge_token(r, iat);
        freeReplyObject(r);
        return rc;
    }
    /* Both commands in one round trip. */
    snprintf(fkey, sizeof fkey, SATHD_KEY_RF "%s", sid);
    if (redisAppendCommand(c, "MGET %s %s", dkey, ukey) != REDIS_OK ||
        redisAppendCommand(c, "HGET %s revoked", fkey) != REDIS_OK)
        return SATHD_SESSION_UNAVAILABLE;
    redisReply *r1 = NULL, *r2 = NULL;
    void *p1 = NULL, *p2 = NULL;
    int ok1 = redisGetReply(c, &p1) == REDIS_OK;
    int ok2 = ok1 && redisGetReply(c, &p2) == REDIS_OK;
    r1 = p1, r2 = p2;
    sathd_session_rc rc = SATHD_SESSION_UNAVAILABLE;
    if (ok1 && ok2 && r1 && r2) {
        rc = judge_token(r1, iat);
        if (rc == SATHD_SESSION_OK)
            rc = judge_family(r2);
    } else {
        sathd_log(SATHD_LOG_ERROR, "msg=\"redis command failed\" op=access_ok err=\"%s\"",
                  c->errstr);
    }
    if (r1)
        freeReplyObject(r1);
    if (r2)
        freeReplyObject(r2);
    return rc;
}
