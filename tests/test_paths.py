"""heapscope.why_alive(): retaining paths from roots (modules, running frames' locals,
references from outside the Python heap) to an object, their edge texts, and
Leak.path in find_leaks reports.

Test objects live in this module's globals (REGISTRY and friends), so their module
root is ``sys.modules['test_paths']``.  Targets are passed to why_alive as
expressions, never bound to a local of the test (a local would be a frame root
and end the search there), unless the test is about frame roots.
"""
import atexit
import gc
import re
import sys
import threading
import types
import weakref

import pytest

import heapscope
from conftest import decref, incref, other_thread
from heapscope import _core

ROOT = "sys.modules[%r]" % __name__  # sys.modules['test_paths']
PY311 = sys.version_info >= (3, 11)

REGISTRY = {}
CHAIN = []
DEEP = []
CALLBACKS = []


@pytest.fixture(autouse=True)
def _clean_registry():
    yield
    REGISTRY.clear()
    CHAIN.clear()
    DEEP.clear()
    CALLBACKS.clear()
    Config.current = None
    gc.collect()  # hostile classes made by a test must not outlive it (other tests walk every object)


class Target:
    """What the tests ask about (a fresh instance each time)."""

    def method(self):
        return self


class Plain:
    def __init__(self, attr):
        self.attr = attr  # 3.11+: an inline value, no __dict__ object


class Inline(Plain):
    """Plain, used by one test only (its instance dicts are counted)."""


class Widget:
    def wakeup(self):
        return self


class Slotted:
    __slots__ = ("a", "b")


class Config:
    current = None


def make_handler(obj):
    def handler():
        return obj
    return handler


def uses_default(arg=Target()):
    return arg


def uses_kwdefault(*, flag=Target()):
    return flag


def module_paths(paths):
    """The paths of ``paths`` rooted at this module (pytest's own frames hold the test
    function, whose __globals__ give paths as short from a frame root)."""
    return [p for p in paths if p.kind == "module" and p.root == ROOT]


def only_module_path(obj, max_paths=3):
    """The one path from this module to obj, as text."""
    mine = module_paths(heapscope.why_alive(obj, max_paths))
    assert len(mine) == 1, [str(p) for p in heapscope.why_alive(obj, max_paths)]
    return mine[0]


# Helpers that hold a target in a local: like heapscope's own entry points, their frames are
# not roots (else the search would end at that local).
for _helper in (module_paths, only_module_path):
    _core.hide_frames(_helper.__code__)


def this_thread():
    """The number heapscope gives the calling thread in frame roots."""
    probe = Target()
    (path,) = heapscope.why_alive(probe)
    return int(re.match(r"thread (\d+), this_thread\(\), local probe$", path.root).group(1))


def instance_dicts(cls):
    """How many instance __dict__ objects of cls exist (heapscope's own count: on 3.13
    gc.get_referents does not show a materialized dict that shares the inline values)."""
    label = "dict of %s.%s" % (cls.__module__, cls.__qualname__)
    return sum(row[1] for row in _core.summarize_heap(detail=True).rows() if row[0] == label)


def refers_to_a_dict(obj):
    return any(type(r) is dict for r in gc.get_referents(obj))


# ---- edges ------------------------------------------------------------------------------


def test_global_list_dict_key_instance_attribute():
    CHAIN.append({("key", 1): Inline(Target())})
    dicts = instance_dicts(Inline)
    assert dicts == (0 if PY311 else 1)
    assert refers_to_a_dict(CHAIN[0][("key", 1)]) == (not PY311)
    path = only_module_path(CHAIN[0][("key", 1)].attr)  # never inside an assert: pytest keeps its parts in locals
    assert str(path) == ROOT + ".CHAIN -> list[0] -> dict[('key', 1)] -> Inline.attr -> Target"
    assert path.kind == "module" and path.root == ROOT
    assert path.steps == [("module %s" % __name__, ".CHAIN"), ("list", "[0]"), ("dict", "[('key', 1)]"),
                          ("Inline", ".attr"), ("Target", "")]
    assert len(path) == (5 if PY311 else 6)  # references: __dict__ steps count (module; instance before 3.11)
    # naming the edge never materialized the instance __dict__ (3.11+ inline values)
    assert instance_dicts(Inline) == dicts
    assert refers_to_a_dict(CHAIN[0][("key", 1)]) == (not PY311)


def test_materialized_instance_dict_collapses_to_attribute():
    CHAIN.append(Plain(Target()))
    dicts = instance_dicts(Plain)
    vars(CHAIN[0])  # materializes the __dict__ on 3.11+
    assert instance_dicts(Plain) == dicts + PY311
    text = str(only_module_path(CHAIN[0].attr))
    assert text == ROOT + ".CHAIN -> list[0] -> Plain.attr -> Target"


def test_long_key_repr_is_cut():
    key = "k" * 100
    REGISTRY[key] = Target()
    del key
    text = str(only_module_path(REGISTRY["k" * 100]))
    assert text == ROOT + ".REGISTRY -> dict['%s...] -> Target" % ("k" * 56)  # repr cut to 57 characters


def test_bound_method_self():
    REGISTRY["callbacks"] = [Widget().wakeup]
    text = str(only_module_path(REGISTRY["callbacks"][0].__self__))
    assert text == (
        ROOT + ".REGISTRY -> dict['callbacks'] -> list[0] -> method wakeup.__self__ -> Widget")


def test_closure_cell():
    REGISTRY["handler"] = make_handler(Target())
    text = str(only_module_path(REGISTRY["handler"].__closure__[0].cell_contents))
    assert text == (
        ROOT + ".REGISTRY -> dict['handler'] -> function make_handler.<locals>.handler.__closure__"
        " -> tuple[0] -> cell.cell_contents -> Target")


def test_slots_attribute():
    REGISTRY["slotted"] = Slotted()
    REGISTRY["slotted"].a = 1
    REGISTRY["slotted"].b = Target()
    text = str(only_module_path(REGISTRY["slotted"].b))
    assert text == ROOT + ".REGISTRY -> dict['slotted'] -> Slotted.b -> Target"


def test_class_attribute():
    Config.current = Target()
    text = str(only_module_path(Config.current))
    assert text == ROOT + ".Config -> class Config.current -> Target"


def test_function_defaults():
    text = str(only_module_path(uses_default.__defaults__[0]))
    assert text == (
        ROOT + ".uses_default -> function uses_default.__defaults__ -> tuple[0] -> Target")
    text = str(only_module_path(uses_kwdefault.__kwdefaults__["flag"]))
    assert text == (
        ROOT + ".uses_kwdefault -> function uses_kwdefault.__kwdefaults__ -> dict['flag'] -> Target")


def test_set_member():
    REGISTRY["set"] = {Target()}
    REGISTRY["frozen"] = frozenset([Widget()])
    text = str(only_module_path(next(iter(REGISTRY["set"]))))
    assert text == ROOT + ".REGISTRY -> dict['set'] -> set (a member) -> Target"
    text = str(only_module_path(next(iter(REGISTRY["frozen"]))))
    assert text == (
        ROOT + ".REGISTRY -> dict['frozen'] -> frozenset (a member) -> Widget")


def test_dict_key():
    REGISTRY["by_key"] = {Target(): "value"}
    text = str(only_module_path(next(iter(REGISTRY["by_key"]))))
    assert text == (
        ROOT + ".REGISTRY -> dict['by_key'] -> dict (a key) -> Target")


# ---- roots ------------------------------------------------------------------------------


def test_local_of_the_calling_test():
    y = Target()
    paths = heapscope.why_alive(y)
    assert [p.kind for p in paths] == ["frame"]
    assert str(paths[0]) == "thread %d, test_local_of_the_calling_test(), local y: Target" % this_thread()
    assert paths[0].root == "thread %d, test_local_of_the_calling_test(), local y" % this_thread()
    assert len(paths[0]) == 0 and paths[0].steps == [("Target", "")]
    if threading.active_count() == 1:
        assert this_thread() == 0


def blocker(ready, release):
    held = Target()
    REGISTRY["held"] = weakref.ref(held)
    ready.set()
    release.wait()
    return held


def test_local_of_a_frame_in_another_thread():
    with other_thread(blocker):
        mine = Target()
        other = heapscope.why_alive(REGISTRY["held"]())
        main = heapscope.why_alive(mine)
    assert [p.kind for p in other] == ["frame"] and [p.kind for p in main] == ["frame"]
    m_other = re.fullmatch(r"thread (\d+), blocker\(\), local held: Target", str(other[0]))
    m_main = re.fullmatch(r"thread (\d+), test_local_of_a_frame_in_another_thread\(\), local mine: Target",
                          str(main[0]))
    assert m_other and m_main, (str(other[0]), str(main[0]))
    assert m_other.group(1) != m_main.group(1)


def callback(*args):
    return args


def test_atexit_callback_arguments():
    obj = Target()
    REGISTRY["weak"] = weakref.ref(obj)
    atexit.register(callback, obj)
    try:
        del obj
        paths = heapscope.why_alive(REGISTRY["weak"]())
        if sys.version_info >= (3, 10):  # atexit's callbacks live in the interpreter state
            expected = [("outside", "held outside the Python heap (1 reference): tuple[0] -> Target")]
        else:  # the atexit module's state, which its traverse visits
            expected = [("module", "sys.modules['atexit'] -> tuple[0] -> Target")]
        assert [(p.kind, str(p)) for p in paths] == expected
    finally:
        atexit.unregister(callback)


class Box(list):
    __slots__ = ("__weakref__",)


def test_held_outside_the_python_heap():
    """One reference that no object on the heap or frame accounts for, as a C extension holds."""
    obj = Target()
    REGISTRY["weak"] = weakref.ref(obj)
    incref(obj)
    try:
        del obj
        paths = heapscope.why_alive(REGISTRY["weak"]())
        assert [(p.kind, p.root, str(p), len(p)) for p in paths] == [
            ("outside", "held outside the Python heap (1 reference)",
             "held outside the Python heap (1 reference): Target", 0)]
    finally:
        decref(REGISTRY["weak"]())


def test_held_outside_the_python_heap_through_containers():
    box = Box([Box([Target()])])
    REGISTRY["weak"] = weakref.ref(box)
    incref(box)
    try:
        del box
        paths = heapscope.why_alive(REGISTRY["weak"]()[0][0])
        assert [str(p) for p in paths] == ["held outside the Python heap (1 reference): Box[0] -> Box[0] -> Target"]
    finally:
        decref(REGISTRY["weak"]())


# ---- choosing paths ---------------------------------------------------------------------


@pytest.fixture
def other_module():
    mod = types.ModuleType("hs_paths_other")
    sys.modules[mod.__name__] = mod
    yield mod
    del sys.modules[mod.__name__]


def test_shortest_first_and_distinct_roots(other_module):
    other_module.direct = Target()
    CHAIN.append([[other_module.direct]])
    two = heapscope.why_alive(other_module.direct, max_paths=2)
    assert [(p.kind, p.root, len(p), str(p)) for p in two] == [
        ("module", "sys.modules['hs_paths_other']", 2, "sys.modules['hs_paths_other'].direct -> Target"),
        ("module", ROOT, 5, ROOT + ".CHAIN -> list[0] -> list[0] -> list[0] -> Target"),
    ]
    one = heapscope.why_alive(other_module.direct, max_paths=1)
    assert [str(p) for p in one] == [str(two[0])]
    many = heapscope.why_alive(other_module.direct, max_paths=10)  # pytest's frames add more roots
    assert [str(p) for p in many[:2]] == [str(p) for p in two]
    assert len({p.root for p in many}) == len(many) > 2, [str(p) for p in many]


def test_shortest_first_by_len_with_class_attributes(other_module):
    other_module.Config = type("Config", (), {"attr": Target()})
    holder = [[[other_module.Config.attr]]]
    paths = heapscope.why_alive(holder[0][0][0], max_paths=2)
    texts = [str(p) for p in paths]
    assert sorted(texts) == sorted([
        "sys.modules['hs_paths_other'].Config -> class Config.attr -> Target",
        "thread %d, test_shortest_first_by_len_with_class_attributes(), local holder: "
        "list[0] -> list[0] -> list[0] -> Target" % this_thread(),
    ])
    assert [len(p) for p in paths] == sorted(len(p) for p in paths), texts


def test_local_does_not_hide_other_roots():
    """The object being a local of the caller says nothing: what else holds it is reported,
    and the local only when nothing else does."""
    y = Target()
    REGISTRY["also"] = y
    texts = [str(p) for p in heapscope.why_alive(y, max_paths=3)]
    assert ROOT + ".REGISTRY -> dict['also'] -> Target" in texts
    assert not any(t.endswith("local y: Target") for t in texts), texts
    del REGISTRY["also"]
    alone = [str(p) for p in heapscope.why_alive(y, max_paths=3)]
    assert alone == ["thread %d, test_local_does_not_hide_other_roots(), local y: Target" % this_thread()], alone


def test_weak_references_never_retain():
    keep = [Target()]  # not the object itself: a local that is the object would end the search
    REGISTRY["weak"] = weakref.ref(keep[0])
    REGISTRY["weak_values"] = weakref.WeakValueDictionary({"k": keep[0]})
    REGISTRY["weak_set"] = weakref.WeakSet([keep[0]])
    REGISTRY["weak_method"] = weakref.WeakMethod(keep[0].method)
    paths = heapscope.why_alive(keep[0], max_paths=5)
    assert [str(p) for p in paths] == [
        "thread %d, test_weak_references_never_retain(), local keep: list[0] -> Target" % this_thread()]
    del keep
    assert REGISTRY["weak"]() is None


def why_alive_of_argument(arg):
    return heapscope.why_alive(arg)


def test_object_only_in_a_caller_argument():
    paths = why_alive_of_argument(Target())
    assert isinstance(paths, list) and all(isinstance(p, heapscope.Path) for p in paths)
    assert [str(p) for p in paths] == ["thread %d, why_alive_of_argument(), local arg: Target" % this_thread()]


def test_objects_the_walk_may_not_list():
    for obj in (None, 7, int, sys):
        paths = heapscope.why_alive(obj)
        assert isinstance(paths, list) and all(isinstance(p, heapscope.Path) for p in paths)


class DeepNode:
    __slots__ = ("next",)


DEPTH = 1_000_000


def last_deep_node():
    node = DEEP[0]
    while node.next is not None:
        node = node.next
    return node


def test_million_node_linked_list():
    head = node = DeepNode()
    for _ in range(DEPTH - 1):
        node.next = DeepNode()
        node = node.next
    node.next = None
    DEEP.append(head)
    del head, node
    path = only_module_path(last_deep_node(), max_paths=1)  # one path: each holds a million objects' names
    assert len(path) == DEPTH + 2  # the module's __dict__, .DEEP, [0], then DEPTH - 1 times .next
    text = str(path)
    assert text.startswith(ROOT + ".DEEP -> list[0] -> DeepNode.next -> DeepNode.next -> ")
    assert text.endswith(" -> DeepNode.next -> DeepNode")
    assert text.count(" -> ") == DEPTH + 1


# ---- hostile objects --------------------------------------------------------------------


class RaisingRepr:
    def __repr__(self):
        raise RuntimeError("no repr for you")


def test_dict_key_with_raising_repr():
    REGISTRY["hostile_keys"] = {RaisingRepr(): Target()}
    paths = heapscope.why_alive(next(iter(REGISTRY["hostile_keys"].values())))
    assert [p.kind for p in module_paths(paths)] == ["module"]


def make_hostile_class():
    """A class whose metaclass __repr__ and __getattr__ raise, and whose instances' too.
    Made per test: other test modules walk every object and would trip on it."""

    class HostileMeta(type):
        def __repr__(cls):
            raise RuntimeError("metaclass repr")

        def __getattr__(cls, name):
            raise RuntimeError("metaclass getattr %s" % name)

    class HostileClass(metaclass=HostileMeta):
        attr = None

        def __getattr__(self, name):
            raise RuntimeError("getattr %s" % name)

        def __repr__(self):
            raise RuntimeError("repr")

    return HostileClass


def test_hostile_class_and_instance_on_the_path():
    REGISTRY["hostile_cls"] = make_hostile_class()
    REGISTRY["hostile"] = REGISTRY["hostile_cls"]()
    REGISTRY["hostile"].x = Target()
    REGISTRY["hostile_cls"].attr = Widget()
    text = str(only_module_path(REGISTRY["hostile"].x))
    assert text == ROOT + ".REGISTRY -> dict['hostile'] -> make_hostile_class.<locals>.HostileClass.x -> Target"
    text = str(only_module_path(REGISTRY["hostile_cls"].attr))
    assert text == (ROOT + ".REGISTRY -> dict['hostile_cls'] -> class make_hostile_class.<locals>.HostileClass.attr"
                    " -> Widget")


def make_opaque_instance():
    class OpaqueMeta(type):
        def __getattribute__(cls, name):
            raise RuntimeError("no attributes of %s" % name)

    class Opaque(metaclass=OpaqueMeta):
        pass

    return Opaque()


def test_instance_of_a_class_whose_metaclass_getattribute_raises():
    REGISTRY["opaque"] = make_opaque_instance()
    REGISTRY["opaque"].x = Target()
    text = str(only_module_path(REGISTRY["opaque"].x))
    assert text.startswith(ROOT + ".REGISTRY -> dict['opaque'] -> ") and text.endswith(".x -> Target")


# ---- find_leaks ---------------------------------------------------------------------------


class Window:
    def __init__(self, n):
        self.n = n

    def on_event(self, event):
        return self.n


def open_window():
    """Registers a bound method in a global callback registry and never removes it."""
    CALLBACKS.append(Window(len(CALLBACKS)).on_event)


def leak_of(report, detail):
    for leak in report:
        if leak.detail == detail:
            return leak
    pytest.fail("no leak %r in:\n%s" % (detail, report))


def test_leak_path_of_a_callback_registry():
    report = heapscope.find_leaks(open_window)
    assert len(report.leaks) == 1, str(report)
    window = leak_of(report, "%s.Window" % __name__)  # the culprit, not the bound method holding it
    i = [id(m.__self__) for m in CALLBACKS].index(id(window.samples[0]))
    assert str(window.path) == ROOT + ".CALLBACKS -> list[%d] -> method on_event.__self__ -> Window" % i
    assert window.accumulation == (ROOT + ".CALLBACKS -> list", 1)
    text = str(report)
    assert "      kept alive by %s\n" % window.path in text


HOSTILE_CACHE = {}


def cache_under_hostile_key():
    HOSTILE_CACHE[RaisingRepr()] = Target()


def test_leak_path_through_a_hostile_key():
    try:
        report = heapscope.find_leaks(cache_under_hostile_key)
        targets = leak_of(report, "%s.Target" % __name__)
        assert str(targets.path).startswith(ROOT + ".HOSTILE_CACHE -> dict[")
        assert str(targets.path).endswith("] -> Target")
    finally:
        HOSTILE_CACHE.clear()


# ---- evaluation stacks (3.9/3.10 keep them out of tp_traverse's reach) ------------------------

STACK = sys.version_info < (3, 11)  # heapscope reads running frames' evaluation stacks


def test_for_loop_iterator_on_the_stack():
    """The list a for loop runs over is held only by its iterator, on the frame's stack."""
    for item in list((Target(), Target())):
        paths = heapscope.why_alive(item)
        break
    texts = [str(p) for p in paths]
    if STACK:
        assert texts == ["thread %d, test_for_loop_iterator_on_the_stack(), evaluation stack: list_iterator "
                         "-> list[0] -> Target" % this_thread()], texts
        assert paths[0].root == ("thread %d, test_for_loop_iterator_on_the_stack(), evaluation stack"
                                 % this_thread())
    else:  # 3.11+: the iterator's reference is not seen, so it is held from outside
        assert texts == ["held outside the Python heap (1 reference): list_iterator -> list[0] -> Target"], texts


def consume(*args):
    return args


def make_pending():
    t = Target()
    REGISTRY["pending"] = weakref.ref(t)
    return t


def test_pending_call_arguments_on_the_stack():
    """consume(make_pending(), probe()): the first argument waits on the stack for the call; the
    frame that calls why_alive holds the argument too, and that is not a root."""
    def probe():
        return heapscope.why_alive(REGISTRY["pending"]())

    paths = consume(make_pending(), probe())[1]
    texts = [str(p) for p in paths]
    if STACK:
        assert texts == ["thread %d, test_pending_call_arguments_on_the_stack(), evaluation stack: Target"
                         % this_thread()], texts
    else:
        assert texts == ["held outside the Python heap (1 reference): Target"], texts


def waiting_with_argument(ready, release):
    consume(make_pending(), ready.set(), release.wait())


def test_evaluation_stack_of_another_thread():
    """Another thread blocked in a call with an argument pending on its stack."""
    with other_thread(waiting_with_argument):
        texts = [str(p) for p in heapscope.why_alive(REGISTRY["pending"]())]
        me = this_thread()
    if STACK:
        assert len(texts) == 1 and re.fullmatch(
            r"thread \d+, waiting_with_argument\(\), evaluation stack: Target", texts[0]), texts
        assert not texts[0].startswith("thread %d," % me)
    else:
        assert texts == ["held outside the Python heap (1 reference): Target"], texts


def recurse(depth, found):
    if depth:
        return consume(make_pending() if depth == 2 else None, recurse(depth - 1, found))
    found.append([str(p) for p in heapscope.why_alive(REGISTRY["pending"]())])
    return None


@pytest.mark.skipif(not STACK, reason="3.11+: evaluation stacks are not read")
def test_operands_of_an_outer_frame_of_the_same_function_are_roots():
    """Only the innermost frame's call into heapscope is heapscope's own: the same code running
    further out still holds its pending arguments."""
    found = []
    recurse(3, found)
    assert found == [["thread %d, recurse(), evaluation stack: Target" % this_thread()]], found


@pytest.mark.xfail(not STACK, strict=True, reason=(
    "known limit (3.11+): heapscope does not read evaluation stacks there, so a pending argument of a "
    "call in progress counts as a reference from outside the heap"))
def test_stack_references_make_outside_counts_exact():
    """An object both on the caller's stack and held by a C extension: exactly 1 outside reference."""
    obj = Target()
    REGISTRY["weak"] = weakref.ref(obj)
    incref(obj)
    try:
        del obj
        paths = consume(REGISTRY["weak"](), heapscope.why_alive(REGISTRY["weak"]()))[1]
        assert [str(p) for p in paths] == ["held outside the Python heap (1 reference): Target"]
    finally:
        decref(REGISTRY["weak"]())
