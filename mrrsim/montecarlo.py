"""The Monte Carlo engine of SPEC section 6: how predictable is each plan?

Each path draws, once, a churn multiplier and an acquisition multiplier, log-normal with mean 1
and the scenario's coefficient of variation cv (sigma^2 = ln(1 + cv^2), mu = -sigma^2 / 2;
exactly 1 when cv is 0). Every segment's monthly and annual churn is multiplied by the path's
churn multiplier and clipped to [0, 1]. Then, month by month for t = 1..H and per segment:

- new customers ~ Poisson(n(t) * acquisition multiplier), split Binomial(new, annual_share)
  into the annual term, the rest monthly;
- monthly survivors ~ Binomial(count, 1 - monthly_churn) per cohort (age);
- annual survivors ~ Binomial(count, 1 - annual_churn) per cohort, at its renewal months only.

MRR per customer and cash follow SPEC section 3 exactly: a monthly customer of age k pays
p * (1 + monthly_expansion)^k each month (cash = MRR); an annual customer after k renewals has
MRR p * (1 - d) * (1 + annual_expansion)^k and pays 12 times that in its acquisition and renewal
months only (the existing annual base pays only at its renewals).

Existing counts are rounded to whole customers with round-half-to-even (Python's ``round``:
2.5 -> 2, 3.5 -> 4); the annual base A is spread as evenly as possible over first-renewal months
1..12, the remainder going to the earliest months (A = 25 gives 3, 2, 2, ..., 2).

Exact shortcuts, equal in distribution to the per-cohort draws above: when monthly_expansion is 0
every monthly customer has the same MRR, so the whole monthly term survives as one Binomial on its
total (a sum of independent binomials with one rate is a binomial of the sum); otherwise survivors
are drawn per age, as an array of shape (paths, ages). Annual cohorts are always kept apart.
Cost: about paths * H^2 / 2 binomial draws per segment with monthly expansion (this dominates),
paths * H without.

Randomness: ``np.random.default_rng(seed)`` first draws the two standard normals per path behind
the multipliers, then spawns one child stream per segment (scenario order) and from each one
stream per chunk of CHUNK paths. So the same seed gives the same numbers whatever the number of
threads that run the chunks, and the three plans simulated with one seed share their per-path
shocks (common random numbers), which makes their ranges directly comparable.

Quantiles (p10, p50, p90) are computed over paths by polars with linear interpolation (the same
rule as numpy's default). numpy is used only inside the draw loop; everything after is polars.
"""

from __future__ import annotations

import math
import numbers
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from mrrsim.metrics import PLANS
from mrrsim.scenario import Scenario, Segment

__all__ = [
    "MAX_PATHS",
    "METRICS",
    "PLANS",
    "QUANTILES",
    "ending_distribution",
    "existing_annual_spread",
    "multiplier",
    "plan_paths",
    "prob_reaching",
    "share_at_least",
    "simulate",
    "simulate_paths",
    "simulate_plans",
    "summarize_paths",
]

METRICS = ("mrr", "arr", "customers", "cash", "cumulative_cash")
QUANTILES = (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))
MAX_PATHS = 100_000
CHUNK = 2_500  # paths per random stream; fixed, so results do not depend on the thread count
MAX_NEW_PER_MONTH = 1e12  # above this, drawing customers one by one stops making sense


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


@dataclass(frozen=True)
class _Totals:
    """Per-path totals over segments and terms, shape (horizon, paths): row t - 1 is month t.

    Months (and cohorts) are rows so that every per-month step works on contiguous memory.
    """

    mrr: np.ndarray
    customers: np.ndarray
    cash: np.ndarray


def _new_customers(
    seg: Segment, index: int, horizon: int, acq: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(monthly, annual) new customers per month and path, shape (horizon, paths) each."""
    months = np.arange(horizon, dtype=np.float64)
    expected = seg.new_customers * (1.0 + seg.acquisition_growth) ** months
    lam = expected[:, None] * acq[None, :]
    peak = float(lam.max(initial=0.0))
    if peak > MAX_NEW_PER_MONTH:
        raise ValueError(
            f"segments[{index}] ({seg.name}): new customers reach {peak:.3g} in one month of "
            "the simulation; too many to simulate (lower new_customers or acquisition_growth)"
        )
    new = rng.poisson(lam)
    annual = rng.binomial(new, seg.annual_share)
    return new - annual, annual


def _monthly_term(
    seg: Segment, new: np.ndarray, survive: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(customers, mrr) of the month-to-month term, shape (horizon, paths) each.

    Row a of ``cohorts`` holds the customers acquired in month a (row 0: the existing base);
    in month t cohort a has age t - a and pays p * (1 + monthly_expansion)^(t - a).
    """
    horizon, paths = new.shape
    customers = np.empty((horizon, paths), dtype=np.int64)
    base = round(seg.existing_monthly_customers)
    if seg.monthly_expansion == 0:
        count = np.full(paths, base, dtype=np.int64)
        for t in range(horizon):
            count = rng.binomial(count, survive) + new[t]
            customers[t] = count
        return customers, seg.list_price * customers
    price = seg.list_price * (1.0 + seg.monthly_expansion) ** np.arange(horizon + 1)
    mrr = np.empty((horizon, paths), dtype=np.float64)
    cohorts = np.zeros((horizon + 1, paths), dtype=np.int64)
    cohorts[0] = base
    for t in range(1, horizon + 1):
        cohorts[:t] = rng.binomial(cohorts[:t], survive)
        cohorts[t] = new[t - 1]
        alive = cohorts[: t + 1]
        customers[t - 1] = alive.sum(axis=0)
        mrr[t - 1] = price[t::-1] @ alive
    return customers, mrr


def _annual_term(
    seg: Segment,
    discount: float,
    new: np.ndarray,
    survive: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customers, mrr, cash) of the annual prepaid term, shape (horizon, paths) each.

    Row c of ``cohorts`` holds customers acquired in month a = c - 11; the existing base fills
    rows 0..11 (first renewals in months 1..12). A cohort renews in months a + 12, a + 24, ...
    Only renewing and new cohorts change, so whole-customer counts by renewals passed (k, which
    fixes the price) are updated in place and MRR is recomputed from them every month.
    """
    horizon, paths = new.shape
    price = (
        seg.list_price
        * (1.0 - discount)
        * (1.0 + seg.annual_expansion) ** np.arange(horizon // 12 + 2)
    )
    spread = existing_annual_spread(seg.existing_annual_customers)
    cohorts = np.zeros((horizon + 12, paths), dtype=np.int64)
    cohorts[:12] = np.array(spread, dtype=np.int64)[:, None]
    by_renewals = np.zeros((price.size, paths), dtype=np.int64)
    by_renewals[0] = sum(spread)
    customers = np.empty((horizon, paths), dtype=np.int64)
    mrr = np.empty((horizon, paths), dtype=np.float64)
    cash = np.empty((horizon, paths), dtype=np.float64)
    for t in range(1, horizon + 1):
        renewing = slice((t - 1) % 12, t, 12)
        renewals = (t + 11 - np.arange(horizon + 12)[renewing]) // 12
        before = cohorts[renewing].copy()
        after = rng.binomial(before, survive)
        cohorts[renewing] = after
        cohorts[t + 11] = new[t - 1]
        by_renewals[renewals - 1] -= before
        by_renewals[renewals] += after
        by_renewals[0] += new[t - 1]
        customers[t - 1] = by_renewals.sum(axis=0)
        mrr[t - 1] = price @ by_renewals
        cash[t - 1] = 12.0 * (price[renewals] @ after + price[0] * new[t - 1])
    return customers, mrr, cash


def _draw_chunk(
    scenario: Scenario,
    churn_mult: np.ndarray,
    acq_mult: np.ndarray,
    streams: list[np.random.Generator],
) -> _Totals:
    """Totals over segments for one chunk of paths, each segment on its own stream."""
    horizon = scenario.horizon_months
    paths = churn_mult.shape[0]
    mrr = np.zeros((horizon, paths), dtype=np.float64)
    customers = np.zeros((horizon, paths), dtype=np.int64)
    cash = np.zeros((horizon, paths), dtype=np.float64)
    for index, (seg, rng) in enumerate(zip(scenario.segments, streams, strict=True)):
        new_monthly, new_annual = _new_customers(seg, index, horizon, acq_mult, rng)
        m_survive = 1.0 - np.clip(seg.monthly_churn * churn_mult, 0.0, 1.0)
        a_survive = 1.0 - np.clip(seg.annual_churn * churn_mult, 0.0, 1.0)
        m_customers, m_mrr = _monthly_term(seg, new_monthly, m_survive, rng)
        a_customers, a_mrr, a_cash = _annual_term(
            seg, scenario.discount_for(seg), new_annual, a_survive, rng
        )
        customers += m_customers + a_customers
        mrr += m_mrr + a_mrr
        cash += m_mrr + a_cash
    return _Totals(mrr=mrr, customers=customers, cash=cash)


def _draw(scenario: Scenario, paths: int, seed: int) -> _Totals:
    """Run every path of every segment and add up the totals (numpy draws only).

    Paths are cut into chunks of CHUNK with their own child streams (segment, then chunk), so
    the numbers never depend on how many threads run the chunks; numpy releases the GIL while
    drawing, so the chunks run in parallel on the available cores.
    """
    rng = np.random.default_rng(seed)
    z_churn, z_acq = rng.standard_normal((2, paths))
    churn_mult = multiplier(z_churn, scenario.uncertainty.churn)
    acq_mult = multiplier(z_acq, scenario.uncertainty.acquisition)
    starts = list(range(0, paths, CHUNK))
    by_segment = [child.spawn(len(starts)) for child in rng.spawn(len(scenario.segments))]
    jobs = [
        (
            scenario,
            churn_mult[start : start + CHUNK],
            acq_mult[start : start + CHUNK],
            [streams[i] for streams in by_segment],
        )
        for i, start in enumerate(starts)
    ]
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers == 1:
        parts = [_draw_chunk(*job) for job in jobs]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(lambda job: _draw_chunk(*job), jobs))
    return _Totals(
        mrr=np.concatenate([part.mrr for part in parts], axis=1),
        customers=np.concatenate([part.customers for part in parts], axis=1),
        cash=np.concatenate([part.cash for part in parts], axis=1),
    )


def _paths_lazy(scenario: Scenario, paths: int, seed: int) -> pl.LazyFrame:
    """One row per (path, month) with every metric, as a lazy frame."""
    paths, seed = _check_args(paths, seed)
    totals = _draw(scenario, paths, seed)
    horizon = scenario.horizon_months
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


def simulate_paths(scenario: Scenario, paths: int = 1000, seed: int = 0) -> pl.DataFrame:
    """Every simulated path: one row per (path, month), columns path, month, mrr, arr,
    customers (Int64), cash, cumulative_cash; sorted by path then month."""
    return _paths_lazy(scenario, paths, seed).collect(engine="in-memory")


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


def simulate(scenario: Scenario, paths: int = 1000, seed: int = 0) -> pl.DataFrame:
    """SPEC section 6: per month and metric, the mean and p10/p50/p90 over simulated paths.

    Columns ``month, metric, mean, p10, p50, p90``; metrics in the order mrr, arr, customers,
    cash, cumulative_cash, each for months 1..H. Raises ValueError on bad paths or seed.
    """
    return _summarise(_paths_lazy(scenario, paths, seed), by_plan=False).collect(engine="in-memory")


def _plan_scenarios(scenario: Scenario) -> list[Scenario]:
    """Your mix, all-monthly and all-annual as plain scenarios (movers take the other plan's
    rates here; the Monte Carlo has not yet learned movers and switching)."""
    return [
        scenario,
        scenario.with_segments(annual_share=0.0),
        scenario.with_segments(annual_share=1.0),
    ]


def _plan_paths_lazy(scenario: Scenario, paths: int, seed: int) -> pl.LazyFrame:
    frames = [
        _paths_lazy(variant, paths, seed).select(pl.lit(plan).alias("plan"), pl.all())
        for plan, variant in zip(PLANS, _plan_scenarios(scenario), strict=True)
    ]
    return pl.concat(frames)


def plan_paths(scenario: Scenario, paths: int = 1000, seed: int = 0) -> pl.DataFrame:
    """``simulate_paths`` of your mix, all-monthly and all-annual under a leading ``plan`` column
    (PLANS order). One seed for all three, so the plans share their per-path shocks."""
    return _plan_paths_lazy(scenario, paths, seed).collect(engine="in-memory")


def simulate_plans(scenario: Scenario, paths: int = 1000, seed: int = 0) -> pl.DataFrame:
    """``simulate`` for your mix, all-monthly and all-annual, stacked under a leading ``plan``
    column (PLANS order). One seed for all three, so the plans share their per-path shocks."""
    return _summarise(_plan_paths_lazy(scenario, paths, seed), by_plan=True).collect(
        engine="in-memory"
    )


def ending_distribution(scenario: Scenario, paths: int = 1000, seed: int = 0) -> pl.DataFrame:
    """Month-H values of every path: columns path, mrr, arr, customers, cumulative_cash."""
    return (
        _paths_lazy(scenario, paths, seed)
        .filter(pl.col("month") == scenario.horizon_months)
        .select("path", "mrr", "arr", "customers", "cumulative_cash")
        .collect(engine="in-memory")
    )


def prob_reaching(scenario: Scenario, target_mrr: float, paths: int = 1000, seed: int = 0) -> float:
    """Share of paths whose MRR in month H is at least ``target_mrr``."""
    if isinstance(target_mrr, bool) or not isinstance(target_mrr, numbers.Real):
        raise ValueError(f"target_mrr: must be a number (got {target_mrr!r})")
    if not math.isfinite(target_mrr):
        raise ValueError(f"target_mrr: must be a finite number (got {target_mrr!r})")
    return share_at_least(ending_distribution(scenario, paths, seed).get_column("mrr"), target_mrr)


def share_at_least(values: pl.Series, target: float) -> float:
    """Share of ``values`` (one per simulated path) that are at least ``target``; 0 when empty."""
    reached = pl.DataFrame({"value": values}).select((pl.col("value") >= float(target)).mean())
    return float(reached.item() or 0.0)
