/*
 * session.c - refresh-token sessions in Redis: issue, rotate with reuse detection,
 * logout, revoke all of a user's sessions.  The key layout is documented in session.h.
 *
 * Each operation is one Lua script (EVAL), which Redis runs atomically: no other client
 * sees a half-rotated token, and two parallel rotations of one token serialise so that
 * exactly one finds it "active".  Scripts are sent with EVAL each time; they are tiny
 * and Redis caches their compiled form, which saves us from keeping SHA state.
 */
#include "session_internal.h"

#include "sathd/jwt.h" /* base64url */

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* KEYS: rt, rf, ru.  ARGV: user, family, exp, ttl.  Redis does not roll a failed script
 * back, so the write most likely to fail (SADD on a key of another type) goes first. */
static const char lua_issue[] =
    "redis.call('SADD', KEYS[3], ARGV[2])\n"
    "if redis.call('TTL', KEYS[3]) < tonumber(ARGV[4]) then\n"
    "  redis.call('EXPIRE', KEYS[3], ARGV[4]) end\n"
    "redis.call('HSET', KEYS[2], 'user', ARGV[1], 'revoked', '0')\n"
    "redis.call('EXPIRE', KEYS[2], ARGV[4])\n"
    "redis.call('HSET', KEYS[1], 'user', ARGV[1], 'family', ARGV[2], 'state', 'active',"
    " 'exp', ARGV[3])\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[4])\n"
    "return 1\n";

/* KEYS: old rt, new rt.  ARGV: now, new exp, ttl.  A missing family counts as revoked;
 * TTLs of family and user index only ever grow, so they outlive every token. */
static const char lua_rotate[] =
    "local t = redis.call('HMGET', KEYS[1], 'user', 'family', 'state', 'exp')\n"
    "if not t[1] or not t[2] then return {'invalid'} end\n"
    "local user, fam = t[1], t[2]\n"
    "if (tonumber(t[4] or '0') or 0) <= tonumber(ARGV[1]) then return {'invalid'} end\n"
    "local fkey = 'sath:rf:' .. fam\n"
    "if redis.call('HGET', fkey, 'revoked') ~= '0' then return {'invalid', user, fam} end\n"
    "if t[3] ~= 'active' then\n"
    "  redis.call('HSET', fkey, 'revoked', '1')\n"
    "  return {'reuse', user, fam}\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'state', 'rotated')\n"
    "redis.call('HSET', KEYS[2], 'user', user, 'family', fam, 'state', 'active',"
    " 'exp', ARGV[2])\n"
    "local ttl = tonumber(ARGV[3])\n"
    "redis.call('EXPIRE', KEYS[2], ttl)\n"
    "if redis.call('TTL', fkey) < ttl then redis.call('EXPIRE', fkey, ttl) end\n"
    "local ukey = 'sath:ru:' .. user\n"
    "if redis.call('TTL', ukey) < ttl then redis.call('EXPIRE', ukey, ttl) end\n"
    "return {'ok', user, fam}\n";

/* KEYS: rt.  ARGV: the owner the token must belong to ('' = any).  Returns {user,
 * family}, or nil when the token is unknown or belongs to someone else (the caller must
 * not be able to tell the two apart, nor touch another user's session). */
static const char lua_logout[] =
    "local t = redis.call('HMGET', KEYS[1], 'user', 'family')\n"
    "if not t[1] or not t[2] then return false end\n"
    "if ARGV[1] ~= '' and t[1] ~= ARGV[1] then return false end\n"
    "local fkey = 'sath:rf:' .. t[2]\n"
    "if redis.call('EXISTS', fkey) == 1 then redis.call('HSET', fkey, 'revoked', '1') end\n"
    "redis.call('SREM', 'sath:ru:' .. t[1], t[2])\n"
    "return {t[1], t[2]}\n";

/* KEYS: rf.  ARGV: family id.  Returns 1, or 0 when the family does not exist. */
static const char lua_revoke_family[] =
    "local u = redis.call('HGET', KEYS[1], 'user')\n"
    "if not u then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'revoked', '1')\n"
    "redis.call('SREM', 'sath:ru:' .. u, ARGV[1])\n"
    "return 1\n";

/* KEYS: ru.  ARGV: family to keep ('' = none).  Returns how many were revoked. */
static const char lua_revoke_all[] =
    "local n = 0\n"
    "for _, f in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
    "  if f ~= ARGV[1] then\n"
    "    local fkey = 'sath:rf:' .. f\n"
    "    if redis.call('HGET', fkey, 'revoked') == '0' then\n"
    "      redis.call('HSET', fkey, 'revoked', '1'); n = n + 1 end\n"
    "    redis.call('SREM', KEYS[1], f)\n"
    "  end\n"
    "end\n"
    "return n\n";

static const char *const rc_names[] = {"ok",       "invalid",     "reuse_detected",
                                       "revoked",  "unavailable", "bad_arg"};

const char *sathd_session_strerror(sathd_session_rc rc)
{
    return (unsigned)rc < sizeof rc_names / sizeof rc_names[0] ? rc_names[rc] : "unknown";
}

/* A presented token must be exactly 43 strict base64url characters of 32 bytes;
 * anything else cannot be one of ours and is not worth a round trip. */
static int token_ok(const char *t)
{
    unsigned char raw[34];
    size_t n = 0;
    int ok = t && strnlen(t, SATHD_REFRESH_TOKEN_LEN + 1) == SATHD_REFRESH_TOKEN_LEN &&
             sathd_b64url_decode(raw, sizeof raw, t, SATHD_REFRESH_TOKEN_LEN, &n) == 0 &&
             n == 32;
    sodium_memzero(raw, sizeof raw);
    return ok;
}

static void rt_key(char key[SATHD_KEY_MAX], const char *token)
{
    char hex[65];
    sathd_session_sha256_hex(hex, token, strlen(token));
    snprintf(key, SATHD_KEY_MAX, SATHD_KEY_RT "%s", hex);
}

static void new_token(char token[SATHD_REFRESH_TOKEN_LEN + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sathd_b64url_encode(token, SATHD_REFRESH_TOKEN_LEN + 1, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
}

static int ttl_ok(int64_t ttl_s) { return ttl_s > 0 && ttl_s <= SATHD_SESSION_MAX_TTL; }

/* Copies a bulk string reply element of at most cap-1 bytes; 0 on success. */
static int copy_str(char *dst, size_t cap, const redisReply *r)
{
    if (!r || r->type != REDIS_REPLY_STRING || r->len >= cap)
        return -1;
    memcpy(dst, r->str, r->len);
    dst[r->len] = '\0';
    return 0;
}

sathd_session_rc sathd_session_issue(redisContext *c, const char *user_id, int64_t ttl_s,
                                     sathd_refresh *out)
{
    char rt[SATHD_KEY_MAX], rf[SATHD_KEY_MAX], ru[SATHD_KEY_MAX], exp[24], ttl[24];
    unsigned char fam_raw[16];
    if (!c || !out || !ttl_ok(ttl_s))
        return SATHD_SESSION_BAD_ARG;
    memset(out, 0, sizeof *out);
    if (!sathd_session_user_canon(out->user_id, user_id))
        return SATHD_SESSION_BAD_ARG;
    new_token(out->token);
    randombytes_buf(fam_raw, sizeof fam_raw);
    sodium_bin2hex(out->family, sizeof out->family, fam_raw, sizeof fam_raw);
    out->expires_at = (int64_t)time(NULL) + ttl_s;
    rt_key(rt, out->token);
    snprintf(rf, sizeof rf, SATHD_KEY_RF "%s", out->family);
    snprintf(ru, sizeof ru, SATHD_KEY_RU "%s", out->user_id);
    snprintf(exp, sizeof exp, "%lld", (long long)out->expires_at);
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_s);
    const char *argv[] = {"EVAL", lua_issue, "3", rt, rf, ru, out->user_id, out->family, exp,
                          ttl};
    redisReply *r = sathd_session_cmd(c, 10, argv);
    if (!r) {
        sodium_memzero(out->token, sizeof out->token);
        return SATHD_SESSION_UNAVAILABLE;
    }
    freeReplyObject(r);
    return SATHD_SESSION_OK;
}

sathd_session_rc sathd_session_rotate(redisContext *c, const char *token, int64_t ttl_s,
                                      sathd_refresh *out)
{
    char old_key[SATHD_KEY_MAX], new_key[SATHD_KEY_MAX], now_s[24], exp[24], ttl[24];
    sathd_session_rc rc = SATHD_SESSION_UNAVAILABLE;
    if (!c || !out || !token || !ttl_ok(ttl_s))
        return SATHD_SESSION_BAD_ARG;
    memset(out, 0, sizeof *out);
    if (!token_ok(token))
        return SATHD_SESSION_INVALID;
    int64_t now = (int64_t)time(NULL);
    new_token(out->token);
    out->expires_at = now + ttl_s;
    rt_key(old_key, token);
    rt_key(new_key, out->token);
    snprintf(now_s, sizeof now_s, "%lld", (long long)now);
    snprintf(exp, sizeof exp, "%lld", (long long)out->expires_at);
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_s);
    const char *argv[] = {"EVAL", lua_rotate, "2", old_key, new_key, now_s, exp, ttl};
    redisReply *r = sathd_session_cmd(c, 8, argv);
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
        r->element[0]->type == REDIS_REPLY_STRING) {
        const char *verdict = r->element[0]->str;
        if (r->elements == 3 && (copy_str(out->user_id, sizeof out->user_id, r->element[1]) ||
                                 copy_str(out->family, sizeof out->family, r->element[2])))
            rc = SATHD_SESSION_UNAVAILABLE; /* not what our script writes */
        else if (strcmp(verdict, "ok") == 0 && r->elements == 3)
            rc = SATHD_SESSION_OK;
        else if (strcmp(verdict, "reuse") == 0)
            rc = SATHD_SESSION_REUSE_DETECTED;
        else if (strcmp(verdict, "invalid") == 0)
            rc = SATHD_SESSION_INVALID;
    }
    freeReplyObject(r);
    if (rc != SATHD_SESSION_OK)
        sodium_memzero(out->token, sizeof out->token);
    return rc;
}

sathd_session_rc sathd_session_revoke_family_by_token(redisContext *c, const char *token,
                                                      const char *owner, char *out_user)
{
    char key[SATHD_KEY_MAX];
    if (!c || !token)
        return SATHD_SESSION_BAD_ARG;
    if (!token_ok(token))
        return SATHD_SESSION_INVALID;
    rt_key(key, token);
    const char *argv[] = {"EVAL", lua_logout, "1", key, owner ? owner : ""};
    redisReply *r = sathd_session_cmd(c, 5, argv);
    if (!r)
        return SATHD_SESSION_UNAVAILABLE;
    sathd_session_rc rc = SATHD_SESSION_UNAVAILABLE;
    if (r->type == REDIS_REPLY_NIL)
        rc = SATHD_SESSION_INVALID;
    else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
        char user[37];
        rc = SATHD_SESSION_OK;
        if (out_user && copy_str(user, sizeof user, r->element[0]) == 0)
            memcpy(out_user, user, sizeof user);
    }
    freeReplyObject(r);
    return rc;
}

sathd_session_rc sathd_session_revoke_family(redisContext *c, const char *family)
{
    char key[SATHD_KEY_MAX];
    if (!c || !family || !sathd_session_family_ok(family))
        return SATHD_SESSION_BAD_ARG;
    snprintf(key, sizeof key, SATHD_KEY_RF "%s", family);
    const char *argv[] = {"EVAL", lua_revoke_family, "1", key, family};
    redisReply *r = sathd_session_cmd(c, 5, argv);
    if (!r)
        return SATHD_SESSION_UNAVAILABLE;
    sathd_session_rc rc = SATHD_SESSION_UNAVAILABLE;
    if (r->type == REDIS_REPLY_INTEGER)
        rc = r->integer == 1 ? SATHD_SESSION_OK : SATHD_SESSION_INVALID;
    freeReplyObject(r);
    return rc;
}

sathd_session_rc sathd_session_revoke_all_for_user(redisContext *c, const char *user_id,
                                                   const char *keep_family, long long *revoked)
{
    char key[SATHD_KEY_MAX], user[37];
    if (!c || !sathd_session_user_canon(user, user_id) ||
        (keep_family && strlen(keep_family) > SATHD_SESSION_FAMILY_LEN))
        return SATHD_SESSION_BAD_ARG;
    snprintf(key, sizeof key, SATHD_KEY_RU "%s", user);
    const char *argv[] = {"EVAL", lua_revoke_all, "1", key, keep_family ? keep_family : ""};
    redisReply *r = sathd_session_cmd(c, 5, argv);
    if (!r)
        return SATHD_SESSION_UNAVAILABLE;
    sathd_session_rc rc = r->type == REDIS_REPLY_INTEGER ? SATHD_SESSION_OK
                                                         : SATHD_SESSION_UNAVAILABLE;
    if (rc == SATHD_SESSION_OK && revoked)
        *revoked = r->integer;
    freeReplyObject(r);
    return rc;
}

sathd_session_rc sathd_session_family_of(redisContext *c, const char *token, char *family_out)
{
    char key[SATHD_KEY_MAX];
    if (!c || !token || !family_out)
        return SATHD_SESSION_BAD_ARG;
    if (!token_ok(token))
        return SATHD_SESSION_INVALID;
    rt_key(key, token);
    const char *argv[] = {"HGET", key, "family"};
    redisReply *r = sathd_session_cmd(c, 3, argv);
    if (!r)
        return SATHD_SESSION_UNAVAILABLE;
    sathd_session_rc rc = SATHD_SESSION_INVALID;
    if (r->type == REDIS_REPLY_STRING &&
        copy_str(family_out, SATHD_SESSION_FAMILY_LEN + 1, r) == 0)
        rc = SATHD_SESSION_OK;
    else if (r->type != REDIS_REPLY_NIL)
        rc = SATHD_SESSION_UNAVAILABLE;
    freeReplyObject(r);
    return rc;
}
