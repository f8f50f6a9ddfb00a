/*
 * request_id.c - the one place request ids are checked and made (see sathd/rpc.h):
 * the gRPC chain and the REST gateway both use it, so an id a client sends is accepted
 * or replaced the same way whichever door it came through.
 */
#include <stddef.h>

#include <sodium.h>

#include "sathd/rpc.h"

/* Ids generated here: this many lower-case hex characters of fresh randomness. */
#define REQUEST_ID_GEN_LEN 32

int sathd_request_id_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= SATHD_REQUEST_ID_MAX || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                            (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return n > 0;
}

const char *sathd_request_id(sathd_arena *arena, const char *given)
{
    if (given && sathd_request_id_ok(given))
        return given;
    unsigned char raw[REQUEST_ID_GEN_LEN / 2];
    char *hex = sathd_arena_alloc(arena, REQUEST_ID_GEN_LEN + 1);
    if (!hex)
        return "-";
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, REQUEST_ID_GEN_LEN + 1, raw, sizeof raw);
    return hex;
}
