"""``heapscope demo``: the muppy tutorial's IDLE leak, replayed.

Pympler's tutorial "Track Down Memory Leaks" found that every Path Browser
window IDLE opened stayed alive after it was closed.  ``run_demo`` replays its
"Task 1: Is there a leak?" with ``heapscope.tracker`` and "Task 2: What
objects leak?" with snapshots, their diffs' detailed labels and new objects,
and ``heapscope.find_leaks``, on a headless model of IDLE
(``heapscope._idle_demo``), or with ``tk=True`` on a real Tk menu.
"""
import os
import sys
import textwrap

import heapscope
from heapscope import summary, tracker
from heapscope._idle_demo import CallWrapper, Idle, ListedToplevel, Menu, Tcl

__all__ = ["run_demo"]

#: The label of a leaked window in the diffs.
WINDOW_LABEL = "%s.%s" % (ListedToplevel.__module__, ListedToplevel.__qualname__)

#: The detailed label of the windows' bound method wakeup.
WAKEUP_LABEL = "method (%s.wakeup)" % ListedToplevel.__qualname__

#: The name of Task 2's action, as find_leaks reports it.
ACTION_NAME = "open_and_close_path_browser"

_INTRO = """\
heapscope demo: the IDLE leak of Pympler's tutorial "Track Down Memory Leaks"

IDLE lists its open windows in the Windows menu; each entry's command is the
window's bound method wakeup, wrapped in a CallWrapper and registered with Tcl.
This replays the tutorial on %s.
"""

_HEADLESS = "a headless model of IDLE and Tkinter (heapscope._idle_demo)"
_TK = "a real Tk menu whose delete is Tkinter 2.4's (bugs.python.org issue 1342811)"

_TASK1 = """
Task 1: Is there a leak?
------------------------
Look at the objects, invoke an action, look at the objects again.

>>> from heapscope import tracker
>>> memory_tracker = tracker.SummaryTracker()"""


def run_demo(file=None, rounds=3, tk=False):
    """Replay "Task 1: Is there a leak?" and "Task 2: What objects leak?";
    print to ``file`` (default stdout).

    rounds -- how many times the Path Browser is opened and closed
    tk     -- drive a real ``tkinter.Menu`` (needs a display)

    Returns the exit status: 0, or 2 when ``tk`` is set and Tk cannot start.
    """
    out = sys.stdout if file is None else file
    if tk:
        try:
            root, menu = _tk_menu()
        except _NoTk as e:
            sys.stderr.write("heapscope demo --tk: %s; run it without --tk for the headless demo\n" % e)
            return 2
        update = root.update
    else:
        root, menu, update = None, Menu(Tcl()), _no_update
    try:
        app = Idle(menu)
        update()
        _say(out, _INTRO % (_TK if tk else _HEADLESS) + _TASK1)
        memory_tracker = tracker.SummaryTracker()
        _show_diff(memory_tracker, out)
        _show_diff(memory_tracker, out)
        _say(out, "Nothing has changed since the last print_diff: no calibration needed.\n")

        _say(out, "Windows -> Zoom Height resizes the shell window: it should not leak.")
        app.zoom_height()
        update()
        _show_diff(memory_tracker, out)
        _say(out, "Nothing changed, so nothing leaks.\n")

        leaked = n = 0
        while n < rounds:  # not a for loop: its iterator would show in the first diff
            n += 1
            _say(out, "File -> Path Browser, then close the window (%d of %d)." % (n, rounds))
            app.path_browser()
            update()
            leaked += _show_diff(memory_tracker, out)
            _say(out, "")
        _say(
            out,
            "Yes, there is a leak: each open and close of the Path Browser leaves its window\n"
            "alive (%s): %d after %d round%s."
            % (WINDOW_LABEL, leaked, rounds, "" if rounds == 1 else "s"),
        )
        del memory_tracker
        _task2(out, app, update, rounds, tk)
    finally:
        if root is not None:
            root.destroy()
    return 0


_TASK2 = """
Task 2: What objects leak?
--------------------------
Task 1's diffs count objects by type: besides a window and a CallWrapper, each
round leaves bound methods and objects of standard types.  Which methods?
heapscope.snapshot() records every live object, and the diff of two snapshots
knows which objects are new; with detail=True its labels name a bound method's
function and the class of the instance that owns a dict.  To repeat the action,
put it in a function (app is Task 1's model IDLE, heapscope._idle_demo.Idle):

>>> import heapscope
>>> def %(action)s():
...     app.path_browser()  # File -> Path Browser, then close the window%(tk_update)s
...
>>> before = heapscope.snapshot()
>>> for _ in range(%(rounds)d):
...     %(action)s()
..."""

_TASK2_METHODS = """
ListedToplevel.wakeup brings a window to the front.  IDLE's WindowList adds
every window to the Windows menu with

    menu.add_command(label=title, command=window.wakeup)

and Tkinter wraps the command in a CallWrapper%(tk_call)s.
The new wakeup methods are those of the closed Path Browser windows:

>>> for method in diff.new_objects(label=%(wakeup)r):
...     print(method)
..."""

_TASK2_WRAPPERS = """
Each new CallWrapper stores one of them, as the function it calls:

>>> for wrapper in diff.new_objects(label=%(wrapper)r):
...     print(wrapper.func)
..."""

_TASK2_FIND_LEAKS = """
heapscope.find_leaks does it all in one call: it repeats the action, takes a
snapshot after each repetition, decides from the trend of the live totals what
grows for good, and reports one leak per cause: where the objects accumulate,
the class to fix, and what it costs per repetition.

>>> print(heapscope.find_leaks(%(action)s))"""

_TASK2_END = """\
So every open and close of the Path Browser leaves one more entry in the Tcl
interpreter's command table: a CallWrapper, the window's bound method wakeup it
stores, and the window.  Which reference exactly keeps each window alive?  That
is the next question."""

_TASK3 = """
Task 3: Where does it leak?
---------------------------
heapscope.why_alive names every reference from a root (a module, a local of a
running function, or something held from outside the Python heap) down to the
object.  Take one of the leaked windows:

>>> window = diff.new_objects(label=%(window)r)[0]
>>> for path in heapscope.why_alive(window):
...     print(path)
..."""

_TASK3_RETAINED = """
And what each leaked window costs: the bytes that would be freed with it (the
objects only it keeps alive):

>>> snap = heapscope.snapshot(graph=True)
>>> snap.retained_size(window)"""

_TASK3_RETAINED_ONE = """
The same figure without a snapshot: heapscope.retained_size looks only at what
the window reaches, and at which of those objects something else holds.

>>> heapscope.retained_size(window)"""

_TASK3_END = """\
%(holder)s keeps the CallWrapper, the CallWrapper keeps the window's bound method
wakeup, and the bound method keeps the window: Menu.delete removed the menu entry
but not the command registered for it (bugs.python.org/issue1342811).  The fix,
as in the tutorial: delete the entries' commands too (Menu.deletecommand)."""


def _task2(out, app, update, rounds, tk):
    """Replay "Task 2: What objects leak?" after Task 1, on the same ``app``.

    Opens and closes the Path Browser ``rounds`` times between two snapshots,
    then has ``heapscope.find_leaks`` repeat it (5 + 2 warm-up times).
    """
    if tk:
        import tkinter

        wrapper_type = tkinter.CallWrapper
    else:
        wrapper_type = CallWrapper
    names = {
        "action": ACTION_NAME,
        "rounds": rounds,
        "wakeup": WAKEUP_LABEL,
        "wrapper": "%s.%s" % (wrapper_type.__module__, wrapper_type.__qualname__),
        "tk_update": "\n...     root.update()" if tk else "",
        "tk_call": ", whose bound method __call__\nit registers with Tcl" if tk else "",
    }

    def open_and_close_path_browser():
        app.path_browser()
        update()

    open_and_close_path_browser.__qualname__ = ACTION_NAME  # report it as the user's function
    _say(out, _TASK2 % names)
    before = heapscope.snapshot()
    n = 0
    while n < rounds:  # as in Task 1
        n += 1
        open_and_close_path_browser()
    _say(out, ">>> after = heapscope.snapshot()")
    after = heapscope.snapshot()
    _say(out, ">>> diff = after.diff(before)")
    diff = after.diff(before)
    _say(out, ">>> diff.print(detail=True)")
    diff.print(file=out, detail=True)

    _say(out, _TASK2_METHODS % names)
    _say_reprs(out, diff.new_objects(label=WAKEUP_LABEL))
    _say(out, _TASK2_WRAPPERS % names)
    _say_reprs(out, [wrapper.func for wrapper in diff.new_objects(label=names["wrapper"])])
    window = diff.new_objects(label=WINDOW_LABEL)[0]
    del before, after, diff

    _say(out, _TASK2_FIND_LEAKS % names)
    _say(out, str(heapscope.find_leaks(open_and_close_path_browser)))
    _say(out, _TASK2_END)
    _task3(out, window, tk)


def _task3(out, window, tk):
    """Replay "Task 3: Where does it leak?" on one leaked window."""
    _say(out, _TASK3 % {"window": WINDOW_LABEL})
    for path in heapscope.why_alive(window):
        _say(out, str(path))
    _say(out, _TASK3_RETAINED)
    snap = heapscope.snapshot(graph=True)
    _say(out, str(snap.retained_size(window)))
    del snap
    _say(out, _TASK3_RETAINED_ONE)
    _say(out, str(heapscope.retained_size(window)))
    holder = "Tcl, in C," if tk else "The Tcl interpreter's command table"
    _say(out, "\n" + textwrap.fill(" ".join((_TASK3_END % {"holder": holder}).split()), 80))


def _say_reprs(out, objects):
    """Print the repr of each object on a line of its own."""
    for obj in objects:
        _say(out, repr(obj))


def _no_update():
    """The headless model has no event loop to run."""


def _say(out, text):
    """Print ``text`` and flush, so no pending output is on the heap at the next diff."""
    out.write(text + "\n")
    out.flush()


def _show_diff(memory_tracker, out):
    """Echo and do ``memory_tracker.print_diff()``; return how many windows it shows new.

    Done as print_diff's two steps, diff and print, so that the rows can be read.
    """
    _say(out, ">>> memory_tracker.print_diff()")
    rows = memory_tracker.diff()
    summary.print_(rows, file=out)
    return sum(count for label, count, _ in rows if label == WINDOW_LABEL)


class _NoTk(Exception):
    """Tk cannot run here; the message says why."""


def _tk_menu():
    """``(root, menu)``: a withdrawn Tk root and a Tkinter 2.4 menu in it.

    Raises _NoTk without a display, tkinter or a working Tk.
    """
    if not os.environ.get("DISPLAY"):
        raise _NoTk("no display (DISPLAY is not set)")
    try:
        import tkinter
    except ImportError as e:
        raise _NoTk("tkinter is not available (%s)" % e)
    try:
        root = tkinter.Tk()
    except tkinter.TclError as e:
        raise _NoTk("Tk cannot start (%s)" % e)
    root.withdraw()

    class Tk24Menu(tkinter.Menu):
        """A tkinter.Menu whose delete is Tkinter 2.4's, from before the fix."""

        def delete(self, index1, index2=None):
            """Delete the menu entries from index1 to index2, but not their commands."""
            self.tk.call(self._w, "delete", index1, index2)

    return root, Tk24Menu(root, tearoff=0)
