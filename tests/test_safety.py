"""Never crash the host: threads, finalizers, gc callbacks, unsupported interpreters."""
import gc
import glob
import os
import subprocess
import sys
import threading

import pytest

from heapscope import _core, muppy, tracker

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_threads_mutating_containers_during_summaries():
    stop = threading.Event()
    errors = []

    def churn(seed):
        d, lst, s = {}, [], set()
        i = 0
        try:
            while not stop.is_set():
                i += 1
                d["k%d" % (i % 500)] = [i, str(i), (i, float(i))]
                lst.append({"x": i})
                if len(lst) > 300:
                    del lst[:150]
                s.add(("t", i % 700))
                if i % 3 == 0:
                    d.pop("k%d" % ((i * 7) % 500), None)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=churn, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    try:
        tr = tracker.SummaryTracker()
        for _ in range(20):
            tr.diff()
            s = _core.summarize_heap()
            assert s.total_count > 1000
            objs = muppy.get_objects()
            assert len(objs) == len(set(map(id, objs)))
            del objs
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []


class SummarizesInDel:
    results = []

    def __del__(self):
        try:
            SummarizesInDel.results.append(_core.summarize_heap().total_count)
        except Exception as e:
            SummarizesInDel.results.append(e)


def test_call_from_del_outside_a_collection_works():
    SummarizesInDel.results.clear()
    obj = SummarizesInDel()
    del obj
    assert len(SummarizesInDel.results) == 1
    assert isinstance(SummarizesInDel.results[0], int) and SummarizesInDel.results[0] > 1000


def test_call_from_del_during_a_collection_raises_runtime_error():
    SummarizesInDel.results.clear()
    a = SummarizesInDel()
    a.cycle = a
    del a
    gc.collect()
    assert len(SummarizesInDel.results) == 1
    err = SummarizesInDel.results[0]
    assert isinstance(err, RuntimeError) and "garbage collector is running" in str(err)


def test_call_from_gc_callback_raises_runtime_error():
    seen = []

    def cb(phase, info):
        try:
            seen.append(_core.summarize_heap())
        except RuntimeError as e:
            seen.append(e)

    gc.callbacks.append(cb)
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(cb)
    assert seen and all(isinstance(e, RuntimeError) for e in seen)
    # and the interpreter is fine afterwards
    assert _core.summarize_heap().total_count > 1000


def test_bad_arguments_give_clear_errors():
    with pytest.raises(TypeError):
        _core.summarize(42)
    with pytest.raises(TypeError):
        _core.identity_diff([1])
    with pytest.raises(TypeError):
        _core.own_type("not a type")
    with pytest.raises(TypeError):
        _core.summarize_heap().diff([])
    with pytest.raises(IndexError):
        _core.summarize_heap()[10 ** 9]


def test_walk_after_many_summaries_keeps_memory_flat():
    # The visited bitmap is handed back after every walk; summaries are freed.
    import resource
    _core.summarize_heap()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(30):
        _core.summarize_heap()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert after - before < 20 * 1024  # KiB


def _old_pythons():
    found = []
    for pattern in ("/root/.pyenv/versions/3.8*/bin/python", "/usr/bin/python3.8"):
        found += glob.glob(pattern)
    return found[:1]


@pytest.mark.skipif(not _old_pythons(), reason="no Python 3.8 on this machine")
def test_unsupported_interpreter_gets_a_clear_import_error():
    py = _old_pythons()[0]
    r = subprocess.run([py, "-c", "import heapscope"], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src")))
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "supports CPython 3.9 to 3.13" in r.stderr


def test_hash_set_fallback_finds_the_same_objects():
    """Where the bitmap cannot be reserved (strict overcommit, valgrind), the walk
    falls back to a hash set of addresses: the completeness tests must pass there too."""
    env = dict(os.environ, HEAPSCOPE_NO_BITMAP="1")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        os.path.join(ROOT, "tests", "test_completeness.py")],
                       capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and "failed" not in r.stdout


class _ReprMeta(type):
    seen = []

    def __repr__(cls):
        _ReprMeta.seen.append(gc.isenabled())
        return "<ReprMeta class %s>" % cls.__name__


class _WithReprMeta(metaclass=_ReprMeta):
    pass


def test_python_code_of_labels_runs_with_the_collector_running():
    """A metaclass __repr__ (Python code, which may switch threads) is called to label the
    instances of its classes; the collector is paused only while the heap is walked."""
    keep = _WithReprMeta()
    import heapscope
    from heapscope import summary, muppy
    assert gc.isenabled()
    for take in (lambda: heapscope.snapshot(), lambda: heapscope.snapshot(graph=True),
                 lambda: muppy.print_summary(file=open(os.devnull, "w")),
                 lambda: heapscope._core.summarize_heap(True)):
        _ReprMeta.seen.clear()
        take()
        assert _ReprMeta.seen and all(_ReprMeta.seen), _ReprMeta.seen
    assert gc.isenabled()
    del keep
