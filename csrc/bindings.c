/*
 * bindings.c -- the heapscope._core module: binds the C functions of walk.c,
 * summary.c, objects.c, labels.c, typestats.c, refsearch.c, dot.c, heapfile.c and verdict.c to Python, and
 * dominators.c's test entry point.  No logic lives here.
 */
#include "walk.h"
#include "valuestack.h"
#include "summary.h"
#include "objects.h"
#include "labels.h"
#include "snapshot.h"
#include "freeze.h"
#include "paths.h"
#include "retain.h"
#include "graph.h"
#include "typestats.h"
#include "dominators.h"
#include "refsearch.h"
#include "dot.h"
#include "heapfile.h"
#include "verdict.h"

/* One optional boolean argument, positional or by keyword, parsed without
 * creating an argument tuple (it would be counted by the walk that follows). */
static int one_flag(const char *fn, const char *name, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                    int *flag)
{
    PyObject *v = NULL;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs > 1 || nargs + nkw > 1) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most 1 argument (%s)", fn, name);
        return -1;
    }
    if (nargs == 1) {
        v = args[0];
    } else if (nkw == 1) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(kwnames, 0)) ||
            PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), name) != 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument %R", fn,
                         PyTuple_GET_ITEM(kwnames, 0));
            return -1;
        }
        v = args[0];
    }
    if (v) {
        int r = PyObject_IsTrue(v);
        if (r < 0)
            return -1;
        *flag = r;
    }
    return 0;
}

static PyObject *py_summarize_heap(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs,
                                   PyObject *kwnames)
{
    int detail = 0;
    if (one_flag("summarize_heap", "detail", args, nargs, kwnames, &detail) < 0)
        return NULL;
    return hs_summary_of_heap(detail);
}

static PyObject *py_summarize(PyObject *Py_UNUSED(m), PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"objects", "detail", NULL};
    PyObject *objects;
    int detail = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|p:summarize", kwlist, &objects, &detail))
        return NULL;
    return hs_summary_of_sequence(objects, detail);
}

/* Optional boolean arguments, positional in the order of names or by keyword,
 * parsed without creating an argument tuple. */
static int flags(const char *fn, const char *const *names, int nnames, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames, int *out)
{
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs > nnames) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %d positional arguments", fn, nnames);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs + nkw; i++) {
        int at = (int)i;
        if (i >= nargs) {
            PyObject *k = PyTuple_GET_ITEM(kwnames, i - nargs);
            for (at = 0; at < nnames; at++)
                if (PyUnicode_Check(k) && PyUnicode_CompareWithASCIIString(k, names[at]) == 0)
                    break;
            if (at == nnames) {
                PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument %R", fn, k);
                return -1;
            }
            if (at < nargs) {
                PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", fn, names[at]);
                return -1;
            }
        }
        int r = PyObject_IsTrue(args[i]);
        if (r < 0)
            return -1;
        out[at] = r;
    }
    return 0;
}

static PyObject *py_snapshot(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"identity", "lengths"};
    int f[2] = {1, 0};
    if (flags("snapshot", names, 2, args, nargs, kwnames, f) < 0)
        return NULL;
    return hs_snapshot_take(f[0], 0, f[1], NULL, NULL);
}

static PyObject *py_graph_snapshot(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs,
                                   PyObject *kwnames)
{
    static const char *const names[] = {"identity", "names", "lengths"};
    int f[3] = {1, 0, 0};
    if (flags("graph_snapshot", names, 3, args, nargs, kwnames, f) < 0)
        return NULL;
    return hs_snapshot_take(f[0], f[1] ? 2 : 1, f[2], NULL, NULL);
}

static PyObject *py_get_objects(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    return hs_objects_list();
}

static PyObject *py_count_objects(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    Py_ssize_t n = hs_objects_count();
    return n < 0 ? NULL : PyLong_FromSsize_t(n);
}

static PyObject *py_identity_diff(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "identity_diff(old, new) takes 2 arguments");
        return NULL;
    }
    return hs_identity_diff(args[0], args[1]);
}

static PyObject *py_label(PyObject *Py_UNUSED(m), PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"obj", "detail", NULL};
    PyObject *obj;
    int detail = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|p:label", kwlist, &obj, &detail))
        return NULL;
    return hs_label_of(obj, detail);
}

static PyObject *py_sizeof(PyObject *Py_UNUSED(m), PyObject *obj)
{
    return PyLong_FromSsize_t(hs_size_of(obj));
}

static PyObject *py_own_type(PyObject *Py_UNUSED(m), PyObject *tp)
{
    if (!PyType_Check(tp)) {
        PyErr_SetString(PyExc_TypeError, "own_type() expects a type");
        return NULL;
    }
    if (hs_own_type((PyTypeObject *)tp) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *py_set_label_hooks(PyObject *Py_UNUSED(m), PyObject *module_hook)
{
    if (!PyCallable_Check(module_hook)) {
        PyErr_SetString(PyExc_TypeError, "set_label_hooks(module) expects a callable");
        return NULL;
    }
    hs_labels_set_hooks(module_hook);
    Py_RETURN_NONE;
}

static PyObject *py_type_stats(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    return hs_type_stats();
}

static PyObject *py_freeze_aside(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    if (hs_freeze_aside() < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *py_collect_old(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    Py_ssize_t n = hs_collect_old();
    return n < 0 ? NULL : PyLong_FromSsize_t(n);
}

static PyObject *py_freeze_restore(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    hs_freeze_restore();
    Py_RETURN_NONE;
}

static PyObject *py_why_alive(PyObject *Py_UNUSED(m), PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"objs", "max_paths", "retained", "graph", NULL};
    PyObject *objs;
    int max_paths = 3, retained = 0, graph = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|ipp:why_alive", kwlist, &objs, &max_paths, &retained, &graph))
        return NULL;
    return hs_why_alive(objs, max_paths, retained, graph);
}

static PyObject *py_retained_size(PyObject *Py_UNUSED(m), PyObject *obj) { return hs_retained_one(obj, NULL); }

static PyObject *py_hold_collector_here(PyObject *Py_UNUSED(m), PyObject *args)
{
    int on = 1;
    if (!PyArg_ParseTuple(args, "|p:hold_collector_here", &on))
        return NULL;
    if (on)
        hs_gc_hold_in(PyThreadState_Get());
    else if (hs_gc_hold_here())
        hs_gc_hold_in(NULL);
    Py_RETURN_NONE;
}

static PyObject *py_hide_frames(PyObject *Py_UNUSED(m), PyObject *code)
{
    if (hs_graph_hide_frames(code) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *py_dominators(PyObject *Py_UNUSED(m), PyObject *args)
{
    return hs_dominators_py(args);
}

/* Positional arguments only, read from the caller's stack: an argument tuple
 * would refer to the objects searched around, and be found as a referrer. */
static int int_arg(PyObject *o, int *out)
{
    long v = PyLong_AsLong(o);
    if (v == -1 && PyErr_Occurred())
        return -1;
    *out = v > 1000000 ? 1000000 : v < -1 ? -1 : (int)v;
    return 0;
}

static PyObject *py_neighbourhood(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs)
{
    int depth, backwards, cull = 0;
    if (nargs < 3 || nargs > 5) {
        PyErr_SetString(PyExc_TypeError,
                        "neighbourhood(seeds, max_depth, backwards, ignore=None, cull_modules=False)");
        return NULL;
    }
    if (int_arg(args[1], &depth) < 0 || (backwards = PyObject_IsTrue(args[2])) < 0 ||
        (nargs > 4 && (cull = PyObject_IsTrue(args[4])) < 0))
        return NULL;
    return hs_neighbourhood(args[0], depth, backwards, nargs > 3 ? args[3] : NULL, cull);
}

static PyObject *py_find_chain(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs)
{
    int depth, backwards;
    if (nargs < 4 || nargs > 5) {
        PyErr_SetString(PyExc_TypeError, "find_chain(obj, predicate, max_depth, backwards, ignore=None)");
        return NULL;
    }
    if (int_arg(args[2], &depth) < 0 || (backwards = PyObject_IsTrue(args[3])) < 0)
        return NULL;
    return hs_find_chain(args[0], args[1], depth, backwards, nargs > 4 ? args[4] : NULL);
}

static PyObject *py_edge(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "edge(parent, child) takes 2 arguments");
        return NULL;
    }
    return hs_edge_tuple(args[0], args[1]);
}

static PyObject *py_dot(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "dot(name, defaults, nodes, edges) takes 4 arguments");
        return NULL;
    }
    return hs_dot(args[0], args[1], args[2], args[3]);
}

static PyObject *py_load_heapfile(PyObject *Py_UNUSED(m), PyObject *path)
{
    return hs_heapfile_load(path);
}

static PyObject *py_frame_stack(PyObject *Py_UNUSED(m), PyObject *frame)
{
    return hs_frame_stack_py(frame);
}

static int nargs_is(const char *sig, Py_ssize_t nargs, Py_ssize_t want)
{
    if (nargs == want)
        return 1;
    PyErr_Format(PyExc_TypeError, "%s takes %zd arguments (%zd given)", sig, want, nargs);
    return 0;
}

static PyObject *py_old_changes(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs)
{
    return nargs_is("old_changes(old, new)", nargs, 2) ? hs_old_changes(args[0], args[1]) : NULL;
}

static PyObject *py_record_series(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs)
{
    return nargs_is("record_series(snaps, addrs)", nargs, 2) ? hs_record_series(args[0], args[1]) : NULL;
}

static PyObject *py_leak_groups(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs)
{
    return nargs_is("leak_groups(diff, labels, containers)", nargs, 3) ? hs_leak_groups(args[0], args[1], args[2])
                                                                        : NULL;
}

static PyObject *py_native_memory(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a)) { return hs_native_memory(); }

static PyObject *py_objects_at(PyObject *Py_UNUSED(m), PyObject *addrs) { return hs_objects_at(addrs); }

static PyMethodDef core_methods[] = {
    {"load_heapfile", py_load_heapfile, METH_O,
     "load_heapfile(path) -> the Snapshot saved in a heap file (HeapFileError when it cannot be read)."},
    {"summarize_heap", (PyCFunction)(void (*)(void))py_summarize_heap, METH_FASTCALL | METH_KEYWORDS,
     "summarize_heap(detail=False) -> Summary of every live object, from one C heap walk."},
    {"summarize", (PyCFunction)(void (*)(void))py_summarize, METH_VARARGS | METH_KEYWORDS,
     "summarize(objects, detail=False) -> [[label, count, size], ...] (Pympler)."},
    {"snapshot", (PyCFunction)(void (*)(void))py_snapshot, METH_FASTCALL | METH_KEYWORDS,
     "snapshot(identity=True, lengths=False) -> Snapshot of every live object (no references kept); with\n"
     "lengths, the length of every dict, list, set, frozenset, deque and bytearray (and subclasses) too."},
    {"graph_snapshot", (PyCFunction)(void (*)(void))py_graph_snapshot, METH_FASTCALL | METH_KEYWORDS,
     "graph_snapshot(identity=True, names=False, lengths=False) -> Snapshot with the reference graph and\n"
     "its roots (names: and the name of every edge; lengths: and container lengths, as snapshot())."},
    {"old_changes", (PyCFunction)(void (*)(void))py_old_changes, METH_FASTCALL,
     "old_changes(old, new) -> [(addr, label, detail, old_size, new_size, old_len, new_len)]: the objects\n"
     "alive in both snapshots whose size or length changed, in the new snapshot's record order.  Alive in\n"
     "both: same address and type and, with creation serials of one series (3.13+), the same serial;\n"
     "without them a GC-tracked object must be in the permanent generation in both (freeze the old heap,\n"
     "as find_leaks does), an untracked one only of the same type.  label and detail are the new\n"
     "snapshot's; lengths are -1 unless both snapshots were taken with lengths=True.  Pure C over the\n"
     "records: ValueError for snapshots of different processes."},
    {"record_series", (PyCFunction)(void (*)(void))py_record_series, METH_FASTCALL,
     "record_series(snaps, addrs) -> one list per address of one item per snapshot: (size, length), or\n"
     "None when that snapshot has no record at the address or one of another type than the first\n"
     "snapshot that has it (length -1 without lengths=True).  One pass per snapshot."},
    {"leak_groups", (PyCFunction)(void (*)(void))py_leak_groups, METH_FASTCALL,
     "leak_groups(diff, labels, containers) -> (groups, members).  diff = g.diff(base), g a graph snapshot\n"
     "of this process; the leaking objects are g's new records whose detailed label is in labels (a set);\n"
     "containers: addresses of records of g (ValueError for others).  Each leaking object's accumulation\n"
     "point is the nearest old node up its immediate-dominator chain or, when the chain is new up to the\n"
     "virtual root, the nearest old referrer found backwards through new objects, else none.  groups:\n"
     "[(acc_addr or 0, acc_label, acc_detail, acc_len or -1, n_members, members_size, retained)], the\n"
     "containers' first (in the order given, each once), then by members_size, the group without an\n"
     "accumulation point (labels None) last; retained: bytes of the union of the members' dominator\n"
     "subtrees.  members: [(addr, group_index, parent_addr, depth, label, detail, size)] by group then\n"
     "depth; parent = immediate dominator (the acc point when that is the virtual root, 0 when none),\n"
     "depth = dominator steps from the acc point (1: directly under it)."},
    {"native_memory", py_native_memory, METH_NOARGS,
     "native_memory() -> (malloc_in_use, allocated_blocks): glibc's mallinfo2() uordblks + hblkhd (mallinfo()\n"
     "before glibc 2.33, -1 without either) and sys.getallocatedblocks()."},
    {"objects_at", py_objects_at, METH_O,
     "objects_at(addrs) -> [object or None] per address: the live objects at those addresses, found by one\n"
     "fresh heap walk (an address the walk does not reach is never read)."},
    {"get_objects", py_get_objects, METH_NOARGS, "get_objects() -> list of every live object."},
    {"count_objects", py_count_objects, METH_NOARGS, "count_objects() -> number of live objects."},
    {"identity_diff", (PyCFunction)(void (*)(void))py_identity_diff, METH_FASTCALL,
     "identity_diff(old, new) -> (added, removed), by object identity."},
    {"label", (PyCFunction)(void (*)(void))py_label, METH_VARARGS | METH_KEYWORDS,
     "label(obj, detail=False) -> Pympler-style label of obj, or its detailed label."},
    {"sizeof", py_sizeof, METH_O, "sizeof(obj) -> size as the walk computes it (== sys.getsizeof)."},
    {"own_type", py_own_type, METH_O, "own_type(cls): instances of cls are never counted."},
    {"set_label_hooks", py_set_label_hooks, METH_O,
     "set_label_hooks(module): Python helper labelling modules without __name__."},
    {"type_stats", py_type_stats, METH_NOARGS,
     "type_stats() -> [(type, count), ...] of every live object, by exact type."},
    {"why_alive", (PyCFunction)(void (*)(void))py_why_alive, METH_VARARGS | METH_KEYWORDS,
     "why_alive(objs, max_paths=3, retained=False, graph=False) -> per object [(root kind, root label, [objects],\n"
     "[edges])], shortest first; with retained, (that list, retained size).  One object with max_paths=1 is\n"
     "searched forward from the roots without a graph unless graph is true."},
    {"retained_size", py_retained_size, METH_O,
     "retained_size(obj) -> bytes freed with obj: it and what only it keeps alive (None: not on the heap)."},
    {"hold_collector_here", py_hold_collector_here, METH_VARARGS,
     "hold_collector_here(on=True): in this thread (heapscope run's sampler) summaries and snapshots keep\n"
     "the collector paused until their labels are made, and leave the youngest generation's count at least\n"
     "64 below its threshold, so no automatic collection runs in it.  False (in that thread) ends it."},
    {"hide_frames", py_hide_frames, METH_O,
     "hide_frames(code): locals of frames running this code are not graph roots (heapscope's own)."},
    {"freeze_aside", py_freeze_aside, METH_NOARGS,
     "freeze_aside(): hold the program's frozen objects aside (find_leaks, before gc.freeze)."},
    {"collect_old", py_collect_old, METH_NOARGS,
     "collect_old() -> n: a full collection among the permanent generation's objects only (find_leaks'\n"
     "frozen old heap): the garbage cycles of old objects go, the young objects stay where they are."},
    {"freeze_restore", py_freeze_restore, METH_NOARGS,
     "freeze_restore(): put them back into the permanent generation (after gc.unfreeze)."},
    {"neighbourhood", (PyCFunction)(void (*)(void))py_neighbourhood, METH_FASTCALL,
     "neighbourhood(seeds, max_depth, backwards, ignore=None, cull_modules=False) -> (objects, adjacency):\n"
     "the objects within max_depth referrers (backwards) or referents of the seeds, breadth-first,\n"
     "seeds first; adjacency[i] lists positions in gc.get_referrers / traversal order, None when\n"
     "object i was not expanded.  ignore: object ids never entered.  One heap walk."},
    {"find_chain", (PyCFunction)(void (*)(void))py_find_chain, METH_FASTCALL,
     "find_chain(obj, predicate, max_depth, backwards, ignore=None) -> [found, ..., obj], or [obj]:\n"
     "objgraph's shortest chain; the predicate runs after the walk, on strong references."},
    {"edge", (PyCFunction)(void (*)(void))py_edge, METH_FASTCALL,
     "edge(parent, child) -> ('key', k) | ('attr', name) | ('index', i) | ('item', text): how parent refers to child."},
    {"dot", (PyCFunction)(void (*)(void))py_dot, METH_FASTCALL,
     "dot(name, defaults, nodes, edges) -> Graphviz DOT text (see csrc/dot.h)."},
    {"_frame_stack", py_frame_stack, METH_O,
     "_frame_stack(frame) -> (items, operands): the live evaluation stack of a running frame as heapscope "
     "reads it (3.9/3.10), None elsewhere or when unknown; for tests only."},
    {"_dominators", py_dominators, METH_VARARGS,
     "_dominators(n, edges, roots, sizes) -> (idom, retained), for tests and benchmarks only.\n"
     "Nodes 0..n-1, edges a list of (u, v) tuples, roots a list of nodes joined to a virtual\n"
     "root, sizes a list of n ints >= 0.  idom[v] is v's immediate dominator, -1 when that is\n"
     "the virtual root, -2 when v is unreachable; retained[v] is v's retained size (0 when\n"
     "unreachable).  Runs dominators.c on a CSR built in C from the lists."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "heapscope._core",
    .m_doc = "heapscope's C core: heap walk, sizes, labels, summaries.",
    .m_size = -1,
    .m_methods = core_methods,
};

PyMODINIT_FUNC PyInit__core(void)
{
    PyObject *m = PyModule_Create(&core_module);
    if (!m)
        return NULL;
    if (hs_walk_init() < 0 || hs_summary_init(m) < 0 || hs_snapshot_init(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
