/*
 * walk.c -- one complete, allocation-free walk of the live Python heap.
 *
 * Sections:
 *   1. owned types          heapscope's own types, whose instances are invisible
 *   2. type table           per-walk hs_typeinfo records (classification cache)
 *   3. visiting children    dedupe, emit, and queue untracked containers;
 *                           a prefetch ring hides the cache misses
 *   4. traversal            tp_traverse plus what it leaves out: dict keys,
 *                           static types, heap-type names, code objects,
 *                           T_OBJECT members of non-GC types
 *   5. thread frames        locals of frames running on every thread
 *                           (interpreter frames on 3.11+, frame objects before)
 *   6. the walk             GC lists (all generations, the permanent one and
 *                           the program's frozen objects held aside: freeze.c),
 *                           closure, refusal during a collection
 *
 * Tracked objects are emitted from the GC lists, untracked ones the first time
 * they are reached (the visited set dedupes them), so each object is emitted
 * once.  Work is an explicit stack, never C recursion.  No Python object is
 * created and no Python code runs between the start and the end of a walk.
 * Callers pause the collector (hs_gc_pause) around the walk *and* around
 * whatever they do with the raw pointers afterwards.
 */
#include "walk.h"
#include "valuestack.h"
#include "vec.h"
#include "sizes.h"
#include "labels.h"
#include "freeze.h"
#include <stdlib.h>
#include <string.h>

/* ---- 1. owned types --------------------------------------------------- */

static PyTypeObject *owned[64];
static int nowned;

int hs_own_type(PyTypeObject *tp)
{
    for (int i = 0; i < nowned; i++)
        if (owned[i] == tp)
            return 0;
    if (nowned == (int)(sizeof(owned) / sizeof(owned[0]))) {
        PyErr_SetString(PyExc_RuntimeError, "heapscope: too many owned types");
        return -1;
    }
    Py_INCREF(tp);
    owned[nowned++] = tp;
    return 0;
}

static int is_owned(PyTypeObject *tp)
{
    for (int i = 0; i < nowned; i++)
        if (owned[i] == tp || PyType_IsSubtype(tp, owned[i]))
            return 1;
    return 0;
}

/* A method bound to one of heapscope's own objects is heapscope's own too
 * (e.g. the transient `tracker.print_diff` a keyword call makes on 3.9/3.10). */
static int bound_to_owned(hs_walker *w, PyObject *op, const hs_typeinfo *ti)
{
    PyObject *self = NULL;
    if (ti->type == &PyMethod_Type)
        self = PyMethod_GET_SELF(op);
    else if (ti->type == &PyCFunction_Type || ti->type == &PyCMethod_Type)
        self = PyCFunction_GET_SELF(op);
    if (!self || PyModule_Check(self))
        return 0;
    hs_typeinfo *sti = hs_typeinfo_get(w, Py_TYPE(self));
    return sti && sti->owned;
}

/* 3.9/3.10: the lookup function of a general dict table (hs_dict_traverse_visits_keys). */
static const void *general_lookup;

/* tp_traverse of classes defined in Python (typeobject.c's subtype_traverse). */
static traverseproc subtype_traverse;

int hs_walk_init(void)
{
    if (hs_sizes_init() < 0 || hs_labels_init() < 0)
        return -1;
    PyObject *d = Py_BuildValue("{i:O}", 1, Py_None);
    if (!d)
        return -1;
    general_lookup = hs_dict_lookup(d);
    Py_DECREF(d);
    /* Read off a class that always exists (abc.ABCMeta, defined in abc.py and
     * imported at startup), rather than making one: a new class would be
     * cyclic garbage.  Without it, instances go through tp_traverse. */
    PyObject *abc = PyImport_ImportModule("abc");
    PyObject *meta = abc ? PyObject_GetAttrString(abc, "ABCMeta") : NULL;
    if (meta && PyType_Check(meta) && (((PyTypeObject *)meta)->tp_flags & Py_TPFLAGS_HEAPTYPE))
        subtype_traverse = ((PyTypeObject *)meta)->tp_traverse;
    Py_XDECREF(meta);
    Py_XDECREF(abc);
    PyErr_Clear();
    return 0;
}

/* Instances of a class whose referents are exactly its inline values, its
 * __dict__ and its type: subtype_traverse all the way down to a base without
 * tp_traverse (object), no __slots__ members on the way. */
static int plain_instance_type(PyTypeObject *tp)
{
    if (!subtype_traverse || !(tp->tp_flags & Py_TPFLAGS_HEAPTYPE) || tp->tp_is_gc ||
        tp->tp_traverse != subtype_traverse)
        return 0;
    PyTypeObject *base = tp;
    for (; base && base->tp_traverse == subtype_traverse; base = base->tp_base)
        if (Py_SIZE(base) != 0)
            return 0;
    return base && base->tp_traverse == NULL && !(base->tp_flags & Py_TPFLAGS_HEAPTYPE);
}

/* ---- 2. type table ----------------------------------------------------- */

#define POOL_CHUNK 256

static size_t hash_type(PyTypeObject *tp)
{
    uintptr_t a = (uintptr_t)tp >> 4;
    return (size_t)(a * 0x9E3779B97F4A7C15ULL >> 17);
}

static int has_object_members(PyTypeObject *tp)
{
    for (PyTypeObject *t = tp; t; t = t->tp_base) {
        for (PyMemberDef *m = t->tp_members; m && m->name; m++)
            if (m->type == T_OBJECT || m->type == T_OBJECT_EX)
                return 1;
    }
    return 0;
}

static hs_typeinfo *pool_new(hs_walker *w)
{
    if (w->npool == 0 || w->chunk_used == POOL_CHUNK) {
        if (hs_vec_grow((void **)&w->pool, w->npool, &w->cappool, sizeof(hs_typeinfo *), 16) < 0)
            return NULL;
        hs_typeinfo *c = calloc(POOL_CHUNK, sizeof(hs_typeinfo));
        if (!c)
            return NULL;
        w->pool[w->npool++] = c;
        w->chunk_used = 0;
    }
    return &w->pool[w->npool - 1][w->chunk_used++];
}

static int table_insert(hs_walker *w, hs_typeinfo *ti)
{
    if ((w->tused + 1) * 2 > (w->tmask + 1) || !w->tslots) {
        size_t ncap = w->tslots ? (w->tmask + 1) * 2 : 1024;
        hs_typeinfo **ns = calloc(ncap, sizeof(*ns));
        if (!ns)
            return -1;
        for (size_t i = 0; w->tslots && i <= w->tmask; i++) {
            hs_typeinfo *t = w->tslots[i];
            if (!t)
                continue;
            size_t j = hash_type(t->type) & (ncap - 1);
            while (ns[j])
                j = (j + 1) & (ncap - 1);
            ns[j] = t;
        }
        free(w->tslots);
        w->tslots = ns;
        w->tmask = ncap - 1;
    }
    size_t j = hash_type(ti->type) & w->tmask;
    while (w->tslots[j])
        j = (j + 1) & w->tmask;
    w->tslots[j] = ti;
    w->tused++;
    return 0;
}

static void visit_child(hs_walker *w, PyObject *op);

/* What a snapshot's lengths read of this type's instances (enum hs_len_kind). */
static int len_kind(PyTypeObject *tp)
{
    if (PyType_IsSubtype(tp, &PyDict_Type))
        return LEN_DICT;
    if (PyType_IsSubtype(tp, &PySet_Type) || PyType_IsSubtype(tp, &PyFrozenSet_Type))
        return LEN_SET;
    if (PyType_IsSubtype(tp, &PyList_Type) || PyType_IsSubtype(tp, &PyByteArray_Type))
        return LEN_SIZE;
    /* collections.deque (static before 3.13, a heap type since): its length is ob_size */
    for (PyTypeObject *t = tp; t; t = t->tp_base)
        if (t->tp_name && strcmp(t->tp_name, "collections.deque") == 0 &&
            t->tp_basicsize >= (Py_ssize_t)sizeof(PyVarObject))
            return LEN_SIZE;
    return LEN_NONE;
}

hs_typeinfo *hs_typeinfo_slow(hs_walker *w, PyTypeObject *tp)
{
    if (w->tslots) {
        size_t j = hash_type(tp) & w->tmask;
        hs_typeinfo *t;
        while ((t = w->tslots[j]) != NULL) {
            if (t->type == tp)
                return w->tcache[HS_TCACHE_INDEX(tp)] = t;
            j = (j + 1) & w->tmask;
        }
    }
    hs_typeinfo *ti = pool_new(w);
    if (!ti || (memset(ti, 0, sizeof(*ti)), ti->type = tp, table_insert(w, ti) < 0)) {
        w->oom = 1;
        return NULL;
    }
    ti->slot = -1;
    ti->owned = (unsigned char)is_owned(tp);
    ti->is_dict = (unsigned char)PyType_IsSubtype(tp, &PyDict_Type);
    ti->is_type = (unsigned char)PyType_IsSubtype(tp, &PyType_Type);
    ti->is_method = tp == &PyMethod_Type || tp == &PyCFunction_Type || tp == &PyCMethod_Type;
    ti->gc = PyType_IS_GC(tp) ? (tp->tp_is_gc ? 2 : 1) : 0;
    ti->special = ti->owned || ti->is_method || tp == &PyFrame_Type;
    if (ti->is_type)
        ti->trav = TRAV_GC; /* decided per object: heap types GC, static types not */
    else if (PyType_IS_GC(tp))
        ti->trav = plain_instance_type(tp) ? TRAV_INSTANCE : TRAV_GC;
    else if (tp == &PyCode_Type)
        ti->trav = TRAV_CODE;
    else if (has_object_members(tp))
        ti->trav = TRAV_MEMBERS;
    else
        ti->trav = TRAV_NONE;
    ti->len_kind = (unsigned char)len_kind(tp);
    hs_sizes_classify(ti);
    hs_labels_classify(ti);
    /* Static types are reachable only through Py_TYPE(op): reach them here. */
    w->tcache[HS_TCACHE_INDEX(tp)] = ti;
    if (w->emit)
        visit_child(w, (PyObject *)tp);
    return ti;
}

void hs_walk_release(hs_walker *w)
{
    for (size_t i = 0; i < w->npool; i++)
        free(w->pool[i]);
    free(w->pool);
    free(w->tslots);
    free(w->stack);
    w->pool = NULL;
    w->tslots = NULL;
    w->stack = NULL;
    w->npool = w->cappool = w->tused = w->tmask = w->nstack = w->capstack = 0;
    memset(w->tcache, 0, sizeof(w->tcache));
}

hs_typeinfo *hs_walk_type_at(hs_walker *w, size_t i)
{
    size_t c = i / POOL_CHUNK, k = i % POOL_CHUNK;
    if (c >= w->npool || (c == w->npool - 1 && k >= w->chunk_used))
        return NULL;
    return &w->pool[c][k];
}

/* ---- 3. visiting children ------------------------------------------------ */

static void push(hs_walker *w, PyObject *op)
{
    if (hs_vec_grow((void **)&w->stack, w->nstack, &w->capstack, sizeof(PyObject *), 4096) < 0) {
        w->oom = 1;
        return;
    }
    w->stack[w->nstack++] = op;
}

/* Stack entries tagged STACK_ROOT are traversed without being emitted (frames
 * still running); the others are emitted when popped. */
#define STACK_ROOT ((uintptr_t)1)

/* One live object to the consumer: tallied in its typeinfo (w->tally), else
 * emitted.  Returns emit's result. */
static inline __attribute__((always_inline)) int emit_one(hs_walker *w, PyObject *op, hs_typeinfo *ti)
{
    w->nobjects++;
    if (w->tally && ti->label_kind == LABEL_TYPE) {
        Py_ssize_t sz = hs_size_fast(op, ti);
        if (sz >= 0) {
            ti->tally_n++;
            ti->tally_size += sz;
            return 0;
        }
    }
    return w->emit(w, op, ti);
}

static inline void emit_object(hs_walker *w, PyObject *op, hs_typeinfo *ti)
{
    if (emit_one(w, op, ti) < 0)
        w->aborted = 1;
}

/* A referent was reached.  The seen-bit is tested before the object is touched,
 * so a second reference costs no memory access to the object.  Tracked objects
 * are only marked (the GC lists emit them); untracked ones are emitted once:
 * leaves here, containers when drain_stack pops them.  visit_new takes an
 * object whose seen-bit was just set. */
static void visit_new(hs_walker *w, PyObject *op)
{
    if (w->oom || w->aborted)
        return;
    hs_typeinfo *ti = hs_typeinfo_get(w, Py_TYPE(op));
    if (!ti || hs_is_tracked(op, ti))
        return;
    if (ti->special) {
        if (ti->owned || (ti->is_method && bound_to_owned(w, op, ti)))
            return;
        /* A frame still running (untracked while it runs on 3.9/3.10, and when
         * materialized on 3.11+) is a root: its referents count, it does not. */
        if (ti->type == &PyFrame_Type && hs_frame_is_executing((PyFrameObject *)op)) {
            push(w, (PyObject *)((uintptr_t)op | STACK_ROOT));
            return;
        }
    }
    if (hs_has_referents(ti)) {
        /* Emitted when drain_stack pops it, STACK_SOON containers later: start
         * fetching a dict's entries now (its header is in cache), which both
         * its size and its traversal read. */
        if (ti->is_dict) {
            char *keys = (char *)((PyDictObject *)op)->ma_keys;
            __builtin_prefetch(keys);
            __builtin_prefetch(keys + 64);
        }
        push(w, op);
        return;
    }
    emit_object(w, op, ti);
}

/* Set op's seen-bit: 1 when it was not set before (0 also on out-of-memory). */
static inline __attribute__((always_inline)) int first_visit(hs_walker *w, PyObject *op)
{
    int seen = hs_visited_test_and_set(&w->seen, op);
    if (seen < 0)
        w->oom = 1;
    return seen == 0;
}

static void visit_child(hs_walker *w, PyObject *op)
{
    if (op == NULL || w->oom || w->aborted)
        return;
    if (first_visit(w, op))
        visit_new(w, op);
}

/* A referent's seen-bit is tested and set when it is found (the bitmap is 1/128
 * of the heap and read nearly in address order: it stays in cache); a new one
 * is examined RING_DIST new referents later, its header prefetched on the way
 * in, so the walk overlaps cache misses instead of waiting for each one. */
#define RING_MASK 31u
#define RING_DIST 12u
/* Untracked containers are traversed as soon as STACK_SOON of them wait, while
 * their headers are still in cache, instead of after the (possibly huge)
 * container that reached them: one nested level at most (w->draining). */
#define STACK_SOON 16u

static void drain_stack(hs_walker *w);

/* Always inlined: it is the walk's innermost step (out of line, as GCC chose
 * once traverse() grew, the walk took 8 % longer). */
static inline __attribute__((always_inline)) void enqueue(hs_walker *w, PyObject *op)
{
    if (op == NULL)
        return;
    if (__builtin_expect(w->edge != NULL, 0)) {
        w->edge(w, op);
        return;
    }
    if (!first_visit(w, op))
        return;
    __builtin_prefetch(op);
    w->ring[w->rhead++ & RING_MASK] = op;
    if (w->rhead - w->rtail > RING_DIST) {
        visit_new(w, w->ring[w->rtail++ & RING_MASK]);
        if (w->nstack >= STACK_SOON && !w->draining)
            drain_stack(w);
    }
}

static int visit_cb(PyObject *op, void *arg)
{
    enqueue((hs_walker *)arg, op);
    return 0;
}

/* ---- 4. traversal ---------------------------------------------------------- */

static void traverse_dict(hs_walker *w, PyObject *op)
{
    PyObject **e;
    int stride;
    Py_ssize_t n = hs_dict_entries(op, &e, &stride);
    if (n >= 0) {
        for (Py_ssize_t i = 0; i < n; i++, e += stride)
            if (e[1]) {
                enqueue(w, e[0]);
                enqueue(w, e[1]);
            }
        return;
    }
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    int values = !hs_dict_values_embedded(op); /* else its owner's references */
    while (PyDict_Next(op, &pos, &k, &v)) {
        enqueue(w, k);
        if (values)
            enqueue(w, v);
    }
}

/* A dict subclass: its tp_traverse ends in dict_traverse, which shows the
 * values (and the keys of a general table); add the keys it skips, so that
 * every reference is listed once. */
static __attribute__((noinline)) void traverse_dict_keys(hs_walker *w, PyObject *op)
{
    if (hs_dict_traverse_visits_keys(op, general_lookup))
        return;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(op, &pos, &k, &v))
        enqueue(w, k);
}

static void traverse_static_type(hs_walker *w, PyTypeObject *tp)
{
#if HS_PY312
    PyObject *d = PyType_GetDict(tp);
    enqueue(w, d);
    Py_XDECREF(d); /* owned by the interpreter too: never freed here */
#else
    enqueue(w, tp->tp_dict);
#endif
    enqueue(w, tp->tp_mro);
    enqueue(w, tp->tp_bases);
    enqueue(w, (PyObject *)tp->tp_base);
}

static void traverse_heap_type(hs_walker *w, PyTypeObject *tp)
{
    PyHeapTypeObject *ht = (PyHeapTypeObject *)tp;
    enqueue(w, ht->ht_name);
    enqueue(w, ht->ht_qualname);
    enqueue(w, ht->ht_slots);
}

static void traverse_code(hs_walker *w, PyCodeObject *co)
{
    enqueue(w, co->co_consts);
    enqueue(w, co->co_names);
    enqueue(w, co->co_filename);
    enqueue(w, co->co_name);
#if PY_VERSION_HEX >= 0x030A0000
    enqueue(w, co->co_linetable);
#endif
#if HS_PY311
    enqueue(w, co->co_qualname);
    enqueue(w, co->co_exceptiontable);
    enqueue(w, co->co_localsplusnames);
    enqueue(w, co->co_localspluskinds);
#if HS_PY312
    if (co->_co_cached) {
        enqueue(w, co->_co_cached->_co_code);
        enqueue(w, co->_co_cached->_co_varnames);
        enqueue(w, co->_co_cached->_co_cellvars);
        enqueue(w, co->_co_cached->_co_freevars);
    }
#else
    enqueue(w, co->_co_code);
#endif
#else
    enqueue(w, co->co_code);
    enqueue(w, co->co_varnames);
    enqueue(w, co->co_freevars);
    enqueue(w, co->co_cellvars);
#if PY_VERSION_HEX < 0x030A0000
    enqueue(w, co->co_lnotab);
#endif
#endif
}

static void traverse_members(hs_walker *w, PyObject *op)
{
    for (PyTypeObject *t = Py_TYPE(op); t; t = t->tp_base) {
        for (PyMemberDef *m = t->tp_members; m && m->name; m++) {
            if (m->type == T_OBJECT || m->type == T_OBJECT_EX)
                enqueue(w, *(PyObject **)((char *)op + m->offset));
        }
    }
}

static void traverse(hs_walker *w, PyObject *op, const hs_typeinfo *ti)
{
    if (ti->is_type) {
        PyTypeObject *tp = (PyTypeObject *)op;
        if (!(tp->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
            traverse_static_type(w, tp);
            return;
        }
        traverse_heap_type(w, tp);
    }
    switch (ti->trav) {
    case TRAV_INSTANCE:
        if (!w->edge) { /* edges keep tp_traverse's order */
            PyTypeObject *tp = Py_TYPE(op);
            PyObject **values;
            Py_ssize_t n = hs_inline_values(op, tp, &values);
            for (Py_ssize_t i = 0; i < n; i++)
                enqueue(w, values[i]);
            enqueue(w, hs_instance_dict(op, tp));
            enqueue(w, (PyObject *)tp);
            break;
        }
        /* fall through */
    case TRAV_GC:
        if (Py_TYPE(op) == &PyDict_Type) {
            traverse_dict(w, op); /* keys and values in one pass */
            return;
        }
        if (Py_TYPE(op) == &PyList_Type || Py_TYPE(op) == &PyTuple_Type) {
            PyObject **items = Py_TYPE(op) == &PyList_Type ? ((PyListObject *)op)->ob_item
                                                            : ((PyTupleObject *)op)->ob_item;
            Py_ssize_t n = Py_SIZE(op);
            for (Py_ssize_t i = 0; i < n; i++)
                enqueue(w, items[i]);
            return;
        }
        if (PyObject_IS_GC(op) && Py_TYPE(op)->tp_traverse)
            Py_TYPE(op)->tp_traverse(op, visit_cb, w);
        if (HS_TRAVERSE_MISSES_MANAGED_DICT && (Py_TYPE(op)->tp_flags & Py_TPFLAGS_MANAGED_DICT))
            enqueue(w, hs_instance_dict(op, Py_TYPE(op)));
        if (ti->is_dict)
            traverse_dict_keys(w, op);
        break;
    case TRAV_CODE:
        traverse_code(w, (PyCodeObject *)op);
        break;
    case TRAV_MEMBERS:
        traverse_members(w, op);
        break;
    default:
        break;
    }
}

/* Emit and traverse the queued untracked containers (their referents go to
 * the ring).  They were found at most STACK_SOON containers ago, so their
 * headers are still in cache (no prefetch here). */
static void drain_stack(hs_walker *w)
{
    int was = w->draining;
    w->draining = 1;
    while (w->nstack && !w->oom && !w->aborted) {
        PyObject *op = w->stack[--w->nstack];
        int root = ((uintptr_t)op & STACK_ROOT) != 0;
        op = (PyObject *)((uintptr_t)op & ~STACK_ROOT);
        hs_typeinfo *ti = hs_typeinfo_get(w, Py_TYPE(op));
        if (!ti)
            break;
        if (!root) {
            emit_object(w, op, ti);
            if (w->aborted)
                break;
        }
        traverse(w, op, ti);
    }
    w->draining = was;
}

/* Finish everything pending: the ring and the stack, until both are empty. */
static void drain(hs_walker *w)
{
    while (!w->oom && !w->aborted) {
        if (w->nstack)
            drain_stack(w);
        else if (w->rtail != w->rhead)
            visit_new(w, w->ring[w->rtail++ & RING_MASK]);
        else
            break;
    }
}

/* ---- 5. thread frames ------------------------------------------------------- */

#if HS_PY311
static void visit_interp_frame(hs_walker *w, _PyInterpreterFrame *f)
{
#if HS_PY312
    if (f->owner == FRAME_OWNED_BY_CSTACK)
        return;
    visit_child(w, f->f_funcobj);
#else
    visit_child(w, (PyObject *)f->f_func);
#endif
#if PY_VERSION_HEX >= 0x030D0000
    PyObject *exe = f->f_executable;
    visit_child(w, exe);
    PyCodeObject *co = (exe && PyCode_Check(exe)) ? (PyCodeObject *)exe : NULL;
#else
    PyCodeObject *co = f->f_code;
    visit_child(w, (PyObject *)co);
#endif
    visit_child(w, f->f_globals);
    visit_child(w, f->f_builtins);
    visit_child(w, f->f_locals);
    visit_child(w, (PyObject *)f->frame_obj);
    if (!co || _PyFrame_IsIncomplete(f))
        return;
    int n = f->stacktop;
    int maxn = co->co_nlocalsplus + co->co_stacksize;
    if (n < 0 || n > maxn)
        n = co->co_nlocalsplus; /* the frame is running: only its locals are settled */
    for (int i = 0; i < n; i++)
        visit_child(w, f->localsplus[i]);
}
#endif

static void walk_threads(hs_walker *w)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts; ts = PyThreadState_Next(ts)) {
        for (hs_frame *f = hs_top_frame(ts); f; f = hs_frame_back(f))
#if HS_PY311
            visit_interp_frame(w, f);
#else
            visit_child(w, (PyObject *)f);
#endif
        visit_child(w, ts->dict);
        visit_child(w, ts->async_exc);
        visit_child(w, ts->context);
        drain(w);
    }
}

/* Locals of running frames, by name (graph roots). */
#if HS_PY311
static void frame_locals(hs_frame *f, int thread, int mine, int Py_UNUSED(other_top), hs_local_fn local,
                         void *ctx)
{
#if HS_PY312
    if (f->owner == FRAME_OWNED_BY_CSTACK)
        return;
#endif
#if PY_VERSION_HEX >= 0x030D0000
    PyCodeObject *co = (f->f_executable && PyCode_Check(f->f_executable)) ? (PyCodeObject *)f->f_executable : NULL;
#else
    PyCodeObject *co = f->f_code;
#endif
    if (!co || _PyFrame_IsIncomplete(f))
        return;
    PyObject *names = co->co_localsplusnames;
    for (int i = 0; i < co->co_nlocalsplus; i++)
        if (f->localsplus[i]) {
            hs_holder h = {thread, mine, f, co, names && i < PyTuple_GET_SIZE(names) ? PyTuple_GET_ITEM(names, i) : NULL,
                           HS_SLOT_LOCAL};
            local(ctx, &h, f->localsplus[i]);
        }
}
#else
static void frame_locals(hs_frame *f, int thread, int mine, int other_top, hs_local_fn local, void *ctx)
{
    PyCodeObject *co = f->f_code;
    if (!co)
        return;
    Py_ssize_t nl = co->co_nlocals, nc = PyTuple_GET_SIZE(co->co_cellvars), nf = PyTuple_GET_SIZE(co->co_freevars);
    for (Py_ssize_t i = 0; i < nl + nc + nf; i++) {
        PyObject *names = i < nl ? co->co_varnames : i < nl + nc ? co->co_cellvars : co->co_freevars;
        Py_ssize_t k = i < nl ? i : i < nl + nc ? i - nl : i - nl - nc;
        if (f->f_localsplus[i]) {
            hs_holder h = {thread, mine, f, co, k < PyTuple_GET_SIZE(names) ? PyTuple_GET_ITEM(names, k) : NULL,
                           HS_SLOT_LOCAL};
            local(ctx, &h, f->f_localsplus[i]);
        }
    }
    int operands, depth = hs_frame_stack_depth(f, other_top, &operands);
    for (int i = 0; i < depth; i++)
        if (f->f_valuestack[i]) {
            hs_holder h = {thread, mine, f, co, NULL, i < depth - operands ? HS_SLOT_STACK : HS_SLOT_OPERAND};
            local(ctx, &h, f->f_valuestack[i]);
        }
}
#endif

void hs_walk_frame_locals(hs_local_fn local, void *ctx)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    PyThreadState *me = PyThreadState_Get();
    int thread = 0;
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts; ts = PyThreadState_Next(ts), thread++)
        for (hs_frame *f = hs_top_frame(ts); f; f = hs_frame_back(f))
            frame_locals(f, thread, ts == me, ts != me && f == hs_top_frame(ts), local, ctx);
}

void hs_walk_referents(hs_walker *w, PyObject *op, void (*edge)(hs_walker *, PyObject *), void *ctx)
{
    hs_typeinfo *ti = hs_typeinfo_get(w, Py_TYPE(op));
    if (!ti)
        return;
    w->edge = edge;
    w->edge_ctx = ctx;
    traverse(w, op, ti);
    w->edge = NULL;
}

int hs_walk_is_node(hs_walker *w, PyObject *op, const hs_typeinfo *ti)
{
    if (!ti->special)
        return 1;
    if (ti->owned || (ti->is_method && bound_to_owned(w, op, ti)))
        return 0;
    return !(ti->type == &PyFrame_Type && hs_frame_is_executing((PyFrameObject *)op));
}

/* ---- 6. the walk -------------------------------------------------------------- */

static void walk_list(hs_walker *w, PyGC_Head *head)
{
    for (PyGC_Head *g = (PyGC_Head *)head->_gc_next; g != head && !w->oom && !w->aborted;
         g = (PyGC_Head *)g->_gc_next) {
        PyObject *op = (PyObject *)(g + 1);
        __builtin_prefetch((PyGC_Head *)g->_gc_next + 1);
        hs_typeinfo *ti = hs_typeinfo_get(w, Py_TYPE(op));
        if (!ti)
            break;
        if (ti->special) {
            if (ti->owned || (ti->is_method && bound_to_owned(w, op, ti)))
                continue;
            /* A frame still running is a root, not a leaked object: traverse only. */
            if (ti->type == &PyFrame_Type && hs_frame_is_executing((PyFrameObject *)op)) {
                traverse(w, op, ti);
                drain(w);
                continue;
            }
        }
        if (emit_one(w, op, ti) < 0) {
            w->aborted = 1;
            break;
        }
        traverse(w, op, ti);
        if (w->nstack)
            drain_stack(w);
    }
    drain(w);
}

static PyThreadState *holding; /* hs_gc_hold_here's thread, or NULL */

void hs_gc_hold_in(PyThreadState *ts) { holding = ts; }

int hs_gc_hold_here(void) { return holding != NULL && holding == PyThreadState_Get(); }

int hs_walk_refused(void)
{
    if (!hs_gc_collecting())
        return 0;
    PyErr_SetString(PyExc_RuntimeError, "heapscope cannot walk the heap while the garbage collector is running "
                                        "(called from a gc callback or a finalizer run by the collector)");
    return -1;
}

int hs_walk_run(hs_walker *w, hs_emit_fn emit, void *ctx)
{
    static int walking;
    if (hs_walk_refused() < 0)
        return -1;
    if (walking) {
        PyErr_SetString(PyExc_RuntimeError, "heapscope: re-entrant heap walk");
        return -1;
    }
    w->emit = emit;
    w->ctx = ctx;
    w->oom = w->aborted = w->draining = 0;
    w->nstack = 0; /* an aborted walk may have left some */
    w->nobjects = 0;
    w->rhead = w->rtail = 0;
    hs_typeinfo *ti;
    for (size_t i = 0; w->tally && (ti = hs_walk_type_at(w, i)) != NULL; i++)
        ti->tally_n = ti->tally_size = 0;
    if (hs_visited_begin(&w->seen) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    walking = 1;
    struct _gc_runtime_state *g = hs_gcstate();
    /* w->gen tells consumers which list a tracked object was found in. */
    w->gen = NUM_GENERATIONS;
    walk_list(w, &g->permanent_generation.head);
    walk_list(w, hs_frozen_aside());
    for (w->gen = NUM_GENERATIONS - 1; w->gen >= 0; w->gen--)
        walk_list(w, &g->generations[w->gen].head);
    walk_threads(w);
    walking = 0;
    hs_visited_end(&w->seen);
    w->emit = NULL;
    if (w->oom) {
        PyErr_NoMemory();
        return -1;
    }
    if (w->aborted) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        return -1;
    }
    return 0;
}
