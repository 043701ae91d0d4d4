"""The trend test find_leaks decides with (heapscope._trend), on the series of
the leak-verdict research: slow leaks grow, caches that fill and hold, noise
and sawtooths do not; ambiguous evidence asks for more repetitions."""
import itertools
import math
import random

import pytest

from heapscope import _trend
from heapscope._trend import AMBIGUOUS, FLAT, GROWS, mann_kendall, theil_sen, trend


def exact_p(xs):
    """Exact one-sided p of S by enumerating permutations (the oracle; no ties)."""
    s, _ = mann_kendall(xs)
    perms = list(itertools.permutations(xs))
    return sum(mann_kendall(list(p))[0] >= s for p in perms) / len(perms)


@pytest.mark.parametrize("xs", [[1, 2, 3, 4, 5], [3, 1, 2, 5, 4], [5, 4, 3, 2, 1], [1, 3, 2, 6, 4, 5, 7]])
def test_p_value_is_the_exact_distribution_without_ties(xs):
    assert mann_kendall(xs)[1] == pytest.approx(exact_p(xs))


def test_p_value_is_conservative_with_ties():
    # 0,1,1,2,2: exact permutation p with ties is 0.033; ours may only be larger
    s, p = mann_kendall([0, 1, 1, 2, 2])
    assert s == 8 and 0.033 <= p <= 0.05


def test_theil_sen_slope_and_lower_bound():
    slope, lo = theil_sen([0, 1, 2, 3, 4, 5])
    assert slope == 1 and lo == 1
    slope, lo = theil_sen([1, 1, 2, 2, 3, 3, 4, 4, 5])
    assert slope == pytest.approx(0.5) and 0 < lo <= 0.5


@pytest.mark.parametrize("name, xs, expected", [
    ("steady leak, 5 repetitions", [0, 1, 2, 3, 4, 5], GROWS),
    ("slow leak 0,1,1,2,2, 5 repetitions", [0, 0, 1, 1, 2, 2], AMBIGUOUS),
    ("slow leak, 10 repetitions", [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5], GROWS),
    ("one every 3rd call, 10 repetitions", [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3], GROWS),
    ("one every 5th call, 20 repetitions", [0] + [i // 5 for i in range(1, 21)], GROWS),
    ("cache filling then full, 5", [0, 3, 5, 6, 6, 6], AMBIGUOUS),
    ("cache filling then full, 10", [0, 3, 5, 6, 6, 6, 6, 6, 6, 6, 6], FLAT),
    ("first-call initialisation over 3 calls, 10", [0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3], FLAT),
    ("sawtooth, cleared every 3rd call", [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1], FLAT),
    ("noise", [0, 5, 6, 5, 7, 6, 5, 6, 6], FLAT),
    ("flat", [0, 0, 0, 0, 0, 0], FLAT),
    ("one dict resize, 10", [0, 0, 0, 1000] + [1000] * 7, FLAT),
    ("shrinking", [0, 5, 4, 3, 2, 1], FLAT),
    ("a label that appears once", [0, 0, 0, 1, 1, 1], FLAT),
    ("a label that appears once, 10", [0, 0, 0, 1] + [1] * 7, FLAT),
])
def test_verdicts(name, xs, expected):
    assert trend(xs, 0.1)[0] == expected, name


def test_growth_below_the_minimum_is_not_reported():
    # 2 bytes per repetition, steadily: real, but not worth a leak of bytes
    assert trend([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20], 64)[0] == FLAT
    assert trend([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20], 1)[0] == GROWS


def test_growth_that_cannot_reach_the_minimum_is_flat_without_more_repetitions():
    # 3.9/3.10 code objects grow their opcache once hot: a few bytes now and then
    assert trend([0, 16, 16, 16, 61, 61], 64)[0] == FLAT  # (3.9, pandas: was ambiguous up to 40 repetitions)


def test_the_warm_up_is_dropped():
    # growth only in the first quarter, then flat: the tail decides
    assert _trend.tail([0, 9, 9, 9, 9, 9, 9, 9]) == [9, 9, 9, 9, 9, 9]
    assert trend([0, 9, 9, 9, 9, 9, 9, 9], 0.1)[0] == FLAT


def test_random_noise_rarely_grows():
    rng = random.Random(7)
    grows = sum(trend([rng.randrange(10) for _ in range(11)], 0.1)[0] == GROWS for _ in range(2000))
    assert grows <= 2000 * 0.01  # alpha


def test_mahonian_table_sums_to_one():
    for m in (3, 7, 12):
        cum = _trend._inversion_tail(m)
        assert len(cum) == m * (m - 1) // 2 + 1
        assert cum[-1] == pytest.approx(1.0)
        assert cum[0] == pytest.approx(1 / math.factorial(m))
