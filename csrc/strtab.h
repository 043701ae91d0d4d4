/*
 * strtab.h -- a deduplicated table of UTF-8 strings: each string once,
 * NUL-terminated in one blob, named by a uint32 index.  Used for the graph's
 * edge names (edges.c) and the string sections of heap files (heapfile.c).
 * Pure C: no Python object is created or touched.
 */
#ifndef HS_STRTAB_H
#define HS_STRTAB_H
#include <stddef.h>
#include <stdint.h>

typedef struct hs_strtab {
    char *blob;        /* the strings, each followed by a NUL */
    size_t len, cap;   /* bytes used / allocated in blob */
    uint32_t *off;     /* string i starts at blob + off[i] */
    uint32_t count, capoff;
    uint64_t *hash;    /* open addressing: hash tag << 32 | index + 1, 0 empty (NULL once frozen) */
    uint32_t hcap;
    uint64_t recent[256]; /* a direct-mapped cache of the same, for the frequent strings */
} hs_strtab;

/* Index of the string s[0..n) (added when new); -1 on out-of-memory or when
 * the table would pass 4 GB.  s must not contain a NUL. */
int64_t hs_strtab_add(hs_strtab *t, const char *s, size_t n);
/* Add s[0..n) without looking for it (a duplicate is harmless: two indexes,
 * one text); -1 on out-of-memory. */
int64_t hs_strtab_append(hs_strtab *t, const char *s, size_t n);
uint64_t hs_strtab_hash(const char *s, size_t n);
static inline const char *hs_strtab_get(const hs_strtab *t, uint32_t i) { return t->blob + t->off[i]; }
/* Drop the dedup hash and the slack (adds still work, slower). */
void hs_strtab_freeze(hs_strtab *t);
void hs_strtab_free(hs_strtab *t);
size_t hs_strtab_nbytes(const hs_strtab *t);

#endif
