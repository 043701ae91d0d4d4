/*
 * edges.h -- how a parent refers to a child: the name of one reference
 * (a dict key, a list index, an attribute, a closure cell, __self__ ...),
 * found by looking at the two objects only.
 *
 * The core (hs_edge_find, hs_edge_text) runs no Python code and creates no
 * Python object: it reads the parent's fields, copies the characters of str
 * keys and names, formats ints in C and never calls repr.  paths.c turns a
 * found edge into its Python tuple; hs_edges_name_graph names every forward
 * edge of a graph just built (addresses still valid) into a string table.
 *
 * Edge texts (what Path prints after an object):
 *   .name           attribute, __slots__/member, __dict__, __self__, __func__,
 *                   .<cell x> for a closure variable
 *   ['key'] / [3]   dict value under a str key (Python's repr of the str, cut
 *                   to 60 characters) / int, bool or None key; other keys are
 *                   named by type: [<tuple key>]
 *   [3]             list or tuple index
 *   " (a key)", " (a member)", ""   a dict key, a set member, unknown
 */
#ifndef HS_EDGES_H
#define HS_EDGES_H
#include "walk.h"

struct hs_graph;

enum hs_edge_kind { HS_EDGE_ITEM, HS_EDGE_KEY, HS_EDGE_ATTR, HS_EDGE_INDEX };

typedef struct {
    int kind;          /* enum hs_edge_kind                                   */
    const char *text;  /* ATTR: a C name (when obj is NULL); ITEM: its text   */
    PyObject *obj;     /* KEY: the key; ATTR: a str name; borrowed            */
    int cell;          /* ATTR: obj names a closure variable: "<cell obj>"    */
    Py_ssize_t index;  /* INDEX                                               */
} hs_edge;

/* How p refers to c (c being one of p's referents).  No Python code runs. */
void hs_edge_find(PyObject *p, PyObject *c, hs_edge *e);
/* The edge's text (see above) as NUL-terminated UTF-8 into buf (cap >= 64;
 * cut to fit); its length. */
size_t hs_edge_text(const hs_edge *e, char *buf, size_t cap);
/* Name every forward edge of g (node i at addrs[i * stride], all valid, no
 * Python code run since the walk): g->ename and g->names.  0, or -1 with
 * MemoryError. */
int hs_edges_name_graph(struct hs_graph *g, const uintptr_t *addrs, size_t stride);

#endif
