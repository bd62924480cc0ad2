"""Comparing two to four scenarios side by side: tweaked copies of a scenario, monthly totals of
scenarios with different horizons, and headline figures with their differences from the first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from mrrsim.fields import bounds
from mrrsim.metrics import FIGURE_KEYS, Summary, monthly_totals
from mrrsim.policy import annual_share_at
from mrrsim.projection import project_many
from mrrsim.scenario import Scenario, Segment, parse_scenario

__all__ = [
    "TWEAK_INPUTS",
    "Tweak",
    "TweakInput",
    "apply_tweak",
    "comparison_totals",
    "differences_from_first",
    "headline_differences",
    "tweak_label",
    "unique_labels",
]


@dataclass(frozen=True)
class Tweak:
    """Changes to a few global inputs of a scenario, applied to every segment.

    ``annual_discount`` and ``annual_share`` set a value (None keeps each segment's own);
    the ``*_change`` fields move each segment's value by a relative amount (-0.2 = 20% lower);
    ``horizon_months`` sets the horizon (None keeps it).
    """

    annual_discount: float | None = None
    annual_share: float | None = None
    monthly_churn_change: float = 0.0
    annual_churn_change: float = 0.0
    new_customers_change: float = 0.0
    list_price_change: float = 0.0
    horizon_months: int | None = None

    def is_empty(self) -> bool:
        """True when the tweak changes nothing."""
        return self == Tweak()

    @classmethod
    def from_inputs(cls, values: Mapping[str, float | None]) -> Tweak:
        """A tweak from the form's entries (``TWEAK_INPUTS`` fields, in percent; the horizon in
        months); a missing or empty entry keeps that input."""

        def fraction(name: str) -> float | None:
            value = values.get(name)
            return None if value is None else float(value) / 100.0

        horizon = values.get("horizon_months")
        return cls(
            annual_discount=fraction("annual_discount"),
            annual_share=fraction("annual_share"),
            monthly_churn_change=fraction("monthly_churn_change") or 0.0,
            annual_churn_change=fraction("annual_churn_change") or 0.0,
            new_customers_change=fraction("new_customers_change") or 0.0,
            list_price_change=fraction("list_price_change") or 0.0,
            horizon_months=None if horizon is None else int(horizon),
        )


@dataclass(frozen=True)
class TweakInput:
    """One entry of the tweak form: a ``Tweak`` field, in percent (the horizon in months),
    with its valid range, step and default (None: empty, keeping the input)."""

    field: str
    key: str
    label: str
    lo: float
    hi: float
    step: float
    default: float | None
    help: str = ""


def _pct_range(model: type[Scenario] | type[Segment], name: str) -> tuple[float, float]:
    """A set value's range in whole percent (an open end one percent inside)."""
    b = bounds(model, name)
    return b.lo * 100 + (1 if b.lo_open else 0), b.hi * 100 - (1 if b.hi_open else 0)


def _change_range(name: str, most: float) -> tuple[float, float]:
    """A relative change's range in percent: down to the field's lower bound (to just above it
    when that end is open), up to ``most``."""
    return (-99.0 if bounds(Segment, name).lo_open else -100.0), most


_HORIZON = bounds(Scenario, "horizon_months")

TWEAK_INPUTS: tuple[TweakInput, ...] = (
    TweakInput(
        "annual_discount",
        "discount",
        "Annual discount, every segment (%)",
        *_pct_range(Scenario, "annual_discount"),
        1.0,
        None,
    ),
    TweakInput(
        "annual_share",
        "share",
        "New customers choosing annual (%)",
        *_pct_range(Segment, "annual_share"),
        5.0,
        None,
    ),
    TweakInput(
        "monthly_churn_change",
        "monthly_churn",
        "Monthly churn: change (%)",
        *_change_range("monthly_churn", 500.0),
        5.0,
        -20.0,
        "Relative change: -20 turns 4% a month into 3.2% a month.",
    ),
    TweakInput(
        "annual_churn_change",
        "annual_churn",
        "Annual non-renewal: change (%)",
        *_change_range("annual_churn", 500.0),
        5.0,
        0.0,
        "Relative change: -20 turns 15% per renewal into 12%.",
    ),
    TweakInput(
        "new_customers_change",
        "new_customers",
        "New customers: change (%)",
        *_change_range("new_customers", 1000.0),
        5.0,
        0.0,
    ),
    TweakInput(
        "list_price_change",
        "list_price",
        "List prices: change (%)",
        *_change_range("list_price", 1000.0),
        5.0,
        0.0,
    ),
    TweakInput(
        "horizon_months",
        "horizon",
        "Horizon (months)",
        _HORIZON.lo,
        _HORIZON.hi,
        1.0,
        None,
    ),
)


def _moved(value: float, change: float, field: str) -> float:
    """A segment's value moved by a relative change, kept within the field's valid range."""
    return bounds(Segment, field).clip(value * (1.0 + change))


def apply_tweak(scenario: Scenario, tweak: Tweak) -> Scenario:
    """The scenario with the tweak applied, validated (ScenarioError names any bad value).

    Relative changes are clipped to the valid range (churn stays within 0..100%), so only
    an invalid set value (e.g. a discount of 100%) or a zero price is refused. A new discount
    moves each segment's annual share along its take-up line (docs/model.md, "Policies and
    movers"): the copy's customers choose annual as the original's would at that discount;
    at no discount the share is the take-up with no discount."""
    data = scenario.model_dump(mode="python")
    if tweak.annual_discount is not None:
        data["annual_discount"] = tweak.annual_discount
    if tweak.horizon_months is not None:
        data["horizon_months"] = tweak.horizon_months
    changes = {
        "monthly_churn": tweak.monthly_churn_change,
        "annual_churn": tweak.annual_churn_change,
        "new_customers": tweak.new_customers_change,
        "list_price": tweak.list_price_change,
    }
    for seg, model in zip(data["segments"], scenario.segments, strict=True):
        if tweak.annual_discount is not None:
            seg["annual_discount"] = None
            seg["annual_share"] = annual_share_at(scenario, model, tweak.annual_discount)
            if tweak.annual_discount == 0:
                seg["annual_share_at_no_discount"] = None
        if tweak.annual_share is not None:
            seg["annual_share"] = tweak.annual_share
        for field, change in changes.items():
            if change:
                seg[field] = _moved(seg[field], change, field)
    return parse_scenario(data)


def _pct(value: float) -> str:
    return f"{value * 100:.4g}%"


def _factor(change: float) -> str:
    """A relative change as the factor it multiplies by: -0.2 -> '× 0.8' (a '-20%' would read
    as 20 percentage points off a rate)."""
    return f"× {1 + change:.4g}"


def tweak_label(tweak: Tweak) -> str:
    """A short description: 'annual discount 25%, monthly churn × 0.8'."""
    parts = []
    if tweak.annual_discount is not None:
        parts.append(f"annual discount {_pct(tweak.annual_discount)}")
    if tweak.annual_share is not None:
        parts.append(f"{_pct(tweak.annual_share)} choosing annual")
    for change, name in (
        (tweak.monthly_churn_change, "monthly churn"),
        (tweak.annual_churn_change, "annual non-renewal"),
        (tweak.new_customers_change, "new customers"),
        (tweak.list_price_change, "list prices"),
    ):
        if change:
            parts.append(f"{name} {_factor(change)}")
    if tweak.horizon_months is not None:
        parts.append(f"{tweak.horizon_months}-month horizon")
    return ", ".join(parts) or "no changes"


def unique_labels(names: Sequence[str]) -> list[str]:
    """The names, with ' (2)', ' (3)'… added to repeats (case-insensitive) so each is unique."""
    seen: set[str] = set()
    out = []
    for name in names:
        label, n = name, 1
        while label.casefold() in seen:
            n += 1
            label = f"{name} ({n})"
        seen.add(label.casefold())
        out.append(label)
    return out


def comparison_totals(scenarios: Sequence[Scenario], labels: Sequence[str]) -> pl.DataFrame:
    """Monthly totals (``metrics.monthly_totals``) of each scenario over its own months 1..H.

    One ``project_many`` pass per distinct horizon. Columns: scenario (label), order (position
    in the comparison), then the monthly totals; sorted by order and month.
    """
    if len(scenarios) != len(labels):
        raise ValueError("comparison_totals needs one label per scenario")
    by_horizon: dict[int, list[int]] = defaultdict(list)
    for i, sc in enumerate(scenarios):
        by_horizon[sc.horizon_months].append(i)
    parts = []
    for idx in by_horizon.values():
        totals = monthly_totals(project_many([scenarios[i] for i in idx]), by=["variant"])
        parts.append(
            totals.with_columns(
                pl.col("variant")
                .replace_strict(list(range(len(idx))), idx, return_dtype=pl.Int64)
                .alias("order")
            ).drop("variant")
        )
    return (
        pl.concat(parts)
        .with_columns(
            pl.col("order")
            .replace_strict(list(range(len(labels))), list(labels), return_dtype=pl.String)
            .alias("scenario")
        )
        .sort("order", "month")
        .select("scenario", "order", pl.exclude("scenario", "order"))
    )


def headline_differences(summaries: Sequence[Summary]) -> pl.DataFrame:
    """Each summary figure of each scenario and its difference from the first scenario.

    Long format: key, order, value, diff (value - first), rel_diff (diff / |first|; null when
    either is undefined or the first is 0). Sorted by key (summary order), then scenario order.
    """
    if not summaries:
        raise ValueError("headline_differences needs at least one summary")
    keys = list(FIGURE_KEYS)
    wide = pl.LazyFrame(
        [[summ[key] for key in keys] for summ in summaries],
        schema=dict.fromkeys(keys, pl.Float64),
        orient="row",
    ).with_row_index("order")
    long = wide.unpivot(keys, index="order", variable_name="key")
    first = long.filter(pl.col("order") == 0).select("key", pl.col("value").alias("first"))
    diff = pl.col("value") - pl.col("first")
    return (
        long.join(first, on="key", how="left")
        .select(
            "key",
            pl.col("order").cast(pl.Int64),
            "value",
            diff.alias("diff"),
            pl.when(pl.col("first") != 0)
            .then(diff / pl.col("first").abs())
            .otherwise(None)
            .alias("rel_diff"),
            pl.col("key").replace_strict(keys, list(range(len(keys)))).alias("rank"),
        )
        .sort("rank", "order")
        .drop("rank")
        .collect(engine="in-memory")
    )


def differences_from_first(totals: pl.DataFrame, fields: Sequence[str]) -> pl.DataFrame:
    """``comparison_totals`` with each field replaced by its difference from the first scenario
    in the same month (the first scenario becomes a line at 0). Only months that both
    scenarios project are kept."""
    first = totals.filter(pl.col("order") == 0).select(
        "month", *(pl.col(f).alias(f"{f}__first") for f in fields)
    )
    return (
        totals.lazy()
        .select("scenario", "order", "month", *fields)
        .join(first.lazy(), on="month", how="inner")
        .with_columns((pl.col(f) - pl.col(f"{f}__first")).alias(f) for f in fields)
        .select("scenario", "order", "month", *fields)
        .sort("order", "month")
        .collect(engine="in-memory")
    )
