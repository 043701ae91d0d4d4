/*
 * identity.c -- creation serials through PyRefTracer (see identity.h).
 *
 * The tracer chains to whatever tracer was installed before it (tracemalloc
 * installs one), and is removed only while it is still the installed one; if
 * another tool replaced it, it stays out of the way and the series is over.
 */
#include "identity.h"
#include "addrmap.h"

#if PY_VERSION_HEX >= 0x030D0000

static struct {
    int users;              /* snapshots alive that asked for identity       */
    int installed;          /* our tracer is (or was last seen) installed    */
    int broken;             /* out of memory in the tracer: serials unusable */
    uint64_t series, next_serial;
    hs_addrmap serials;     /* address -> creation serial                    */
    PyRefTracer prev;
    void *prev_data;
} id_state;

static int tracer(PyObject *op, PyRefTracerEvent event, void *data)
{
    (void)data;
    if (event == PyRefTracer_CREATE) {
        if (hs_addrmap_put(&id_state.serials, (uintptr_t)op, ++id_state.next_serial) < 0)
            id_state.broken = 1;
    } else {
        hs_addrmap_del(&id_state.serials, (uintptr_t)op);
    }
    return id_state.prev ? id_state.prev(op, event, id_state.prev_data) : 0;
}

static int still_installed(void)
{
    void *data;
    return id_state.installed && PyRefTracer_GetTracer(&data) == tracer;
}

static void end_series(void)
{
    hs_addrmap_free(&id_state.serials);
    id_state.installed = 0;
    id_state.broken = 0;
}

int hs_identity_acquire(void)
{
    if (id_state.installed && !still_installed())
        end_series(); /* displaced: the map has gaps from now on */
    if (!id_state.installed) {
        void *data;
        PyRefTracer cur = PyRefTracer_GetTracer(&data);
        id_state.prev = cur == tracer ? NULL : cur;
        id_state.prev_data = cur == tracer ? NULL : data;
        if (hs_addrmap_reserve(&id_state.serials, 1 << 16) < 0) {
            PyErr_NoMemory();
            return -1;
        }
        if (PyRefTracer_SetTracer(tracer, NULL) < 0) {
            hs_addrmap_free(&id_state.serials);
            return -1;
        }
        id_state.installed = 1;
        id_state.series++;
    }
    id_state.users++;
    return 0;
}

void hs_identity_release(void)
{
    if (id_state.users > 0 && --id_state.users == 0 && id_state.installed) {
        if (still_installed())
            PyRefTracer_SetTracer(id_state.prev, id_state.prev_data);
        end_series();
    }
}

uint64_t hs_identity_series(void)
{
    return still_installed() && !id_state.broken ? id_state.series : 0;
}

uint64_t hs_identity_serial(uintptr_t addr)
{
    uint64_t v;
    return hs_addrmap_get(&id_state.serials, addr, &v) ? v : 0;
}

#else /* before 3.13: no reference tracer */

int hs_identity_acquire(void) { return 0; }
void hs_identity_release(void) {}
uint64_t hs_identity_series(void) { return 0; }
uint64_t hs_identity_serial(uintptr_t addr)
{
    (void)addr;
    return 0;
}

#endif
