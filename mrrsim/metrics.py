"""Summary metrics of SPEC section 5, the three billing plans side by side, and monthly totals.

Each metric is a small polars expression over the projection (functime style); ``summarize_many``
evaluates them for many scenarios, and the counterfactual variants they need, in one pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass

import polars as pl

from mrrsim.projection import (
    FLOAT_COLUMNS,
    PLAN_AS_WRITTEN,
    all_annual,
    all_monthly,
    common_horizon,
    params_frame,
    project_lazy,
    project_many,
)
from mrrsim.scenario import Scenario

__all__ = [
    "PLANS",
    "SUMMARY_KEYS",
    "PlanResults",
    "Summary",
    "break_even_variants",
    "monthly_totals",
    "plan_comparison",
    "plan_results",
    "plan_variants",
    "renewal_calendar",
    "summarize",
    "summarize_many",
    "variant_metrics",
]

PLANS = ("Your mix", "All monthly", "All annual")


@dataclass(frozen=True)
class Summary(Mapping[str, float | None]):
    """The headline figures of one scenario; reads like a dict (``summary["npv_cash"]``)."""

    ending_mrr: float
    ending_arr: float
    ending_customers: float
    cumulative_cash: float
    cumulative_revenue: float
    npv_cash: float
    nrr_12: float | None
    grr_12: float | None
    break_even_discount: float | None
    break_even_discount_revenue: float | None

    def __getitem__(self, key: str) -> float | None:
        if key not in SUMMARY_KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(SUMMARY_KEYS)

    def __len__(self) -> int:
        return len(SUMMARY_KEYS)

    def to_dict(self) -> dict[str, float | None]:
        """A plain dict (for JSON)."""
        return asdict(self)


SUMMARY_KEYS = tuple(Summary.__dataclass_fields__)


def plan_variants(scenario: Scenario) -> list[Scenario]:
    """Your mix, all-monthly and all-annual, in the order of ``PLANS``."""
    return [scenario, all_monthly(scenario), all_annual(scenario)]


def break_even_variants(scenario: Scenario) -> list[Scenario]:
    """New customers only: all-monthly, and all-annual with no discount anywhere (SPEC 5)."""
    new_only = scenario.with_segments(existing_monthly_customers=0.0, existing_annual_customers=0.0)
    monthly = all_monthly(new_only)
    annual = all_annual(new_only).with_segments(annual_discount=None)
    return [monthly, annual.model_copy(update={"annual_discount": 0.0})]


def _npv_cash() -> pl.Expr:
    """sum_t cash[t] * (1 + cost_of_capital)^(-(t-1)/12): month 1's cash is not discounted."""
    return (pl.col("cash") * (1.0 + pl.col("coc")).pow(-(pl.col("month") - 1) / 12.0)).sum()


def _retention_factors() -> list[pl.Expr]:
    """Per group, MRR kept by customers active 12 months earlier: net and gross (GRR caps at 1).

    Over any 12 months a monthly customer survives 12 billing events at (1-c) and its price moves
    by (1+e)^12; an annual customer passes exactly one renewal.
    """
    monthly = pl.col("stride") == 1
    s, g = pl.col("survive"), pl.col("grow")
    net = pl.when(monthly).then((s * g).pow(12)).otherwise(s * g)
    gross = (
        pl.when(monthly)
        .then(s.pow(12) * pl.min_horizontal(g.pow(12), 1.0))
        .otherwise(s * pl.min_horizontal(g, 1.0))
    )
    return [net.alias("nrr_factor"), gross.alias("grr_factor")]


def _at(month: pl.Expr | int, value: pl.Expr) -> pl.Expr:
    return value.filter(pl.col("month") == month).sum()


def _summary_aggregates(horizon: int) -> list[pl.Expr]:
    base = horizon - 12
    mrr = pl.col("mrr")
    return [
        _at(horizon, mrr).alias("ending_mrr"),
        _at(horizon, pl.col("customers")).alias("ending_customers"),
        pl.col("cash").sum().alias("cumulative_cash"),
        pl.col("revenue").sum().alias("cumulative_revenue"),
        _npv_cash().alias("npv_cash"),
        _at(base, mrr).alias("base_mrr_12"),
        _at(base, mrr * pl.col("nrr_factor")).alias("kept_mrr_12"),
        _at(base, mrr * pl.col("grr_factor")).alias("gross_mrr_12"),
    ]


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


def _summaries_one_horizon(scenarios: Sequence[Scenario], horizon: int) -> list[Summary]:
    variants = [v for sc in scenarios for v in (sc, *break_even_variants(sc))]
    rows = (
        project_lazy(params_frame(variants), horizon)
        .with_columns(_retention_factors())
        .group_by("variant")
        .agg(_summary_aggregates(horizon))
        .sort("variant")
        .collect(engine="in-memory", optimizations=PLAN_AS_WRITTEN)
        .to_dicts()
    )
    out = []
    for i, sc in enumerate(scenarios):
        mine, monthly, annual = rows[3 * i : 3 * i + 3]
        has_new = any(seg.new_customers > 0 for seg in sc.segments)
        has_base = horizon >= 13 and mine["base_mrr_12"] > 0

        def break_even(key: str, *, ok: bool = has_new, m: dict = monthly, a: dict = annual):
            ratio = _ratio(m[key], a[key]) if ok else None
            return None if ratio is None else 1.0 - ratio

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
                break_even_discount=break_even("npv_cash"),
                break_even_discount_revenue=break_even("cumulative_revenue"),
            )
        )
    return out


def variant_metrics(scenarios: Sequence[Scenario]) -> pl.DataFrame:
    """ending_arr, npv_cash and cumulative_cash of every variant (one horizon), in one pass.

    The batch path of the tornado and the discount x share grid: one row per variant, in input
    order, each NPV at its variant's own cost of capital.
    """
    horizon = common_horizon(scenarios)
    return (
        project_lazy(params_frame(scenarios), horizon)
        .group_by("variant")
        .agg(
            (_at(horizon, pl.col("mrr")) * 12.0).alias("ending_arr"),
            _npv_cash().alias("npv_cash"),
            pl.col("cash").sum().alias("cumulative_cash"),
        )
        .sort("variant")
        .collect(engine="in-memory", optimizations=PLAN_AS_WRITTEN)
    )


def summarize_many(scenarios: Sequence[Scenario]) -> list[Summary]:
    """Summaries of many scenarios; one polars pass per distinct horizon."""
    by_horizon: dict[int, list[int]] = defaultdict(list)
    for i, sc in enumerate(scenarios):
        by_horizon[sc.horizon_months].append(i)
    out: list[Summary | None] = [None] * len(scenarios)
    for horizon, idx in by_horizon.items():
        for i, summary in zip(
            idx, _summaries_one_horizon([scenarios[i] for i in idx], horizon), strict=True
        ):
            out[i] = summary
    return [s for s in out if s is not None]


def summarize(scenario: Scenario) -> Summary:
    """The summary metrics of SPEC section 5 for one scenario."""
    return summarize_many([scenario])[0]


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
            (pl.col("new_mrr") + pl.col("expansion_mrr") - losses).alias("net_new_mrr"),
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
        .filter(pl.col("stride") == 12)
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
