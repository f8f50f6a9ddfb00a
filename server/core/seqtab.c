/*
 * seqtab.c - see sathd/seqtab.h.
 *
 * Slot i's words start at words[i * stride], stride = slot_words + 1, the first being
 * the sequence.  Ordering: the writer makes the sequence odd, then (release fence)
 * stores the words, then publishes the even sequence with release; the reader loads the
 * sequence with acquire, the words relaxed, then (acquire fence) the sequence again --
 * the classic seqlock in C11 atomics.
 */
#include "sathd/seqtab.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <sodium.h>

#define N_LOCKS 64

struct sathd_seqtab {
    pthread_mutex_t locks[N_LOCKS];
    size_t mask, stride;
    _Atomic uint64_t *words;
};

sathd_seqtab *sathd_seqtab_new(size_t slots, size_t max_slots, size_t slot_words)
{
    size_t n = 64;
    while (n < slots && n < max_slots)
        n <<= 1;
    sathd_seqtab *t = calloc(1, sizeof *t);
    if (!t || !(t->words = calloc(n * (slot_words + 1), sizeof *t->words))) {
        free(t);
        return NULL;
    }
    t->mask = n - 1;
    t->stride = slot_words + 1;
    for (int i = 0; i < N_LOCKS; i++)
        pthread_mutex_init(&t->locks[i], NULL);
    return t;
}

void sathd_seqtab_free(sathd_seqtab *t)
{
    if (!t)
        return;
    for (int i = 0; i < N_LOCKS; i++)
        pthread_mutex_destroy(&t->locks[i]);
    sodium_memzero((void *)t->words, (t->mask + 1) * t->stride * sizeof *t->words);
    free((void *)t->words);
    free(t);
}

size_t sathd_seqtab_mask(const sathd_seqtab *t) { return t->mask; }

int sathd_seqtab_read(const sathd_seqtab *t, size_t i, uint64_t *out, size_t words)
{
    const _Atomic uint64_t *s = t->words + i * t->stride;
    uint64_t before = atomic_load_explicit(&s[0], memory_order_acquire);
    if (before & 1)
        return 0;
    for (size_t w = 0; w < words && w + 1 < t->stride; w++)
        out[w] = atomic_load_explicit(&s[w + 1], memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&s[0], memory_order_relaxed) == before;
}

void sathd_seqtab_lock(sathd_seqtab *t, size_t i) { pthread_mutex_lock(&t->locks[i % N_LOCKS]); }

void sathd_seqtab_unlock(sathd_seqtab *t, size_t i)
{
    pthread_mutex_unlock(&t->locks[i % N_LOCKS]);
}

void sathd_seqtab_write(sathd_seqtab *t, size_t i, const uint64_t *in, size_t words)
{
    _Atomic uint64_t *s = t->words + i * t->stride;
    uint64_t seq = atomic_load_explicit(&s[0], memory_order_relaxed);
    atomic_store_explicit(&s[0], seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    for (size_t w = 0; w < words && w + 1 < t->stride; w++)
        atomic_store_explicit(&s[w + 1], in[w], memory_order_relaxed);
    atomic_store_explicit(&s[0], seq + 2, memory_order_release);
}
