"""The Planner's decision chart: the value of a new customer against the discount for new
annual contracts, one small chart per segment, with today's discount, the best one and the
break-even marked (docs/model.md, "Lifetime values and the decision")."""

from __future__ import annotations

import altair as alt
import polars as pl

from mrrsim.charts.style import (
    BLUE,
    GREEN,
    INK,
    RED,
    fixed_title,
    legend,
    money_axis,
    with_money_labels,
)

__all__ = ["MARK_COLORS", "value_curve_chart"]

MARK_COLORS = {"Today": INK, "Best": GREEN, "Break-even": RED}
MARK_SHAPES = ("triangle-up", "circle", "square")
PANEL_HEIGHT = 220


def value_curve_chart(
    curve: pl.DataFrame, marks: pl.DataFrame, currency: str, segment: str
) -> alt.LayerChart:
    """One segment's value per new customer (y, money) against the discount (x, %); points and
    dashed rules mark today, the best discount and the break-even. ``curve`` and ``marks`` come
    from ``mrrsim.decision.value_chart_frames`` (all segments; this one is picked out)."""
    curve = curve.filter(pl.col("segment") == segment)
    marks = marks.filter(pl.col("segment") == segment)
    data = pl.concat(
        [
            curve.select(
                "segment",
                "discount",
                "value",
                "annual_share",
                pl.lit(None, dtype=pl.String).alias("mark"),
            ),
            marks.select(
                "segment",
                "discount",
                "value",
                pl.lit(None, dtype=pl.Float64).alias("annual_share"),
                "mark",
            ),
        ]
    )
    x = alt.X(
        "discount:Q",
        title="Discount for new contracts (%)",
        axis=alt.Axis(format=".0%"),
        scale=alt.Scale(domain=[0, 0.6], nice=False),
    )
    y = alt.Y(
        "value:Q",
        axis=money_axis("Value per new customer", currency, ticks=4),
        scale=alt.Scale(zero=False),
    )
    base = with_money_labels(alt.Chart(), ["value"], currency)
    line = (
        base.transform_filter("datum.mark == null")
        .mark_line(color=BLUE, strokeWidth=2)
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("discount:Q", title="Discount", format=".1%"),
                alt.Tooltip("annual_share:Q", title="Choosing annual", format=".0%"),
                alt.Tooltip("value_label:N", title="Value per new customer"),
            ],
        )
    )
    color = alt.Color(
        "mark:N",
        title=None,
        scale=alt.Scale(domain=list(MARK_COLORS), range=list(MARK_COLORS.values())),
        legend=legend(labels=list(MARK_COLORS), orient="bottom"),
    )
    shape = alt.Shape(  # the same legend as the colour: one merged legend, no Vega warning
        "mark:N",
        title=None,
        scale=alt.Scale(domain=list(MARK_COLORS), range=list(MARK_SHAPES)),
        legend=legend(labels=list(MARK_COLORS), orient="bottom"),
    )
    tips = [
        alt.Tooltip("mark:N", title="Mark"),
        alt.Tooltip("discount:Q", title="Discount", format=".1%"),
        alt.Tooltip("value_label:N", title="Value per new customer"),
    ]
    rules = (
        base.transform_filter("datum.mark != null")
        .mark_rule(strokeDash=[4, 3])
        .encode(x=x, color=color, tooltip=tips)
    )
    points = (
        base.transform_filter("datum.mark != null")
        .mark_point(filled=True, size=80)
        .encode(x=x, y=y, color=color, shape=shape, tooltip=tips)
    )
    return alt.LayerChart(
        layer=[line, rules, points],
        data=data,
        height=PANEL_HEIGHT,
        title=fixed_title(segment),
    )
