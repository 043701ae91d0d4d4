/*
 * addrmap.c -- address-keyed hash map (see addrmap.h).
 */
#include "addrmap.h"
#include <stdlib.h>

static int rehash(hs_addrmap *m, size_t cap)
{
    uintptr_t *nk = calloc(cap, sizeof(*nk));
    uint64_t *nv = malloc(cap * sizeof(*nv));
    if (!nk || !nv) {
        free(nk);
        free(nv);
        return -1;
    }
    for (size_t i = 0; m->keys && i <= m->mask; i++) {
        uintptr_t k = m->keys[i];
        if (!k)
            continue;
        size_t j = hs_addrmap_hash(k) & (cap - 1);
        while (nk[j])
            j = (j + 1) & (cap - 1);
        nk[j] = k;
        nv[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = nk;
    m->vals = nv;
    m->mask = cap - 1;
    return 0;
}

int hs_addrmap_reserve(hs_addrmap *m, size_t n)
{
    size_t cap = m->keys ? m->mask + 1 : 0;
    if (cap && n * 2 <= cap)
        return 0;
    size_t nc = 1024;
    while (nc < n * 2)
        nc <<= 1;
    return rehash(m, nc);
}

static int insert(hs_addrmap *m, uintptr_t key, uint64_t val, int replace)
{
    if (hs_addrmap_reserve(m, m->used + 1) < 0)
        return -1;
    size_t j = hs_addrmap_hash(key) & m->mask;
    for (;; j = (j + 1) & m->mask) {
        uintptr_t k = m->keys[j];
        if (k == key) {
            if (replace)
                m->vals[j] = val;
            return 0;
        }
        if (k == 0)
            break;
    }
    m->keys[j] = key;
    m->vals[j] = val;
    m->used++;
    return 0;
}

int hs_addrmap_put(hs_addrmap *m, uintptr_t key, uint64_t val) { return insert(m, key, val, 1); }

int hs_addrmap_add(hs_addrmap *m, uintptr_t key, uint64_t val) { return insert(m, key, val, 0); }

void hs_addrmap_del(hs_addrmap *m, uintptr_t key)
{
    if (!m->keys)
        return;
    size_t j = hs_addrmap_hash(key) & m->mask;
    while (m->keys[j] != key) {
        if (m->keys[j] == 0)
            return;
        j = (j + 1) & m->mask;
    }
    /* Backward-shift: pull later entries of the probe run into the hole. */
    size_t hole = j;
    for (size_t i = (j + 1) & m->mask; m->keys[i]; i = (i + 1) & m->mask) {
        size_t home = hs_addrmap_hash(m->keys[i]) & m->mask;
        if (((i - home) & m->mask) >= ((i - hole) & m->mask)) {
            m->keys[hole] = m->keys[i];
            m->vals[hole] = m->vals[i];
            hole = i;
        }
    }
    m->keys[hole] = 0;
    m->used--;
}

void hs_addrmap_free(hs_addrmap *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->mask = m->used = 0;
}
