/*
 * addrmap.h -- a hash map from object addresses to 64-bit values, in C memory.
 *
 * Open addressing with linear probing and backward-shift deletion; address 0
 * marks an empty slot.  Key and value share a 16-byte slot, so a lookup costs
 * one cache miss, and hs_addrmap_prefetch lets a loop start that miss a few
 * iterations ahead.  Used for owners of dicts and cells (accum.c), creation
 * serials (identity.c) and record lookups between snapshots (snapshot.c).
 * It never touches Python objects, so it can be used during a walk and from a
 * reference tracer.
 */
#ifndef HS_ADDRMAP_H
#define HS_ADDRMAP_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uintptr_t key;
    uint64_t val;
} hs_addrslot;

typedef struct {
    hs_addrslot *slots;
    size_t mask, used, bytes;
} hs_addrmap;

/* Room for n entries without growing; 0 or -1 on out-of-memory. */
int hs_addrmap_reserve(hs_addrmap *m, size_t n);
/* Set key -> val (replacing); 0 or -1 on out-of-memory. */
int hs_addrmap_put(hs_addrmap *m, uintptr_t key, uint64_t val);
/* Insert only if absent; 0 or -1 on out-of-memory. */
int hs_addrmap_add(hs_addrmap *m, uintptr_t key, uint64_t val);
void hs_addrmap_del(hs_addrmap *m, uintptr_t key);
void hs_addrmap_free(hs_addrmap *m);

static inline size_t hs_addrmap_hash(uintptr_t a)
{
    a = (a >> 4) * 0x9E3779B97F4A7C15ULL;
    return (size_t)(a ^ (a >> 29));
}

static inline void hs_addrmap_prefetch(const hs_addrmap *m, uintptr_t key)
{
    if (m->slots)
        __builtin_prefetch(&m->slots[hs_addrmap_hash(key) & m->mask]);
}

/* 1 and *val set when key is present, else 0. */
static inline int hs_addrmap_get(const hs_addrmap *m, uintptr_t key, uint64_t *val)
{
    if (!m->slots)
        return 0;
    for (size_t j = hs_addrmap_hash(key) & m->mask;; j = (j + 1) & m->mask) {
        uintptr_t k = m->slots[j].key;
        if (k == key) {
            *val = m->slots[j].val;
            return 1;
        }
        if (k == 0)
            return 0;
    }
}

#endif
