/*
 * bigmem.c -- large arrays in their own pages (see bigmem.h).
 */
#define _GNU_SOURCE
#include "bigmem.h"
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_AT (4u << 20) /* ask for huge pages from this size on */

static size_t page_round(size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return (n + pg - 1) & ~(pg - 1);
}

void *hs_big_alloc(size_t n, size_t *cap)
{
    size_t sz = page_round(n ? n : 1);
    void *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    if (sz >= HUGE_AT)
        madvise(p, sz, MADV_HUGEPAGE);
#endif
    *cap = sz;
    return p;
}

void *hs_big_resize(void *p, size_t *cap, size_t n)
{
    size_t sz = page_round(n ? n : 1);
    if (sz == *cap)
        return p;
    void *q = mremap(p, *cap, sz, MREMAP_MAYMOVE);
    if (q == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    if (sz > *cap && sz >= HUGE_AT)
        madvise(q, sz, MADV_HUGEPAGE);
#endif
    *cap = sz;
    return q;
}

void hs_big_free(void *p, size_t cap)
{
    if (p)
        munmap(p, cap);
}
