/*
 * request_id.c - the one place request ids are checked and made (see sathd/rpc.h):
 * the gRPC chain and the REST gateway both use it, so an id a client sends is accepted
 * or replaced the same way whichever door it came through.
 */
#include <stddef.h>
#include <string.h>

#include <sodium.h>

#include "sathd/rpc.h"

/* Ids generated here: this many lower-case hex characters of fresh randomness. */
#define REQUEST_ID_GEN_LEN 32
/* Random bytes fetched per refill: one getrandom(2) per 256 ids instead of one per call
 * (the syscall was a visible share of an empty call's cost).  Request ids are logged
 * and sent to clients, so a per-thread stock of them is nothing secret. */
#define STOCK_BYTES 4096

static _Thread_local unsigned char stock[STOCK_BYTES];
static _Thread_local size_t stock_left;

static void fresh_bytes(unsigned char *out, size_t n)
{
    if (stock_left < n) {
        randombytes_buf(stock, sizeof stock);
        stock_left = sizeof stock;
    }
    stock_left -= n;
    memcpy(out, stock + stock_left, n);
}

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
    fresh_bytes(raw, sizeof raw);
    sodium_bin2hex(hex, REQUEST_ID_GEN_LEN + 1, raw, sizeof raw);
    return hex;
}
