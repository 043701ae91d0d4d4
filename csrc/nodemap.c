/*
 * nodemap.c -- object address -> node number (see nodemap.h).
 */
#include "nodemap.h"
#include "bigmem.h"
#include <string.h>

int hs_nodemap_build(hs_nodemap *m, const uintptr_t *addrs, size_t stride, size_t n)
{
    memset(m, 0, sizeof(*m));
    /* Pass 1: number the windows (keys get the low bit set: never 0). */
    uintptr_t last = 0;
    for (size_t i = 0; i < n; i++) {
        uintptr_t key = ((addrs[i * stride] >> HS_NODEMAP_WINDOW_BITS) << HS_NODEMAP_WINDOW_BITS) | 1;
        if (key == last)
            continue;
        last = key;
        size_t before = m->windows.used;
        if (hs_addrmap_add(&m->windows, key, m->npages) < 0)
            goto oom;
        m->npages += m->windows.used != before;
    }
    /* Pass 2: the pages (zeroed by mmap), then every node's slot. */
    m->pages = hs_big_alloc((m->npages ? m->npages : 1) * HS_NODEMAP_SLOTS * sizeof(uint32_t), &m->bytes);
    if (!m->pages)
        goto oom;
    m->last_win = UINTPTR_MAX;
    for (size_t i = 0; i < n; i++) {
        uintptr_t a = addrs[i * stride];
        uintptr_t win = a >> HS_NODEMAP_WINDOW_BITS;
        if (win != m->last_win) {
            uint64_t p = 0;
            hs_addrmap_get(&m->windows, (win << HS_NODEMAP_WINDOW_BITS) | 1, &p); /* present */
            m->last_win = win;
            m->last_page = m->pages + (size_t)p * HS_NODEMAP_SLOTS;
        }
        m->last_page[(a >> 4) & (HS_NODEMAP_SLOTS - 1)] = (uint32_t)(i + 1);
    }
    return 0;
oom:
    hs_nodemap_free(m);
    return -1;
}

void hs_nodemap_free(hs_nodemap *m)
{
    hs_addrmap_free(&m->windows);
    hs_big_free(m->pages, m->bytes);
    memset(m, 0, sizeof(*m));
}
