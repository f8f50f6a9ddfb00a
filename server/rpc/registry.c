/*
 * registry.c - the method table: gRPC path -> descriptor, handler, handler table.
 *
 * Entries are allocated one by one so their addresses never change (transports keep
 * pointers to them).  `by_path` is kept sorted by path for binary-search lookup;
 * `entries` keeps the order of addition, which is also the metrics index.
 * Invariant: after the server starts the registry is read-only, so readers need no lock.
 */
#include "sathd/rpc.h"

#include <stdlib.h>
#include <string.h>

struct sathd_registry {
    sathd_registry_entry **entries; /* order of addition */
    sathd_registry_entry **by_path; /* sorted by desc->path */
    size_t n, cap;
};

sathd_registry *sathd_registry_new(void) { return calloc(1, sizeof(sathd_registry)); }

void sathd_registry_free(sathd_registry *reg)
{
    if (!reg)
        return;
    for (size_t i = 0; i < reg->n; i++)
        free(reg->entries[i]);
    free(reg->entries);
    free(reg->by_path);
    free(reg);
}

/* strcmp between a NUL-terminated string and a counted one */
static int cmp_counted(const char *s, const char *p, size_t len)
{
    int c = strncmp(s, p, len);
    if (c)
        return c;
    return s[len] == '\0' ? 0 : 1;
}

/* index in by_path of the first entry whose path is >= (p, len) */
static size_t lower_bound(const sathd_registry *reg, const char *p, size_t len)
{
    size_t lo = 0, hi = reg->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_counted(reg->by_path[mid]->desc->path, p, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const sathd_registry_entry *sathd_registry_lookup(const sathd_registry *reg, const char *path,
                                                  size_t len)
{
    if (!reg || !path)
        return NULL;
    size_t i = lower_bound(reg, path, len);
    if (i < reg->n && cmp_counted(reg->by_path[i]->desc->path, path, len) == 0)
        return reg->by_path[i];
    return NULL;
}

static int add_entry(sathd_registry *reg, const sathd_method_desc *desc, sathd_unary_fn fn,
                     sathd_stream_handler_fn sfn, const void *impl)
{
    if (!reg || !desc || !desc->path || !desc->input || !desc->output)
        return -1;
    size_t len = strlen(desc->path);
    size_t pos = lower_bound(reg, desc->path, len);
    if (pos < reg->n && strcmp(reg->by_path[pos]->desc->path, desc->path) == 0)
        return -1;
    if (reg->n == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 32;
        sathd_registry_entry **e = realloc(reg->entries, cap * sizeof *e);
        if (!e)
            return -1;
        reg->entries = e;
        sathd_registry_entry **b = realloc(reg->by_path, cap * sizeof *b);
        if (!b)
            return -1;
        reg->by_path = b;
        reg->cap = cap;
    }
    sathd_registry_entry *ent = malloc(sizeof *ent);
    if (!ent)
        return -1;
    ent->desc = desc;
    ent->fn = fn;
    ent->stream_fn = sfn;
    ent->impl = impl;
    ent->index = reg->n;
    reg->entries[reg->n] = ent;
    memmove(reg->by_path + pos + 1, reg->by_path + pos, (reg->n - pos) * sizeof *reg->by_path);
    reg->by_path[pos] = ent;
    reg->n++;
    return 0;
}

int sathd_registry_add(sathd_registry *reg, const sathd_method_desc *desc, sathd_unary_fn fn,
                       const void *impl)
{
    if (desc && (desc->flags & SATHD_METHOD_SERVER_STREAMING))
        return -1;
    return add_entry(reg, desc, fn, NULL, impl);
}

int sathd_registry_add_stream(sathd_registry *reg, const sathd_method_desc *desc,
                              sathd_stream_handler_fn fn, const void *impl)
{
    if (!desc || !(desc->flags & SATHD_METHOD_SERVER_STREAMING))
        return -1;
    return add_entry(reg, desc, NULL, fn, impl);
}

size_t sathd_registry_count(const sathd_registry *reg) { return reg ? reg->n : 0; }

const sathd_registry_entry *sathd_registry_at(const sathd_registry *reg, size_t i)
{
    return reg && i < reg->n ? reg->entries[i] : NULL;
}

int sathd_registry_has_service(const sathd_registry *reg, const char *service)
{
    if (!reg || !service)
        return 0;
    for (size_t i = 0; i < reg->n; i++)
        if (reg->entries[i]->desc->service && strcmp(reg->entries[i]->desc->service, service) == 0)
            return 1;
    return 0;
}
