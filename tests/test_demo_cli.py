"""``heapscope demo`` and the ``heapscope`` command line."""
import gc
import io
import os
import re
import select
import shutil
import subprocess
import sys

import pytest

import heapscope
from heapscope import cli
from heapscope.demo import WINDOW_LABEL, run_demo

CALL_WRAPPER = "heapscope._idle_demo.CallWrapper"
QUIET = 3  # the two calibration diffs and the one after Zoom Height
TASK2 = "\nTask 2: What objects leak?\n--------------------------\n"
WAKEUP = "method (ListedToplevel.wakeup)"
TK_CALL = "method (CallWrapper.__call__)"  # tkinter registers CallWrapper(...).__call__
BOUND_WAKEUP = re.compile(r"<bound method ListedToplevel\.wakeup of <heapscope\._idle_demo\.ListedToplevel object at (0x[0-9a-f]+)>>")
REPORT_ROW = re.compile(r" {5}(\S(?:.*\S)?) {2,}(\d+(?:\.\d+)?) {2,}(\d+(?:\.\d+)?) +(\w?B)")


def tables(text):
    """Every table in ``text``, in order, as ``{label: (count, size text)}``."""
    found = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.split("|")[0].strip() == "types" and lines[i + 1].startswith("="):
            rows = {}
            for row in lines[i + 2:]:
                cells = [c.strip() for c in row.split(" | ")]
                if len(cells) != 3:
                    break
                rows[cells[0]] = (int(cells[1]), cells[2])
            found.append(rows)
    return found


def counts(table):
    """``{label: count}`` of one parsed table."""
    return {label: count for label, (count, _) in table.items()}


def task1(text):
    """The output up to "Task 2: What objects leak?" (all of it without that section)."""
    return text.split(TASK2)[0]


TASK3 = "Task 3: Where does it leak?\n---------------------------\n"


def task2(text):
    """The "Task 2: What objects leak?" section of the output; fails without one."""
    assert text.count(TASK2) == 1, text
    return text.split(TASK2)[1]


def printed_after(text, code, paragraphs=1):
    """The lines printed by the echoed ``code`` (``>>>`` and ``...`` lines):
    ``paragraphs`` blocks of lines separated by blank lines."""
    echo = "\n".join(code) + "\n"
    assert echo in text, text
    blocks = text[text.index(echo) + len(echo):].split("\n\n")[:paragraphs]
    return "\n\n".join(blocks).splitlines()


def report_rows(report):
    """``{label: objects per repetition}`` of a printed LeakReport's label rows."""
    return {m.group(1): float(m.group(2)) for m in map(REPORT_ROW.fullmatch, report.splitlines()) if m}


def run_demo_to_file(path, **kwargs):
    """Run the demo in-process writing to a real file at ``path``; (status, output).

    Not a StringIO: on 3.9-3.11 a StringIO keeps every string written to it on
    the heap until read, and those rightly show in the demo's diffs.  The full
    collection first frees the garbage pytest left, which a young-generation
    collection would not.
    """
    gc.collect()
    with open(path, "w") as out:
        status = run_demo(file=out, **kwargs)
    with open(path) as f:
        return status, f.read()


def run_python(*args, **kwargs):
    """Run this interpreter with ``args``; the completed process, text mode."""
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, **kwargs)


def check_leaks(text, rounds, call_wrapper, methods):
    """One table per round after the quiet ones, each with one new window,
    one new CallWrapper and ``methods`` new bound methods."""
    found = tables(task1(text))
    assert len(found) == QUIET + rounds, text
    for table in found[QUIET:]:
        c = counts(table)
        assert c.get(WINDOW_LABEL) == 1, table
        assert c.get(call_wrapper) == 1, table
        assert c.get("method") == methods, table
    assert "Task 1: Is there a leak?" in text
    assert "(%s): %d after %d round%s." % (WINDOW_LABEL, rounds, rounds, "" if rounds == 1 else "s") in text


def check_quiet(text):
    """The two calibration tables and the Zoom Height one are empty."""
    assert tables(task1(text))[:QUIET] == [{}] * QUIET, text


def check_task2(text, rounds, call_wrapper, tk=False):
    """Task 2 of the output: the echoed code, the detailed diff of ``rounds``
    opens and closes between two snapshots, the new wakeup methods and the
    CallWrappers' functions (the same windows), find_leaks' report naming the
    wakeup method, the window and the CallWrapper at one per repetition, and
    the pointer to Task 3."""
    body = task2(text)
    for line in (
        ">>> import heapscope",
        ">>> def open_and_close_path_browser():",
        ">>> before = heapscope.snapshot()",
        ">>> for _ in range(%d):" % rounds,
        ">>> after = heapscope.snapshot()",
        ">>> diff = after.diff(before)",
        ">>> diff.print(detail=True)",
        ">>> print(heapscope.find_leaks(open_and_close_path_browser))",
    ):
        assert "\n" + line + "\n" in "\n" + body, line

    # The detailed diff: the bound method is named, every new object counted.
    (table,) = tables(body)
    c = counts(table)
    assert c.get(WAKEUP) == rounds, table
    assert c.get(WINDOW_LABEL) == rounds, table
    assert c.get(call_wrapper) == rounds, table
    assert "method" not in c, table  # no method left with Pympler's plain label
    assert (TK_CALL in c) == tk and c.get(TK_CALL, rounds) == rounds, table
    dicts_of = {label for label in c if label.startswith("dict of ")}
    if sys.version_info < (3, 11):  # instance dicts are materialized before 3.11
        assert dicts_of == {"dict of " + WINDOW_LABEL, "dict of " + call_wrapper}, table
    assert dicts_of <= {"dict of " + WINDOW_LABEL, "dict of " + call_wrapper}, table
    assert all(c[label] == rounds for label in dicts_of), table

    # The new objects themselves: the closed windows' wakeup methods, which the
    # new CallWrappers store.
    methods = printed_after(body, [
        ">>> for method in diff.new_objects(label=%r):" % WAKEUP,
        "...     print(method)",
        "...",
    ])
    windows = [BOUND_WAKEUP.fullmatch(line).group(1) for line in methods]
    assert len(set(windows)) == rounds, methods
    funcs = printed_after(body, [
        ">>> for wrapper in diff.new_objects(label=%r):" % call_wrapper,
        "...     print(wrapper.func)",
        "...",
    ])
    assert sorted(BOUND_WAKEUP.fullmatch(line).group(1) for line in funcs) == sorted(windows), funcs

    # find_leaks in one call: one cause, named by the CallWrapper, with the
    # chain down to the window and the labels leaking with it.
    report = printed_after(body, [">>> print(heapscope.find_leaks(open_and_close_path_browser))"], paragraphs=2)
    assert report[0].startswith("heapscope.find_leaks: "), report
    # with Tk the menu's own list of command names may be a second cause: no Python
    # reference ties it to what Tcl holds in C (merged when the names are shared objects)
    causes = ["1 leak"] if not tk else ["1 leak", "2 leaks"]
    assert report[0] in ["heapscope.find_leaks: %s in 5 repetitions of open_and_close_path_browser "
                         "(after 2 warm-up):" % c for c in causes], report
    (head,) = [line for line in report if line.startswith("1. ")]
    chain = " -> ".join(([TK_CALL] if tk else []) + [call_wrapper, WAKEUP, WINDOW_LABEL])
    if tk:
        assert head.endswith(" per repetition, held outside the Python heap: " + chain), head
    else:
        # the window, its settings dict, the CallWrapper, the bound method, the command
        # name (and before 3.11 the window's and the CallWrapper's materialized __dict__)
        assert head.startswith("1. %d objects, " % (5 if sys.version_info >= (3, 11) else 7)), head
        assert head.endswith(" per repetition accumulate in thread 0, run_demo(), local menu: Menu.tk -> "
                             "Tcl.commands -> dict (+1 entry per repetition): " + chain), head
    rows = report_rows("\n".join(report))
    assert rows.get(WAKEUP) == 1, report
    assert rows.get(WINDOW_LABEL) == 1, report
    assert rows.get(call_wrapper) == 1, report
    assert "method" not in rows, report
    assert (TK_CALL in rows) == tk and rows.get(TK_CALL, 1) == 1, report
    assert any(line.startswith("      e.g. <%s object at " % call_wrapper) for line in report), report

    # Then the next question.
    words = " ".join(body.split(TASK3)[0].split())
    assert words.endswith("Which reference exactly keeps each window alive? That is the next question."), body


def check_task3(text, tk=False):
    """Task 3: why_alive of a leaked window runs from the command table (headless)
    or from Tcl's C state (--tk) through the CallWrapper and the bound method."""
    assert text.count(TASK3) == 1, text
    body = text.split(TASK3)[1]
    paths = printed_after(body, [
        ">>> window = diff.new_objects(label=%r)[0]" % WINDOW_LABEL,
        ">>> for path in heapscope.why_alive(window):",
        "...     print(path)",
        "...",
    ])
    assert paths, body
    tail = "CallWrapper.func -> method wakeup.__self__ -> ListedToplevel"
    assert paths[0].endswith(" -> " + tail), paths
    if tk:
        assert paths[0].startswith("held outside the Python heap ("), paths
    else:
        assert "Tcl.commands -> dict['" in paths[0] and "wakeup'] -> " + tail in paths[0], paths
    retained = printed_after(body, [">>> snap = heapscope.snapshot(graph=True)", ">>> snap.retained_size(window)"])
    assert len(retained) == 1 and int(retained[0]) >= 48, retained  # the window at least
    one = printed_after(body, [">>> heapscope.retained_size(window)"])
    assert one == retained, (one, retained)  # no snapshot, same dominator subtree
    assert "Menu.deletecommand" in body


def test_tables_parser():
    text = "  types |   # objects |   total size\n======= | =========== | ============\n"
    assert tables(text) == [{}]
    text += "\n   types |   # objects |   total size\n======== | =========== | ============\n"
    text += "  method |           1 |     64     B\n    list |           0 |     32     B\nafter\n"
    assert tables(text) == [{}, {"method": (1, "64     B"), "list": (0, "32     B")}]


@pytest.mark.parametrize("rounds", [1, 3])
def test_demo_leaks_one_window_per_round(rounds, tmp_path):
    status, text = run_demo_to_file(tmp_path / "out.txt", rounds=rounds)
    assert status == 0
    check_leaks(text, rounds, CALL_WRAPPER, methods=1)


@pytest.mark.parametrize("rounds", [1, 3])
def test_demo_task2_finds_what_leaks(rounds, tmp_path):
    status, text = run_demo_to_file(tmp_path / "out.txt", rounds=rounds)
    assert status == 0
    check_task2(text, rounds, CALL_WRAPPER)
    check_task3(text)


def test_task1_ends_before_task2(tmp_path):
    _, text = run_demo_to_file(tmp_path / "out.txt", rounds=2)
    assert task1(text).endswith("(%s): 2 after 2 rounds.\n" % WINDOW_LABEL)
    assert "Task 3" not in task1(text)


def test_check_task2_rejects_plain_labels(tmp_path):
    """check_task2 fails on Task 2 output whose labels are not the detailed ones."""
    _, text = run_demo_to_file(tmp_path / "out.txt", rounds=2)
    check_task2(text, 2, CALL_WRAPPER)
    plain = text.replace("       " + WAKEUP + " |", "                               method |")
    plain = plain.replace("  " + WAKEUP + "       ", "  method                               ")
    assert plain != text
    with pytest.raises(AssertionError):
        check_task2(plain, 2, CALL_WRAPPER)
    with pytest.raises(AssertionError):
        check_task2(task1(text), 2, CALL_WRAPPER)
    with pytest.raises(AssertionError):  # a path that stops short of the window
        check_task3(text.replace("wakeup.__self__ -> ListedToplevel\n", "wakeup\n"))


def test_demo_quiet_tables_empty(tmp_path):
    status, text = run_demo_to_file(tmp_path / "out.txt", rounds=1)
    assert status == 0
    check_quiet(text)


def test_demo_to_stringio():
    out = io.StringIO()
    assert run_demo(file=out, rounds=2) == 0
    leaks = tables(task1(out.getvalue()))[QUIET:]
    assert [counts(t).get(WINDOW_LABEL) for t in leaks] == [1, 1]
    assert TASK2 in out.getvalue()


def test_demo_leak_tables_show_sizes(tmp_path):
    _, text = run_demo_to_file(tmp_path / "out.txt", rounds=1)
    leak = tables(task1(text))[-1]
    assert leak[WINDOW_LABEL][1].endswith(" B") and int(leak[WINDOW_LABEL][1].split()[0]) > 0


def test_python_m_heapscope_demo():
    proc = run_python("-m", "heapscope", "demo", "--rounds", "2")
    assert proc.returncode == 0, proc.stderr
    assert "Task 1: Is there a leak?" in proc.stdout
    leaks = tables(task1(proc.stdout))[QUIET:]
    assert [counts(t).get(WINDOW_LABEL) for t in leaks] == [1, 1]
    check_task2(proc.stdout, 2, CALL_WRAPPER)
    check_task3(proc.stdout)


def test_python_m_heapscope_demo_quiet_tables_empty():
    proc = run_python("-m", "heapscope", "demo", "--rounds", "1")
    assert proc.returncode == 0, proc.stderr
    check_quiet(proc.stdout)


def test_import_is_light():
    """import heapscope adds few modules (and so few objects) to the heap it
    looks at: the report, drawing and tracemalloc modules come on first use."""
    code = ("import sys; before = set(sys.modules); import heapscope; "
            "print(' '.join(sorted(set(sys.modules) - before)))")
    new = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert "heapscope._core" in new and "heapscope.summary" in new
    heavy = {"subprocess", "inspect", "pickle", "tracemalloc", "datetime", "html", "ast",
             "tempfile", "heapscope.report", "heapscope.dot"}
    assert not heavy & set(new), sorted(heavy & set(new))
    # ... and heapscope.report still works as an attribute
    code = "import heapscope, sys; print(heapscope.report.write_html.__module__, 'heapscope.report' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["heapscope.report", "True"]
    with pytest.raises(AttributeError, match="no_such_thing"):
        heapscope.no_such_thing


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out == "heapscope %s\n" % heapscope.__version__
    proc = run_python("-m", "heapscope", "--version")
    assert (proc.returncode, proc.stdout) == (0, "heapscope %s\n" % heapscope.__version__)


def test_no_subcommand_prints_help_and_exits_2(capsys):
    assert cli.main([]) == 2
    assert "demo" in capsys.readouterr().out
    proc = run_python("-m", "heapscope")
    assert proc.returncode == 2
    assert proc.stdout.startswith("usage: heapscope")


@pytest.mark.parametrize("argv", [["demo", "--rounds", "0"], ["demo", "--rounds", "x"], ["nope"]])
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 2
    assert "usage: heapscope" in capsys.readouterr().err


def test_tk_without_display(monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    out = io.StringIO()
    assert run_demo(file=out, tk=True) == 2
    assert out.getvalue() == ""
    assert "no display" in capsys.readouterr().err


def test_tk_with_unusable_display(monkeypatch, capsys):
    pytest.importorskip("tkinter")
    monkeypatch.setenv("DISPLAY", ":4242")
    assert run_demo(file=io.StringIO(), tk=True) == 2
    assert "Tk cannot start" in capsys.readouterr().err


@pytest.fixture(scope="module")
def xvfb_display():
    """A fresh Xvfb server's display name (":N"); skips without Xvfb or tkinter."""
    if shutil.which("Xvfb") is None:
        pytest.skip("no Xvfb binary")
    try:
        import tkinter  # noqa: F401
    except ImportError:
        pytest.skip("this interpreter has no tkinter")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        number = b""
        while not number.endswith(b"\n"):
            ready, _, _ = select.select([read_end], [], [], 20)
            chunk = os.read(read_end, 16) if ready else b""
            if not chunk:
                pytest.skip("Xvfb did not start")
            number += chunk
        yield ":" + number.decode().strip()
    finally:
        os.close(read_end)
        server.terminate()
        server.wait(10)


def test_tk_demo_under_xvfb(xvfb_display, monkeypatch, tmp_path):
    monkeypatch.setenv("DISPLAY", xvfb_display)
    status, text = run_demo_to_file(tmp_path / "out.txt", rounds=2, tk=True)
    assert status == 0
    # tkinter registers CallWrapper(...).__call__: two bound methods per round.
    check_leaks(text, 2, "tkinter.CallWrapper", methods=2)
    check_task2(text, 2, "tkinter.CallWrapper", tk=True)
    check_task3(text, tk=True)
    assert "real Tk menu" in text
    assert "...     root.update()\n" in task2(text)


def test_tk_demo_quiet_tables_empty(xvfb_display, monkeypatch, tmp_path):
    monkeypatch.setenv("DISPLAY", xvfb_display)
    status, text = run_demo_to_file(tmp_path / "out.txt", rounds=1, tk=True)
    assert status == 0
    check_quiet(text)


def test_tk_command_line_under_xvfb(xvfb_display):
    proc = run_python("-m", "heapscope", "demo", "--tk", "--rounds", "1", env=dict(os.environ, DISPLAY=xvfb_display))
    assert proc.returncode == 0, proc.stderr
    assert counts(tables(task1(proc.stdout))[-1]).get("tkinter.CallWrapper") == 1
    check_task2(proc.stdout, 1, "tkinter.CallWrapper", tk=True)
