/*
 * bindings.c -- the heapscope._core module: binds the C functions of walk.c,
 * summary.c, objects.c, labels.c, typestats.c, refsearch.c, dot.c and heapfile.c to Python, and
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

static PyObject *py_snapshot(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    int identity = 1;
    if (one_flag("snapshot", "identity", args, nargs, kwnames, &identity) < 0)
        return NULL;
    return hs_snapshot_take(identity, 0, NULL, NULL);
}

static PyObject *py_graph_snapshot(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs,
                                   PyObject *kwnames)
{
    int identity = 1, names = 0;
    if (nargs == 2 && !kwnames) { /* (identity, names) positionally */
        if ((identity = PyObject_IsTrue(args[0])) < 0 || (names = PyObject_IsTrue(args[1])) < 0)
            return NULL;
    } else if (one_flag("graph_snapshot", "identity", args, nargs, kwnames, &identity) < 0) {
        return NULL;
    }
    return hs_snapshot_take(identity, names ? 2 : 1, NULL, NULL);
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

static PyMethodDef core_methods[] = {
    {"load_heapfile", py_load_heapfile, METH_O,
     "load_heapfile(path) -> the Snapshot saved in a heap file (HeapFileError when it cannot be read)."},
    {"summarize_heap", (PyCFunction)(void (*)(void))py_summarize_heap, METH_FASTCALL | METH_KEYWORDS,
     "summarize_heap(detail=False) -> Summary of every live object, from one C heap walk."},
    {"summarize", (PyCFunction)(void (*)(void))py_summarize, METH_VARARGS | METH_KEYWORDS,
     "summarize(objects, detail=False) -> [[label, count, size], ...] (Pympler)."},
    {"snapshot", (PyCFunction)(void (*)(void))py_snapshot, METH_FASTCALL | METH_KEYWORDS,
     "snapshot(identity=True) -> Snapshot of every live object (no references kept)."},
    {"graph_snapshot", (PyCFunction)(void (*)(void))py_graph_snapshot, METH_FASTCALL | METH_KEYWORDS,
     "graph_snapshot(identity=True[, names]) -> Snapshot with the reference graph and its roots\n"
     "(names: and the name of every edge)."},
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
