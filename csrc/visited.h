/*
 * visited.h -- the "seen" set of a heap walk.
 *
 * Owns the one-bit-per-16-bytes bitmap over the user address space (a sparse
 * MAP_NORESERVE reservation, pages appear only where objects live) and a
 * pointer hash set used when the reservation cannot be made.  Nothing here
 * allocates Python objects.
 */
#ifndef HS_VISITED_H
#define HS_VISITED_H
#include <stdint.h>
#include <stddef.h>

typedef struct {
    uint64_t *bits;        /* bitmap, or NULL when using the hash set      */
    uintptr_t *slots;      /* hash set of addresses (0 = empty)            */
    size_t mask;           /* hash capacity - 1                            */
    size_t used;
    size_t touched_lo, touched_hi;  /* bitmap word range touched this walk */
} hs_visited;

/* Prepare for one walk. Returns 0, or -1 with errno-style failure (out of memory). */
int hs_visited_begin(hs_visited *v);
/* Forget every address and give the touched memory back. */
void hs_visited_end(hs_visited *v);
/* Slow path of hs_visited_test_and_set: the hash set. */
int hs_visited_hash_test_and_set(hs_visited *v, uintptr_t addr);

#define HS_ADDR_BITS 47
#define HS_GRANULE_SHIFT 4

/* Mark addr; returns 1 if it was already marked, 0 if newly marked, -1 on OOM. */
static inline int hs_visited_test_and_set(hs_visited *v, const void *addr)
{
    uintptr_t a = (uintptr_t)addr;
    if (v->bits && (a >> HS_ADDR_BITS) == 0) {
        uintptr_t g = a >> HS_GRANULE_SHIFT;
        size_t w = g >> 6;
        uint64_t m = (uint64_t)1 << (g & 63);
        uint64_t old = v->bits[w];
        if (old & m)
            return 1;
        v->bits[w] = old | m;
        if (old == 0) { /* a word's first bit: the touched range may grow */
            if (w < v->touched_lo)
                v->touched_lo = w;
            if (w > v->touched_hi)
                v->touched_hi = w;
        }
        return 0;
    }
    return hs_visited_hash_test_and_set(v, a);
}

/* Slow paths of hs_visited_test and hs_visited_clear: the hash set. */
int hs_visited_hash_test(const hs_visited *v, uintptr_t addr);
void hs_visited_hash_clear(hs_visited *v, uintptr_t addr);

/* Whether addr is marked (never allocates). */
static inline int hs_visited_test(const hs_visited *v, const void *addr)
{
    uintptr_t a = (uintptr_t)addr;
    if (v->bits && (a >> HS_ADDR_BITS) == 0) {
        uintptr_t g = a >> HS_GRANULE_SHIFT;
        return (int)((v->bits[g >> 6] >> (g & 63)) & 1);
    }
    return hs_visited_hash_test(v, a);
}

/* Unmark addr (a no-op when it is not marked). */
static inline void hs_visited_clear(hs_visited *v, const void *addr)
{
    uintptr_t a = (uintptr_t)addr;
    if (v->bits && (a >> HS_ADDR_BITS) == 0) {
        uintptr_t g = a >> HS_GRANULE_SHIFT;
        v->bits[g >> 6] &= ~((uint64_t)1 << (g & 63));
        return;
    }
    hs_visited_hash_clear(v, a);
}

#endif
