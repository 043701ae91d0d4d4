"""heapscope's pytest plugin: fail the tests that leak.

Loaded through the ``pytest11`` entry point (``-p no:heapscope`` turns it
off).  It does nothing unless a test is marked ``@pytest.mark.no_leaks`` or
``--heapscope-leaks`` is given; then each checked test that passes its first
call is called again, ``warmup - 1`` more warm-up times and ``repeat`` times
with the same fixture values (``heapscope.find_leaks``), and fails when some
label of new objects grows with every repetition.  The failure names the
labels, objects and bytes per call, a retaining path, the container the
leak accumulates in, and the allocation site when tracemalloc traces
(``--heapscope-tracemalloc`` traces during the check).  No debug build of
Python is needed.

Fixtures are set up once: what their setup allocates is never attributed to
the test.  After each call the plugin rewinds what pytest's own
function-scoped fixtures accumulated while the test body ran, so that a
repeatable test stays clean and its assertions hold when called again:
recorded warnings (``recwarn`` and pytest's warning capture), log records
(``caplog`` and pytest's log capture), unread ``capsys``/``capfd`` output,
``monkeypatch.setattr/setitem/setenv`` calls made by the test body, and new
entries in ``tmp_path``/``tmpdir``; the first call's warnings, log records and
output are put back for pytest's report.  Anything else a test keeps in a
fixture's state across calls counts as growth.

All the work is in plain functions of this module, which imports heapscope's
C core only when a check runs.
"""
import fnmatch
import os
import shutil
import sys
import warnings

import pytest

__all__ = []

_MARK = "no_leaks"
_EXEMPT = "may_leak"
_DEFAULT_REPEAT = 5
_DEFAULT_WARMUP = 2
_TRACE_FRAMES = 10
_SHOWN_LEAKS = 10

_MARK_DOC = (
    "no_leaks(repeat=5, warmup=2, ignore=()): call the test warmup+repeat times "
    "(warm-up includes its first call) and fail when objects of some label "
    "accumulate with every repetition; ignore: labels or glob patterns to disregard "
    "(heapscope plugin)"
)
_EXEMPT_DOC = "may_leak: exempt the test from --heapscope-leaks (heapscope plugin)"


class _Stats:
    """What the terminal summary reports: tests checked, leaking, unchecked."""

    def __init__(self):
        self.checked = 0
        self.leaked = []     # (nodeid, labels, objects per call, bytes per call)
        self.unchecked = []  # (nodeid, reason)


_stats_key = pytest.StashKey()


# ---- options ------------------------------------------------------------------------


def pytest_addoption(parser):
    group = parser.getgroup("heapscope", "heapscope leak check")
    group.addoption("--heapscope-leaks", action="store_true", default=None,
                    help="check every test for leaks, as if marked no_leaks")
    group.addoption("--heapscope-repeat", type=int, default=None, metavar="N",
                    help="measured repetitions per checked test (default %d, at least 2)" % _DEFAULT_REPEAT)
    group.addoption("--heapscope-warmup", type=int, default=None, metavar="N",
                    help="warm-up calls per checked test, counting its first call (default %d, at least 1)"
                    % _DEFAULT_WARMUP)
    group.addoption("--heapscope-ignore", action="append", default=None, metavar="LABEL",
                    help="disregard leaks of this label (default or detailed label, or a glob pattern); repeatable")
    group.addoption("--heapscope-tracemalloc", action="store_true", default=None,
                    help="trace allocations with tracemalloc during the check, to report allocation sites")
    parser.addini("heapscope_leaks", "check every test for leaks, as if marked no_leaks", type="bool", default=False)
    parser.addini("heapscope_repeat", "measured repetitions per checked test", default=str(_DEFAULT_REPEAT))
    parser.addini("heapscope_warmup", "warm-up calls per checked test, counting its first call",
                  default=str(_DEFAULT_WARMUP))
    parser.addini("heapscope_ignore", "labels or glob patterns of leaks to disregard", type="linelist", default=[])
    parser.addini("heapscope_tracemalloc", "trace allocations during the check", type="bool", default=False)


def _option(config, name, ini_type=str):
    value = config.getoption("heapscope_" + name)
    if value is None:
        value = config.getini("heapscope_" + name)
        if ini_type is int:
            try:
                value = int(value)
            except ValueError:
                raise pytest.UsageError("heapscope_%s must be an integer, not %r" % (name, value)) from None
    return value


def pytest_configure(config):
    config.addinivalue_line("markers", _MARK_DOC)
    config.addinivalue_line("markers", _EXEMPT_DOC)
    config.stash[_stats_key] = _Stats()
    repeat = _option(config, "repeat", int)
    warmup = _option(config, "warmup", int)
    if repeat < 2:
        raise pytest.UsageError("--heapscope-repeat must be at least 2 (growth needs two repetitions)")
    if warmup < 1:
        raise pytest.UsageError("--heapscope-warmup must be at least 1 (it counts the test's first call)")


def _bad(message):
    """A marker with bad arguments fails its test (and only it)."""
    pytest.fail(message, pytrace=False)


class _Settings:
    __slots__ = ("repeat", "warmup", "ignore", "trace")


def _settings(item):
    """The check's settings for this test, or None when it is not checked."""
    config = item.config
    mark = item.get_closest_marker(_MARK)
    if mark is None:
        if not (config.getoption("heapscope_leaks") or config.getini("heapscope_leaks")):
            return None
        if item.get_closest_marker(_EXEMPT) is not None:
            return None
    s = _Settings()
    s.repeat = _option(config, "repeat", int)
    s.warmup = _option(config, "warmup", int)
    s.ignore = tuple(_option(config, "ignore") or ())
    s.trace = bool(_option(config, "tracemalloc"))
    if mark is not None:
        if mark.args:
            _bad("%s: no_leaks() takes keyword arguments only (repeat, warmup, ignore)"
                                    % item.nodeid)
        unknown = set(mark.kwargs) - {"repeat", "warmup", "ignore"}
        if unknown:
            _bad("%s: no_leaks() got unexpected argument(s) %s"
                                    % (item.nodeid, ", ".join(sorted(unknown))))
        s.repeat = mark.kwargs.get("repeat", s.repeat)
        s.warmup = mark.kwargs.get("warmup", s.warmup)
        ignore = mark.kwargs.get("ignore", ())
        if isinstance(ignore, str):
            ignore = (ignore,)
        s.ignore += tuple(ignore)
        if not (isinstance(s.repeat, int) and s.repeat >= 2):
            _bad("%s: no_leaks(repeat=) must be an integer of at least 2" % item.nodeid)
        if not (isinstance(s.warmup, int) and s.warmup >= 1):
            _bad("%s: no_leaks(warmup=) must be an integer of at least 1 "
                                    "(it counts the test's first call)" % item.nodeid)
        if not all(isinstance(p, str) for p in s.ignore):
            _bad("%s: no_leaks(ignore=) takes label strings or glob patterns" % item.nodeid)
    return s


# ---- rewinding pytest's per-call bookkeeping -----------------------------------------


class _Rewind:
    """pytest's function-scoped state as it was before the test's first call.

    Calling it restores that state: before the repetitions (undoing the first
    call) and after each repeated call, so that calls do not pile up pytest's
    own records, tests that check them still pass when repeated, and no object
    the previous call left in them is freed while a repetition runs (on CPython
    before 3.13 a new untracked object at the address of a freed old one would
    look old).  ``keep_first()`` sets aside the warnings and log records of the
    first call, and ``restore_first()`` puts them back for pytest's report.
    """

    def __init__(self, item):
        funcargs = item.funcargs
        # The innermost catch_warnings(record=True) (recwarn's, or pytest's own
        # per-test one) appends to a list through warnings._showwarnmsg_impl.
        impl = getattr(warnings, "_showwarnmsg_impl", None)
        log = getattr(impl, "__self__", None)
        self.warnings = (log, len(log)) if type(log) is list else None
        self.handlers = []
        try:
            from _pytest.logging import LogCaptureHandler
        except ImportError:  # pragma: no cover -- a pytest without it
            LogCaptureHandler = None
        if LogCaptureHandler is not None:
            import logging
            for h in logging.getLogger().handlers:
                if isinstance(h, LogCaptureHandler) and isinstance(getattr(h, "records", None), list):
                    self.handlers.append((h, h.records, len(h.records), _tell(h.stream)))
        mp = funcargs.get("monkeypatch")
        self.monkeypatch = None
        if mp is not None and isinstance(getattr(mp, "_setattr", None), list) \
                and isinstance(getattr(mp, "_setitem", None), list):
            self.monkeypatch = (mp, len(mp._setattr), len(mp._setitem))
        self.tmp = None
        tmp = funcargs.get("tmp_path", funcargs.get("tmpdir"))
        if tmp is not None:
            try:
                path = os.fspath(tmp)
                self.tmp = (path, set(os.listdir(path)))
            except (TypeError, OSError):
                self.tmp = None
        # capsys/capfd and their binary twins: what the test printed and did not read
        self.capture = [funcargs[name] for name in ("capsys", "capfd", "capsysbinary", "capfdbinary")
                        if hasattr(funcargs.get(name), "readouterr")]
        self.first = None

    def keep_first(self):
        """Set aside the warnings, log records and log text of the first call."""
        warned = []
        if self.warnings is not None:
            log, n = self.warnings
            warned = log[n:]
        logged = []
        for h, records, n, pos in self.handlers:
            text = None
            if pos is not None and _tell(h.stream) is not None:
                try:
                    text = h.stream.getvalue()[pos:]
                except Exception:  # noqa: BLE001 -- a stream without getvalue
                    text = None
            logged.append((records[n:] if h.records is records else [], text))
        printed = [_read(c) for c in self.capture]
        self.first = (warned, logged, printed)

    def restore_first(self):
        if self.first is None:
            return
        warned, logged, printed = self.first
        self.first = None
        for out, err in printed:  # the capture fixtures read from sys.stdout/err too
            _write(sys.stdout, out)
            _write(sys.stderr, err)
        if self.warnings is not None:
            self.warnings[0].extend(warned)
        for (h, records, n, pos), (recs, text) in zip(self.handlers, logged):
            if h.records is records:
                records.extend(recs)
            if text:
                h.stream.write(text)

    def __call__(self):
        for c in self.capture:
            _read(c)
        if self.warnings is not None:
            log, n = self.warnings
            del log[n:]
        # Warnings shown "once per location" show again, as in a new test:
        # pytest mutates the filters at every test, which resets the registries.
        mutated = getattr(warnings, "_filters_mutated", None)
        if mutated is not None:
            mutated()
        for h, records, n, pos in self.handlers:
            if h.records is records:
                del records[n:]
            if pos is not None and _tell(h.stream) is not None:
                h.stream.seek(pos)
                h.stream.truncate()
        if self.monkeypatch is not None:
            mp, na, ni = self.monkeypatch
            if len(mp._setattr) > na or len(mp._setitem) > ni:
                extra = type(mp)()
                extra._setattr = mp._setattr[na:]
                extra._setitem = mp._setitem[ni:]
                del mp._setattr[na:]
                del mp._setitem[ni:]
                extra.undo()
        if self.tmp is not None:
            path, before = self.tmp
            try:
                names = os.listdir(path)
            except OSError:
                names = ()
            for name in names:
                if name not in before:
                    p = os.path.join(path, name)
                    if os.path.isdir(p) and not os.path.islink(p):
                        shutil.rmtree(p, ignore_errors=True)
                    else:
                        try:
                            os.unlink(p)
                        except OSError:
                            pass


def _read(capture):
    """Read (and so discard) what a capture fixture holds: (out, err)."""
    try:
        return tuple(capture.readouterr())
    except Exception:  # noqa: BLE001 -- a capture already closed
        return None, None


def _write(stream, data):
    if not data:
        return
    try:
        if isinstance(data, bytes):
            stream.buffer.write(data)
        else:
            stream.write(data)
        stream.flush()
    except Exception:  # noqa: BLE001 -- an odd replacement stream
        pass


def _tell(stream):
    try:
        return stream.tell()
    except Exception:  # noqa: BLE001 -- a closed or unseekable stream
        return None


class _Calls:
    """The action heapscope.find_leaks repeats: call the test, then rewind."""

    __slots__ = ("func", "args", "rewind", "n")

    def __call__(self):
        self.n += 1
        self.func(**self.args)
        self.rewind()


# ---- the check ------------------------------------------------------------------------


def _is_async(func):
    import inspect
    return inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)


def _before(item):
    """Settings and a _Calls ready to repeat the test, or None (not checked)."""
    s = _settings(item)
    if s is None:
        return None
    if _is_async(item.obj):
        item.config.stash[_stats_key].unchecked.append((item.nodeid, "async test"))
        return None
    calls = _Calls()
    calls.rewind = _Rewind(item)
    calls.func = item.obj
    calls.n = 1
    return s, calls


def _after(item, s, calls, result):
    """The check, after the test passed its first call (pytest's own call): a
    failing test fails as usual and is never repeated."""
    stats = item.config.stash[_stats_key]
    if hasattr(result, "__await__") or hasattr(result, "__aiter__"):
        stats.unchecked.append((item.nodeid, "returned an awaitable"))
        return
    calls.args = {arg: item.funcargs[arg] for arg in item._fixtureinfo.argnames}
    message = _check(item, calls, s, stats)
    if message is not None:
        pytest.fail(message, pytrace=False)


try:
    _wrapper = pytest.hookimpl(wrapper=True)
except TypeError:  # pluggy < 1.2 (pytest 7): old-style hook wrappers only
    _wrapper = None

if _wrapper is not None:
    @_wrapper
    def pytest_pyfunc_call(pyfuncitem):
        ready = _before(pyfuncitem)
        if ready is None:
            return (yield)
        result = yield
        _after(pyfuncitem, ready[0], ready[1], result)
        return result
else:  # pragma: no cover -- exercised only with old pytest/pluggy
    @pytest.hookimpl(hookwrapper=True)
    def pytest_pyfunc_call(pyfuncitem):
        ready = _before(pyfuncitem)
        outcome = yield
        if ready is not None and outcome.excinfo is None:
            _after(pyfuncitem, ready[0], ready[1], outcome.get_result())


def _check(item, calls, s, stats):
    """Repeat the test; a failure message when it leaks, else None."""
    import tracemalloc

    from heapscope.leaks import find_leaks

    started = s.trace and not tracemalloc.is_tracing()
    if started:
        tracemalloc.start(_TRACE_FRAMES)
    total = s.warmup + s.repeat
    calls.rewind.keep_first()
    calls.rewind()
    try:
        report = find_leaks(calls, repeat=s.repeat, warmup=s.warmup - 1)
    except Exception as e:
        note = ("heapscope: the test passed its first call but raised on call %d of %d, "
                "when repeated for the leak check (a test must be repeatable to be checked; "
                "mark it may_leak to exempt it from --heapscope-leaks)" % (calls.n, total))
        item.add_report_section("call", "heapscope", note)
        if hasattr(e, "add_note"):
            e.add_note(note)
        raise
    finally:
        if started:
            tracemalloc.stop()
    calls.rewind.restore_first()
    stats.checked += 1
    leaks = [l for l in report.leaks if not _ignored(l, s.ignore)]
    if not leaks:
        return None
    stats.leaked.append((item.nodeid, len(leaks), sum(l.count for l in leaks), sum(l.size for l in leaks)))
    return _message(item, leaks, s, tracemalloc.is_tracing() or started, report.repeat)


def _matches(label, detail, patterns):
    return any(p == label or p == detail or fnmatch.fnmatchcase(detail, p) or fnmatch.fnmatchcase(label, p)
               for p in patterns)


def _ignored(leak, patterns):
    """A cause is ignored when its culprit matches a pattern, or every label leaking with it does."""
    if not patterns:
        return False
    if _matches(leak.type, leak.detail, patterns):
        return True
    rows = [r for r in getattr(leak, "labels", None) or [] if r[2]]  # rows of new objects
    return bool(rows) and all(_matches(r[0], r[1], patterns) for r in rows)


def _plural(n, word):
    return "%d %s%s" % (n, word, "s"[: n != 1])


def _bytes(n):
    from heapscope.summary import _pp
    return " ".join(_pp(n).split())


def _where(frame, root):
    """file:line of a tracemalloc frame, relative to pytest's rootdir when under it."""
    name = frame.filename
    if name.startswith(root + os.sep):
        name = name[len(root) + 1:]
    return "%s:%d" % (name, frame.lineno)


_SHOWN_LABELS = 10


def _message(item, leaks, s, traced, repeat=None):
    """The failure text: one block per cause, its headline first."""
    from heapscope.leaks import _headline, _safe_repr

    lines = ["%s leaks: %s (%s after %s):" % (
        item.name, _plural(len(leaks), "cause"), _plural(repeat or s.repeat, "repetition"),
        _plural(s.warmup, "warm-up call"))]
    shown = leaks[:_SHOWN_LEAKS]
    test_file = str(getattr(item, "path", "") or "")
    root = str(item.config.rootpath)
    for i, leak in enumerate(shown, 1):
        lines.append("  %d. %s" % (i, _headline(leak, "per call")))
        if len(leak.labels) > 1:
            lines.append("     labels: %s" % ", ".join(
                ("%s %g (%s)" % (detail, round(count, 1), _bytes(round(size))) if count else
                 "%s +%s" % (detail, _bytes(round(size))))
                for _, detail, count, size in leak.labels[:_SHOWN_LABELS]))
            if len(leak.labels) > _SHOWN_LABELS:
                lines[-1] += " and %d more" % (len(leak.labels) - _SHOWN_LABELS)
        if leak.samples:
            lines.append("     e.g. %s" % _safe_repr(leak.samples[0]))
        if leak.path is not None:
            lines.append("     kept alive by %s" % leak.path)
        if leak.retained is not None and leak.retained > leak.size:
            lines.append("     retains %s per call" % _bytes(leak.retained))
        if getattr(leak, "native", None):
            lines.append("     native memory: +%s per call" % _bytes(leak.native))
        tb = leak.traceback
        if tb is not None and len(tb):
            site = "     allocated at %s" % _where(tb[-1], root)
            for fr in reversed(list(tb)[:-1]):
                if test_file and fr.filename == test_file:
                    site += " (called from %s)" % _where(fr, root)
                    break
            lines.append(site)
    if len(leaks) > len(shown):
        lines.append("  ... and %d more" % (len(leaks) - len(shown)))
    lines.append("  net live count of each culprit after each repetition: %s" % "; ".join(
        "%s %s" % (l.detail, l.counts) for l in shown[:3]))
    if not traced:
        lines.append("  (allocation sites: run with --heapscope-tracemalloc or python -X tracemalloc)")
    lines.append("  (ignore a label with @pytest.mark.no_leaks(ignore=[...]) or --heapscope-ignore)")
    return "\n".join(lines)


# ---- summary ------------------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter, config):
    stats = config.stash.get(_stats_key, None)
    if stats is None or not (stats.checked or stats.unchecked):
        return
    tr = terminalreporter
    tr.write_sep("-", "heapscope leak check")
    tr.write_line("%s checked for leaks, %d leaked" % (_plural(stats.checked, "test"), len(stats.leaked)))
    for nodeid, causes, count, size in stats.leaked:
        tr.write_line("  LEAK %s: %s, %s, %s per call" % (
            nodeid, _plural(causes, "cause"), _plural(int(round(count)), "object"), _bytes(size)))
    for nodeid, reason in stats.unchecked:
        tr.write_line("  not checked %s: %s" % (nodeid, reason))
