"""The Monte Carlo engine (docs/model.md, "Monte Carlo"): how predictable is each plan?

A plan is the tuple of groups of ``policy.plan_groups`` (the same groups the projection solves
in expectation), so with no uncertainty the mean over many paths converges to ``project``.

Each path draws, once, a churn multiplier and an acquisition multiplier, log-normal with mean 1
and the scenario's coefficient of variation cv (sigma^2 = ln(1 + cv^2), mu = -sigma^2 / 2;
exactly 1 when cv is 0). Every group's churn is multiplied by the path's churn multiplier and
clipped to [0, 1]. Then, month by month for t = 1..H, per segment and group:

- new customers ~ Poisson(n(t) * share * acquisition multiplier) per group (independent Poisson
  counts per group are equal in distribution to one Poisson count split by choice);
- monthly customers survive ~ Binomial(count, 1 - churn) per cohort (age); then, in the
  switching months, switchers ~ Binomial(survivors of age >= 1, u) per cohort. The switchers of
  a month form one cohort of the segment's switched annual group, paying (1 - d) times their
  monthly MRR, 12 months up front;
- annual cohorts survive ~ Binomial(count, 1 - churn) at their renewal months only, and their
  MRR per customer grows by (1 + annual_expansion) at each renewal. The existing annual base
  first renews in months 1..12 (its calendar rounded by largest remainders, or the even spread
  with the remainder to the earliest months) at its signed price.

A switch cohort gathers customers of several ages, so their monthly MRRs differ; the engine keeps
its MRR per customer as the cohort's average (every renewal keeps each survivor at that average
times 1 + annual_expansion). The expected MRR is exact; only the spread inside one switch
cohort is averaged (without monthly expansion every switcher pays the same and nothing is).

Draws: a Binomial(n, q) with n q (1 - q) >= 50 is drawn as round(n q + sqrt(n q (1 - q)) z)
clipped to [0, n], a Poisson(lam) with lam >= 50 as round(lam + sqrt(lam) z) clipped at 0, with
z standard normal; smaller ones are drawn exactly (``exact=True`` draws all of them exactly).
Exact shortcut: without monthly expansion every customer of a monthly group pays the same, so
the group survives as one Binomial on its total (a sum of independent binomials with one rate is
a binomial of the sum); otherwise survivors are drawn per age, as an array (ages, paths).

Randomness: ``np.random.default_rng(seed)`` first draws the two standard normals per path behind
the multipliers, then spawns one child stream per segment (scenario order) and from each one
stream per chunk of CHUNK paths. So the same seed gives the same numbers whatever the number of
threads that run the chunks, and the three plans simulated with one seed share their per-path
shocks (common random numbers), which makes their ranges directly comparable. Paths are drawn
in chunks, so the working memory of the draws is bounded whatever the number of paths.

Quantiles (p10, p50, p90) are computed over paths by polars with linear interpolation (the same
rule as numpy's default). numpy is used only inside the draw loop; everything after is polars.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from mrrsim.metrics import PLANS, plan_variants
from mrrsim.policy import Group, Variant, as_variant, plan_groups
from mrrsim.scenario import Scenario

__all__ = [
    "MAX_DRAWS",
    "MAX_PATHS",
    "METRICS",
    "PLANS",
    "QUANTILES",
    "SimulationTooLargeError",
    "affordable_paths",
    "draw_binomial",
    "draw_poisson",
    "ending_distribution",
    "existing_annual_spread",
    "largest_remainders",
    "multiplier",
    "plan_paths",
    "prob_reaching",
    "share_at_least",
    "simulate",
    "simulate_paths",
    "simulate_plans",
    "simulation_draws",
    "summarize_paths",
]

METRICS = ("mrr", "arr", "customers", "cash", "cumulative_cash")
QUANTILES = (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))
MAX_PATHS = 100_000
CHUNK = 1_000  # paths per random stream; fixed, so results do not depend on the thread count
MAX_NEW_PER_MONTH = 1e12  # above this, drawing customers one by one stops making sense
LIFETIME_RATIO = 0.5  # a geometric lifetime costs about twice a Poisson draw (numpy, measured)
NORMAL_FROM = 50.0  # variance from which a Binomial or Poisson may be drawn as a rounded normal
# The budget of one request, in cohort-month draws (paths x cohorts alive x months). Measured on
# the worst valid case (20 segments, 120 months, large bases, uncertainty 0.5): one draw costs at
# most about 90 ns of CPU there, so 1e8 draws stay under 10 s of CPU (benchmarks/bench_budget.py).
MAX_DRAWS = 100_000_000
# Every path-month of results costs about 100 bytes until it is summarised (the per-path frame
# and its totals), so 3.6 million of them (three plans x 10,000 paths x 120 months) stay near
# 400 MB at the peak.
MAX_PATH_MONTHS = 3_600_000
Checkpoint = Callable[[], None]


class SimulationTooLargeError(ValueError):
    """A simulation whose size exceeds the budget of one request (or an exploding count)."""


def _check_args(paths: object, seed: object) -> tuple[int, int]:
    """Refuse anything but whole paths in 1..MAX_PATHS and a whole seed >= 0."""
    if isinstance(paths, bool) or not isinstance(paths, numbers.Integral):
        raise ValueError(f"paths: must be a whole number (got {paths!r})")
    if not 1 <= paths <= MAX_PATHS:
        raise ValueError(f"paths: must be between 1 and {MAX_PATHS:,} (got {paths!r})")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed: must be a whole number (got {seed!r})")
    if seed < 0:
        raise ValueError(f"seed: must be zero or more (got {seed!r})")
    return int(paths), int(seed)


def multiplier(z: np.ndarray, cv: float) -> np.ndarray:
    """Log-normal multipliers with mean 1 and coefficient of variation cv from standard normals."""
    if cv == 0:
        return np.ones_like(z)
    sigma2 = math.log1p(cv * cv)
    return np.exp(-sigma2 / 2.0 + math.sqrt(sigma2) * z)


def existing_annual_spread(count: float) -> list[int]:
    """The existing annual base as whole customers first renewing in months 1..12."""
    whole, extra = divmod(round(count), 12)
    return [whole + 1] * extra + [whole] * (12 - extra)


def largest_remainders(values: Sequence[float]) -> list[int]:
    """Whole counts summing to round(sum(values)): floors, plus one for the largest remainders
    (ties to the earliest position)."""
    floors = [math.floor(v) for v in values]
    short = round(math.fsum(values)) - sum(floors)
    order = sorted(range(len(values)), key=lambda i: (-(values[i] - floors[i]), i))
    for i in order[: max(short, 0)]:
        floors[i] += 1
    return floors


def _annual_base(variant: Variant, group: Group) -> list[int]:
    """Whole customers of a group's existing annual base by first-renewal month 1..12."""
    seg = variant.scenario.segments[group.seg_idx]
    if seg.existing_annual_renewals is not None:
        return largest_remainders(seg.existing_annual_renewals)
    return existing_annual_spread(seg.existing_annual_customers)


def draw_binomial(
    rng: np.random.Generator, n: np.ndarray, q: np.ndarray | float, exact: bool = False
) -> np.ndarray:
    """Binomial(n, q) elementwise; those with variance n q (1 - q) >= 50 as a rounded normal
    clipped to [0, n] (unless ``exact``). ``q`` broadcasts against ``n``."""
    q_full = np.broadcast_to(q, n.shape)
    if exact:
        return rng.binomial(n, q_full)
    var = n * (q_full * (1.0 - q_full))
    if var.size == 0 or var.max() < NORMAL_FROM:
        return rng.binomial(n, q_full)
    big = var >= NORMAL_FROM
    out = np.empty(n.shape, dtype=np.int64)
    small = ~big
    out[small] = rng.binomial(n[small], q_full[small])
    nb = n[big]
    approx = np.rint(nb * q_full[big] + np.sqrt(var[big]) * rng.standard_normal(nb.size))
    out[big] = np.clip(approx, 0, nb).astype(np.int64)
    return out


def draw_poisson(rng: np.random.Generator, lam: np.ndarray, exact: bool = False) -> np.ndarray:
    """Poisson(lam) elementwise; lam >= 50 as a rounded normal clipped at 0 (unless ``exact``)."""
    if exact:
        return rng.poisson(lam)
    if lam.size == 0 or lam.max() < NORMAL_FROM:
        return rng.poisson(lam)
    big = lam >= NORMAL_FROM
    out = np.empty(lam.shape, dtype=np.int64)
    out[~big] = rng.poisson(lam[~big])
    lb = lam[big]
    out[big] = np.maximum(np.rint(lb + np.sqrt(lb) * rng.standard_normal(lb.size)), 0.0)
    return out


def _live(group: Group, groups: Sequence[Group]) -> bool:
    """Groups that can hold customers: the rest are skipped (their draws would all be 0)."""
    if group.origin == "switched":
        return any(g.seg_idx == group.seg_idx and g.conversion > 0 for g in groups)
    return group.share > 0 or any(group.base)


def _per_age(group: Group) -> bool:
    return group.term == "monthly" and group.expansion != 0.0


def simulation_draws(item: Scenario | Variant, paths: int) -> int:
    """The size of a simulation in cohort-month draws: paths x the cohorts alive each month
    (monthly groups with expansion keep one cohort per age; others draw once a month per group)."""
    variant = as_variant(item)
    horizon = variant.horizon
    groups = plan_groups(variant)
    per_path = 0
    for group in groups:
        if not _live(group, groups):
            continue
        if _per_age(group):
            per_path += horizon * (horizon + 1) // 2 * (2 if group.conversion else 1)
        else:
            per_path += horizon * (2 if group.conversion else 1)
    return paths * max(per_path, 1)


def affordable_paths(items: Sequence[Scenario | Variant], wanted: int) -> int:
    """The most paths (at most ``wanted``, at least 1) that keep ``items`` within the budget:
    MAX_DRAWS random draws (CPU) and MAX_PATH_MONTHS path-months of results (memory)."""
    per_path = sum(simulation_draws(item, 1) for item in items)
    months = sum(as_variant(item).horizon for item in items)
    return max(1, min(wanted, MAX_DRAWS // per_path, MAX_PATH_MONTHS // months))


def _check_budget(items: Sequence[Scenario | Variant], paths: int) -> None:
    draws = sum(simulation_draws(item, paths) for item in items)
    rows = sum(as_variant(item).horizon for item in items) * paths
    if draws > MAX_DRAWS or rows > MAX_PATH_MONTHS:
        most = affordable_paths(items, paths)
        raise SimulationTooLargeError(
            f"paths: {paths:,} paths of this scenario are more than one request may take "
            f"(about {draws / 1e6:,.0f} million random draws and {rows:,} path-months; the "
            f"limits are {MAX_DRAWS / 1e6:,.0f} million and {MAX_PATH_MONTHS:,}); "
            f"use at most {most:,} paths, or fewer segments or months"
        )


@dataclass(frozen=True)
class _Totals:
    """Per-path totals over segments and terms, shape (horizon, paths): row t - 1 is month t."""

    mrr: np.ndarray
    customers: np.ndarray
    cash: np.ndarray


@dataclass
class _Annual:
    """An annual group's customers by acquisition month a = row - 11 (rows 0..11: the existing
    base by first renewal month), their MRR per customer, and running totals."""

    group: Group
    cohorts: np.ndarray
    unit: np.ndarray
    churn: np.ndarray
    new: np.ndarray | None
    count: np.ndarray
    mrr: np.ndarray


@dataclass
class _Extra:
    """Customers, MRR, switchers and their monthly MRR per month (horizon, paths) of the new
    cohorts of a monthly group drawn at once."""

    customers: np.ndarray
    mrr: np.ndarray
    switched: np.ndarray
    switched_mrr: np.ndarray


@dataclass
class _Monthly:
    """A monthly group: ``cohorts`` holds the customers drawn month by month, one row per
    acquisition month in ``months`` (0: the existing base; one pooled row when every customer
    pays the same); ``rows_at[t]`` is the row of month t's new cohort (-1 when it is not drawn
    month by month). ``extra`` holds what the new cohorts drawn at once add per month."""

    group: Group
    cohorts: np.ndarray
    months: np.ndarray
    rows_at: np.ndarray
    churn: np.ndarray
    new: np.ndarray
    price_by_age: np.ndarray
    extra: _Extra | None


def _lifetimes(
    count: np.ndarray, churn: np.ndarray, months: int, rng: np.random.Generator
) -> np.ndarray:
    """Customers alive at ages 0..months - 1 of one cohort (shape (months, paths)), from one
    geometric lifetime per customer: equal in distribution to a Binomial per month."""
    paths = count.shape[0]
    owner = np.repeat(np.arange(paths), count)
    q = churn[owner]
    lifetime = rng.geometric(np.where(q > 0.0, q, 1.0))
    lifetime = np.where(q > 0.0, np.minimum(lifetime, months), months)
    deaths = np.bincount(owner * (months + 1) + lifetime, minlength=paths * (months + 1))
    dead = np.cumsum(deaths.reshape(paths, months + 1), axis=1)[:, :months]
    return (count[:, None] - dead).T


def _marked_cohort(
    group: Group,
    first: int,
    horizon: int,
    expected: np.ndarray,
    churn: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """(alive at ages 0..H - a, switchers at ages 1..H - a) of the cohort acquired in month
    ``first`` = a, shapes (ages, paths), drawn as a marked Poisson process.

    The cohort's size is Poisson(expected) and every customer independently leaves by churn or
    by switching in some month, or is still there in month H. Marking a Poisson count by such
    independent outcomes gives independent Poisson counts per outcome, with means expected x
    the outcome's probability: equal in distribution to a Poisson cohort thinned by a Binomial
    each month, with one Poisson draw per month and outcome instead.
    """
    span = horizon - first
    months = range(first + 1, horizon + 1)
    u = np.array([group.conversion_at(t) for t in months], dtype=np.float64)
    stay = (1.0 - churn)[None, :] * (1.0 - u)[:, None]  # (span, paths)
    before = np.ones((span + 1, churn.shape[0]))
    np.cumprod(stay, axis=0, out=before[1:])
    lost = draw_poisson(rng, expected * before[:-1] * churn)
    switched = np.zeros_like(lost)
    if u.any():
        switched = draw_poisson(rng, expected * before[:-1] * (1.0 - churn) * u[:, None])
    remaining = draw_poisson(rng, expected * before[-1])
    alive = np.empty((span + 1, churn.shape[0]), dtype=np.int64)
    alive[-1] = remaining
    alive[:-1] = remaining + np.cumsum((lost + switched)[::-1], axis=0)[::-1]
    return alive, switched


def _new_cohorts(
    group: Group,
    horizon: int,
    expected: np.ndarray,
    churn: np.ndarray,
    price: np.ndarray,
    rng: np.random.Generator,
) -> _Extra:
    """Every new cohort of a monthly group with monthly expansion, drawn at once: a cohort with
    fewer customers on average than LIFETIME_RATIO x its months is followed by one geometric
    lifetime per customer (when nobody switches), the others as a marked Poisson process."""
    paths = churn.shape[0]
    extra = _Extra(
        customers=np.zeros((horizon, paths), dtype=np.int64),
        mrr=np.zeros((horizon, paths), dtype=np.float64),
        switched=np.zeros((horizon, paths), dtype=np.int64),
        switched_mrr=np.zeros((horizon, paths), dtype=np.float64),
    )
    for a in range(1, horizon + 1):
        lam = expected[a - 1]
        if not lam.any():
            continue
        span = horizon + 1 - a
        if group.conversion == 0.0 and float(lam.mean()) < LIFETIME_RATIO * span:
            alive = _lifetimes(draw_poisson(rng, lam), churn, span, rng)
        else:
            alive, switched = _marked_cohort(group, a, horizon, lam, churn, rng)
            extra.switched[a:] += switched
            extra.switched_mrr[a:] += switched * price[1:span, None]
        extra.customers[a - 1 :] += alive
        extra.mrr[a - 1 :] += alive * price[:span, None]
    return extra


def _expected_new(variant: Variant, group: Group, acq: np.ndarray) -> np.ndarray:
    """n(t) x share x the path's acquisition multiplier, shape (horizon, paths)."""
    seg = variant.scenario.segments[group.seg_idx]
    months = np.arange(variant.horizon, dtype=np.float64)
    with np.errstate(over="ignore"):
        expected = seg.new_customers * group.share * (1.0 + seg.acquisition_growth) ** months
    lam = expected[:, None] * acq[None, :]
    peak = float(lam.max(initial=0.0))
    if not peak <= MAX_NEW_PER_MONTH:
        raise SimulationTooLargeError(
            f"segments[{group.seg_idx}] ({seg.name}): new customers reach {peak:.3g} in one "
            "month; too many to simulate (lower new_customers or acquisition_growth)"
        )
    return lam


def _monthly_group(
    variant: Variant,
    group: Group,
    churn: np.ndarray,
    acq: np.ndarray,
    rng: np.random.Generator,
    exact: bool,
) -> _Monthly:
    """A monthly group's state: without expansion one pooled row; with expansion the base drawn
    month by month and the new cohorts drawn at once (``_new_cohorts``), or, when ``exact``,
    every cohort drawn month by month with exact Binomials (the plain formulation)."""
    horizon = variant.horizon
    paths = churn.shape[0]
    base = round(group.base[0]) if group.base else 0
    price = group.price * (1.0 + group.expansion) ** np.arange(horizon + 1)
    rows_at = np.full(horizon + 1, -1, dtype=np.int64)
    rows_at[0] = 0
    lam = _expected_new(variant, group, acq)
    if not _per_age(group) or exact:
        new = draw_poisson(rng, lam, exact)
        rows = horizon + 1 if _per_age(group) else 1
        cohorts = np.zeros((rows, paths), dtype=np.int64)
        cohorts[0] = base
        if rows > 1:
            rows_at[:] = np.arange(horizon + 1)
        return _Monthly(group, cohorts, np.arange(rows), rows_at, churn, new, price, None)
    cohorts = np.full((1, paths), base, dtype=np.int64)
    extra = _new_cohorts(group, horizon, lam, churn, price, rng)
    empty = np.zeros((horizon, paths), dtype=np.int64)
    return _Monthly(group, cohorts, np.zeros(1, np.int64), rows_at, churn, empty, price, extra)


def _setup(
    variant: Variant,
    seg_idx: int,
    churn_mult: np.ndarray,
    acq_mult: np.ndarray,
    rng: np.random.Generator,
    exact: bool,
) -> tuple[list[_Monthly], list[_Annual]]:
    groups = plan_groups(variant)
    horizon = variant.horizon
    paths = churn_mult.shape[0]
    monthly: list[_Monthly] = []
    annual: list[_Annual] = []
    for group in groups:
        if group.seg_idx != seg_idx or not _live(group, groups):
            continue
        churn = np.clip(group.churn * churn_mult, 0.0, 1.0)
        if group.term == "monthly":
            monthly.append(_monthly_group(variant, group, churn, acq_mult, rng, exact))
            continue
        new = (
            draw_poisson(rng, _expected_new(variant, group, acq_mult), exact)
            if group.share > 0
            else np.zeros((horizon, paths), dtype=np.int64)
        )
        cohorts = np.zeros((horizon + 12, paths), dtype=np.int64)
        unit = np.zeros((horizon + 12, paths), dtype=np.float64)
        if group.base:
            spread = np.array(_annual_base(variant, group), dtype=np.int64)
            cohorts[:12] = spread[:, None]
            unit[:12] = group.base_price
        unit[12:] = group.price
        count = cohorts[:12].sum(axis=0)
        mrr = (cohorts[:12] * unit[:12]).sum(axis=0)
        switched = group.origin == "switched"
        annual.append(_Annual(group, cohorts, unit, churn, None if switched else new, count, mrr))
    return monthly, annual


def _segment(
    variant: Variant,
    seg_idx: int,
    churn_mult: np.ndarray,
    acq_mult: np.ndarray,
    rng: np.random.Generator,
    exact: bool,
    out: _Totals,
) -> None:
    """Add one segment's customers, MRR and cash of every month to ``out`` (one chunk)."""
    monthly, annual = _setup(variant, seg_idx, churn_mult, acq_mult, rng, exact)
    horizon = variant.horizon
    paths = churn_mult.shape[0]
    for t in range(1, horizon + 1):
        switch_count = np.zeros(paths, dtype=np.int64)
        switch_mrr = np.zeros(paths, dtype=np.float64)
        for m in monthly:
            g = m.group
            pooled = not _per_age(g)
            live = 1 if pooled else int(np.searchsorted(m.months, t))
            alive = m.cohorts[:live]
            alive -= draw_binomial(rng, alive, m.churn, exact)
            u = g.conversion_at(t)
            prices = m.price_by_age[:1] if pooled else m.price_by_age[t - m.months[:live]]
            if u > 0:
                movers = draw_binomial(rng, alive, u, exact)
                alive -= movers
                switch_count += movers.sum(axis=0)
                switch_mrr += (1.0 - g.discount) * (prices @ movers)
            if pooled:
                alive += m.new[t - 1]
                mrr = g.price * alive[0]
                customers = alive[0]
            else:
                mrr = prices @ alive
                customers = alive.sum(axis=0)
                row = m.rows_at[t]
                if row >= 0:
                    m.cohorts[row] = m.new[t - 1]
                    mrr = mrr + g.price * m.new[t - 1]
                    customers = customers + m.new[t - 1]
            if m.extra is not None:
                customers = customers + m.extra.customers[t - 1]
                mrr = mrr + m.extra.mrr[t - 1]
                switch_count += m.extra.switched[t - 1]
                switch_mrr += (1.0 - g.discount) * m.extra.switched_mrr[t - 1]
            out.customers[t - 1] += customers
            out.mrr[t - 1] += mrr
            out.cash[t - 1] += mrr
        for a in annual:
            g = a.group
            renewing = slice((t - 1) % 12, t, 12)
            before = a.cohorts[renewing]
            lost = draw_binomial(rng, before, a.churn, exact)
            unit = a.unit[renewing]
            a.count -= lost.sum(axis=0)
            a.mrr -= (before * unit).sum(axis=0)
            before -= lost
            unit *= 1.0 + g.expansion
            renewed = (before * unit).sum(axis=0)
            a.mrr += renewed
            if a.new is None:
                joining, joining_mrr = switch_count, switch_mrr
                a.unit[t + 11] = np.divide(
                    switch_mrr, switch_count, out=np.zeros(paths), where=switch_count > 0
                )
            else:
                joining = a.new[t - 1]
                joining_mrr = g.price * joining
            a.cohorts[t + 11] = joining
            a.count += joining
            a.mrr += joining_mrr
            # the running total is updated by differences: keep its rounding off the zero line
            np.maximum(a.mrr, 0.0, out=a.mrr)
            a.mrr[a.count == 0] = 0.0
            out.customers[t - 1] += a.count
            out.mrr[t - 1] += a.mrr
            out.cash[t - 1] += 12.0 * (renewed + joining_mrr)


def _draw_chunk(
    variant: Variant,
    churn_mult: np.ndarray,
    acq_mult: np.ndarray,
    streams: list[np.random.Generator],
    exact: bool,
) -> _Totals:
    """Totals over segments for one chunk of paths, each segment on its own stream."""
    horizon = variant.horizon
    paths = churn_mult.shape[0]
    out = _Totals(
        mrr=np.zeros((horizon, paths), dtype=np.float64),
        customers=np.zeros((horizon, paths), dtype=np.int64),
        cash=np.zeros((horizon, paths), dtype=np.float64),
    )
    for seg_idx, rng in enumerate(streams):
        _segment(variant, seg_idx, churn_mult, acq_mult, rng, exact, out)
    return out


def _draw(
    item: Scenario | Variant,
    paths: int,
    seed: int,
    *,
    exact: bool = False,
    checkpoint: Checkpoint | None = None,
) -> _Totals:
    """Run every path of every segment and add up the totals (numpy draws only).

    Paths are cut into chunks of CHUNK with their own child streams (segment, then chunk), so
    the numbers never depend on how many threads run the chunks; numpy releases the GIL while
    drawing, so the chunks run in parallel on the available cores.
    """
    variant = as_variant(item)
    scenario = variant.scenario
    rng = np.random.default_rng(seed)
    z_churn, z_acq = rng.standard_normal((2, paths))
    churn_mult = multiplier(z_churn, scenario.uncertainty.churn)
    acq_mult = multiplier(z_acq, scenario.uncertainty.acquisition)
    starts = list(range(0, paths, CHUNK))
    by_segment = [child.spawn(len(starts)) for child in rng.spawn(len(scenario.segments))]
    jobs = [
        (
            variant,
            churn_mult[start : start + CHUNK],
            acq_mult[start : start + CHUNK],
            [streams[i] for streams in by_segment],
            exact,
        )
        for i, start in enumerate(starts)
    ]
    workers = min(len(jobs), os.cpu_count() or 1)
    tick = checkpoint or (lambda: None)
    if workers == 1:
        parts = []
        for job in jobs:
            tick()
            parts.append(_draw_chunk(*job))
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_draw_chunk, *job) for job in jobs]
            try:
                parts = []
                for future in futures:
                    tick()
                    parts.append(future.result())
            except BaseException:
                for future in futures:
                    future.cancel()  # chunks not yet started never run
                raise
    return _Totals(
        mrr=np.concatenate([part.mrr for part in parts], axis=1),
        customers=np.concatenate([part.customers for part in parts], axis=1),
        cash=np.concatenate([part.cash for part in parts], axis=1),
    )


def _paths_lazy(
    item: Scenario | Variant,
    paths: int,
    seed: int,
    *,
    exact: bool = False,
    checkpoint: Checkpoint | None = None,
) -> pl.LazyFrame:
    """One row per (path, month) with every metric, as a lazy frame."""
    paths, seed = _check_args(paths, seed)
    _check_budget([item], paths)
    totals = _draw(item, paths, seed, exact=exact, checkpoint=checkpoint)
    horizon = as_variant(item).horizon
    return (
        pl.LazyFrame(
            {
                "path": np.repeat(np.arange(paths, dtype=np.int64), horizon),
                "month": np.tile(np.arange(1, horizon + 1, dtype=np.int64), paths),
                "mrr": totals.mrr.ravel(order="F"),
                "customers": totals.customers.ravel(order="F"),
                "cash": totals.cash.ravel(order="F"),
            }
        )
        .with_columns(
            (pl.col("mrr") * 12.0).alias("arr"),
            pl.col("cash").cum_sum().over("path", order_by="month").alias("cumulative_cash"),
        )
        .select("path", "month", *METRICS)
    )


def simulate_paths(
    item: Scenario | Variant, paths: int = 1000, seed: int = 0, *, exact: bool = False
) -> pl.DataFrame:
    """Every simulated path: one row per (path, month), columns path, month, mrr, arr,
    customers (Int64), cash, cumulative_cash; sorted by path then month. ``exact`` draws every
    count exactly (no normal approximation), for checking the approximation."""
    return _paths_lazy(item, paths, seed, exact=exact).collect(engine="in-memory")


def _stats(metric: str) -> pl.Expr:
    """Mean and p10/p50/p90 of one metric over the paths of a group, as one struct."""
    x = pl.col(metric).cast(pl.Float64)
    return pl.struct(
        x.mean().alias("mean"),
        *(x.quantile(q, interpolation="linear").alias(name) for name, q in QUANTILES),
    ).alias(metric)


def _summarise(lf: pl.LazyFrame, by_plan: bool) -> pl.LazyFrame:
    """Mean and p10/p50/p90 over paths for every ([plan,] month, metric).

    Aggregating per month first and reshaping the small result afterwards is several times
    faster than unpivoting every path's values into one long column.
    """
    keys = ["plan"] if by_plan else []
    order = [pl.col("plan").cast(pl.Enum(PLANS))] if by_plan else []
    return (
        lf.group_by(*keys, "month")
        .agg(_stats(metric) for metric in METRICS)
        .unpivot(index=[*keys, "month"], on=list(METRICS), variable_name="metric")
        .unnest("value")
        .sort(*order, pl.col("metric").cast(pl.Enum(METRICS)), "month")
        .select(*keys, "month", "metric", "mean", *(name for name, _ in QUANTILES))
    )


def summarize_paths(frame: pl.DataFrame) -> pl.DataFrame:
    """The ``simulate`` table of a ``simulate_paths`` frame, or the ``simulate_plans`` table of a
    ``plan_paths`` frame (when it has a ``plan`` column): draw once, summarise and query both."""
    return _summarise(frame.lazy(), by_plan="plan" in frame.columns).collect(engine="in-memory")


def simulate(
    item: Scenario | Variant, paths: int = 1000, seed: int = 0, *, exact: bool = False
) -> pl.DataFrame:
    """Per month and metric, the mean and p10/p50/p90 over simulated paths.

    Columns ``month, metric, mean, p10, p50, p90``; metrics in the order mrr, arr, customers,
    cash, cumulative_cash, each for months 1..H. Raises ValueError on bad paths or seed, and
    SimulationTooLargeError (a ValueError) when the simulation exceeds the budget of one request.
    """
    return _summarise(_paths_lazy(item, paths, seed, exact=exact), by_plan=False).collect(
        engine="in-memory"
    )


def _plan_paths_lazy(
    scenario: Scenario, paths: int, seed: int, checkpoint: Checkpoint | None
) -> pl.LazyFrame:
    variants = plan_variants(scenario)
    _check_budget(variants, paths)
    frames = [
        _paths_lazy(variant, paths, seed, checkpoint=checkpoint).select(
            pl.lit(plan).alias("plan"), pl.all()
        )
        for plan, variant in zip(PLANS, variants, strict=True)
    ]
    return pl.concat(frames)


def plan_paths(
    scenario: Scenario,
    paths: int = 1000,
    seed: int = 0,
    *,
    checkpoint: Checkpoint | None = None,
) -> pl.DataFrame:
    """``simulate_paths`` of your mix, all-monthly and all-annual under a leading ``plan`` column
    (PLANS order). One seed for all three, so the plans share their per-path shocks.

    ``checkpoint`` is called between chunks of paths; an exception it raises (a superseded
    request) stops the simulation there, leaving at most one chunk per thread to finish."""
    return _plan_paths_lazy(scenario, paths, seed, checkpoint).collect(engine="in-memory")


def simulate_plans(scenario: Scenario, paths: int = 1000, seed: int = 0) -> pl.DataFrame:
    """``simulate`` for your mix, all-monthly and all-annual, stacked under a leading ``plan``
    column (PLANS order). One seed for all three, so the plans share their per-path shocks."""
    return _summarise(_plan_paths_lazy(scenario, paths, seed, None), by_plan=True).collect(
        engine="in-memory"
    )


def ending_distribution(item: Scenario | Variant, paths: int = 1000, seed: int = 0) -> pl.DataFrame:
    """Month-H values of every path: columns path, mrr, arr, customers, cumulative_cash."""
    return (
        _paths_lazy(item, paths, seed)
        .filter(pl.col("month") == as_variant(item).horizon)
        .select("path", "mrr", "arr", "customers", "cumulative_cash")
        .collect(engine="in-memory")
    )


def prob_reaching(
    item: Scenario | Variant, target_mrr: float, paths: int = 1000, seed: int = 0
) -> float:
    """Share of paths whose MRR in month H is at least ``target_mrr``."""
    if isinstance(target_mrr, bool) or not isinstance(target_mrr, numbers.Real):
        raise ValueError(f"target_mrr: must be a number (got {target_mrr!r})")
    if not math.isfinite(target_mrr):
        raise ValueError(f"target_mrr: must be a finite number (got {target_mrr!r})")
    return share_at_least(ending_distribution(item, paths, seed).get_column("mrr"), target_mrr)


def share_at_least(values: pl.Series, target: float) -> float:
    """Share of ``values`` (one per simulated path) that are at least ``target``; 0 when empty."""
    reached = pl.DataFrame({"value": values}).select((pl.col("value") >= float(target)).mean())
    return float(reached.item() or 0.0)
