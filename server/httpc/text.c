/*
 * text.c - the client's text helpers: scrubbing a provider's words before they are
 * logged or shown, and splitting the allow-list variable.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sathd/httpc.h"

#define REDACTED "[redacted]"

char *sathd_httpc_scrub(const char *text, size_t len, const char *const *secrets, size_t max,
                        char *out, size_t outlen)
{
    if (!outlen)
        return out;
    size_t limit = max < outlen - 1 ? max : outlen - 1, o = 0;
    for (size_t i = 0; text && i < len && o < limit;) {
        size_t hit = 0;
        for (size_t s = 0; secrets && secrets[s] && !hit; s++) {
            size_t sl = strlen(secrets[s]);
            if (sl && sl <= len - i && memcmp(text + i, secrets[s], sl) == 0)
                hit = sl;
        }
        if (hit) { /* the marker goes in whole or not at all: never a cut secret */
            size_t ml = strlen(REDACTED);
            if (o + ml > limit)
                break;
            memcpy(out + o, REDACTED, ml);
            o += ml;
            i += hit;
            continue;
        }
        unsigned char ch = (unsigned char)text[i++];
        out[o++] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
    }
    out[o] = '\0';
    return out;
}

char **sathd_httpc_list_split(const char *text)
{
    size_t n = 0, len = text ? strlen(text) : 0;
    char **list = calloc(len / 2 + 2, sizeof *list); /* at most one item per two bytes */
    if (!list)
        return NULL;
    for (size_t i = 0; i < len;) {
        while (i < len && (text[i] == ',' || text[i] == ' ' || text[i] == '\t'))
            i++;
        size_t start = i;
        while (i < len && text[i] != ',' && text[i] != ' ' && text[i] != '\t')
            i++;
        if (i > start && !(list[n++] = strndup(text + start, i - start))) {
            sathd_httpc_list_free(list);
            return NULL;
        }
    }
    return list;
}

void sathd_httpc_list_free(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}
