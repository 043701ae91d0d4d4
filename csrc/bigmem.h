/*
 * bigmem.h -- large arrays in their own pages.
 *
 * Snapshot records and address maps run to tens of megabytes.  From malloc,
 * freed blocks that size stay in the process (glibc raises its mmap threshold
 * after the first free), so every snapshot taken and dropped would leave RSS
 * behind.  These arrays are mapped directly: growing remaps without copying,
 * shrinking and freeing give the pages back, and big ones ask for huge pages
 * (the address maps are probed at random, where TLB misses dominate).
 */
#ifndef HS_BIGMEM_H
#define HS_BIGMEM_H
#include <stddef.h>

/* Zeroed array of at least n bytes; NULL on failure.  *cap gets its size. */
void *hs_big_alloc(size_t n, size_t *cap);
/* Grow or shrink to at least n bytes (contents kept); NULL on failure (the old
 * array is then untouched).  *cap is updated. */
void *hs_big_resize(void *p, size_t *cap, size_t n);
void hs_big_free(void *p, size_t cap);

#endif
