/*
 * strtab.c -- deduplicated UTF-8 string table (see strtab.h).
 */
#include "strtab.h"
#include <stdlib.h>
#include <string.h>

uint64_t hs_strtab_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static int rehash(hs_strtab *t, uint32_t ncap)
{
    uint64_t *h = calloc(ncap, sizeof(uint64_t));
    if (!h)
        return -1;
    for (uint32_t i = 0; i < t->count; i++) {
        const char *s = t->blob + t->off[i];
        uint64_t hv = hs_strtab_hash(s, strlen(s));
        uint64_t k = hv & (ncap - 1);
        while (h[k])
            k = (k + 1) & (ncap - 1);
        h[k] = (hv >> 32) << 32 | (uint64_t)(i + 1);
    }
    free(t->hash);
    t->hash = h;
    t->hcap = ncap;
    return 0;
}

static int same(const hs_strtab *t, uint32_t i, const char *s, size_t n)
{
    const char *o = t->blob + t->off[i];
    return memcmp(o, s, n) == 0 && o[n] == '\0';
}

int64_t hs_strtab_append(hs_strtab *t, const char *s, size_t n)
{
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
    return t->count++;
}

int64_t hs_strtab_add(hs_strtab *t, const char *s, size_t n)
{
    if (t->hcap == 0 || (uint64_t)(t->count + 1) * 2 > t->hcap) {
        uint64_t ncap = t->hcap ? t->hcap : 1024; /* appends (not hashed) count too: all go in */
        while ((uint64_t)(t->count + 1) * 2 > ncap)
            ncap *= 2;
        if (ncap > 0x80000000u || rehash(t, (uint32_t)ncap) < 0)
            return -1;
        memset(t->recent, 0, sizeof(t->recent));
    }
    uint64_t h = hs_strtab_hash(s, n), tag = (h >> 32) << 32;
    uint64_t *r = &t->recent[(h >> 8) & 255];
    if (*r && (*r >> 32) << 32 == tag && same(t, (uint32_t)(*r & 0xFFFFFFFFu) - 1, s, n))
        return (int64_t)(*r & 0xFFFFFFFFu) - 1;
    uint64_t k = h & (t->hcap - 1);
    while (t->hash[k]) {
        uint64_t e = t->hash[k];
        if ((e >> 32) << 32 == tag && same(t, (uint32_t)(e & 0xFFFFFFFFu) - 1, s, n)) {
            *r = e;
            return (int64_t)(e & 0xFFFFFFFFu) - 1;
        }
        k = (k + 1) & (t->hcap - 1);
    }
    int64_t id = hs_strtab_append(t, s, n);
    if (id >= 0)
        t->hash[k] = *r = tag | (uint64_t)(id + 1);
    return id;
}

void hs_strtab_freeze(hs_strtab *t)
{
    free(t->hash);
    t->hash = NULL;
    t->hcap = 0;
    char *b = t->len ? realloc(t->blob, t->len) : NULL; /* no slack from doubling */
    if (b) {
        t->blob = b;
        t->cap = t->len;
    }
    uint32_t *o = t->count ? realloc(t->off, t->count * sizeof(uint32_t)) : NULL;
    if (o) {
        t->off = o;
        t->capoff = t->count;
    }
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
    return t->cap + (size_t)t->capoff * sizeof(uint32_t) + (size_t)t->hcap * sizeof(uint64_t);
}
