/*
 * jwt_util.c - helpers shared by signing and verification: UUID syntax, HMAC with the
 * key set's secret.
 */
#include "jwt_util.h"

#include <ctype.h>
#include <string.h>

int sathd_jwt_is_uuid(const char *s)
{
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0; /* also stops at a NUL before 36 */
        }
    }
    return s[36] == '\0';
}

void sathd_jwt_lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

void sathd_jwt_hs256(unsigned char mac[32], const sathd_jwt_keys *k, const unsigned char *msg,
                     size_t len)
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, k->secret->hs, k->hs_len);
    crypto_auth_hmacsha256_update(&st, msg, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st);
}

int sathd_jwt_sid_ok(const char *s, size_t len)
{
    if (len == 0 || len > 32 || strlen(s) != len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}
