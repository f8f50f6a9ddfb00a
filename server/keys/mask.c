/*
 * mask.c - the display hint of a stored key (see sathd/keys.h).
 */
#include "sathd/keys.h"

#include <string.h>

void sathd_keys_mask(const char *key, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    size_t n = strlen(key), o = 0;
    for (size_t i = 0; i < n && o + 1 < outlen; i++, o++)
        out[o] = (n > 8 && (i < 4 || i >= n - 4)) ? key[i] : '*';
    out[o] = '\0';
}
