/*
 * plans_cache.c - see sathd/plans.h.
 *
 * Invariant: `plans` is a private malloc'd copy owned by the cache and replaced only
 * under `lock`; callers copy what they need into their call arena while holding the
 * lock, so no response ever points into memory the cache may free.
 */
#include "sathd/plans.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "sathd/app.h"
#include "sathd/svc.h"

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

typedef struct plan_entry {
    char *id, *name, *currency, *price_monthly, *price_yearly;
    int64_t monthly, yearly, max_capital;
    int32_t max_symbols;
    int live_trading;
    char **features;
    size_t n_features;
} plan_entry;

struct sathd_plans_cache {
    pthread_mutex_t lock;
    int64_t ttl_ms;
    int64_t loaded_at_ms; /* monotonic; 0 = never loaded */
    plan_entry *plans;
    size_t n_plans;
};

static const sathd_pg_stmt st_plans = {
    "plans_list",
    "SELECT id, name, price_monthly_cents, price_yearly_cents, currency, max_symbols, "
    "max_capital_cents, array_to_json(features)::text, live_trading, "
    "coalesce(stripe_price_monthly, ''), coalesce(stripe_price_yearly, '') FROM plans WHERE is_active "
    "ORDER BY price_monthly_cents, sort_order, name",
    0};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void free_entries(plan_entry *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].id), free(p[i].name), free(p[i].currency);
        free(p[i].price_monthly), free(p[i].price_yearly);
        for (size_t j = 0; j < p[i].n_features; j++)
            free(p[i].features[j]);
        free(p[i].features);
    }
    free(p);
}

sathd_plans_cache *sathd_plans_cache_new(int64_t ttl_ms)
{
    sathd_plans_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->ttl_ms = ttl_ms;
    return c;
}

void sathd_plans_cache_free(sathd_plans_cache *c)
{
    if (!c)
        return;
    free_entries(c->plans, c->n_plans);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static int parse_features(const char *text, plan_entry *e)
{
    json_t *arr = json_loads(text, 0, NULL);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return -1;
    }
    e->n_features = json_array_size(arr);
    e->features = calloc(e->n_features ? e->n_features : 1, sizeof *e->features);
    int rc = e->features ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < e->n_features; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (!s || !(e->features[i] = strdup(s)))
            rc = -1;
    }
    json_decref(arr);
    return rc;
}

/* Reads the table into a new entry array; replaces the cached one on success. */
static int reload(sathd_plans_cache *c, sathd_call *call)
{
    const PGresult *res = NULL;
    int rc = sathd_svc_pg_query1(call, &st_plans, NULL, &res);
    if (rc != SATHD_OK)
        return rc;
    size_t n = (size_t)PQntuples(res);
    plan_entry *p = calloc(n ? n : 1, sizeof *p);
    int bad = p == NULL;
    for (size_t i = 0; !bad && i < n; i++) {
        int r = (int)i;
        p[i].id = strdup(PQgetvalue(res, r, 0));
        p[i].name = strdup(PQgetvalue(res, r, 1));
        p[i].monthly = strtoll(PQgetvalue(res, r, 2), NULL, 10);
        p[i].yearly = strtoll(PQgetvalue(res, r, 3), NULL, 10);
        p[i].currency = strdup(PQgetvalue(res, r, 4));
        p[i].max_symbols = (int32_t)strtol(PQgetvalue(res, r, 5), NULL, 10);
        p[i].max_capital = strtoll(PQgetvalue(res, r, 6), NULL, 10);
        p[i].live_trading = PQgetvalue(res, r, 8)[0] == 't';
        p[i].price_monthly = strdup(PQgetvalue(res, r, 9));
        p[i].price_yearly = strdup(PQgetvalue(res, r, 10));
        bad = !p[i].id || !p[i].name || !p[i].currency || !p[i].price_monthly || !p[i].price_yearly ||
              parse_features(PQgetvalue(res, r, 7), &p[i]);
    }
    if (bad) {
        free_entries(p, n);
        return sathd_call_error(call, SATHD_INTERNAL, "loading plans failed");
    }
    free_entries(c->plans, c->n_plans);
    c->plans = p;
    c->n_plans = n;
    c->loaded_at_ms = now_ms();
    return SATHD_OK;
}

static Sath__V1__Money *money(sathd_call *call, int64_t cents, const char *currency)
{
    Sath__V1__Money *m = sathd_call_alloc(call, sizeof *m);
    if (m) {
        sath__v1__money__init(m);
        m->cents = cents;
        m->currency = sathd_call_strdup(call, currency);
    }
    return m;
}

static void to_info(const plan_entry *e, sathd_plan_info *out);

static Sath__V1__Plan *copy_plan(sathd_call *call, const plan_entry *e)
{
    sathd_plan_info info;
    to_info(e, &info);
    Sath__V1__Plan *p = sathd_plans_to_proto(call, &info);
    if (!p || !(p->features = sathd_call_alloc(call, (e->n_features + 1) * sizeof *p->features)))
        return NULL;
    for (size_t i = 0; i < e->n_features; i++)
        if (!(p->features[i] = sathd_call_strdup(call, e->features[i])))
            return NULL;
    p->n_features = e->n_features;
    return p;
}

/* Takes the lock and makes the cached copy fresh; on failure the lock is released. */
static int lock_fresh(sathd_plans_cache *c, sathd_call *call)
{
    pthread_mutex_lock(&c->lock);
    int rc = SATHD_OK;
    if (c->loaded_at_ms == 0 || c->ttl_ms == 0 || now_ms() - c->loaded_at_ms >= c->ttl_ms)
        rc = reload(c, call);
    if (rc != SATHD_OK)
        pthread_mutex_unlock(&c->lock);
    return rc;
}

static void to_info(const plan_entry *e, sathd_plan_info *out)
{
    memset(out, 0, sizeof *out);
    COPY(out->id, e->id);
    COPY(out->name, e->name);
    COPY(out->currency, e->currency);
    COPY(out->price_monthly, e->price_monthly);
    COPY(out->price_yearly, e->price_yearly);
    out->monthly_cents = e->monthly;
    out->yearly_cents = e->yearly;
    out->max_symbols = e->max_symbols;
    out->max_capital_cents = e->max_capital;
    out->live_trading = e->live_trading;
}

int sathd_plans_find(sathd_plans_cache *c, sathd_call *call, const char *key, sathd_plan_info *out)
{
    int rc = lock_fresh(c, call);
    if (rc != SATHD_OK)
        return rc;
    const plan_entry *hit = NULL;
    for (size_t i = 0; !hit && key && i < c->n_plans; i++)
        if (strcmp(c->plans[i].name, key) == 0 || strcasecmp(c->plans[i].id, key) == 0)
            hit = &c->plans[i];
    if (hit)
        to_info(hit, out);
    pthread_mutex_unlock(&c->lock);
    return hit ? SATHD_OK : sathd_call_error(call, SATHD_NOT_FOUND, "no such plan");
}

int sathd_plans_find_price(sathd_plans_cache *c, sathd_call *call, const char *price_id,
                           sathd_plan_info *out, int *yearly)
{
    int rc = lock_fresh(c, call);
    if (rc != SATHD_OK)
        return rc;
    const plan_entry *hit = NULL;
    for (size_t i = 0; !hit && price_id && *price_id && i < c->n_plans; i++) {
        if (strcmp(c->plans[i].price_monthly, price_id) == 0)
            hit = &c->plans[i], *yearly = 0;
        else if (strcmp(c->plans[i].price_yearly, price_id) == 0)
            hit = &c->plans[i], *yearly = 1;
    }
    if (hit)
        to_info(hit, out);
    pthread_mutex_unlock(&c->lock);
    return hit ? SATHD_OK : sathd_call_error(call, SATHD_NOT_FOUND, "no plan sold at that price");
}

void sathd_plans_cache_invalidate(sathd_plans_cache *c)
{
    pthread_mutex_lock(&c->lock);
    c->loaded_at_ms = 0;
    pthread_mutex_unlock(&c->lock);
}

Sath__V1__Plan *sathd_plans_to_proto(sathd_call *call, const sathd_plan_info *e)
{
    Sath__V1__Plan *p = sathd_call_alloc(call, sizeof *p);
    if (!p)
        return NULL;
    sath__v1__plan__init(p);
    p->id = sathd_call_strdup(call, e->id);
    p->name = sathd_call_strdup(call, e->name);
    p->price_monthly = money(call, e->monthly_cents, e->currency);
    p->price_yearly = money(call, e->yearly_cents, e->currency);
    p->max_symbols = e->max_symbols;
    p->max_capital = money(call, e->max_capital_cents, e->currency);
    p->live_trading = e->live_trading;
    if (!p->id || !p->name || !p->price_monthly || !p->price_yearly || !p->max_capital)
        return NULL;
    return p;
}

int sathd_plans_cache_list(sathd_plans_cache *c, sathd_call *call, Sath__V1__ListPlansResponse *resp)
{
    int rc = lock_fresh(c, call);
    if (rc != SATHD_OK)
        return rc;
    resp->plans = sathd_call_alloc(call, (c->n_plans + 1) * sizeof *resp->plans);
    for (size_t i = 0; resp->plans && i < c->n_plans; i++)
        if (!(resp->plans[i] = copy_plan(call, &c->plans[i])))
            resp->plans = NULL;
    if (resp->plans)
        resp->n_plans = c->n_plans;
    else
        rc = sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    pthread_mutex_unlock(&c->lock);
    return rc;
}
