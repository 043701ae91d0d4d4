"""heapscope.find_leaks() on realistic leaks, and on patterns that only look like leaks."""
import functools
import gc
import re
import io
import json
import logging
import os
import sys
import threading
import tracemalloc
from collections import OrderedDict

import pytest

import heapscope
from test_demo_cli import run_python, xvfb_display  # noqa: F401  (the Xvfb fixture and its skip rules)

REPEAT = 5  # find_leaks' default


def leak_of(report, detail):
    """The Leak (cause) named by this culprit label; fails showing the report if there is none."""
    for leak in report:
        if leak.detail == detail:
            return leak
    pytest.fail("no leak %r in:\n%s" % (detail, report))


def check_leak(report, detail, type_, count, size, pool, rows=(), causes=1):
    """One cause named by its culprit: labels, per-repetition count and size (all the
    labels leaking with it), the rows of ``rows`` ((label, detail, count, size) each)
    among its labels, and samples that are objects of ``pool`` (compared by identity)."""
    assert len(report.leaks) == causes, str(report)
    leak = leak_of(report, detail)
    assert (leak.type, leak.detail) == (type_, detail)
    # the new objects' bytes, plus the accumulating container's own growth (a row of 0 objects)
    growth = sum(r[3] for r in leak.labels if r[2] == 0)
    assert (leak.count, leak.size) == (count, size + round(growth)), str(report)
    assert 0 <= growth <= 128 and sum(r[2] for r in leak.labels) == count
    assert round(sum(r[3] for r in leak.labels)) == leak.size
    for row in rows:
        assert tuple(row) in [tuple(r) for r in leak.labels], (row, leak.labels)
    assert len(leak.counts) == report.repeat
    ids = {id(o) for o in pool}
    assert 1 <= len(leak.samples) <= 3
    assert all(id(s) in ids for s in leak.samples), [heapscope.label(s, detail=True) for s in leak.samples]
    return leak


def sizes(objs):
    return sum(map(sys.getsizeof, objs))


def label_of(cls):
    return "%s.%s" % (cls.__module__, cls.__qualname__)


# ---- the leaking programs -------------------------------------------------------------


class Window:
    def __init__(self, n):
        vars(self).update(n=n, title="window %06d" % n)  # a materialized __dict__

    def on_event(self, event):
        return self.n


CALLBACKS = []


def open_window():
    """Registers a bound method in a global callback registry and never removes it."""
    w = Window(len(CALLBACKS))
    CALLBACKS.append(w.on_event)


MEMO = {}


def memo_lookup():
    """An unbounded memo cache: a new str key and value per call."""
    n = len(MEMO)
    MEMO["memo-key-%06d" % n] = "memo-value-%06d" % n


ERRORS = []


def fail():
    raise ValueError("boom")


def store_error():
    """Keeps every exception: its traceback keeps both frames alive."""
    try:
        fail()
    except ValueError as e:
        ERRORS.append(e)


FLOATS = []


def add_float():
    """Untracked objects only: the GC never lists a float."""
    FLOATS.append(len(FLOATS) + 0.5)


LOG_LINES = []


def log_line():
    LOG_LINES.append("%06d INFO job finished" % len(LOG_LINES))


CLOSURES = []


def make_handler(n):
    def handler():
        return n
    return handler


def add_handler():
    CLOSURES.append(make_handler(len(CLOSURES)))


JOBS = [0]


def run_job():
    """A logger per job: the logging manager keeps every one, and a PlaceHolder for its parent."""
    JOBS[0] += 1
    logging.getLogger("hstest.%06d.worker" % JOBS[0]).debug("started")


THREADS = []


def start_worker():
    t = threading.Thread(target=len, args=((),))
    t.start()
    t.join()
    THREADS.append(t)


class Huge:
    def __repr__(self):
        return "<Huge " + "h" * 100_000 + ">"


HUGE = []


def add_huge():
    HUGE.append(Huge())


class Record:
    __slots__ = ("n",)  # no managed __dict__: 3.11's get_object_traceback misses those objects

    def __init__(self, n):
        self.n = n


TRACED = []


def add_traced():
    TRACED.append(Record(len(TRACED)))


TRACED_LINE = add_traced.__code__.co_firstlineno + 1


# ---- leaks ---------------------------------------------------------------------------------


def test_callback_registry_of_bound_methods():
    """One cause: the registry gains a bound method per call; the culprit is the
    Window it holds, not the method; its dict and title leak with it."""
    report = heapscope.find_leaks(open_window)
    assert report and report.repeat == REPEAT and report.warmup == 2
    m = CALLBACKS[-1]
    w = m.__self__
    parts = [m, w, vars(w), w.title]
    leak = check_leak(report, label_of(Window), label_of(Window), 4, sizes(parts), [c.__self__ for c in CALLBACKS],
                      rows=[("method", "method (Window.on_event)", 1, sys.getsizeof(m)),
                            (label_of(Window), label_of(Window), 1, sys.getsizeof(w)),
                            ("dict", "dict of %s" % label_of(Window), 1, sys.getsizeof(vars(w))),
                            ("str", "str", 1, sys.getsizeof(w.title))])
    # Where it piles up: the registry, one new entry per repetition.
    assert leak.accumulation == ("sys.modules['test_leaks'].CALLBACKS -> list", 1), leak.accumulation
    assert leak.chain == ["method (Window.on_event)", label_of(Window)]  # nothing specific under the window
    assert ("1 leak in 5 repetitions" in str(report)
            and "4 objects, %d B per repetition accumulate in sys.modules['test_leaks'].CALLBACKS -> list "
                "(+1 entry per repetition): method (Window.on_event) -> test_leaks.Window" % leak.size in str(report))
    assert leak.retained == leak.size  # the method, the window, its dict and title: only the registry holds them
    assert leak.labels[0][3] >= leak.labels[-1][3]  # largest first


def test_unbounded_memo_cache():
    """Nothing specific leaks: the culprit is the str; a dict entry counts once."""
    report = heapscope.find_leaks(memo_lookup)
    key, value = next(iter(MEMO.items()))
    check_leak(report, "str", "str", 2, sys.getsizeof(key) + sys.getsizeof(value),
               list(MEMO) + list(MEMO.values()))
    where, grows = report.leaks[0].accumulation
    assert where == "sys.modules['test_leaks'].MEMO -> dict" and grows == 1, report.leaks[0].accumulation


def test_stored_exceptions_keep_tracebacks_and_frames():
    report = heapscope.find_leaks(store_error)
    e = ERRORS[-1]
    tbs = [e.__traceback__, e.__traceback__.tb_next]
    frames = [tb.tb_frame for tb in tbs]
    assert frames[0].f_code is store_error.__code__
    rows = [("traceback", "traceback", 2, sizes(tbs)), ("ValueError", "ValueError", 1, sys.getsizeof(e))]
    for frame, fn in zip(frames, (store_error, fail)):
        code = fn.__code__
        detail = "frame (%s, %s:%d)" % (fn.__qualname__, code.co_filename, code.co_firstlineno)
        rows.append(("frame (codename: %s)" % fn.__name__, detail, 1, sys.getsizeof(frame)))
    leak = leak_of(report, "ValueError")
    assert len(report.leaks) == 1 and leak.type == "ValueError"
    for row in rows:
        assert row in leak.labels, (row, leak.labels)
    assert leak.accumulation == ("sys.modules['test_leaks'].ERRORS -> list", 1)
    assert all(any(s is x for x in ERRORS) for s in leak.samples)


def test_untracked_floats_objgraph_misses():
    objgraph = pytest.importorskip("objgraph")
    peak = {}
    objgraph.growth(limit=None, peak_stats=peak)
    for _ in range(REPEAT):
        add_float()
    grown = {name for name, _, _ in objgraph.growth(limit=None, peak_stats=peak)}
    assert "float" not in grown and "float" not in objgraph.typestats()
    report = heapscope.find_leaks(add_float)
    check_leak(report, "float", "float", 1, sys.getsizeof(FLOATS[0]), FLOATS)


def test_log_lines_accumulating():
    report = heapscope.find_leaks(log_line)
    check_leak(report, "str", "str", 1, sys.getsizeof(LOG_LINES[-1]), LOG_LINES)


def test_closure_per_call():
    """Only generic labels leak (function, cell, tuple): the culprit is the one
    holding the most, the function."""
    report = heapscope.find_leaks(add_handler)
    f = CLOSURES[-1]
    check_leak(report, "function (%s.make_handler.<locals>.handler)" % __name__, "function (handler)", 3,
               sizes([f, f.__closure__, f.__closure__[0]]), CLOSURES,
               rows=[("cell", "cell (n in make_handler.<locals>.handler)", 1, sys.getsizeof(f.__closure__[0])),
                     ("tuple", "tuple", 1, sys.getsizeof(f.__closure__))])


def test_logger_per_call():
    """A logger per dynamic name: the manager's loggerDict gains a Logger and a
    PlaceHolder per call, and the parent PlaceHolder's loggerMap an entry: one cause."""
    report = heapscope.find_leaks(run_job)
    ours = {k: v for k, v in logging.Logger.manager.loggerDict.items() if k.startswith("hstest.")}
    loggers = [v for v in ours.values() if isinstance(v, logging.Logger)]
    holders = [v for v in ours.values() if isinstance(v, logging.PlaceHolder)]
    assert len(loggers) == len(holders) == JOBS[0]
    assert len(report.leaks) == 1, str(report)
    leak = leak_of(report, "logging.Logger")
    n = JOBS[0]
    for row in [("logging.Logger", "logging.Logger", 1, sys.getsizeof(loggers[0])),
                ("logging.PlaceHolder", "logging.PlaceHolder", 1, sys.getsizeof(holders[0])),
                ("str", "str", 2, sys.getsizeof("hstest.%06d.worker" % n) + sys.getsizeof("hstest.%06d" % n))]:
        assert row in leak.labels, (row, leak.labels)
    assert leak.accumulation[0].endswith("Manager.loggerDict -> dict") and leak.accumulation[1] == 2
    assert all(any(s is x for x in loggers) for s in leak.samples)


def test_finished_threads_kept_in_a_list():
    report = heapscope.find_leaks(start_worker)
    assert not any(t.is_alive() for t in THREADS)
    leak = leak_of(report, "threading.Thread")
    assert len(report.leaks) == 1 and leak.accumulation == ("sys.modules['test_leaks'].THREADS -> list", 1)
    assert all(any(s is t for t in THREADS) for s in leak.samples)


class Listener:
    def __init__(self, n):
        self.n = n
        self.events = []

    def on_event(self, event):
        self.events.append(event)


LISTENERS = []


def subscribe_and_publish():
    """Every call registers a listener for good, then publishes one event (a new
    int) to every listener: the listeners registered before the repetitions grow
    too, under the same registry."""
    LISTENERS.append(Listener(len(LISTENERS)).on_event)
    for notify in LISTENERS:
        notify(1000 + len(LISTENERS))


def test_old_objects_growing_under_the_leaking_registry_are_the_same_cause():
    report = heapscope.find_leaks(subscribe_and_publish)
    assert len(report.leaks) == 1, str(report)
    leak = report.leaks[0]
    assert leak.detail == label_of(Listener) and leak.accumulation[0] == "sys.modules['test_leaks'].LISTENERS -> list"
    # the new listener, its method, dict and events list; the events appended to every listener
    assert leak.count >= 5


JOURNAL = [""]


def journal_append():
    """A str rebuilt 1 KB bigger every call: no object survives, the old str dies."""
    JOURNAL[0] = JOURNAL[0] + "x" * 1024


def test_a_str_rebuilt_bigger_every_call_is_growth():
    report = heapscope.find_leaks(journal_append)
    assert len(report.leaks) == 1, str(report)
    leak = report.leaks[0]
    assert (leak.type, leak.detail, leak.count) == ("str", "str", 0)
    assert 1024 <= leak.size <= 1024 + 64, leak.size
    assert leak.samples and leak.samples[0] is JOURNAL[0]
    assert "JOURNAL -> list[0] -> str grows: +1024 B per repetition" in str(report), str(report)


LAST_REQUEST = ["req-000000"]


def journal_and_last_request():
    """The journal grows; the last request id is replaced by a new str of the same
    size every call (a str label that grows in bytes must not make it a leak)."""
    journal_append()
    LAST_REQUEST[0] = "req-%06d" % len(JOURNAL[0])


def test_a_replaced_str_is_not_part_of_the_growing_one():
    report = heapscope.find_leaks(journal_and_last_request)
    assert len(report.leaks) == 1, str(report)
    assert report.leaks[0].samples[0] is JOURNAL[0]


KEPT = []


def keep_small_containers():
    """New lists, tuples, dicts and ints per call: labels find_leaks' own series
    and tables have too.  Only the user's objects make the cause."""
    n = len(KEPT)
    KEPT.append(([n * 1000, n * 1000 + 1], (n * 1000 + 2, [n]), {"k": [n * 1000 + 3]}))


def test_find_leaks_own_series_are_never_part_of_a_cause():
    report = heapscope.find_leaks(keep_small_containers)
    assert len(report.leaks) == 1, str(report)
    leak = report.leaks[0]
    item = KEPT[-1]
    mine = [item, item[0], item[1], item[1][1], item[2], item[2]["k"]]
    ints = [i for i in item[0] + [item[1][0], item[2]["k"][0]] if i > 256]
    assert leak.count == len(mine) + len(ints), leak.labels
    assert leak.accumulation == ("sys.modules['test_leaks'].KEPT -> list", 1)


TK_PROGRAM = r"""
import gc, json, sys, tkinter, types
import heapscope


class Browser:
    def __init__(self, title):
        self.title = title

    def wakeup(self):
        return self.title


class Tk24Menu(tkinter.Menu):
    # Tkinter 2.4's Menu.delete: the entry goes, its registered command stays.
    def delete(self, index1, index2=None):
        self.tk.call(self._w, "delete", index1, index2)


root = tkinter.Tk()
root.withdraw()
menu = Tk24Menu(root, tearoff=0)
opened = [0]


def open_and_close_browser():
    opened[0] += 1
    w = Browser("Path Browser %d" % opened[0])
    menu.add_command(label=w.title, command=w.wakeup)
    root.update()
    menu.delete("end")


report = heapscope.find_leaks(open_and_close_browser)
live = gc.get_objects()  # only Tcl holds the leaked objects: the GC lists show them all
wrappers = [o for o in live if isinstance(o, tkinter.CallWrapper) and o.func.__func__ is Browser.wakeup]
pools = {
    "tkinter.CallWrapper": wrappers,
    "method (CallWrapper.__call__)": [o for o in live if isinstance(o, types.MethodType)
                                      and o.__func__ is tkinter.CallWrapper.__call__
                                      and repr(id(o)) + "wakeup" in menu._tclCommands],
    "method (Browser.wakeup)": [w.func for w in wrappers],
    "__main__.Browser": [o for o in live if type(o) is Browser],
}
out = {"opened": opened[0], "end": menu.index("end"), "commands": len(menu._tclCommands), "leaks": {},
       "text": str(report)}
for leak in report:
    ids = {id(o) for o in pools.get(leak.detail, ())}
    out["leaks"][leak.detail] = dict(
        type=leak.type, count=leak.count, size=leak.size, counts=leak.counts, pool=len(ids),
        samples_in_pool=bool(leak.samples) and all(id(s) in ids for s in leak.samples),
        labels=[list(r) for r in leak.labels], chain=leak.chain,
        sizes={d: sys.getsizeof(pools[d][0]) for d in pools if pools[d]})
del live
root.destroy()
print(json.dumps(out))
"""


def test_tk_menu_keeps_deleted_commands(xvfb_display, tmp_path):  # noqa: F811
    """A real Tk program, in a child process: Tk exits the process when an X server
    it once used (test_demo_cli's) goes away."""
    script = tmp_path / "tk_menu.py"
    script.write_text(TK_PROGRAM)
    proc = run_python(str(script), env=dict(os.environ, DISPLAY=xvfb_display))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["end"] is None and out["commands"] == out["opened"] == 2 + REPEAT
    # The first cause: what Tcl holds (outside the Python heap), named by the
    # CallWrapper under the bound method Tcl calls; the Browser leaks with it.
    culprit = list(out["leaks"])[0]
    assert culprit == "tkinter.CallWrapper", out["text"]
    leak = out["leaks"][culprit]
    assert leak["type"] == "tkinter.CallWrapper" and leak["samples_in_pool"] and leak["pool"] == out["opened"]
    assert leak["chain"] == ["method (CallWrapper.__call__)", "tkinter.CallWrapper", "method (Browser.wakeup)",
                             "__main__.Browser"]
    rows = {r[1]: r for r in leak["labels"]}
    for detail, size in leak["sizes"].items():
        assert rows[detail][2:] == [1, size], (detail, rows)
    assert leak["counts"] == [1, 2, 3, 4, 5]
    assert ("held outside the Python heap: method (CallWrapper.__call__) -> tkinter.CallWrapper -> "
            "method (Browser.wakeup) -> __main__.Browser" in out["text"])
    # The Tcl command names pile up in the menu's _tclCommands list: a cause of its own.
    assert len(out["leaks"]) <= 2


# ---- not leaks -----------------------------------------------------------------------------


def bounded_cache(maxsize):
    """An action adding a new key per call to an LRU cache of maxsize (None: unbounded)."""
    cache = OrderedDict()
    calls = [0]

    def action():
        calls[0] += 1
        cache["k%06d" % calls[0]] = "v%06d" % calls[0]
        while maxsize is not None and len(cache) > maxsize:
            cache.popitem(last=False)

    return action, cache


@pytest.mark.parametrize("maxsize", [4, None])
def test_bounded_cache_filling_during_the_repeats_is_no_leak(maxsize):
    action, cache = bounded_cache(maxsize)
    report = heapscope.find_leaks(action, warmup=2)
    if maxsize is None:  # the control: the same cache without a bound leaks
        check_leak(report, "str", "str", 2, sum(map(sys.getsizeof, next(iter(cache.items())))),
                   list(cache) + list(cache.values()))
    else:
        assert len(cache) == maxsize
        assert not report and len(report) == 0 and list(report) == []
        assert "no leaks" in str(report)


class Node:
    pass


def test_reference_cycles_dropped_each_call_are_no_leak():
    made = [0]

    def action():
        a, b = Node(), Node()
        a.other, b.other = b, a
        made[0] += 1

    report = heapscope.find_leaks(action)
    assert not report and made[0] == 7
    assert not any(isinstance(o, Node) for o in gc.get_objects())


def test_a_growing_list_of_small_ints_is_a_leak():
    """No new object at all: the list grows, one small int more per call."""
    made = []

    def action():
        made.append(1)

    report = heapscope.find_leaks(action)
    assert len(report.leaks) == 1, str(report)
    leak = report.leaks[0]
    assert (leak.type, leak.detail, leak.count, leak.samples) == ("list", "list", 0, [])
    assert leak.accumulation is not None and leak.accumulation[1] == 1
    assert leak.accumulation[0].endswith("local made: cell.cell_contents -> list"), leak.accumulation
    assert 0 < leak.size <= 16  # 8 bytes a slot, over-allocated in steps
    assert "grows: +" in str(report) and "+1 entry per repetition" in str(report)


_STATE = {}


def lazily_initialised():
    if "registry" not in _STATE:
        _STATE["registry"] = {"n%d" % i: [object() for _ in range(10)] for i in range(20)}
    return _STATE["registry"]


def test_lazily_initialised_module_state_is_no_leak():
    _STATE.clear()
    report = heapscope.find_leaks(lazily_initialised, warmup=1)
    assert "registry" in _STATE and not report


@functools.lru_cache(maxsize=None)
def squares(n):
    return [i * i for i in range(n)]


@functools.lru_cache(maxsize=1000)
def render_page(n):
    return {"page": n, "html": "<p>%d</p>" % n}


PAGES = [0]


def render_next_page():
    PAGES[0] += 1
    render_page(PAGES[0])


def test_an_lru_cache_still_filling_is_bounded_not_a_leak():
    """Growing every call, but towards maxsize: named as a bounded cache."""
    render_page.cache_clear()
    report = heapscope.find_leaks(render_next_page)
    info = render_page.cache_info()
    assert info.currsize == PAGES[0] < info.maxsize
    assert not report, str(report)
    assert any(n.startswith("bounded: lru_cache of render_page (%d of at most 1000 entries)" % info.currsize)
               for n in report.notes), report.notes


def test_lru_cache_hits_are_no_leak():
    squares.cache_clear()
    report = heapscope.find_leaks(squares, 300)
    assert not report
    info = squares.cache_info()
    assert (info.hits, info.misses) == (6, 1)


# ---- the report --------------------------------------------------------------------------------


def test_report_text_and_print():
    report = heapscope.find_leaks(add_huge)
    text = str(report)
    label = label_of(Huge)
    check_leak(report, label, label, 1, sys.getsizeof(HUGE[0]), HUGE)
    assert label in text and "per repetition" in text and "add_huge" in text
    samples = [line for line in text.splitlines() if line.strip().startswith("e.g.")]
    assert len(samples) == 1 and len(report.leaks[0].samples) == 3
    assert all("<Huge hhh" in line and "..." in line and len(line) < 200 for line in samples)
    assert len(text) < 2000
    buf = io.StringIO()
    report.print(file=buf)
    assert buf.getvalue() == text


def test_report_shows_detailed_labels():
    report = heapscope.find_leaks(open_window)
    text = str(report)
    assert "method (Window.on_event)" in text and "per repetition" in text
    assert "allocated at" not in text


def test_leak_traceback_when_tracemalloc_traces():
    tracemalloc.start()
    try:
        report = heapscope.find_leaks(add_traced)
    finally:
        tracemalloc.stop()
    leak = check_leak(report, label_of(Record), label_of(Record), 1, sys.getsizeof(TRACED[0]), TRACED)
    assert isinstance(leak.traceback, tracemalloc.Traceback)
    assert (leak.traceback[-1].filename, leak.traceback[-1].lineno) == (__file__, TRACED_LINE)
    assert "allocated at %s:%d" % (__file__, TRACED_LINE) in str(report)


def test_leak_traceback_is_none_without_tracemalloc():
    assert not tracemalloc.is_tracing()
    report = heapscope.find_leaks(add_traced)
    assert all(leak.traceback is None for leak in report)
    path = str(leak_of(report, label_of(Record)).path)  # issue 4: where it leaks
    assert re.fullmatch(r"sys\.modules\['test_leaks'\]\.TRACED -> list\[\d+\] -> Record", path), path


class DictOwner:
    def __init__(self, n):
        self.__dict__ = {"n": n}  # a real dict on every version (not inline values)


OWNED = []


def add_owned_and_plain_dict():
    n = len(OWNED)
    OWNED.append((DictOwner(n), {"plain": n}))


def test_a_plain_dict_and_an_instance_dict_leaking_together_are_told_apart():
    report = heapscope.find_leaks(add_owned_and_plain_dict)
    owner, plain = OWNED[-1]
    leak = check_leak(report, label_of(DictOwner), label_of(DictOwner), 4,
                      sizes([owner, vars(owner), plain, OWNED[-1]]), [o for o, _ in OWNED],
                      rows=[("dict", "dict of %s" % label_of(DictOwner), 1, sys.getsizeof(vars(owner))),
                            ("dict", "dict", 1, sys.getsizeof(plain))])
    assert leak.chain == ["tuple", label_of(DictOwner)]


def test_counts_are_the_actions_objects_only():
    report = heapscope.find_leaks(add_float)
    leak = leak_of(report, "float")
    assert leak.counts == [1, 2, 3, 4, 5]
    assert leak.sizes == [k * sys.getsizeof(FLOATS[0]) for k in (1, 2, 3, 4, 5)]


# ---- calling conventions and errors ------------------------------------------------------------


def test_args_and_kwargs_are_passed():
    seen = [0]

    def action(a, b, *, key):
        assert (a, b, key) == (1, "two", 3.5)
        seen[0] += 1

    report = heapscope.find_leaks(action, 1, "two", key=3.5, repeat=3, warmup=1)
    assert seen == [4]
    assert (report.repeat, report.warmup) == (3, 1)
    assert 0 <= report.action_time <= report.total_time


def test_repeat_must_be_at_least_two():
    calls = []
    with pytest.raises(ValueError):
        heapscope.find_leaks(calls.append, 1, repeat=1)
    assert calls == []
    with pytest.raises(TypeError):
        heapscope.find_leaks(42)


def test_action_raising_propagates_and_unfreezes():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 4:  # the second repetition: the old heap is frozen
            raise RuntimeError("flaky action")

    frozen = gc.get_freeze_count()  # 3.12 freezes a few hundred objects at startup
    with pytest.raises(RuntimeError, match="flaky action"):
        heapscope.find_leaks(flaky)
    assert len(calls) == 4
    assert gc.get_freeze_count() == frozen and gc.isenabled()


def test_the_programs_own_frozen_objects_stay_frozen_and_are_walked():
    """find_leaks freezes and unfreezes only what it froze; objects the program
    froze itself wait aside meanwhile, still seen by the walk."""
    mine = [Window(i) for i in range(50)]
    gc.collect()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        ids = {id(w) for w in mine}
        seen, counts = [], []

        def look():
            counts.append(gc.get_freeze_count())
            seen.append(len(ids & {id(o) for o in heapscope._core.get_objects()}))

        heapscope.find_leaks(look, warmup=2)
        assert counts[:2] == [frozen, frozen]  # warm-up: nothing frozen by find_leaks yet
        # Repetitions: the permanent generation holds what find_leaks froze (here the
        # few objects made since the program's freeze), the program's objects are aside.
        assert len(counts) == 7 and all(0 < c != frozen for c in counts[2:])
        assert seen and set(seen) == {len(ids)}  # the program's frozen objects, walked while held aside
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_program_freeze_is_left_alone():
    gc.collect()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        report = heapscope.find_leaks(log_line)
        assert gc.get_freeze_count() == frozen > 0
        check_leak(report, "str", "str", 1, sys.getsizeof(LOG_LINES[-1]), LOG_LINES)
    finally:
        gc.unfreeze()
