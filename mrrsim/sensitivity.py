"""Which input matters most: batch what-ifs in one polars pass.

Every analysis here builds its scenario variants up front, projects them all in ONE polars pass
(the ``project_many`` plan, kept lazy) and aggregates per variant in the same plan
(``mrrsim.metrics.variant_metrics``), so a tornado of a three-segment scenario or a 21 x 21
discount/share grid costs one projection pass, not hundreds.

Tornado rule (``tornado``): each input is moved by a relative amount, low = v - delta*|v| and
high = v + delta*|v| (so -20% / +20% by default, also for negative growth or expansion rates).
An input at 0 has no relative move and gets no bar. Moved values are clipped to the valid
ranges of SPEC section 2 (shares, churn, cost of capital in [0, 1]; discount in [0, 1); growth
and monthly expansion in [-0.5, 0.5]; annual expansion in [-0.9, 2]; list price at most
1,000,000; new customers at most 10,000,000; existing bases at most 100,000,000), so a bar may be
one-sided (e.g. an annual share of 1 cannot rise). The discount is the one each segment actually
gets for new contracts (its override, else the scenario's); moving it moves take-up along the
segment's line through its share with no discount, and the customers it moves between plans are
movers (docs/model.md, "Policies and movers"); signed contracts keep their price. For several
segments each input appears per segment ("Monthly churn — Pro") and, when two or more segments
have it, for all segments at once ("Monthly churn — all segments", every segment moved by the
same relative amount).

The discount x share grid (``discount_share_grid``) reads the share as the annual share at the
segment's own discount today; each cell offers one discount to every segment's new customers, so
take-up and movers follow as for the tornado.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from mrrsim.fields import bounds
from mrrsim.metrics import variant_metrics
from mrrsim.policy import Variant
from mrrsim.scenario import Scenario, Segment

__all__ = [
    "BATCH_ROWS",
    "DEFAULT_DISCOUNTS",
    "DEFAULT_SHARES",
    "LABELS",
    "MAX_ROWS",
    "METRICS",
    "SEGMENT_INPUTS",
    "AnalysisTooLargeError",
    "discount_share_grid",
    "mix_point",
    "tornado",
    "variant_rows",
]

Metric = Literal["ending_arr", "npv_cash"]
METRICS: tuple[str, ...] = ("ending_arr", "npv_cash")

SEGMENT_INPUTS: tuple[str, ...] = (
    "list_price",
    "new_customers",
    "acquisition_growth",
    "annual_share",
    "annual_discount",
    "monthly_churn",
    "annual_churn",
    "monthly_expansion",
    "annual_expansion",
    "existing_monthly_customers",
    "existing_annual_customers",
    "conversion_rate",
)

LABELS: dict[str, str] = {
    "list_price": "List price",
    "new_customers": "New customers per month",
    "acquisition_growth": "Acquisition growth",
    "annual_share": "Annual share",
    "annual_discount": "Annual discount",
    "monthly_churn": "Monthly churn",
    "annual_churn": "Annual churn (non-renewal)",
    "monthly_expansion": "Monthly expansion",
    "annual_expansion": "Expansion at renewal",
    "existing_monthly_customers": "Existing monthly customers",
    "existing_annual_customers": "Existing annual customers",
    "conversion_rate": "Switching to annual per month",
    "cost_of_capital": "Cost of capital",
    "billing_effect": "Billing effect on churn",
}

# Each input's valid range, read from the scenario model (open ends moved just inside).
_RANGES: dict[str, tuple[float, float]] = {
    name: bounds(Segment, name).inside() for name in SEGMENT_INPUTS
} | {name: bounds(Scenario, name).inside() for name in ("cost_of_capital", "billing_effect")}

DEFAULT_DISCOUNTS: tuple[float, ...] = tuple(i / 50 for i in range(21))
DEFAULT_SHARES: tuple[float, ...] = tuple(i / 20 for i in range(21))


# --- tornado ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Move:
    """One tornado bar: the input, its human label and the two moved scenarios."""

    input: str
    label: str
    segment: str | None
    base_value: float | None
    low_value: float | None
    high_value: float | None
    low: Scenario | Variant
    high: Scenario | Variant


def _moved(value: float, field: str, delta: float) -> tuple[float, float]:
    """(low, high) = value -/+ delta*|value|, clipped to the field's valid range."""
    lo, hi = _RANGES[field]
    step = delta * abs(value)
    return min(max(value - step, lo), hi), min(max(value + step, lo), hi)


def _segment_value(scenario: Scenario, segment: Segment, field: str) -> float:
    if field == "annual_discount":
        return scenario.discount_for(segment)
    return float(getattr(segment, field))


def _with_values(scenario: Scenario, field: str, values: dict[int, float]) -> Scenario | Variant:
    """``field`` set on the segments indexed in ``values`` (already valid values). A discount is
    one for new contracts only (a variant with take-up and movers); a new annual base count
    scales its renewal calendar."""
    if field == "annual_discount":
        return Variant(scenario, "mix", dict(values))
    segments = tuple(
        seg.model_copy(update=_segment_update(seg, field, values[i])) if i in values else seg
        for i, seg in enumerate(scenario.segments)
    )
    return scenario.model_copy(update={"segments": segments})


def _segment_update(seg: Segment, field: str, value: float) -> dict[str, object]:
    update: dict[str, object] = {field: value}
    calendar = seg.existing_annual_renewals
    if field == "existing_annual_customers" and calendar is not None:
        old = seg.existing_annual_customers
        update["existing_annual_renewals"] = (
            tuple(r * value / old for r in calendar) if old else None
        )
    return update


def _segment_moves(scenario: Scenario, field: str, delta: float) -> list[_Move]:
    """Per-segment bars for one field, plus the all-segments bar when 2+ segments have it."""
    values = {i: _segment_value(scenario, seg, field) for i, seg in enumerate(scenario.segments)}
    live = [i for i, v in values.items() if v != 0.0]
    moved = {i: _moved(values[i], field, delta) for i in live}
    single = len(scenario.segments) == 1
    moves = [
        _Move(
            input=field if single else f"{field} ({scenario.segments[i].name})",
            label=LABELS[field] if single else f"{LABELS[field]} — {scenario.segments[i].name}",
            segment=scenario.segments[i].name,
            base_value=values[i],
            low_value=moved[i][0],
            high_value=moved[i][1],
            low=_with_values(scenario, field, {i: moved[i][0]}),
            high=_with_values(scenario, field, {i: moved[i][1]}),
        )
        for i in live
    ]
    if len(live) >= 2:
        same = len({values[i] for i in live}) == 1 and len(live) == len(values)
        first = live[0]
        moves.append(
            _Move(
                input=f"{field} (all segments)",
                label=f"{LABELS[field]} — all segments",
                segment=None,
                base_value=values[first] if same else None,
                low_value=moved[first][0] if same else None,
                high_value=moved[first][1] if same else None,
                low=_with_values(scenario, field, {i: moved[i][0] for i in live}),
                high=_with_values(scenario, field, {i: moved[i][1] for i in live}),
            )
        )
    return moves


def _scenario_moves(scenario: Scenario, delta: float) -> list[_Move]:
    """Scenario-level inputs: cost of capital (NPV only) and the billing effect (the churn of
    customers a policy or switching moves)."""
    moves = []
    for field in ("cost_of_capital", "billing_effect"):
        value = float(getattr(scenario, field))
        if value == 0.0:
            continue
        low, high = _moved(value, field, delta)
        moves.append(
            _Move(
                input=field,
                label=LABELS[field],
                segment=None,
                base_value=value,
                low_value=low,
                high_value=high,
                low=scenario.model_copy(update={field: low}),
                high=scenario.model_copy(update={field: high}),
            )
        )
    return moves


def _check_tornado_args(delta: float, metric: str, top: int | None) -> None:
    if isinstance(delta, bool) or not isinstance(delta, int | float) or not 0 < delta < 1:
        raise ValueError(f"delta: must be above 0 and below 1 (got {delta!r})")
    if metric not in METRICS:
        raise ValueError(f"metric: must be one of {', '.join(METRICS)} (got {metric!r})")
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise ValueError(f"top: must be a whole number of at least 1, or None (got {top!r})")


def _bars_frame(moves: Sequence[_Move]) -> pl.LazyFrame:
    """The bars' descriptions, with ``order`` = position in ``moves`` (variant - 1 of the low)."""
    return pl.LazyFrame(
        {
            "order": list(range(len(moves))),
            "input": [m.input for m in moves],
            "label": [m.label for m in moves],
            "segment": [m.segment for m in moves],
            "base_value": [m.base_value for m in moves],
            "low_value": [m.low_value for m in moves],
            "high_value": [m.high_value for m in moves],
        },
        schema={
            "order": pl.UInt32,
            "input": pl.String,
            "label": pl.String,
            "segment": pl.String,
            "base_value": pl.Float64,
            "low_value": pl.Float64,
            "high_value": pl.Float64,
        },
    )


def tornado(
    scenario: Scenario, delta: float = 0.2, *, metric: Metric = "ending_arr", top: int | None = 12
) -> pl.DataFrame:
    """Ending ARR and NPV of cash with each input moved down and up by ``delta`` (see module doc).

    Columns: input, label, segment (null for all-segments and scenario-level inputs),
    base_value, low_value, high_value (null for an all-segments bar whose segments differ),
    ending_arr_low, ending_arr_high, npv_low, npv_high, base_ending_arr, base_npv, and impact =
    the larger absolute swing of ``metric`` from its base value. Sorted by impact, largest first
    (ties keep the input order), at most ``top`` rows (None for all).
    """
    _check_tornado_args(delta, metric, top)
    moves = [m for f in SEGMENT_INPUTS for m in _segment_moves(scenario, f, delta)]
    moves += _scenario_moves(scenario, delta)
    n = len(moves)
    metrics = _metrics_in_batches(
        [scenario, *(m.low for m in moves), *(m.high for m in moves)], variant_rows(scenario)
    )
    base = metrics.row(0, named=True)
    bars = _bars_frame(moves)
    lows = metrics.lazy().filter(pl.col("variant").is_between(1, n))
    highs = metrics.lazy().filter(pl.col("variant") > n)
    swing = pl.max_horizontal(
        (pl.col(f"{metric}_low") - base[metric]).abs(),
        (pl.col(f"{metric}_high") - base[metric]).abs(),
    )
    frame = (
        bars.join(
            lows.select(
                (pl.col("variant") - 1).alias("order"),
                pl.col("ending_arr").alias("ending_arr_low"),
                pl.col("npv_cash").alias("npv_cash_low"),
            ),
            on="order",
            how="left",
        )
        .join(
            highs.select(
                (pl.col("variant") - 1 - n).alias("order"),
                pl.col("ending_arr").alias("ending_arr_high"),
                pl.col("npv_cash").alias("npv_cash_high"),
            ),
            on="order",
            how="left",
        )
        .with_columns(
            pl.lit(base["ending_arr"]).alias("base_ending_arr"),
            pl.lit(base["npv_cash"]).alias("base_npv"),
        )
        .with_columns(swing.alias("impact"))
        .sort(["impact", "order"], descending=[True, False])
        .select(
            "input",
            "label",
            "segment",
            "base_value",
            "low_value",
            "high_value",
            "ending_arr_low",
            "ending_arr_high",
            pl.col("npv_cash_low").alias("npv_low"),
            pl.col("npv_cash_high").alias("npv_high"),
            "base_ending_arr",
            "base_npv",
            "impact",
        )
    )
    if top is not None:
        frame = frame.head(top)
    return frame.collect(engine="in-memory")


# --- cost of one request ---------------------------------------------------------------------


# A variant is at most 5 groups per segment, each projected over H + 12 months (the annual base's
# months before month 1 included): its "rows". Measured on the worst valid scenario (20 segments,
# 120 months: 13,200 rows a variant), one row costs about 1 us of CPU and 400 bytes while its
# batch is projected. So batches of at most BATCH_ROWS rows keep memory near 250 MB, and at most
# MAX_ROWS rows per request keep it under 10 s of CPU.
BATCH_ROWS = 600_000
MAX_ROWS = 8_000_000


class AnalysisTooLargeError(ValueError):
    """A sensitivity analysis whose size exceeds the budget of one request."""


def variant_rows(scenario: Scenario) -> int:
    """Projection rows one variant of ``scenario`` costs (an upper bound)."""
    return 5 * len(scenario.segments) * (scenario.horizon_months + 12)


def _metrics_in_batches(variants: Sequence[Scenario | Variant], rows: int) -> pl.DataFrame:
    """``variant_metrics`` of many variants, in batches of at most BATCH_ROWS projection rows so
    memory stays bounded; ``variant`` numbers the rows in input order, as in one pass."""
    if len(variants) * rows > MAX_ROWS:
        raise AnalysisTooLargeError(
            f"{len(variants):,} variants of {rows:,} projection rows each are more than one "
            f"request may take ({MAX_ROWS:,} rows); use fewer grid values, segments or months"
        )
    size = max(1, BATCH_ROWS // rows)
    parts = []
    for first in range(0, len(variants), size):
        part = variant_metrics(variants[first : first + size])
        parts.append(part.with_columns((pl.col("variant") + first).alias("variant")))
    return pl.concat(parts)


# --- discount x share grid --------------------------------------------------------------------


def _grid_axis(name: str, values: Sequence[float], *, upper_open: bool) -> tuple[float, ...]:
    """Validated, de-duplicated, sorted grid axis values in [0, 1] (or [0, 1))."""
    if len(values) == 0:
        raise ValueError(f"{name}: must list at least one value")
    out: list[float] = []
    for v in values:
        bad_type = isinstance(v, bool) or not isinstance(v, int | float)
        if bad_type or not math.isfinite(v) or v < 0 or v > 1 or (upper_open and v == 1):
            bound = "below 1" if upper_open else "at most 1"
            raise ValueError(f"{name}: every value must be at least 0 and {bound} (got {v!r})")
        out.append(float(v))
    return tuple(sorted(set(out)))


def discount_share_grid(
    scenario: Scenario,
    discounts: Sequence[float] = DEFAULT_DISCOUNTS,
    shares: Sequence[float] = DEFAULT_SHARES,
) -> pl.DataFrame:
    """NPV of cash, ending ARR and cumulative cash for every (discount, annual share) pair.

    A cell sets every segment's annual share at its own discount today to ``annual_share`` and
    offers new customers ``annual_discount``: take-up follows each segment's line through its
    share with no discount (unchanged when the scenario gives no take-up response), and customers
    it moves between plans are movers. Existing bases and signed contracts are kept.
    ``npv_vs_all_monthly`` is the cell's NPV minus all-monthly's at the same share (movers to
    monthly included). Rows sorted by discount, then share. All cells come from one pass.
    """
    ds = _grid_axis("discounts", discounts, upper_open=True)
    ss = _grid_axis("shares", shares, upper_open=False)
    cells = [(d, s) for d in ds for s in ss]
    n = len(scenario.segments)
    at_share = {
        s: scenario.model_copy(
            update={
                "segments": tuple(
                    seg.model_copy(update={"annual_share": s}) for seg in scenario.segments
                )
            }
        )
        for s in ss
    }
    variants = [Variant(at_share[s], "mix", dict.fromkeys(range(n), d)) for d, s in cells]
    variants += [Variant(at_share[s], "all_monthly") for s in ss]
    keys = pl.LazyFrame(
        {
            "variant": list(range(len(cells))),
            "annual_discount": [d for d, _ in cells],
            "annual_share": [s for _, s in cells],
        },
        schema={"variant": pl.UInt32, "annual_discount": pl.Float64, "annual_share": pl.Float64},
    )
    metrics = _metrics_in_batches(variants, variant_rows(scenario))
    monthly = pl.LazyFrame(
        {"annual_share": list(ss), "monthly_npv": metrics["npv_cash"][len(cells) :].to_list()},
        schema={"annual_share": pl.Float64, "monthly_npv": pl.Float64},
    )
    return (
        keys.join(metrics.lazy(), on="variant", how="left")
        .join(monthly, on="annual_share", how="left")
        .with_columns((pl.col("npv_cash") - pl.col("monthly_npv")).alias("npv_vs_all_monthly"))
        .sort("annual_discount", "annual_share")
        .select(
            "annual_discount",
            "annual_share",
            "npv_cash",
            "ending_arr",
            "cumulative_cash",
            "npv_vs_all_monthly",
        )
        .collect(engine="in-memory")
    )


def mix_point(scenario: Scenario) -> tuple[float, float]:
    """Where your mix sits on the discount x share grid: the annual discount and annual share
    averaged over segments, weighted by their new customers in month 1 (equally when there are
    none)."""
    weights = [seg.new_customers for seg in scenario.segments]
    if sum(weights) <= 0:
        weights = [1.0] * len(scenario.segments)
    total = sum(weights)
    pairs = list(zip(weights, scenario.segments, strict=True))
    discount = sum(w * scenario.discount_for(seg) for w, seg in pairs)
    share = sum(w * seg.annual_share for w, seg in pairs)
    return discount / total, share / total
