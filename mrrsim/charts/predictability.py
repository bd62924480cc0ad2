"""The Predictability page's charts: one plan's simulated range (fan) and how soon a churn
dashboard alerts after churn rises, per billing choice."""

from __future__ import annotations

import altair as alt
import polars as pl

from mrrsim.charts.style import (
    DARK_GREY,
    GREY,
    HEIGHT,
    MONTH_TIP,
    PLAN_COLORS,
    PLAN_ORDER,
    PLAN_TIP,
    chart_title,
    layered,
    legend,
    money_axis,
    month_x,
    plan_color,
    plan_dash,
    plan_names,
    quote,
    reference_rules,
    with_money_labels,
)

__all__ = ["FAN_SERIES", "detection_chart", "fan_chart", "fan_y_max"]

FAN_SERIES = ("P10–P90", "Median", "Projection")


def _plan_tint(plan: str) -> tuple[str, str]:
    """(band colour, line colour) of a plan."""
    color = PLAN_COLORS[PLAN_ORDER.index(plan)] if plan in PLAN_ORDER else GREY
    return color, color


def fan_y_max(fan: pl.DataFrame, projection: pl.DataFrame, metric: str) -> float:
    """One y-axis top for the three plans' fans of ``metric``: 5% above the highest P90 or
    projected value (at least 1), so the plans are drawn on the same scale."""
    p90 = fan.filter(pl.col("metric") == metric).select(pl.col("p90").max()).item()
    projected = projection.select(pl.col(metric).max()).item()
    return max(p90 or 0.0, 1.0, projected or 0.0) * 1.05


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
        scale=alt.Scale(domain=list(FAN_SERIES), range=[band_color, line_color, DARK_GREY]),
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
    axis = money_axis(title, currency, ticks=5)
    scale = alt.Scale(domain=[0, y_max], nice=False) if y_max else alt.Scale(zero=True)
    tooltip = [
        MONTH_TIP,
        alt.Tooltip("p10_label:N", title="P10 (1 in 10 below)"),
        alt.Tooltip("p50_label:N", title="Median"),
        alt.Tooltip("p90_label:N", title="P90 (1 in 10 above)"),
    ]
    base = with_money_labels(alt.Chart(band), ["p10", "p50", "p90"], currency)
    area = base.mark_area(opacity=0.25).encode(
        x=month_x(band),
        y=alt.Y("p10:Q", axis=axis, scale=scale),
        y2="p90:Q",
        color=color,
        tooltip=tooltip,
    )
    median = (
        base.transform_calculate(series=quote(FAN_SERIES[1]))
        .mark_line(strokeWidth=2.5)
        .encode(x=month_x(band), y=alt.Y("p50:Q", scale=scale), color=color, tooltip=tooltip)
    )
    layers: list[alt.Chart] = [area, median]
    if projection is not None:
        line = projection.filter(pl.col("plan") == plan).select(
            "month", pl.col(metric).alias("value"), pl.lit(FAN_SERIES[2]).alias("series")
        )
        layers.append(
            with_money_labels(alt.Chart(line), ["value"], currency)
            .mark_line(strokeWidth=1.5, strokeDash=[5, 4])
            .encode(
                x=month_x(band),
                y=alt.Y("value:Q", scale=scale),
                color=color,
                tooltip=[
                    MONTH_TIP,
                    alt.Tooltip("value_label:N", title="Projection"),
                ],
            )
        )
    return layered(*layers, height=HEIGHT, title=plan)


def detection_chart(by_month: pl.DataFrame) -> alt.LayerChart:
    """The chance that a churn dashboard has raised its alert, by month since churn rose, one
    line per billing choice, with the halfway mark. ``by_month`` is ``detect.by_month_frame``."""
    labels = dict(zip(("mix", "all_monthly", "all_annual"), PLAN_ORDER, strict=True))
    data = (
        by_month.lazy()
        .with_columns(pl.col("choice").replace_strict(labels, return_dtype=pl.String).alias("plan"))
        .select("plan", "since", "month", "probability")
        .sort(pl.col("plan").cast(pl.Enum(PLAN_ORDER)), "since")
        .collect(engine="in-memory")
    )
    key = legend("Billing", labels=plan_names(data), symbolType="stroke", symbolStrokeWidth=3)
    color = plan_color(plan_names(data), key)
    last = max(data.get_column("since").to_list(), default=1)
    line = (
        alt.Chart(data)
        .mark_line(strokeWidth=2.5, interpolate="step-after", point=alt.OverlayMarkDef(size=25))
        .encode(
            x=alt.X(
                "since:Q",
                title="Months since churn rose (1 = first)",
                scale=alt.Scale(domain=[1, max(last, 2)], nice=False),
                axis=alt.Axis(tickMinStep=1, format="d"),
            ),
            y=alt.Y(
                "probability:Q",
                title="Chance the dashboard has alerted (% of futures)",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=color,
            strokeDash=plan_dash(plan_names(data), key),
            tooltip=[
                PLAN_TIP,
                alt.Tooltip("since:Q", title="Months since churn rose"),
                alt.Tooltip("month:Q", title="Month of the plan"),
                alt.Tooltip("probability:Q", title="Chance of an alert by then", format=".0%"),
            ],
        )
    )
    rules = reference_rules([0.5], ["half of the futures"])
    text = rules.mark_text(align="left", dx=4, dy=-6, color=DARK_GREY).encode(
        x=alt.datum(1), y="y:Q", text="label:N"
    )
    title = "How soon a churn dashboard alerts after churn rises"
    return layered(line, rules, text, height=HEIGHT + 40, title=chart_title(title))
