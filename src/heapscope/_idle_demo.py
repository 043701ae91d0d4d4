"""A headless model of IDLE's Windows menu, as the muppy tutorial met it.

``heapscope demo`` replays the tutorial "Track Down Memory Leaks" on this
model.  Its classes mirror the ones of IDLE and of Tkinter 2.4 so that the
labels in the demo's tables read like the tutorial's
(``heapscope._idle_demo.ListedToplevel``, ``heapscope._idle_demo.CallWrapper``).

The leak is Tkinter's of 2005 (bugs.python.org issue 1342811):
``Menu.delete`` removes a menu entry but not the command registered for it, so
the ``CallWrapper`` stays in the interpreter's command table, holding the
bound method ``wakeup`` of a window that was closed long ago.

``Idle`` takes the menu as a parameter: ``Menu`` here, or a real
``tkinter.Menu`` whose ``delete`` is Tkinter 2.4's (see ``heapscope.demo``).
"""

__all__ = ["Tcl", "CallWrapper", "Menu", "ListedToplevel", "WindowList", "Idle"]


class Tcl:
    """Stand-in for the Tcl interpreter: the commands Python registered, by name."""

    def __init__(self):
        self.commands = {}

    def createcommand(self, name, func):
        """Make ``func`` callable from Tcl as ``name``."""
        self.commands[name] = func

    def deletecommand(self, name):
        """Forget the command ``name``."""
        del self.commands[name]

    def call(self, name, *args):
        """Run the command ``name``."""
        return self.commands[name](*args)


class CallWrapper:
    """Internal class. Stores function to call when some user defined Tcl
    function is called e.g. after an event occurred (Tkinter's docstring)."""

    def __init__(self, func):
        self.func = func

    def __call__(self, *args):
        """Apply the stored function to ``args``."""
        return self.func(*args)


class Menu:
    """A menu widget as Tkinter 2.4 had it.

    ``add_command`` registers the command with the Tcl interpreter (as
    Tkinter's ``_register``); ``delete`` removes the entry but leaves the
    command registered: the bug.
    """

    def __init__(self, tk):
        self.tk = tk
        self._tclCommands = []
        self._entries = []  # (label, command name or None), in menu order

    def _register(self, func):
        """Wrap ``func`` in a CallWrapper and register it under a new name."""
        f = CallWrapper(func)
        name = repr(id(f)) + func.__name__
        self.tk.createcommand(name, f)
        self._tclCommands.append(name)
        return name

    def add_command(self, label, command):
        """Append an entry that runs ``command`` when chosen."""
        self._entries.append((label, self._register(command)))

    def add_separator(self):
        """Append a separator line."""
        self._entries.append(("", None))

    def index(self, label):
        """The position of the entry labelled ``label``."""
        for i, (entry_label, _) in enumerate(self._entries):
            if entry_label == label:
                return i
        raise ValueError("no menu entry %r" % label)

    def invoke(self, index):
        """Choose the entry at ``index``: run its command."""
        return self.tk.call(self._entries[index][1])

    def delete(self, index):
        """Delete the entry at ``index``, but not its command (issue 1342811)."""
        del self._entries[index]


class ListedToplevel:
    """An IDLE window: listed in the Windows menu while it is open."""

    NORMAL_HEIGHT = 25
    ZOOMED_HEIGHT = 60

    def __init__(self, title):
        self.title = title
        self.settings = {"width": 80, "height": self.NORMAL_HEIGHT, "font": ("courier", 10)}

    def wakeup(self):
        """Bring the window to the front (what its Windows menu entry does)."""
        self.settings["raised"] = True

    def zoom_height(self):
        """Windows -> Zoom Height: toggle between normal and full height."""
        zoomed = self.settings["height"] == self.ZOOMED_HEIGHT
        self.settings["height"] = self.NORMAL_HEIGHT if zoomed else self.ZOOMED_HEIGHT


class WindowList:
    """IDLE's list of open windows, each with an entry in the Windows menu."""

    def __init__(self, menu):
        self.menu = menu
        self.windows = []

    def add(self, window):
        """List ``window`` and add its menu entry (``command=window.wakeup``)."""
        self.windows.append(window)
        self.menu.add_command(label=window.title, command=window.wakeup)

    def delete(self, window):
        """Unlist ``window`` and delete its menu entry."""
        self.windows.remove(window)
        self.menu.delete(self.menu.index(window.title))


class Idle:
    """The IDLE session the demo drives: a shell window and the Windows menu."""

    def __init__(self, menu):
        self.menu = menu
        self.shell = ListedToplevel("Python Shell")
        menu.add_command(label="Zoom Height", command=self.shell.zoom_height)
        menu.add_separator()
        self.windows = WindowList(menu)
        self.windows.add(self.shell)

    def zoom_height(self):
        """Choose Windows -> Zoom Height."""
        self.menu.invoke(self.menu.index("Zoom Height"))

    def path_browser(self):
        """Choose File -> Path Browser, then close the window it opens."""
        window = ListedToplevel("Path Browser")
        self.windows.add(window)
        self.windows.delete(window)
