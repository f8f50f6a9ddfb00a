/*
 * jwt_sign.c - issuing access tokens (JWS compact serialization).
 *
 * The header and claims are built with jansson so every string is escaped correctly; the
 * signing input is base64url(header) "." base64url(claims) and the signature is Ed25519
 * (detached, 64 bytes) or HMAC-SHA-256 (32 bytes) over it.
 */
#include "jwt_internal.h"
#include "jwt_util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *build_header(const sathd_jwt_keys *k)
{
    json_t *h = json_pack("{s:s, s:s}", "alg", k->alg == SATHD_JWT_ALG_EDDSA ? "EdDSA" : "HS256",
                          "typ", "JWT");
    if (h && k->kid[0] && json_object_set_new(h, "kid", json_string(k->kid)) != 0) {
        json_decref(h);
        return NULL;
    }
    return h;
}

static json_t *build_claims(const sathd_jwt_policy *p, const sathd_jwt_claims *c)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s}", "iss", p->issuer, "aud",
                          p->audience, "sub", c->sub, "iat", (json_int_t)c->iat, "nbf",
                          (json_int_t)c->nbf, "exp", (json_int_t)c->exp, "jti", c->jti, "typ",
                          "access");
    if (j && c->sid[0] && json_object_set_new(j, "sid", json_string(c->sid)) != 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Appends base64url(text) to buf at *pos; buf has room (checked by the caller). */
static void append_b64(char *buf, size_t cap, size_t *pos, const void *data, size_t len)
{
    sathd_b64url_encode(buf + *pos, cap - *pos, data, len);
    *pos += sathd_b64url_encoded_len(len);
}

/* Signs header.claims into a fresh malloc'd compact token. */
static char *sign_compact(const sathd_jwt_keys *k, const char *hdr, const char *claims)
{
    size_t hl = strlen(hdr), cl = strlen(claims);
    size_t siglen = k->alg == SATHD_JWT_ALG_EDDSA ? crypto_sign_BYTES
                                                  : crypto_auth_hmacsha256_BYTES;
    size_t cap = sathd_b64url_encoded_len(hl) + sathd_b64url_encoded_len(cl) +
                 sathd_b64url_encoded_len(siglen) + 3;
    char *tok = malloc(cap);
    if (!tok)
        return NULL;
    size_t pos = 0;
    unsigned char sig[crypto_sign_BYTES];
    append_b64(tok, cap, &pos, hdr, hl);
    tok[pos++] = '.';
    append_b64(tok, cap, &pos, claims, cl);
    if (k->alg == SATHD_JWT_ALG_EDDSA)
        crypto_sign_detached(sig, NULL, (const unsigned char *)tok, pos, k->secret->ed_sk);
    else
        sathd_jwt_hs256(sig, k, (const unsigned char *)tok, pos);
    tok[pos++] = '.';
    append_b64(tok, cap, &pos, sig, siglen);
    return tok;
}

static int policy_ok(const sathd_jwt_policy *p)
{
    return p && p->issuer && p->audience && strlen(p->issuer) < 256 &&
           strlen(p->audience) < 256 && p->access_ttl_s > 0 &&
           p->access_ttl_s <= SATHD_JWT_MAX_TIME && p->leeway_s >= 0 &&
           p->leeway_s <= SATHD_JWT_MAX_LEEWAY;
}

char *sathd_jwt_sign_access(const sathd_jwt_keys *k, const sathd_jwt_policy *p,
                            const char *sub, const char *sid, int64_t now, sathd_jwt_claims *out,
                            sathd_jwt_err *err)
{
    sathd_jwt_claims c;
    sathd_jwt_err e = SATHD_JWT_OK;
    char *tok = NULL, *hs = NULL, *cs = NULL;
    json_t *hj = NULL, *cj = NULL;
    unsigned char rnd[16];

    memset(&c, 0, sizeof c);
    if (!k || !policy_ok(p) || !sub || !sathd_jwt_is_uuid(sub) || now < 0 ||
        now > SATHD_JWT_MAX_TIME || (sid && !sathd_jwt_sid_ok(sid, strlen(sid)))) {
        e = SATHD_JWT_E_INVALID_ARG;
        goto done;
    }
    memcpy(c.sub, sub, 36);
    sathd_jwt_lower(c.sub);
    randombytes_buf(rnd, sizeof rnd);
    sathd_b64url_encode(c.jti, sizeof c.jti, rnd, sizeof rnd);
    if (sid)
        strcpy(c.sid, sid);
    strcpy(c.iss, p->issuer);
    strcpy(c.kid, k->kid);
    c.iat = c.nbf = now;
    c.exp = now + p->access_ttl_s;

    hj = build_header(k);
    cj = build_claims(p, &c);
    if (hj)
        hs = json_dumps(hj, JSON_COMPACT);
    if (cj)
        cs = json_dumps(cj, JSON_COMPACT);
    if (!hs || !cs || !(tok = sign_compact(k, hs, cs)))
        e = SATHD_JWT_E_INTERNAL;
    else if (out)
        *out = c;
done:
    json_decref(hj);
    json_decref(cj);
    free(hs);
    free(cs);
    if (err)
        *err = e;
    return tok;
}
