"""Pympler's table text, byte for byte."""
import io
import random

import pytest

from heapscope import summary


def _rows(rng, n):
    units = [0, 1, 7, 1023, 1024, 1025, 4096, 10 ** 6, 1024 ** 2, 1024 ** 3 + 1, 1024 ** 4 * 3,
             1024 ** 5 * 2, -1, -92000, -(1024 ** 3)]
    names = ["dict", "str", "function (x)", "a.very.long.module.name.WithAVeryLongClassName" * 2,
             "<enum 'E'>", "module(os)", "é unicode"]
    rows = []
    for i in range(n):
        size = rng.choice(units) if rng.random() < 0.5 else rng.randint(-10 ** 7, 10 ** 12)
        rows.append(["%s %d" % (rng.choice(names), i), rng.randint(-500, 10 ** 6), size])
    return rows


@pytest.mark.parametrize("seed", range(12))
def test_format_identical_to_pympler(pympler, seed):
    rng = random.Random(seed)
    rows = _rows(rng, rng.choice([0, 1, 3, 15, 16, 40]))
    for sort in ("size", "#", "type"):
        for order in ("descending", "ascending"):
            for limit in (15, None, 3, 0):
                ours = list(summary.format_(rows, limit=limit, sort=sort, order=order))
                theirs = list(pympler.summary.format_(rows, limit=limit, sort=sort, order=order))
                assert ours == theirs


def test_empty_table():
    assert list(summary.format_([])) == [
        "  types |   # objects |   total size",
        "======= | =========== | ============",
    ]


def test_pp_units_match_pympler(pympler):
    from pympler.util.stringutils import pp
    for v in [0, 1, 1023, 1024, 1025, 1048576, 1048577, 1024 ** 5 * 3, 1024 ** 6, -1, -10 ** 9, 2.5]:
        assert summary._pp(v) == pp(v)


def test_pp_beyond_pympler_units_does_not_crash(pympler):
    from pympler.util.stringutils import pp
    with pytest.raises(IndexError):
        pp(1024 ** 6 * 7)  # Pympler's unit list has no PB
    assert summary._pp(1024 ** 6 * 7) == "7168.00 EB"


def test_bad_arguments_raise_like_pympler(pympler):
    for kw in ({"sort": "bogus"}, {"order": "sideways"}):
        with pytest.raises(ValueError) as ours:
            list(summary.format_([["a", 1, 2]], **kw))
        with pytest.raises(ValueError) as theirs:
            list(pympler.summary.format_([["a", 1, 2]], **kw))
        assert str(ours.value) == str(theirs.value)


def test_print_to_file_and_stdout(capsys, pympler):
    rows = [["dict", 3, 5000], ["str", -2, -100]]
    buf = io.StringIO()
    summary.print_(rows, file=buf)
    pympler.summary.print_(rows)
    assert buf.getvalue() == capsys.readouterr().out
    summary.print_(rows)
    assert capsys.readouterr().out == buf.getvalue()


def test_get_diff_semantics_match_pympler(pympler):
    left = [["a", 1, 10], ["b", 2, 20], ["c", 5, 50]]
    right = [["a", 1, 10], ["b", 3, 25], ["d", 1, 1]]
    ours = sorted(summary.get_diff(left, right))
    theirs = sorted(pympler.summary.get_diff(left, right))
    assert ours == theirs == [["a", 0, 0], ["b", 1, 5], ["c", -5, -50], ["d", 1, 1]]
    assert summary._sweep(ours) == [["b", 1, 5], ["c", -5, -50], ["d", 1, 1]]
