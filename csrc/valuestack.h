/*
 * valuestack.h -- CPython 3.9/3.10: the live part of a running frame's
 * evaluation stack (see valuestack.c).
 */
#ifndef HS_VALUESTACK_H
#define HS_VALUESTACK_H
#include "hs_python.h"

#if PY_VERSION_HEX < 0x030B0000
/* How many slots of f->f_valuestack hold live references right now, or -1
 * when that cannot be known.  other_thread_top: f is the innermost frame of
 * another thread (it may have stopped between two instructions).  operands:
 * how many of the top slots are the function and arguments of the call f is
 * making (0 when it is not in a call). */
int hs_frame_stack_depth(PyFrameObject *f, int other_thread_top, int *operands);
#endif
/* For tests: (list of the live stack items, operands) of a running frame
 * object, or None (3.11+, or depth unknown). */
PyObject *hs_frame_stack_py(PyObject *frame);

#endif
