/*
 * password_rules.c - what a new password must satisfy: valid UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF), no NUL byte, at least SATHD_PASSWORD_MIN_CHARS code
 * points and at most SATHD_PASSWORD_MAX_BYTES bytes.  Passwords are never truncated: a
 * too-long one is refused, so what the user typed is exactly what is hashed.
 */
#include "sathd/password.h"

#include <stdint.h>

/* Length of the UTF-8 sequence starting at s (n bytes left), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    uint32_t cp;
    size_t need;
    if (s[0] < 0x80)
        return s[0] ? 1 : 0;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        need = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        need = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        need = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

int sathd_password_check_rules(const char *pw, size_t len, const char **why)
{
    const char *msg = NULL;
    size_t chars = 0;
    if (!pw)
        msg = "password is missing";
    else if (len > SATHD_PASSWORD_MAX_BYTES)
        msg = "password is longer than 1024 bytes";
    for (size_t i = 0; !msg && i < len; chars++) {
        size_t k = utf8_seq((const unsigned char *)pw + i, len - i);
        if (k == 0)
            msg = pw[i] == '\0' ? "password contains a NUL byte"
                                : "password is not valid UTF-8";
        i += k;
    }
    if (!msg && chars < SATHD_PASSWORD_MIN_CHARS)
        msg = "password must have at least 8 characters";
    if (msg && why)
        *why = msg;
    return msg ? -1 : 0;
}
