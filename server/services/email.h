/*
 * email.h - syntax check and normalisation of account email addresses.
 */
#ifndef SATHD_SERVICES_EMAIL_H
#define SATHD_SERVICES_EMAIL_H

#include <stddef.h>

/* Checks `in` as an email address (RFC 5321 dot-atom local part, DNS host name with at
 * least two labels, ASCII only, at most 254 bytes) and writes its lower-case form to
 * `out` (at least 255 bytes).  Returns 0, or -1 with *why set to a static reason. */
int sathd_email_normalize(const char *in, char *out, size_t outlen, const char **why);

#endif
