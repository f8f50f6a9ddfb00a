/*
 * strbuf.h - growable, always NUL-terminated text buffer for the generator.
 *
 * Emitters build whole output files in a strbuf and hand the finished text to the
 * response (output.h).  Allocation failure is sticky: once an append fails the buffer
 * is marked failed, later appends are no-ops, and strbuf_failed() reports it, so
 * emitters check once at the end instead of after every line.
 */
#ifndef SATH_GEN_STRBUF_H
#define SATH_GEN_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct strbuf {
    char *data;   /* NUL-terminated text, NULL until the first append */
    size_t len;   /* bytes used, without the NUL */
    size_t cap;   /* bytes allocated */
    bool failed;  /* an allocation failed; the content is incomplete */
} strbuf;

#define STRBUF_INIT { NULL, 0, 0, false }

void strbuf_append(strbuf *sb, const char *s);
void strbuf_append_len(strbuf *sb, const char *s, size_t n);
void strbuf_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends `s` escaped for the inside of a C string literal (no quotes added). */
void strbuf_append_c_escaped(strbuf *sb, const char *s);
/* Appends `s` made safe for the inside of a C block comment ("*" "/" is broken up). */
void strbuf_append_comment_safe(strbuf *sb, const char *s);
bool strbuf_failed(const strbuf *sb);
/* Hands the text over (caller frees it with free()) and resets the buffer.
 * Returns NULL when the buffer failed; the buffer is released either way. */
char *strbuf_detach(strbuf *sb);
void strbuf_release(strbuf *sb);

#endif /* SATH_GEN_STRBUF_H */
