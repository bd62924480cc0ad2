"""Cohort retention by acquisition month (docs/model.md, "Projection" read cohort by cohort), and
a worked month-1 example of the same formulas.

A cohort acquired in month a >= 1 of one segment and billing term starts with
n(a) * share customers, n(a) = new_customers * (1 + acquisition_growth)^(a - 1). At age
k = t - a it has passed e = k billing events on the monthly plan (every month) or e = floor(k / 12)
renewals on the annual plan, so it holds

    customers = n(a) * share * (1 - churn)^e * (1 - u)^s
    MRR = customers * price * (1 + expansion)^e

with price p (monthly) or p * (1 - d) (annual), and s the months in a + 1..t where a share u of
its monthly customers switches to annual (docs/model.md, "Switching"; s = 0 on the annual plan).
A cohort's switchers stay in their acquisition cohort, on the annual plan: those switching in
month τ (U of them, at (1 - d) times their monthly MRR) renew in τ + 12, τ + 24, … at the movers'
churn c_ma and take the annual expansion at each renewal. So a cohort's annual row can grow
after age 0, and the sum of the cohorts equals the projection's new-customer part per term.

With several segments the cohort of month a is the sum over segments; retention is that sum over
the sum at age 0, so it differs by acquisition month when segments grow at different rates. Only
new customers form cohorts here: the existing base has no acquisition month inside the horizon.

Built in lazy polars plans with no loop over months or cohorts: segments x terms crossed with
every (cohort, age) pair (at most 20 * 2 * 7,260 rows for H = 120); for segments that switch,
(cohort, switch month) pairs (at most 7,140 a segment), each crossed with its renewals (at most
20 * 25,000 rows for H = 120) and, summed over segments and renewal periods, with the 12 months
of each period (at most 7,260 * 12 rows). Everything is aggregated before anything is drawn.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from mrrsim.projection import TERMS, params_frame
from mrrsim.scenario import Scenario

__all__ = [
    "COHORT_TERMS",
    "MONTHLY_COHORTS_UP_TO",
    "chart_cohorts",
    "cohort_retention",
    "first_month_example",
    "retention_curve",
    "retention_table",
]

Term = Literal["monthly", "annual", "all"]
COHORT_TERMS: tuple[str, ...] = (*TERMS, "all")
MONTHLY_COHORTS_UP_TO = 36  # horizons up to this show every cohort; longer ones every third


def _grid(horizon: int) -> pl.LazyFrame:
    """Every (cohort, age) pair with cohort in 1..H and age in 0..H - cohort."""
    return (
        pl.LazyFrame({"cohort": pl.int_range(1, horizon + 1, eager=True, dtype=pl.Int64)})
        .with_columns(pl.int_ranges(0, horizon + 1 - pl.col("cohort"), dtype=pl.Int64).alias("age"))
        .explode("age")
    )


def _months_switching(first: pl.Expr, last: pl.Expr) -> pl.Expr:
    """How many months of first..last (inclusive) lie inside the group's switching months."""
    lo = pl.max_horizontal(first, pl.col("conv_first"))
    hi = pl.min_horizontal(last, pl.col("conv_last"))
    return pl.max_horizontal(hi - lo + 1, pl.lit(0)).cast(pl.Float64)


def _cohort_values(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Customers and MRR of each (segment, term, cohort, age) still on the term they chose."""
    size = pl.col("new0") * pl.col("share") * (1.0 + pl.col("growth")).pow(pl.col("cohort") - 1)
    events = (pl.col("age") // pl.col("stride")).cast(pl.Float64)
    stayed = _months_switching(pl.col("cohort") + 1, pl.col("cohort") + pl.col("age"))
    customers = size * pl.col("survive").pow(events) * (1.0 - pl.col("conversion")).pow(stayed)
    return lf.with_columns(
        customers.alias("customers"),
        (customers * pl.col("price") * pl.col("grow").pow(events)).alias("mrr"),
    )


def _switchers(params: pl.LazyFrame, horizon: int) -> pl.LazyFrame:
    """Customers and MRR per (cohort, age) of the monthly customers who switched to annual.

    Cohort a's switchers of month τ (age j = τ - a >= 1, τ inside the switching months):
    U = n(a) * share * (1 - c)^j * (1 - u)^(switching months in a + 1..τ - 1) * u, at annual MRR
    (1 - d) * p * (1 + e_m)^j each; after k renewals U * (1 - c_ma)^k customers at that MRR
    times (1 + e_a)^k, from month τ + 12k to τ + 12k + 11 (or the horizon).
    """
    size = pl.col("new0") * pl.col("share") * (1.0 + pl.col("growth")).pow(pl.col("cohort") - 1)
    tau = pl.col("cohort") + pl.col("age")
    before = _months_switching(pl.col("cohort") + 1, tau - 1)
    switched = (
        size
        * pl.col("survive").pow(pl.col("age").cast(pl.Float64))
        * (1.0 - pl.col("conversion")).pow(before)
        * pl.col("conversion")
    )
    annual_price = (
        (1.0 - pl.col("discount"))
        * pl.col("price")
        * pl.col("grow").pow(pl.col("age").cast(pl.Float64))
    )
    target = params.filter(pl.col("origin") == "switched").select(
        "seg_idx",
        pl.col("survive").alias("renew_survive"),
        pl.col("grow").alias("renew_grow"),
    )
    renewals = (pl.lit(horizon) - pl.col("tau")) // 12 + 1
    k = pl.col("renewal").cast(pl.Float64)
    start = pl.col("tau") + 12 * pl.col("renewal")
    return (
        params.filter(
            (pl.col("term_idx") == 0) & (pl.col("conversion") > 0) & (pl.col("share") > 0)
        )
        .join(target, on="seg_idx", how="inner")
        .join(_grid(horizon).filter(pl.col("age") >= 1), how="cross")
        .filter((tau >= pl.col("conv_first")) & (tau <= pl.col("conv_last")))
        .select(
            "cohort",
            tau.alias("tau"),
            "renew_survive",
            "renew_grow",
            switched.alias("switched"),
            (switched * annual_price).alias("switched_mrr"),
        )
        .with_columns(pl.int_ranges(0, renewals, dtype=pl.Int64).alias("renewal"))
        .explode("renewal")
        .group_by("cohort", start.alias("start"))
        .agg(
            (pl.col("switched") * pl.col("renew_survive").pow(k)).sum().alias("customers"),
            (pl.col("switched_mrr") * (pl.col("renew_survive") * pl.col("renew_grow")).pow(k))
            .sum()
            .alias("mrr"),
        )
        .with_columns(
            pl.int_ranges(
                pl.col("start"), pl.min_horizontal(pl.col("start") + 12, horizon + 1)
            ).alias("month")
        )
        .explode("month")
        .select(
            pl.lit(1, dtype=pl.UInt8).alias("term_idx"),
            "cohort",
            (pl.col("month") - pl.col("cohort")).alias("age"),
            "customers",
            "mrr",
        )
    )


def _retention(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Starting size of each cohort and the share of it still there at each age."""
    keys = ("term", "cohort")
    start_c = pl.col("customers").filter(pl.col("age") == 0).first().over(keys)
    start_m = pl.col("mrr").filter(pl.col("age") == 0).first().over(keys)
    return lf.with_columns(
        start_c.alias("start_customers"), start_m.alias("start_mrr")
    ).with_columns(
        pl.when(pl.col("start_customers") > 0)
        .then(pl.col("customers") / pl.col("start_customers"))
        .alias("customers_retention"),
        pl.when(pl.col("start_mrr") > 0)
        .then(pl.col("mrr") / pl.col("start_mrr"))
        .alias("mrr_retention"),
        (pl.col("cohort") + pl.col("age")).alias("month"),
    )


def cohort_retention(scenario: Scenario) -> pl.DataFrame:
    """One row per (term, cohort, age), terms ``monthly``, ``annual`` and ``all`` (both summed).

    Columns: term, cohort (acquisition month), age (months since acquisition), month (calendar
    month = cohort + age), customers, mrr (summed over segments), start_customers, start_mrr
    (the cohort at age 0), customers_retention, mrr_retention (fractions; null for an empty
    cohort). Sorted by term (monthly, annual, all), cohort, age.
    """
    horizon = scenario.horizon_months
    params = params_frame([scenario]).lazy()
    chose = (
        params.join(_grid(horizon), how="cross")
        .pipe(_cohort_values)
        .select("term_idx", "cohort", "age", "customers", "mrr")
    )
    per_term = (
        pl.concat([chose, _switchers(params, horizon)])
        .group_by("term_idx", "cohort", "age")
        .agg(pl.col("customers").sum(), pl.col("mrr").sum())
        .with_columns(
            pl.col("term_idx")
            .replace_strict([0, 1], list(TERMS), return_dtype=pl.String)
            .alias("term")
        )
    )
    both = (
        per_term.group_by("cohort", "age")
        .agg(pl.col("customers").sum(), pl.col("mrr").sum())
        .with_columns(pl.lit("all").alias("term"), pl.lit(2, dtype=pl.UInt8).alias("term_idx"))
    )
    columns = ("term_idx", "term", "cohort", "age", "customers", "mrr")
    return (
        pl.concat([per_term.select(columns), both.select(columns)])
        .pipe(_retention)
        .sort("term_idx", "cohort", "age")
        .select(
            "term",
            "cohort",
            "age",
            "month",
            "customers",
            "mrr",
            "start_customers",
            "start_mrr",
            "customers_retention",
            "mrr_retention",
        )
        .collect(engine="in-memory")
    )


def chart_cohorts(horizon: int) -> list[int]:
    """The cohorts a chart shows: every month up to 36 months, every third (1, 4, 7, …) beyond."""
    step = 1 if horizon <= MONTHLY_COHORTS_UP_TO else 3
    return list(range(1, horizon + 1, step))


def retention_curve(cohorts: pl.DataFrame) -> pl.DataFrame:
    """Retention by age over all cohorts old enough to reach it, weighted by cohort size.

    Per (term, age): the customers (MRR) of every cohort that reaches this age inside the
    horizon, over those cohorts' starting customers (MRR). Null when those cohorts are empty.
    """
    order = {term: i for i, term in enumerate(COHORT_TERMS)}
    return (
        cohorts.lazy()
        .group_by("term", "age")
        .agg(
            pl.col("customers").sum(),
            pl.col("mrr").sum(),
            pl.col("start_customers").sum(),
            pl.col("start_mrr").sum(),
            pl.len().alias("cohorts"),
        )
        .with_columns(
            pl.when(pl.col("start_customers") > 0)
            .then(pl.col("customers") / pl.col("start_customers"))
            .alias("customers_retention"),
            pl.when(pl.col("start_mrr") > 0)
            .then(pl.col("mrr") / pl.col("start_mrr"))
            .alias("mrr_retention"),
            pl.col("term")
            .replace_strict(list(order), list(order.values()), return_dtype=pl.Int32)
            .alias("term_order"),
        )
        .sort("term_order", "age")
        .drop("term_order")
        .collect(engine="in-memory")
    )


def first_month_example(scenario: Scenario, segment: int = 0) -> dict[str, dict[str, float]]:
    """Month 1 of one segment computed by hand from the model's formulas (docs/model.md).

    Returns ``{"inputs": {...}, "monthly": {...}, "annual": {...}}``; the two term dicts hold the
    projection table's columns for (month 1, segment, term), so they can be checked against
    ``project()`` row by row. ``annual["opening_deferred"]`` is the month-0 deferred revenue of
    the existing annual base. Written as plain arithmetic on purpose: it is the audit trail the
    Methodology page shows, independent of the engine's recurrences.
    """
    seg = scenario.segments[segment]
    p, d = seg.list_price, scenario.discount_for(seg)
    signed = scenario.signed_discount_for(seg)
    share, n1 = seg.annual_share, seg.new_customers
    cm, ca = seg.monthly_churn, seg.annual_churn
    em, ea = seg.monthly_expansion, seg.annual_expansion
    base_m, base_a = seg.existing_monthly_customers, seg.existing_annual_customers
    first, last = scenario.conversion_span(seg)
    u = seg.conversion_rate if first <= 1 <= last else 0.0

    new_m = n1 * (1.0 - share)
    kept_m = base_m * (1.0 - cm)
    switch = kept_m * u
    change_m = kept_m * p * em
    mrr_m = (kept_m - switch) * p * (1.0 + em) + new_m * p
    monthly = {
        "customers": kept_m - switch + new_m,
        "new_customers": new_m,
        "churned_customers": base_m * cm,
        "switched_customers": -switch,
        "mrr": mrr_m,
        "arr": 12.0 * mrr_m,
        "new_mrr": new_m * p,
        "expansion_mrr": max(change_m, 0.0),
        "contraction_mrr": max(-change_m, 0.0),
        "churned_mrr": base_m * cm * p,
        "switched_mrr": -switch * p * (1.0 + em),
        "cash": mrr_m,
        "revenue": mrr_m,
        "deferred_revenue": 0.0,
    }

    pa, pe = p * (1.0 - d), p * (1.0 - signed)
    switch_mrr = switch * (1.0 - d) * p * (1.0 + em)
    new_a = n1 * share
    calendar = seg.renewal_calendar()
    renewing = calendar[0]
    renewed = renewing * (1.0 - ca)
    change_a = renewed * pe * ea
    mrr_a = (base_a - renewing) * pe + renewed * pe * (1.0 + ea) + new_a * pa + switch_mrr
    cash_a = 12.0 * (renewed * pe * (1.0 + ea) + new_a * pa + switch_mrr)
    opening = sum(calendar[r - 1] * (r - 1) * pe for r in range(1, 13))
    annual = {
        "customers": base_a - renewing * ca + new_a + switch,
        "new_customers": new_a,
        "churned_customers": renewing * ca,
        "switched_customers": switch,
        "mrr": mrr_a,
        "arr": 12.0 * mrr_a,
        "new_mrr": new_a * pa,
        "expansion_mrr": max(change_a, 0.0),
        "contraction_mrr": max(-change_a, 0.0),
        "churned_mrr": renewing * ca * pe,
        "switched_mrr": switch_mrr,
        "cash": cash_a,
        "revenue": mrr_a,
        "deferred_revenue": opening + cash_a - mrr_a,
        "opening_deferred": opening,
    }
    inputs = {
        "list_price": p,
        "discount": d,
        "annual_price": pa,
        "signed_discount": signed,
        "signed_price": pe,
        "annual_share": share,
        "new_customers": n1,
        "monthly_churn": cm,
        "annual_churn": ca,
        "monthly_expansion": em,
        "annual_expansion": ea,
        "existing_monthly": base_m,
        "existing_annual": base_a,
        "renewing_base": renewing,
        "conversion_rate": u,
    }
    return {"inputs": inputs, "monthly": monthly, "annual": annual}


def retention_table(cohorts: pl.DataFrame, measure: str, ages: list[int]) -> pl.DataFrame:
    """The classic cohort table: one row per (term, cohort) (every cohort, even one too young
    for any of the ages), one column per age in ``ages``
    ("month 0", "month 3", …) holding the retention fraction of ``measure`` (customers or
    mrr); null where the cohort has not reached that age inside the horizon."""
    ret = f"{measure}_retention"
    order = {term: i for i, term in enumerate(COHORT_TERMS)}
    wide = (
        cohorts.filter(pl.col("age").is_in(ages))
        .select("term", "cohort", pl.format("month {}", "age").alias("age"), ret)
        .pivot(on="age", index=["term", "cohort"], values=ret)
    )
    columns = [f"month {a}" for a in ages]
    missing = [pl.lit(None, dtype=pl.Float64).alias(c) for c in columns if c not in wide.columns]
    every = cohorts.select("term", "cohort").unique()
    return (
        every.join(wide, on=["term", "cohort"], how="left")
        .with_columns(
            *missing,
            pl.col("term")
            .replace_strict(list(order), list(order.values()), return_dtype=pl.Int32)
            .alias("term_order"),
        )
        .sort("term_order", "cohort")
        .select("term", "cohort", *columns)
    )
