"""Compiled random draws of counts for the Monte Carlo (docs/model.md, "Monte Carlo").

numpy's ``Generator.binomial`` and ``Generator.poisson`` are general purpose: for the small
counts that make up almost every draw of a subscription simulation (a cohort of 40 customers
losing 2 a month) each call pays for set-up that is about as costly as the draw. These loops,
compiled by numba, draw the same distributions from the same ``numpy.random.Generator`` streams:

- a Binomial(n, q) or Poisson(lam) whose variance is at least NORMAL_FROM is drawn as a rounded
  normal (clipped to [0, n], or at 0), as the model allows, unless ``exact``;
- a smaller one whose mean is below INVERSION_BELOW is drawn by inversion: one uniform u and the
  smallest k whose cumulative probability reaches u, built term by term from the first (exact,
  up to the rounding of the running sum: a tail of order 1e-16 is cut);
- the rest (a small variance with a large mean, or ``exact`` with a large variance) are left to
  numba's own Binomial (BTPE) and Poisson (PTRS) samplers, the algorithms numpy uses.

Uniforms are taken from the Generator a block of BLOCK at a time (a call into the Generator
costs several times the arithmetic of a small draw when made one by one inside a loop).
Every function takes the Generator of one chunk of paths, so a seed gives the same numbers
whatever the number of threads; they release the GIL, so chunks run on every core.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = [
    "BLOCK",
    "INVERSION_BELOW",
    "NORMAL_FROM",
    "annual_group",
    "binomial",
    "monthly_group",
    "new_cohorts",
    "poisson",
]

BLOCK = 512  # uniforms drawn from the Generator at a time

NORMAL_FROM = 50.0  # variance from which a Binomial or Poisson may be drawn as a rounded normal
INVERSION_BELOW = 40.0  # mean below which a count is drawn by inversion (about mean + 1 steps)
GAPS_BELOW = 0.5  # mean below which a cohort's count is read off one Poisson process by gaps
# A cohort with fewer expected leavers than EVENTS_PER_CELL x its months draws one month per
# leaver instead of one count per month (a leaver's month costs about as much as a count).
EVENTS_PER_CELL = 1.0
# 1/k for the inversion loops: a multiplication instead of a division per step
_RECIPROCALS = np.concatenate((np.zeros(1), 1.0 / np.arange(1.0, 4097.0)))


@njit(nogil=True, cache=True)
def _refill(rng: np.random.Generator, block: np.ndarray) -> None:
    """The next BLOCK uniforms of the stream."""
    for i in range(block.shape[0]):
        block[i] = rng.random()


@njit(nogil=True, cache=True, inline="always")
def _uniform(rng: np.random.Generator, block: np.ndarray, pos: int) -> tuple[float, int]:
    """The next uniform in [0, 1) and the new position in ``block`` (refilled when used up)."""
    if pos >= block.shape[0]:
        _refill(rng, block)
        pos = 0
    return block[pos], pos + 1


@njit(nogil=True, cache=True, inline="always")
def _poisson(
    rng: np.random.Generator, block: np.ndarray, pos: int, lam: float, exact: bool
) -> tuple[int, int]:
    """One Poisson(lam) count, and the new position in ``block``."""
    if not lam > 0.0:
        return 0, pos
    if lam >= NORMAL_FROM and not exact:
        return max(int(np.rint(lam + math.sqrt(lam) * rng.standard_normal())), 0), pos
    if lam >= INVERSION_BELOW:
        return int(rng.poisson(lam)), pos
    u, pos = _uniform(rng, block, pos)
    # the first four outcomes without branches (the usual ones), then term by term
    t0 = math.exp(-lam)
    t1 = t0 * lam
    t2 = t1 * lam * 0.5
    t3 = t2 * lam * (1.0 / 3.0)
    f0 = t0
    f1 = f0 + t1
    f2 = f1 + t2
    total = f2 + t3
    k = int(u > f0) + int(u > f1) + int(u > f2) + int(u > total)
    if k < 4:
        return k, pos
    term = t3
    while term > 0.0:  # k > 3: add the terms t_4, t_5, ... until their sum reaches u
        term *= lam * _RECIPROCALS[k] if k < _RECIPROCALS.shape[0] else lam / k
        total += term
        if u <= total:
            break
        k += 1
    return k, pos


@njit(nogil=True, cache=True, inline="always")
def _cell(
    rng: np.random.Generator, block: np.ndarray, pos: int, lam: float, gap: float
) -> tuple[int, int, float]:
    """One Poisson(lam) count of a marked cohort, the new position in ``block`` and ``gap``.

    Means of at least GAPS_BELOW are drawn directly. Smaller ones are read off one unit-rate
    Poisson process that runs through every small cell of a path: ``gap`` is the distance to its
    next event. The exponential gap is memoryless, so consecutive cells get independent
    Poisson counts exactly, at the cost of one comparison per empty cell and one uniform per
    event.
    """
    if lam >= GAPS_BELOW:
        k, pos = _poisson(rng, block, pos, lam, False)
        return k, pos, gap
    k = 0
    while gap <= lam:
        lam -= gap
        k += 1
        u, pos = _uniform(rng, block, pos)
        gap = -math.log1p(-u)
    return k, pos, gap - lam


@njit(nogil=True, cache=True, inline="always")
def _binomial(
    rng: np.random.Generator, block: np.ndarray, pos: int, n: int, q: float, exact: bool
) -> tuple[int, int]:
    """One Binomial(n, q) count (q clipped to [0, 1]), and the new position in ``block``."""
    if n <= 0 or not q > 0.0:
        return 0, pos
    if q >= 1.0:
        return n, pos
    var = n * q * (1.0 - q)
    if var >= NORMAL_FROM and not exact:
        draw = np.rint(n * q + math.sqrt(var) * rng.standard_normal())
        return int(min(max(draw, 0.0), float(n))), pos
    p = min(q, 1.0 - q)
    if n * p >= INVERSION_BELOW:
        k = int(rng.binomial(n, p))
    else:
        u, pos = _uniform(rng, block, pos)
        odds = p / (1.0 - p)
        # P(k) / P(k - 1) = (n + 1 - k) / k x odds; the first four outcomes without branches
        t0 = math.exp(n * math.log1p(-p))
        t1 = t0 * n * odds
        t2 = t1 * (n - 1) * 0.5 * odds
        t3 = t2 * (n - 2) * (1.0 / 3.0) * odds
        f0 = t0
        f1 = f0 + t1
        f2 = f1 + t2
        total = f2 + t3
        k = min(int(u > f0) + int(u > f1) + int(u > f2) + int(u > total), n)
        if k == 4:
            step = (n + 1) * odds
            term = t3
            while k < n and term > 0.0:  # add t_4, t_5, ... until their sum reaches u
                inverse = _RECIPROCALS[k] if k < _RECIPROCALS.shape[0] else 1.0 / k
                term *= step * inverse - odds
                total += term
                if u <= total:
                    break
                k += 1
    return (k if p == q else n - k), pos


@njit(nogil=True, cache=True)
def binomial(rng: np.random.Generator, n: np.ndarray, q: np.ndarray, exact: bool) -> np.ndarray:
    """Binomial(n[i], q[i]) for every i (1-d arrays of one length)."""
    out = np.empty(n.shape[0], dtype=np.int64)
    block = np.empty(BLOCK)
    pos = BLOCK
    for i in range(n.shape[0]):
        out[i], pos = _binomial(rng, block, pos, n[i], q[i], exact)
    return out


@njit(nogil=True, cache=True)
def poisson(rng: np.random.Generator, lam: np.ndarray, exact: bool) -> np.ndarray:
    """Poisson(lam[i]) for every i (a 1-d array)."""
    out = np.empty(lam.shape[0], dtype=np.int64)
    block = np.empty(BLOCK)
    pos = BLOCK
    for i in range(lam.shape[0]):
        out[i], pos = _poisson(rng, block, pos, lam[i], exact)
    return out


@njit(nogil=True, cache=True)
def _monthly_outputs(
    paths: int, horizon: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A monthly group's results, zero, shape (paths, H): customers, MRR, switchers and the
    switchers' monthly MRR."""
    return (
        np.zeros((paths, horizon), dtype=np.int64),
        np.zeros((paths, horizon), dtype=np.float64),
        np.zeros((paths, horizon), dtype=np.int64),
        np.zeros((paths, horizon), dtype=np.float64),
    )


@njit(nogil=True, cache=True)
def new_cohorts(
    rng: np.random.Generator,
    expected: np.ndarray,
    churn: np.ndarray,
    conversion: np.ndarray,
    price: float,
    growth: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every new cohort of a monthly group, path by path, as a marked Poisson process.

    ``expected[p, a - 1]`` is the mean size of path p's cohort acquired in month a = 1..H,
    ``churn[p]`` its monthly churn, ``conversion[t]`` the switching rate in month t (index 0
    unused); a customer pays ``price`` x ``growth`` ** age. A cohort's size is Poisson and each
    customer independently leaves by churn or by switching in one month, or stays to month H;
    marking a Poisson count by such outcomes gives independent Poisson counts per outcome (means:
    expected x the outcome's probability), equal in distribution to thinning the cohort by a
    Binomial each month.

    Only month totals are kept: customers acquired and lost per month, and the MRR lost (at the
    price the leavers would have paid that month), so that customers(t) = customers(t - 1) +
    acquired(t) - lost(t) and MRR(t) = growth x MRR(t - 1) + price x acquired(t) - MRR lost(t).
    Returns, shape (paths, H), the customers and MRR of month t at column t - 1, and the
    switchers of month t with the monthly MRR they had.
    """
    paths, horizon = expected.shape
    customers, mrr, switched, switched_mrr = _monthly_outputs(paths, horizon)
    acquired = np.zeros(horizon + 1, dtype=np.int64)
    lost = np.zeros(horizon + 1, dtype=np.int64)
    lost_mrr = np.zeros(horizon + 1, dtype=np.float64)
    at_age = price * growth ** np.arange(horizon + 1)
    switching = bool((conversion > 0.0).any())
    block = np.empty(BLOCK)
    pos = BLOCK
    for path in range(paths):
        c = churn[path]
        u, pos = _uniform(rng, block, pos)
        gap = -math.log1p(-u)
        acquired[:] = 0
        lost[:] = 0
        lost_mrr[:] = 0.0
        log_stay = math.log1p(-c) if 0.0 < c < 1.0 else 0.0
        for a in range(1, horizon + 1):
            lam = expected[path, a - 1]
            if not lam > 0.0:
                continue
            span = horizon - a
            leave = -math.expm1(span * log_stay)
            if not switching and log_stay < 0.0 and lam * leave < EVENTS_PER_CELL * span:
                # leavers ~ Poisson(lam x leave), each leaving after a truncated geometric number
                # of months (the marked process, counted by leaver instead of by month)
                leavers, pos = _poisson(rng, block, pos, lam * leave, True)
                for _ in range(leavers):
                    u, pos = _uniform(rng, block, pos)
                    age = 1 + int(math.log1p(-u * leave) / log_stay)
                    age = min(max(age, 1), span)
                    lost[a + age] += 1
                    lost_mrr[a + age] += at_age[age]
                stay, pos, gap = _cell(rng, block, pos, lam * (1.0 - leave), gap)
                acquired[a] += leavers + stay
                continue
            before = lam
            total = 0
            for t in range(a + 1, horizon + 1):
                u_t = conversion[t]
                left, pos, gap = _cell(rng, block, pos, before * c, gap)
                if u_t > 0.0:
                    moved, pos, gap = _cell(rng, block, pos, before * (1.0 - c) * u_t, gap)
                    if moved > 0:
                        switched[path, t - 1] += moved
                        switched_mrr[path, t - 1] += moved * at_age[t - 1 - a]
                    left += moved
                    before *= (1.0 - c) * (1.0 - u_t)
                else:
                    before *= 1.0 - c
                lost[t] += left
                lost_mrr[t] += left * at_age[t - a]
                total += left
            stay, pos, gap = _cell(rng, block, pos, before, gap)
            acquired[a] += total + stay
        count = 0
        value = 0.0
        for t in range(1, horizon + 1):
            count += acquired[t] - lost[t]
            value = growth * value + price * acquired[t] - lost_mrr[t]
            if count == 0 or value < 0.0:
                value = 0.0
            customers[path, t - 1] = count
            mrr[path, t - 1] = value
    return customers, mrr, switched, switched_mrr


@njit(nogil=True, cache=True)
def monthly_group(
    rng: np.random.Generator,
    exact: bool,
    base: int,
    per_age: bool,
    churn: np.ndarray,
    price: float,
    growth: float,
    conversion: np.ndarray,
    new: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One monthly group drawn month by month, path by path.

    It starts with ``base`` customers acquired in month 0; a customer acquired in month a pays
    ``price`` x ``growth`` ** (t - a) in month t. Without ``per_age`` all customers are one row
    (they pay the same, or only the base is drawn here); with it every acquisition month is its
    own row. In month t each row keeps ~ Binomial(count, 1 - churn[p]), then loses switchers
    ~ Binomial(survivors, conversion[t]); then ``new[p, t - 1]`` customers join.
    Returns, shape (paths, H): customers, MRR, switchers and the switchers' monthly MRR.
    """
    paths, horizon = new.shape
    customers, mrr, switched, switched_mrr = _monthly_outputs(paths, horizon)
    rows = np.zeros(horizon + 1, dtype=np.int64)
    at_age = price * growth ** np.arange(horizon + 1)
    block = np.empty(BLOCK)
    pos = BLOCK
    for p in range(paths):
        rows[:] = 0
        rows[0] = base
        for t in range(1, horizon + 1):
            u = conversion[t]
            count = 0
            value = 0.0
            for r in range(t if per_age else 1):
                n = rows[r]
                if n == 0:
                    continue
                lost, pos = _binomial(rng, block, pos, n, churn[p], exact)
                n -= lost
                if u > 0.0 and n > 0:
                    moved, pos = _binomial(rng, block, pos, n, u, exact)
                    n -= moved
                    switched[p, t - 1] += moved
                    switched_mrr[p, t - 1] += at_age[t - r] * moved
                rows[r] = n
                count += n
                value += at_age[t - r] * n
            joining = new[p, t - 1]
            rows[t if per_age else 0] += joining
            customers[p, t - 1] = count + joining
            mrr[p, t - 1] = value + price * joining
    return customers, mrr, switched, switched_mrr


@njit(nogil=True, cache=True)
def annual_group(
    rng: np.random.Generator,
    exact: bool,
    base: np.ndarray,
    base_price: float,
    churn: np.ndarray,
    growth: float,
    joining: np.ndarray,
    joining_mrr: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One annual group drawn month by month, path by path.

    Rows 0..11 hold the existing ``base`` by first renewal month 1..12 at ``base_price``, row
    11 + a the ``joining[p, a - 1]`` customers of month a, paying ``joining_mrr[p, a - 1]`` in
    all (new customers at the annual price, or a month's switchers at their average MRR). A row
    renews every 12 months: survivors ~ Binomial(count, 1 - churn[p]), whose MRR grows by
    ``growth``; a year's MRR is cash when customers join and when they renew.
    Returns, shape (paths, H): customers, MRR and cash.
    """
    paths, horizon = joining.shape
    customers = np.zeros((paths, horizon), dtype=np.int64)
    mrr = np.zeros((paths, horizon), dtype=np.float64)
    cash = np.zeros((paths, horizon), dtype=np.float64)
    count = np.zeros(horizon + 12, dtype=np.int64)
    unit = np.zeros(horizon + 12, dtype=np.float64)
    block = np.empty(BLOCK)
    pos = BLOCK
    for p in range(paths):
        count[:] = 0
        unit[:] = 0.0
        total = 0
        value = 0.0
        for r in range(12):
            count[r] = base[r]
            unit[r] = base_price
            total += base[r]
            value += base[r] * base_price
        for t in range(1, horizon + 1):
            renewed = 0.0
            for r in range((t - 1) % 12, t + 11, 12):
                n = count[r]
                if n == 0:
                    continue
                lost, pos = _binomial(rng, block, pos, n, churn[p], exact)
                value -= n * unit[r]
                total -= lost
                n -= lost
                count[r] = n
                unit[r] *= growth
                renewed += n * unit[r]
            n = joining[p, t - 1]
            count[t + 11] = n
            unit[t + 11] = joining_mrr[p, t - 1] / n if n > 0 else 0.0
            total += n
            value += renewed + joining_mrr[p, t - 1]
            # a running total updated by differences: keep its rounding off the zero line
            if total == 0 or value < 0.0:
                value = 0.0
            customers[p, t - 1] = total
            mrr[p, t - 1] = value
            cash[p, t - 1] = 12.0 * (renewed + joining_mrr[p, t - 1])
    return customers, mrr, cash


def warm() -> None:
    """Compile every loop for the argument types the Monte Carlo passes (numba caches the
    machine code beside this file, so later processes load it instead of compiling, which
    takes several seconds). ``make`` runs it once after installing the requirements."""
    rng = np.random.default_rng(0)
    whole = np.ones((2, 3), dtype=np.int64)
    money = np.ones((2, 3), dtype=np.float64)
    churn = np.full(2, 0.1)
    rates = np.zeros(4)
    binomial(rng, np.ones(2, dtype=np.int64), churn, False)
    poisson(rng, churn, False)
    new_cohorts(rng, money, churn, rates, 1.0, 1.01)
    monthly_group(rng, False, 1, False, churn, 1.0, 1.01, rates, whole)
    annual_group(rng, False, np.ones(12, dtype=np.int64), 1.0, churn, 1.05, whole, money)


if __name__ == "__main__":
    warm()
