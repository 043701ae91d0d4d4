/*
 * identity.h -- creation serials that tell a new object from an old one at a
 * reused address (CPython 3.13+, through PyRefTracer).
 *
 * While at least one snapshot wants identity (hs_identity_acquire), a
 * reference tracer numbers every object created and forgets every object
 * destroyed.  Objects alive before the tracer started have serial 0.  Serials
 * are comparable only within one series: a series ends when the tracer is
 * removed or displaced (tracemalloc.start() replaces the tracer without
 * chaining), and snapshots of different series fall back to heuristics.
 * Before 3.13 every function here reports "no series".
 */
#ifndef HS_IDENTITY_H
#define HS_IDENTITY_H
#include "hs_python.h"
#include <stdint.h>

/* Start (or join) a series: 0, or -1 with an exception set. */
int hs_identity_acquire(void);
void hs_identity_release(void);
/* The current series id, or 0 when serials cannot be trusted right now. */
uint64_t hs_identity_series(void);
/* Creation serial of the object at addr in the current series (0: older). */
uint64_t hs_identity_serial(uintptr_t addr);

#endif
