/*
 * vec.h -- growable C arrays: the one doubling-realloc step every table of
 * the core uses (rows, pending objects, pointer lists, the walk's stack, type pool).
 */
#ifndef HS_VEC_H
#define HS_VEC_H
#include <stdlib.h>

/* Make room for one more element in *v (n used of *cap, elem bytes each),
 * doubling from `first`; 0, or -1 on out-of-memory (*v is then untouched). */
static inline int hs_vec_grow(void **v, size_t n, size_t *cap, size_t elem, size_t first)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : first;
    void *nv = realloc(*v, nc * elem);
    if (!nv)
        return -1;
    *v = nv;
    *cap = nc;
    return 0;
}

#endif
