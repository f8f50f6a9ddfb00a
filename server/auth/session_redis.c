/*
 * session_redis.c - the small Redis plumbing shared by the session and deny-list code:
 * binary-safe command execution with error logging, key hashing.
 *
 * Redis failures are logged here once, with the operation but never a key (a key holds a
 * token hash, and hashes of bearer tokens are still worth keeping out of logs).
 */
#include "session_internal.h"
#include "jwt_util.h"

#include "sathd/log.h"

#include <sodium.h>
#include <string.h>

void sathd_session_sha256_hex(char out[65], const void *data, size_t len)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(out, 65, h, sizeof h);
}

redisReply *sathd_session_cmd(redisContext *c, int argc, const char **argv)
{
    size_t lens[16];
    if (argc <= 0 || argc > 16)
        return NULL;
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    redisReply *r = redisCommandArgv(c, argc, argv, lens);
    if (!r) {
        sathd_log(SATHD_LOG_ERROR, "msg=\"redis command failed\" op=%s err=\"%s\"", argv[0],
                  c->errstr);
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        sathd_log(SATHD_LOG_ERROR, "msg=\"redis error reply\" op=%s err=\"%.200s\"", argv[0],
                  r->str ? r->str : "");
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

int sathd_session_family_ok(const char *s)
{
    size_t n = strnlen(s, SATHD_SESSION_FAMILY_LEN + 1);
    if (n != SATHD_SESSION_FAMILY_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int sathd_session_user_canon(char out[37], const char *s)
{
    if (!s || !sathd_jwt_is_uuid(s))
        return 0;
    memcpy(out, s, 37);
    sathd_jwt_lower(out);
    return 1;
}
