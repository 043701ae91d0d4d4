/*
 * freeze.h -- the program's own frozen objects, held aside while find_leaks
 * freezes the heap it starts from.
 */
#ifndef HS_FREEZE_H
#define HS_FREEZE_H
#include "hs_python.h"

/* Move the permanent generation's objects onto heapscope's own list; 0, or -1
 * with RuntimeError when they are already aside. */
int hs_freeze_aside(void);
/* Put them back at the end of the permanent generation. */
void hs_freeze_restore(void);
/* Collect the garbage among the permanent generation's objects only (find_leaks'
 * frozen old heap), leaving the other generations' objects where they are and
 * unfrozen: the number of objects collected, or -1 with an exception. */
Py_ssize_t hs_collect_old(void);
/* The list holding them (empty unless find_leaks is running); the walk reads it. */
PyGC_Head *hs_frozen_aside(void);

#endif
