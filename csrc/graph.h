/*
 * graph.h -- the reference graph of one walk, and its roots.
 *
 * Nodes are a snapshot's records (0 .. n-1).  Edges are exactly the
 * references the walk follows (so weak references never retain), stored as
 * forward and reverse adjacency in compact arrays (4 + 4 bytes an edge).
 * Roots: modules in sys.modules, locals of frames running on every thread,
 * and objects held from outside the Python heap (more references than the
 * graph and the frames account for: C extensions, interpreter state).
 */
#ifndef HS_GRAPH_H
#define HS_GRAPH_H
#include "accum.h"
#include "strtab.h"

enum hs_root_kind { ROOT_MODULE = 1, ROOT_FRAME, ROOT_OUTSIDE, ROOT_IGNORED /* heapscope's own argument */ };

typedef struct {
    uint32_t node;
    int kind;               /* enum hs_root_kind                               */
    int thread;             /* frame roots: thread number                      */
    int on_stack;           /* frame roots: on its evaluation stack (3.9/3.10) */
    uint32_t also_outside;  /* frame roots: index + 1 of the outside root of the
                               same node (not in root_of), when it has one    */
    Py_ssize_t refs;        /* outside roots: references from outside the heap */
    PyObject *name, *code;  /* module name / local name, frame code (strong)   */
    PyObject *label;        /* made by hs_graph_labels                         */
    PyObject *modname;      /* module roots: a copy of the name (heapscope's)  */
} hs_root;

typedef struct hs_graph {
    uint32_t n;
    size_t nedges;
    uint32_t *fwd_off, *fwd; /* successors of v: fwd[fwd_off[v] .. fwd_off[v+1]) */
    uint32_t *rev_off, *rev; /* predecessors, the same way                       */
    uint32_t *root_of;       /* node -> root index + 1, 0 when not a root        */
    hs_root *roots;
    size_t nroots, caproots;
    uint64_t *retained;      /* retained size of every node, once asked for      */
    uint32_t *idom;          /* immediate dominators (dominators.h), with it     */
    uint32_t *ename;         /* names (optional): forward edge e is named         */
    hs_strtab *names;        /*   hs_strtab_get(names, ename[e]) (edges.c)       */
    size_t bytes[8];         /* sizes of the arrays above (bigmem)               */
} hs_graph;

/* Build the graph of a walk that just ended (collector paused, no Python code
 * run since): addrs[i * stride] is the address of node i.  NULL with an
 * exception on failure. */
hs_graph *hs_graph_build(hs_accum *a, const uintptr_t *addrs, size_t stride, size_t n);
/* The reverse arrays from n, nedges, fwd_off and fwd (valid: offsets
 * monotone up to nedges, successors < n); -1 on out-of-memory. */
int hs_graph_reverse(hs_graph *g);
/* Make the root labels (Python code may run) and drop the strong references. */
int hs_graph_labels(hs_graph *g);
/* Make one root's label (Python code may run) and drop its strong references:
 * 0, or -1 on out-of-memory. */
int hs_root_label(hs_root *r);
/* Whether a reference held by a running frame makes a frame root: not the
 * locals of heapscope's own frames, not the operands of the caller's call
 * into heapscope.  *caller: NULL before the first holder of a walk over the
 * frames (hs_walk_frame_locals), then the calling frame. */
int hs_graph_frame_root(const hs_holder *h, const void **caller);
/* Frames running this code (heapscope's own entry points) are not roots. */
int hs_graph_hide_frames(PyObject *code);
/* Retained sizes (dominator tree from a virtual root joined to every root);
 * size(ctx, node) gives a node's own size.  Computed once; NULL on OOM. */
const uint64_t *hs_graph_retained(hs_graph *g, uint64_t (*size)(void *, uint32_t), void *ctx);
/* Per group of nodes (group(ctx, v) < ngroups, else none): the bytes its nodes
 * retain together (union of their dominator subtrees) into out[ngroups], after
 * hs_graph_retained.  0, or -1 on OOM. */
int hs_graph_group_retained(hs_graph *g, uint32_t (*group)(void *, uint32_t), void *ctx, size_t ngroups,
                            uint64_t *out);
/* Name of forward edge e (an index into g->fwd) as UTF-8 (['key'], .attr,
 * [3], __self__, ...; see edges.h), or NULL when the graph has no names. */
const char *hs_graph_edge_name(const hs_graph *g, size_t e);
/* Bytes the graph holds. */
size_t hs_graph_nbytes(const hs_graph *g);
void hs_graph_free(hs_graph *g);

#endif
