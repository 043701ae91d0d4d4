/*
 * retain.c -- the retained size of one object without the graph (see
 * retain.h): the bytes that would be freed with it.
 *
 * An object y reachable from x is retained by x when every chain of
 * references that keeps y alive goes through x.  Only what x reaches needs
 * looking at: an object of that set whose reference count is above the
 * references found inside the set has a holder elsewhere (a module, a
 * frame's variable, another live object, a C extension), so it stays alive
 * without x, and so does everything it reaches without passing x.  What is
 * left is x's dominator subtree in the graph's terms (graph.c's roots are
 * the same: objects with references nobody in the heap accounts for).
 *
 * Memory does not grow with the heap: one seen-bit per object (visited.c)
 * marks the set, a small table keeps the references still unaccounted for
 * of the few objects with more than one, and a depth-first stack walks
 * lists, tuples and dicts in place.
 *
 * Sections:
 *   1. traversal  depth-first over exactly the referents a walk follows
 *                 (hs_walk_referents; exact lists, tuples and dicts one item
 *                 at a time), one callback per phase
 *   2. debts      address -> references not yet found inside the set
 *   3. phases     (a) mark what x reaches, counting references found inside;
 *                 (b) unmark what holders from outside reach without x;
 *                 (c) sum the sizes of what is still marked, from x
 *
 * The collector is paused and no Python object is created until the sizes
 * that need Python code (__sizeof__) are asked for, on objects held strongly.
 */
#include "retain.h"
#include "sizes.h"
#include "vec.h"
#include <string.h>

typedef struct rs rs;
typedef void (*edge_fn)(hs_walker *w, PyObject *child);

typedef struct {
    PyObject *op;
    Py_ssize_t pos; /* next item of an exact list, tuple or dict; -1 otherwise */
} frame_t;

typedef struct {
    uintptr_t addr; /* 0: empty */
    Py_ssize_t left;
} debt_t;

struct rs {
    hs_walker w;          /* its type table and hs_walk_referents only */
    hs_visited set;       /* section 3's marks                         */
    PyObject *x, *ignore; /* ignore: heapscope's own argument           */
    frame_t *stack;
    size_t nstack, capstack;
    debt_t *debts;        /* open addressing, backward-shift deletion   */
    size_t mask, ndebts;
    uint64_t total;       /* phase (c) */
    PyObject **later;     /* phase (c): sized by __sizeof__ afterwards (strong) */
    size_t nlater, caplater;
    int on_heap;          /* x is a node of the walk                    */
    int oom;
};

/* ---- 1. traversal ---------------------------------------------------------------- */

static hs_typeinfo *info(rs *r, PyObject *op)
{
    hs_typeinfo *ti = hs_typeinfo_get(&r->w, Py_TYPE(op));
    if (!ti)
        r->oom = 1;
    return ti;
}

/* Queue op (a node with referents) for its referents to be visited. */
static void expand(rs *r, PyObject *op)
{
    if (hs_vec_grow((void **)&r->stack, r->nstack, &r->capstack, sizeof(frame_t), 256) < 0) {
        r->oom = 1;
        return;
    }
    PyTypeObject *tp = Py_TYPE(op);
    frame_t *f = &r->stack[r->nstack++];
    f->op = op;
    f->pos = (tp == &PyList_Type || tp == &PyTuple_Type || tp == &PyDict_Type) ? 0 : -1;
}

/* Until the stack is empty: edge(w, child) for every referent of every
 * object expanded (edge may expand more). */
static void drain(rs *r, edge_fn edge)
{
    while (r->nstack && !r->oom && !r->w.oom) {
        frame_t *f = &r->stack[r->nstack - 1];
        PyObject *op = f->op;
        PyTypeObject *tp = Py_TYPE(op);
        if (f->pos < 0) {
            r->nstack--;
            hs_walk_referents(&r->w, op, edge, r);
        } else if (tp == &PyDict_Type) {
            PyObject *k, *v;
            if (!PyDict_Next(op, &f->pos, &k, &v)) {
                r->nstack--;
                continue;
            }
            r->w.edge_ctx = r;
            edge(&r->w, k);
            if (!hs_dict_values_embedded(op)) /* else the owning instance's references */
                edge(&r->w, v);
        } else {
            PyObject **items = tp == &PyList_Type ? ((PyListObject *)op)->ob_item : ((PyTupleObject *)op)->ob_item;
            if (f->pos >= Py_SIZE(op)) {
                r->nstack--;
                continue;
            }
            PyObject *child = items[f->pos++];
            r->w.edge_ctx = r;
            if (child)
                edge(&r->w, child);
        }
    }
}

/* ---- 2. debts --------------------------------------------------------------------- */

static size_t debt_slot(const rs *r, uintptr_t a) { return (size_t)(((a >> 4) * 0x9E3779B97F4A7C15ull) >> 20) & r->mask; }

static debt_t *debt_find(rs *r, uintptr_t a)
{
    if (!r->debts)
        return NULL;
    for (size_t j = debt_slot(r, a); r->debts[j].addr; j = (j + 1) & r->mask)
        if (r->debts[j].addr == a)
            return &r->debts[j];
    return NULL;
}

static void debt_put(rs *r, uintptr_t a, Py_ssize_t left)
{
    if (!r->debts || (r->ndebts + 1) * 2 > r->mask + 1) {
        size_t cap = r->debts ? (r->mask + 1) * 2 : 1024;
        debt_t *old = r->debts, *nd = calloc(cap, sizeof(debt_t));
        size_t oldcap = old ? r->mask + 1 : 0;
        if (!nd) {
            r->oom = 1;
            return;
        }
        r->debts = nd;
        r->mask = cap - 1;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].addr) {
                size_t j = debt_slot(r, old[i].addr);
                while (nd[j].addr)
                    j = (j + 1) & r->mask;
                nd[j] = old[i];
            }
        free(old);
    }
    size_t j = debt_slot(r, a);
    while (r->debts[j].addr)
        j = (j + 1) & r->mask;
    r->debts[j].addr = a;
    r->debts[j].left = left;
    r->ndebts++;
}

/* Remove a paid debt: later entries of its cluster move back. */
static void debt_drop(rs *r, debt_t *d)
{
    size_t i = (size_t)(d - r->debts);
    for (size_t j = (i + 1) & r->mask; r->debts[j].addr; j = (j + 1) & r->mask) {
        size_t home = debt_slot(r, r->debts[j].addr);
        /* the entry at j may fill the hole at i if its home is not in (i, j] */
        if (((j - home) & r->mask) >= ((j - i) & r->mask)) {
            r->debts[i] = r->debts[j];
            i = j;
        }
    }
    r->debts[i].addr = 0;
    r->ndebts--;
}

/* ---- 3. phases -------------------------------------------------------------------- */

/* (a) Mark what x reaches; a newly marked object owes its reference count
 * less this reference, later references inside the set pay it off. */
static void reach_ref(hs_walker *w, PyObject *child)
{
    rs *r = (rs *)w->edge_ctx;
    if (child == r->x || child == r->ignore || r->oom)
        return;
    if (hs_visited_test(&r->set, child)) {
        debt_t *d = debt_find(r, (uintptr_t)child);
        if (d && --d->left <= 0)
            debt_drop(r, d);
        return;
    }
    hs_typeinfo *ti = info(r, child);
    if (!ti || !hs_walk_is_node(&r->w, child, ti))
        return; /* heapscope's own, or a running frame: not in the set */
    if (hs_visited_test_and_set(&r->set, child) < 0) {
        r->oom = 1;
        return;
    }
    if (Py_REFCNT(child) > 1)
        debt_put(r, (uintptr_t)child, Py_REFCNT(child) - 1);
    if (hs_has_referents(ti))
        expand(r, child);
}

/* (b) Unmark what a holder from outside reaches, never passing x. */
static void unmark(rs *r, PyObject *op)
{
    if (op == r->x || !hs_visited_test(&r->set, op))
        return;
    hs_visited_clear(&r->set, op);
    hs_typeinfo *ti = info(r, op);
    if (ti && hs_has_referents(ti))
        expand(r, op);
}

static void held_ref(hs_walker *w, PyObject *child) { unmark((rs *)w->edge_ctx, child); }

/* (c) Size what is still marked, from x; unmarked as it is counted. */
static void count(rs *r, PyObject *op)
{
    if (!hs_visited_test(&r->set, op))
        return;
    hs_visited_clear(&r->set, op);
    hs_typeinfo *ti = info(r, op);
    if (!ti)
        return;
    Py_ssize_t s = hs_size_fast(op, ti);
    if (s >= 0) {
        r->total += (uint64_t)s;
    } else if (hs_vec_grow((void **)&r->later, r->nlater, &r->caplater, sizeof(PyObject *), 64) < 0) {
        r->oom = 1;
        return;
    } else {
        Py_INCREF(op);
        r->later[r->nlater++] = op;
    }
    if (hs_has_referents(ti))
        expand(r, op);
}

static void count_ref(hs_walker *w, PyObject *child) { count((rs *)w->edge_ctx, child); }

static void phases(rs *r)
{
    PyObject *x = r->x;
    hs_typeinfo *ti = info(r, x);
    if (!ti || !hs_walk_is_node(&r->w, x, ti) || hs_visited_test_and_set(&r->set, x) < 0)
        return;
    r->on_heap = 1;
    if (hs_has_referents(ti))
        expand(r, x);
    drain(r, reach_ref);
    /* (b): every debt left is a holder from outside */
    for (size_t j = 0; r->debts && j <= r->mask && !r->oom; j++)
        if (r->debts[j].addr) {
            unmark(r, (PyObject *)r->debts[j].addr);
            drain(r, held_ref);
        }
    free(r->debts);
    r->debts = NULL;
    count(r, x);
    drain(r, count_ref);
}

PyObject *hs_retained_one(PyObject *obj, PyObject *ignore)
{
    if (hs_walk_refused() < 0)
        return NULL;
    rs *r = calloc(1, sizeof(*r));
    if (!r)
        return PyErr_NoMemory();
    int gc_was = hs_gc_pause();
    r->x = obj;
    r->ignore = ignore;
    if (hs_visited_begin(&r->set) < 0)
        r->oom = 1;
    else
        phases(r);
    int err = r->oom || r->w.oom;
    int on_heap = r->on_heap;
    uint64_t total = r->total;
    PyObject **later = r->later;
    size_t nlater = r->nlater;
    hs_visited_end(&r->set);
    free(r->stack);
    free(r->debts);
    hs_walk_release(&r->w);
    free(r);
    hs_gc_resume(gc_was);
    for (size_t i = 0; i < nlater; i++) { /* Python code may run from here on */
        total += (uint64_t)hs_size_slow(later[i]);
        Py_DECREF(later[i]);
    }
    free(later);
    if (err)
        return PyErr_NoMemory();
    if (!on_heap)
        Py_RETURN_NONE;
    return PyLong_FromUnsignedLongLong(total);
}
