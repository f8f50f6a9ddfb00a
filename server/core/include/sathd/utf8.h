/*
 * utf8.h - strict UTF-8 decoding (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF), shared by wire validation and text checks.
 */
#ifndef SATHD_UTF8_H
#define SATHD_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one code point from s (n > 0 bytes available) into *cp; returns its length in
 * bytes (1..4), or -1 when the bytes are not well-formed UTF-8. */
int sathd_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

/* 1 when s[0..n) is well-formed UTF-8 without NUL characters, else 0. */
int sathd_utf8_valid(const unsigned char *s, size_t n);

#endif
