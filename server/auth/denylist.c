/*
 * denylist.c - revocation of access tokens, which are otherwise valid until they expire:
 * a per-token deny entry (logout of one access token) and a per-user cut-off time
 * (DeleteMe, password change: every token issued before it dies).  Both are checked on
 * every authenticated call by sathd_session_access_ok with a single MGET.
 */
#include "session_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ISS 255
#define MAX_JTI 63

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
                                    int64_t exp, int64_t leeway_s, int64_t now)
{
    char key[SATHD_KEY_MAX], ttl[24];
    if (!c || !iss || !jti || leeway_s < 0 || deny_key(key, iss, jti) != 0)
        return SATHD_SESSION_BAD_ARG;
    if (exp > INT64_MAX - leeway_s)
        return SATHD_SESSION_BAD_ARG;
    int64_t left = exp + leeway_s - now;
    if (left <= 0)
        return SATHD_SESSION_OK; /* already unusable: nothing to remember */
    snprintf(ttl, sizeof ttl, "%lld", (long long)left);
    const char *argv[] = {"SET", key, "1", "EX", ttl};
    redisReply *r = sathd_session_cmd(c, 5, argv);
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
    const char *argv[] = {"SET", key, val, "EX", ttl};
    redisReply *r = sathd_session_cmd(c, 5, argv);
    if (!r)
        return SATHD_SESSION_UNAVAILABLE;
    freeReplyObject(r);
    return SATHD_SESSION_OK;
}

sathd_session_rc sathd_session_access_ok(redisContext *c, const char *iss, const char *jti,
                                         const char *user_id, int64_t iat)
{
    char dkey[SATHD_KEY_MAX], ukey[SATHD_KEY_MAX], user[37];
    if (!c || !iss || !jti || !sathd_session_user_canon(user, user_id) ||
        deny_key(dkey, iss, jti) != 0)
        return SATHD_SESSION_BAD_ARG;
    snprintf(ukey, sizeof ukey, SATHD_KEY_UCUT "%s", user);
    const char *argv[] = {"MGET", dkey, ukey};
    redisReply *r = sathd_session_cmd(c, 3, argv);
    if (!r)
        return SATHD_SESSION_UNAVAILABLE;
    sathd_session_rc rc = SATHD_SESSION_UNAVAILABLE;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
        const redisReply *deny = r->element[0], *cut = r->element[1];
        rc = SATHD_SESSION_OK;
        if (deny->type != REDIS_REPLY_NIL) {
            rc = SATHD_SESSION_REVOKED;
        } else if (cut->type == REDIS_REPLY_STRING) {
            char *end = NULL;
            long long v = strtoll(cut->str, &end, 10);
            if (end == cut->str || *end != '\0')
                rc = SATHD_SESSION_UNAVAILABLE; /* not written by us: fail closed */
            else if (iat < v)
                rc = SATHD_SESSION_REVOKED;
        } else if (cut->type != REDIS_REPLY_NIL) {
            rc = SATHD_SESSION_UNAVAILABLE;
        }
    }
    freeReplyObject(r);
    return rc;
}
