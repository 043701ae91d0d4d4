/*
 * visited.c -- the "seen" set of a heap walk (see visited.h).
 *
 * Objects are at least 16 bytes long, so two live objects never share a 16-byte
 * granule: one bit per granule of the 47-bit user address space is exact.  The
 * 1 TiB bitmap is reserved once with MAP_NORESERVE and only the pages under the
 * heap are ever touched (about 1/128 of the heap's span); after each walk they
 * are handed back with MADV_DONTNEED, so a warm walk costs well under a byte per
 * object.  Where the reservation fails (strict overcommit, address-space limits)
 * an open-addressing hash set of addresses takes over.
 */
#include "visited.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define ADDR_BITS HS_ADDR_BITS
#define GRANULE_SHIFT HS_GRANULE_SHIFT
#define NWORDS (((uintptr_t)1 << (ADDR_BITS - GRANULE_SHIFT)) / 64)

static uint64_t *bitmap;       /* process-wide reservation, reused by every walk */
static int bitmap_failed;

static uint64_t *reserve_bitmap(void)
{
    if (bitmap || bitmap_failed)
        return bitmap;
    if (getenv("HEAPSCOPE_NO_BITMAP")) {
        bitmap_failed = 1;
        return NULL;
    }
    void *p = mmap(NULL, NWORDS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        bitmap_failed = 1;
        return NULL;
    }
    bitmap = p;
    return bitmap;
}

static size_t hash_ptr(uintptr_t a)
{
    a >>= GRANULE_SHIFT;
    a ^= a >> 29;
    a *= 0xbf58476d1ce4e5b9ULL;
    a ^= a >> 32;
    return (size_t)a;
}

static int hash_grow(hs_visited *v)
{
    size_t ncap = v->slots ? (v->mask + 1) * 2 : 1 << 16;
    uintptr_t *ns = calloc(ncap, sizeof(uintptr_t));
    if (!ns)
        return -1;
    if (v->slots) {
        for (size_t i = 0; i <= v->mask; i++) {
            uintptr_t a = v->slots[i];
            if (!a)
                continue;
            size_t j = hash_ptr(a) & (ncap - 1);
            while (ns[j])
                j = (j + 1) & (ncap - 1);
            ns[j] = a;
        }
        free(v->slots);
    }
    v->slots = ns;
    v->mask = ncap - 1;
    return 0;
}

int hs_visited_begin(hs_visited *v)
{
    memset(v, 0, sizeof(*v));
    v->bits = reserve_bitmap();
    v->touched_lo = SIZE_MAX;
    v->touched_hi = 0;
    if (!v->bits)
        return hash_grow(v);
    return 0;
}

void hs_visited_end(hs_visited *v)
{
    if (v->bits && v->touched_lo <= v->touched_hi) {
        const uintptr_t page = 4096;
        uintptr_t lo = (uintptr_t)(v->bits + v->touched_lo) & ~(page - 1);
        uintptr_t hi = ((uintptr_t)(v->bits + v->touched_hi + 1) + page - 1) & ~(page - 1);
        if (madvise((void *)lo, hi - lo, MADV_DONTNEED) != 0)
            memset((void *)lo, 0, hi - lo);
    }
    free(v->slots);
    v->slots = NULL;
    v->bits = NULL;
}

int hs_visited_hash_test_and_set(hs_visited *v, uintptr_t a)
{
    if (!v->slots || (v->used + 1) * 2 > v->mask + 1) {
        if (hash_grow(v) < 0)
            return -1;
    }
    size_t j = hash_ptr(a) & v->mask;
    while (v->slots[j]) {
        if (v->slots[j] == a)
            return 1;
        j = (j + 1) & v->mask;
    }
    v->slots[j] = a;
    v->used++;
    return 0;
}
