"""Signal speed: how soon a churn shock shows in MRR under monthly vs annual billing.

A churn shock multiplies monthly_churn and annual_churn by ``factor`` (clipped to 1) from month
``start`` onward. The engine's churn is constant, so the shocked path is derived here directly
from the cohort formulas of SPEC section 3 with the rate changing at ``start``:

- a monthly cohort acquired in month a has, in month t, N * r0^(n0) * r1^(n1) customers, where
  n0 counts its monthly survivals into months before ``start`` and n1 those into months
  ``start`` and later (n0 + n1 = t - a; r = 1 - monthly churn);
- an annual cohort acquired in month a (the existing base as twelve cohorts renewing in months
  1..12) has N * q0^(k0) * q1^(k1) customers, k0 counting its renewals before ``start`` and k1
  those at or after it (q = 1 - annual churn).

MRR per customer is unchanged by the shock. Before ``start`` the two paths are identical, so
the gap (baseline MRR minus shocked MRR, positive when churn rises) is exactly 0 there.

The "12-month effect" is the gap in month start + 11, the twelfth month of the shock; the share
visible in month t is gap[t] / gap[start + 11]. The months are 1..max(H, start + 11), so the
12-month effect is defined even when it falls after the scenario's horizon.
Plans: the user's mix and the all-monthly / all-annual counterfactuals of SPEC section 5.
"""

from __future__ import annotations

import math

import polars as pl

from mrrsim.metrics import PLANS
from mrrsim.scenario import Scenario

__all__ = ["signal_speed"]

_TOLERANCE = 1e-9  # a share counts as reached when within this of the threshold (rounding)


def _check_args(scenario: Scenario, factor: float, start: int, notice: float) -> None:
    if isinstance(factor, bool) or not isinstance(factor, int | float):
        raise ValueError(f"factor: must be a number (got {factor!r})")
    if not math.isfinite(factor) or factor <= 0:
        raise ValueError(f"factor: must be a finite number above 0 (got {factor!r})")
    horizon = scenario.horizon_months
    if isinstance(start, bool) or not isinstance(start, int) or not 1 <= start <= horizon:
        raise ValueError(f"start: must be a whole month between 1 and {horizon} (got {start!r})")
    bad_notice = isinstance(notice, bool) or not isinstance(notice, int | float)
    if bad_notice or not 0 < notice < 1:
        raise ValueError(f"notice: must be above 0 and below 1 (got {notice!r})")


def _plan_params(scenario: Scenario, factor: float, existing_base: bool) -> pl.LazyFrame:
    """One row per (plan, segment, term) with the cohort sizes' inputs and both churn regimes."""
    rows: list[dict[str, object]] = []
    for plan_idx, share_of in enumerate((None, 0.0, 1.0)):
        for seg_idx, seg in enumerate(scenario.segments):
            share = seg.annual_share if share_of is None else share_of
            keep = 1.0 if existing_base else 0.0
            terms = (
                (1, 1.0 - share, seg.list_price, seg.monthly_churn, seg.monthly_expansion,
                 seg.existing_monthly_customers),
                (12, share, seg.list_price * (1.0 - scenario.discount_for(seg)), seg.annual_churn,
                 seg.annual_expansion, seg.existing_annual_customers / 12.0),
            )  # fmt: skip
            for stride, term_share, price, churn, expansion, base in terms:
                rows.append(
                    {
                        "plan_idx": plan_idx,
                        "seg_idx": seg_idx,
                        "stride": stride,
                        "new": seg.new_customers * term_share,
                        "growth": seg.acquisition_growth,
                        "base": base * keep,
                        "price": price,
                        "grow": 1.0 + expansion,
                        "s0": 1.0 - churn,
                        "s1": 1.0 - min(1.0, churn * factor),
                    }
                )
    schema = {"plan_idx": pl.UInt8, "seg_idx": pl.UInt32, "stride": pl.Int32}
    schema |= dict.fromkeys(("new", "growth", "base", "price", "grow", "s0", "s1"), pl.Float64)
    return pl.LazyFrame(rows, schema=schema)


def _cohorts(params: pl.LazyFrame, months: int) -> pl.LazyFrame:
    """Every cohort (acquisition month a; a <= 0 the existing base) with its size N."""
    a = pl.col("a")
    size = (
        pl.when(a >= 1)
        .then(pl.col("new") * (1.0 + pl.col("growth")).pow((a - 1).cast(pl.Float64)))
        .when((pl.col("stride") == 12) | (a == 0))
        .then(pl.col("base"))
        .otherwise(0.0)
    )
    return (
        params.with_columns(pl.int_ranges(-11, months + 1, dtype=pl.Int32).alias("a"))
        .explode("a")
        .with_columns(size.alias("N"))
        .filter(pl.col("N") != 0.0)
    )


def _paths(cohorts: pl.LazyFrame, start: int, months: int) -> pl.LazyFrame:
    """Each cohort in each month t >= max(a, 1): baseline and shocked MRR."""
    a, t, stride = pl.col("a"), pl.col("t"), pl.col("stride")
    events = (t - a) // stride
    before = pl.min_horizontal(events, (pl.lit(start - 1) - a).clip(lower_bound=0) // stride)
    per = pl.col("price") * pl.col("grow").pow(pl.col("events").cast(pl.Float64))
    base = pl.col("N") * pl.col("s0").pow(pl.col("events").cast(pl.Float64))
    shocked = (
        pl.when(pl.col("s1") == pl.col("s0"))
        .then(base)
        .otherwise(
            pl.col("N")
            * pl.col("s0").pow(pl.col("before").cast(pl.Float64))
            * pl.col("s1").pow((pl.col("events") - pl.col("before")).cast(pl.Float64))
        )
    )  # an unchanged rate gives the baseline bit for bit (no rounding gap)
    return (
        cohorts.with_columns(
            pl.int_ranges(pl.max_horizontal(a, 1), months + 1, dtype=pl.Int32).alias("t")
        )
        .explode("t")
        .with_columns(events.alias("events"), before.alias("before"))
        .with_columns((base * per).alias("baseline_mrr"), (shocked * per).alias("shocked_mrr"))
    )


def _plan_months(months: int) -> pl.LazyFrame:
    """Every (plan, month) pair, so a plan without customers still shows zero rows."""
    return (
        pl.LazyFrame(
            {"plan_idx": list(range(len(PLANS))), "plan": list(PLANS)},
            schema={"plan_idx": pl.UInt8, "plan": pl.String},
        )
        .with_columns(pl.int_ranges(1, months + 1, dtype=pl.Int32).alias("month"))
        .explode("month")
    )


def _monthly(paths: pl.LazyFrame, start: int, months: int) -> pl.LazyFrame:
    """Per plan and month: baseline and shocked MRR, the gap and the share of it visible."""
    effect = pl.col("gap").filter(pl.col("month") == start + 11).first().over("plan_idx")
    totals = paths.group_by("plan_idx", pl.col("t").alias("month")).agg(
        pl.col("baseline_mrr").sum(), pl.col("shocked_mrr").sum()
    )
    return (
        _plan_months(months)
        .join(totals, on=["plan_idx", "month"], how="left")
        .with_columns(pl.col("baseline_mrr", "shocked_mrr").fill_null(0.0))
        .with_columns((pl.col("baseline_mrr") - pl.col("shocked_mrr")).alias("gap"))
        .with_columns(
            pl.when(pl.col("baseline_mrr") != 0.0)
            .then(pl.col("gap") / pl.col("baseline_mrr"))
            .alias("gap_pct"),
            pl.when(effect != 0.0).then(pl.col("gap") / effect).alias("visible_share"),
        )
        .sort("plan_idx", "month")
    )


def _summary(monthly: pl.DataFrame, start: int, notice: float) -> pl.DataFrame:
    """Per plan: first month with a gap, months until 50% / 90% of the 12-month effect shows."""
    month, share = pl.col("month"), pl.col("visible_share")

    def months_to(level: float) -> pl.Expr:
        reached = month.filter((month >= start) & (share >= level - _TOLERANCE)).min()
        return (reached - start + 1).alias(f"months_to_{round(level * 100)}")

    twelfth = month == start + 11
    return (
        monthly.lazy()
        .group_by("plan_idx", "plan")
        .agg(
            month.filter(pl.col("gap") != 0.0).min().alias("first_visible_month"),
            months_to(0.5),
            months_to(0.9),
            (month.filter(pl.col("gap_pct").abs() >= notice).min() - start + 1).alias(
                "months_to_notice"
            ),
            pl.col("gap").filter(twelfth).first().alias("effect_12"),
            pl.col("gap_pct").filter(twelfth).first().alias("effect_12_pct"),
        )
        .sort("plan_idx")
        .drop("plan_idx")
        .collect(engine="in-memory")
    )


def signal_speed(
    scenario: Scenario,
    factor: float = 1.5,
    start: int = 13,
    *,
    notice: float = 0.01,
    existing_base: bool = True,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """How fast a churn shock (churn x ``factor`` from month ``start``) becomes visible in MRR.

    Returns (per month, summary). Per month, for each plan ("Your mix", "All monthly",
    "All annual"): plan, month, baseline_mrr, shocked_mrr, gap, gap_pct (gap / baseline MRR),
    visible_share (gap / 12-month effect; null when that effect is 0). Summary per plan:
    first_visible_month, months_to_50 and months_to_90 (counting ``start`` as month 1; null if
    never reached in the months computed), months_to_notice (until the gap is at least
    ``notice``, default 1%, of the plan's baseline MRR: when a dashboard would show it),
    effect_12 (the gap in month start + 11) and effect_12_pct. ``existing_base=False`` leaves
    the existing customers out (new cohorts only).
    """
    _check_args(scenario, factor, start, notice)
    months = max(scenario.horizon_months, start + 11)
    monthly = (
        _plan_params(scenario, float(factor), existing_base)
        .pipe(_cohorts, months)
        .pipe(_paths, start, months)
        .pipe(_monthly, start, months)
        .select(
            "plan_idx",
            "plan",
            pl.col("month").cast(pl.Int64),
            "baseline_mrr",
            "shocked_mrr",
            "gap",
            "gap_pct",
            "visible_share",
        )
        .collect(engine="in-memory")
    )
    return monthly.drop("plan_idx"), _summary(monthly, start, notice)
