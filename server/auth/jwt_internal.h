/*
 * jwt_internal.h - the layout of sathd_jwt_keys, shared by the files of the JWT module
 * (jwt_keys.c, jwt_sign.c, jwt_verify.c, jwks.c) and by nothing else.
 *
 * Invariants: alg is fixed at creation; for EdDSA, keys[0] is the signing key's public
 * half and `ed_sk` its secret key; keys[1..n_keys-1] are public-only.  For HS256 n_keys
 * is 0 and `hs_secret` holds hs_len bytes.  Secret fields live in sodium_malloc'd memory
 * (guarded, wiped on free).
 */
#ifndef SATHD_AUTH_JWT_INTERNAL_H
#define SATHD_AUTH_JWT_INTERNAL_H

#include "sathd/jwt.h"

#include <sodium.h>

typedef struct sathd_jwt_pub {
    char kid[SATHD_JWT_KID_MAX + 1];
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
} sathd_jwt_pub;

typedef struct sathd_jwt_secret {
    unsigned char ed_sk[crypto_sign_SECRETKEYBYTES];
    unsigned char hs[SATHD_JWT_HS256_MAX_SECRET];
} sathd_jwt_secret;

struct sathd_jwt_keys {
    sathd_jwt_alg alg;
    char kid[SATHD_JWT_KID_MAX + 1]; /* signing kid; "" = none (HS256 only) */
    size_t hs_len;
    sathd_jwt_secret *secret; /* sodium_malloc */
    size_t n_keys;
    sathd_jwt_pub keys[1 + SATHD_JWT_MAX_EXTRA_KEYS];
};

/* Key ids are printable ASCII without '"' or '\\' so they are safe in JSON, logs and Redis
 * keys; 1..SATHD_JWT_KID_MAX characters.  Returns 1 if acceptable. */
int sathd_jwt_kid_valid(const char *kid);

#endif /* SATHD_AUTH_JWT_INTERNAL_H */
