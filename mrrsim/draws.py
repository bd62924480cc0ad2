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

__all__ = ["BLOCK", "INVERSION_BELOW", "NORMAL_FROM", "binomial", "new_cohorts", "poisson"]

BLOCK = 512  # uniforms drawn from the Generator at a time

NORMAL_FROM = 50.0  # variance from which a Binomial or Poisson may be drawn as a rounded normal
INVERSION_BELOW = 40.0  # mean below which a count is drawn by inversion (about mean + 1 steps)
GAPS_BELOW = 0.5  # mean below which a cohort's count is read off one Poisson process by gaps
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
    term = math.exp(-lam)
    total = term
    k = 0
    while u > total and term > 0.0:
        k += 1
        term *= lam * _RECIPROCALS[k] if k < _RECIPROCALS.shape[0] else lam / k
        total += term
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
        step = (n + 1) * odds
        term = math.exp(n * math.log1p(-p))
        total = term
        k = 0
        while u > total and k < n and term > 0.0:
            k += 1
            term *= step * _RECIPROCALS[k] - odds if k < _RECIPROCALS.shape[0] else step / k - odds
            total += term
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
    customers = np.zeros((paths, horizon), dtype=np.int64)
    mrr = np.zeros((paths, horizon), dtype=np.float64)
    switched = np.zeros((paths, horizon), dtype=np.int64)
    switched_mrr = np.zeros((paths, horizon), dtype=np.float64)
    acquired = np.zeros(horizon + 1, dtype=np.int64)
    lost = np.zeros(horizon + 1, dtype=np.int64)
    lost_mrr = np.zeros(horizon + 1, dtype=np.float64)
    at_age = price * growth ** np.arange(horizon + 1)
    block = np.empty(BLOCK)
    pos = BLOCK
    for path in range(paths):
        c = churn[path]
        u, pos = _uniform(rng, block, pos)
        gap = -math.log1p(-u)
        acquired[:] = 0
        lost[:] = 0
        lost_mrr[:] = 0.0
        for a in range(1, horizon + 1):
            lam = expected[path, a - 1]
            if not lam > 0.0:
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
def segment(
    rng: np.random.Generator,
    exact: bool,
    m_base: np.ndarray,
    m_rows: np.ndarray,
    m_churn: np.ndarray,
    m_price: np.ndarray,
    m_growth: np.ndarray,
    m_conversion: np.ndarray,
    m_keep: np.ndarray,
    m_new: np.ndarray,
    m_extra_customers: np.ndarray,
    m_extra_mrr: np.ndarray,
    m_extra_switched: np.ndarray,
    m_extra_switched_mrr: np.ndarray,
    a_churn: np.ndarray,
    a_growth: np.ndarray,
    a_price: np.ndarray,
    a_base: np.ndarray,
    a_base_price: np.ndarray,
    a_switched: np.ndarray,
    a_new: np.ndarray,
    customers: np.ndarray,
    mrr: np.ndarray,
    cash: np.ndarray,
) -> None:
    """One segment's months, path by path, added to ``customers``, ``mrr`` and ``cash``
    (shape (paths, H), month t at column t - 1).

    Monthly groups g (``m_*``, first axis g) start with ``m_base[g]`` customers acquired in month
    0. ``m_rows[g]`` is 1 when all its customers are drawn
    as one row (the existing base, with the new customers added to it when every customer pays
    the same), or H + 1 for one row per acquisition month 0..H; a customer acquired in month a
    pays ``m_price[g]`` x ``m_growth[g]`` ** (t - a) in month t. In month t, survivors of each
    row ~ Binomial(count, 1 - churn), then switchers ~ Binomial(survivors, conversion[t]); they
    join the switched annual group paying ``m_keep`` (1 - discount) times their monthly MRR.
    New customers ``m_new[g, p, t - 1]`` join (row 0 or their own row); cohorts drawn elsewhere
    add ``m_extra_*`` (their customers, MRR, switchers and the switchers' monthly MRR).

    Annual groups g (``a_*``): rows 0..11 hold the existing base by first renewal month 1..12 at
    ``a_base_price``, row 11 + a the customers acquired in month a (new at ``a_price``, or this
    month's switchers at their average MRR when ``a_switched``). A row renews every 12 months:
    survivors ~ Binomial(count, 1 - churn), whose MRR grows by ``a_growth``; the year's MRR is
    cash when they join and when they renew.
    """
    paths, horizon = customers.shape
    n_monthly = m_rows.shape[0]
    n_annual = a_churn.shape[0]
    block = np.empty(BLOCK)
    pos = BLOCK
    rows = np.zeros((n_monthly, horizon + 1), dtype=np.int64)
    count = np.zeros((n_annual, horizon + 12), dtype=np.int64)
    unit = np.zeros((n_annual, horizon + 12), dtype=np.float64)
    at_age = np.ones((n_monthly, horizon + 1), dtype=np.float64)
    for g in range(n_monthly):
        at_age[g] = m_price[g] * m_growth[g] ** np.arange(horizon + 1)
    for p in range(paths):
        rows[:, :] = 0
        for g in range(n_monthly):
            rows[g, 0] = m_base[g]
        count[:, :] = 0
        unit[:, :] = 0.0
        a_count = np.zeros(n_annual, dtype=np.int64)
        a_mrr = np.zeros(n_annual, dtype=np.float64)
        for g in range(n_annual):
            for r in range(12):
                count[g, r] = a_base[g, r]
                unit[g, r] = a_base_price[g]
                a_count[g] += a_base[g, r]
                a_mrr[g] += a_base[g, r] * a_base_price[g]
        for t in range(1, horizon + 1):
            switch_count = 0
            switch_mrr = 0.0
            month_customers = 0
            month_mrr = 0.0
            for g in range(n_monthly):
                u = m_conversion[g, t]
                live = 1 if m_rows[g] == 1 else t
                for r in range(live):
                    n = rows[g, r]
                    if n == 0:
                        continue
                    lost, pos = _binomial(rng, block, pos, n, m_churn[g, p], exact)
                    n -= lost
                    price = at_age[g, t - r]
                    if u > 0.0 and n > 0:
                        moved, pos = _binomial(rng, block, pos, n, u, exact)
                        n -= moved
                        switch_count += moved
                        switch_mrr += m_keep[g] * price * moved
                    rows[g, r] = n
                    month_customers += n
                    month_mrr += price * n
                joining = m_new[g, p, t - 1]
                if m_rows[g] == 1:
                    rows[g, 0] += joining
                else:
                    rows[g, t] = joining
                month_customers += joining + m_extra_customers[g, p, t - 1]
                month_mrr += m_price[g] * joining + m_extra_mrr[g, p, t - 1]
                switch_count += m_extra_switched[g, p, t - 1]
                switch_mrr += m_keep[g] * m_extra_switched_mrr[g, p, t - 1]
            month_cash = month_mrr
            for g in range(n_annual):
                renewed = 0.0
                for r in range((t - 1) % 12, t + 11, 12):
                    n = count[g, r]
                    if n == 0:
                        continue
                    lost, pos = _binomial(rng, block, pos, n, a_churn[g, p], exact)
                    a_mrr[g] -= n * unit[g, r]
                    a_count[g] -= lost
                    n -= lost
                    count[g, r] = n
                    unit[g, r] *= a_growth[g]
                    renewed += n * unit[g, r]
                a_mrr[g] += renewed
                if a_switched[g]:
                    joining = switch_count
                    joining_mrr = switch_mrr
                    unit[g, t + 11] = switch_mrr / switch_count if switch_count > 0 else 0.0
                else:
                    joining = a_new[g, p, t - 1]
                    joining_mrr = a_price[g] * joining
                    unit[g, t + 11] = a_price[g]
                count[g, t + 11] = joining
                a_count[g] += joining
                a_mrr[g] += joining_mrr
                # a running total updated by differences: keep its rounding off the zero line
                if a_count[g] == 0 or a_mrr[g] < 0.0:
                    a_mrr[g] = 0.0
                month_customers += a_count[g]
                month_mrr += a_mrr[g]
                month_cash += 12.0 * (renewed + joining_mrr)
            customers[p, t - 1] += month_customers
            mrr[p, t - 1] += month_mrr
            cash[p, t - 1] += month_cash
