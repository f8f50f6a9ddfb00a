/*
 * jwt.c - the exp claim of a compact JWT: base64url (libsodium) then JSON (jansson).
 */
#include "jwt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "sath/error.h"

/* Larger payloads are not access tokens of ours; refusing them bounds the work. */
#define SATH__JWT_MAX_PAYLOAD 8192

static int decode_payload(const char *b64, size_t len, unsigned char **out, size_t *out_len)
{
    size_t cap = len / 4 * 3 + 3;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return SATH_ENOMEM;
    /* Tokens are unpadded (RFC 7515); accept padded ones too.  b64_end NULL = strict. */
    if (sodium_base642bin(buf, cap, b64, len, NULL, out_len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 &&
        sodium_base642bin(buf, cap, b64, len, NULL, out_len, NULL,
                          sodium_base64_VARIANT_URLSAFE) != 0) {
        free(buf);
        return SATH_EINVAL;
    }
    *out = buf;
    return SATH_OK;
}

static int exp_of_json(const unsigned char *json, size_t len, int64_t *exp)
{
    json_t *root = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, NULL);
    if (!root)
        return SATH_EINVAL;
    int rc = SATH_EINVAL;
    json_t *v = json_is_object(root) ? json_object_get(root, "exp") : NULL;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *exp = (int64_t)json_integer_value(v);
        rc = SATH_OK;
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (isfinite(d) && d >= 0 && d < 9.2e18) {
            *exp = (int64_t)d;
            rc = SATH_OK;
        }
    }
    json_decref(root);
    return rc;
}

int sath__jwt_exp(const char *token, int64_t *exp)
{
    if (!token || !exp)
        return SATH_EINVAL;
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || dot1 == token || strchr(dot2 + 1, '.'))
        return SATH_EINVAL;
    size_t len = (size_t)(dot2 - (dot1 + 1));
    if (len == 0 || len > SATH__JWT_MAX_PAYLOAD)
        return SATH_EINVAL;
    unsigned char *payload = NULL;
    size_t payload_len = 0;
    int rc = decode_payload(dot1 + 1, len, &payload, &payload_len);
    if (rc != SATH_OK)
        return rc;
    rc = exp_of_json(payload, payload_len, exp);
    free(payload);
    return rc;
}
