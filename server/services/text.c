/*
 * text.c - validation of user-supplied display text.
 *
 * protobuf-c does not check that proto3 strings are UTF-8, and PostgreSQL would reject
 * bad bytes only with a generic error; checking here gives the client a precise message
 * and keeps control characters (terminal escapes, NUL tricks) out of stored names.
 */
#include "text.h"

#include <stdint.h>

static int decode(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    int n;
    uint32_t c, min;
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2, c = s[0] & 0x1F, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3, c = s[0] & 0x0F, min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return -1; /* overlong, out of range, or a surrogate */
    *cp = c;
    return n;
}

int sathd_text_check(const char *s, size_t max_chars, const char **why)
{
    static const char *ignored;
    if (!why)
        why = &ignored;
    size_t chars = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        int n = decode(p, &cp);
        if (n < 0) {
            *why = "is not valid UTF-8";
            return -1;
        }
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
            *why = "contains a control character";
            return -1;
        }
        if (++chars > max_chars) {
            *why = "is too long";
            return -1;
        }
        p += n;
    }
    return 0;
}
