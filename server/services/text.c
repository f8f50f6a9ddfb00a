/*
 * text.c - validation of user-supplied display text.
 *
 * protobuf-c does not check that proto3 strings are UTF-8, and PostgreSQL would reject
 * bad bytes only with a generic error; checking here gives the client a precise message
 * and keeps control characters (terminal escapes, NUL tricks) out of stored names.
 */
#include "text.h"

#include <stdint.h>
#include <string.h>

#include "sathd/utf8.h"

int sathd_text_check(const char *s, size_t max_chars, const char **why)
{
    static const char *ignored;
    if (!why)
        why = &ignored;
    size_t chars = 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    while (*p) {
        uint32_t cp;
        int n = sathd_utf8_next(p, left, &cp);
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
        left -= (size_t)n;
    }
    return 0;
}
