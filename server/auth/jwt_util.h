/*
 * jwt_util.h - small helpers shared by jwt_sign.c and jwt_verify.c (not public).
 */
#ifndef SATHD_AUTH_JWT_UTIL_H
#define SATHD_AUTH_JWT_UTIL_H

#include "jwt_internal.h"

/* Upper bound for NumericDate values we accept (year ~2500): keeps exp + leeway and
 * iat + ttl far from int64 overflow. */
#define SATHD_JWT_MAX_TIME INT64_C(16725225600)

/* 1 if s is 36 characters of 8-4-4-4-12 hex digits (either case). */
int sathd_jwt_is_uuid(const char *s);
/* 1 when s (len bytes, no NUL inside) is a session id as sathd issues them: 1 to 32
 * lower-case hex digits (session.h families are 32). */
int sathd_jwt_sid_ok(const char *s, size_t len);
/* Lower-cases ASCII letters in place. */
void sathd_jwt_lower(char *s);
/* HMAC-SHA-256 of msg with the set's secret into mac[32]. */
void sathd_jwt_hs256(unsigned char mac[32], const sathd_jwt_keys *k, const unsigned char *msg,
                     size_t len);

#endif /* SATHD_AUTH_JWT_UTIL_H */
