/*
 * arena.c - chunked bump allocator for everything one call allocates.
 *
 * Layout: the arena header and its first chunk are one malloc block, so a fresh arena
 * costs one allocation and a reset arena none.  Further chunks are chained behind the
 * first; large requests (> chunk/4) get a block of their own on the `large` list so they
 * do not waste the rest of a chunk.  Invariant: `cur` is the chunk being carved and
 * every chunk before it in the chain is considered full.
 */
#include "sathd/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN alignof(max_align_t)
#define ARENA_DEFAULT_CHUNK (16u * 1024u)

typedef struct chunk {
    struct chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    alignas(max_align_t) unsigned char data[];
} chunk;

typedef struct large {
    struct large *next;
    alignas(max_align_t) unsigned char data[];
} large;

struct sathd_arena {
    chunk *cur;
    large *large;
    size_t chunk_size;
    size_t used_total;
    ProtobufCAllocator pb;
    chunk *first; /* lives in the same block, right after this header */
};

static size_t align_up(size_t n) { return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1); }

static void *pb_alloc(void *ud, size_t size) { return sathd_arena_alloc(ud, size); }
static void pb_free(void *ud, void *p)
{
    (void)ud;
    (void)p; /* released with the arena */
}

sathd_arena *sathd_arena_new(size_t chunk_size)
{
    if (chunk_size == 0)
        chunk_size = ARENA_DEFAULT_CHUNK;
    chunk_size = align_up(chunk_size);
    size_t head = align_up(sizeof(sathd_arena));
    sathd_arena *a = malloc(head + sizeof(chunk) + chunk_size);
    if (!a)
        return NULL;
    a->first = (chunk *)(void *)((unsigned char *)a + head);
    a->cur = a->first;
    a->large = NULL;
    a->chunk_size = chunk_size;
    a->used_total = 0;
    a->first->next = NULL;
    a->first->size = chunk_size;
    a->first->used = 0;
    a->pb.alloc = pb_alloc;
    a->pb.free = pb_free;
    a->pb.allocator_data = a;
    return a;
}

static void free_extra(sathd_arena *a)
{
    for (chunk *c = a->first->next, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    for (large *l = a->large, *n; l; l = n) {
        n = l->next;
        free(l);
    }
    a->first->next = NULL;
    a->large = NULL;
}

void sathd_arena_free(sathd_arena *a)
{
    if (!a)
        return;
    free_extra(a);
    free(a);
}

void sathd_arena_reset(sathd_arena *a)
{
    free_extra(a);
    a->cur = a->first;
    a->first->used = 0;
    a->used_total = 0;
}

void *sathd_arena_alloc(sathd_arena *a, size_t size)
{
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX / 2)
        return NULL;
    size_t need = align_up(size);
    if (need > a->chunk_size / 4) {
        large *l = malloc(sizeof *l + need);
        if (!l)
            return NULL;
        l->next = a->large;
        a->large = l;
        a->used_total += need;
        return l->data;
    }
    chunk *c = a->cur;
    if (c->size - c->used < need) {
        chunk *n = malloc(sizeof *n + a->chunk_size);
        if (!n)
            return NULL;
        n->next = NULL;
        n->size = a->chunk_size;
        n->used = 0;
        c->next = n;
        a->cur = c = n;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used_total += need;
    return p;
}

void *sathd_arena_calloc(sathd_arena *a, size_t size)
{
    void *p = sathd_arena_alloc(a, size);
    if (p)
        memset(p, 0, size);
    return p;
}

size_t sathd_arena_used(const sathd_arena *a) { return a->used_total; }

ProtobufCAllocator *sathd_arena_allocator(sathd_arena *a) { return &a->pb; }
