"""heapscope's pytest plugin (heapscope.pytest_plugin) on small test suites, run by
pytester in a subprocess (the check freezes the heap and walks it: an in-process
run would measure this test session too)."""
import re
import sys
import textwrap

import pytest

pytest_plugins = ["pytester"]

REPEAT, WARMUP = 5, 2  # the plugin's defaults


class Item:
    """The same class as in LEAKY below: its size is the leaked object's."""

    __slots__ = ("n", "name")


ITEM_SIZE = sys.getsizeof(Item())
NAME_SIZE = sys.getsizeof("leaked-%06d" % 0)  # 'leaked-000001' etc.: all the same size

LEAKY = """
import os
import pytest

CACHE = []
MEMO = {}


def count_call(name):
    # one line per call in $HS_CALLS, to check how often the plugin called the test
    with open(os.environ["HS_CALLS"], "a") as f:
        f.write(name + "\\n")


class Item:
    __slots__ = ("n", "name")

    def __init__(self, n):
        self.n = n
        self.name = "leaked-%06d" % n  # ALLOC


@pytest.mark.no_leaks
def test_leaky():
    count_call("leaky")
    CACHE.append(Item(len(CACHE)))  # CALL


@pytest.mark.no_leaks
def test_clean():
    count_call("clean")
    items = [Item(i) for i in range(10)]
    assert len(items) == 10 and items[3].name == "leaked-000003"


@pytest.mark.no_leaks
def test_cache_once():
    count_call("cache_once")
    if "k" not in MEMO:
        MEMO["k"] = [Item(i) for i in range(5)]
    assert len(MEMO["k"]) == 5
"""


@pytest.fixture
def suite(pytester, monkeypatch, tmp_path):
    """A pytester with the module LEAKY and a call counter; calls() -> {test: number of calls}."""
    calls = tmp_path / "calls.txt"
    monkeypatch.setenv("HS_CALLS", str(calls))
    monkeypatch.delenv("PYTHONTRACEMALLOC", raising=False)
    pytester.makepyfile(test_leaky_mod=LEAKY)

    def count():
        names = calls.read_text().split() if calls.exists() else []
        calls.write_text("")
        return {n: names.count(n) for n in set(names)}

    pytester.calls = count
    return pytester


def line_of(source, marker):
    """The line number of a marker comment in a source as pytester writes it (stripped)."""
    lines = textwrap.dedent(source).strip().splitlines()
    return [i for i, line in enumerate(lines, 1) if marker in line][0]


def failure_text(result, test):
    """The failure section of one test in a run's output."""
    out = result.stdout.str()
    m = re.search(r"_{3,} %s _{3,}\n(.*?)(?=\n_{3,} |\n-{3,} |\n={3,} )" % re.escape(test), out, re.S)
    assert m, "no failure section for %s in:\n%s" % (test, out)
    return m.group(1)


def block_of(text, label):
    """The lines of a leak message about one cause named by ``label`` (its
    numbered headline, ending in the chain down to the culprit, and the
    indented lines after it)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"  \d+\. ", line) and re.search(r"(: |-> )%s( ->|$)" % re.escape(label), line):
            block = [line]
            for more in lines[i + 1:]:
                if not more.startswith("     "):
                    break
                block.append(more)
            return "\n".join(block)
    pytest.fail("no leak of %r in:\n%s" % (label, text))


def test_leaking_test_fails_with_labels_objects_bytes_and_path(suite):
    result = suite.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    # checked tests run their first call, warmup - 1 more warm-ups and the repetitions
    assert suite.calls() == {"leaky": WARMUP + REPEAT, "clean": WARMUP + REPEAT, "cache_once": WARMUP + REPEAT}
    text = failure_text(result, "test_leaky")
    assert text.startswith("test_leaky leaks: 1 cause (5 repetitions after 2 warm-up calls):")
    item = block_of(text, "test_leaky_mod.Item")
    # one cause: the Item and its name, piling up in CACHE (which grows a few bytes too)
    m = re.search(r"2 objects, (\d+) B per call accumulate in sys\.modules\['test_leaky_mod'\]\.CACHE -> list "
                  r"\(\+1 entry per call\): test_leaky_mod\.Item$", item.splitlines()[0])
    assert m and ITEM_SIZE + NAME_SIZE <= int(m.group(1)) <= ITEM_SIZE + NAME_SIZE + 16, item
    assert "test_leaky_mod.Item 1 (%d B)" % ITEM_SIZE in item and "str 1 (%d B)" % NAME_SIZE in item
    assert "kept alive by sys.modules['test_leaky_mod'].CACHE -> list[" in item
    assert re.search(r"e\.g\. <test_leaky_mod\.Item object at 0x", item)
    # the counts after each repetition: one more every time
    assert "test_leaky_mod.Item [1, 2, 3, 4, 5]" in text
    # no tracemalloc: no allocation site, and a hint how to get one
    assert "allocated at" not in text
    assert "--heapscope-tracemalloc" in text
    # the short summary and heapscope's terminal summary
    result.stdout.fnmatch_lines([
        "*heapscope leak check*",
        "3 tests checked for leaks, 1 leaked",
        "  LEAK test_leaky_mod.py::test_leaky: 1 cause, 2 objects, * B per call",
        "FAILED test_leaky_mod.py::test_leaky - Failed: test_leaky leaks: 1 cause*",
    ])


@pytest.mark.parametrize("how", ["option", "already tracing"])
def test_allocation_site_when_tracemalloc_traces(suite, how):
    args = ["-p", "no:cacheprovider", "test_leaky_mod.py::test_leaky"]
    if how == "option":
        args.append("--heapscope-tracemalloc")
    else:  # traced by the program: the plugin leaves tracemalloc alone
        suite.makeconftest("""
            import tracemalloc

            def pytest_collection_finish():  # tracing all of pytest's start-up is slow
                tracemalloc.start(2)

            def pytest_unconfigure():
                assert tracemalloc.is_tracing()
        """)
    result = suite.runpytest_subprocess(*args)
    result.assert_outcomes(failed=1)
    text = failure_text(result, "test_leaky")
    # the Item is allocated by the test (3.11 places no instance of a plain class:
    # then its name's allocation in Item.__init__, called from the test)
    block = block_of(text, "test_leaky_mod.Item")
    assert ("allocated at test_leaky_mod.py:%d\n" % line_of(LEAKY, "# CALL") in block + "\n"
            or "allocated at test_leaky_mod.py:%d (called from test_leaky_mod.py:%d)" % (
                line_of(LEAKY, "# ALLOC"), line_of(LEAKY, "# CALL")) in block), block
    assert "--heapscope-tracemalloc or python" not in text


CLEAN_WITH_FIXTURES = """
import logging
import os
import warnings

import pytest


def count_call(name):
    with open(os.environ["HS_CALLS"], "a") as f:
        f.write(name + "\\n")


class Config:
    level = 1


@pytest.fixture
def patched(monkeypatch):
    monkeypatch.setattr(Config, "level", 2)  # set up once, before the test's first call
    return Config


def test_files(tmp_path):
    count_call("files")
    (tmp_path / "sub").mkdir()            # would raise FileExistsError on a second call
    (tmp_path / "sub" / "f.txt").write_text("hello")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub"]


def test_monkeypatch(monkeypatch, patched):
    count_call("monkeypatch")
    assert Config.level == 2
    monkeypatch.setattr(Config, "level", object())
    monkeypatch.setitem(os.environ, "HS_PLUGIN_X", "x-%d" % id(object()))
    monkeypatch.setenv("HS_PLUGIN_Y", "y")
    monkeypatch.delenv("HS_PLUGIN_Y")


def test_output(capsys):
    count_call("output")
    print("hello")
    assert capsys.readouterr().out == "hello\\n"
    print("not read")


def test_fd_output(capfd):
    count_call("fd_output")
    os.write(1, b"to fd 1\\n")
    assert capfd.readouterr().out == "to fd 1\\n"
    os.write(2, b"to fd 2, not read\\n")


def test_logging(caplog):
    count_call("logging")
    logging.getLogger("hs.plugin").warning("logged %s", "thing")
    assert [r.getMessage() for r in caplog.records] == ["logged thing"]
    caplog.set_level(logging.INFO)
    logging.getLogger("hs.plugin").info("info %d", 1)
    assert len(caplog.records) == 2


def test_log_uncaptured():
    count_call("log_uncaptured")
    logging.getLogger("hs.plugin").error("an error %d", 5)


def test_warnings(recwarn):
    count_call("warnings")
    warnings.warn("deprecated", DeprecationWarning)
    assert len(recwarn) == 1 and recwarn.pop(DeprecationWarning)


def test_warning_to_pytest():
    count_call("warning_to_pytest")
    warnings.warn("a user warning", UserWarning)
    warnings.warn("deprecated", DeprecationWarning)


def test_raises_and_asserts():
    count_call("raises_and_asserts")
    with pytest.raises(ZeroDivisionError, match="division"):
        1 / 0
    with pytest.warns(UserWarning):
        warnings.warn("expected", UserWarning)
    data = {"a": [1, 2, 3], "b": "x" * 100}
    assert data == {"a": [1, 2, 3], "b": "x" * 100}
    assert not [x for x in data["a"] if x > 3]


@pytest.fixture
def resource():
    res = {"open": True, "data": [object() for _ in range(3)]}
    yield res
    res["open"] = False


class TestClass:
    def test_method(self, resource):
        count_call("method")
        self.seen = [resource["open"]]  # replaced at every call
        assert resource["open"] and len(resource["data"]) == 3


@pytest.mark.parametrize("n", [1, 2])
def test_param(n, request):
    count_call("param")
    assert request.node.name == "test_param[%d]" % n
"""


def test_clean_tests_with_common_fixtures_pass(suite):
    suite.makepyfile(test_clean_mod=CLEAN_WITH_FIXTURES)
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "--heapscope-leaks", "test_clean_mod.py")
    result.assert_outcomes(passed=12)
    assert result.ret == pytest.ExitCode.OK
    n = WARMUP + REPEAT
    assert suite.calls() == {"files": n, "monkeypatch": n, "output": n, "fd_output": n, "logging": n,
                             "log_uncaptured": n,
                             "warnings": n, "warning_to_pytest": n, "raises_and_asserts": n, "method": n, "param": 2 * n}
    result.stdout.fnmatch_lines(["*heapscope leak check*", "12 tests checked for leaks, 0 leaked"])
    assert "LEAK" not in result.stdout.str()
    # pytest still reports the warnings and the captured log of the test
    result.stdout.fnmatch_lines(["*test_warning_to_pytest*", "*UserWarning: a user warning*"])


def test_fixture_state_restored_after_check(suite):
    """monkeypatch, tmp_path and environment end as pytest leaves them without the plugin."""
    suite.makepyfile(test_after_mod="""
        import os
        import pytest

        class Config:
            level = 1

        @pytest.mark.no_leaks
        def test_patch(monkeypatch, tmp_path):
            monkeypatch.setattr(Config, "level", Config.level + 1)
            monkeypatch.setenv("HS_PLUGIN_Z", "z")
            (tmp_path / "f").write_text("x")
            assert Config.level == 2

        def test_after():
            assert Config.level == 1
            assert "HS_PLUGIN_Z" not in os.environ
    """)
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "test_after_mod.py")
    result.assert_outcomes(passed=2)


def test_ignore(suite):
    # the marker's ignore: exact default label and a glob on detailed labels
    suite.makepyfile(test_ignore_mod="""
        import pytest

        CACHE = []

        class Item:
            __slots__ = ("name",)

            def __init__(self, n):
                self.name = "leaked-%06d" % n

        @pytest.mark.no_leaks(ignore=["str", "*.Item"])
        def test_ignored():
            CACHE.append(Item(len(CACHE)))

        @pytest.mark.no_leaks(ignore="str")
        def test_partly_ignored():
            CACHE.append(Item(len(CACHE)))
    """)
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "test_ignore_mod.py")
    result.assert_outcomes(passed=1, failed=1)
    text = failure_text(result, "test_partly_ignored")
    assert text.startswith("test_partly_ignored leaks: 1 cause")  # the Item is not ignored
    block_of(text, "test_ignore_mod.Item")
    # the same from the command line and the ini file, for every test
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "test_ignore_mod.py",
                                        "--heapscope-ignore", "*Item", "--heapscope-ignore", "st?")
    result.assert_outcomes(passed=2)
    suite.makeini("[pytest]\nheapscope_ignore =\n    test_ignore_mod.Item\n    str\n")
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "test_ignore_mod.py")
    result.assert_outcomes(passed=2)


def test_option_checks_unmarked_tests(suite):
    suite.makepyfile(test_unmarked_mod="""
        import os
        import pytest

        CACHE = []

        def test_unmarked_leak():
            with open(os.environ["HS_CALLS"], "a") as f:
                f.write("unmarked\\n")
            CACHE.append(object())

        @pytest.mark.may_leak
        def test_exempt():
            with open(os.environ["HS_CALLS"], "a") as f:
                f.write("exempt\\n")
            CACHE.append(object())
    """)
    # without the option or a marker the plugin does nothing: one call each, no summary
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "test_unmarked_mod.py")
    result.assert_outcomes(passed=2)
    assert suite.calls() == {"unmarked": 1, "exempt": 1}
    assert "heapscope leak check" not in result.stdout.str()
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "--heapscope-leaks", "test_unmarked_mod.py")
    result.assert_outcomes(passed=1, failed=1)
    assert suite.calls() == {"unmarked": WARMUP + REPEAT, "exempt": 1}
    text = failure_text(result, "test_unmarked_leak")
    assert re.match(r"  1\. 1 object, \d+ B per call accumulate in ", block_of(text, "object"))
    result.stdout.fnmatch_lines(["1 test checked for leaks, 1 leaked"])
    # the ini option
    suite.makeini("[pytest]\nheapscope_leaks = true\n")
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "test_unmarked_mod.py")
    result.assert_outcomes(passed=1, failed=1)
    # the plugin can be disabled
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:heapscope", "test_unmarked_mod.py")
    result.assert_outcomes(passed=2)


def test_repeat_and_warmup(suite):
    suite.makepyfile(test_counts_mod="""
        import os
        import pytest

        CACHE = []

        def count_call(name):
            with open(os.environ["HS_CALLS"], "a") as f:
                f.write(name + "\\n")

        @pytest.mark.no_leaks(repeat=3, warmup=1)
        def test_marked():
            count_call("marked")
            CACHE.append(object())

        @pytest.mark.no_leaks
        def test_default():
            count_call("default")

        @pytest.mark.no_leaks(repeat=1)
        def test_bad_repeat():
            count_call("bad_repeat")

        @pytest.mark.no_leaks(repeats=3)
        def test_bad_kwarg():
            count_call("bad_kwarg")
    """)
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "test_counts_mod.py")
    result.assert_outcomes(passed=1, failed=3)
    # 3 points of a steady leak are not significant yet: find_leaks runs more (3 is the least)
    calls = suite.calls()
    assert calls["default"] == WARMUP + REPEAT and calls["marked"] > 1 + 3, calls
    assert failure_text(result, "test_marked").startswith(
        "test_marked leaks: 1 cause (%d repetitions after 1 warm-up call):" % (calls["marked"] - 1))
    assert "no_leaks(repeat=) must be an integer of at least 2" in failure_text(result, "test_bad_repeat")
    assert "unexpected argument(s) repeats" in failure_text(result, "test_bad_kwarg")
    # command-line defaults; the marker's arguments override them
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "test_counts_mod.py", "-k", "marked or default",
                                        "--heapscope-repeat", "4", "--heapscope-warmup", "3")
    result.assert_outcomes(passed=1, failed=1, deselected=2)
    calls = suite.calls()
    assert calls["default"] == 3 + 4 and calls["marked"] > 1 + 3, calls
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "test_counts_mod.py", "--heapscope-repeat", "1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--heapscope-repeat must be at least 2*"])


def test_failing_skipped_xfail_tests(suite):
    suite.makepyfile(test_outcomes_mod="""
        import os
        import sys
        import pytest

        CACHE = []

        def count_call(name):
            with open(os.environ["HS_CALLS"], "a") as f:
                f.write(name + "\\n")

        @pytest.mark.no_leaks
        def test_fails():
            count_call("fails")
            CACHE.append(object())
            assert len(CACHE) == 0, "its own failure"

        @pytest.mark.no_leaks
        def test_raises():
            count_call("raises")
            CACHE.append(object())
            raise KeyError("own error")

        ONCE = []

        @pytest.mark.no_leaks
        def test_not_repeatable():
            count_call("not_repeatable")
            ONCE.append(object())
            assert len(ONCE) <= 2, "breaks when called again"

        @pytest.mark.no_leaks
        @pytest.mark.skip(reason="skipped")
        def test_skip():
            count_call("skip")

        @pytest.mark.no_leaks
        def test_skip_inside():
            count_call("skip_inside")
            pytest.skip("skipped inside")

        @pytest.mark.no_leaks
        @pytest.mark.xfail(reason="fails")
        def test_xfail():
            count_call("xfail")
            assert False

        @pytest.mark.no_leaks
        @pytest.mark.xfail(reason="a known leak", strict=True)
        def test_xfail_leak():
            count_call("xfail_leak")
            CACHE.append(object())
    """)
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "-rfsx", "test_outcomes_mod.py")
    result.assert_outcomes(failed=3, skipped=2, xfailed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    # a failing test is called once and fails with its own error, not a leak message
    calls = suite.calls()
    assert calls == {"fails": 1, "raises": 1, "not_repeatable": 3, "skip_inside": 1, "xfail": 1,
                     "xfail_leak": WARMUP + REPEAT}
    text = failure_text(result, "test_fails")
    assert "AssertionError: its own failure" in text and "per call" not in text
    text = failure_text(result, "test_raises")
    assert "KeyError: 'own error'" in text and "per call" not in text
    # a test that passes once and fails when called again: its own error, and which call
    text = failure_text(result, "test_not_repeatable")
    assert "AssertionError: breaks when called again" in text
    # (a note in the traceback on 3.11+, and a report section everywhere)
    result.stdout.fnmatch_lines(["*Captured heapscope call*",
                                 "heapscope: the test passed its first call but raised on call 3 of 7, "
                                 "when repeated for the leak check*"])
    out = result.stdout.str()
    for line in ["FAILED test_outcomes_mod.py::test_fails - AssertionError: its own",
                 "FAILED test_outcomes_mod.py::test_not_repeatable - AssertionError: breaks",
                 "FAILED test_outcomes_mod.py::test_raises - KeyError: 'own error'",
                 # a leak in an xfail test is its expected failure
                 "XFAIL test_outcomes_mod.py::test_xfail_leak - a known leak",
                 "1 test checked for leaks, 1 leaked"]:
        assert line in out


def test_async_test_not_checked(suite):
    suite.makepyfile(test_async_mod="""
        import pytest

        @pytest.mark.no_leaks
        async def test_async():
            pass
    """)
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "test_async_mod.py")
    # pytest's own verdict on an async test without an async plugin (skipped before 9, failed since)
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped", 0) + outcomes.get("failed", 0) == 1
    assert "per call" not in result.stdout.str()
    result.stdout.fnmatch_lines(["0 tests checked for leaks, 0 leaked",
                                 "  not checked test_async_mod.py::test_async: async test"])


def test_strict_markers_and_marker_help(suite):
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers", "-k", "clean or cache")
    result.assert_outcomes(passed=2, deselected=1)
    result = suite.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.no_leaks(repeat=5, warmup=2, ignore=()):*",
                                 "@pytest.mark.may_leak:*"])
    # without the plugin the marker is unknown: --strict-markers fails
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:heapscope", "--strict-markers")
    assert result.ret != pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*'no_leaks' not found in `markers` configuration option*"])


def test_entry_point():
    from importlib.metadata import entry_points

    eps = entry_points()
    group = eps.select(group="pytest11") if hasattr(eps, "select") else eps.get("pytest11", ())
    # (the same distribution may be visible twice: a base interpreter's editable install under a venv)
    assert {(ep.name, ep.value) for ep in group if ep.name == "heapscope"} == {("heapscope", "heapscope.pytest_plugin")}


def test_plugin_inactive_in_this_session(request):
    """The repo's own suite runs with the plugin loaded but idle."""
    plugin = request.config.pluginmanager.get_plugin("heapscope")
    assert plugin is not None and plugin.__name__ == "heapscope.pytest_plugin"
    stats = request.config.stash[plugin._stats_key]
    assert (stats.checked, stats.leaked, stats.unchecked) == (0, [], [])


def test_message_lists_at_most_ten_labels(suite):
    labels = "\n".join("class L%d:\n    pass\n" % i for i in range(12))
    suite.makepyfile(test_many_mod=textwrap.dedent("""
        import pytest

        CACHE = []
        %s

        @pytest.mark.no_leaks
        def test_many():
            CACHE.extend(cls() for cls in (%s))
    """) % (labels, ", ".join("L%d" % i for i in range(12))))
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "test_many_mod.py")
    result.assert_outcomes(failed=1)
    text = failure_text(result, "test_many")
    assert text.startswith("test_many leaks: 1 cause")  # one list gains them all
    (labels,) = [line for line in text.splitlines() if line.startswith("     labels: ")]
    assert len(re.findall(r"test_many_mod\.L\d+ 1 \(", labels)) == 10, labels
    assert labels.endswith(" and 3 more")  # the other two classes and the list's own growth
