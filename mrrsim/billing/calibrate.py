"""A scenario estimated from a subscription export, each estimate with its sample and a 90%
interval (docs/model.md, "Starting from billing data").

As of a month A (default: the export's last complete month) and over the trailing window of W
months A-W+1..A, per segment (plan names without interval words, or a mapping file):

- monthly churn = monthly customers lost / monthly customer-months at risk: a customer with
  monthly MRR in the segment at the end of month t-1 is at risk in month t and lost when they
  have no MRR in the segment at the end of month t (a switch to annual is not a loss);
- annual churn = non-renewals / renewals due: every period boundary of an annual subscription
  falling in the window, lost when the subscription ends at it and the customer has no MRR in
  the segment at that month's end;
- new customers per month (customers entering the segment, reactivations included) and their
  growth, from a log-linear (Poisson) fit over the window, projected to month A+1;
- annual share = share of those new customers whose MRR is on annual billing;
- expansion = MRR at t / MRR at t-1 - 1 of retained monthly customers (per month), and of
  renewing annual customers over their renewal month (per renewal);
- existing bases, each annual customer's next renewal month (1..12 after A) and the discount of
  their signed annual price against the list price, all exactly as the rows say at A;
- list price = the most common monthly MRR of a monthly customer in the segment at A.

Proportions get Wilson score intervals; the growth fit a quasi-Poisson interval; expansion and
the signed discount a normal interval of a ratio or a mean. Each says when its sample is too
small to trust.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from mrrsim.billing.formats import Export
from mrrsim.billing.history import (
    NEVER,
    active_spans,
    last_complete_month,
    parse_month,
    with_segments,
)

__all__ = ["Calibration", "Estimate", "calibrate", "wilson"]

Z90 = 1.6448536269514722
DEFAULT_WINDOW = 12
HORIZON = 36
MAX_DISCOUNT = 0.95
# Below these sample sizes an estimate is flagged as too uncertain to trust.
MIN_EVENTS = 10
MIN_AT_RISK = 100
MIN_RENEWALS = 30
MIN_NEW = 30
MIN_PAIRS = 30


@dataclass(frozen=True)
class Estimate:
    """One calibrated input of one segment: value, 90% interval (None when exact), sample."""

    segment: str
    field: str
    value: float
    low: float | None
    high: float | None
    sample: int
    basis: str
    kind: str  # "rate", "count", "money", "list"
    warning: str | None = None
    calendar: tuple[int, ...] = ()


@dataclass(frozen=True)
class Calibration:
    """The result of ``calibrate``: the scenario as plain data, the estimates behind it,
    warnings in plain words, and the as-of month and window they rest on."""

    scenario: dict[str, Any]
    estimates: list[Estimate]
    as_of: str
    window: int
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self) -> pl.DataFrame:
        """The estimates as rows: segment, field, value, low, high, sample, basis, warning."""
        return pl.DataFrame(
            [
                {
                    "segment": e.segment,
                    "field": e.field,
                    "kind": e.kind,
                    "value": float(e.value),
                    "low": e.low,
                    "high": e.high,
                    "sample": e.sample,
                    "basis": e.basis,
                    "warning": e.warning or "",
                }
                for e in self.estimates
            ],
            schema={
                "segment": pl.String,
                "field": pl.String,
                "kind": pl.String,
                "value": pl.Float64,
                "low": pl.Float64,
                "high": pl.Float64,
                "sample": pl.Int64,
                "basis": pl.String,
                "warning": pl.String,
            },
        )

    def to_yaml(self) -> str:
        """The scenario as YAML, every estimate commented with its sample and 90% range."""
        return _yaml(self)


def wilson(successes: int, trials: int, z: float = Z90) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (0..1 when there are no trials)."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _poisson_trend(counts: list[int]) -> tuple[float, float, np.ndarray] | None:
    """Log-linear Poisson fit of counts over months -(n-1)..0: (intercept, slope, covariance),
    the covariance scaled by the Pearson dispersion when it exceeds 1 (quasi-Poisson); None
    when the fit does not converge (counts all in one or two months)."""
    y = np.asarray(counts, dtype=float)
    n = len(y)
    x = np.column_stack([np.ones(n), np.arange(n, dtype=float) - (n - 1)])
    beta = np.array([math.log(y.mean() + 0.5), 0.0])
    try:
        for _ in range(100):
            mu = np.exp(x @ beta)
            info = x.T @ (x * mu[:, None])
            step = np.linalg.solve(info, x.T @ (y - mu))
            beta = beta + step
            if np.max(np.abs(step)) < 1e-10:
                break
        else:
            return None
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(beta)) or abs(beta[1]) > 1:
        return None
    mu = np.exp(x @ beta)
    info = x.T @ (x * mu[:, None])
    dispersion = float(np.sum((y - mu) ** 2 / mu) / max(n - 2, 1))
    return float(beta[0]), float(beta[1]), np.linalg.inv(info) * max(1.0, dispersion)


def _ratio(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Ratio estimate sum(y)/sum(x) - 1 and its standard error."""
    n = len(x)
    if n == 0 or x.sum() <= 0:
        return 0.0, math.inf
    r = y.sum() / x.sum()
    if n < 2:
        return r - 1, math.inf
    resid = y - r * x
    se = math.sqrt(float(np.sum(resid**2)) / (n - 1) / n) / float(x.mean())
    return float(r - 1), float(se)


def _ratio_from_sums(
    n: int, sx: float, sy: float, sxx: float, sxy: float, syy: float
) -> tuple[float, float]:
    """``_ratio`` from the pairs' sums: n, sum x, sum y, sum x^2, sum xy, sum y^2."""
    if n == 0 or sx <= 0:
        return 0.0, math.inf
    r = sy / sx
    if n < 2:
        return r - 1, math.inf
    resid = max(syy - 2 * r * sxy + r * r * sxx, 0.0)
    return r - 1, math.sqrt(resid / (n - 1) / n) / (sx / n)


def _retained_monthly(t: pl.DataFrame, lev: pl.DataFrame) -> tuple[int, tuple[float, ...]]:
    """Customer-months with monthly MRR at both ends of a month of the window, as (count,
    (sum x, sum y, sum x^2, sum xy, sum y^2)) with x the MRR before and y after: every monthly
    customer at the start of a month, less those whose monthly MRR ended, with the changes of
    those whose MRR moved (the rest have y = x)."""
    gone = t.filter((pl.col("m0") > 0) & (pl.col("m") == 0))
    moved = t.filter((pl.col("m0") > 0) & (pl.col("m") > 0) & (pl.col("m") != pl.col("m0")))
    n = int(lev["n_m"].sum()) - gone.height
    sx = float(lev["s_m"].sum()) - float(gone["m0"].sum())
    sxx = float(lev["q_m"].sum()) - float((gone["m0"] ** 2).sum())
    x, y = moved["m0"], moved["m"]
    same = sxx - float((x**2).sum())
    sy = sx + float((y - x).sum())
    sxy = same + float((x * y).sum())
    syy = same + float((y**2).sum())
    return n, (sx, sy, sxx, sxy, syy)


def _pct(value: float) -> str:
    return f"{value * 100:.2f}%"


MICRO = 1_000_000  # MRR in integer millionths of the currency unit: exact sums


def _within(value: str) -> pl.Expr:
    """A running sum of ``value`` restarting at each key's first row (``fresh``)."""
    total = pl.col(value).cum_sum()
    return total - pl.when(pl.col("fresh")).then(total - pl.col(value)).forward_fill()


def _events(spans: pl.LazyFrame, last: int) -> pl.DataFrame:
    """Every month up to ``last`` in which a customer's MRR in a segment changes, sorted by
    (customer, segment, month): monthly-billed MRR ``m`` and annual-billed ``a`` after the
    change and ``m0``/``a0`` before it (currency units), and ``fresh`` on a key's first change.
    Levels and movements are read off these changes, never off a customer-by-month grid."""
    micro = (pl.col("mrr") * MICRO).round(0).cast(pl.Int64)
    monthly = pl.col("term") == "monthly"

    def side(month: str, sign: int) -> pl.LazyFrame:
        return spans.select(
            "cust",
            "segment",
            pl.col(month).alias("month"),
            (pl.when(monthly).then(micro).otherwise(0) * sign).alias("dm"),
            (pl.when(monthly).then(0).otherwise(micro) * sign).alias("da"),
            (monthly.cast(pl.Int64) * sign).alias("nm"),
            ((~monthly).cast(pl.Int64) * sign).alias("na"),
        )

    keys = ("cust", "segment")
    return (
        pl.concat([side("m_start", 1), side("m_end", -1)])
        .filter(pl.col("month") <= last)
        .group_by(*keys, "month")
        .agg(pl.col("dm", "da", "nm", "na").sum())
        .sort(*keys, "month")
        .with_columns(
            pl.any_horizontal([pl.col(k) != pl.col(k).shift(1) for k in keys])
            .fill_null(True)
            .alias("fresh")
        )
        .with_columns(
            pl.when(_within("nm") > 0).then(_within("dm")).otherwise(0).alias("m"),
            pl.when(_within("na") > 0).then(_within("da")).otherwise(0).alias("a"),
        )
        .with_columns(
            pl.when(pl.col("fresh")).then(0).otherwise(pl.col(c).shift(1)).alias(f"{c}0")
            for c in ("m", "a")
        )
        .with_columns((pl.col(c) / MICRO).alias(c) for c in ("m", "a", "m0", "a0"))
        .select(*keys, "month", "fresh", "m", "a", "m0", "a0")
        .collect()
    )


def _levels(events: pl.DataFrame, first: int, last: int) -> pl.DataFrame:
    """Per segment and month first..last: monthly customers ``n_m``, their MRR ``s_m`` and
    sum of squares ``q_m``, and the same at month end for annual billing (``n_a``...)."""
    steps = events.group_by("segment", "month").agg(
        ((pl.col("m") > 0).cast(pl.Int64) - (pl.col("m0") > 0).cast(pl.Int64)).sum().alias("n_m"),
        (pl.col("m") - pl.col("m0")).sum().alias("s_m"),
        (pl.col("m") ** 2 - pl.col("m0") ** 2).sum().alias("q_m"),
        ((pl.col("a") > 0).cast(pl.Int64) - (pl.col("a0") > 0).cast(pl.Int64)).sum().alias("n_a"),
    )
    months = pl.DataFrame({"month": pl.int_range(0, last + 1, eager=True).cast(pl.Int64)})
    grid = (
        steps.select("segment")
        .unique()
        .join(months.filter(pl.col("month") >= steps["month"].min()), how="cross")
    )
    return (
        grid.join(steps, on=["segment", "month"], how="left")
        .with_columns(pl.col("n_m", "s_m", "q_m", "n_a").fill_null(0))
        .sort("segment", "month")
        .with_columns(pl.col("n_m", "s_m", "q_m", "n_a").cum_sum().over("segment"))
        .filter(pl.col("month").is_between(first, last))
    )


def _state_at(events: pl.DataFrame, queries: pl.DataFrame) -> pl.DataFrame:
    """``queries`` (cust, segment, month) with each key's MRR ``m``/``a`` at that month end."""
    found = (
        queries.sort("month")
        .join_asof(
            events.select("cust", "segment", "month", "m", "a").sort("month"),
            on="month",
            by=["cust", "segment"],
            strategy="backward",
            check_sortedness=False,
        )
        .with_columns(pl.col("m", "a").fill_null(0.0))
    )
    return found


def _renewals(spans: pl.LazyFrame, events: pl.DataFrame, first: int, last: int) -> pl.DataFrame:
    """Every annual period boundary in months first..last of a subscription alive before it:
    segment, customer, month, whether it was lost, and the customer's annual MRR the month
    before and at the boundary."""
    from mrrsim.billing.formats import add_months

    length = (
        pl.when(pl.col("interval") == "year")
        .then(12 * pl.col("interval_count"))
        .otherwise(pl.col("interval_count"))
        .cast(pl.Int64)
    )
    annual = spans.filter(pl.col("term") == "annual").with_columns(length.alias("len"))
    k_lo = pl.max_horizontal(
        pl.lit(1), (first - pl.col("m_start") + pl.col("len") - 1) // pl.col("len")
    )
    k_hi = (last - pl.col("m_start")) // pl.col("len")
    due = (
        annual.with_columns(pl.int_ranges(k_lo, k_hi + 1).alias("k"))
        .explode("k")
        .filter(pl.col("k").is_not_null())
        .with_columns(
            add_months(pl.col("start"), (pl.col("k") - 1) * pl.col("len")).alias("b0"),
            add_months(pl.col("start"), pl.col("k") * pl.col("len")).alias("b1"),
            (pl.col("m_start") + pl.col("k") * pl.col("len")).alias("month"),
        )
        .filter(pl.col("end").is_null() | (pl.col("end") > pl.col("b0")))
        .select(
            "cust",
            "segment",
            "month",
            (pl.col("end").is_not_null() & (pl.col("end") <= pl.col("b1"))).alias("ends"),
        )
        .collect()
    )
    due = due.with_row_index("i")
    # the customers' MRR at the renewal month and the month before, in one as-of lookup among
    # the changes of these customers only
    mine = events.join(due.select("cust", "segment").unique(), on=["cust", "segment"], how="semi")
    found = _state_at(
        mine,
        pl.concat(
            [
                due.select("i", "cust", "segment", "month", pl.lit(1).alias("at")),
                due.select("i", "cust", "segment", pl.col("month") - 1, pl.lit(0).alias("at")),
            ]
        ),
    )
    at = found.filter(pl.col("at") == 1)
    before = found.filter(pl.col("at") == 0)
    return (
        due.join(at.select("i", pl.col("m").alias("mm1"), pl.col("a").alias("ma1")), on="i")
        .join(before.select("i", pl.col("a").alias("ma0")), on="i")
        .with_columns((pl.col("ends") & (pl.col("mm1") + pl.col("ma1") == 0)).alias("lost"))
        .sort("i")
    )


def _renewal_calendar(spans: pl.LazyFrame, as_of: int) -> pl.DataFrame:
    """Per customer and segment on annual billing at the as-of month: the month (1..12 after
    it) of their next renewal (the earliest of their annual subscriptions)."""
    length = (
        pl.when(pl.col("interval") == "year")
        .then(12 * pl.col("interval_count"))
        .otherwise(pl.col("interval_count"))
        .cast(pl.Int64)
    )
    nxt = pl.col("m_start") + pl.col("len") * ((as_of - pl.col("m_start")) // pl.col("len") + 1)
    nxt = (
        pl.when(pl.col("m_end") < NEVER)
        .then(pl.min_horizontal(nxt, pl.col("m_end")))
        .otherwise(nxt)
    )
    return (
        spans.filter(
            (pl.col("term") == "annual")
            & (pl.col("m_start") <= as_of)
            & (pl.col("m_end") > as_of)
        )
        .with_columns(length.alias("len"))
        .with_columns(((nxt - as_of - 1) % 12 + 1).alias("r"))
        .group_by("cust", "segment")
        .agg(pl.col("r").min())
        .collect()
    )  # fmt: skip


def _mode(values: pl.Series) -> float | None:
    if values.len() == 0:
        return None
    counts = values.round(2).value_counts().sort(["count", values.name], descending=[True, False])
    return float(counts[values.name][0])


def calibrate(
    export: Export,
    as_of: str | int | None = None,
    window: int = DEFAULT_WINDOW,
    segments: Mapping[str, str] | None = None,
) -> Calibration:
    """Estimate a scenario from ``export`` as of ``as_of`` (``YYYY-MM`` or a month index;
    default the last complete month) over the trailing ``window`` months. Raises ValueError
    with a plain message when the export has no usable rows or the window has no data."""
    if not export.usable:
        raise ValueError("the export has no usable subscriptions")
    if not 1 <= window <= 120:
        raise ValueError(f"--window must be between 1 and 120 months (got {window})")
    last = last_complete_month(export)
    a = parse_month(as_of) if isinstance(as_of, str) else as_of
    a = last if a is None else a
    if a is None:
        raise ValueError("the export has no dates")
    subs = with_segments(export.subscriptions, segments)
    # Integer keys group and join fast: a customer's hash, a segment's code (its index here).
    all_names = sorted(subs.get_column("segment").unique().to_list())
    spans = (
        active_spans(subs)
        .with_columns(
            pl.col("customer").hash().alias("cust"),
            pl.col("segment").replace_strict(
                all_names, list(range(len(all_names))), return_dtype=pl.Int32
            ),
        )
        .collect()
        .lazy()
    )
    first_month = spans.select(pl.col("m_start").min()).collect().item()
    if first_month is None or first_month > a:
        raise ValueError(f"no subscription is active at the end of any month up to {_label(a)}")
    lo = a - window
    events = _events(spans, a)
    trans = events.filter(pl.col("month").is_between(lo + 1, a))
    levels = _levels(events, lo, a)
    renewals = _renewals(spans, events, lo + 1, a)
    calendar = _renewal_calendar(spans, a)
    now = events.group_by("cust", "segment").agg(pl.col("m", "a").last())
    months_with_data = max(0, a - max(first_month, lo + 1) + 1)
    warnings: list[str] = []
    notes: list[str] = []
    if months_with_data < window:
        warnings.append(
            f"the export covers only {months_with_data} of the {window} months of the window"
        )
    mrr_now = now.group_by("segment").agg((pl.col("m") + pl.col("a")).sum().alias("mrr"))
    entered = trans.filter((pl.col("m0") + pl.col("a0") == 0) & (pl.col("m") + pl.col("a") > 0))
    names = (
        pl.concat([mrr_now.select("segment"), entered.select("segment")])
        .unique()
        .join(mrr_now, on="segment", how="left")
        .with_columns(pl.col("mrr").fill_null(0.0))
        .sort(["mrr", "segment"], descending=[True, False])["segment"]
        .to_list()
    )
    if not names:
        raise ValueError(f"no customers were active in {_label(lo + 1)}..{_label(a)}")
    estimates: list[Estimate] = []
    seg_dicts = []
    for code in names[:20]:
        name = all_names[code]
        est, seg = _segment(code, name, trans, levels, renewals, calendar, now, window, a)
        estimates += est
        seg_dicts.append(seg)
        warnings += [f"{name}: {e.warning}" for e in est if e.warning]
    if len(names) > 20:
        notes.append(f"only the 20 largest of {len(names)} segments are kept (a scenario holds 20)")
    notes.append(_starting_mrr(seg_dicts, float(mrr_now["mrr"].sum())))
    discounts = [s["annual_discount"] for s in seg_dicts]
    scenario_discount = float(np.median(discounts)) if discounts else 0.15
    for seg in seg_dicts:
        if abs(seg["annual_discount"] - scenario_discount) < 1e-12:
            del seg["annual_discount"]
    scenario = {
        "name": f"Calibrated from billing data (as of {_label(a)})",
        "description": (
            f"Estimated from a subscription export over the {window} months "
            f"{_label(lo + 1)} to {_label(a)}; month 0 is {_label(a)}."
        ),
        "horizon_months": HORIZON,
        "annual_discount": round(scenario_discount, 6),
        "currency": export.currency,
        "segments": seg_dicts,
    }
    return Calibration(scenario, estimates, _label(a), window, warnings, notes + export.notes)


def _starting_mrr(segments: list[dict[str, Any]], actual: float) -> str:
    """How the scenario's month-0 MRR compares with the actual: existing monthly customers
    count at the list price, so add-ons and seats above it are not in the scenario's start."""
    implied = sum(
        s["existing_monthly_customers"] * s["list_price"]
        + s["existing_annual_customers"]
        * s["list_price"]
        * (1 - s.get("existing_annual_discount", s["annual_discount"]))
        for s in segments
    )
    gap = implied / actual - 1 if actual else 0.0
    return (
        f"the scenario starts at {implied:,.2f} MRR against the actual {actual:,.2f} "
        f"({gap * 100:+.1f}%): monthly customers count at the list price, so their add-ons "
        "and seats above it are left out; annual customers keep their signed prices"
    )


def _label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _segment(
    code: int,
    name: str,
    trans: pl.DataFrame,
    levels: pl.DataFrame,
    renewals: pl.DataFrame,
    calendar: pl.DataFrame,
    now: pl.DataFrame,
    window: int,
    as_of: int,
) -> tuple[list[Estimate], dict[str, Any]]:
    """The estimates and the scenario segment of one segment."""
    t = trans.filter(pl.col("segment") == code)
    out: list[Estimate] = []

    def add(fld: str, value: float, low: float | None, high: float | None, sample: int,
            basis: str, kind: str, warning: str | None = None,
            calendar: tuple[int, ...] = ()) -> float:  # fmt: skip
        out.append(Estimate(name, fld, value, low, high, sample, basis, kind, warning, calendar))
        return value

    # monthly churn
    lev = levels.filter((pl.col("segment") == code) & (pl.col("month") < as_of))
    n_risk = int(lev["n_m"].sum())  # monthly customers at the end of each month before
    n_lost = t.filter((pl.col("m0") > 0) & (pl.col("m") + pl.col("a") == 0)).height
    low, high = wilson(n_lost, n_risk)
    small = n_risk < MIN_AT_RISK or n_lost < MIN_EVENTS
    monthly_churn = add(
        "monthly_churn", n_lost / n_risk if n_risk else 0.0, low, high, n_risk,
        f"{n_lost:,} lost of {n_risk:,} monthly customer-months at risk", "rate",
        _small("monthly churn", n_lost, n_risk, "losses", "customer-months") if small else None,
    )  # fmt: skip
    # annual churn
    r = renewals.filter(pl.col("segment") == code)
    n_due, n_gone = r.height, int(r["lost"].sum() or 0)
    low, high = wilson(n_gone, n_due)
    add(
        "annual_churn", n_gone / n_due if n_due else 0.0, low, high, n_due,
        f"{n_gone:,} not renewed of {n_due:,} renewals due", "rate",
        (f"only {n_due} annual renewals fell due in the window: annual churn is a rough guess"
         if n_due < MIN_RENEWALS else None) if n_due else "no annual renewals fell due in the "
        "window: annual churn set to 0 (no data)",
    )  # fmt: skip
    # new customers, growth and annual share
    entered = t.filter((pl.col("m0") + pl.col("a0") == 0) & (pl.col("m") + pl.col("a") > 0))
    per_month = (
        pl.DataFrame({"month": list(range(as_of - window + 1, as_of + 1))})
        .join(entered.group_by("month").len(), on="month", how="left")
        .with_columns(pl.col("len").fill_null(0))
        .sort("month")["len"]
        .to_list()
    )
    total_new = int(sum(per_month))
    fit = _poisson_trend(per_month) if sum(1 for n in per_month if n) >= 3 else None
    if fit is None:
        # too few months with new customers for a trend: a flat rate, its Poisson interval
        new_value, growth = total_new / window, 0.0
        spread = Z90 * math.sqrt(max(total_new, 1)) / window
        nlo, nhi, glo, ghi = max(new_value - spread, 0.0), new_value + spread, None, None
    else:
        a0, b, cov = fit
        se_next = math.sqrt(max(cov[0, 0] + 2 * cov[0, 1] + cov[1, 1], 0.0))
        new_value = math.exp(a0 + b)
        nlo, nhi = new_value * math.exp(-Z90 * se_next), new_value * math.exp(Z90 * se_next)
        se_b = math.sqrt(max(cov[1, 1], 0.0))
        growth = math.exp(b) - 1
        glo, ghi = math.exp(b - Z90 * se_b) - 1, math.exp(b + Z90 * se_b) - 1
    warn_new = (
        f"only {total_new} new customers in the window: acquisition is a rough guess"
        if total_new < MIN_NEW
        else None
    )
    new_value = add(
        "new_customers", new_value, nlo, nhi, total_new,
        f"{total_new:,} new customers in {window} months, trend projected to next month",
        "count", warn_new,
    )  # fmt: skip
    clipped = min(max(growth, -0.5), 0.5)
    add(
        "acquisition_growth", clipped, glo, ghi, window,
        f"log-linear fit over {window} months", "rate",
        warn_new or (f"growth {_pct(growth)} a month clipped to {_pct(clipped)}"
                     if clipped != growth else None),
    )  # fmt: skip
    n_annual = entered.filter(pl.col("a") > pl.col("m")).height
    low, high = wilson(n_annual, total_new)
    annual_share = add(
        "annual_share", n_annual / total_new if total_new else 0.0, low, high, total_new,
        f"{n_annual:,} of {total_new:,} new customers chose annual", "rate", warn_new,
    )  # fmt: skip
    # expansion
    n_kept, sums = _retained_monthly(t, lev)
    e, se = _ratio_from_sums(n_kept, *sums)
    e_c = min(max(e, -0.5), 0.5)
    add(
        "monthly_expansion", e_c, e - Z90 * se if n_kept > 1 else None,
        e + Z90 * se if n_kept > 1 else None, n_kept,
        f"MRR change of {n_kept:,} retained monthly customer-months", "rate",
        f"only {n_kept} retained monthly customer-months: expansion is a rough guess"
        if n_kept < MIN_PAIRS else None,
    )  # fmt: skip
    renewed = r.filter(~pl.col("lost") & (pl.col("ma1") > 0) & (pl.col("ma0") > 0)).unique(
        ["cust", "month"]
    )
    ea, sea = _ratio(renewed["ma0"].to_numpy(), renewed["ma1"].to_numpy())
    ea_c = min(max(ea, -0.9), 2.0)
    add(
        "annual_expansion", ea_c, ea - Z90 * sea if renewed.height > 1 else None,
        ea + Z90 * sea if renewed.height > 1 else None, renewed.height,
        f"MRR change of {renewed.height:,} renewing annual customers at renewal", "rate",
        f"only {renewed.height} annual renewals kept: annual expansion is a rough guess"
        if renewed.height < MIN_PAIRS else None,
    )  # fmt: skip
    # existing bases, list price, signed price, renewal calendar
    seg_now = now.filter(pl.col("segment") == code)
    n_monthly = seg_now.filter(pl.col("m") > 0).height
    annual_now = seg_now.filter(pl.col("a") > 0)["a"].to_numpy()
    n_annual_now = len(annual_now)
    add("existing_monthly_customers", n_monthly, None, None, n_monthly,
        f"monthly customers active at the end of {_label(as_of)}", "count")  # fmt: skip
    add("existing_annual_customers", n_annual_now, None, None, n_annual_now,
        f"annual customers active at the end of {_label(as_of)}", "count")  # fmt: skip
    prices = seg_now.filter(pl.col("m") > 0)["m"].alias("price")
    price = _mode(prices)
    price_note = None
    if price is None:
        price = float(np.round(np.median(annual_now), 2)) if n_annual_now else 1.0
        price_note = "no monthly customers at the as-of month: list price set to the annual MRR"
    add(
        "list_price", price, None, None, prices.len(),
        f"most common monthly MRR of {prices.len():,} monthly customers", "money", price_note,
    )  # fmt: skip
    cal = calendar.filter(pl.col("segment") == code)["r"].value_counts()
    by_month = dict(zip(cal["r"].to_list(), cal["count"].to_list(), strict=True))
    renewals_list = [int(by_month.get(m, 0)) for m in range(1, 13)]
    add("existing_annual_renewals", n_annual_now, None, None, n_annual_now,
        "annual customers by month of their next renewal", "list",
        calendar=tuple(renewals_list))  # fmt: skip
    if n_annual_now:
        mean = float(annual_now.mean())
        se_m = float(annual_now.std(ddof=1) / math.sqrt(n_annual_now)) if n_annual_now > 1 else 0.0
        raw = 1 - mean / price
        existing_discount = min(max(raw, 0.0), MAX_DISCOUNT)
        warn = None
        if raw != existing_discount:
            warn = (
                f"annual customers pay {_pct(-raw)} more than the list price on average "
                f"(seats or expansion): existing annual discount set to {_pct(existing_discount)}"
                if raw < 0
                else f"signed annual discount {_pct(raw)} clipped to {_pct(existing_discount)}"
            )
        add(
            "existing_annual_discount", existing_discount, 1 - (mean + Z90 * se_m) / price,
            1 - (mean - Z90 * se_m) / price, n_annual_now,
            f"average annual MRR {mean:,.2f} of {n_annual_now:,} annual customers vs list price",
            "rate", warn,
        )  # fmt: skip
    else:
        existing_discount = None
    new_annual = entered.filter(pl.col("a") > pl.col("m"))["a"].to_numpy()
    if len(new_annual):
        d_new = min(max(1 - float(new_annual.mean()) / price, 0.0), MAX_DISCOUNT)
        sd = (
            float(new_annual.std(ddof=1)) / math.sqrt(len(new_annual))
            if len(new_annual) > 1
            else 0.0
        )
        add(
            "annual_discount", d_new, 1 - (new_annual.mean() + Z90 * sd) / price,
            1 - (new_annual.mean() - Z90 * sd) / price, len(new_annual),
            f"average first annual MRR of {len(new_annual):,} new annual customers vs list price",
            "rate",
        )  # fmt: skip
    else:
        d_new = existing_discount if existing_discount is not None else 0.15
        basis = "no new annual customers in the window: the signed discount (or 15%)"
        add("annual_discount", d_new, None, None, 0, basis, "rate")
    seg: dict[str, Any] = {
        "name": name,
        "list_price": round(price, 2),
        "new_customers": round(new_value, 4),
        "acquisition_growth": round(clipped, 6),
        "annual_share": round(annual_share, 6),
        "annual_discount": round(d_new, 6),
        "monthly_churn": round(monthly_churn, 6),
        "annual_churn": round(n_gone / n_due if n_due else 0.0, 6),
        "monthly_expansion": round(e_c, 6),
        "annual_expansion": round(ea_c, 6),
        "existing_monthly_customers": n_monthly,
        "existing_annual_customers": n_annual_now,
    }
    if existing_discount is not None:
        seg["existing_annual_discount"] = round(existing_discount, 6)
        seg["existing_annual_renewals"] = renewals_list
    return out, seg


def _small(what: str, events: int, trials: int, event_word: str, trial_word: str) -> str:
    return f"{what} rests on {events:,} {event_word} in {trials:,} {trial_word}: too few to trust"


# YAML output ----------------------------------------------------------------------------------

_ORDER = (
    "list_price", "new_customers", "acquisition_growth", "annual_share", "annual_discount",
    "monthly_churn", "annual_churn", "monthly_expansion", "annual_expansion",
    "existing_monthly_customers", "existing_annual_customers", "existing_annual_discount",
    "existing_annual_renewals",
)  # fmt: skip


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(round(value, 6)) if not value.is_integer() else repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _range(e: Estimate) -> str:
    if e.low is None or e.high is None:
        return ""
    if e.kind == "rate":
        return f"; 90% range {_pct(e.low)} to {_pct(e.high)}"
    return f"; 90% range {e.low:,.1f} to {e.high:,.1f}"


def _yaml(cal: Calibration) -> str:
    sc = cal.scenario
    lines = [
        f"# Calibrated from a subscription export as of {cal.as_of} "
        f"(trailing {cal.window} months).",
        "# Each estimate: its sample and 90% range. Review the warnings before relying on it.",
    ]
    lines += [f"# WARNING: {w}" for w in cal.warnings]
    lines += [f"# note: {n}" for n in cal.notes]
    for key in ("name", "description", "horizon_months", "annual_discount", "currency"):
        comment = "  # median of the segments' discounts" if key == "annual_discount" else ""
        lines.append(f"{key}: {_scalar(sc[key])}{comment}")
    lines.append("segments:")
    by_key = {(e.segment, e.field): e for e in cal.estimates}
    for seg in sc["segments"]:
        lines.append(f"  - name: {_scalar(seg['name'])}")
        for key in _ORDER:
            if key not in seg:
                continue
            e = by_key.get((seg["name"], key))
            comment = f"  # {e.basis}{_range(e)}" if e else ""
            if e and e.warning:
                lines.append(f"    # WARNING: {e.warning}")
            lines.append(f"    {key}: {_scalar(seg[key])}{comment}")
    return "\n".join(lines) + "\n"
