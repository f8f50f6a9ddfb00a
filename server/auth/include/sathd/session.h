/*
 * session.h - refresh-token sessions and the access-token deny-list, kept in Redis.
 *
 * Key layout (prefix "sath:"; all values are Redis hashes/sets/strings, every key has a
 * TTL so Redis never accumulates dead sessions):
 *
 *   sath:rt:<sha256(token) hex>  hash {user, family, state: active|rotated, exp}
 *                                one refresh token; TTL = refresh TTL from its issue.
 *                                Only the hash of the token is stored: a Redis dump does
 *                                not hand out usable tokens.
 *   sath:rf:<family>             hash {user, revoked: 0|1}: a login session ("family")
 *                                whose tokens replace each other; TTL = refresh TTL from
 *                                the latest rotation (never shorter than any of its
 *                                tokens).  A missing family counts as revoked.
 *   sath:ru:<user>               set of the user's family ids; TTL like the families.
 *   sath:deny:<sha256(iss NUL jti) hex>   "1": a revoked access token, until its exp + leeway.
 *   sath:ucut:<user>             unix time: access tokens of that user with iat < value
 *                                are invalid (DeleteMe, password change); TTL = access
 *                                TTL + leeway, after which no older token can be alive.
 *
 * Refresh tokens are 32 random bytes in base64url (43 characters), shown to the client
 * once.  Rotation (and reuse detection) runs as one Lua script, so it is atomic: of two
 * parallel rotations of the same token exactly one wins; the other one presents a token
 * that is by then "rotated", which is exactly what a thief replaying a stolen token looks
 * like, so the whole family is revoked (RFC 6819 5.2.2.3 / OAuth 2.0 Security BCP 4.14).
 * The scripts derive the family and user keys from the token's hash, so this layout
 * expects a single Redis (no Cluster), which is what sathd runs against.
 *
 * Every function takes a redisContext the caller acquired (and owns; not thread-safe:
 * one thread at a time).  A Redis failure is SATHD_SESSION_UNAVAILABLE (map to
 * UNAVAILABLE), never confused with "token invalid".
 */
#ifndef SATHD_SESSION_H
#define SATHD_SESSION_H

#include <stdint.h>

#include <hiredis/hiredis.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SATHD_REFRESH_TOKEN_LEN 43 /* base64url of 32 bytes */
#define SATHD_SESSION_FAMILY_LEN 32 /* hex of 16 random bytes */
#define SATHD_SESSION_MAX_TTL (INT64_C(400) * 24 * 3600)

typedef enum sathd_session_rc {
    SATHD_SESSION_OK = 0,
    SATHD_SESSION_INVALID,        /* unknown, expired, malformed or revoked */
    SATHD_SESSION_REUSE_DETECTED, /* a rotated token came back: its family is now revoked */
    SATHD_SESSION_REVOKED,        /* access_ok: the token is denied or before the cut-off */
    SATHD_SESSION_UNAVAILABLE,    /* Redis error or unexpected reply */
    SATHD_SESSION_BAD_ARG         /* caller error (NULL, bad user id, TTL out of range) */
} sathd_session_rc;

/* Static name for logs. */
const char *sathd_session_strerror(sathd_session_rc rc);

typedef struct sathd_refresh {
    char token[SATHD_REFRESH_TOKEN_LEN + 1]; /* secret: give to the client, never log */
    char family[SATHD_SESSION_FAMILY_LEN + 1];
    char user_id[37];
    int64_t expires_at; /* unix seconds */
} sathd_refresh;

/* Starts a new family for user_id (UUID) with a fresh token valid ttl_s seconds. */
sathd_session_rc sathd_session_issue(redisContext *c, const char *user_id, int64_t ttl_s,
                                     sathd_refresh *out);
/* Exchanges `token` for a new one in the same family (the old one becomes "rotated").
 * OK: *out has the new token and the user.  REUSE_DETECTED: token had already been
 * rotated; the family is revoked (out->user_id and family are still filled so the caller
 * can log/alert).  INVALID: unknown, expired or revoked. */
sathd_session_rc sathd_session_rotate(redisContext *c, const char *token, int64_t ttl_s,
                                      sathd_refresh *out);
/* Logout: revokes the family of `token`.  When `owner` is non-NULL the token must belong
 * to that user id, else nothing changes and the answer is INVALID, exactly as for an
 * unknown token (a caller must not end, nor learn about, someone else's session).
 * out_user (37 bytes, may be NULL) receives the owner.  INVALID if the token is unknown. */
sathd_session_rc sathd_session_revoke_family_by_token(redisContext *c, const char *token,
                                                      const char *owner, char *out_user);
/* Revokes the family (session) `family` by its id, e.g. logout with only an access token
 * whose `sid` names it.  INVALID when no such family exists. */
sathd_session_rc sathd_session_revoke_family(redisContext *c, const char *family);
/* Revokes every family of user_id except keep_family (NULL: all), e.g. "end the other
 * sessions" after a password change.  *revoked (may be NULL) gets how many. */
sathd_session_rc sathd_session_revoke_all_for_user(redisContext *c, const char *user_id,
                                                   const char *keep_family, long long *revoked);
/* Looks up the family of a token without changing anything (e.g. to keep the caller's
 * own session in revoke_all_for_user).  family_out: SATHD_SESSION_FAMILY_LEN+1 bytes. */
sathd_session_rc sathd_session_family_of(redisContext *c, const char *token, char *family_out);

/* Denies one access token until exp + leeway_s (nothing to store if that has passed at
 * `now`). */
sathd_session_rc sathd_session_deny(redisContext *c, const char *iss, const char *jti,
                                    int64_t exp, int64_t leeway_s, int64_t now);
/* Invalidates every access token of user_id with iat < cutoff (unix seconds); the key
 * lives ttl_s seconds (access TTL + leeway).  Tokens issued in the same second as the
 * cut-off stay valid: iat has a resolution of one second. */
sathd_session_rc sathd_session_set_user_cutoff(redisContext *c, const char *user_id,
                                               int64_t cutoff, int64_t ttl_s);
/* The check for every authenticated call: OK, REVOKED (denied jti, iat before the
 * user's cut-off, or -- when `sid` is non-empty -- the token's session was revoked or
 * has expired) or UNAVAILABLE.  One round trip (MGET of the two string keys, pipelined
 * with HGET of the family's `revoked` field). */
sathd_session_rc sathd_session_access_ok(redisContext *c, const char *iss, const char *jti,
                                         const char *user_id, int64_t iat, const char *sid);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_SESSION_H */
