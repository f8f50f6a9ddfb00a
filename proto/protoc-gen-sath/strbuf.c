/*
 * strbuf.c - growable text buffer with sticky allocation failure (see strbuf.h).
 */
#include "strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes room for `extra` more bytes plus the NUL; false (and failed set) when it cannot. */
static bool strbuf_reserve(strbuf *sb, size_t extra)
{
    if (sb->failed)
        return false;
    if (extra > SIZE_MAX / 2 - sb->len - 1) {
        sb->failed = true;
        return false;
    }
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return true;
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(sb->data, cap);
    if (p == NULL) {
        sb->failed = true;
        return false;
    }
    sb->data = p;
    sb->cap = cap;
    return true;
}

void strbuf_append_len(strbuf *sb, const char *s, size_t n)
{
    if (!strbuf_reserve(sb, n))
        return;
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void strbuf_append(strbuf *sb, const char *s)
{
    strbuf_append_len(sb, s, strlen(s));
}

void strbuf_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->failed = true;
        return;
    }
    if (!strbuf_reserve(sb, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void strbuf_append_c_escaped(strbuf *sb, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': strbuf_append(sb, "\\\""); break;
        case '\\': strbuf_append(sb, "\\\\"); break;
        case '\n': strbuf_append(sb, "\\n"); break;
        case '\t': strbuf_append(sb, "\\t"); break;
        /* '?' is escaped so no trigraph can form inside the literal. */
        case '?': strbuf_append(sb, "\\?"); break;
        default:
            if (*p < 0x20 || *p >= 0x7f)
                strbuf_printf(sb, "\\%03o", (unsigned)*p);
            else
                strbuf_append_len(sb, (const char *)p, 1);
        }
    }
}

void strbuf_append_comment_safe(strbuf *sb, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (p[0] == '*' && p[1] == '/')
            strbuf_append(sb, "* ");
        else if (p[0] == '/' && p[1] == '*')
            strbuf_append(sb, "/ ");
        else
            strbuf_append_len(sb, p, 1);
    }
}

bool strbuf_failed(const strbuf *sb)
{
    return sb->failed;
}

char *strbuf_detach(strbuf *sb)
{
    char *out = NULL;
    if (!sb->failed) {
        out = sb->data ? sb->data : strdup("");
        sb->data = NULL;
    }
    strbuf_release(sb);
    return out;
}

void strbuf_release(strbuf *sb)
{
    free(sb->data);
    sb->data = NULL;
    sb->len = sb->cap = 0;
    sb->failed = false;
}
