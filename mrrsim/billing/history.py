"""MRR history from a subscription export: month-end MRR and customers per segment and billing
term, with the movements new, expansion, contraction, churn and reactivation per customer.

A subscription counts at the end of every calendar month in which it is active at the month's
last day: from the month of its start up to, not including, the month of its end. Movements are
worked out per customer, month over month: a customer whose MRR (in the rows' scope) goes from
0 to positive is new the first time and a reactivation after that; positive to 0 is churn;
positive to a different positive amount is expansion or contraction. Per segment and term the
scope is the customer's subscriptions on that segment and term (so a switch from monthly to
annual billing is churn on the monthly row and new on the annual row); the rows with segment
``all`` and term ``all`` take every subscription of the customer together, so the same switch is
a contraction (or expansion) there. On every row, month over month:

    mrr[t] = mrr[t-1] + new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr
    customers[t] = customers[t-1] + new_customers + reactivated_customers - churned_customers

with mrr and customers of the month before the first month 0.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import polars as pl

from mrrsim.billing.formats import Export

__all__ = [
    "ALL",
    "HISTORY_COLUMNS",
    "actual_and_projected",
    "history",
    "last_complete_month",
    "month_index",
    "month_label",
    "segment_name",
    "with_segments",
]

ALL = "all"
HISTORY_COLUMNS = (
    "month",
    "segment",
    "term",
    "customers",
    "mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "reactivation_mrr",
)
COUNT_COLUMNS = ("new_customers", "reactivated_customers", "churned_customers")
_MOVES = ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "reactivation_mrr")
_INTERVAL_WORDS = re.compile(
    r"\b(monthly|annually|annual|yearly|months|month|years|year)\b", re.IGNORECASE
)
_EDGES = re.compile(r"^[\s\-–—_/|:,.+]+|[\s\-–—_/|:,.+]+$")
NEVER = 1_000_000  # a month index beyond any export: "still active"


def segment_name(plan: str) -> str:
    """A plan's segment: its name without interval words (``Pro Monthly``, ``Pro (Annual)`` and
    ``pro - yearly`` are all ``Pro``/``pro``); the plan name itself when nothing is left."""
    text = _INTERVAL_WORDS.sub(" ", plan)
    text = re.sub(r"\(\s*\)|\[\s*\]", " ", text)
    text = _EDGES.sub("", re.sub(r"\s+", " ", text))
    return text or plan.strip() or "(no plan name)"


def with_segments(
    subscriptions: pl.DataFrame, mapping: Mapping[str, str] | None = None
) -> pl.DataFrame:
    """Add a ``segment`` column: ``mapping[plan]`` when the plan is mapped, else the plan name
    without interval words."""
    plans = subscriptions["plan"].unique().to_list()
    mapping = mapping or {}
    names = {p: str(mapping.get(p, segment_name(p))) for p in plans}
    return subscriptions.with_columns(
        pl.col("plan").replace_strict(names, return_dtype=pl.String).alias("segment")
    )


def month_index(date: pl.Expr) -> pl.Expr:
    """Months since year 0: ``year * 12 + month - 1``."""
    return date.dt.year().cast(pl.Int64) * 12 + date.dt.month().cast(pl.Int64) - 1


def month_label(index: pl.Expr) -> pl.Expr:
    """``YYYY-MM`` of a month index."""
    return pl.format(
        "{}-{}",
        (index // 12).cast(pl.String).str.zfill(4),
        (index % 12 + 1).cast(pl.String).str.zfill(2),
    )


def parse_month(text: str) -> int:
    """The month index of ``YYYY-MM``; ValueError otherwise."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"--as-of must be a month as YYYY-MM (got {text!r})")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def last_complete_month(export: Export) -> int | None:
    """The month index of the export's last complete month: the month of its latest date when
    that date is the month's last day, else the month before."""
    latest = export.latest_date
    if not isinstance(latest, dt.date):
        return None
    index = latest.year * 12 + latest.month - 1
    next_day = latest + dt.timedelta(days=1)
    return index if next_day.day == 1 else index - 1


def active_spans(subscriptions: pl.DataFrame) -> pl.LazyFrame:
    """Each subscription's month-end span ``[m_start, m_end)``: the months at whose last day it
    is active; subscriptions that never reach a month end are left out."""
    return (
        subscriptions.lazy()
        .with_columns(
            month_index(pl.col("start")).alias("m_start"),
            month_index(pl.col("end")).fill_null(NEVER).alias("m_end"),
        )
        .filter(pl.col("m_end") > pl.col("m_start"))
    )


MICRO = 1_000_000  # MRR is added up in integer millionths of the currency unit: exact sums


def _within(value: str, fresh: pl.Expr) -> pl.Expr:
    """A running sum of ``value`` that restarts where ``fresh`` is true (rows sorted by group):
    the global running sum minus its value just before the group's first row."""
    total = pl.col(value).cum_sum()
    base = pl.when(fresh).then(total - pl.col(value)).otherwise(None).forward_fill()
    return total - base


def _customer_moves(spans: pl.LazyFrame, keys: list[str], through: int) -> pl.LazyFrame:
    """Per customer scope (``keys``) and month with a change: MRR before and after (integer
    millionths) and the movement it is."""
    micro = (pl.col("mrr") * MICRO).round(0).cast(pl.Int64)
    starts = spans.select(
        *keys, pl.col("m_start").alias("month"), micro.alias("mrr"), pl.lit(1).alias("n")
    )
    ends = spans.filter(pl.col("m_end") <= through).select(
        *keys, pl.col("m_end").alias("month"), (-micro).alias("mrr"), pl.lit(-1).alias("n")
    )
    events = (
        pl.concat([starts, ends])
        .filter(pl.col("month") <= through)
        .group_by(*keys, "month")
        .agg(pl.col("mrr").sum().alias("delta"), pl.col("n").sum().alias("dn"))
        .sort(*keys, "month")
    )
    fresh = pl.any_horizontal([pl.col(k) != pl.col(k).shift(1) for k in keys]).fill_null(True)
    return (
        events.with_columns(fresh.alias("first"))
        .with_columns(
            _within("dn", pl.col("first")).alias("n_after"),
            _within("delta", pl.col("first")).alias("raw_after"),
        )
        .with_columns(
            pl.when(pl.col("n_after") > 0).then(pl.col("raw_after")).otherwise(0).alias("after")
        )
        .with_columns(
            pl.when(pl.col("first")).then(0).otherwise(pl.col("after").shift(1)).alias("before"),
        )
        .pipe(_classify)
    )


def _classify(events: pl.LazyFrame) -> pl.LazyFrame:
    before, after = pl.col("before"), pl.col("after")
    starts = (before == 0) & (after > 0)
    stops = (before > 0) & (after == 0)
    both = (before > 0) & (after > 0)
    zero = pl.lit(0, dtype=pl.Int64)
    up, down = both & (after > before), both & (after < before)
    return events.with_columns(
        pl.when(starts & pl.col("first")).then(after).otherwise(zero).alias("new_mrr"),
        pl.when(starts & ~pl.col("first")).then(after).otherwise(zero).alias("reactivation_mrr"),
        pl.when(stops).then(before).otherwise(zero).alias("churned_mrr"),
        pl.when(up).then(after - before).otherwise(zero).alias("expansion_mrr"),
        pl.when(down).then(before - after).otherwise(zero).alias("contraction_mrr"),
        (starts & pl.col("first")).cast(pl.Int64).alias("new_customers"),
        (starts & ~pl.col("first")).cast(pl.Int64).alias("reactivated_customers"),
        stops.cast(pl.Int64).alias("churned_customers"),
        (after - before).alias("d_mrr"),
        (starts.cast(pl.Int64) - stops.cast(pl.Int64)).alias("d_customers"),
    )


def _rows(moves: pl.LazyFrame, groups: list[str], first: int, through: int) -> pl.LazyFrame:
    """Month rows per group: movements summed, MRR and customers accumulated (exactly, in
    integer millionths, then in currency units)."""
    summed = (*_MOVES, *COUNT_COLUMNS, "d_mrr", "d_customers")
    sums = moves.group_by(*groups, "month").agg(*[pl.col(c).sum() for c in summed])
    months = pl.LazyFrame({"month": pl.int_range(first, through + 1, eager=True).cast(pl.Int64)})
    grid = moves.select(groups).unique().join(months, how="cross")
    return (
        grid.join(sums, on=[*groups, "month"], how="left")
        .with_columns(pl.col(c).fill_null(0) for c in summed)
        .sort(*groups, "month")
        .with_columns(
            (pl.col("d_mrr").cum_sum().over(groups) / MICRO).alias("mrr"),
            pl.col("d_customers").cum_sum().over(groups).alias("customers"),
            *[(pl.col(c) / MICRO).alias(c) for c in _MOVES],
        )
    )


def history(
    export: Export,
    *,
    through: int | None = None,
    segments: Mapping[str, str] | None = None,
    detail: bool = False,
) -> pl.DataFrame:
    """The MRR history of an export, one row per (month, segment, term) from the first month
    with a subscription through ``through`` (a month index; default the export's last complete
    month), plus ``all``/``all`` rows per month. Columns: ``HISTORY_COLUMNS``, and with
    ``detail`` the customer counts ``new_customers``, ``reactivated_customers``,
    ``churned_customers`` too. Identity on every row (see the module docstring):
    ``mrr[t] = mrr[t-1] + new + expansion + reactivation - contraction - churned``."""
    columns = [*HISTORY_COLUMNS, *(COUNT_COLUMNS if detail else ())]
    through = last_complete_month(export) if through is None else through
    if not export.usable or through is None:
        return _empty(columns)
    subs = with_segments(export.subscriptions, segments)
    spans = active_spans(subs).collect().lazy()
    first = spans.select(pl.col("m_start").min()).collect().item()
    if first is None or first > through:
        return _empty(columns)
    # Integer keys (customer hash, segment and term codes in output order) sort and group fast.
    names = sorted(subs.get_column("segment").unique().to_list())
    codes = spans.select(
        pl.col("customer").hash().alias("cust"),
        pl.col("segment").replace_strict(names, list(range(len(names))), return_dtype=pl.Int32),
        pl.col("term").replace_strict(["monthly", "annual"], [0, 1], return_dtype=pl.Int8),
        "m_start",
        "m_end",
        "mrr",
    )
    everything = codes.with_columns(
        pl.lit(len(names), dtype=pl.Int32).alias("segment"), pl.lit(2, dtype=pl.Int8).alias("term")
    )
    keys = ["cust", "segment", "term"]
    parts = [
        _rows(_customer_moves(scope, keys, through), ["segment", "term"], first, through)
        for scope in (codes, everything)
    ]
    return (
        pl.concat([part.select(columns) for part in parts])
        .sort("month", "segment", "term")
        .with_columns(
            month_label(pl.col("month")).alias("month"),
            pl.col("segment").replace_strict(
                list(range(len(names) + 1)), [*names, ALL], return_dtype=pl.String
            ),
            pl.col("term").replace_strict(
                [0, 1, 2], ["monthly", "annual", ALL], return_dtype=pl.String
            ),
        )
        .select(columns)
        .collect()
    )


def _empty(columns: list[str]) -> pl.DataFrame:
    types: dict[str, type[pl.DataType]] = {c: pl.String for c in ("month", "segment", "term")}
    types |= {c: pl.Int64 for c in ("customers", *COUNT_COLUMNS)}
    return pl.DataFrame(schema={c: types.get(c, pl.Float64) for c in columns})


def actual_and_projected(
    history_frame: pl.DataFrame, projection: pl.DataFrame, as_of: str
) -> pl.DataFrame:
    """Actual month-end MRR (the ``all`` rows of a history, up to ``as_of``) and a scenario's
    projected MRR (``project``'s table summed per month), on one calendar: projection month t
    is ``as_of`` + t months. Columns ``month`` (YYYY-MM), ``series`` (Actual, Projected),
    ``mrr``; the projection starts from the actual MRR of ``as_of`` so the lines meet."""
    actual = history_frame.filter((pl.col("segment") == ALL) & (pl.col("month") <= as_of)).select(
        "month", pl.lit("Actual").alias("series"), pl.col("mrr").cast(pl.Float64)
    )
    start = parse_month(as_of)
    projected = (
        projection.group_by("month")
        .agg(pl.col("mrr").sum())
        .sort("month")
        .select(
            month_label(pl.col("month").cast(pl.Int64) + start).alias("month"),
            pl.lit("Projected").alias("series"),
            pl.col("mrr").cast(pl.Float64),
        )
    )
    joint = actual.filter(pl.col("month") == as_of).with_columns(
        pl.lit("Projected").alias("series")
    )
    return pl.concat([actual, joint, projected]).sort("series", "month")
