"""Summary metrics (docs/model.md, "Summary metrics"), the three billing plans side by side,
the decision per segment (break-even and best discount on a lifetime basis), monthly totals.

Each metric is a small polars expression over the projection (functime style); ``summarize_many``
evaluates them for many variants in one pass. The lifetime values behind the decision are closed
forms per segment, evaluated for the whole discount grid in one polars plan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

from mrrsim.policy import Variant, as_variant, mover_churns
from mrrsim.projection import (
    FLOAT_COLUMNS,
    PLAN_AS_WRITTEN,
    all_annual,
    all_monthly,
    common_horizon,
    group_lazy,
    params_frame,
    project_lazy,
    project_many,
)
from mrrsim.scenario import Scenario

__all__ = [
    "DISCOUNT_GRID",
    "FIGURE_KEYS",
    "PLANS",
    "SUMMARY_KEYS",
    "PlanResults",
    "SegmentDecision",
    "Summary",
    "decisions",
    "monthly_totals",
    "plan_comparison",
    "plan_results",
    "plan_variants",
    "renewal_calendar",
    "summarize",
    "summarize_many",
    "value_curve",
    "variant_metrics",
]

PLANS = ("Your mix", "All monthly", "All annual")
DISCOUNT_GRID = tuple(k / 1000 for k in range(601))  # 0, 0.001, ..., 0.600 (exactly k / 1000)


@dataclass(frozen=True)
class SegmentDecision:
    """The billing decision for one segment, per new customer, in NPV of cash at acquisition
    over the scenario's customer lifetime."""

    name: str
    break_even_discount: float
    optimal_discount: float
    value_at_current: float
    value_at_optimal: float
    lifetime_value_monthly: float
    lifetime_value_annual: float

    def to_dict(self) -> dict[str, float | str]:
        return asdict(self)


@dataclass(frozen=True)
class Summary(Mapping[str, Any]):
    """The headline figures of one variant; reads like a dict (``summary["npv_cash"]``).

    ``break_even_discount`` and ``segments`` belong to the scenario (new customers on a lifetime
    basis), so every plan of one scenario carries the same ones."""

    ending_mrr: float
    ending_arr: float
    ending_customers: float
    cumulative_cash: float
    cumulative_revenue: float
    npv_cash: float
    nrr_12: float | None
    grr_12: float | None
    break_even_discount: float | None
    segments: tuple[SegmentDecision, ...]

    def __getitem__(self, key: str) -> Any:
        if key not in SUMMARY_KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(SUMMARY_KEYS)

    def __len__(self) -> int:
        return len(SUMMARY_KEYS)

    def to_dict(self) -> dict[str, object]:
        """A plain dict (for JSON)."""
        return asdict(self) | {"segments": [seg.to_dict() for seg in self.segments]}


SUMMARY_KEYS = tuple(Summary.__dataclass_fields__)
FIGURE_KEYS = tuple(key for key in SUMMARY_KEYS if key != "segments")  # the numbers


def plan_variants(scenario: Scenario) -> list[Variant]:
    """Your mix, all-monthly and all-annual, in the order of ``PLANS``."""
    return [Variant(scenario), all_monthly(scenario), all_annual(scenario)]


# --- lifetime values and the decision per segment ---------------------------------------------


_LTV_RATIOS = {  # lifetime value column: (per-period ratio, periods, price factor)
    "ltv_m": ("r_m", "months", 1.0),
    "ltv_am": ("r_am", "months", 1.0),
    "ltv_a0": ("r_a", "years", 12.0),
    "ltv_ma0": ("r_ma", "years", 12.0),
}


def _ratio(churn: str, expansion: str, periods_per_year: int) -> pl.Expr:
    """(1 - c)(1 + e) delta^(months per period): what a customer's value keeps per period."""
    return (
        (1.0 - pl.col(churn))
        * (1.0 + pl.col(expansion))
        * pl.col("delta").pow(12 // periods_per_year)
    )


def _lifetime_values(segments: pl.LazyFrame, lifetime: int) -> pl.LazyFrame:
    """The four lifetime values per segment, each p (or 12 p) times sum_{k<n} r^k, summed term
    by term: the closed form (1 - r^n)/(1 - r) loses digits when r is near 1.

    LTV_m(c, e) = p sum_{a=0..L-1} ((1-c)(1+e)delta)^a;
    LTV_a(0; c, e) = 12 p sum_{k=0..L/12-1} ((1-c)(1+e)delta^12)^k (times 1 - x at discount x).
    """
    ks = pl.LazyFrame({"k": list(range(lifetime))}, schema={"k": pl.Int64})
    k, years = pl.col("k"), lifetime // 12
    terms = [
        pl.when(k < (lifetime if periods == "months" else years))
        .then(pl.col(ratio).pow(k))
        .otherwise(0.0)
        .sum()
        .alias(name)
        for name, (ratio, periods, _) in _LTV_RATIOS.items()
    ]
    sums = (
        segments.select("seg_idx", *(r for r, _, _ in _LTV_RATIOS.values()))
        .join(ks, how="cross")
        .group_by("seg_idx")
        .agg(terms)
    )
    return segments.join(sums, on="seg_idx", how="left").with_columns(
        (pl.col(name) * pl.col("price") * factor).alias(name)
        for name, (_, _, factor) in _LTV_RATIOS.items()
    )


def _segment_frame(scenario: Scenario) -> pl.LazyFrame:
    """One row per segment: rates, take-up and the four lifetime values behind every decision."""
    rows = []
    for i, seg in enumerate(scenario.segments):
        c_ma, c_am = mover_churns(scenario, seg)
        rows.append(
            {
                "seg_idx": i,
                "name": seg.name,
                "price": seg.list_price,
                "d": scenario.discount_for(seg),
                "s": seg.annual_share,
                "s0": seg.take_up_at_no_discount(),
                "c_m": seg.monthly_churn,
                "c_a": seg.annual_churn,
                "c_ma": c_ma,
                "c_am": c_am,
                "e_m": seg.monthly_expansion,
                "e_a": seg.annual_expansion,
            }
        )
    delta = (1.0 + scenario.cost_of_capital) ** (-1.0 / 12.0)
    return (
        pl.LazyFrame(rows)
        .with_columns(pl.lit(delta, dtype=pl.Float64).alias("delta"))
        .with_columns(
            _ratio("c_m", "e_m", 12).alias("r_m"),
            _ratio("c_am", "e_m", 12).alias("r_am"),
            _ratio("c_a", "e_a", 1).alias("r_a"),
            _ratio("c_ma", "e_a", 1).alias("r_ma"),
        )
        .pipe(_lifetime_values, scenario.lifetime_months)
        .sort("seg_idx")
    )


def _take_up(x: pl.Expr) -> pl.Expr:
    """s(x) = clip(s0 + (s - s0) x / d, 0, 1); s itself where the segment has no discount or
    take-up does not respond, s0 at no discount.

    The last two are spelled out because polars' vectorised division treats a subnormal d as 0
    (0 / 5e-324 gives NaN there, 0 in plain Python)."""
    s, s0, d = pl.col("s"), pl.col("s0"), pl.col("d")
    moved = (s0 + (s - s0) * x / d).clip(0.0, 1.0)
    return (
        pl.when((d == 0.0) | (x == d) | (s == s0)).then(s).when(x == 0.0).then(s0).otherwise(moved)
    )


def _value(x: pl.Expr) -> pl.Expr:
    """V(x): a new customer's lifetime value when new annual contracts carry discount x."""
    sx, s = _take_up(x), pl.col("s")
    ltv_a = (1.0 - x) * pl.col("ltv_a0")
    more_annual = (
        (1.0 - sx) * pl.col("ltv_m") + s * ltv_a + (sx - s) * (1.0 - x) * pl.col("ltv_ma0")
    )
    fewer_annual = (1.0 - s) * pl.col("ltv_m") + (s - sx) * pl.col("ltv_am") + sx * ltv_a
    return pl.when(sx >= s).then(more_annual).otherwise(fewer_annual)


def _break_even_parts() -> list[pl.Expr]:
    """VM (all-monthly) and VA(0) (all-annual, no discount) per new customer."""
    s = pl.col("s")
    return [
        ((1.0 - s) * pl.col("ltv_m") + s * pl.col("ltv_am")).alias("vm"),
        (s * pl.col("ltv_a0") + (1.0 - s) * pl.col("ltv_ma0")).alias("va0"),
    ]


def value_curve(scenario: Scenario, grid: Sequence[float] = DISCOUNT_GRID) -> pl.DataFrame:
    """V(x) per segment over a discount grid: columns segment, discount, annual_share (the
    take-up s(x)) and value (per new customer). Sorted by segment (scenario order), discount."""
    xs = pl.LazyFrame({"discount": list(grid)}, schema={"discount": pl.Float64})
    return (
        _segment_frame(scenario)
        .join(xs, how="cross")
        .with_columns(
            _take_up(pl.col("discount")).alias("annual_share"),
            _value(pl.col("discount")).alias("value"),
        )
        .sort("seg_idx", "discount")
        .select(pl.col("name").alias("segment"), "discount", "annual_share", "value")
        .collect(engine="in-memory", optimizations=PLAN_AS_WRITTEN)
    )


def decisions(scenario: Scenario) -> tuple[tuple[SegmentDecision, ...], float | None]:
    """Per segment: break-even, best discount on the grid (the smallest on ties) and the values;
    and the break-even of all segments blended by the new customers each acquires, discounted.
    """
    segments = _segment_frame(scenario).with_columns(_break_even_parts())
    grid = pl.LazyFrame({"x": list(DISCOUNT_GRID)}, schema={"x": pl.Float64})
    best = (
        segments.join(grid, how="cross")
        .with_columns(_value(pl.col("x")).alias("v"))
        .filter(pl.col("v") == pl.col("v").max().over("seg_idx"))
        .group_by("seg_idx")
        .agg(pl.col("x").min().alias("optimal_discount"), pl.col("v").max().alias("best"))
    )
    rows = (
        segments.join(best, on="seg_idx", how="left")
        .with_columns(
            (1.0 - pl.col("vm") / pl.col("va0")).alias("break_even_discount"),
            _value(pl.col("d")).alias("value_at_current"),
            ((1.0 - pl.col("d")) * pl.col("ltv_a0")).alias("ltv_a"),
        )
        .sort("seg_idx")
        .collect(engine="in-memory", optimizations=PLAN_AS_WRITTEN)
        .to_dicts()
    )
    out = tuple(
        SegmentDecision(
            name=row["name"],
            break_even_discount=row["break_even_discount"],
            optimal_discount=row["optimal_discount"],
            value_at_current=row["value_at_current"],
            value_at_optimal=row["best"],
            lifetime_value_monthly=row["ltv_m"],
            lifetime_value_annual=row["ltv_a"],
        )
        for row in rows
    )
    delta = (1.0 + scenario.cost_of_capital) ** (-1.0 / 12.0)
    horizon = scenario.horizon_months
    num = den = 0.0
    for seg, row in zip(scenario.segments, rows, strict=True):
        q = (1.0 + seg.acquisition_growth) * delta
        weight = seg.new_customers * (horizon if q == 1.0 else (1.0 - q**horizon) / (1.0 - q))
        num += weight * row["vm"]
        den += weight * row["va0"]
    return out, (1.0 - num / den if den > 0 else None)


# --- metrics over the projection ---------------------------------------------------------------


def _npv_cash() -> pl.Expr:
    """sum_t cash[t] * (1 + cost_of_capital)^(-(t-1)/12): month 1's cash is not discounted."""
    return _total(pl.col("cash") * (1.0 + pl.col("coc")).pow(-(pl.col("t") - 1) / 12.0))


def _total(value: pl.Expr) -> pl.Expr:
    """A sum in row order (a running total's last value): the same bits whatever else is in the
    batch. A plain ``sum`` aggregates partitions whose split depends on the frame's size, so a
    variant summed alone and in a batch of three could differ in the last bit."""
    return value.cum_sum().last()


def _at(month: pl.Expr | int, value: pl.Expr) -> pl.Expr:
    return _total(value.filter(pl.col("t") == month))


def _summary_aggregates(horizon: int) -> list[pl.Expr]:
    """Per variant, over its groups' rows; NRR/GRR weigh each group's MRR of month H - 12 by
    the share of it its customers still bring in month H (``projection._retention_factors``)."""
    base = horizon - 12
    mrr = pl.col("mrr")
    return [
        _at(horizon, mrr).alias("ending_mrr"),
        _at(horizon, pl.col("customers")).alias("ending_customers"),
        _total(pl.col("cash")).alias("cumulative_cash"),
        _total(pl.col("revenue")).alias("cumulative_revenue"),
        _npv_cash().alias("npv_cash"),
        _at(base, mrr).alias("base_mrr_12"),
        _at(base, mrr * pl.col("nrr_factor")).alias("kept_mrr_12"),
        _at(base, mrr * pl.col("grr_factor")).alias("gross_mrr_12"),
    ]


def _summaries_one_horizon(variants: Sequence[Variant], horizon: int) -> list[Summary]:
    rows = (
        group_lazy(params_frame(variants), horizon)
        .group_by("variant")
        .agg(_summary_aggregates(horizon))
        .sort("variant")
        .collect(engine="in-memory", optimizations=PLAN_AS_WRITTEN)
        .to_dicts()
    )
    decided: dict[int, tuple[tuple[SegmentDecision, ...], float | None]] = {}
    out = []
    for variant, mine in zip(variants, rows, strict=True):
        key = id(variant.scenario)
        if key not in decided:
            decided[key] = decisions(variant.scenario)
        segments, break_even = decided[key]
        has_base = horizon >= 13 and mine["base_mrr_12"] > 0
        out.append(
            Summary(
                ending_mrr=mine["ending_mrr"],
                ending_arr=12.0 * mine["ending_mrr"],
                ending_customers=mine["ending_customers"],
                cumulative_cash=mine["cumulative_cash"],
                cumulative_revenue=mine["cumulative_revenue"],
                npv_cash=mine["npv_cash"],
                nrr_12=mine["kept_mrr_12"] / mine["base_mrr_12"] if has_base else None,
                grr_12=mine["gross_mrr_12"] / mine["base_mrr_12"] if has_base else None,
                break_even_discount=break_even,
                segments=segments,
            )
        )
    return out


def variant_metrics(items: Sequence[Scenario | Variant]) -> pl.DataFrame:
    """ending_arr, npv_cash and cumulative_cash of every variant (one horizon), in one pass.

    The batch path of the tornado and the discount x share grid: one row per variant, in input
    order, each NPV at its variant's own cost of capital.
    """
    horizon = common_horizon(items)
    return (
        group_lazy(params_frame(items), horizon)
        .group_by("variant")
        .agg(
            (_at(horizon, pl.col("mrr")) * 12.0).alias("ending_arr"),
            _npv_cash().alias("npv_cash"),
            _total(pl.col("cash")).alias("cumulative_cash"),
        )
        .sort("variant")
        .collect(engine="in-memory", optimizations=PLAN_AS_WRITTEN)
    )


def summarize_many(items: Sequence[Scenario | Variant]) -> list[Summary]:
    """Summaries of many variants; one polars pass per distinct horizon."""
    variants = [as_variant(item) for item in items]
    by_horizon: dict[int, list[int]] = defaultdict(list)
    for i, v in enumerate(variants):
        by_horizon[v.horizon].append(i)
    out: list[Summary | None] = [None] * len(variants)
    for horizon, idx in by_horizon.items():
        for i, summary in zip(
            idx, _summaries_one_horizon([variants[i] for i in idx], horizon), strict=True
        ):
            out[i] = summary
    return [s for s in out if s is not None]


def summarize(item: Scenario | Variant) -> Summary:
    """The summary metrics of one scenario (its own mix) or variant."""
    return summarize_many([item])[0]


def _running(col: str, by: Sequence[str]) -> pl.Expr:
    """Running total over months, per ``by`` group when there is one."""
    total = pl.col(col).cum_sum()
    return total.over(by) if by else total


def monthly_totals(frame: pl.DataFrame | pl.LazyFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Per month (and ``by`` keys), totals over segments and terms, with net new MRR, the quick
    ratio (new + expansion) / (contraction + churn) as ChartMogul and Baremetrics define it, and
    cumulative cash and revenue."""
    keys = [*by, "month"]
    summed = list(FLOAT_COLUMNS)
    losses = pl.col("contraction_mrr") + pl.col("churned_mrr")
    return (
        frame.lazy()
        .group_by(keys)
        .agg(pl.col(summed).sum())
        .sort(keys)
        .with_columns(
            (pl.col("new_mrr") + pl.col("expansion_mrr") - losses + pl.col("switched_mrr")).alias(
                "net_new_mrr"
            ),
            pl.when(losses > 0)
            .then((pl.col("new_mrr") + pl.col("expansion_mrr")) / losses)
            .otherwise(None)
            .alias("quick_ratio"),
            _running("cash", by).alias("cumulative_cash"),
            _running("revenue", by).alias("cumulative_revenue"),
        )
        .collect(engine="in-memory", optimizations=PLAN_AS_WRITTEN)
    )


def _plan_totals(frames: pl.DataFrame) -> pl.DataFrame:
    """Monthly totals of ``project_many(plan_variants(...))``, labelled by plan."""
    return (
        monthly_totals(frames, by=["variant"])
        .with_columns(
            pl.col("variant")
            .replace_strict(list(range(3)), list(PLANS), return_dtype=pl.String)
            .alias("plan")
        )
        .drop("variant")
        .select("plan", pl.exclude("plan"))
    )


def plan_comparison(scenario: Scenario) -> pl.DataFrame:
    """Monthly totals of your mix, all-monthly and all-annual, stacked with a ``plan`` column."""
    return _plan_totals(project_many(plan_variants(scenario)))


@dataclass(frozen=True)
class PlanResults:
    """What the planner shows of one scenario, from one projection of the three plans:
    ``summarize`` of each plan (keyed by ``PLANS``), the projection table of your mix (equal to
    ``project(scenario)``) and ``plan_comparison(scenario)``."""

    summaries: dict[str, Summary]
    projection: pl.DataFrame
    comparison: pl.DataFrame


def plan_results(scenario: Scenario) -> PlanResults:
    """``PlanResults`` of a scenario: two polars passes instead of five separate calls."""
    variants = plan_variants(scenario)
    frames = project_many(variants)
    return PlanResults(
        summaries=dict(zip(PLANS, summarize_many(variants), strict=True)),
        projection=frames.filter(pl.col("variant") == 0).drop("variant"),
        comparison=_plan_totals(frames),
    )


def renewal_calendar(scenario: Scenario) -> pl.DataFrame:
    """Annual renewals per month and segment: what is up for renewal and what is expected lost."""
    return (
        project_lazy(params_frame([scenario]), scenario.horizon_months)
        .filter(pl.col("term_idx") == 1)
        .select(
            "month",
            "seg_idx",
            "segment",
            "renewing_customers",
            "renewing_mrr",
            pl.col("churned_customers").alias("expected_lost_customers"),
            pl.col("churned_mrr").alias("expected_lost_mrr"),
        )
        .sort("month", "seg_idx")
        .drop("seg_idx")
        .collect(engine="in-memory", optimizations=PLAN_AS_WRITTEN)
    )
