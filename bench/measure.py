"""Timing and peak-memory helpers shared by the bench scripts (Linux only).

``measure(fn)`` runs fn once and returns ``(seconds, peak_bytes, result)``:

* seconds    -- time.perf_counter() around the call only;
* peak_bytes -- how far the process's peak RSS rose above the RSS it had just
                before the call: VmHWM is reset to the current RSS by writing
                "5" to /proc/self/clear_refs, then read back from
                /proc/self/status after the call.  None where the kernel does
                not allow the reset.

Freed memory that glibc or pymalloc keep for reuse is not given back to the
kernel, so a call that reuses it shows a smaller rise than its first run would:
the scripts keep every run's figure and report the first one as well.
"""
import os
import statistics
import time

__all__ = ["measure", "hwm_reset_works", "stats", "fmt_time"]


def _status_kb(field):
    with open("/proc/self/status", "rb") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    raise RuntimeError("no %s in /proc/self/status" % field.decode())


def _reset_hwm():
    fd = os.open("/proc/self/clear_refs", os.O_WRONLY)
    try:
        os.write(fd, b"5")
    finally:
        os.close(fd)


def hwm_reset_works():
    """True if VmHWM can be reset here (Linux >= 4.0 and clear_refs writable)."""
    try:
        _reset_hwm()
        return True
    except OSError:
        return False


_HWM_OK = None


def measure(fn):
    """Run fn() once: (seconds, peak RSS rise in bytes or None, fn's result)."""
    global _HWM_OK
    if _HWM_OK is None:
        _HWM_OK = hwm_reset_works()
    if _HWM_OK:
        _reset_hwm()
        before = _status_kb(b"VmRSS:")
    t0 = time.perf_counter()
    result = fn()
    t1 = time.perf_counter()
    peak = None
    if _HWM_OK:
        peak = max(0, _status_kb(b"VmHWM:") - before) * 1024
    return t1 - t0, peak, result


def stats(values):
    """{'median', 'min', 'max', 'n'} of a list of numbers (None entries ignored)."""
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def fmt_time(seconds):
    """A duration with a sensible unit: '812 us', '21.4 ms', '4.38 s'."""
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return "%.0f us" % (seconds * 1e6)
    if seconds < 1.0:
        return "%.1f ms" % (seconds * 1e3) if seconds < 0.1 else "%.0f ms" % (seconds * 1e3)
    return "%.2f s" % seconds

