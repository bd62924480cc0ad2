"""The deterministic model of SPEC section 3 as whole-column polars expressions.

Within one segment and billing term every cohort follows the same curve by age, so month totals
are first-order recurrences over "renewal stocks":

    S[t] = b[t] + s * S[t - L]        (customers whose last billing event was in month t)
    V[t] = price * b[t] + s * m * V[t - L]   (their MRR)

with L = 1 for the monthly term (every month is a billing event) and L = 12 for the annual term,
s the survival rate at a billing event (1 - churn) and m the price factor (1 + expansion).
b[t] is the cohort acquired in month t; the existing base enters as cohorts at t <= 0 (the
monthly base at t = 0, the annual base as twelve equal cohorts at t = -11..0, i.e. first
renewals in months 1..12). Customers and MRR are the sums of the last L stocks, cash is L * V
(the billing event's payment), and deferred revenue weighs each stock by its prepaid months
still to come.

The recurrences are solved with a log-depth prefix scan (each step one shifted, masked
``with_columns``), so there is no Python loop over months or cohorts and the cost is
O(rows * log H). Many scenario variants with one horizon run in one pass (``project_many``).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from functools import lru_cache, reduce

import polars as pl

from mrrsim.scenario import Scenario

__all__ = [
    "COLUMNS",
    "FLOAT_COLUMNS",
    "PLAN_AS_WRITTEN",
    "TERMS",
    "all_annual",
    "all_monthly",
    "common_horizon",
    "params_frame",
    "project",
    "project_lazy",
    "project_many",
]

TERMS = ("monthly", "annual")
PRE = 11  # months before month 1 that hold the existing annual base (first renewals 1..12)
FLOAT_COLUMNS = (
    "customers",
    "new_customers",
    "churned_customers",
    "mrr",
    "arr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "cash",
    "revenue",
    "deferred_revenue",
)
COLUMNS = ("month", "segment", "term", *FLOAT_COLUMNS)
# The plan is already minimal (every column is used), so polars' optimiser passes only add time:
# they took a third of project() on the ten-segment benchmark (9.5 ms vs 6.5 ms without).
PLAN_AS_WRITTEN = pl.QueryOptFlags.none()
# Every collect in mrrsim names polars' in-memory engine: the projection is a deep chain of
# shifted columns over a few thousand rows, which it runs in milliseconds where the streaming
# engine took seconds (11 ms vs 2.6 s). Per call, so importing mrrsim changes no global setting.


def all_monthly(scenario: Scenario) -> Scenario:
    """The counterfactual where every new customer chooses month-to-month billing."""
    return scenario.with_segments(annual_share=0.0)


def all_annual(scenario: Scenario) -> Scenario:
    """The counterfactual where every new customer chooses annual prepaid billing."""
    return scenario.with_segments(annual_share=1.0)


def params_frame(scenarios: Sequence[Scenario]) -> pl.DataFrame:
    """One row per (variant, segment, term) with the rates the recurrences need."""
    rows: list[dict[str, object]] = []
    for variant, sc in enumerate(scenarios):
        for seg_idx, seg in enumerate(sc.segments):
            discount = sc.discount_for(seg)
            common = {
                "variant": variant,
                "seg_idx": seg_idx,
                "segment": seg.name,
                "new0": seg.new_customers,
                "growth": seg.acquisition_growth,
                "coc": sc.cost_of_capital,
            }
            rows.append(
                common
                | {
                    "term_idx": 0,
                    "stride": 1,
                    "price": seg.list_price,
                    "share": 1.0 - seg.annual_share,
                    "churn": seg.monthly_churn,
                    "survive": 1.0 - seg.monthly_churn,
                    "expansion": seg.monthly_expansion,
                    "grow": 1.0 + seg.monthly_expansion,
                    "base": seg.existing_monthly_customers,
                }
            )
            rows.append(
                common
                | {
                    "term_idx": 1,
                    "stride": 12,
                    "price": seg.list_price * (1.0 - discount),
                    "share": seg.annual_share,
                    "churn": seg.annual_churn,
                    "survive": 1.0 - seg.annual_churn,
                    "expansion": seg.annual_expansion,
                    "grow": 1.0 + seg.annual_expansion,
                    "base": seg.existing_annual_customers / 12.0,
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "variant": pl.UInt32,
            "seg_idx": pl.UInt32,
            "segment": pl.String,
            "new0": pl.Float64,
            "growth": pl.Float64,
            "coc": pl.Float64,
            "term_idx": pl.UInt8,
            "stride": pl.Int32,
            "price": pl.Float64,
            "share": pl.Float64,
            "churn": pl.Float64,
            "survive": pl.Float64,
            "expansion": pl.Float64,
            "grow": pl.Float64,
            "base": pl.Float64,
        },
    )


def _acquisitions(lf: pl.LazyFrame, stride: int) -> pl.LazyFrame:
    """b[t]: new cohorts for t >= 1, the existing base as cohorts at t <= 0."""
    t = pl.col("t")
    b = (
        pl.when(t >= 1)
        .then(pl.col("new0") * pl.col("share") * (1.0 + pl.col("growth")).pow(t - 1))
        .otherwise(pl.col("base"))
    )
    return lf.with_columns(b.alias("b")).with_columns(
        pl.col("b").alias("S"), (pl.col("price") * pl.col("b")).alias("V")
    )


@lru_cache(maxsize=64)
def _scan_steps(stride: int, first: int, horizon: int) -> tuple[tuple[pl.Expr, ...], ...]:
    """The doubling steps of the prefix scan, S[t] += s^k * S[t - k*stride] for k = 1, 2, 4, ...

    After the steps every row holds the whole geometric sum over its group's earlier stocks.
    The mask keeps each shift inside its group (rows run from month ``first`` to the horizon).
    """
    idx = pl.col("t") - first
    span = horizon - first + 1
    steps = []
    k = 1
    while k * stride < span:
        lag = k * stride
        inside = idx >= lag
        steps.append(
            tuple(
                (
                    pl.col(stock)
                    + pl.when(inside).then(factor.pow(k) * pl.col(stock).shift(lag)).otherwise(0.0)
                ).alias(stock)
                for stock, factor in (
                    ("S", pl.col("survive")),
                    ("V", pl.col("survive") * pl.col("grow")),
                )
            )
        )
        k *= 2
    return tuple(steps)


def _scan(lf: pl.LazyFrame, stride: int, first: int, horizon: int) -> pl.LazyFrame:
    """Solve both recurrences for every group of one term in ceil(log2(span / stride)) steps."""
    for step in _scan_steps(stride, first, horizon):
        lf = lf.with_columns(step)
    return lf


def _window(col: str, weights: Sequence[float]) -> pl.Expr:
    """sum_j weights[j] * col[t - j] (only read at t >= 1, where the lags stay in the group).

    A left fold of ``+`` rather than ``pl.sum_horizontal``: the horizontal sum reduces in a
    thread-dependent order, so its last bits varied between runs; a share link must reproduce
    every number exactly.
    """
    terms = [
        pl.col(col).shift(j) * w if w != 1 else pl.col(col).shift(j)
        for j, w in enumerate(weights)
        if w
    ]
    return reduce(operator.add, terms)


@lru_cache(maxsize=4)
def _flow_exprs(stride: int) -> tuple[pl.Expr, ...]:
    """The table's columns (SPEC section 4) from the renewal stocks of one term.

    ``renewing_customers`` / ``renewing_mrr`` (annual rows) are the cohorts reaching a renewal
    this month, before churn and price change: the calendar customer-success teams work from.
    Flows use the churn and expansion rates as given, not 1 - (1 - c): a rate of 1e-12 would
    otherwise lose most of its digits.
    """
    s = pl.col("survive")
    prev_s = pl.col("S").shift(stride)
    prev_v = pl.col("V").shift(stride)
    change = s * pl.col("expansion") * prev_v
    if stride == 1:
        customers, mrr, deferred = pl.col("S"), pl.col("V"), pl.lit(0.0)
    else:
        customers = _window("S", [1.0] * stride)
        mrr = _window("V", [1.0] * stride)
        deferred = _window("V", [float(stride - 1 - j) for j in range(stride)])
    return (
        customers.alias("customers"),
        pl.col("b").alias("new_customers"),
        (pl.col("churn") * prev_s).alias("churned_customers"),
        mrr.alias("mrr"),
        (mrr * 12.0).alias("arr"),
        (pl.col("price") * pl.col("b")).alias("new_mrr"),
        pl.when(change > 0.0).then(change).otherwise(0.0).alias("expansion_mrr"),
        pl.when(change < 0.0).then(-change).otherwise(0.0).alias("contraction_mrr"),
        (pl.col("churn") * prev_v).alias("churned_mrr"),
        (pl.col("V") * float(stride)).alias("cash"),
        mrr.alias("revenue"),
        deferred.alias("deferred_revenue"),
        (prev_s if stride > 1 else pl.lit(0.0)).alias("renewing_customers"),
        (prev_v if stride > 1 else pl.lit(0.0)).alias("renewing_mrr"),
    )


def _term(params: pl.LazyFrame, stride: int, horizon: int) -> pl.LazyFrame:
    """All groups of one billing term: rows from the first base cohort to the horizon."""
    first = 0 if stride == 1 else -PRE
    return (
        params.filter(pl.col("stride") == stride)
        .with_columns(pl.int_ranges(first, horizon + 1, dtype=pl.Int32).alias("t"))
        .explode("t")
        .pipe(_acquisitions, stride)
        .pipe(_scan, stride, first, horizon)
        .with_columns(_flow_exprs(stride))
        .filter(pl.col("t") >= 1)
    )


def project_lazy(params: pl.DataFrame, horizon: int) -> pl.LazyFrame:
    """The projection of every variant in ``params`` (from ``params_frame``) as one lazy plan.

    The two billing terms are solved separately (their strides differ) and then interleaved
    in the table's order: month, then segment, then monthly before annual.
    """
    lf = params.lazy().sort("variant", "seg_idx", "term_idx")
    return (
        pl.concat([_term(lf, 1, horizon), _term(lf, 12, horizon)])
        .with_columns(
            pl.col("t").cast(pl.Int64).alias("month"),
            pl.col("term_idx")
            .replace_strict([0, 1], list(TERMS), return_dtype=pl.String)
            .alias("term"),
        )
        .sort("variant", "month", "seg_idx", "term_idx")
    )


def common_horizon(scenarios: Sequence[Scenario]) -> int:
    """The one horizon a batch of variants shares (a batch is one frame of equal-length groups)."""
    horizons = {sc.horizon_months for sc in scenarios}
    if len(horizons) != 1:
        raise ValueError("a batch needs at least one scenario, all with one horizon")
    return horizons.pop()


def project_many(scenarios: Sequence[Scenario]) -> pl.DataFrame:
    """Projections of several scenarios sharing one horizon, tagged by a ``variant`` index."""
    lf = project_lazy(params_frame(scenarios), common_horizon(scenarios))
    return lf.select("variant", *COLUMNS).collect(engine="in-memory", optimizations=PLAN_AS_WRITTEN)


def project(scenario: Scenario) -> pl.DataFrame:
    """The projection table of SPEC section 4: one row per (month, segment, term)."""
    lf = project_lazy(params_frame([scenario]), scenario.horizon_months)
    return lf.select(COLUMNS).collect(engine="in-memory", optimizations=PLAN_AS_WRITTEN)
