"""The deterministic model (docs/model.md, "Projection") as whole-column polars expressions.

A plan is a set of groups (``mrrsim.policy``): customers of one segment and billing term who
share price, churn and expansion. Within a group every cohort follows the same curve by age, so
month totals are first-order recurrences over "renewal stocks":

    S[t] = b[t] + a[t] * S[t - L]        (customers whose last billing event was in month t)
    V[t] = m[t] + g[t] * V[t - L]        (their MRR)

with L = 1 for the monthly term (every month is a billing event) and L = 12 for the annual term.
For a monthly group a[t] = (1 - churn)(1 - u_t) and g[t] = a[t](1 + expansion), u_t the share
switching to annual in month t; for an annual group a = 1 - churn and g = a(1 + expansion) at
each renewal. b[t] is the cohort acquired in month t and m[t] its MRR; the existing base enters
as cohorts at t <= 0 (the monthly base at t = 0, the annual base by first renewal month r as
cohorts at t = r - 12). Monthly switchers of month t enter the segment's "switched" annual group
as its cohort b[t], at (1 - d) times their monthly MRR. Customers and MRR are the sums of the
last L stocks, cash is L * V (the billing event's payment), and deferred revenue weighs each
stock by its prepaid months still to come.

The recurrences are solved with a log-depth prefix scan of affine maps (each step one shifted,
masked ``with_columns``), so there is no Python loop over months or cohorts and the cost is
O(rows * log H). Many variants with one horizon run in one pass (``project_many``).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from functools import lru_cache, reduce

import polars as pl

from mrrsim.policy import Group, Variant, as_variant, plan_groups
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
    "switched_customers",
    "mrr",
    "arr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "switched_mrr",
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


def all_monthly(scenario: Scenario) -> Variant:
    """Every new customer on month-to-month billing; natural annual choosers become movers."""
    return Variant(scenario, "all_monthly")


def all_annual(scenario: Scenario) -> Variant:
    """Every new customer on annual prepaid billing; natural monthly choosers become movers."""
    return Variant(scenario, "all_annual")


_PARAMS_SCHEMA: dict[str, pl.DataType] = {
    "variant": pl.UInt32(),
    "gid": pl.UInt32(),
    "seg_idx": pl.UInt32(),
    "segment": pl.String(),
    "term_idx": pl.UInt8(),
    "origin": pl.String(),
    "stride": pl.Int32(),
    "new0": pl.Float64(),
    "growth": pl.Float64(),
    "coc": pl.Float64(),
    "share": pl.Float64(),
    "price": pl.Float64(),
    "churn": pl.Float64(),
    "survive": pl.Float64(),
    "expansion": pl.Float64(),
    "grow": pl.Float64(),
    "base": pl.List(pl.Float64()),
    "base_price": pl.Float64(),
    "conversion": pl.Float64(),
    "conv_first": pl.Int32(),
    "conv_last": pl.Int32(),
    "discount": pl.Float64(),
    "nrr_factor": pl.Float64(),
    "grr_factor": pl.Float64(),
}


def _retention_factors(group: Group, horizon: int) -> tuple[float, float]:
    """MRR in month H per unit of the group's MRR in month H - 12, net and gross (each surviving
    customer at most at its MRR then); switchers are followed onto their annual price.

    Every annual cohort passes exactly one renewal in any 12 months. A monthly customer survives
    each month at (1 - c), moves its price by (1 + e), and may switch to annual at (1 - d) times
    its monthly MRR; a switch cohort has no renewal before month H.
    """
    s, g = 1.0 - group.churn, 1.0 + group.expansion
    if group.term == "annual":
        return s * g, s * min(g, 1.0)
    net = gross = 0.0
    staying = 1.0  # share of the customers of month H - 12 still on the monthly plan
    for j in range(1, 13):
        u = group.conversion_at(horizon - 12 + j)
        switched = staying * s * u
        price = (1.0 - group.discount) * g**j
        net += switched * price
        gross += switched * min(price, 1.0)
        staying *= s * (1.0 - u)
    return net + staying * g**12, gross + staying * min(g**12, 1.0)


def _live(group: Group, groups: Sequence[Group]) -> bool:
    """Groups that can hold customers; empty movers and unused switch groups are left out."""
    if group.origin == "switched":
        return any(
            g.seg_idx == group.seg_idx and g.term == "monthly" and g.conversion > 0 for g in groups
        )
    return group.share > 0 or group.origin == "chose"


def params_frame(items: Sequence[Scenario | Variant]) -> pl.DataFrame:
    """One row per (variant, group) with the rates the recurrences need."""
    rows: list[dict[str, object]] = []
    for v_idx, item in enumerate(items):
        variant = as_variant(item)
        sc = variant.scenario
        groups = plan_groups(variant)
        for gid, group in enumerate(groups):
            if not _live(group, groups):
                continue
            seg = sc.segments[group.seg_idx]
            monthly = group.term == "monthly"
            base = list(group.base) if group.base else [0.0] * (1 if monthly else 12)
            nrr, grr = _retention_factors(group, sc.horizon_months)
            rows.append(
                {
                    "variant": v_idx,
                    "gid": gid,
                    "seg_idx": group.seg_idx,
                    "segment": seg.name,
                    "term_idx": 0 if monthly else 1,
                    "origin": group.origin,
                    "stride": 1 if monthly else 12,
                    "new0": seg.new_customers,
                    "growth": seg.acquisition_growth,
                    "coc": sc.cost_of_capital,
                    "share": group.share,
                    "price": group.price,
                    "churn": group.churn,
                    "survive": 1.0 - group.churn,
                    "expansion": group.expansion,
                    "grow": 1.0 + group.expansion,
                    "base": base,
                    "base_price": group.base_price,
                    "conversion": group.conversion,
                    "conv_first": group.conversion_months[0],
                    "conv_last": group.conversion_months[1],
                    "discount": group.discount,
                    "nrr_factor": nrr,
                    "grr_factor": grr,
                }
            )
    return pl.DataFrame(rows, schema=_PARAMS_SCHEMA)


def _acquisitions(lf: pl.LazyFrame, first: int) -> pl.LazyFrame:
    """b[t] and its MRR m[t]: new cohorts for t >= 1, the existing base as cohorts at t <= 0,
    switchers (already joined as ``switch_in`` / ``switch_mrr_in``) on top; and the per-month
    coefficients of the recurrences."""
    t = pl.col("t")
    new = pl.col("new0") * pl.col("share") * (1.0 + pl.col("growth")).pow(t - 1)
    base = pl.col("base").list.get(t - first, null_on_oob=True).fill_null(0.0)
    u = (
        pl.when((t >= pl.col("conv_first")) & (t <= pl.col("conv_last")))
        .then(pl.col("conversion"))
        .otherwise(0.0)
    )
    stays = pl.col("survive") * (1.0 - u)
    return (
        lf.with_columns(
            pl.when(t >= 1).then(new).otherwise(0.0).alias("new_b"),
            pl.when(t >= 1).then(0.0).otherwise(base).alias("base_b"),
            u.alias("u"),
        )
        .with_columns(
            (pl.col("new_b") + pl.col("base_b") + pl.col("switch_in")).alias("b"),
            (
                pl.col("price") * pl.col("new_b")
                + pl.col("base_price") * pl.col("base_b")
                + pl.col("switch_mrr_in")
            ).alias("m"),
            stays.alias("aS"),
            (stays * pl.col("grow")).alias("aV"),
        )
        .with_columns(pl.col("b").alias("S"), pl.col("m").alias("V"))
    )


@lru_cache(maxsize=64)
def _scan_steps(stride: int, first: int, horizon: int) -> tuple[tuple[pl.Expr, ...], ...]:
    """The doubling steps of a Hillis-Steele scan of the affine maps x -> a[t] x + b[t]:
    with lag k*stride, x[t] += A[t] x[t - lag] and A[t] *= A[t - lag], for k = 1, 2, 4, ...

    After the steps every row holds the whole sum over its group's earlier stocks. The mask
    keeps each shift inside its group (rows run from month ``first`` to the horizon).
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
                expr
                for stock, coef in (("S", "aS"), ("V", "aV"))
                for expr in (
                    (
                        pl.col(stock)
                        + pl.when(inside)
                        .then(pl.col(coef) * pl.col(stock).shift(lag))
                        .otherwise(0.0)
                    ).alias(stock),
                    (
                        pl.col(coef) * pl.when(inside).then(pl.col(coef).shift(lag)).otherwise(1.0)
                    ).alias(coef),
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


def _negated(value: pl.Expr) -> pl.Expr:
    """-value, with 0 for 0: no negative zeros in the table (CSV would show -0.0)."""
    return pl.when(value > 0.0).then(-value).otherwise(0.0)


@lru_cache(maxsize=4)
def _flow_exprs(stride: int) -> tuple[pl.Expr, ...]:
    """The table's columns (docs/model.md, "Projection table") from one group's stocks.

    ``renewing_customers`` / ``renewing_mrr`` (annual rows) are the cohorts reaching a renewal
    this month, before churn and price change: the calendar customer-success teams work from.
    Flows use the churn and expansion rates as given, not 1 - (1 - c): a rate of 1e-12 would
    otherwise lose most of its digits. A monthly group's switchers (u_t of its survivors, after
    churn and expansion) leave with their monthly MRR; they arrive in the switched annual group.
    """
    s = pl.col("survive")
    prev_s = pl.col("S").shift(stride)
    prev_v = pl.col("V").shift(stride)
    change = s * pl.col("expansion") * prev_v
    if stride == 1:
        customers, mrr, deferred = pl.col("S"), pl.col("V"), pl.lit(0.0)
        leaving = pl.col("u") * s
        switched_c = _negated(leaving * prev_s)
        switched_m = _negated(leaving * pl.col("grow") * prev_v)
    else:
        customers = _window("S", [1.0] * stride)
        mrr = _window("V", [1.0] * stride)
        deferred = _window("V", [float(stride - 1 - j) for j in range(stride)])
        switched_c, switched_m = pl.col("switch_in"), pl.col("switch_mrr_in")
    return (
        customers.alias("customers"),
        pl.col("new_b").alias("new_customers"),
        (pl.col("churn") * prev_s).alias("churned_customers"),
        switched_c.alias("switched_customers"),
        mrr.alias("mrr"),
        (mrr * 12.0).alias("arr"),
        (pl.col("price") * pl.col("new_b")).alias("new_mrr"),
        pl.when(change > 0.0).then(change).otherwise(0.0).alias("expansion_mrr"),
        pl.when(change < 0.0).then(-change).otherwise(0.0).alias("contraction_mrr"),
        (pl.col("churn") * prev_v).alias("churned_mrr"),
        switched_m.alias("switched_mrr"),
        (pl.col("V") * float(stride)).alias("cash"),
        mrr.alias("revenue"),
        deferred.alias("deferred_revenue"),
        (prev_s if stride > 1 else pl.lit(0.0)).alias("renewing_customers"),
        (prev_v if stride > 1 else pl.lit(0.0)).alias("renewing_mrr"),
    )


_SUMMED = tuple(c for c in FLOAT_COLUMNS if c not in ("arr", "revenue"))
_GROUP_COLUMNS = ("variant", "gid", "seg_idx", "segment", "term_idx", "stride", "coc")
_KEEP = (*_GROUP_COLUMNS, "t", "nrr_factor", "grr_factor", "renewing_customers", "renewing_mrr")


def _rows(params: pl.LazyFrame, stride: int, first: int, horizon: int) -> pl.LazyFrame:
    """Rows of every group of one term, from the first base cohort to the horizon, sorted."""
    return (
        params.filter(pl.col("stride") == stride)
        .with_columns(pl.int_ranges(first, horizon + 1, dtype=pl.Int32).alias("t"))
        .explode("t")
    )


def _solve(lf: pl.LazyFrame, stride: int, first: int, horizon: int) -> pl.LazyFrame:
    return (
        lf.pipe(_acquisitions, first)
        .pipe(_scan, stride, first, horizon)
        .with_columns(_flow_exprs(stride))
        .filter(pl.col("t") >= 1)
    )


def group_lazy(params: pl.DataFrame, horizon: int) -> pl.LazyFrame:
    """Every group's rows for months 1..H with the table's columns (one row per group and
    month), monthly groups first; switchers feed the annual groups through one join."""
    lf = params.lazy().sort("variant", "gid")
    zero = (pl.lit(0.0).alias("switch_in"), pl.lit(0.0).alias("switch_mrr_in"))
    monthly = _rows(lf, 1, 0, horizon).with_columns(zero).pipe(_solve, 1, 0, horizon)
    switchers = (
        monthly.group_by("variant", "seg_idx", "t")
        .agg(
            (-pl.col("switched_customers")).sum().alias("switch_in"),
            (-(1.0 - pl.col("discount")) * pl.col("switched_mrr")).sum().alias("switch_mrr_in"),
        )
        .with_columns(pl.lit("switched").alias("origin"))
    )
    annual = (
        _rows(lf, 12, -PRE, horizon)
        .join(switchers, on=["variant", "seg_idx", "t", "origin"], how="left")
        .with_columns(pl.col("switch_in", "switch_mrr_in").fill_null(0.0))
        .sort("variant", "gid", "t")
        .pipe(_solve, 12, -PRE, horizon)
    )
    columns = (*_KEEP, *FLOAT_COLUMNS)
    return pl.concat([monthly.select(columns), annual.select(columns)])


def project_lazy(params: pl.DataFrame, horizon: int) -> pl.LazyFrame:
    """The projection of every variant in ``params`` (from ``params_frame``) as one lazy plan:
    groups summed per (variant, month, segment, term), in the table's order (month, then
    segment, then monthly before annual)."""
    return (
        group_lazy(params, horizon)
        .group_by("variant", "t", "seg_idx", "term_idx")
        .agg(
            pl.col("segment", "stride", "coc").first(),
            pl.col(*_SUMMED, "renewing_customers", "renewing_mrr").sum(),
        )
        .with_columns(
            (pl.col("mrr") * 12.0).alias("arr"),
            pl.col("mrr").alias("revenue"),
            pl.col("t").cast(pl.Int64).alias("month"),
            pl.col("term_idx")
            .replace_strict([0, 1], list(TERMS), return_dtype=pl.String)
            .alias("term"),
        )
        .sort("variant", "month", "seg_idx", "term_idx")
    )


def common_horizon(items: Sequence[Scenario | Variant]) -> int:
    """The one horizon a batch of variants shares (a batch is one frame of equal-length groups)."""
    horizons = {as_variant(item).horizon for item in items}
    if len(horizons) != 1:
        raise ValueError("a batch needs at least one scenario, all with one horizon")
    return horizons.pop()


def project_many(items: Sequence[Scenario | Variant]) -> pl.DataFrame:
    """Projections of several variants sharing one horizon, tagged by a ``variant`` index."""
    lf = project_lazy(params_frame(items), common_horizon(items))
    return lf.select("variant", *COLUMNS).collect(engine="in-memory", optimizations=PLAN_AS_WRITTEN)


def project(item: Scenario | Variant) -> pl.DataFrame:
    """The projection table (docs/model.md, "Projection table"): one row per (month, segment,
    term), for a scenario's own mix or any variant of it."""
    lf = project_lazy(params_frame([item]), as_variant(item).horizon)
    return lf.select(COLUMNS).collect(engine="in-memory", optimizations=PLAN_AS_WRITTEN)
