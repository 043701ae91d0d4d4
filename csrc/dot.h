/*
 * dot.h -- Graphviz DOT output: a directed graph of nodes and labelled edges
 * as DOT text, every string quoted and escaped.
 */
#ifndef HS_DOT_H
#define HS_DOT_H
#include "hs_python.h"

/* DOT text (a str, to be written as UTF-8) of `digraph name { ... }`.
 * defaults: [(kind, attrs)] with kind "graph", "node" or "edge";
 * nodes: [(id, attrs)]; edges: [(source id, target id, attrs)];
 * attrs: a sequence of (name, value) pairs or a dict, value a str (or any
 * object, written as its str()).  Ids and attribute names are ASCII names
 * ([A-Za-z0-9_]); values are quoted with \" and \\ escaped, newlines as \n,
 * other control characters shown as the text \xNN, & as &amp; (Graphviz
 * decodes HTML entities), lone surrogates as U+FFFD, the rest as is. */
PyObject *hs_dot(PyObject *name, PyObject *defaults, PyObject *nodes, PyObject *edges);

#endif
