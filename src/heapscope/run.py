"""``heapscope run``: run a program in-process with heapscope watching.

``heapscope run [options] script.py [args...]`` and ``heapscope run [options]
-m module [args...]`` run the program as ``python script.py`` / ``python -m
module`` would (its own ``__main__`` module in ``sys.modules``, ``sys.argv``,
``sys.path[0]``, ``__file__``/``__spec__``, exit status kept), while heapscope
summarizes the heap every ``interval`` seconds and at exit.

Sampling.  A thread of heapscope's own (``_thread.start_new_thread``: no
``threading.Thread`` object, nothing in ``threading.enumerate()``) waits on a
lock with a timeout and then takes one C summary of every live object
(``_core.summarize_heap``, detailed labels).  It does not collect garbage
first: a collection runs finalizers, weakref and gc callbacks, and the
program's would then run in a thread that is not the program's (a
single-threaded program only ever runs them in its main thread).  Young
garbage waiting for the next automatic collection is counted as alive; only
the exit summary, taken in the main thread, collects generations 0 and 1
first (unless the program disabled the collector).  Between samples the
sampler allocates no GC-tracked object at all (``_sample_line``), so it never
is the thread that crosses the collector's threshold: the program's
finalizers stay in the program's threads.

The summary cannot corrupt the program: it is one C call that pauses the
collector and allocates no Python object while it walks, with the GIL held,
so the program's objects are only read and none of its code runs during the
walk; the program's threads see the sampler as one more thread taking the
GIL for a few tens of milliseconds per million objects.  One exception, in
the core's label step after the walk: the label of a class whose metaclass
defines ``__repr__``/``__str__`` in Python (``enum`` classes) is that Python
code's result, computed on every summary, and the GIL can switch there; the
program's threads then run for a moment with the collector still paused
(``gc.isenabled()`` false; objects are only referenced, never freed, meanwhile).
The collector stays paused in the sampler until those labels are made
(``_core.hold_collector_here``): their Python code allocates, and an automatic
collection started there would run the program's finalizers in the sampler.
Then the youngest generation's count is put back as it was before the labels,
and at least 64 below the threshold, so the sampler's own few allocations
until its next sample (the Summary's index, a lock's argument tuple) cannot
start one either; the program's next collection comes at most 64 allocations
later than it would have.
A walk refused because a collection is under way (a finalizer switched
threads) skips that sample.
Summaries live in C memory that walks never see, and the sampler keeps all its
state (times, summaries, locks, the output descriptor) in objects of types
heapscope owns (``_core.own_type``): nothing of its own is ever counted.  A
signal timer (``setitimer``) would interrupt the program's system calls
instead.

Output.  The program owns stdout: heapscope writes to a duplicate of file
descriptor 2 (or to ``--output FILE``) with ``os.write``, so its lines neither
go through nor disturb the program's ``sys.stderr`` object.  Every sample
prints one line (elapsed time, live objects and bytes, change since the
previous sample and its largest labels); at exit come Pympler's table of the
heap and the growing labels.  Progress of long steps at exit ("computing
paths", "writing report") always goes to stderr.

Growing labels.  The series kept are the per-label counts and sizes of every
sample (halved in place when it reaches ``_MAX_SAMPLES``: every other one is
dropped, the first kept).  A label grows steadily when, over the last half
of the samples (at least ``_MIN_SAMPLES``), its live count rose in at least
half of the steps, fell in at most a quarter of them, ended above where it
started, and its least-squares slope over time, times the window's duration,
exceeds three times the residual standard deviation of the fit (growth above
noise).  Growth is reported per minute: the slopes of count and bytes.

Exit.  ``SystemExit(n)`` gives n, ``SystemExit(None)`` 0, ``SystemExit("msg")``
prints msg and gives 1; an uncaught exception is printed by ``sys.excepthook``
without heapscope's frames, status 1; KeyboardInterrupt is printed too and
gives 130.  The at-exit report comes after the program's non-daemon threads
have finished and before its ``atexit`` handlers, which the interpreter runs
afterwards as usual.  A program that ends with ``os._exit`` leaves only the
per-sample lines; a forked child that returns through heapscope prints no
report.
"""
import _thread
import builtins
import gc
import importlib.machinery
import io
import math
import os
import sys
import time
import tracemalloc
import types

from heapscope import _core
from heapscope.summary import _pp, format_

__all__ = ["run", "RunError", "Growth", "growing_labels", "steady_growth"]

_MIN_SAMPLES = 4     # samples a verdict on growth needs
_MAX_SAMPLES = 512   # series kept; halved when reached
_MAX_GROWING = 20    # growing labels printed
_PATHS = 10          # growing labels that get a retaining path with --paths
_SAMPLES = 3         # live samples of each growing label with --paths
_TOP_RETAINERS = 20  # retainers in the HTML report


class _Vec(list):
    """A list of the sampler's that walks never count (nor what it holds)."""

    __slots__ = ()


class _State:
    """The sampler's state, shared with the main thread; never counted."""

    __slots__ = ("fd", "interval", "start", "times", "summaries", "stop", "done", "started", "skipped", "error",
                 "pid", "ticks", "base", "base_time", "prev", "prev_time", "identity", "t0", "cost")


_core.own_type(_Vec)
_core.own_type(_State)


class RunError(Exception):
    """The program cannot be started (no such file or module, bad options):
    the message and the exit status python would give."""

    def __init__(self, message, status):
        Exception.__init__(self, message)
        self.status = status


def _write(fd, text):
    """Write all of text to fd; a closed or broken descriptor is ignored."""
    data = text.encode("utf-8", "backslashreplace")
    try:
        n = os.write(fd, data)
        while n < len(data):  # rare: a pipe that took part of it
            data = data[n:]
            n = os.write(fd, data)
    except OSError:
        pass


def _progress(text):
    """A progress line on stderr (fd 2, never the program's sys.stderr object)."""
    _write(2, "heapscope: %s\n" % text)


def _num(x):
    """A count with thousands separators; growth rates keep one decimal under 10."""
    if isinstance(x, float) and abs(x) < 10 and x != int(x):
        return "%.1f" % x
    return "{:,}".format(int(round(x)))


def _size(n):
    return " ".join(_pp(n).split())


# ---- the sampler --------------------------------------------------------------


def _take(st):
    """Summarize the heap in C and record the summary with its time.  No
    collection first: in the sampler thread it would run the program's
    finalizers and gc callbacks in a thread that is not the program's."""
    st.t0 = time.perf_counter()
    summary = _core.summarize_heap(True)
    if summary is None:  # a collection is under way (this thread holds the collector): skip
        st.skipped += 1
        return False
    st.summaries.append(summary)
    st.times.append(time.perf_counter() - st.start)
    st.cost = time.perf_counter() - st.t0
    return True


def _tick(st):
    """One periodic sample and its line of output; never raises."""
    try:
        if not _take(st):
            return
        st.ticks += 1
        _write(st.fd, _sample_line(st.times[-1], st.summaries[-1], st.summaries[-2], st.cost))
        if st.base is not None and not (st.ticks + 1) & st.ticks:
            _rebase(st)
        if len(st.summaries) >= _MAX_SAMPLES:  # halve the series, keeping the first sample
            del st.summaries[1::2]
            del st.times[1::2]
    except Exception as e:  # noqa: BLE001 -- a skipped sample must not end the program
        st.skipped += 1
        if st.error is None:
            st.error = "%s: %s" % (type(e).__name__, e)
            _write(st.fd, "heapscope: sample skipped (%s)\n" % st.error)


def _rebase(st):
    """A new baseline snapshot (the objects new since it are the leak's samples),
    taken at samples 1, 2, 4, 8...; the one before it is kept too.  At exit the
    newer one lies in the last half of the run, after the program's warm-up;
    when it is too close to the end, the older one serves (``_baseline``)."""
    base = _core.snapshot(st.identity)
    if base is None:  # a collection is under way: keep the baselines
        return
    st.prev = st.base
    st.prev_time = st.base_time
    st.base = base
    st.base_time = st.times[-1]


def _baseline(st, end):
    """The baseline for the exit diff: the newer one unless less than a quarter
    of the run comes after it; returns (snapshot, time)."""
    if st.prev is not None and end - st.base_time < 0.25 * end:
        return st.prev, st.prev_time
    return st.base, st.base_time


def _wait(st):
    """Seconds until the next sample is due (samples keep to the interval's grid)."""
    elapsed = time.perf_counter() - st.start
    wait = (elapsed // st.interval + 1.0) * st.interval - elapsed
    return wait if wait > 0.0 else 0.0


def _sampler(st):
    """The sampler thread: a sample each interval until stop is released."""
    st.started.release()  # this thread now runs Python code: the program may start (see _watch)
    _core.hold_collector_here()  # labels may run Python code (enum reprs): no collection here
    try:
        while not st.stop.acquire(True, _wait(st)):
            _tick(st)
    finally:
        _core.hold_collector_here(False)  # a later thread may get this thread state's address
        st.done.release()


def _sample_line(t, new, old, cost):
    """``heapscope:    5.0 s  123,456 objects  12.30 MB  [35 ms]  (+1,200 objects, +94.50 KB)``:
    elapsed time, live objects and bytes, the sample's own time, change since
    the previous sample.

    The sampler thread allocates no GC-tracked object between samples (no
    list, tuple, dict or bound method: ``%`` with one operand, no ``format()``
    or ``round()``, which look up a bound ``__format__``/``__round__``): an
    allocation of one could be the one that triggers an automatic collection,
    which would then run the program's finalizers in this thread."""
    dn = new.total_count - old.total_count
    db = new.total_size - old.total_size
    return ("heapscope: " + "%6.1f" % t + " s  " + _group(new.total_count) + " objects  "
            + _size_text(new.total_size) + "  [" + "%d" % (cost * 1000 + 0.5) + " ms]  ("
            + ("+" if dn >= 0 else "-") + _group(abs(dn)) + " objects, "
            + ("+" if db >= 0 else "-") + _size_text(abs(db)) + ")\n")


def _group(n):
    """A count of at least 0 with thousands separators, from ints and strs only."""
    if n < 1000:
        return "%d" % n
    text = "%03d" % (n % 1000)
    n //= 1000
    while n >= 1000:
        text = "%03d" % (n % 1000) + "," + text
        n //= 1000
    return "%d" % n + "," + text


_UNITS = ("B", "KB", "MB", "GB", "TB", "EB")


def _size_text(n):
    """``_pp(n)`` without its padding, from ints, floats and strs only."""
    degree = 0
    x = n
    while x > 1024 and degree < 5:
        x = x / 1024.0
        degree += 1
    if degree == 0:
        return "%d" % n + " B"
    return "%.2f" % x + " " + _UNITS[degree]


# ---- growth ---------------------------------------------------------------------


class Growth:
    """A label whose live count grew steadily while the program ran.

    detail      -- the detailed label, e.g. ``dict of pkg.Item``
    type        -- the default (Pympler-style) label
    per_minute  -- objects added per minute (least-squares slope)
    bytes_per_minute -- bytes added per minute
    count, size -- objects and bytes alive at exit
    times       -- seconds since the start of the samples of the window
    counts, sizes -- the label's live objects and bytes at those samples
    """

    __slots__ = ("detail", "type", "per_minute", "bytes_per_minute", "count", "size", "times", "counts",
                 "sizes")

    def __repr__(self):
        return "<Growth %s: %+.1f objects, %+d bytes per minute>" % (self.detail, self.per_minute,
                                                                      self.bytes_per_minute)


def _slope(xs, ys):
    """Least-squares slope of ys over xs, and the residual standard deviation."""
    m = len(xs)
    mx = sum(xs) / m
    my = sum(ys) / m
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx <= 0:
        return 0.0, 0.0
    k = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    res = sum((y - my - k * (x - mx)) ** 2 for x, y in zip(xs, ys))
    return k, math.sqrt(res / (m - 2)) if m > 2 else 0.0


def steady_growth(times, counts):
    """Whether counts (at times, seconds) grew steadily: rose in at least half
    of the steps, fell in at most a quarter, ended higher than they started,
    and the least-squares slope over the window's duration exceeds three
    times the residual standard deviation.  Returns the slope (objects per
    second) or None."""
    steps = [b - a for a, b in zip(counts, counts[1:])]
    if len(steps) < _MIN_SAMPLES - 1 or counts[-1] <= counts[0]:
        return None
    if 2 * sum(d > 0 for d in steps) < len(steps) or 4 * sum(d < 0 for d in steps) > len(steps):
        return None
    k, noise = _slope(times, counts)
    if k <= 0 or k * (times[-1] - times[0]) <= 3 * noise:
        return None
    return k


def growing_labels(times, summaries):
    """The labels that grew steadily over the last half of the samples (at
    least ``_MIN_SAMPLES`` of them), most bytes per minute first: a list of
    Growth; None when there are too few samples to tell."""
    n = len(summaries)
    if n < _MIN_SAMPLES:
        return None
    w = min(n, max(_MIN_SAMPLES, (n + 1) // 2))
    ts = list(times[n - w:])
    tables = [{r[0]: (r[1], r[2]) for r in s.rows()} for s in summaries[n - w:]]
    labels = set()
    for t in tables:
        labels.update(t)
    out = []
    for label in labels:
        counts = [t.get(label, (0, 0))[0] for t in tables]
        k = steady_growth(ts, counts)
        if k is None:
            continue
        sizes = [t.get(label, (0, 0))[1] for t in tables]
        g = Growth()
        g.detail = g.type = label
        g.per_minute = k * 60
        g.bytes_per_minute = max(0.0, _slope(ts, sizes)[0] * 60)
        g.count, g.size = counts[-1], sizes[-1]
        g.times, g.counts, g.sizes = ts, counts, sizes
        out.append(g)
    out.sort(key=lambda g: (-g.bytes_per_minute, -g.per_minute, g.detail))
    return out


# ---- starting the program ------------------------------------------------------


class _Program:
    """What to run: the code, the globals of its ``__main__``, its argv and sys.path[0]."""

    __slots__ = ("code", "globals", "argv", "path0", "name")


def _prepare_script(path, args):
    try:
        with io.open_code(path) as f:
            source = f.read()
    except OSError as e:
        raise RunError("heapscope run: can't open file %r: [Errno %s] %s" % (os.path.abspath(path), e.errno,
                                                                              e.strerror), 2)
    try:
        code = compile(source, os.path.abspath(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        raise _StartupError(e)
    p = _Program()
    p.code = code
    p.name = path
    p.argv = [path] + list(args)
    p.path0 = os.path.dirname(os.path.realpath(path))
    p.globals = {"__name__": "__main__", "__doc__": None, "__package__": None,
                 "__loader__": importlib.machinery.SourceFileLoader("__main__", os.path.abspath(path)),
                 "__spec__": None, "__file__": os.path.abspath(path), "__cached__": None}
    return p


def _prepare_module(name, args):
    import runpy

    # the directory python -m puts first; the module is found from there
    path0 = os.getcwd()
    sys.argv[:] = ["-m"] + list(args)  # what python -m shows while it looks for the module
    if not getattr(sys.flags, "safe_path", False):
        if sys.path and sys.path[0] != path0:
            sys.path[0] = path0
    try:
        mod_name, spec, code = runpy._get_module_details(name, ImportError)
    except ImportError as e:
        raise RunError("heapscope run: %s" % e, 1)
    except Exception as e:  # noqa: BLE001 -- a package's __init__ raised: python prints it too
        raise _StartupError(e)
    p = _Program()
    p.code = code
    p.name = "-m " + name
    origin = spec.origin if spec.has_location else None
    p.argv = [origin or name] + list(args)
    p.path0 = path0
    p.globals = {"__name__": "__main__", "__doc__": None, "__package__": spec.parent, "__spec__": spec,
                 "__file__": origin, "__cached__": spec.cached, "__loader__": spec.loader}
    return p


class _StartupError(Exception):
    """The program failed before it ran (syntax error, a package's import):
    printed like python prints it, status 1."""

    def __init__(self, error):
        Exception.__init__(self, error)
        self.error = error


def _install(p):
    """Make p's globals the ``__main__`` module, set sys.argv and sys.path[0]."""
    main = types.ModuleType("__main__")
    g = main.__dict__
    # the keys of the interpreter's own __main__, in its order, then runpy's
    if sys.version_info < (3, 14):
        g["__annotations__"] = {}
    g["__builtins__"] = builtins
    g.update(p.globals)
    p.globals = g
    sys.modules["__main__"] = main
    sys.argv[:] = p.argv
    if not getattr(sys.flags, "safe_path", False):
        if sys.path:
            sys.path[0] = p.path0
        else:
            sys.path.insert(0, p.path0)


def _exec(code, globals_):
    exec(code, globals_)


def _user_traceback(tb):
    """The traceback without heapscope's own frames (where the program starts)."""
    ours = (_exec.__code__, _execute.__code__, _prepare_script.__code__, _prepare_module.__code__)
    while tb is not None and tb.tb_frame.f_code in ours:
        tb = tb.tb_next
    return tb


def _report_exception(e):
    """Print an uncaught exception as python does (through sys.excepthook)."""
    tb = _user_traceback(e.__traceback__)
    try:
        e.__traceback__ = tb
    except Exception:  # noqa: BLE001
        pass
    try:
        sys.excepthook(type(e), e, tb)
    except Exception:  # noqa: BLE001 -- a broken excepthook: print it and the original, as python does
        sys.__excepthook__(type(e), e, tb)


def _exit_status(e):
    """The status python gives for SystemExit e (printing a non-int code)."""
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    try:
        sys.stderr.write(str(code) + "\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
        pass
    return 1


def _execute(p):
    """Run the program; return its exit status."""
    try:
        _exec(p.code, p.globals)
    except SystemExit as e:
        return _exit_status(e)
    except KeyboardInterrupt as e:
        _report_exception(e)
        return 130
    except BaseException as e:  # noqa: BLE001 -- whatever the program raises ends it, as in python
        _report_exception(e)
        return 1
    return 0


def _join_threads():
    """Wait for the program's non-daemon threads, as the interpreter does before exiting."""
    threading = sys.modules.get("threading")
    if threading is None:
        return
    me = threading.current_thread()
    while True:
        left = [t for t in threading.enumerate() if t is not me and not t.daemon and t.is_alive()]
        if not left:
            return
        for t in left:
            t.join()


# ---- the run ------------------------------------------------------------------------


def run(program=None, args=(), *, module=None, interval=5.0, paths=False, report=None, save=None,
        output=None):
    """Run ``program`` (a script path) or ``module`` (as ``-m``) with ``args``,
    watched by heapscope; return its exit status (see the module docstring).

    interval -- seconds between samples
    paths    -- retaining paths of samples of the growing labels
    report   -- write the HTML report there (``heapscope.report.write_html``)
    save     -- save the last snapshot, with its graph, there (``Snapshot.save``)
    output   -- write heapscope's summaries there instead of stderr
    """
    if (program is None) == (module is None):
        raise RunError("heapscope run: give a script or -m module", 2)
    if not (interval > 0) or math.isinf(interval):
        raise RunError("heapscope run: --interval must be a positive number of seconds", 2)
    write_html = None
    if report is not None:
        try:
            from heapscope.report import write_html
        except ImportError:
            raise RunError("heapscope run: --report needs heapscope.report, which this heapscope lacks", 2)
    if save is not None and not hasattr(_core.Snapshot, "save"):
        raise RunError("heapscope run: --save needs Snapshot.save, which this heapscope lacks", 2)
    try:
        if module is not None:
            p = _prepare_module(module, args)
        else:
            p = _prepare_script(program, args)
    except _StartupError as e:
        _report_exception(e.error)
        return 1
    fd = _open_output(output)
    try:
        return _watch(p, fd, interval, paths, report, write_html, save)
    finally:
        if fd != 2:
            os.close(fd)


def _open_output(output):
    if output is None:
        return os.dup(2)
    try:
        return os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as e:
        raise RunError("heapscope run: cannot write %s: %s" % (output, e.strerror), 2)


def _watch(p, fd, interval, paths, report, write_html, save):
    st = _State()
    st.fd = fd
    st.interval = interval
    st.times = _Vec()
    st.summaries = _Vec()
    st.skipped = st.ticks = 0
    st.error = None
    st.pid = os.getpid()
    st.stop = _thread.allocate_lock()
    st.done = _thread.allocate_lock()
    st.started = _thread.allocate_lock()
    st.stop.acquire()
    st.done.acquire()
    st.started.acquire()
    _install(p)
    st.identity = bool(paths)
    st.base = st.prev = None
    st.base_time = st.prev_time = 0.0
    st.start = time.perf_counter()
    _take(st)
    if paths or report is not None:
        _rebase(st)
    _progress("running %s, sampling every %s s" % (p.name, "%g" % interval))
    try:
        _thread.start_new_thread(_sampler, (st,))
        # The program starts once the sampler thread is running Python code: a
        # program that forks at once must not fork while that thread is still
        # being set up outside the GIL (the child of such a fork inherits locks
        # the thread held, e.g. the allocator's under ASan, and can deadlock).
        st.started.acquire()
    except RuntimeError as e:  # no thread to be had: samples at start and exit only
        _progress("no sampler thread (%s): summaries at exit only" % e)
        st.done.release()
    status = 1
    try:
        status = _execute(p)
        _join_threads()
    except KeyboardInterrupt:
        status = 130
    finally:
        st.stop.release()
        if os.getpid() == st.pid:
            st.done.acquire()  # the sampler is done with the output before anything closes it
    if os.getpid() != st.pid:
        return status  # a forked child returning through heapscope: its parent reports
    try:
        _at_exit(st, p, status, paths, report, write_html, save)
    except KeyboardInterrupt:
        _progress("interrupted")
    except Exception:  # noqa: BLE001 -- heapscope's failure must not change the program's status
        import traceback

        _progress("the exit report failed:\n" + traceback.format_exc())
    return status


def _at_exit(st, p, status, paths, report, write_html, save):
    _take(st)
    duration = st.times[-1]
    if gc.isenabled():
        gc.collect(1)  # the table and the last snapshot without the young garbage (main thread)
    last = _core.snapshot(st.identity) if st.base is not None else None
    out = ["", "heapscope: %s exited with status %d after %.1f s; %d samples (at start, every %g s, at exit)%s" % (
        p.name, status, duration, st.ticks + 2, st.interval,
        " (%d skipped)" % st.skipped if st.skipped else "")]
    rows = (last.summary() if last is not None else _core.summarize_heap(False).rows())
    out.extend(format_(rows))
    growing = growing_labels(st.times, st.summaries)
    leaks = []
    if growing is None:
        out.append("")
        out.append("heapscope: too few samples (%d) to tell growth: run longer or lower --interval"
                   % len(st.summaries))
    else:
        w = len(growing[0].times) if growing else min(len(st.times), max(_MIN_SAMPLES, (len(st.times) + 1) // 2))
        span = st.times[-1] - st.times[len(st.times) - w]
        out.append("")
        if not growing:
            out.append("heapscope: no label grew steadily over the last %d samples (%.1f s)." % (w, span))
        else:
            out.append("heapscope: %d label%s grew steadily over the last %d samples (%.1f s):" % (
                len(growing), "s"[: len(growing) != 1], w, span))
            base, base_time = _baseline(st, duration)
            diff = last.diff(base) if last is not None else None
            if diff is not None:
                types_ = {d: l for l, d, _n, _s in diff.new_rows()}
                for g in growing:
                    g.type = types_.get(g.detail, g.detail)
            leaks = _leaks(growing, diff, paths, (duration - base_time) / 60)
            out[-1:-1] = _cause_lines(leaks)  # the causes lead, then the growing labels' table
            out.extend(_growth_lines(growing, leaks))
    _write(st.fd, "\n".join(out) + "\n")
    if report is None and save is None:
        return
    graph = None
    _progress("taking a snapshot with its graph")
    try:
        graph = _graph_snapshot(save is not None)
    except Exception as e:  # noqa: BLE001 -- report without retainers rather than nothing
        _progress("no graph snapshot: %s: %s" % (type(e).__name__, e))
    if save is not None and graph is not None:
        _progress("saving the snapshot to %s" % save)
        try:
            graph.save(save)
        except Exception as e:  # noqa: BLE001
            _progress("cannot save %s: %s: %s" % (save, type(e).__name__, e))
    if report is not None:
        _progress("writing the report to %s" % report)
        series = [(t, s.rows()) for t, s in zip(st.times, st.summaries)]
        top = graph.top_retainers(_TOP_RETAINERS) if graph is not None else ()
        meta = {"command": " ".join([p.name] + p.argv[1:]), "exit status": status,
                "duration": "%.1f s" % duration, "interval": "%g s" % st.interval,
                "samples": len(st.summaries), "python": sys.version.split()[0]}
        try:
            write_html(report, series, leaks=leaks, top_retainers=top, largest=rows,
                       title="heapscope run %s" % p.name, meta=meta, x_label="seconds", per="minute")
        except Exception as e:  # noqa: BLE001
            _progress("cannot write %s: %s: %s" % (report, type(e).__name__, e))


def _graph_snapshot(names):
    import heapscope

    if names:
        try:
            return heapscope.snapshot(graph=True, names=True)
        except TypeError:
            pass
    return heapscope.snapshot(graph=True)


def _leaks(growing, diff, paths, minutes):
    """heapscope.Leak objects for the growing labels (per minute instead of per
    repetition), with live samples, paths and retained sizes with ``paths``."""
    from heapscope.leaks import Leak, _accumulation
    from heapscope.paths import Path, _paths_of

    leaks = []
    for g in growing:
        samples = []
        if paths and diff is not None and len(leaks) < _PATHS:
            samples = diff.new_objects(detail=g.detail, limit=_SAMPLES)
        tb = tracemalloc.get_object_traceback(samples[0]) if samples and tracemalloc.is_tracing() else None
        leak = Leak(g.type, g.detail, int(round(g.per_minute)), int(round(g.bytes_per_minute)), list(g.counts),
                    list(g.sizes), samples, tb)
        leaks.append(leak)
    with_samples = [l for l in leaks if l.samples]
    if not with_samples:
        return leaks
    _progress("computing paths of %d growing label%s" % (len(with_samples), "s"[: len(with_samples) != 1]))
    new = {rec[0] for rec in diff.new_records()}
    for leak, (raw, retained) in zip(with_samples, _paths_of([l.samples[0] for l in with_samples])):
        leak.retained = None if retained is None else int(retained * leak.count)
        if not raw:
            continue
        kind, root, objs, edges = raw[0]
        leak.path = Path(kind, root, objs, edges)
        # the container and its entries new since the baseline, per minute
        acc = _accumulation(kind, root, objs, edges, new, 1)
        if acc is not None:
            leak.accumulation = (acc[0], acc[1] / max(minutes, 1e-9))
    return leaks


def _cause_lines(leaks):
    """One line per cause, as find_leaks prints them: the growing labels whose
    paths run into the same accumulation point are one leak, named by the first
    specific label among them (the one closest to that point).  Only with
    --paths (without a path there is no accumulation point to group by)."""
    from heapscope.leaks import Leak, _generic, _headline

    groups = {}
    for leak in leaks:
        if leak.accumulation is None:
            continue
        groups.setdefault(leak.accumulation[0], []).append(leak)
    if not groups:
        return []
    causes = []
    for where, rows in groups.items():
        rows.sort(key=lambda l: (_generic(l.detail), len(l.path) if l.path is not None else 99, -l.size))
        culprit = rows[0]
        cause = Leak(culprit.type, culprit.detail, sum(l.count for l in rows), sum(l.size for l in rows),
                     culprit.counts, culprit.sizes, culprit.samples, culprit.traceback)
        cause.accumulation = (where, max(l.accumulation[1] for l in rows))
        cause.path = culprit.path
        cause.labels = [(l.type, l.detail, l.count, l.size) for l in rows]
        causes.append(cause)
    causes.sort(key=lambda c: -c.size)
    lines = ["heapscope: %d leak%s (labels grouped by where they accumulate):" % (len(causes), "s"[: len(causes) != 1])]
    for i, cause in enumerate(causes, 1):
        lines.append("  %d. %s" % (i, _headline(cause, "per minute")))
    return lines


def _growth_lines(growing, leaks):
    from heapscope.leaks import _detail_lines

    shown = growing[:_MAX_GROWING]
    width = max(len("label"), max(len(g.detail) for g in shown))
    lines = ["  %-*s  %12s  %12s  %12s" % (width, "label", "objects/min", "bytes/min", "alive"),
             "  %s  %s  %s  %s" % ("=" * width, "=" * 12, "=" * 12, "=" * 12)]
    for g, leak in zip(shown, leaks):
        lines.append("  %-*s  %12s  %12s  %12s" % (width, g.detail, _num(g.per_minute), _size(g.bytes_per_minute),
                                                  _num(g.count)))
        lines.extend(_detail_lines(leak, _size, "per minute", grows="entries ", num=_num))
    if len(growing) > len(shown):
        lines.append("  ... and %d more" % (len(growing) - len(shown)))
    return lines


for _f in (run, _watch, _at_exit, _leaks, _growth_lines, _execute, _exec, _take, _tick, _sampler):
    _core.hide_frames(_f.__code__)
