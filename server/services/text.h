/*
 * text.h - checks for free-text fields users send (names, labels).
 */
#ifndef SATHD_SERVICES_TEXT_H
#define SATHD_SERVICES_TEXT_H

#include <stddef.h>

/* 0 when `s` is valid UTF-8 of at most `max_chars` code points without control
 * characters (C0, DEL, C1); otherwise -1 and a static reason in *why. */
int sathd_text_check(const char *s, size_t max_chars, const char **why);

#endif
