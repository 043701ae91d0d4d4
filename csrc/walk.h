/*
 * walk.h -- one complete, allocation-free walk of the live Python heap.
 *
 * The walker emits every live object exactly once to a consumer callback,
 * together with the per-type record (hs_typeinfo) that sizes.c and labels.c
 * fill in.  Consumers (summary.c, the object lister in bindings.c) never see
 * heapscope's own objects or frames still running on a thread's stack.
 */
#ifndef HS_WALK_H
#define HS_WALK_H
#include "hs_python.h"
#include "visited.h"

/* How the walker finds an object's referents. */
enum hs_trav { TRAV_NONE, TRAV_GC, TRAV_CODE, TRAV_STATIC_TYPE, TRAV_MEMBERS,
               TRAV_INSTANCE /* GC; plain class instance, read in place (walk.c) */ };

typedef struct hs_typeinfo {
    PyTypeObject *type;
    unsigned char trav;        /* enum hs_trav                             */
    unsigned char size_kind;   /* enum hs_size_kind (sizes.h)              */
    unsigned char label_kind;  /* enum hs_label_kind (labels.h)            */
    unsigned char owned;       /* heapscope's own type: never counted      */
    unsigned char is_dict;     /* PyDict_Check on instances                */
    unsigned char is_type;     /* instances are types (heap or static)     */
    unsigned char is_method;   /* bound methods: owned when self is owned  */
    unsigned char gc;          /* 0 never GC, 1 GC, 2 decided per object   */
    unsigned char special;     /* owned, is_method or frame: the slow path */
    unsigned char len_kind;    /* enum hs_len_kind: what hs_len_of reads   */
    Py_ssize_t basic;          /* fixed part of the size, pre-header incl. */
    Py_ssize_t slot;           /* consumer's accumulator index, or -1      */
    Py_ssize_t tally_n;        /* tally walks: objects counted here ...    */
    Py_ssize_t tally_size;     /* ... and their sizes (hs_walker.tally)    */
} hs_typeinfo;

typedef struct hs_walker hs_walker;
/* Called once per live object. Return 0, or -1 to abort (with a C-level error code). */
typedef int (*hs_emit_fn)(hs_walker *w, PyObject *op, hs_typeinfo *ti);

struct hs_walker {
    hs_emit_fn emit;
    void *ctx;                  /* consumer state                          */
    /* set by hs_walk_referents: referents go here instead of being walked */
    void (*edge)(struct hs_walker *w, PyObject *child);
    void *edge_ctx;
    /* private */
    hs_visited seen;
    PyObject *ring[32];         /* referents waiting for their prefetch    */
    unsigned rhead, rtail;
    PyObject **stack;           /* untracked containers still to traverse  */
    size_t nstack, capstack;
    hs_typeinfo **tslots;       /* type -> typeinfo hash                   */
    size_t tmask, tused;
    hs_typeinfo *tcache[256];   /* direct-mapped type -> typeinfo cache    */
    hs_typeinfo **pool;         /* stable typeinfo storage (chunks)        */
    size_t npool, cappool, chunk_used;
    int gen;                    /* GC list being walked: generation, 3 for the
                                   permanent one (valid for tracked objects) */
    int oom;                    /* set when a C allocation failed          */
    int aborted;                /* emit returned -1                        */
    int draining;               /* inside drain_stack (no nested drains)   */
    /* Set by the consumer before hs_walk_run: an object labelled by its type
     * alone (LABEL_TYPE) whose size hs_size_fast knows is counted in its typeinfo's tally
     * instead of being emitted (a summary's common case, without a call). */
    int tally;
    size_t nobjects;
};

/* The typeinfos of the walker's types, in the order they were first met:
 * for (i = 0; (ti = hs_walk_type_at(w, i)); i++). */
hs_typeinfo *hs_walk_type_at(hs_walker *w, size_t i);

/* heapscope run's sampler thread (hs_gc_hold_in(its thread state)): there the
 * collector stays paused until a summary's or snapshot's labels are made, for
 * the Python code they may run (a metaclass __repr__) allocates, and an
 * automatic collection in that thread would run the program's finalizers in
 * a thread that is not the program's; the youngest generation's count is
 * put back as it was, so those allocations do not start one later in it
 * either.  Elsewhere it resumes before. */
void hs_gc_hold_in(PyThreadState *ts);
int hs_gc_hold_here(void);
/* -1 with RuntimeError when no walk may run now (the collector is running:
 * a gc callback or a finalizer it called), else 0. */
int hs_walk_refused(void);
/* Run one walk: returns 0, or -1 with a Python exception set. */
int hs_walk_run(hs_walker *w, hs_emit_fn emit, void *ctx);
/* Pause automatic collections; returns the previous state for hs_gc_resume. */
static inline int hs_gc_pause(void) { return hs_gc_set_enabled(0); }
static inline void hs_gc_resume(int was) { hs_gc_set_enabled(was); }
/* After a walk, before Python code may run (labels, __sizeof__): hs_gc_after_walk
 * resumes the collector paused as `was` (nothing when was < 0), except in heapscope
 * run's sampler thread, where hs_gc_objects_made resumes it once the labels and
 * every other Python object of the result are made (any GC allocation after it
 * could start a collection there), and puts the youngest generation's count
 * back (hs_gc_hold_in above). */
typedef struct { int was, hold, young; } hs_gc_release;
static inline void hs_gc_after_walk(hs_gc_release *r, int was)
{
    r->was = was;
    r->hold = was >= 0 && hs_gc_hold_here();
    r->young = hs_gc_young_count();
    if (was >= 0 && !r->hold)
        hs_gc_resume(was);
}
static inline void hs_gc_objects_made(hs_gc_release *r)
{
    if (r->hold) { /* the labels' allocations must not start a collection here later */
        /* room for the sampler's own few allocations until its next sample
         * (the lock's argument tuple, a bound method...): a collection they
         * started would run the program's finalizers in the sampler thread */
        hs_gc_young_restore(r->young, 64);
        hs_gc_resume(r->was);
        r->hold = 0;
    }
}
/* After a walk: call edge(w, child) for each referent of op, exactly the
 * references the walk follows (w->edge_ctx is the caller's).  No allocation. */
void hs_walk_referents(hs_walker *w, PyObject *op, void (*edge)(hs_walker *, PyObject *), void *ctx);
/* Where a running frame holds a reference. */
enum hs_slot {
    HS_SLOT_LOCAL,   /* a local, cell or free variable (name given)              */
    HS_SLOT_STACK,   /* its evaluation stack (3.9/3.10: tp_traverse misses them) */
    HS_SLOT_OPERAND, /* the stack slots of the function and arguments of the call
                        the frame is making right now (3.9/3.10)                */
};
/* Where a running frame holds a reference: thread number, whether it is the
 * calling thread (mine), the frame (opaque), its code, the variable's name
 * (borrowed, may be NULL) and the slot kind. */
typedef struct {
    int thread, mine;
    const void *frame;
    PyCodeObject *co;
    PyObject *name;
    int slot;
} hs_holder;
/* local(ctx, holder, value) for every reference held by a frame running on
 * any thread, innermost frame first on each thread; value is a live
 * reference. */
typedef void (*hs_local_fn)(void *ctx, const hs_holder *h, PyObject *value);
void hs_walk_frame_locals(hs_local_fn local, void *ctx);
/* Whether op (of record ti) is an object a walk emits: not heapscope's own,
 * not a frame still running (those are roots, never nodes). */
int hs_walk_is_node(hs_walker *w, PyObject *op, const hs_typeinfo *ti);
/* Whether objects of this type can refer to others (the walk traverses them). */
static inline int hs_has_referents(const hs_typeinfo *ti)
{
    return ti->trav != TRAV_NONE || ti->is_type || ti->is_dict;
}
/* Free the walker's type table after the consumer is done with it. */
void hs_walk_release(hs_walker *w);
/* Create the per-type record on a cache miss; NULL on out-of-memory. */
hs_typeinfo *hs_typeinfo_slow(hs_walker *w, PyTypeObject *tp);

#define HS_TCACHE_INDEX(tp) (((uintptr_t)(tp) >> 5) & 255)

/* Look up (or create) the per-type record; NULL on out-of-memory. */
static inline hs_typeinfo *hs_typeinfo_get(hs_walker *w, PyTypeObject *tp)
{
    hs_typeinfo *t = w->tcache[HS_TCACHE_INDEX(tp)];
    if (t && t->type == tp)
        return t;
    return hs_typeinfo_slow(w, tp);
}
/* Container lengths (snapshots taken with lengths): decided per type. */
enum hs_len_kind { LEN_NONE, LEN_DICT /* ma_used */, LEN_SIZE /* Py_SIZE: list, deque, bytearray */,
                   LEN_SET /* used */ };
/* len(op) for dicts, lists, deques, bytearrays, sets and their subclasses
 * (read in place, no call), 0 for everything else; at most UINT32_MAX. */
static inline uint32_t hs_len_of(PyObject *op, const hs_typeinfo *ti)
{
    Py_ssize_t n;
    switch (ti->len_kind) {
    case LEN_DICT:
        n = ((PyDictObject *)op)->ma_used;
        break;
    case LEN_SIZE:
        n = Py_SIZE(op);
        break;
    case LEN_SET:
        n = ((PySetObject *)op)->used;
        break;
    default:
        return 0;
    }
    return n <= 0 ? 0 : (uint64_t)n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* Whether the cyclic GC tracks op (then a walk emits it from the GC lists). */
static inline int hs_is_tracked(PyObject *op, const hs_typeinfo *ti)
{
    if (ti->gc == 0)
        return 0;
    if (ti->gc == 2 && !Py_TYPE(op)->tp_is_gc(op))
        return 0;
    return ((PyGC_Head *)op - 1)->_gc_next != 0;
}

/* Mark a type as heapscope's own: its instances are never counted or traversed. */
int hs_own_type(PyTypeObject *tp);
/* Module-level setup (interned names); 0 or -1 with exception. */
int hs_walk_init(void);

#endif
