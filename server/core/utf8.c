/*
 * utf8.c - strict UTF-8 (see utf8.h).  proto3 requires string fields to be valid UTF-8,
 * and protobuf-c does not check it; NUL is refused too because protobuf-c hands strings
 * to C code NUL-terminated, where an embedded NUL would silently truncate them.
 */
#include "sathd/utf8.h"

int sathd_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len;
    uint32_t c, min;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2, c = s[0] & 0x1Fu, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3, c = s[0] & 0x0Fu, min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4, c = s[0] & 0x07u, min = 0x10000;
    } else {
        return -1;
    }
    if (len > n)
        return -1;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return -1; /* overlong, out of range, or a surrogate */
    *cp = c;
    return (int)len;
}

int sathd_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        int l = sathd_utf8_next(s + i, n - i, &cp);
        if (l < 0 || cp == 0)
            return 0;
        i += (size_t)l;
    }
    return 1;
}
