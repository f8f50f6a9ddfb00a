/*
 * jwt.h - reading the expiry of an access token, without verifying it.
 *
 * The SDK only needs to know when to refresh; the server verifies every token, so the
 * signature is deliberately not checked here.
 */
#ifndef SATH_SDK_JWT_H
#define SATH_SDK_JWT_H

#include <stdint.h>

/*
 * Stores the `exp` claim (unix seconds) of the compact JWT `token` in *exp.  Returns
 * SATH_OK, or SATH_EINVAL when the token is not three dot-separated parts, the payload is
 * not base64url of a JSON object, or `exp` is missing, not a number, negative or not
 * representable.  A fractional exp (NumericDate allows it) is truncated.
 */
int sath__jwt_exp(const char *token, int64_t *exp);

#endif /* SATH_SDK_JWT_H */
