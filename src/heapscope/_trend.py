"""Trend statistics for a handful of samples: is a series growing for good?

``find_leaks`` samples the heap after each repetition of an action and must
tell sustained growth (a leak, also a slow one: 0, 1, 1, 2, 2, ...) from a
cache that fills and then holds, noise, and a sawtooth (a list cleared every
few calls).  The rule, from ``leak-verdict`` research on 5-15 samples:

- drop the first quarter of the series (the repetitions that still warm up);
- Mann-Kendall's S on the rest (concordant minus discordant pairs), with its
  one-sided p-value from the exact distribution of S for a series without
  ties (Mahonian numbers: the number of permutations of m values with k
  inversions).  Ties only lower the largest S a series can reach, so that
  p-value is conservative for tied series;
- the Theil-Sen slope (median of the pairwise slopes) and Sen's lower 90 %
  bound for it.

A series *grows* when p <= alpha, the lower bound is above 0 and the slope is
at least ``min_slope``; it is *flat* when S <= 0 or the slope is 0 with no
clear evidence, or when it rose in a single step (a label that appears once,
a one-time fill); otherwise the evidence is *ambiguous*, and find_leaks runs
more repetitions before it answers.
"""
import math

__all__ = ["GROWS", "FLAT", "AMBIGUOUS", "trend", "mann_kendall", "theil_sen", "tail"]

GROWS = "grows"
FLAT = "flat"
AMBIGUOUS = "ambiguous"

#: one-sided significance for "grows" (strictly increasing: 5 points give 1/120)
ALPHA = 0.01
#: above this p-value a positive S is not worth more repetitions
P_AMBIGUOUS = 0.25

_mahonian = {}


def _inversion_tail(m):
    """cum[k] = P(a random permutation of m distinct values has <= k inversions)."""
    cum = _mahonian.get(m)
    if cum is not None:
        return cum
    counts = [1]
    for i in range(2, m + 1):  # insert the i-th value: 0..i-1 new inversions
        new = [0] * (len(counts) + i - 1)
        window = 0
        for k in range(len(new)):
            if k < len(counts):
                window += counts[k]
            if k - i >= 0:
                window -= counts[k - i]
            new[k] = window
        counts = new
    total = math.factorial(m)
    cum, run = [], 0
    for c in counts:
        run += c
        cum.append(run / total)
    _mahonian[m] = cum
    return cum


def mann_kendall(xs):
    """(S, one-sided p-value of "S this large or larger" with no trend)."""
    m = len(xs)
    s = 0
    for i in range(m - 1):
        xi = xs[i]
        for j in range(i + 1, m):
            d = xs[j] - xi
            s += (d > 0) - (d < 0)
    if m < 2:
        return 0, 1.0
    # Without ties S = pairs - 2 * inversions: S >= s <=> inversions <= (pairs - s) / 2.
    pairs = m * (m - 1) // 2
    k = math.floor((pairs - s) / 2)
    if k < 0:
        return s, 0.0
    cum = _inversion_tail(m)
    return s, cum[min(k, len(cum) - 1)]


def theil_sen(xs):
    """(median pairwise slope, Sen's lower 90 % bound) of xs against 0, 1, 2..."""
    m = len(xs)
    slopes = sorted((xs[j] - xs[i]) / (j - i) for i in range(m - 1) for j in range(i + 1, m))
    if not slopes:
        return 0.0, 0.0
    n = len(slopes)
    mid = slopes[n // 2] if n % 2 else (slopes[n // 2 - 1] + slopes[n // 2]) / 2
    # variance of S with ties; C = z(0.95) * sd for a two-sided 90 % interval
    ties = {}
    for x in xs:
        ties[x] = ties.get(x, 0) + 1
    var = (m * (m - 1) * (2 * m + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties.values())) / 18
    c = 1.6449 * math.sqrt(max(var, 0.0))
    lo_rank = int(math.floor((n - c) / 2))  # 1-based rank of the lower bound
    lo = slopes[max(0, min(n - 1, lo_rank - 1))] if lo_rank >= 1 else slopes[0]
    return mid, lo


def tail(xs):
    """The series without its warm-up: the first quarter (at least one point) dropped."""
    w = max(1, len(xs) // 4)
    return list(xs[w:])


def trend(xs, min_slope, alpha=ALPHA):
    """GROWS, FLAT or AMBIGUOUS for a series sampled once per repetition
    (xs[0] is the baseline), with the statistics: (verdict, S, p, slope, low)."""
    t = tail(xs)
    if len(t) < 3:
        return AMBIGUOUS if len(t) >= 2 and t[-1] > t[0] else FLAT, 0, 1.0, 0.0, 0.0
    s, p = mann_kendall(t)
    slope, lo = theil_sen(t)
    if s <= 0 or t[-1] <= t[0]:
        return FLAT, s, p, slope, lo
    if t[-1] - t[0] < min_slope * (len(t) - 1):
        return FLAT, s, p, slope, lo  # even all of it is below the rate worth reporting
    if sum(b > a for a, b in zip(xs, xs[1:])) < 2:
        return FLAT, s, p, slope, lo  # one step up is a new label or a one-time fill, not growth
    if p <= alpha and lo > 0 and slope >= min_slope:
        return GROWS, s, p, slope, lo
    if p > P_AMBIGUOUS or (slope <= 0 and t[-1] <= max(t[:-1])):
        return FLAT, s, p, slope, lo
    if slope > 0 and slope < min_slope and lo > 0:
        return FLAT, s, p, slope, lo  # a real trend, but below the size worth reporting
    return AMBIGUOUS, s, p, slope, lo
