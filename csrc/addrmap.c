/*
 * addrmap.c -- address-keyed hash map (see addrmap.h).
 */
#include "addrmap.h"
#include "bigmem.h"

static int rehash(hs_addrmap *m, size_t cap)
{
    size_t bytes;
    hs_addrslot *ns = hs_big_alloc(cap * sizeof(hs_addrslot), &bytes);
    if (!ns)
        return -1;
    for (size_t i = 0; m->slots && i <= m->mask; i++) {
        uintptr_t k = m->slots[i].key;
        if (!k)
            continue;
        size_t j = hs_addrmap_hash(k) & (cap - 1);
        while (ns[j].key)
            j = (j + 1) & (cap - 1);
        ns[j] = m->slots[i];
    }
    hs_big_free(m->slots, m->bytes);
    m->slots = ns;
    m->bytes = bytes;
    m->mask = cap - 1;
    return 0;
}

int hs_addrmap_reserve(hs_addrmap *m, size_t n)
{
    size_t cap = m->slots ? m->mask + 1 : 0;
    if (cap && n * 2 <= cap)
        return 0;
    size_t nc = 256;
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
        uintptr_t k = m->slots[j].key;
        if (k == key) {
            if (replace)
                m->slots[j].val = val;
            return 0;
        }
        if (k == 0)
            break;
    }
    m->slots[j].key = key;
    m->slots[j].val = val;
    m->used++;
    return 0;
}

int hs_addrmap_put(hs_addrmap *m, uintptr_t key, uint64_t val) { return insert(m, key, val, 1); }

int hs_addrmap_add(hs_addrmap *m, uintptr_t key, uint64_t val) { return insert(m, key, val, 0); }

void hs_addrmap_del(hs_addrmap *m, uintptr_t key)
{
    if (!m->slots)
        return;
    size_t j = hs_addrmap_hash(key) & m->mask;
    while (m->slots[j].key != key) {
        if (m->slots[j].key == 0)
            return;
        j = (j + 1) & m->mask;
    }
    /* Backward-shift: pull later entries of the probe run into the hole. */
    size_t hole = j;
    for (size_t i = (j + 1) & m->mask; m->slots[i].key; i = (i + 1) & m->mask) {
        size_t home = hs_addrmap_hash(m->slots[i].key) & m->mask;
        if (((i - home) & m->mask) >= ((i - hole) & m->mask)) {
            m->slots[hole] = m->slots[i];
            hole = i;
        }
    }
    m->slots[hole].key = 0;
    m->used--;
}

void hs_addrmap_free(hs_addrmap *m)
{
    hs_big_free(m->slots, m->bytes);
    m->slots = NULL;
    m->mask = m->used = m->bytes = 0;
}
