/*
 * ratelimit.h - GCRA rate limiting (the generic cell rate algorithm, as redis-cell does
 * it), in two stores with one arithmetic:
 *
 *   - Redis (sathd_rl_redis_check): one Lua script checks and updates any number of
 *     limits atomically, so a call counts against all its limits or none.  Shared by
 *     every sathd of a deployment; used where a bypass is expensive for us or dangerous
 *     for users (Login, Register, Refresh, key creation, key tests).
 *   - in process (sathd_rl_local): a fixed-size sharded table of buckets, no I/O, for the
 *     cheap authenticated calls (issue 14 wants them without a backend round trip).  Each
 *     instance enforces its own budget: with N instances behind a balancer a user gets at
 *     most N times the configured rate.
 *
 * A limit "COUNT/SECONDS" (sathd_rate) allows COUNT requests in any SECONDS window, in a
 * burst or spread out: GCRA with emission interval T = SECONDS/COUNT and a tolerance of
 * SECONDS, i.e. a bucket of COUNT that refills one request every T.  It stores one
 * number per key (the theoretical arrival time), which expires when the bucket is full
 * again, so idle clients cost nothing.
 */
#ifndef SATHD_RATELIMIT_H
#define SATHD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "sathd/config.h" /* sathd_rate */

#ifdef __cplusplus
extern "C" {
#endif

/* Parses "COUNT/SECONDS" (e.g. "30/60"); 0, or -1. */
int sathd_rate_parse(const char *s, sathd_rate *out);

/* The verdict of one check; for several limits, the one that decides: the refusing limit
 * with the longest wait, else the allowing limit with the fewest requests left. */
typedef struct sathd_rl_result {
    int allowed;
    size_t which;          /* index of the deciding limit */
    int64_t remaining;     /* requests left in that limit after this one */
    int64_t reset_ms;      /* until that limit is back to its full quota */
    int64_t retry_after_ms; /* refused: until this request would be allowed (> 0) */
} sathd_rl_result;

/* Checks and, when all allow, takes one request from each of the n limits (keys[i]
 * with rates[i]), atomically, with Redis's clock.  0 with *out filled, or -1 when Redis
 * failed (the caller decides whether to fail open or closed). */
int sathd_rl_redis_check(redisContext *c, const char *const *keys, const sathd_rate *rates,
                         size_t n, sathd_rl_result *out);

typedef struct sathd_rl_local sathd_rl_local;
/* A table of about `buckets` buckets (rounded up); NULL on OOM.  Thread-safe. */
sathd_rl_local *sathd_rl_local_new(size_t buckets);
void sathd_rl_local_free(sathd_rl_local *l);
/* The same check in process, key of `len` bytes, at `now_us` (monotonic microseconds).
 * When the table is full the bucket idle longest is reused (its client then starts over
 * with a full bucket: the table errs on the side of allowing). */
void sathd_rl_local_check(sathd_rl_local *l, const void *key, size_t len, const sathd_rate *rate,
                          int64_t now_us, sathd_rl_result *out);

/* The table as a plain map of keys to times (microseconds): get answers 0 for a key it
 * does not hold (or no longer: the least recently due entries make room), set stores. */
int64_t sathd_rl_local_get(sathd_rl_local *l, const void *key, size_t len);
void sathd_rl_local_set(sathd_rl_local *l, const void *key, size_t len, int64_t value);

/* Concurrency cap per key (client IP for password hashing): at most `max` holders per
 * key at once.  acquire returns 0, or -1 when the key already has `max`.  Thread-safe. */
typedef struct sathd_rl_conc sathd_rl_conc;
sathd_rl_conc *sathd_rl_conc_new(unsigned max);
void sathd_rl_conc_free(sathd_rl_conc *c);
int sathd_rl_conc_acquire(sathd_rl_conc *c, const char *key);
void sathd_rl_conc_release(sathd_rl_conc *c, const char *key);

/* ---- client address ------------------------------------------------------------- */

/* A list of trusted proxy networks (SATH_TRUSTED_PROXIES: comma-separated addresses or
 * CIDRs, IPv4 or IPv6). */
typedef struct sathd_cidr_list sathd_cidr_list;
/* Parses `s` (NULL or "" = empty list).  NULL with a reason in err on a bad entry. */
sathd_cidr_list *sathd_cidr_list_parse(const char *s, char *err, size_t errlen);
void sathd_cidr_list_free(sathd_cidr_list *l);
/* 1 when the textual address `ip` is in the list. */
int sathd_cidr_list_contains(const sathd_cidr_list *l, const char *ip);

/* The client's address as text in out (>= 64 bytes): the peer's address (from
 * "ipv4:1.2.3.4:5678", "ipv6:[::1]:5678" or "ipv6:%5B::1%5D:5678"), unless the peer is a
 * trusted proxy: then the right-most address of X-Forwarded-For (`xff`, may be NULL) that
 * is not itself a trusted proxy.  Anything unparsable yields the peer text as given
 * (a unix socket peer: "unix"). */
void sathd_client_ip(const char *peer, const char *xff, const sathd_cidr_list *trusted,
                     char *out, size_t outlen);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_RATELIMIT_H */
