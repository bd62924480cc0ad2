"""Altair charts for the planning pages: pure functions from polars frames to ``alt.Chart``.

Every builder selects (and where needed aggregates) only the columns it draws before handing
data to Altair, because Streamlit ships every row of a chart's data to the browser. Money axes
carry the scenario's currency in their title and a compact label ("$1.2M", "€450k"); tooltips
show full amounts ("$1,234,567"). Nothing here imports Streamlit, so charts are testable alone.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from typing import Any

import altair as alt
import polars as pl

from mrrsim.formatting import compact_amount, currency_symbol

__all__ = [
    "MOVEMENTS",
    "PLAN_COLORS",
    "cash_revenue_chart",
    "cumulative_cash_chart",
    "currency_symbol",
    "customers_by_term_chart",
    "deferred_revenue_chart",
    "money_axis",
    "money_expr",
    "movements_chart",
    "mrr_by_segment_term_chart",
    "plan_chart",
    "plan_gap_chart",
    "quick_ratio_chart",
    "renewal_chart",
    "vega_spec",
]

PLAN_ORDER = ("Your mix", "All monthly", "All annual")
PLAN_COLORS = ("#1f4e99", "#e07b39", "#2e8b57")
TERM_COLORS = ("#e07b39", "#1f4e99")
MOVEMENTS = (
    ("new_mrr", "New", 1.0, "#2e8b57"),
    ("expansion_mrr", "Expansion", 1.0, "#7fc97f"),
    ("contraction_mrr", "Contraction", -1.0, "#f4a261"),
    ("churned_mrr", "Churn", -1.0, "#c0392b"),
)
HEIGHT = 320
SMALL_HEIGHT = 240


# Altair's data transformer is process-wide; each call of ``vega_spec`` enables ours briefly.
_TRANSFORMER_LOCK = threading.Lock()


def _named_dataset(data: Any, datasets: dict[str, Any]) -> dict[str, Any]:
    """Altair data transformer: a polars frame becomes a named dataset of the spec, kept as a
    frame (Streamlit sends a spec's datasets to the browser as Arrow; turning them into inline
    JSON values would go polars -> dicts -> pandas -> Arrow). The name is a hash of the frame's
    schema and rows, so charts of the same data share a name. Anything else stays inline."""
    if not isinstance(data, pl.DataFrame):
        return alt.utils.data.to_values(data)
    digest = hashlib.sha256(str(data.schema).encode())
    digest.update(data.hash_rows(seed=0).to_numpy().tobytes())
    name = "data-" + digest.hexdigest()[:20]
    datasets[name] = data
    return {"name": name}


alt.data_transformers.register("mrrsim_named", _named_dataset)


def vega_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """An Altair chart's Vega-Lite spec, its polars data as named datasets (frames).

    Built without Altair's JSON-schema validation, which costs more than building the chart
    (the chart tests validate every builder's spec instead). The chart fits its container's
    width but keeps the plot's own height: with Vega-Lite's default "fit", a container squeezes
    title, legend, axes and plot into the height, leaving a thin plot."""
    datasets: dict[str, Any] = {}
    with _TRANSFORMER_LOCK, alt.data_transformers.enable("mrrsim_named", datasets=datasets):
        spec = chart.to_dict(validate=False)
    spec.setdefault("autosize", {"type": "fit-x", "contains": "padding"})
    if datasets:
        spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


def _quote(text: str) -> str:
    """A Vega expression string literal (user text is never spliced in unquoted)."""
    return json.dumps(text)


def money_expr(field: str, currency: str, *, compact: bool = False) -> str:
    """A Vega expression that formats ``datum[field]`` as money: '$1,234,567' or '$1.2M'."""
    value = f"datum[{_quote(field)}]"
    return _money_from(value, currency, compact=compact)


def _money_from(value: str, currency: str, *, compact: bool) -> str:
    sign = f"({value} < 0 ? '−' : '')"
    symbol = _quote(currency_symbol(currency))
    if compact:
        digits = f"replace(format(abs({value}), '.3~s'), 'G', 'B')"
    else:
        digits = f"format(abs({value}), ',.0f')"
    return f"{sign} + {symbol} + {digits}"


def money_axis(title: str, currency: str) -> alt.Axis:
    """A y axis for amounts: the currency in the title, compact money labels."""
    return alt.Axis(
        title=f"{title} ({currency})",
        labelExpr=_money_from("datum.value", currency, compact=True),
    )


def _month_x(frame: pl.DataFrame, *, bars: bool = False) -> alt.X:
    """Months 1..H on x: a continuous axis for lines, one band per month for bars."""
    months = frame.get_column("month")
    lo, hi = (int(months.min()), int(months.max())) if len(months) else (1, 1)
    if bars:
        every = next(
            step for limit, step in ((24, 1), (48, 3), (72, 6), (10**9, 12)) if hi <= limit
        )
        return alt.X(
            "month:O",
            title="Month",
            scale=alt.Scale(paddingInner=0.15),
            axis=alt.Axis(
                labelAngle=0,
                labelExpr=f"datum.value == 1 || datum.value % {every} == 0 ? datum.label : ''",
            ),
        )
    return alt.X(
        "month:Q",
        title="Month",
        scale=alt.Scale(domain=[lo, hi], nice=False, zero=False),
        axis=alt.Axis(tickMinStep=1, format="d"),
    )


def _legend(title: str | None = None) -> alt.Legend:
    return alt.Legend(orient="top", title=title, labelLimit=280)


def _plan_color(plans: Sequence[str]) -> alt.Color:
    domain = [p for p in PLAN_ORDER if p in plans] + [p for p in plans if p not in PLAN_ORDER]
    colors = [PLAN_COLORS[PLAN_ORDER.index(p)] if p in PLAN_ORDER else "#888888" for p in domain]
    return alt.Color(
        "plan:N", title="Billing", scale=alt.Scale(domain=domain, range=colors), legend=_legend()
    )


def _plans(frame: pl.DataFrame) -> list[str]:
    return frame.get_column("plan").unique(maintain_order=True).to_list()


def _with_labels(chart: alt.Chart, fields: Sequence[str], currency: str) -> alt.Chart:
    """Add '<field>_label' columns holding full money text, for tooltips."""
    return chart.transform_calculate(**{f"{f}_label": money_expr(f, currency) for f in fields})


def plan_chart(plans: pl.DataFrame, currency: str, measure: str = "mrr") -> alt.Chart:
    """MRR (or ARR) per month for your mix, all-monthly and all-annual, one line each."""
    title = measure.upper()
    data = plans.select("plan", "month", pl.col(measure).alias("value"))
    base = alt.Chart(data).mark_line(strokeWidth=2.5, point=False)
    return (
        _with_labels(base, ["value"], currency)
        .encode(
            x=_month_x(data),
            y=alt.Y("value:Q", axis=money_axis(title, currency), scale=alt.Scale(zero=False)),
            color=_plan_color(_plans(plans)),
            strokeDash=alt.StrokeDash(
                "plan:N",
                scale=alt.Scale(domain=list(PLAN_ORDER), range=[[1, 0], [6, 3], [2, 2]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("plan:N", title="Billing"),
                alt.Tooltip("month:Q", title="Month"),
                alt.Tooltip("value_label:N", title=title),
            ],
        )
        .properties(height=HEIGHT, title=f"{title} by month: your mix vs all-monthly vs all-annual")
    )


def mrr_by_segment_term_chart(frame: pl.DataFrame, currency: str) -> alt.Chart:
    """MRR stacked by segment and billing term (from the projection table)."""
    segments = frame.get_column("segment").unique(maintain_order=True).to_list()
    order = [f"{seg} · {term}" for seg in segments for term in ("monthly", "annual")]
    data = (
        frame.lazy()
        .group_by("month", "segment", "term")
        .agg(pl.col("mrr").sum())
        .with_columns(pl.concat_str("segment", pl.lit(" · "), "term").alias("series"))
        .with_columns(
            pl.col("series")
            .replace_strict(order, list(range(len(order))), return_dtype=pl.Int32)
            .alias("stack")
        )
        .sort("month", "stack")
        .collect(engine="in-memory")
    )
    base = alt.Chart(data).mark_area(opacity=0.85)
    return (
        _with_labels(base, ["mrr"], currency)
        .encode(
            x=_month_x(data),
            y=alt.Y("mrr:Q", stack="zero", axis=money_axis("MRR", currency)),
            color=alt.Color(
                "series:N",
                title="Segment · billing",
                sort=order,
                scale=alt.Scale(scheme="tableau20"),
                legend=_legend(),
            ),
            order=alt.Order("stack:Q"),
            tooltip=[
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("term:N", title="Billing"),
                alt.Tooltip("month:Q", title="Month"),
                alt.Tooltip("mrr_label:N", title="MRR"),
            ],
        )
        .properties(height=HEIGHT, title="MRR by segment and billing term (your mix)")
    )


def _movements_long(totals: pl.DataFrame) -> pl.DataFrame:
    """One row per (month, movement), losses as negative amounts."""
    return pl.concat(
        [
            totals.select(
                "month",
                pl.lit(label).alias("movement"),
                pl.lit(rank, dtype=pl.Int32).alias("rank"),
                (pl.col(col) * sign).alias("amount"),
            )
            for rank, (col, label, sign, _) in enumerate(MOVEMENTS)
        ]
    ).sort("month", "rank")


def movements_chart(totals: pl.DataFrame, currency: str) -> alt.LayerChart:
    """MRR movements per month: new and expansion up, contraction and churn down, net as a line."""
    long = _movements_long(totals)
    labels = [label for _, label, _, _ in MOVEMENTS]
    colors = [color for _, _, _, color in MOVEMENTS]
    bars = _with_labels(alt.Chart(long).mark_bar(), ["amount"], currency).encode(
        x=_month_x(long, bars=True),
        y=alt.Y("amount:Q", stack="zero", axis=money_axis("MRR movement", currency)),
        color=alt.Color(
            "movement:N",
            title="Movement",
            scale=alt.Scale(domain=[*labels, "Net new MRR"], range=[*colors, "#222222"]),
            legend=_legend(),
        ),
        order=alt.Order("rank:Q"),
        tooltip=[
            alt.Tooltip("month:Q", title="Month"),
            alt.Tooltip("movement:N", title="Movement"),
            alt.Tooltip("amount_label:N", title="MRR"),
        ],
    )
    net_data = totals.select(
        "month", pl.col("net_new_mrr"), pl.lit("Net new MRR").alias("movement")
    )
    net = _with_labels(
        alt.Chart(net_data).mark_line(strokeWidth=2, point=True), ["net_new_mrr"], currency
    ).encode(
        x=_month_x(long, bars=True),
        y=alt.Y("net_new_mrr:Q"),
        color=alt.Color("movement:N"),
        tooltip=[
            alt.Tooltip("month:Q", title="Month"),
            alt.Tooltip("net_new_mrr_label:N", title="Net new MRR"),
        ],
    )
    return alt.layer(bars, net).properties(
        height=HEIGHT, title="Where MRR moves each month (your mix)"
    )


def quick_ratio_chart(totals: pl.DataFrame) -> alt.LayerChart:
    """The SaaS quick ratio per month, (new + expansion) / (contraction + churn), with 1 and 4
    marked: below 1 MRR shrinks, 4 or more is the usual 'efficient growth' benchmark."""
    data = totals.select("month", "quick_ratio").drop_nulls()
    line = (
        alt.Chart(data)
        .mark_line(color="#1f4e99", strokeWidth=2, point=True)
        .encode(
            x=_month_x(totals, bars=True),
            y=alt.Y("quick_ratio:Q", title="Quick ratio (×)", scale=alt.Scale(zero=True)),
            tooltip=[
                alt.Tooltip("month:Q", title="Month"),
                alt.Tooltip("quick_ratio:Q", title="Quick ratio", format=".2f"),
            ],
        )
    )
    marks = pl.DataFrame({"y": [1.0, 4.0], "label": ["1: MRR flat", "4: strong growth"]})
    rules = (
        alt.Chart(marks)
        .mark_rule(strokeDash=[4, 4], color="#888888")
        .encode(y="y:Q", tooltip=[alt.Tooltip("label:N", title="Reference")])
    )
    return alt.layer(line, rules).properties(
        height=SMALL_HEIGHT,
        title="Quick ratio: (new + expansion) ÷ (contraction + churn)",
    )


def cumulative_cash_chart(plans: pl.DataFrame, currency: str) -> alt.Chart:
    """Cumulative cash collected per plan, with cumulative revenue recognised dashed."""
    data = pl.concat(
        [
            plans.select(
                "plan",
                "month",
                pl.lit(label).alias("measure"),
                pl.col(col).alias("amount"),
            )
            for col, label in (
                ("cumulative_cash", "Cash collected"),
                ("cumulative_revenue", "Revenue recognised"),
            )
        ]
    )
    base = alt.Chart(data).mark_line(strokeWidth=2.5)
    return (
        _with_labels(base, ["amount"], currency)
        .encode(
            x=_month_x(data),
            y=alt.Y("amount:Q", axis=money_axis("Cumulative amount", currency)),
            color=_plan_color(_plans(plans)),
            strokeDash=alt.StrokeDash(
                "measure:N",
                title="Measure",
                scale=alt.Scale(
                    domain=["Cash collected", "Revenue recognised"], range=[[1, 0], [5, 4]]
                ),
                legend=_legend(),
            ),
            tooltip=[
                alt.Tooltip("plan:N", title="Billing"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("month:Q", title="Month"),
                alt.Tooltip("amount_label:N", title="Cumulative"),
            ],
        )
        .properties(height=HEIGHT, title="Cumulative cash collected vs revenue recognised")
    )


def cash_revenue_chart(plans: pl.DataFrame, plan: str, currency: str) -> alt.LayerChart:
    """One plan's monthly cash collected (bars) against revenue recognised (line)."""
    data = plans.filter(pl.col("plan") == plan).select("month", "cash", "revenue")
    bars = _with_labels(
        alt.Chart(data).mark_bar(color="#8fb3e0"), ["cash", "revenue"], currency
    ).encode(
        x=_month_x(data, bars=True),
        y=alt.Y("cash:Q", axis=money_axis("Amount per month", currency)),
        tooltip=[
            alt.Tooltip("month:Q", title="Month"),
            alt.Tooltip("cash_label:N", title="Cash collected"),
            alt.Tooltip("revenue_label:N", title="Revenue recognised"),
        ],
    )
    line = (
        alt.Chart(data)
        .mark_line(color="#c0392b", strokeWidth=2)
        .encode(x=_month_x(data, bars=True), y=alt.Y("revenue:Q"))
    )
    return alt.layer(bars, line).properties(
        height=HEIGHT,
        title=f"{plan}: cash collected (bars) vs revenue recognised (red line), per month",
    )


def deferred_revenue_chart(plans: pl.DataFrame, currency: str) -> alt.Chart:
    """Deferred revenue (cash collected, not yet earned) at each month end, per plan."""
    data = plans.select("plan", "month", "deferred_revenue")
    base = alt.Chart(data).mark_line(strokeWidth=2.5)
    return (
        _with_labels(base, ["deferred_revenue"], currency)
        .encode(
            x=_month_x(data),
            y=alt.Y("deferred_revenue:Q", axis=money_axis("Deferred revenue", currency)),
            color=_plan_color(_plans(plans)),
            tooltip=[
                alt.Tooltip("plan:N", title="Billing"),
                alt.Tooltip("month:Q", title="Month"),
                alt.Tooltip("deferred_revenue_label:N", title="Deferred revenue"),
            ],
        )
        .properties(height=HEIGHT, title="Deferred revenue balance at month end")
    )


def customers_by_term_chart(frame: pl.DataFrame) -> alt.Chart:
    """Active customers per month, stacked by billing term (from the projection table)."""
    data = (
        frame.lazy()
        .group_by("month", "term")
        .agg(pl.col("customers").sum())
        .with_columns(
            pl.col("term")
            .replace_strict(["monthly", "annual"], ["Monthly", "Annual"], return_dtype=pl.String)
            .alias("billing")
        )
        .sort("month", "billing")
        .collect(engine="in-memory")
    )
    return (
        alt.Chart(data)
        .mark_area(opacity=0.85)
        .encode(
            x=_month_x(data),
            y=alt.Y(
                "customers:Q", stack="zero", title="Active customers", axis=alt.Axis(format=",.0f")
            ),
            color=alt.Color(
                "billing:N",
                title="Billing",
                scale=alt.Scale(domain=["Monthly", "Annual"], range=list(TERM_COLORS)),
                legend=_legend(),
            ),
            tooltip=[
                alt.Tooltip("billing:N", title="Billing"),
                alt.Tooltip("month:Q", title="Month"),
                alt.Tooltip("customers:Q", title="Customers", format=",.0f"),
            ],
        )
        .properties(height=HEIGHT, title="Active customers by billing term (your mix)")
    )


def renewal_chart(calendar: pl.DataFrame, currency: str) -> alt.Chart:
    """Annual MRR up for renewal each month, split into expected to renew and expected lost."""
    totals = (
        calendar.lazy()
        .group_by("month")
        .agg(pl.col("renewing_mrr").sum(), pl.col("expected_lost_mrr").sum())
        .sort("month")
        .collect(engine="in-memory")
    )
    data = pl.concat(
        [
            totals.select(
                "month",
                pl.lit("Expected to renew").alias("outcome"),
                pl.lit(0, dtype=pl.Int32).alias("rank"),
                (pl.col("renewing_mrr") - pl.col("expected_lost_mrr")).alias("amount"),
                "renewing_mrr",
            ),
            totals.select(
                "month",
                pl.lit("Expected lost").alias("outcome"),
                pl.lit(1, dtype=pl.Int32).alias("rank"),
                pl.col("expected_lost_mrr").alias("amount"),
                "renewing_mrr",
            ),
        ]
    ).sort("month", "rank")
    base = alt.Chart(data).mark_bar()
    return (
        _with_labels(base, ["amount", "renewing_mrr"], currency)
        .encode(
            x=_month_x(data, bars=True),
            y=alt.Y(
                "amount:Q", stack="zero", axis=money_axis("Annual MRR up for renewal", currency)
            ),
            color=alt.Color(
                "outcome:N",
                title=None,
                scale=alt.Scale(
                    domain=["Expected to renew", "Expected lost"], range=["#8fb3e0", "#c0392b"]
                ),
                legend=_legend(),
            ),
            order=alt.Order("rank:Q"),
            tooltip=[
                alt.Tooltip("month:Q", title="Month"),
                alt.Tooltip("renewing_mrr_label:N", title="Up for renewal"),
                alt.Tooltip("outcome:N", title="Part"),
                alt.Tooltip("amount_label:N", title="MRR"),
            ],
        )
        .properties(height=HEIGHT, title="Renewal calendar: annual MRR up for renewal each month")
    )


def plan_gap_chart(plans: pl.DataFrame, currency: str, measure: str = "mrr") -> alt.LayerChart:
    """Your mix and all-annual minus all-monthly, per month: the gap the lines of
    ``plan_chart`` are too close to show. Zero (the dashed rule) is all-monthly."""
    title = measure.upper()
    baseline = plans.filter(pl.col("plan") == PLAN_ORDER[1]).select(
        "month", pl.col(measure).alias("baseline")
    )
    data = (
        plans.lazy()
        .filter(pl.col("plan") != PLAN_ORDER[1])
        .join(baseline.lazy(), on="month", how="inner")
        .select("plan", "month", (pl.col(measure) - pl.col("baseline")).alias("gap"))
        .sort("plan", "month")
        .collect(engine="in-memory")
    )
    lines = _with_labels(alt.Chart(data).mark_line(strokeWidth=2.5), ["gap"], currency).encode(
        x=_month_x(data),
        y=alt.Y("gap:Q", axis=money_axis(f"{title} minus all-monthly", currency)),
        color=_plan_color(_plans(data)),
        tooltip=[
            alt.Tooltip("plan:N", title="Billing"),
            alt.Tooltip("month:Q", title="Month"),
            alt.Tooltip("gap_label:N", title=f"{title} vs all-monthly"),
        ],
    )
    zero = (
        alt.Chart(pl.DataFrame({"y": [0.0], "label": ["All monthly"]}))
        .mark_rule(strokeDash=[6, 3], color=PLAN_COLORS[1])
        .encode(y="y:Q", tooltip=[alt.Tooltip("label:N", title="Baseline")])
    )
    return alt.layer(lines, zero).properties(
        height=HEIGHT, title=f"{title} gained or lost against billing everyone monthly"
    )


# ---------------------------------------------------------------------------------------------
# Predictability and sensitivity (appended)
# ---------------------------------------------------------------------------------------------

FAN_SERIES = ("P10–P90", "Median", "Projection")
SIDE_COLORS = ("#f4a261", "#1f4e99")
_MONEY_INPUTS = ("list_price",)
_COUNT_INPUTS = ("new_customers", "existing_monthly_customers", "existing_annual_customers")


def _plan_tint(plan: str) -> tuple[str, str]:
    """(band colour, line colour) of a plan."""
    color = PLAN_COLORS[PLAN_ORDER.index(plan)] if plan in PLAN_ORDER else "#888888"
    return color, color


def fan_y_max(fan: pl.DataFrame, projection: pl.DataFrame, metric: str) -> float:
    """One y-axis top for the three plans' fans of ``metric``: 5% above the highest P90 or
    projected value (at least 1), so the plans are drawn on the same scale."""
    p90 = fan.filter(pl.col("metric") == metric).get_column("p90").max()
    projected = projection.get_column(metric).max()
    return max(float(p90 or 0.0), 1.0, float(projected or 0.0)) * 1.05


def fan_chart(
    fan: pl.DataFrame,
    plan: str,
    metric: str,
    currency: str,
    *,
    projection: pl.DataFrame | None = None,
    y_max: float | None = None,
) -> alt.LayerChart:
    """One plan's simulated range of a money metric: the P10–P90 band, the median line and,
    when given, the deterministic projection dashed. ``fan`` is ``simulate_plans`` output (or any
    frame with plan, metric, month, p10, p50, p90); ``projection`` has plan, month and ``metric``.
    ``y_max`` fixes the top of the y axis so several plans' charts compare at a glance."""
    title = (
        "MRR" if metric == "mrr" else "Cumulative cash" if metric == "cumulative_cash" else metric
    )
    band = fan.filter((pl.col("plan") == plan) & (pl.col("metric") == metric)).select(
        "month", "p10", "p50", "p90", pl.lit(FAN_SERIES[0]).alias("series")
    )
    band_color, line_color = _plan_tint(plan)
    color = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=list(FAN_SERIES), range=[band_color, line_color, "#555555"]),
        legend=alt.Legend(
            orient="top-left",
            direction="vertical",
            title=None,
            symbolOpacity=1.0,
            symbolSize=50,
            labelFontSize=11,
            rowPadding=1,
            fillColor="rgba(255, 255, 255, 0.85)",
            padding=2,
        ),
    )
    axis = money_axis(title, currency)
    axis.tickCount = 5
    scale = alt.Scale(domain=[0, y_max], nice=False) if y_max else alt.Scale(zero=True)
    tooltip = [
        alt.Tooltip("month:Q", title="Month"),
        alt.Tooltip("p10_label:N", title="P10 (1 in 10 below)"),
        alt.Tooltip("p50_label:N", title="Median"),
        alt.Tooltip("p90_label:N", title="P90 (1 in 10 above)"),
    ]
    base = _with_labels(alt.Chart(band), ["p10", "p50", "p90"], currency)
    area = base.mark_area(opacity=0.25).encode(
        x=_month_x(band),
        y=alt.Y("p10:Q", axis=axis, scale=scale),
        y2="p90:Q",
        color=color,
        tooltip=tooltip,
    )
    median = (
        base.transform_calculate(series=_quote(FAN_SERIES[1]))
        .mark_line(strokeWidth=2.5)
        .encode(x=_month_x(band), y=alt.Y("p50:Q", scale=scale), color=color, tooltip=tooltip)
    )
    layers: list[alt.Chart] = [area, median]
    if projection is not None:
        line = projection.filter(pl.col("plan") == plan).select(
            "month", pl.col(metric).alias("value"), pl.lit(FAN_SERIES[2]).alias("series")
        )
        layers.append(
            _with_labels(alt.Chart(line), ["value"], currency)
            .mark_line(strokeWidth=1.5, strokeDash=[5, 4])
            .encode(
                x=_month_x(band),
                y=alt.Y("value:Q", scale=scale),
                color=color,
                tooltip=[
                    alt.Tooltip("month:Q", title="Month"),
                    alt.Tooltip("value_label:N", title="Projection"),
                ],
            )
        )
    return alt.layer(*layers).properties(height=HEIGHT, title=plan)


def signal_chart(
    monthly: pl.DataFrame, start: int, currency: str, measure: str = "visible_share"
) -> alt.LayerChart:
    """How a churn shock from month ``start`` shows in MRR over its first 12 months, one line per
    plan: the share of the 12-month effect visible (``visible_share``, with 50% and 90% marked)
    or the MRR lost as a share of the plan's MRR without the shock (``gap_pct``).
    ``monthly`` is the per-month frame of ``signal.signal_speed``."""
    data = (
        monthly.lazy()
        .filter(pl.col("month").is_between(start, start + 11))
        .with_columns((pl.col("month") - start + 1).alias("since"))
        .select("plan", "month", "since", "visible_share", "gap_pct", "gap")
        .sort("plan", "month")
        .collect(engine="in-memory")
    )
    title = (
        "Share of the 12-month effect visible"
        if measure == "visible_share"
        else "MRR lost to the shock (% of MRR without it)"
    )
    color = _plan_color(_plans(data))
    color.legend = alt.Legend(
        orient="top", title="Billing", symbolType="stroke", symbolStrokeWidth=3, labelLimit=280
    )
    line = (
        _with_labels(alt.Chart(data), ["gap"], currency)
        .mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=30))
        .encode(
            x=alt.X(
                "since:Q",
                title="Months since the churn shock began",
                scale=alt.Scale(domain=[1, 12], nice=False),
                axis=alt.Axis(tickMinStep=1, format="d"),
            ),
            y=alt.Y(
                f"{measure}:Q",
                title=title,
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(zero=True),
            ),
            color=color,
            strokeDash=alt.StrokeDash(
                "plan:N",
                scale=alt.Scale(domain=list(PLAN_ORDER), range=[[1, 0], [6, 3], [2, 2]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("plan:N", title="Billing"),
                alt.Tooltip("since:Q", title="Months since shock"),
                alt.Tooltip("month:Q", title="Month of the plan"),
                alt.Tooltip("visible_share:Q", title="Share of 12-month effect", format=".0%"),
                alt.Tooltip("gap_pct:Q", title="MRR lost (% of MRR)", format=".1%"),
                alt.Tooltip("gap_label:N", title="MRR lost"),
            ],
        )
    )
    if measure != "visible_share":
        return alt.layer(line).properties(height=HEIGHT + 80, title=title)
    marks = pl.DataFrame({"y": [0.5, 0.9], "label": ["50% visible", "90% visible"]})
    rules = (
        alt.Chart(marks)
        .mark_rule(strokeDash=[4, 4], color="#888888")
        .encode(y="y:Q", tooltip=[alt.Tooltip("label:N", title="Reference")])
    )
    text = (
        alt.Chart(marks)
        .mark_text(align="left", dx=4, dy=-6, color="#555555")
        .encode(x=alt.datum(1), y="y:Q", text="label:N")
    )
    return alt.layer(line, rules, text).properties(height=HEIGHT + 80, title=title)


def _input_value_text(field: str, value: float | None, currency: str) -> str:
    """An input's value as the editor shows it: money, a count or a percentage."""
    if value is None:
        return "each segment's own value"
    if field in _MONEY_INPUTS:
        return f"{currency_symbol(currency)}{value:,.2f}"
    if field in _COUNT_INPUTS:
        return f"{value:,.1f}"
    return f"{value * 100:,.2f}%"


def _money_text(value: float, currency: str, *, signed: bool = False) -> str:
    """Compact money for bar labels: '$1.23M', '+$45.6k', '−$950'."""
    sign = ("+" if value > 0 else "−" if value < 0 else "±") if signed else "−" if value < 0 else ""
    return f"{sign}{currency_symbol(currency)}{compact_amount(abs(value))}"


def tornado_long(tornado: pl.DataFrame, metric: str, delta: float, currency: str) -> pl.DataFrame:
    """The tornado's bars as one row per (input, side), with display text, in impact order.

    ``tornado`` is ``sensitivity.tornado`` output; ``metric`` is "ending_arr" or "npv_cash"."""
    low_col, high_col, base_col = (
        ("ending_arr_low", "ending_arr_high", "base_ending_arr")
        if metric == "ending_arr"
        else ("npv_low", "npv_high", "base_npv")
    )
    pct = f"{delta * 100:.0f}%"
    rows = []
    for rank, row in enumerate(tornado.iter_rows(named=True)):
        field = row["input"].split(" ")[0]
        for side, value_col, moved_col in (
            (f"Input −{pct}", low_col, "low_value"),
            (f"Input +{pct}", high_col, "high_value"),
        ):
            value, base = row[value_col], row[base_col]
            rows.append(
                {
                    "rank": rank,
                    "label": row["label"],
                    "side": side,
                    "value": value,
                    "base": base,
                    "change": value - base,
                    "change_text": _money_text(value - base, currency, signed=True),
                    "input_from": _input_value_text(field, row["base_value"], currency),
                    "input_to": _input_value_text(field, row[moved_col], currency),
                }
            )
    schema = {
        "rank": pl.Int32,
        "label": pl.String,
        "side": pl.String,
        "value": pl.Float64,
        "base": pl.Float64,
        "change": pl.Float64,
        "change_text": pl.String,
        "input_from": pl.String,
        "input_to": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row").sort("rank", "side")


def tornado_chart(
    tornado: pl.DataFrame, metric: str, delta: float, currency: str
) -> alt.LayerChart:
    """Tornado: each input moved down and up by ``delta``, bars from the base value of
    ``metric`` to the moved value, largest swing on top, each bar labelled with its change."""
    title = "Ending ARR" if metric == "ending_arr" else "NPV of cash"
    data = tornado_long(tornado, metric, delta, currency)
    order = data.sort("rank").get_column("label").unique(maintain_order=True).to_list()
    pct = f"{delta * 100:.0f}%"
    sides = [f"Input −{pct}", f"Input +{pct}"]
    base_value = float(data.get_column("base").first()) if len(data) else 0.0
    y = alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=320))
    chart = _with_labels(alt.Chart(data), ["value", "base"], currency)
    axis = money_axis(title, currency)
    axis.tickCount = 8
    bars = chart.mark_bar(opacity=0.9, height={"band": 0.7}).encode(
        x=alt.X("value:Q", axis=axis, scale=alt.Scale(zero=False)),
        x2="base:Q",
        y=y,
        color=alt.Color(
            "side:N",
            title=None,
            scale=alt.Scale(domain=sides, range=list(SIDE_COLORS)),
            legend=_legend(),
        ),
        tooltip=[
            alt.Tooltip("label:N", title="Input"),
            alt.Tooltip("side:N", title="Move"),
            alt.Tooltip("input_from:N", title="Input now"),
            alt.Tooltip("input_to:N", title="Input moved to"),
            alt.Tooltip("value_label:N", title=title),
            alt.Tooltip("change_text:N", title="Change"),
        ],
    )
    up = chart.transform_filter("datum.change > 0").mark_text(align="left", dx=4, fontSize=11)
    down = chart.transform_filter("datum.change < 0").mark_text(align="right", dx=-4, fontSize=11)
    labels = [
        layer.encode(x="value:Q", y=y, text="change_text:N", color=alt.value("#333333"))
        for layer in (up, down)
    ]
    rule = (
        alt.Chart(pl.DataFrame({"base": [base_value]}))
        .mark_rule(color="#333333", strokeWidth=1.5)
        .encode(x="base:Q")
    )
    height = max(SMALL_HEIGHT, 34 * len(order) + 110)  # the whole chart, title and axes included
    return alt.layer(bars, *labels, rule).properties(
        height=height,
        padding={"left": 16, "right": 8, "top": 5, "bottom": 5},
        title=f"{title}: each input moved −{pct} and +{pct} (base "
        f"{_money_text(base_value, currency)})",
    )


def _half_step(values: Sequence[float]) -> float:
    ordered = sorted(set(values))
    gaps = [ordered[i + 1] - ordered[i] for i in range(len(ordered) - 1)]
    return min(gaps, default=0.02) / 2


def grid_heatmap(
    grid: pl.DataFrame,
    value: str,
    currency: str,
    *,
    break_even: float | None = None,
    point: tuple[float, float] | None = None,
) -> alt.LayerChart:
    """A heatmap of ``value`` (npv_cash or ending_arr) over annual discount x annual share, from
    ``sensitivity.discount_share_grid``; the break-even discount as a vertical rule and the
    user's own (discount, annual share) as a marked point."""
    title = {"npv_cash": "NPV of cash", "ending_arr": "Ending ARR"}.get(value, value)
    dx = _half_step(grid.get_column("annual_discount").to_list())
    dy = _half_step(grid.get_column("annual_share").to_list())
    data = grid.select(
        "annual_discount",
        "annual_share",
        pl.col(value).alias("value"),
        "npv_vs_all_monthly",
        (pl.col("annual_discount") - dx).alias("d0"),
        (pl.col("annual_discount") + dx).alias("d1"),
        (pl.col("annual_share") - dy).alias("s0"),
        (pl.col("annual_share") + dy).alias("s1"),
    )
    x_scale = alt.Scale(domain=[data["d0"].min(), data["d1"].max()], nice=False, zero=False)
    y_scale = alt.Scale(domain=[data["s0"].min(), data["s1"].max()], nice=False, zero=False)
    rects = (
        _with_labels(alt.Chart(data), ["value", "npv_vs_all_monthly"], currency)
        .mark_rect()
        .encode(
            x=alt.X(
                "d0:Q", title="Annual discount (%)", axis=alt.Axis(format=".0%"), scale=x_scale
            ),
            x2="d1:Q",
            y=alt.Y(
                "s0:Q",
                title="New customers choosing annual (%)",
                axis=alt.Axis(format=".0%"),
                scale=y_scale,
            ),
            y2="s1:Q",
            color=alt.Color(
                "value:Q",
                title=f"{title} ({currency})",
                scale=alt.Scale(scheme="blues"),
                legend=alt.Legend(
                    orient="bottom",
                    direction="horizontal",
                    labelExpr=_money_from("datum.value", currency, compact=True),
                    gradientLength=260,
                    titleLimit=300,
                ),
            ),
            tooltip=[
                alt.Tooltip("annual_discount:Q", title="Annual discount", format=".0%"),
                alt.Tooltip("annual_share:Q", title="Choosing annual", format=".0%"),
                alt.Tooltip("value_label:N", title=title),
                alt.Tooltip("npv_vs_all_monthly_label:N", title="NPV vs all-monthly"),
            ],
        )
    )
    layers: list[alt.Chart] = [rects]
    if break_even is not None and data["d0"].min() <= break_even <= data["d1"].max():
        line = pl.DataFrame(
            {"d": [break_even], "label": [f"Break-even discount {break_even * 100:.1f}%"]}
        )
        layers.append(
            alt.Chart(line)
            .mark_rule(color="#c0392b", strokeWidth=2.5, strokeDash=[6, 3])
            .encode(x=alt.X("d:Q", scale=x_scale), tooltip=[alt.Tooltip("label:N", title="")])
        )
        layers.extend(
            alt.Chart(line)
            .mark_text(align="right", dx=-6, baseline="top", fontWeight="bold", **style)
            .encode(x=alt.X("d:Q", scale=x_scale), y=alt.value(6), text="label:N")
            for style in (
                {"color": "white", "stroke": "white", "strokeWidth": 4},  # a halo for contrast
                {"color": "#c0392b"},
            )
        )
    if point is not None:
        mark = pl.DataFrame(
            {
                "d": [point[0]],
                "s": [point[1]],
                "label": [
                    f"Your mix: {point[0] * 100:.1f}% discount, {point[1] * 100:.0f}% annual"
                ],
            }
        )
        layers.append(
            alt.Chart(mark)
            .mark_point(shape="diamond", size=260, filled=True, color="#f4a261", stroke="#222222")
            .encode(
                x=alt.X("d:Q", scale=x_scale),
                y=alt.Y("s:Q", scale=y_scale),
                tooltip=[alt.Tooltip("label:N", title="")],
            )
        )
        layers.append(
            alt.Chart(mark)
            .mark_text(align="left", dx=10, dy=-10, fontWeight="bold", color="#222222")
            .encode(
                x=alt.X("d:Q", scale=x_scale),
                y=alt.Y("s:Q", scale=y_scale),
                text=alt.value("Your mix"),
            )
        )
    return alt.layer(*layers).properties(
        height=HEIGHT + 120, title=f"{title} by discount and annual share"
    )


__all__ += ["FAN_SERIES", "fan_chart", "fan_y_max", "grid_heatmap", "signal_chart", "tornado_chart"]
__all__ += ["tornado_long"]


# ---------------------------------------------------------------------------------------------
# Compare and cohorts (appended)
# ---------------------------------------------------------------------------------------------

SCENARIO_COLORS = ("#1f4e99", "#e07b39", "#2e8b57", "#8e44ad")
SCENARIO_DASHES = ([1, 0], [7, 3], [2, 2], [8, 3, 2, 3])
COHORT_TERM_LABELS = {"monthly": "Monthly plan", "annual": "Annual plan", "all": "Both plans"}
_HEATMAP_CHROME = 150  # px of title, legend and axes: Streamlit fits the whole chart in the height


def _scenario_encodings(labels: Sequence[str]) -> dict[str, alt.Color | alt.StrokeDash]:
    """Colour and dash per scenario, in comparison order (the first is the reference)."""
    domain = list(labels)
    n = len(domain)
    colors = [SCENARIO_COLORS[i % len(SCENARIO_COLORS)] for i in range(n)]
    dashes = [SCENARIO_DASHES[i % len(SCENARIO_DASHES)] for i in range(n)]
    return {
        "color": alt.Color(
            "scenario:N",
            title="Scenario",
            sort=domain,
            scale=alt.Scale(domain=domain, range=colors),
            legend=alt.Legend(
                orient="top",
                title=None,
                labelLimit=420,
                symbolStrokeWidth=3,
                symbolSize=300,
                **({"columns": 2} if n > 2 else {}),
            ),
        ),
        "strokeDash": alt.StrokeDash(
            "scenario:N", sort=domain, scale=alt.Scale(domain=domain, range=dashes), legend=None
        ),
    }


def scenario_lines_chart(
    totals: pl.DataFrame,
    field: str,
    title: str,
    axis_title: str,
    currency: str,
    *,
    zero: bool = True,
) -> alt.Chart:
    """One money line per scenario over its own months (``compare.comparison_totals`` output);
    scenarios with shorter horizons simply end earlier. ``zero=False`` lets the y axis start
    near the data (for close lines such as MRR)."""
    labels = totals.sort("order").get_column("scenario").unique(maintain_order=True).to_list()
    data = totals.select("scenario", "order", "month", pl.col(field).alias("value"))
    base = alt.Chart(data).mark_line(strokeWidth=2.5)
    return (
        _with_labels(base, ["value"], currency)
        .encode(
            x=_month_x(data),
            y=alt.Y("value:Q", axis=money_axis(axis_title, currency), scale=alt.Scale(zero=zero)),
            **_scenario_encodings(labels),
            order=alt.Order("month:Q"),
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("month:Q", title="Month"),
                alt.Tooltip("value_label:N", title=axis_title),
            ],
        )
        .properties(height=HEIGHT, title=title)
    )


def _thinned_axis(title: str, values: Sequence[int], target: int) -> alt.Axis:
    """An ordinal axis labelling about ``target`` of its integer values (always the first)."""
    every = max(1, -(-len(values) // target))
    first = values[0] if values else 0
    keep = {v for i, v in enumerate(values) if i % every == 0} | {first}
    test = " || ".join(f"datum.value == {v}" for v in sorted(keep)) or "true"
    return alt.Axis(title=title, labelAngle=0, labelExpr=f"{test} ? datum.label : ''", ticks=False)


def cohort_heatmap(
    cells: pl.DataFrame,
    measure: str,
    x: str,
    currency: str,
    *,
    domain_max: float = 1.0,
    title: str = "",
) -> alt.Chart:
    """Retention heatmap: acquisition month down, months since acquisition (``x="age"``) or
    calendar month (``x="month"``) across, colour = share of the cohort's starting customers
    (``measure="customers"``) or starting MRR (``measure="mrr"``) still there.

    ``cells`` is ``cohorts.cohort_retention`` output for one term (already thinned to the
    cohorts to show). ``domain_max`` fixes the top of the colour scale so charts side by side
    share one scale."""
    ret = f"{measure}_retention"
    data = cells.filter(pl.col(ret).is_not_null()).select(
        "cohort", "age", "month", pl.col(ret).alias("retained"), measure, f"start_{measure}"
    )
    cohorts = data.get_column("cohort").unique().sort().to_list()
    xs = data.get_column(x).unique().sort().to_list()
    x_title = "Months since acquisition" if x == "age" else "Calendar month"
    what = "customers" if measure == "customers" else "MRR"
    if measure == "mrr":
        base = _with_labels(alt.Chart(data), ["mrr", "start_mrr"], currency)
        amounts = [
            alt.Tooltip("mrr_label:N", title="MRR now"),
            alt.Tooltip("start_mrr_label:N", title="Starting MRR"),
        ]
    else:
        base = alt.Chart(data)
        amounts = [
            alt.Tooltip("customers:Q", title="Customers now", format=",.1f"),
            alt.Tooltip("start_customers:Q", title="Starting customers", format=",.1f"),
        ]
    return (
        base.mark_rect()
        .encode(
            x=alt.X(f"{x}:O", sort=xs, axis=_thinned_axis(x_title, xs, 18)),
            y=alt.Y(
                "cohort:O",
                sort=cohorts,
                axis=_thinned_axis("Acquisition month (cohort)", cohorts, 18),
            ),
            color=alt.Color(
                "retained:Q",
                title=f"% of starting {what}",
                scale=alt.Scale(scheme="blues", domain=[0, domain_max], clamp=True),
                legend=alt.Legend(format=".0%", orient="top", gradientLength=220),
            ),
            tooltip=[
                alt.Tooltip("cohort:O", title="Acquired in month"),
                alt.Tooltip("age:O", title="Months since acquisition"),
                alt.Tooltip("month:O", title="Calendar month"),
                alt.Tooltip("retained:Q", title=f"% of starting {what}", format=".1%"),
                *amounts,
            ],
        )
        .properties(height=_HEATMAP_CHROME + min(max(11 * len(cohorts), 180), 400), title=title)
    )


def retention_curve_chart(curve: pl.DataFrame, measure: str) -> alt.LayerChart:
    """Retention by months since acquisition, all cohorts pooled, one line per billing plan
    (``cohorts.retention_curve`` output), with 100% marked."""
    ret = f"{measure}_retention"
    what = "customers" if measure == "customers" else "MRR"
    data = curve.filter(pl.col(ret).is_not_null()).select(
        pl.col("term")
        .replace_strict(
            list(COHORT_TERM_LABELS), list(COHORT_TERM_LABELS.values()), return_dtype=pl.String
        )
        .alias("plan"),
        "age",
        pl.col(ret).alias("retained"),
        "cohorts",
    )
    domain = [v for v in COHORT_TERM_LABELS.values() if v in set(data.get_column("plan"))]
    palette = dict(zip(COHORT_TERM_LABELS.values(), (*TERM_COLORS, "#555555"), strict=True))
    dashes = dict(zip(COHORT_TERM_LABELS.values(), ([1, 0], [1, 0], [5, 4]), strict=True))
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=2.5, interpolate="step-after")
        .encode(
            x=alt.X("age:Q", title="Months since acquisition", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y(
                "retained:Q",
                title=f"% of starting {what} retained",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(zero=True),
            ),
            color=alt.Color(
                "plan:N",
                title=None,
                scale=alt.Scale(domain=domain, range=[palette[d] for d in domain]),
                legend=_legend(),
            ),
            strokeDash=alt.StrokeDash(
                "plan:N",
                scale=alt.Scale(domain=domain, range=[dashes[d] for d in domain]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("plan:N", title="Billing"),
                alt.Tooltip("age:Q", title="Months since acquisition"),
                alt.Tooltip("retained:Q", title=f"% of starting {what}", format=".1%"),
                alt.Tooltip("cohorts:Q", title="Cohorts averaged"),
            ],
        )
    )
    rule = (
        alt.Chart(pl.DataFrame({"y": [1.0]}))
        .mark_rule(strokeDash=[4, 4], color="#888888")
        .encode(y="y:Q")
    )
    return alt.layer(rule, lines).properties(
        height=SMALL_HEIGHT + 40,
        title=f"Retention curve: % of starting {what} kept, all cohorts pooled",
    )


__all__ += ["cohort_heatmap", "retention_curve_chart", "scenario_lines_chart"]
