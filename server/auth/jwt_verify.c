/*
 * jwt_verify.c - verifying access tokens.
 *
 * Order of work, cheapest and most hostile-input-proof first: length bound, split into
 * exactly three non-empty parts, strict base64url of header and signature, header JSON
 * (duplicates rejected), algorithm pinned by the key set, kid lookup, signature check in
 * constant time, and only then the payload is decoded and its claims parsed.  A forged
 * token therefore never reaches the claims parser.
 *
 * HS256 is computed with the init/update/final API because RFC 7515's example key is 64
 * bytes (crypto_auth_hmacsha256 itself takes exactly 32) and compared with sodium_memcmp,
 * which is constant time like crypto_auth_hmacsha256_verify.
 */
#include "jwt_util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const err_names[] = {
    "ok",          "too_long",      "malformed",   "base64",     "header",
    "alg_none",    "alg_mismatch",  "crit",        "unknown_kid", "signature",
    "claims",      "expired",       "not_yet_valid", "iat_future", "issuer",
    "audience",    "token_type",    "subject",     "jti",        "invalid_arg",
    "internal"};

const char *sathd_jwt_strerror(sathd_jwt_err err)
{
    if ((unsigned)err < sizeof err_names / sizeof err_names[0])
        return err_names[err];
    return "unknown";
}

/* Decodes one base64url part into a fresh malloc'd, NUL-terminated buffer. */
static sathd_jwt_err decode_part(const char *s, size_t len, unsigned char **out, size_t *out_len)
{
    unsigned char *buf = malloc(len / 4 * 3 + 3);
    if (!buf)
        return SATHD_JWT_E_INTERNAL;
    if (sathd_b64url_decode(buf, len / 4 * 3 + 2, s, len, out_len) != 0) {
        free(buf);
        return SATHD_JWT_E_BASE64;
    }
    buf[*out_len] = '\0';
    *out = buf;
    return SATHD_JWT_OK;
}

/* Applies the header rules; on success *pk is the Ed25519 key to use (NULL for HS256). */
static sathd_jwt_err check_header(const sathd_jwt_keys *k, const unsigned char *hdr,
                                  size_t len, const unsigned char **pk, char *kid_out)
{
    sathd_jwt_err e = SATHD_JWT_OK;
    json_t *h = json_loadb((const char *)hdr, len, JSON_REJECT_DUPLICATES, NULL);
    const char *want = k->alg == SATHD_JWT_ALG_EDDSA ? "EdDSA" : "HS256";
    json_t *alg = json_object_get(h, "alg"), *typ = json_object_get(h, "typ");
    json_t *kid = json_object_get(h, "kid");
    const char *kids = NULL;

    if (!json_is_object(h) || !json_is_string(alg) || (typ && !json_is_string(typ)) ||
        (kid && !json_is_string(kid)))
        e = SATHD_JWT_E_HEADER;
    else if (strcasecmp(json_string_value(alg), "none") == 0)
        e = SATHD_JWT_E_ALG_NONE;
    else if (strcmp(json_string_value(alg), want) != 0)
        e = SATHD_JWT_E_ALG_MISMATCH;
    else if (json_object_get(h, "crit"))
        e = SATHD_JWT_E_CRIT;
    else if (typ && strcasecmp(json_string_value(typ), "JWT") != 0)
        e = SATHD_JWT_E_HEADER;
    if (e != SATHD_JWT_OK)
        goto out;

    kids = kid ? json_string_value(kid) : NULL;
    if (kids && (strlen(kids) > SATHD_JWT_KID_MAX || json_string_length(kid) != strlen(kids))) {
        e = SATHD_JWT_E_UNKNOWN_KID;
        goto out;
    }
    *pk = NULL;
    if (k->alg == SATHD_JWT_ALG_HS256) {
        /* One secret: a kid, when sent, must be ours; none at all means that secret. */
        if (kids && strcmp(kids, k->kid) != 0)
            e = SATHD_JWT_E_UNKNOWN_KID;
    } else if (!kids) {
        *pk = k->keys[0].pk;
    } else {
        for (size_t i = 0; i < k->n_keys && !*pk; i++)
            if (strcmp(kids, k->keys[i].kid) == 0)
                *pk = k->keys[i].pk;
        if (!*pk)
            e = SATHD_JWT_E_UNKNOWN_KID;
    }
    if (e == SATHD_JWT_OK && kid_out)
        strcpy(kid_out, kids ? kids : "");
out:
    json_decref(h);
    return e;
}

static sathd_jwt_err check_signature(const sathd_jwt_keys *k, const unsigned char *pk,
                                     const char *input, size_t input_len, const char *sig64,
                                     size_t sig64_len)
{
    unsigned char sig[crypto_sign_BYTES + 3];
    size_t want = k->alg == SATHD_JWT_ALG_EDDSA ? crypto_sign_BYTES
                                                : crypto_auth_hmacsha256_BYTES;
    size_t n = 0;
    /* A part far longer than any signature is refused without decoding; otherwise decode
     * first so a badly encoded signature is reported as such. */
    if (sig64_len > sathd_b64url_encoded_len(want) + 4)
        return SATHD_JWT_E_SIGNATURE;
    if (sathd_b64url_decode(sig, sizeof sig, sig64, sig64_len, &n) != 0)
        return SATHD_JWT_E_BASE64;
    if (n != want)
        return SATHD_JWT_E_SIGNATURE;
    if (k->alg == SATHD_JWT_ALG_EDDSA)
        return crypto_sign_verify_detached(sig, (const unsigned char *)input, input_len, pk) == 0
                   ? SATHD_JWT_OK
                   : SATHD_JWT_E_SIGNATURE;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    sathd_jwt_hs256(mac, k, (const unsigned char *)input, input_len);
    int ok = sodium_memcmp(mac, sig, sizeof mac) == 0;
    sodium_memzero(mac, sizeof mac);
    return ok ? SATHD_JWT_OK : SATHD_JWT_E_SIGNATURE;
}

sathd_jwt_err sathd_jwt_verify_compact(const sathd_jwt_keys *k, const char *token, size_t len,
                                       unsigned char **payload, size_t *payload_len,
                                       char *kid_out)
{
    if (!k || !token)
        return SATHD_JWT_E_INVALID_ARG;
    if (len > SATHD_JWT_MAX_TOKEN_LEN)
        return SATHD_JWT_E_TOO_LONG;
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) || d1 == token ||
        d2 == d1 + 1 || d2 + 1 == token + len)
        return SATHD_JWT_E_MALFORMED;

    unsigned char *hdr = NULL, *pl = NULL;
    size_t hdr_len = 0, pl_len = 0;
    const unsigned char *pk = NULL;
    char kid[SATHD_JWT_KID_MAX + 1];
    sathd_jwt_err e = decode_part(token, (size_t)(d1 - token), &hdr, &hdr_len);
    if (e == SATHD_JWT_OK)
        e = check_header(k, hdr, hdr_len, &pk, kid);
    if (e == SATHD_JWT_OK)
        e = check_signature(k, pk, token, (size_t)(d2 - token), d2 + 1,
                            len - (size_t)(d2 + 1 - token));
    if (e == SATHD_JWT_OK)
        e = decode_part(d1 + 1, (size_t)(d2 - d1 - 1), &pl, &pl_len);
    free(hdr);
    if (e != SATHD_JWT_OK)
        return e;
    if (kid_out)
        strcpy(kid_out, kid);
    if (payload) {
        *payload = pl;
        if (payload_len)
            *payload_len = pl_len;
    } else {
        free(pl);
    }
    return SATHD_JWT_OK;
}

/* Reads an integer NumericDate in [0, SATHD_JWT_MAX_TIME]; -1 if missing or wrong. */
static int get_time(json_t *c, const char *name, int64_t *v)
{
    json_t *j = json_object_get(c, name);
    if (!json_is_integer(j) || json_integer_value(j) < 0 ||
        json_integer_value(j) > SATHD_JWT_MAX_TIME)
        return -1;
    *v = (int64_t)json_integer_value(j);
    return 0;
}

static int audience_ok(json_t *aud, const char *want)
{
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), want) == 0;
    if (!json_is_array(aud))
        return 0;
    size_t i;
    json_t *v;
    json_array_foreach(aud, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
            return 1;
    }
    return 0;
}

/* Validates claims against the policy and the clock; fills *out on success. */
static sathd_jwt_err check_claims(json_t *c, const sathd_jwt_policy *p, int64_t now,
                                  sathd_jwt_claims *out)
{
    json_t *iss = json_object_get(c, "iss"), *sub = json_object_get(c, "sub");
    json_t *jti = json_object_get(c, "jti"), *typ = json_object_get(c, "typ");
    json_t *aud = json_object_get(c, "aud"), *sid = json_object_get(c, "sid");
    int64_t iat, nbf, exp, lw = p->leeway_s;

    if (!json_is_object(c) || !json_is_string(iss) || !json_is_string(sub) ||
        !json_is_string(jti) || !json_is_string(typ) || !aud || get_time(c, "iat", &iat) ||
        get_time(c, "nbf", &nbf) || get_time(c, "exp", &exp))
        return SATHD_JWT_E_CLAIMS;
    if (now >= exp + lw)
        return SATHD_JWT_E_EXPIRED;
    if (now + lw < nbf)
        return SATHD_JWT_E_NOT_YET_VALID;
    if (iat > now + lw)
        return SATHD_JWT_E_IAT_FUTURE;
    if (strcmp(json_string_value(iss), p->issuer) != 0)
        return SATHD_JWT_E_ISSUER;
    if (!audience_ok(aud, p->audience))
        return SATHD_JWT_E_AUDIENCE;
    if (strcmp(json_string_value(typ), "access") != 0)
        return SATHD_JWT_E_TOKEN_TYPE;
    if (!sathd_jwt_is_uuid(json_string_value(sub)))
        return SATHD_JWT_E_SUBJECT;
    size_t jl = json_string_length(jti);
    if (jl == 0 || jl >= sizeof out->jti || strlen(json_string_value(jti)) != jl)
        return SATHD_JWT_E_JTI;

    if (sid && (!json_is_string(sid) || !sathd_jwt_sid_ok(json_string_value(sid), json_string_length(sid))))
        return SATHD_JWT_E_CLAIMS;

    memcpy(out->sub, json_string_value(sub), 37);
    out->sid[0] = '\0';
    if (sid)
        memcpy(out->sid, json_string_value(sid), json_string_length(sid) + 1);
    sathd_jwt_lower(out->sub);
    memcpy(out->jti, json_string_value(jti), jl + 1);
    strcpy(out->iss, p->issuer); /* equal to the claim, and known to fit */
    out->iat = iat;
    out->nbf = nbf;
    out->exp = exp;
    return SATHD_JWT_OK;
}

sathd_jwt_err sathd_jwt_verify_access(const sathd_jwt_keys *k, const sathd_jwt_policy *p,
                                      const char *token, size_t len, int64_t now,
                                      sathd_jwt_claims *out)
{
    sathd_jwt_claims c;
    unsigned char *pl = NULL;
    size_t pl_len = 0;
    if (!p || !p->issuer || !p->audience || strlen(p->issuer) >= sizeof c.iss ||
        p->leeway_s < 0 || p->leeway_s > SATHD_JWT_MAX_LEEWAY || now < 0 ||
        now > SATHD_JWT_MAX_TIME || !out)
        return SATHD_JWT_E_INVALID_ARG;
    memset(&c, 0, sizeof c);
    sathd_jwt_err e = sathd_jwt_verify_compact(k, token, len, &pl, &pl_len, c.kid);
    if (e != SATHD_JWT_OK)
        return e;
    json_t *claims = json_loadb((const char *)pl, pl_len, JSON_REJECT_DUPLICATES, NULL);
    free(pl);
    e = claims ? check_claims(claims, p, now, &c) : SATHD_JWT_E_CLAIMS;
    json_decref(claims);
    if (e == SATHD_JWT_OK)
        *out = c;
    return e;
}
