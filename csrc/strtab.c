/*
 * strtab.c -- deduplicated UTF-8 string table (see strtab.h).
 */
#include "strtab.h"
#include <stdlib.h>
#include <string.h>

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static int rehash(hs_strtab *t, uint32_t ncap)
{
    uint32_t *h = calloc(ncap, sizeof(uint32_t));
    if (!h)
        return -1;
    for (uint32_t i = 0; i < t->count; i++) {
        const char *s = t->blob + t->off[i];
        uint64_t k = hash_bytes(s, strlen(s)) & (ncap - 1);
        while (h[k])
            k = (k + 1) & (ncap - 1);
        h[k] = i + 1;
    }
    free(t->hash);
    t->hash = h;
    t->hcap = ncap;
    return 0;
}

int64_t hs_strtab_add(hs_strtab *t, const char *s, size_t n)
{
    if (t->hcap == 0 || (uint64_t)(t->count + 1) * 2 > t->hcap)
        if (rehash(t, t->hcap ? t->hcap * 2 : 1024) < 0)
            return -1;
    uint64_t h = hash_bytes(s, n);
    uint64_t k = h & (t->hcap - 1);
    while (t->hash[k]) {
        const char *o = t->blob + t->off[t->hash[k] - 1];
        if (strncmp(o, s, n) == 0 && o[n] == '\0')
            return t->hash[k] - 1;
        k = (k + 1) & (t->hcap - 1);
    }
    if (t->len + n + 1 > 0xFFFFFFF0u || t->count >= 0x7FFFFFF0u)
        return -1;
    if (t->len + n + 1 > t->cap) {
        size_t nc = t->cap ? t->cap : 4096;
        while (nc < t->len + n + 1)
            nc *= 2;
        char *b = realloc(t->blob, nc);
        if (!b)
            return -1;
        t->blob = b;
        t->cap = nc;
    }
    if (t->count == t->capoff) {
        uint32_t nc = t->capoff ? t->capoff * 2 : 256;
        uint32_t *o = realloc(t->off, nc * sizeof(uint32_t));
        if (!o)
            return -1;
        t->off = o;
        t->capoff = nc;
    }
    memcpy(t->blob + t->len, s, n);
    t->blob[t->len + n] = '\0';
    t->off[t->count] = (uint32_t)t->len;
    t->len += n + 1;
    t->hash[k] = t->count + 1;
    return t->count++;
}

void hs_strtab_freeze(hs_strtab *t)
{
    free(t->hash);
    t->hash = NULL;
    t->hcap = 0;
}

void hs_strtab_free(hs_strtab *t)
{
    free(t->blob);
    free(t->off);
    free(t->hash);
    memset(t, 0, sizeof(*t));
}

size_t hs_strtab_nbytes(const hs_strtab *t)
{
    return t->cap + (size_t)t->capoff * sizeof(uint32_t) + (size_t)t->hcap * sizeof(uint32_t);
}
