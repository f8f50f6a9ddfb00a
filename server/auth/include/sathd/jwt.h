/*
 * jwt.h - sathd's access tokens: JWS compact serialization signed with Ed25519 ("EdDSA",
 * RFC 8037) or HMAC-SHA-256 ("HS256", RFC 7518), the key set that signs and verifies
 * them, and the JWKS document that publishes the public keys.
 *
 * Verification is strict on purpose: the algorithm is pinned by the key set (the token's
 * "alg" can only confirm it, never choose it), base64url must be canonical, JSON objects
 * may not repeat a member, every claim we issue must be present.  Each failure has its own
 * sathd_jwt_err for logs and tests; the RPC layer answers all of them UNAUTHENTICATED.
 *
 * sodium_init() must have been called (the application does it at start-up).
 * A sathd_jwt_keys is immutable after loading, so any number of threads may sign and
 * verify with it at once.
 */
#ifndef SATHD_JWT_H
#define SATHD_JWT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Tokens longer than this are rejected before any decoding work. */
#define SATHD_JWT_MAX_TOKEN_LEN 8192
/* Allowed clock skew for exp / nbf / iat, in seconds (the policy may lower it). */
#define SATHD_JWT_MAX_LEEWAY 60
/* Longest key id we accept or derive (derived ones are 16 characters). */
#define SATHD_JWT_KID_MAX 64
/* Public-only keys a key set can carry for verification during rotation. */
#define SATHD_JWT_MAX_EXTRA_KEYS 16
/* Size of the HS256 secret bounds: a shorter secret is refused, a longer one is hashed by
 * HMAC anyway, so more than this adds nothing. */
#define SATHD_JWT_HS256_MIN_SECRET 32
#define SATHD_JWT_HS256_MAX_SECRET 256

typedef enum sathd_jwt_alg {
    SATHD_JWT_ALG_EDDSA = 1,
    SATHD_JWT_ALG_HS256 = 2
} sathd_jwt_alg;

typedef enum sathd_jwt_err {
    SATHD_JWT_OK = 0,
    SATHD_JWT_E_TOO_LONG,         /* input over SATHD_JWT_MAX_TOKEN_LEN */
    SATHD_JWT_E_MALFORMED,        /* not exactly three '.'-separated parts, or empty part */
    SATHD_JWT_E_BASE64,           /* a part is not strict, canonical, unpadded base64url */
    SATHD_JWT_E_HEADER,           /* header is not a JSON object, or a member has a bad type */
    SATHD_JWT_E_ALG_NONE,         /* "alg":"none" (unsecured JWS) */
    SATHD_JWT_E_ALG_MISMATCH,     /* alg other than the key set's pinned algorithm */
    SATHD_JWT_E_CRIT,             /* "crit" present: we implement no extensions */
    SATHD_JWT_E_UNKNOWN_KID,      /* kid names no key of the set */
    SATHD_JWT_E_SIGNATURE,        /* wrong length or does not verify */
    SATHD_JWT_E_CLAIMS,           /* payload not a JSON object, or a claim missing/mistyped */
    SATHD_JWT_E_EXPIRED,          /* now >= exp + leeway */
    SATHD_JWT_E_NOT_YET_VALID,    /* now + leeway < nbf */
    SATHD_JWT_E_IAT_FUTURE,       /* iat > now + leeway */
    SATHD_JWT_E_ISSUER,           /* iss differs from the configured issuer */
    SATHD_JWT_E_AUDIENCE,         /* aud (string or array) lacks the configured audience */
    SATHD_JWT_E_TOKEN_TYPE,       /* typ claim is not "access" */
    SATHD_JWT_E_SUBJECT,          /* sub is not a UUID */
    SATHD_JWT_E_JTI,              /* jti empty or too long */
    SATHD_JWT_E_INVALID_ARG,      /* caller error: NULL key set, bad policy, bad subject */
    SATHD_JWT_E_INTERNAL          /* out of memory and the like */
} sathd_jwt_err;

/* A static English name for logs ("expired", "unknown_kid", ...); never NULL. */
const char *sathd_jwt_strerror(sathd_jwt_err err);

typedef struct sathd_jwt_keys sathd_jwt_keys;

/* --- key set ------------------------------------------------------------------------ */

/* Ed25519 signing key from a 32-byte seed (crypto_sign_seed_keypair).  kid may be NULL
 * or "" for the derived one: the first 16 characters of base64url(SHA-256(public key)).
 * Returns NULL and a static reason in *why (may be NULL) on error.  Free with
 * sathd_jwt_keys_free. */
sathd_jwt_keys *sathd_jwt_keys_new_ed25519(const unsigned char seed[32], const char *kid,
                                           const char **why);
/* HS256 with a shared secret of SATHD_JWT_HS256_MIN_SECRET..MAX_SECRET bytes; kid optional
 * (NULL/"": tokens carry no kid).  Same ownership as above. */
sathd_jwt_keys *sathd_jwt_keys_new_hs256(const unsigned char *secret, size_t len,
                                         const char *kid, const char **why);
/* Ed25519 from the base64 text of the seed (standard base64 with padding, as
 * sathd_jwt_gen_seed_b64 prints it, or unpadded base64url; surrounding whitespace is
 * ignored). */
sathd_jwt_keys *sathd_jwt_keys_from_seed_b64(const char *b64, const char *kid,
                                             const char **why);
/* Ed25519 from a file holding the base64 seed on one line.  The file must be a regular
 * file with no permission bits for group or others (like ssh private keys): anything else
 * is refused, because a readable signing key lets anyone mint tokens. */
sathd_jwt_keys *sathd_jwt_keys_from_key_file(const char *path, const char *kid,
                                             const char **why);
/* Adds a public-only Ed25519 key (old key during rotation) that verifies but never signs.
 * Returns 0, or -1 with *why set (HS256 set, duplicate kid, set full, bad kid). */
int sathd_jwt_keys_add_public(sathd_jwt_keys *k, const char *kid, const unsigned char pk[32],
                              const char **why);
/* Adds the keys of SATH_JWT_EXTRA_PUBLIC_KEYS: a comma-separated list of `kid:x` where x
 * is the 32-byte public key in unpadded base64url (the "x" of the old server's JWKS).
 * An empty string adds nothing.  Returns 0, or -1 with *why set; entries before the
 * failing one stay added (the caller treats -1 as a fatal configuration error anyway). */
int sathd_jwt_keys_add_public_list(sathd_jwt_keys *k, const char *list, const char **why);
/* Wipes the secret material and frees.  NULL is fine. */
void sathd_jwt_keys_free(sathd_jwt_keys *k);

sathd_jwt_alg sathd_jwt_keys_alg(const sathd_jwt_keys *k);
/* The signing key's kid ("" when an HS256 set has none).  Owned by k. */
const char *sathd_jwt_keys_kid(const sathd_jwt_keys *k);

/* Fills seed with 32 random bytes. */
void sathd_jwt_gen_seed(unsigned char seed[32]);
/* A new random seed as standard base64 (44 characters, padded): the text for
 * SATH_JWT_ED25519_KEY or a key file (`sathd gen-jwt-key`).  malloc'd, caller frees
 * (after sodium_memzero if it stays around); NULL on out-of-memory. */
char *sathd_jwt_gen_seed_b64(void);

/* --- tokens ---------------------------------------------------------------------- */

/* What an access token must say.  issuer and audience are NUL-terminated, at most 255
 * bytes; leeway_s is 0..SATHD_JWT_MAX_LEEWAY. */
typedef struct sathd_jwt_policy {
    const char *issuer;
    const char *audience;
    int64_t access_ttl_s; /* exp = iat + access_ttl_s, > 0 */
    int64_t leeway_s;
} sathd_jwt_policy;

/* Verified (or freshly issued) claims; fixed-size, caller-owned. */
typedef struct sathd_jwt_claims {
    char sub[37];  /* user id, canonical UUID text */
    char jti[64];  /* token id */
    char sid[33];  /* session (refresh family) id, "" when the token has none */
    char iss[256];
    char kid[SATHD_JWT_KID_MAX + 1]; /* key that signed it ("" if the header had none) */
    int64_t iat, nbf, exp;
} sathd_jwt_claims;

/* Signs an access token for user `sub` (a UUID) at time `now` (unix seconds):
 * header {"alg","typ":"JWT","kid"} and claims {iss, aud, sub, iat, nbf=iat,
 * exp=iat+ttl, jti (128 random bits, base64url), typ:"access"}.
 * Returns the compact token (malloc'd, caller frees) or NULL with *err set; `out`
 * (may be NULL) receives the claims, e.g. the jti for a later deny. */
char *sathd_jwt_sign_access(const sathd_jwt_keys *k, const sathd_jwt_policy *p,
                            const char *sub, const char *sid, int64_t now, sathd_jwt_claims *out,
                            sathd_jwt_err *err);

/* Full access-token check at time `now`: length bound, strict parse, header rules,
 * signature, then claims against the policy.  On SATHD_JWT_OK fills *out. */
sathd_jwt_err sathd_jwt_verify_access(const sathd_jwt_keys *k, const sathd_jwt_policy *p,
                                      const char *token, size_t len, int64_t now,
                                      sathd_jwt_claims *out);

/* Signature layer only (what the RFC 7515/8037 vectors exercise): length bound, strict
 * parse, header rules (alg pinned, no crit, kid known; no kid = the signing key), and
 * signature.  The payload is not interpreted.  On OK and when payload is non-NULL,
 * *payload receives the decoded payload (malloc'd, NUL-terminated for convenience,
 * caller frees) and *payload_len its length; kid_out (SATHD_JWT_KID_MAX+1 bytes, may be
 * NULL) the header's kid or "". */
sathd_jwt_err sathd_jwt_verify_compact(const sathd_jwt_keys *k, const char *token, size_t len,
                                       unsigned char **payload, size_t *payload_len,
                                       char *kid_out);

/* The JWKS document: {"keys":[{"kty":"OKP","crv":"Ed25519","x","kid","use":"sig",
 * "alg":"EdDSA"}, ...]} with the signing key first, then the extra public keys.  An HS256
 * set gives {"keys":[]}: a shared secret is never published.  malloc'd, caller frees;
 * NULL on out-of-memory. */
char *sathd_jwks_json(const sathd_jwt_keys *k);

/* --- base64url (RFC 4648 section 5, unpadded), used by the whole auth layer -------- */

/* Encodes len bytes; out must hold sathd_b64url_encoded_len(len) + 1 bytes.  Returns out. */
char *sathd_b64url_encode(char *out, size_t out_size, const unsigned char *in, size_t len);
size_t sathd_b64url_encoded_len(size_t len);
/* Strict decode: only [A-Za-z0-9_-], no padding, no whitespace, canonical trailing bits,
 * the whole input consumed.  Returns 0 and *out_len, or -1. */
int sathd_b64url_decode(unsigned char *out, size_t out_size, const char *in, size_t len,
                        size_t *out_len);
/* 1 if every one of the len characters is an ASCII letter, digit, or one of `extra`
 * (e.g. "-_" for base64url, "+/=" for standard base64). */
int sathd_b64url_alphabet_ok(const char *in, size_t len, const char *extra);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_JWT_H */
