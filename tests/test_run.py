"""``heapscope run``: programs run as python runs them, with growing labels at exit."""
import gc
import importlib
import os
import re
import subprocess
import sys
import textwrap
import threading

import pytest

import heapscope
from heapscope import _core
from heapscope.run import steady_growth

LEAKY = """
import sys, time

class Item:
    def __init__(self, i):
        self.i = i

leaked = []
seconds = float(sys.argv[1])
t0 = time.perf_counter()
while time.perf_counter() - t0 < seconds:
    leaked.append(Item(len(leaked)))
    time.sleep(0.01)
elapsed = time.perf_counter() - t0
print("items", len(leaked), "elapsed", elapsed, "size", sys.getsizeof(leaked[0]), "argv", sys.argv[1:])
"""

CLEAN = """
import time
cache = {}
t0 = time.perf_counter()
n = 0
while time.perf_counter() - t0 < 2.0:
    tmp = [dict(a=i, b=str(i)) for i in range(200)]
    cache[n % 20] = tmp[:5]     # a bounded cache: fills in the first few rounds, then holds
    n += 1
    time.sleep(0.005)
print("clean", n > 20)
"""

# what python itself shows a program: compared byte for byte with heapscope run's
FAITHFUL = """
import json, os, sys, threading
g = globals()
print(json.dumps({
    "name": __name__,
    "argv": sys.argv,
    "path0": sys.path[0],
    "file": g.get("__file__"),
    "spec": None if __spec__ is None else __spec__.name,
    "package": __package__,
    "loader": type(__loader__).__name__,
    "globals": list(g),
    "main_is_me": sys.modules["__main__"].__dict__ is g,
    "threads": threading.active_count(),
    "enumerate": [t.name for t in threading.enumerate()],
}))
sys.stdout.write("no newline at the end")
"""

SAMPLE_LINE = re.compile(r"^heapscope:\s+[\d.]+ s\s+[\d,]+ objects", re.M)


def hs_run(*args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "heapscope", "run", *args], cwd=str(cwd), capture_output=True,
                          text=True, timeout=timeout)


def py_run(*args, cwd):
    return subprocess.run([sys.executable, *args], cwd=str(cwd), capture_output=True, text=True, timeout=60)


def write(tmp_path, name, text):
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text))
    return p


def growth_rows(stderr):
    """{label: (objects/min, bytes/min text, alive)} from the growing labels table."""
    lines = stderr.splitlines()
    start = [i for i, l in enumerate(lines) if "grew steadily over the last" in l]
    assert start, stderr
    rows = {}
    for line in lines[start[0] + 3:]:
        m = re.match(r"^  (\S.*?)\s{2,}([\d,.]+)\s{2,}([\d.]+ [KMG]?B)\s{2,}([\d,]+)$", line)
        if m:
            rows[m.group(1)] = (float(m.group(2).replace(",", "")), m.group(3), int(m.group(4).replace(",", "")))
        elif not line.startswith("      "):
            break
    return rows


def item_block(stderr, label):
    """The row of label in the growing labels table and its indented lines."""
    lines = stderr[stderr.index("  %s " % label):].splitlines()
    block = lines[:1]
    for line in lines[1:]:
        if not line.startswith("      "):
            break
        block.append(line)
    return "\n".join(block)


def to_bytes(text):
    n, unit = text.split()
    return float(n) * 1024 ** ["B", "KB", "MB", "GB"].index(unit)


def test_leaky_program_reports_its_label_growing_with_paths(tmp_path):
    write(tmp_path, "leaky.py", LEAKY)
    r = hs_run("--interval", "0.2", "--paths", "leaky.py", "2.5", "--foo", "-x", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    m = re.match(r"items (\d+) elapsed ([\d.]+) size (\d+) argv \['2.5', '--foo', '-x'\]$", r.stdout.strip())
    assert m, r.stdout
    items, elapsed, size = int(m.group(1)), float(m.group(2)), int(m.group(3))
    rows = growth_rows(r.stderr)
    assert "__main__.Item" in rows, r.stderr
    per_min, bytes_text, alive = rows["__main__.Item"]
    assert alive == items                              # every Item ever made is alive at exit
    rate = items / elapsed * 60
    assert 0.5 * rate < per_min < 1.5 * rate, (per_min, rate)
    assert to_bytes(bytes_text) == pytest.approx(per_min * size, rel=0.02)
    # the program's own short-lived objects do not grow
    assert "float" not in rows and "frame" not in rows
    # progress and periodic summaries on stderr
    assert "heapscope: running leaky.py, sampling every 0.2 s" in r.stderr
    assert len(SAMPLE_LINE.findall(r.stderr)) >= 5
    assert "heapscope: computing paths" in r.stderr
    # the path names the global list; the accumulation point is that list
    block = item_block(r.stderr, "__main__.Item")
    assert "kept alive by sys.modules['__main__'].leaked -> list[" in block
    assert "accumulates in sys.modules['__main__'].leaked -> list" in block
    assert "e.g. <__main__.Item object at 0x" in block
    # the causes lead the report: one leak, the Items piling up in the list
    assert re.search(r"^heapscope: 1 leak \(labels grouped by where they accumulate\):\n  1\. [\d.]+ objects, "
                     r".* per minute accumulate in sys\.modules\['__main__'\]\.leaked -> list \(\+[\d.]+ entries "
                     r"per minute\): __main__\.Item$", r.stderr, re.M), r.stderr
    # Pympler's table of the heap at exit
    assert re.search(r"^ +types \| +# objects \| +total size$", r.stderr, re.M)


def test_clean_program_reports_no_growth(tmp_path):
    write(tmp_path, "clean.py", CLEAN)
    r = hs_run("--interval", "0.2", "clean.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "clean True\n"
    assert "heapscope: no label grew steadily over the last" in r.stderr, r.stderr
    assert len(SAMPLE_LINE.findall(r.stderr)) >= 5


def test_too_few_samples_says_so(tmp_path):
    write(tmp_path, "quick.py", "print('hi')\n")
    r = hs_run("quick.py", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == "hi\n"
    assert "too few samples (2) to tell growth" in r.stderr
    assert "quick.py exited with status 0" in r.stderr


@pytest.mark.parametrize("body, status", [
    ("pass", 0),
    ("import sys; sys.exit(3)", 3),
    ("raise SystemExit(None)", 0),
    ("raise SystemExit(True)", 1),
    ("import os; os.kill(os.getpid(), __import__('signal').SIGINT); import time; time.sleep(5)", 130),
    ("raise KeyboardInterrupt", 130),
])
def test_exit_status_is_kept(tmp_path, body, status):
    write(tmp_path, "prog.py", body + "\n")
    r = hs_run("prog.py", cwd=tmp_path)
    assert r.returncode == status, r.stderr
    assert "prog.py exited with status %d" % status in r.stderr
    if status == 130:
        assert "KeyboardInterrupt" in r.stderr


def test_system_exit_with_a_message(tmp_path):
    write(tmp_path, "prog.py", "raise SystemExit('bye now')\n")
    r = hs_run("prog.py", cwd=tmp_path)
    p = py_run("prog.py", cwd=tmp_path)
    assert p.returncode == r.returncode == 1
    assert p.stderr == "bye now\n"
    assert r.stderr.splitlines()[1] == "bye now"


def test_uncaught_exception_traceback_as_python_prints_it(tmp_path):
    write(tmp_path, "prog.py", """
        def f():
            raise ValueError("boom")
        print("before")
        f()
    """)
    r = hs_run("prog.py", cwd=tmp_path)
    p = py_run("prog.py", cwd=tmp_path)
    assert r.returncode == p.returncode == 1
    assert r.stdout == p.stdout == "before\n"
    start = r.stderr.index("Traceback (most recent call last):")
    end = r.stderr.index("ValueError: boom\n") + len("ValueError: boom\n")
    assert r.stderr[start:end] == p.stderr             # no frame of heapscope's
    assert "exited with status 1" in r.stderr[end:]


def test_syntax_error_and_missing_program(tmp_path):
    write(tmp_path, "bad.py", "x = (\n")
    r = hs_run("bad.py", cwd=tmp_path)
    p = py_run("bad.py", cwd=tmp_path)
    assert r.returncode == p.returncode == 1
    # printed as python prints it (3.9's file tokenizer places the caret a line lower)
    assert r.stderr.splitlines()[-1] == p.stderr.splitlines()[-1]
    assert r.stderr.startswith('  File "%s", line ' % (tmp_path / "bad.py"))
    assert "Traceback" not in r.stderr and "run.py" not in r.stderr
    r = hs_run("missing.py", cwd=tmp_path)
    assert r.returncode == 2 and "can't open file" in r.stderr and "missing.py" in r.stderr
    r = hs_run("-m", "no_such_module_here", cwd=tmp_path)
    assert r.returncode == 1 and "No module named no_such_module_here" in r.stderr
    r = hs_run(cwd=tmp_path)
    assert r.returncode == 2 and "give a script or -m module" in r.stderr
    r = hs_run("--interval", "0", "x.py", cwd=tmp_path)
    assert r.returncode == 2 and "--interval" in r.stderr


def test_script_sees_what_python_shows_it(tmp_path):
    write(tmp_path, "sub/prog.py", FAITHFUL)
    args = ("sub/prog.py", "--interval", "3", "-m", "x", "--", "-")
    r = hs_run("--interval", "0.5", *args, cwd=tmp_path)
    p = py_run(*args, cwd=tmp_path)
    assert r.returncode == p.returncode == 0, r.stderr
    assert r.stdout == p.stdout                        # byte for byte, argv with dashes included
    assert '"argv": ["sub/prog.py", "--interval", "3", "-m", "x", "--", "-"]' in r.stdout
    assert '"threads": 1' in r.stdout                  # the sampler is no threading.Thread


def test_module_sees_what_python_shows_it(tmp_path):
    write(tmp_path, "pkg/__init__.py", "")
    write(tmp_path, "pkg/tool.py", FAITHFUL + "\nraise SystemExit(5)\n")
    write(tmp_path, "pkg/__main__.py", "import sys; print('pkg main', __name__, sys.argv[1:]); sys.exit(4)\n")
    args = ("-m", "pkg.tool", "--flag", "-x", "value")
    r = hs_run("--interval", "0.5", *args, cwd=tmp_path)
    p = py_run(*args, cwd=tmp_path)
    assert r.returncode == p.returncode == 5, r.stderr
    assert r.stdout == p.stdout
    assert '"name": "__main__"' in r.stdout and '"spec": "pkg.tool"' in r.stdout
    r = hs_run("-m", "pkg", "-a", cwd=tmp_path)
    assert r.returncode == 4 and r.stdout == "pkg main __main__ ['-a']\n"
    assert "-m pkg exited with status 4" in r.stderr


def test_threads_joined_before_the_report_and_atexit_after(tmp_path):
    write(tmp_path, "prog.py", """
        import atexit, os, threading, time
        atexit.register(lambda: os.write(2, b"atexit ran\\n"))
        def work():
            time.sleep(0.5)
            os.write(2, b"thread done\\n")
        threading.Thread(target=work).start()
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    """)
    r = hs_run("--interval", "0.2", "prog.py", cwd=tmp_path, timeout=30)
    assert r.returncode == 0, r.stderr
    i_thread = r.stderr.index("thread done")
    i_exit = r.stderr.index("prog.py exited with status 0")
    i_atexit = r.stderr.index("atexit ran")
    assert i_thread < i_exit < i_atexit


def test_output_file(tmp_path):
    write(tmp_path, "prog.py", "print('out')\n")
    r = hs_run("--output", "hs.txt", "prog.py", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == "out\n"
    text = (tmp_path / "hs.txt").read_text()
    assert "prog.py exited with status 0" in text and "total size" in text
    assert "exited with status" not in r.stderr
    assert "heapscope: running prog.py" in r.stderr   # progress stays on stderr


def test_report(tmp_path):
    pytest.importorskip("heapscope.report")
    write(tmp_path, "leaky.py", LEAKY)
    r = hs_run("--interval", "0.2", "--report", "out.html", "leaky.py", "1.5", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert "__main__.Item" in html and "leaky.py" in html
    assert "<th>objects/min</th>" in html and "per minute" in html and "per repetition" not in html
    assert "heapscope: writing the report to out.html" in r.stderr


def test_save(tmp_path):
    if not hasattr(heapscope.Snapshot, "save"):
        pytest.skip("Snapshot.save is not in this heapscope")
    write(tmp_path, "prog.py", "data = [object() for _ in range(1000)]\n")
    r = hs_run("--save", "last.hsnap", "prog.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "last.hsnap").stat().st_size > 1000


def test_report_and_save_refused_up_front_when_missing(tmp_path):
    write(tmp_path, "prog.py", "print('ran')\n")
    try:
        importlib.import_module("heapscope.report")
    except ImportError:
        r = hs_run("--report", "x.html", "prog.py", cwd=tmp_path)
        assert r.returncode == 2 and r.stdout == "" and "--report needs" in r.stderr
    if not hasattr(heapscope.Snapshot, "save"):
        r = hs_run("--save", "x.hsnap", "prog.py", cwd=tmp_path)
        assert r.returncode == 2 and r.stdout == "" and "--save needs" in r.stderr


# ---- the growth rule ------------------------------------------------------------------


def test_steady_growth_rule():
    ts = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert steady_growth(ts, [10, 12, 14, 16, 18, 20]) == pytest.approx(2.0)
    assert steady_growth(ts, [10, 12, 12, 14, 14, 16]) == pytest.approx(19 / 17.5)  # rises in 3 of 5 steps
    assert steady_growth(ts, [10, 10, 12, 12, 14, 14]) is None      # rises in 2 of 5: too slow to tell
    assert steady_growth(ts, [10, 10, 10, 50, 50, 50]) is None      # one jump: an import, a cache filling
    assert steady_growth(ts, [10, 10, 10, 10, 10, 10]) is None
    assert steady_growth(ts, [10, 14, 11, 15, 12, 16]) is None      # noise with a drift: falls too often
    assert steady_growth(ts, [20, 18, 16, 14, 12, 10]) is None
    assert steady_growth(ts[:3], [1, 2, 3]) is None                 # too few samples
    assert steady_growth(ts, [10, 11, 12, 13, 14, 13]) is not None  # one small fall in five steps


def test_sampler_state_is_never_counted():
    import gc
    from heapscope import _core
    from heapscope.run import _State, _Vec

    before = _core.summarize_heap(False)
    st = _State()
    st.times = _Vec(float(i) for i in range(1000))
    st.summaries = _Vec(_core.summarize_heap(True) for _ in range(3))
    gc.collect()
    after = _core.summarize_heap(False)
    grew = {r[0]: r[1] for r in after.diff(before) if r[1] > 0}
    assert "float" not in grew and "heapscope.run._Vec" not in grew and "heapscope.run._State" not in grew, grew
    del st


def test_os_exit_keeps_its_status_without_a_report(tmp_path):
    write(tmp_path, "prog.py", "import os, sys, time\ntime.sleep(0.5)\nprint('bye', flush=True)\nos._exit(7)\n")
    r = hs_run("--interval", "0.1", "prog.py", cwd=tmp_path)
    assert r.returncode == 7 and r.stdout == "bye\n"
    assert len(SAMPLE_LINE.findall(r.stderr)) >= 2     # the periodic summaries were printed
    assert "exited with status" not in r.stderr


def test_forked_child_prints_no_report(tmp_path):
    if not hasattr(os, "fork"):
        pytest.skip("no fork")
    # The program forks at once. heapscope starts it only once the sampler thread
    # runs Python code: a fork while that thread was still being set up, outside
    # the GIL, left the child deadlocked on a lock the thread held (under ASan,
    # its allocator's: 23 of 30 runs hung before the program waited for it).
    write(tmp_path, "prog.py", """
        import os, sys
        pid = os.fork()
        if pid == 0:
            print("child", flush=True)
            sys.exit(5)
        _, st = os.waitpid(pid, 0)
        print("child status", os.WEXITSTATUS(st), flush=True)
    """)
    r = hs_run("prog.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "child\nchild status 5\n"
    assert r.stderr.count("exited with status") == 1 and "prog.py exited with status 0" in r.stderr


def test_finalizers_stay_in_the_programs_thread(tmp_path):
    # cyclic garbage with __del__: a sampler that collected would run some of them
    write(tmp_path, "prog.py", """
        import threading, time
        seen = set()
        class Node:
            def __del__(self):
                seen.add(threading.get_ident())
        t0 = time.perf_counter()
        made = 0
        while time.perf_counter() - t0 < 1.0:
            a, b = Node(), Node()
            a.other, b.other = b, a
            del a, b
            made += 1
            if made % 50 == 0:
                time.sleep(0.001)
        import gc; gc.collect()
        print(made > 100, seen == {threading.get_ident()})
    """)
    r = hs_run("--interval", "0.05", "prog.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "True True\n"
    assert len(SAMPLE_LINE.findall(r.stderr)) >= 5


def test_busy_threads_are_not_disturbed(tmp_path):
    write(tmp_path, "prog.py", """
        import threading
        shared = {}
        def worker(k):
            local = []
            for i in range(200000):
                local.append((k, i))
                shared[(k, i % 1000)] = i
                if len(local) > 100:
                    local.pop(0)
            shared[k] = sum(i for _, i in local)
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(3)]
        for t in ts: t.start()
        for t in ts: t.join()
        print(len(shared), [shared[k] for k in range(3)])
    """)
    p = py_run("prog.py", cwd=tmp_path)
    r = hs_run("--interval", "0.05", "prog.py", cwd=tmp_path)
    assert r.returncode == p.returncode == 0, r.stderr
    assert r.stdout == p.stdout
    assert "sample skipped" not in r.stderr


def test_sampler_line_allocates_no_gc_object():
    """Between samples the sampler makes no GC-tracked object, so it never
    triggers an automatic collection (which would run the program's finalizers
    in the sampler thread): with the collector's threshold at 1 and one object
    counted, a single allocation of one would start a collection."""
    import gc
    from heapscope import run as R, _core

    st = R._State()
    st.start = 0.0
    st.interval = 0.5
    new = _core.summarize_heap(True)
    old = _core.summarize_heap(True)
    fd = os.open(os.devnull, os.O_WRONLY)
    calls = []

    def cb(phase, info):
        calls.append(phase)

    costs = (0.0, 0.0349, 12.5)
    times = (0.0, 1.25, 12345.5)
    counts = (0, 999, 1000, 1234567, 10 ** 12)

    def exercise():  # index loops: a for loop over a tuple makes a GC-tracked iterator
        i = 0
        while i < 3:
            j = 0
            while j < 3:
                R._write(fd, R._sample_line(times[j], new, old, costs[i]))
                R._write(fd, R._sample_line(times[j], old, new, costs[i]))
                j += 1
            i += 1
        R._wait(st)
        i = 0
        while i < 5:
            R._group(counts[i])
            R._size_text(counts[i])
            i += 1

    exercise()  # first calls may create caches, frames (3.9, 3.10)
    threshold = gc.get_threshold()
    was = gc.isenabled()
    try:
        gc.enable()
        gc.collect()
        keep = [None]  # noqa: F841 -- the one counted object
        gc.set_threshold(1)
        gc.callbacks.append(cb)
        exercise()
        exercise()
    finally:
        gc.callbacks.remove(cb)
        gc.set_threshold(*threshold)
        if not was:
            gc.disable()
        os.close(fd)
    assert calls == []
    # and the text is right
    assert R._group(1234567) == "1,234,567" and R._group(1000) == "1,000" and R._group(999) == "999"
    assert R._size_text(100) == "100 B" and R._size_text(1536) == "1.50 KB"
    line = R._sample_line(2.0, new, new, 0.0349)
    assert line.startswith("heapscope:    2.0 s  ") and "[35 ms]  (+0 objects, +0 B)" in line


def test_multiprocessing_spawn_and_pickle_of_main_classes(tmp_path):
    write(tmp_path, "prog.py", """
        import multiprocessing as mp, pickle
        class C:
            pass
        def square(x):
            return x * x
        if __name__ == "__main__":
            assert pickle.loads(pickle.dumps(C())).__class__ is C
            with mp.get_context("spawn").Pool(1) as pool:
                print(pool.map(square, range(4)))
    """)
    r = hs_run("prog.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "[0, 1, 4, 9]\n"
    assert r.stderr.count("exited with status") == 1


def test_hostile_leaked_objects(tmp_path):
    write(tmp_path, "prog.py", """
        import time
        class Meta(type):
            def __repr__(cls):
                raise RuntimeError("no repr for classes")
        class Evil(metaclass=Meta):
            def __repr__(self):
                raise ValueError("no repr")
            def __eq__(self, other):
                raise ValueError("no eq")
            def __hash__(self):
                raise ValueError("no hash")
        kept = []
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 1.5:
            kept.append(Evil())
            time.sleep(0.005)
        print(len(kept) > 10)
    """)
    r = hs_run("--interval", "0.1", "--paths", "prog.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "True\n"
    rows = growth_rows(r.stderr)
    assert "__main__.Evil" in rows, r.stderr
    block = item_block(r.stderr, "__main__.Evil")
    assert "repr() raised ValueError" in block
    assert "kept alive by sys.modules['__main__'].kept -> list[" in block


def test_collections_never_start_in_the_sampler(tmp_path):
    """Labels of enum classes run Python code (EnumType.__repr__) in the sampler's
    summaries; the collector stays paused there until they are made, so no automatic
    collection (and none of the program's finalizers) ever runs in heapscope's thread."""
    write(tmp_path, "prog.py", """
        import enum, gc, threading, time
        Color = enum.Enum("Color", "RED GREEN")
        main = threading.get_ident()
        others = []
        def cb(phase, info):
            if phase == "start" and threading.get_ident() != main:
                others.append(threading.get_ident())
        gc.callbacks.append(cb)
        class Node:
            def __del__(self):
                pass
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 1.5:
            a, b = Node(), Node()
            a.other, b.other = b, a
            del a, b
        gc.callbacks.remove(cb)
        print(len(others))
    """)
    r = hs_run("--interval", "0.01", "prog.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "0\n", r.stdout
    assert len(SAMPLE_LINE.findall(r.stderr)) >= 20


@pytest.mark.parametrize("take", ["summary", "snapshot"])
def test_sampler_leaves_room_below_the_collection_threshold(take):
    """After a sample in the sampler thread, the youngest generation's count is
    put back at least 64 allocations below the threshold, so the sampler's own
    few allocations before its next sample (the Summary's index dict, the lock's
    argument tuple) cannot start a collection in heapscope's thread.  Elsewhere
    the program's count is left as it was."""
    call = (lambda: _core.summarize_heap(True)) if take == "summary" else (lambda: _core.snapshot(False))
    threshold = gc.get_threshold()[0]
    counts = {}

    def sample(where):
        keep = []
        was = gc.isenabled()
        gc.disable()
        try:
            while gc.get_count()[0] < threshold + 50:
                keep.append([])  # a GC allocation each
            result = call()
            counts[where] = gc.get_count()[0]
        finally:
            if was:
                gc.enable()
        del result, keep

    def held():
        _core.hold_collector_here()
        try:
            sample("sampler")
        finally:
            _core.hold_collector_here(False)

    t = threading.Thread(target=held)
    t.start()
    t.join()
    sample("program")
    assert counts["sampler"] <= threshold - 64, (counts, threshold)
    assert counts["program"] >= threshold + 50, (counts, threshold)
