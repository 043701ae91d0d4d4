/*
 * dominators.h -- dominator tree and retained sizes over a compact graph.
 *
 * Pure C over arrays of node numbers: no Python object is touched, so it can
 * run over a heap graph of millions of nodes without disturbing that heap.
 * Semi-NCA with iterative DFS and iterative path compression (no recursion,
 * graphs can be a million deep); the big temporaries come from bigmem.h.
 */
#ifndef HS_DOMINATORS_H
#define HS_DOMINATORS_H
#include <stddef.h>
#include <stdint.h>

#define HS_DOM_ROOT 0xFFFFFFFFu
#define HS_DOM_UNREACHABLE 0xFFFFFFFEu

/* A graph in CSR form: node v's successors are succ[off[v] .. off[v+1]-1]; n nodes (< 2^32 - 2). */
typedef struct { uint32_t n; const uint32_t *off; const uint32_t *succ; } hs_csr;
/* Immediate dominators from a virtual root joined to every node in roots[0..nroots-1].
 * idom[v] = the immediate dominator of v, HS_DOM_ROOT (0xFFFFFFFF) when it is the virtual root,
 * HS_DOM_UNREACHABLE (0xFFFFFFFE) when v is not reachable from any root.  idom must hold n entries.
 * Returns 0, or -1 on out-of-memory. Iterative (never recursive: graphs can be a million deep). */
int hs_dominators(const hs_csr *g, const uint32_t *roots, size_t nroots, uint32_t *idom);
/* Retained size of every node: its own size plus the retained sizes of the nodes it immediately
 * dominates (0 for unreachable nodes). size[] and retained[] hold n entries and may be the same
 * array (sizes in, retained sizes out). 0 or -1 on OOM. */
int hs_retained_sizes(const hs_csr *g, const uint32_t *idom, const uint64_t *size, uint64_t *retained);
/* Retained size of every group of nodes (group(ctx, v) < ngroups; HS_NO_GROUP: none): the size of
 * the union of the dominator subtrees of its nodes, i.e. the sum of retained[v] over the nodes v of
 * the group that no other node of the same group dominates.  One iterative preorder walk of the
 * dominator tree with a count per group of the open ancestors in it; O(n + ngroups).
 * out[] holds ngroups entries (zeroed here).  0, or -1 on OOM. */
#define HS_NO_GROUP 0xFFFFFFFFu
int hs_group_retained(uint32_t n, const uint32_t *idom, const uint64_t *retained,
                      uint32_t (*group)(void *, uint32_t), void *ctx, size_t ngroups, uint64_t *out);

/* ---- test entry point (tests/test_dominators.py, through _core._dominators) ---- */
#include "hs_python.h"

/* args = (n, edges, roots, sizes): builds the CSR from the lists and returns
 * (idom list, retained list); idom -1 = virtual root, -2 = unreachable.
 * NULL with an exception on bad input or out-of-memory. */
PyObject *hs_dominators_py(PyObject *args);

#endif
