/*
 * valuestack.c -- CPython 3.9/3.10 only: how deep a running frame's
 * evaluation stack is.
 *
 * Those interpreters keep a running frame's stack pointer in a C local of the
 * eval loop (f_stacktop is NULL, f_stackdepth -1, but while tracing), so the
 * references a frame holds on its stack -- the function and arguments of the
 * call it is in, the iterator of a for loop -- are invisible to tp_traverse
 * and would otherwise be counted as references from outside the heap.  The
 * depth is recovered from the bytecode the way the compiler computes
 * co_stacksize: a forward pass over the instructions with
 * PyCompile_OpcodeStackEffectWithJump, giving the depth before f_lasti.
 * A frame that called out is still inside that instruction (its operands are
 * popped after the call returns), so that is the depth during the call.
 *
 * Another thread's innermost frame may instead have stopped between two
 * instructions (the GIL is handed over before the next one), which cannot be
 * told apart from inside a call unless f_lasti is a call: only then is its
 * depth trusted.  Anything not understood gives -1: no stack, never a guess.
 */
#include "valuestack.h"

#if PY_VERSION_HEX < 0x030B0000
#include <opcode.h>
#include <stdlib.h>

#if PY_VERSION_HEX >= 0x030A0000
#define UNIT_OF_LASTI(x) (x)        /* 3.10: f_lasti and jumps count code units */
#define JUMP_UNITS(x) (x)
#else
#define UNIT_OF_LASTI(x) ((x) / 2)  /* 3.9: bytes */
#define JUMP_UNITS(x) ((x) / 2)
#endif

static int is_relative_jump(int op)
{
    return op == FOR_ITER || op == JUMP_FORWARD || op == SETUP_FINALLY || op == SETUP_WITH || op == SETUP_ASYNC_WITH;
}

static int is_absolute_jump(int op)
{
    return op == JUMP_IF_FALSE_OR_POP || op == JUMP_IF_TRUE_OR_POP || op == JUMP_ABSOLUTE ||
           op == POP_JUMP_IF_FALSE || op == POP_JUMP_IF_TRUE || op == JUMP_IF_NOT_EXC_MATCH;
}

static int no_fallthrough(int op)
{
    return op == JUMP_FORWARD || op == JUMP_ABSOLUTE || op == RETURN_VALUE || op == RAISE_VARARGS ||
           op == RERAISE;
}

/* Depth before instruction `at` (a code unit index), or -1. */
static int depth_before(PyCodeObject *co, Py_ssize_t at)
{
    if (!PyBytes_Check(co->co_code))
        return -1;
    const _Py_CODEUNIT *code = (const _Py_CODEUNIT *)PyBytes_AS_STRING(co->co_code);
    Py_ssize_t n = PyBytes_GET_SIZE(co->co_code) / (Py_ssize_t)sizeof(_Py_CODEUNIT);
    if (at < 0 || at >= n)
        return -1;
    int *depth = malloc((size_t)n * sizeof(int));
    Py_ssize_t *work = malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    int result = -1;
    if (!depth || !work)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++)
        depth[i] = -1;
    Py_ssize_t nwork = 0;
#if PY_VERSION_HEX >= 0x030A0000
    depth[0] = _Py_OPCODE(code[0]) == GEN_START; /* a generator starts with the sent value */
#else
    depth[0] = 0;
#endif
    work[nwork++] = 0;
    while (nwork) {
        Py_ssize_t i = work[--nwork];
        int d = depth[i], op = _Py_OPCODE(code[i]);
        int oparg = _Py_OPARG(code[i]);
        for (Py_ssize_t j = i - 1, shift = 8; j >= 0 && _Py_OPCODE(code[j]) == EXTENDED_ARG && shift < 32;
             j--, shift += 8)
            oparg |= _Py_OPARG(code[j]) << shift;
        Py_ssize_t next[2];
        int nd[2], nn = 0;
        if (op == EXTENDED_ARG) {
            next[nn] = i + 1;
            nd[nn++] = d;
        } else {
            if (is_relative_jump(op) || is_absolute_jump(op)) {
                int e = PyCompile_OpcodeStackEffectWithJump(op, op >= HAVE_ARGUMENT ? oparg : 0, 1);
                if (e == PY_INVALID_STACK_EFFECT)
                    goto done;
                next[nn] = is_relative_jump(op) ? i + 1 + JUMP_UNITS(oparg) : JUMP_UNITS(oparg);
                nd[nn++] = d + e;
            }
            if (!no_fallthrough(op)) {
                int e = PyCompile_OpcodeStackEffectWithJump(op, op >= HAVE_ARGUMENT ? oparg : 0, 0);
                if (e == PY_INVALID_STACK_EFFECT)
                    goto done;
                next[nn] = i + 1;
                nd[nn++] = d + e;
            }
        }
        for (int k = 0; k < nn; k++) {
            if (next[k] < 0 || next[k] >= n || nd[k] < 0 || nd[k] > co->co_stacksize) {
                if (next[k] == n && nd[k] >= 0)
                    continue; /* falls off the end: unreachable in practice */
                goto done;
            }
            if (depth[next[k]] < 0) {
                depth[next[k]] = nd[k];
                work[nwork++] = next[k];
            }
        }
    }
    result = depth[at];
done:
    free(depth);
    free(work);
    return result;
}

/* The number of operands of the call at code unit `at` (its EXTENDED_ARGs
 * first), or 0 when that instruction is not a call. */
static int call_operands(PyCodeObject *co, Py_ssize_t at)
{
    Py_ssize_t n = PyBytes_Check(co->co_code) ? PyBytes_GET_SIZE(co->co_code) / 2 : 0;
    const _Py_CODEUNIT *code = n ? (const _Py_CODEUNIT *)PyBytes_AS_STRING(co->co_code) : NULL;
    int oparg = 0;
    for (; at < n && _Py_OPCODE(code[at]) == EXTENDED_ARG; at++)
        oparg = (oparg | _Py_OPARG(code[at])) << 8;
    if (at >= n)
        return 0;
    oparg |= _Py_OPARG(code[at]);
    switch (_Py_OPCODE(code[at])) {
    case CALL_FUNCTION: return oparg + 1;          /* function, arguments           */
    case CALL_METHOD: return oparg + 2;            /* method and self (or NULL), .. */
    case CALL_FUNCTION_KW: return oparg + 2;       /* .., and the keywords' names   */
    case CALL_FUNCTION_EX: return 2 + (oparg & 1); /* function, *args[, **kwargs]   */
    default: return 0;
    }
}

int hs_frame_stack_depth(PyFrameObject *f, int other_thread_top, int *operands)
{
    PyCodeObject *co = f->f_code;
    *operands = 0;
    if (!co)
        return -1;
#if PY_VERSION_HEX >= 0x030A0000
    if (f->f_stackdepth >= 0) /* saved around a trace call */
        return f->f_stackdepth <= co->co_stacksize ? f->f_stackdepth : -1;
#else
    if (f->f_stacktop) {
        Py_ssize_t d = f->f_stacktop - f->f_valuestack;
        return d >= 0 && d <= co->co_stacksize ? (int)d : -1;
    }
#endif
    if (f->f_lasti < 0)
        return -1;
    Py_ssize_t at = UNIT_OF_LASTI(f->f_lasti);
    int ops = call_operands(co, at);
    if (other_thread_top && !ops)
        return -1;
    int depth = depth_before(co, at);
    if (depth >= 0)
        *operands = ops <= depth ? ops : depth;
    return depth;
}


PyObject *hs_frame_stack_py(PyObject *frame)
{
    if (!PyFrame_Check(frame)) {
        PyErr_SetString(PyExc_TypeError, "_frame_stack() expects a frame");
        return NULL;
    }
    PyFrameObject *f = (PyFrameObject *)frame;
    if (!hs_frame_is_executing(f))
        Py_RETURN_NONE;
    int operands, depth = hs_frame_stack_depth(f, 0, &operands);
    if (depth < 0)
        Py_RETURN_NONE;
    PyObject *items = PyList_New(depth);
    for (int i = 0; items && i < depth; i++) {
        PyObject *o = f->f_valuestack[i] ? f->f_valuestack[i] : Py_None;
        Py_INCREF(o);
        PyList_SET_ITEM(items, i, o);
    }
    return items ? Py_BuildValue("(Ni)", items, operands) : NULL;
}

#else
PyObject *hs_frame_stack_py(PyObject *Py_UNUSED(frame)) { Py_RETURN_NONE; }
#endif
