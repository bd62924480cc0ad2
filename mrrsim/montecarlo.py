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
a binomial of the sum). With it, the base is one row drawn month by month and the new cohorts are
drawn at once as a marked Poisson process (``draws.new_cohorts``), equal in distribution; with
``exact=True`` every cohort is its own row, thinned by a Binomial each month.

The draws themselves are compiled loops (``mrrsim.draws``, numba) over the paths of a chunk:
numpy's per-call draws cost several times the arithmetic of the small counts that make up
almost every draw here. numba is imported on the first simulation, not by ``import mrrsim``.

Randomness: ``np.random.default_rng(seed)`` first draws the two standard normals per path behind
the multipliers, then spawns one child stream per segment (scenario order) and from each one
stream per chunk of CHUNK paths. So the same seed gives the same numbers whatever the number of
threads that run the chunks, and the three plans simulated with one seed share their per-path
shocks (common random numbers), which makes their ranges directly comparable. Paths are drawn
in chunks, so the working memory of the draws is bounded whatever the number of paths.

Quantiles (p10, p50, p90) are computed over paths by polars with linear interpolation (the same
rule as numpy's default). numpy and numba are used only for the draws; everything after is
polars.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import ModuleType

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
# The budget of one request, in cohort-month draws (paths x cohorts alive x months). Measured on
# the worst valid case (20 segments, 120 months, large bases, uncertainty 0.5): one draw costs
# 30-40 ns of CPU there with the compiled draws, so 1.5e8 draws stay near 6 s on a busy machine,
# under the 10 s of CPU one request may take (benchmarks/bench_budget.py).
MAX_DRAWS = 150_000_000
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


def _draws() -> ModuleType:
    """The compiled draws, imported on first use so that ``import mrrsim`` does not load numba."""
    from mrrsim import draws

    return draws


def draw_binomial(
    rng: np.random.Generator, n: np.ndarray, q: np.ndarray | float, exact: bool = False
) -> np.ndarray:
    """Binomial(n, q) elementwise; those with variance n q (1 - q) >= 50 as a rounded normal
    clipped to [0, n] (unless ``exact``). ``q`` broadcasts against ``n``."""
    n_flat = np.ascontiguousarray(n, dtype=np.int64).ravel()
    q_flat = np.ascontiguousarray(np.broadcast_to(q, np.shape(n)), dtype=np.float64).ravel()
    return _draws().binomial(rng, n_flat, q_flat, bool(exact)).reshape(np.shape(n))


def draw_poisson(rng: np.random.Generator, lam: np.ndarray, exact: bool = False) -> np.ndarray:
    """Poisson(lam) elementwise; lam >= 50 as a rounded normal clipped at 0 (unless ``exact``)."""
    lam_flat = np.ascontiguousarray(lam, dtype=np.float64).ravel()
    return _draws().poisson(rng, lam_flat, bool(exact)).reshape(np.shape(lam))


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
    """Per-path totals over segments and terms, shape (paths, horizon): column t - 1 is month t."""

    mrr: np.ndarray
    customers: np.ndarray
    cash: np.ndarray


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


def _new(
    variant: Variant, group: Group, acq: np.ndarray, rng: np.random.Generator, exact: bool
) -> np.ndarray:
    """New customers per path and month, shape (paths, horizon): Poisson draws."""
    lam = _expected_new(variant, group, acq)
    return np.ascontiguousarray(draw_poisson(rng, lam, exact).T)


_CODES = {
    ("monthly", "chose"): 0,
    ("monthly", "moved"): 1,
    ("annual", "chose"): 2,
    ("annual", "moved"): 3,
    ("annual", "switched"): 4,
}
_Arrays = tuple[np.ndarray, ...]


def _stream(seed: int, group: Group, chunk: int) -> np.random.Generator:
    """The random stream of one group (by segment and kind) and chunk of paths: the same for
    every plan, so plans that share a group share its draws and a plan simulated alone gets the
    numbers it gets among the three."""
    key = (group.seg_idx, _CODES[group.term, group.origin], chunk)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _monthly(
    variant: Variant,
    group: Group,
    churn: np.ndarray,
    acq_mult: np.ndarray,
    rng: np.random.Generator,
    exact: bool,
) -> _Arrays:
    """A monthly group's customers, MRR, switchers and their monthly MRR, shape (paths, H).

    Without monthly expansion the group is one row (every customer pays the same). With it the
    base is one row and the new cohorts are drawn at once as a marked Poisson process
    (``draws.new_cohorts``), or, when ``exact``, every cohort is its own row, thinned by a
    Binomial each month (the plain formulation).
    """
    horizon = variant.horizon
    paths = churn.shape[0]
    conversion = np.array([group.conversion_at(t) for t in range(horizon + 1)], dtype=np.float64)
    cohorts = _per_age(group) and not exact
    new = (
        np.zeros((paths, horizon), dtype=np.int64)
        if cohorts or group.share <= 0
        else _new(variant, group, acq_mult, rng, exact)
    )
    drawn = _draws().monthly_group(
        rng,
        bool(exact),
        round(group.base[0]) if group.base else 0,
        bool(_per_age(group) and exact),
        churn,
        float(group.price),
        float(1.0 + group.expansion),
        conversion,
        new,
    )
    if not cohorts or group.share <= 0:
        return drawn
    lam = np.ascontiguousarray(_expected_new(variant, group, acq_mult).T)
    extra = _draws().new_cohorts(
        rng, lam, churn, conversion, float(group.price), float(1.0 + group.expansion)
    )
    return tuple(a + b for a, b in zip(drawn, extra, strict=True))


def _annual(
    variant: Variant,
    group: Group,
    churn: np.ndarray,
    joining: tuple[np.ndarray, np.ndarray] | None,
    acq_mult: np.ndarray,
    rng: np.random.Generator,
    exact: bool,
) -> _Arrays:
    """An annual group's customers, MRR and cash, shape (paths, H); ``joining`` is (customers,
    MRR) of the switchers joining each month (the switched group), or None: new customers."""
    paths = churn.shape[0]
    if joining is None:
        count = (
            _new(variant, group, acq_mult, rng, exact)
            if group.share > 0
            else np.zeros((paths, variant.horizon), dtype=np.int64)
        )
        joining = (count, float(group.price) * count)
    base = np.array(_annual_base(variant, group) if group.base else [0] * 12, dtype=np.int64)
    return _draws().annual_group(
        rng,
        bool(exact),
        base,
        float(group.base_price),
        churn,
        float(1.0 + group.expansion),
        *joining,
    )


def _draw_chunk(
    variants: Sequence[Variant],
    churn_mult: np.ndarray,
    acq_mult: np.ndarray,
    seed: int,
    chunk: int,
    exact: bool,
) -> list[_Totals]:
    """Totals over segments and groups of each variant for one chunk of paths. A group shared
    by several variants (your mix and all-monthly keep the same customers who chose monthly)
    is drawn once, on its own stream."""
    paths = churn_mult.shape[0]
    horizon = variants[0].horizon
    outs = [
        _Totals(
            mrr=np.zeros((paths, horizon), dtype=np.float64),
            customers=np.zeros((paths, horizon), dtype=np.int64),
            cash=np.zeros((paths, horizon), dtype=np.float64),
        )
        for _ in variants
    ]
    drawn: dict[object, _Arrays] = {}
    for variant, out in zip(variants, outs, strict=True):
        groups = plan_groups(variant)
        live = [g for g in groups if _live(g, groups)]
        for seg_idx in range(len(variant.scenario.segments)):
            mine = [g for g in live if g.seg_idx == seg_idx]
            monthly = [g for g in mine if g.term == "monthly"]
            switch_count = np.zeros((paths, horizon), dtype=np.int64)
            switch_mrr = np.zeros((paths, horizon), dtype=np.float64)
            for g in monthly:
                if g not in drawn:
                    churn = np.clip(g.churn * churn_mult, 0.0, 1.0)
                    rng = _stream(seed, g, chunk)
                    drawn[g] = _monthly(variant, g, churn, acq_mult, rng, exact)
                customers, mrr, moved, moved_mrr = drawn[g]
                out.customers[...] += customers
                out.mrr[...] += mrr
                out.cash[...] += mrr
                switch_count += moved
                switch_mrr += (1.0 - g.discount) * moved_mrr
            feeders = tuple(g for g in monthly if g.conversion > 0)
            for g in (g for g in mine if g.term == "annual"):
                switched = g.origin == "switched"
                key = (g, feeders) if switched else g
                if key not in drawn:
                    churn = np.clip(g.churn * churn_mult, 0.0, 1.0)
                    rng = _stream(seed, g, chunk)
                    joining = (switch_count, switch_mrr) if switched else None
                    drawn[key] = _annual(variant, g, churn, joining, acq_mult, rng, exact)
                customers, mrr, cash = drawn[key]
                out.customers[...] += customers
                out.mrr[...] += mrr
                out.cash[...] += cash
    return outs


def _draw(
    items: Sequence[Scenario | Variant],
    paths: int,
    seed: int,
    *,
    exact: bool = False,
    checkpoint: Checkpoint | None = None,
) -> list[_Totals]:
    """Run every path of every segment of each item (variants of one scenario) and add up the
    totals (compiled draws only).

    Paths are cut into chunks of CHUNK with their own streams (one per group and chunk), so
    the numbers never depend on how many threads run the chunks; the compiled draws release the
    GIL, so the chunks run in parallel on the available cores.
    """
    variants = [as_variant(item) for item in items]
    scenario = variants[0].scenario
    rng = np.random.default_rng(seed)
    z_churn, z_acq = rng.standard_normal((2, paths))
    churn_mult = multiplier(z_churn, scenario.uncertainty.churn)
    acq_mult = multiplier(z_acq, scenario.uncertainty.acquisition)
    jobs = [
        (
            variants,
            churn_mult[start : start + CHUNK],
            acq_mult[start : start + CHUNK],
            seed,
            i,
            exact,
        )
        for i, start in enumerate(range(0, paths, CHUNK))
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
    return [
        _Totals(
            mrr=np.concatenate([part[i].mrr for part in parts]),
            customers=np.concatenate([part[i].customers for part in parts]),
            cash=np.concatenate([part[i].cash for part in parts]),
        )
        for i in range(len(variants))
    ]


def _frame(totals: _Totals, horizon: int) -> pl.LazyFrame:
    """One row per (path, month) with every metric, as a lazy frame."""
    paths = totals.mrr.shape[0]
    return (
        pl.LazyFrame(
            {
                "path": np.repeat(np.arange(paths, dtype=np.int64), horizon),
                "month": np.tile(np.arange(1, horizon + 1, dtype=np.int64), paths),
                "mrr": totals.mrr.ravel(),
                "customers": totals.customers.ravel(),
                "cash": totals.cash.ravel(),
            }
        )
        .with_columns(
            (pl.col("mrr") * 12.0).alias("arr"),
            pl.col("cash").cum_sum().over("path", order_by="month").alias("cumulative_cash"),
        )
        .select("path", "month", *METRICS)
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
    (totals,) = _draw([item], paths, seed, exact=exact, checkpoint=checkpoint)
    return _frame(totals, as_variant(item).horizon)


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
    paths, seed = _check_args(paths, seed)
    variants = plan_variants(scenario)
    _check_budget(variants, paths)
    drawn = _draw(variants, paths, seed, checkpoint=checkpoint)
    return pl.concat(
        _frame(totals, scenario.horizon_months).select(pl.lit(plan).alias("plan"), pl.all())
        for plan, totals in zip(PLANS, drawn, strict=True)
    )


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
