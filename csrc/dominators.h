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
 * dominates (0 for unreachable nodes). size[] and retained[] hold n entries. 0 or -1 on OOM. */
int hs_retained_sizes(const hs_csr *g, const uint32_t *idom, const uint64_t *size, uint64_t *retained);

/* ---- test entry point (tests/test_dominators.py, through _core._dominators) ---- */
#include "hs_python.h"

/* args = (n, edges, roots, sizes): builds the CSR from the lists and returns
 * (idom list, retained list); idom -1 = virtual root, -2 = unreachable.
 * NULL with an exception on bad input or out-of-memory. */
PyObject *hs_dominators_py(PyObject *args);

#endif
