/*
 * typestats.h -- live objects counted per exact type (objgraph's typestats,
 * over every live object rather than only those the GC tracks).
 */
#ifndef HS_TYPESTATS_H
#define HS_TYPESTATS_H
#include "walk.h"

/* A new list of (type, count) tuples, one per exact type of a live object, in
 * the order the walk first met each type; NULL with an exception on error. */
PyObject *hs_type_stats(void);

#endif
