"""``heapscope demo``: the muppy tutorial's IDLE leak, replayed.

Pympler's tutorial "Track Down Memory Leaks" found that every Path Browser
window IDLE opened stayed alive after it was closed.  ``run_demo`` replays its
"Task 1: Is there a leak?" with ``heapscope.tracker`` on a headless model of
IDLE (``heapscope._idle_demo``), or with ``tk=True`` on a real Tk menu.
"""
import os
import sys

from heapscope import summary, tracker
from heapscope._idle_demo import Idle, ListedToplevel, Menu, Tcl

__all__ = ["run_demo"]

#: The label of a leaked window in the diffs.
WINDOW_LABEL = "%s.%s" % (ListedToplevel.__module__, ListedToplevel.__qualname__)

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
    """Replay "Task 1: Is there a leak?"; print to ``file`` (default stdout).

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
            "alive (%s): %d after %d round%s.\n"
            "Task 2 (What objects leak?) and Task 3 (Where does it leak?) come in later versions."
            % (WINDOW_LABEL, leaked, rounds, "" if rounds == 1 else "s"),
        )
    finally:
        if root is not None:
            root.destroy()
    return 0


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
