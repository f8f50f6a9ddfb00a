/*
 * bcrypt_import.c - verification of bcrypt hashes imported from the previous platform
 * (passlib writes $2b$; $2a$ and $2y$ occur in older exports).  libcrypt's crypt_r does
 * the work; we never create bcrypt hashes, a successful verify is followed by a rehash
 * to Argon2id.
 *
 * struct crypt_data is ~32 KiB, too big for the stack of a small thread, so it is
 * calloc'd (crypt_r requires it zeroed before first use).  crypt_r reports a bad setting
 * with a string starting with '*', not NULL.  The result is compared in full and in
 * constant time after checking the lengths match.
 */
#define _GNU_SOURCE
#include "password_internal.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

/* "$2?$NN$" + 22 salt + 31 hash characters. */
#define BCRYPT_LEN 60

int sathd_bcrypt_is_bcrypt(const char *s)
{
    return s[0] == '$' && s[1] == '2' && (s[2] == 'a' || s[2] == 'b' || s[2] == 'y') &&
           s[3] == '$';
}

sathd_pw_result sathd_bcrypt_verify(const char *stored, const char *password, size_t len)
{
    sathd_pw_result r = SATHD_PW_MISMATCH;
    if (strnlen(stored, BCRYPT_LEN + 1) != BCRYPT_LEN)
        return SATHD_PW_BAD_HASH;
    /* crypt_r takes a C string: a password with a NUL byte cannot be the one hashed. */
    if (memchr(password, '\0', len))
        return SATHD_PW_MISMATCH;
    char *pw = malloc(len + 1);
    struct crypt_data *cd = calloc(1, sizeof *cd);
    if (!pw || !cd) {
        free(pw);
        free(cd);
        return SATHD_PW_ERROR;
    }
    memcpy(pw, password, len);
    pw[len] = '\0';
    const char *res = crypt_r(pw, stored, cd);
    if (!res || res[0] == '*')
        r = SATHD_PW_BAD_HASH;
    else if (strlen(res) == BCRYPT_LEN && sodium_memcmp(res, stored, BCRYPT_LEN) == 0)
        r = SATHD_PW_OK;
    sodium_memzero(pw, len);
    sodium_memzero(cd, sizeof *cd);
    free(pw);
    free(cd);
    return r;
}
