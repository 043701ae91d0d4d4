/*
 * nodemap.h -- object address -> node number, for building a graph.
 *
 * Two levels instead of one big hash: the address space is cut into 16 KiB
 * windows (a pymalloc pool in 3.10+); every window holding an object gets a
 * page of 1024 four-byte slots, one per 16 bytes of address (two objects,
 * each at least 16 bytes and not overlapping, never share one: so the map
 * answers for addresses of objects, the only ones ever asked), and a small
 * hash (addrmap.h) maps windows to pages.  A child is usually close to its
 * parent in memory, so the lookups of one object's references mostly touch
 * one page that is already in cache, and the window hash is small enough to
 * stay there; a big hash of every address misses the cache on nearly every
 * lookup.  Memory: 4 bytes per 16 bytes of the windows that hold objects
 * (a quarter of a heap of small objects), plus the window hash.
 * Never touches a Python object: addresses are only compared.
 */
#ifndef HS_NODEMAP_H
#define HS_NODEMAP_H
#include "addrmap.h"

#define HS_NODEMAP_WINDOW_BITS 14
#define HS_NODEMAP_SLOTS (1u << (HS_NODEMAP_WINDOW_BITS - 4))

typedef struct {
    hs_addrmap windows;   /* window address -> page number */
    uint32_t *pages;      /* npages * HS_NODEMAP_SLOTS slots: node + 1, 0 = none */
    size_t npages, bytes;
    uintptr_t last_win;   /* the last window looked up, and its page */
    uint32_t *last_page;
} hs_nodemap;

/* Build the map of addrs[i * stride] -> i for i < n (n < 2^32 - 1); 0 or -1 on OOM. */
int hs_nodemap_build(hs_nodemap *m, const uintptr_t *addrs, size_t stride, size_t n);
void hs_nodemap_free(hs_nodemap *m);

/* 1 and *node set when addr is one of the addresses, else 0. */
static inline int hs_nodemap_get(hs_nodemap *m, uintptr_t addr, uint64_t *node)
{
    uintptr_t win = addr >> HS_NODEMAP_WINDOW_BITS;
    uint32_t *page = m->last_page;
    if (win != m->last_win || !page) {
        uint64_t p;
        if (!hs_addrmap_get(&m->windows, (win << HS_NODEMAP_WINDOW_BITS) | 1, &p))
            return 0;
        page = m->pages + (size_t)p * HS_NODEMAP_SLOTS;
        m->last_win = win;
        m->last_page = page;
    }
    uint32_t v = page[(addr >> 4) & (HS_NODEMAP_SLOTS - 1)];
    if (!v)
        return 0;
    *node = v - 1;
    return 1;
}

#endif
