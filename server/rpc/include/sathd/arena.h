/*
 * arena.h - per-call bump allocator (in the style of nginx's ngx_pool / h2o's mem pool).
 *
 * Memory comes from chunks carved front to back; requests larger than a quarter of a
 * chunk get their own block.  Nothing is freed individually: sathd_arena_reset() drops
 * everything but the first chunk (so a worker reuses one arena for all its calls without
 * touching malloc in the steady state) and sathd_arena_free() releases it all.
 * An arena belongs to one thread at a time.
 */
#ifndef SATHD_ARENA_H
#define SATHD_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sathd_arena sathd_arena;

/* New arena whose chunks hold `chunk_size` bytes (0: 16 KiB).  Free with
 * sathd_arena_free().  NULL when out of memory. */
sathd_arena *sathd_arena_new(size_t chunk_size);
/* Releases the arena and everything allocated from it.  NULL is allowed. */
void sathd_arena_free(sathd_arena *a);
/* Forgets every allocation; keeps the first chunk for reuse. */
void sathd_arena_reset(sathd_arena *a);
/* `size` bytes aligned for any type, uninitialised; NULL when out of memory.
 * Valid until the next reset/free. */
void *sathd_arena_alloc(sathd_arena *a, size_t size);
/* Same, zero-filled. */
void *sathd_arena_calloc(sathd_arena *a, size_t size);
/* Bytes handed out since the last reset (for tests and metrics). */
size_t sathd_arena_used(const sathd_arena *a);
/* A protobuf-c allocator drawing from `a` (its free is a no-op).  The pointer stays
 * valid as long as the arena; it is owned by the arena. */
ProtobufCAllocator *sathd_arena_allocator(sathd_arena *a);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_ARENA_H */
