/*
 * util.c - provider-message hygiene of the key testers (see util.h).
 */
#include "util.h"

#include <string.h>

/* Replaces every occurrence of `s` in msg (NUL-terminated, in a buffer of cap bytes). */
static void redact(char *msg, size_t cap, const char *s)
{
    static const char mark[] = "[redacted]";
    size_t slen = strlen(s), mlen = sizeof mark - 1;
    char *p = msg;
    while ((p = strstr(p, s)) != NULL) {
        size_t tail = strlen(p + slen);
        size_t room = cap - (size_t)(p - msg) - 1; /* bytes available from p, without NUL */
        if (mlen > room) {
            *p = '\0';
            return;
        }
        size_t keep = tail;
        if (mlen + keep > room)
            keep = room - mlen;
        memmove(p + mlen, p + slen, keep);
        memcpy(p, mark, mlen);
        p[mlen + keep] = '\0';
        p += mlen;
    }
}

void sathd_keys_scrub(char *msg, size_t cap, size_t max, const char *const *secrets)
{
    for (size_t i = 0; secrets && secrets[i]; i++)
        if (secrets[i][0])
            redact(msg, cap, secrets[i]);
    size_t n = strlen(msg);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] >= 0x7f)
            msg[i] = '?';
    if (n > max)
        msg[max] = '\0';
}
