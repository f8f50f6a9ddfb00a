/*
 * ratelimit.c - GCRA in Redis and in process, and the per-key concurrency cap; see
 * sathd/ratelimit.h.  The client-address part is clientip.c.
 *
 * GCRA keeps per key one time, the TAT (theoretical arrival time).  A request at `now`
 * with emission interval T and tolerance tau (here tau = the window, so the bucket holds
 * COUNT requests) is allowed when max(TAT, now) + T - tau <= now; then TAT becomes
 * max(TAT, now) + T.  Refused, it must wait max(TAT, now) + T - tau - now.  Requests left:
 * floor((tau - (TAT - now)) / T).  The quota is whole again at TAT.
 */
#include "sathd/ratelimit.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

int sathd_rate_parse(const char *s, sathd_rate *out)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (errno || end == s || *end != '/' || n < 1 || n > 1000000000LL)
        return -1;
    const char *p = end + 1;
    long long w = strtoll(p, &end, 10);
    if (errno || end == p || *end || w < 1 || w > 86400LL * 7 || *s == ' ' || *p == ' ' ||
        *s == '+' || *p == '+')
        return -1;
    out->count = n;
    out->period_s = w;
    return 0;
}

/* ---- Redis ---------------------------------------------------------------------- */

/* KEYS[i]: bucket i.  ARGV[2i-1]: emission interval, ARGV[2i]: tolerance, both in
 * microseconds.  Returns {allowed, deciding index (0-based), remaining, reset_us,
 * retry_us}.  Redis's TIME is the clock, so every sathd agrees on it. */
static const char lua_gcra[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "local tats, worst, wait = {}, 0, 0\n"
    "for i = 1, #KEYS do\n"
    "  local T, tau = tonumber(ARGV[2*i-1]), tonumber(ARGV[2*i])\n"
    "  local tat = tonumber(redis.call('GET', KEYS[i])) or now\n"
    "  if tat < now then tat = now end\n"
    "  local w = tat + T - tau - now\n"
    "  if w > wait then worst, wait = i, w end\n"
    "  tats[i] = tat + T\n"
    "end\n"
    "if worst > 0 then\n"
    "  return {0, worst - 1, 0, tats[worst] - ARGV[2*worst-1] - now, wait}\n"
    "end\n"
    "local best, rem, reset = 1, -1, 0\n"
    "for i = 1, #KEYS do\n"
    "  local T, tau = tonumber(ARGV[2*i-1]), tonumber(ARGV[2*i])\n"
    "  local ttl = tats[i] - now\n"
    "  redis.call('SET', KEYS[i], string.format('%.0f', tats[i]), 'PX', math.ceil(ttl / 1000))\n"
    "  local r = math.floor((tau - ttl) / T)\n"
    "  if rem < 0 or r < rem then best, rem, reset = i, r, ttl end\n"
    "end\n"
    "return {1, best - 1, rem, reset, 0}\n";

#define RL_MAX_KEYS 4

static void rate_us(const sathd_rate *r, long long *T, long long *tau)
{
    *tau = (long long)r->period_s * 1000000LL;
    *T = *tau / (long long)r->count;
    if (*T < 1)
        *T = 1;
}

int sathd_rl_redis_check(redisContext *c, const char *const *keys, const sathd_rate *rates,
                         size_t n, sathd_rl_result *out)
{
    if (!c || n == 0 || n > RL_MAX_KEYS)
        return -1;
    const char *argv[3 + 3 * RL_MAX_KEYS];
    size_t argl[3 + 3 * RL_MAX_KEYS];
    char nbuf[8], num[2 * RL_MAX_KEYS][24];
    size_t k = 0;
    snprintf(nbuf, sizeof nbuf, "%zu", n);
    argv[k++] = "EVAL";
    argv[k++] = lua_gcra;
    argv[k++] = nbuf;
    for (size_t i = 0; i < n; i++)
        argv[k++] = keys[i];
    for (size_t i = 0; i < n; i++) {
        long long T, tau;
        rate_us(&rates[i], &T, &tau);
        snprintf(num[2 * i], sizeof num[0], "%lld", T);
        snprintf(num[2 * i + 1], sizeof num[0], "%lld", tau);
        argv[k++] = num[2 * i];
        argv[k++] = num[2 * i + 1];
    }
    for (size_t i = 0; i < k; i++)
        argl[i] = strlen(argv[i]);
    redisReply *r = redisCommandArgv(c, (int)k, argv, argl);
    int rc = -1;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 5) {
        long long v[5];
        rc = 0;
        for (size_t i = 0; i < 5; i++) {
            if (r->element[i]->type != REDIS_REPLY_INTEGER)
                rc = -1;
            else
                v[i] = r->element[i]->integer;
        }
        if (rc == 0 && v[1] >= 0 && (size_t)v[1] < n) {
            out->allowed = v[0] == 1;
            out->which = (size_t)v[1];
            out->remaining = v[2] < 0 ? 0 : v[2];
            out->reset_ms = v[3] < 0 ? 0 : (v[3] + 999) / 1000;
            out->retry_after_ms = out->allowed ? 0 : (v[4] + 999) / 1000;
        } else {
            rc = -1;
        }
    }
    if (r)
        freeReplyObject(r);
    return rc;
}

/* ---- in process ----------------------------------------------------------------- */

#define SHARDS 16
#define PROBE 8

typedef struct bucket {
    uint64_t h;  /* 0 = empty */
    int64_t tat; /* microseconds, monotonic */
} bucket;

typedef struct shard {
    pthread_mutex_t mu;
    bucket *b;
} shard;

struct sathd_rl_local {
    unsigned char key[crypto_shorthash_KEYBYTES]; /* SipHash key: no crafted collisions */
    size_t per_shard;
    shard shards[SHARDS];
};

sathd_rl_local *sathd_rl_local_new(size_t buckets)
{
    sathd_rl_local *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    crypto_shorthash_keygen(l->key);
    l->per_shard = (buckets + SHARDS - 1) / SHARDS;
    if (l->per_shard < PROBE)
        l->per_shard = PROBE;
    for (size_t i = 0; i < SHARDS; i++) {
        pthread_mutex_init(&l->shards[i].mu, NULL);
        if (!(l->shards[i].b = calloc(l->per_shard, sizeof(bucket)))) {
            sathd_rl_local_free(l);
            return NULL;
        }
    }
    return l;
}

void sathd_rl_local_free(sathd_rl_local *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < SHARDS; i++) {
        free(l->shards[i].b);
        pthread_mutex_destroy(&l->shards[i].mu);
    }
    free(l);
}

/* The bucket of `key`, its shard locked (the caller unlocks *sh).  Without `create`, NULL
 * when the key has none; with it, a new bucket (value `now_us`) in an empty slot or in
 * the one idle longest. */
static bucket *find_bucket(sathd_rl_local *l, const void *key, size_t len, int64_t now_us,
                           int create, shard **sh)
{
    unsigned char hb[crypto_shorthash_BYTES];
    crypto_shorthash(hb, key, len, l->key);
    uint64_t h;
    memcpy(&h, hb, sizeof h);
    h |= 1; /* never 0 (empty) */
    shard *s = *sh = &l->shards[(h >> 56) % SHARDS];
    size_t base = (size_t)((h >> 8) % l->per_shard);
    pthread_mutex_lock(&s->mu);
    bucket *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        bucket *b = &s->b[(base + i) % l->per_shard];
        if (b->h == h)
            return b;
        if (!victim || (victim->h != 0 && (b->h == 0 || b->tat < victim->tat)))
            victim = b; /* an empty bucket, else the one idle longest */
    }
    if (!create)
        return NULL;
    victim->h = h;
    victim->tat = now_us;
    return victim;
}

void sathd_rl_local_check(sathd_rl_local *l, const void *key, size_t len, const sathd_rate *rate,
                          int64_t now_us, sathd_rl_result *out)
{
    long long T, tau;
    rate_us(rate, &T, &tau);
    shard *s;
    bucket *hit = find_bucket(l, key, len, now_us, 1, &s);
    int64_t tat = hit->tat < now_us ? now_us : hit->tat;
    int64_t wait = tat + T - tau - now_us;
    out->which = 0;
    if (wait > 0) {
        out->allowed = 0;
        out->remaining = 0;
        out->reset_ms = (tat - now_us + 999) / 1000;
        out->retry_after_ms = (wait + 999) / 1000;
    } else {
        hit->tat = tat + T;
        out->allowed = 1;
        out->remaining = (tau - (hit->tat - now_us)) / T;
        out->reset_ms = (hit->tat - now_us + 999) / 1000;
        out->retry_after_ms = 0;
    }
    pthread_mutex_unlock(&s->mu);
}

int64_t sathd_rl_local_get(sathd_rl_local *l, const void *key, size_t len)
{
    shard *s;
    bucket *b = find_bucket(l, key, len, 0, 0, &s);
    int64_t v = b ? b->tat : 0;
    pthread_mutex_unlock(&s->mu);
    return v;
}

void sathd_rl_local_set(sathd_rl_local *l, const void *key, size_t len, int64_t value)
{
    shard *s;
    bucket *b = find_bucket(l, key, len, value, 1, &s);
    b->tat = value;
    pthread_mutex_unlock(&s->mu);
}

/* ---- concurrency per key ----------------------------------------------------------- */

#define CONC_SLOTS 4096
#define CONC_PROBE 16

struct sathd_rl_conc {
    pthread_mutex_t mu;
    unsigned max;
    unsigned char key[crypto_shorthash_KEYBYTES];
    struct { uint64_t h; unsigned n; } slot[CONC_SLOTS];
};

sathd_rl_conc *sathd_rl_conc_new(unsigned max)
{
    sathd_rl_conc *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->mu, NULL);
    c->max = max;
    crypto_shorthash_keygen(c->key);
    return c;
}

void sathd_rl_conc_free(sathd_rl_conc *c)
{
    if (c) {
        pthread_mutex_destroy(&c->mu);
        free(c);
    }
}

static uint64_t conc_hash(const sathd_rl_conc *c, const char *key)
{
    unsigned char hb[crypto_shorthash_BYTES];
    crypto_shorthash(hb, (const unsigned char *)key, strlen(key), c->key);
    uint64_t h;
    memcpy(&h, hb, sizeof h);
    return h | 1;
}

int sathd_rl_conc_acquire(sathd_rl_conc *c, const char *key)
{
    uint64_t h = conc_hash(c, key);
    int rc = -1;
    pthread_mutex_lock(&c->mu);
    size_t free_at = CONC_SLOTS;
    for (size_t i = 0; i < CONC_PROBE; i++) {
        size_t at = (size_t)((h + i) % CONC_SLOTS);
        if (c->slot[at].h == h && c->slot[at].n > 0) {
            free_at = at;
            break;
        }
        if (c->slot[at].n == 0 && free_at == CONC_SLOTS)
            free_at = at;
    }
    /* No slot at all: as many distinct clients are hashing as the table holds; refusing
     * one more is the bound working, not a failure. */
    if (free_at < CONC_SLOTS && c->slot[free_at].n < c->max) {
        c->slot[free_at].h = h;
        c->slot[free_at].n++;
        rc = 0;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void sathd_rl_conc_release(sathd_rl_conc *c, const char *key)
{
    uint64_t h = conc_hash(c, key);
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < CONC_PROBE; i++) {
        size_t at = (size_t)((h + i) % CONC_SLOTS);
        if (c->slot[at].h == h && c->slot[at].n > 0) {
            c->slot[at].n--;
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);
}
