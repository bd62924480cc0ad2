"""The Sensitivity page's charts: the tornado (each input moved down and up) and the heatmap
over annual discount x annual share."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from mrrsim.charts.style import (
    HEIGHT,
    INK,
    ORANGE,
    SIDE_COLORS,
    SMALL_HEIGHT,
    chart_title,
    layered,
    legend,
    money_axis,
    money_from,
    quote,
    with_money_labels,
)
from mrrsim.formatting import currency_symbol, fmt_money

__all__ = ["grid_heatmap", "tornado_chart", "tornado_long"]

_MONEY_INPUTS = ("list_price",)
_COUNT_INPUTS = ("new_customers", "existing_monthly_customers", "existing_annual_customers")
NO_VALUE = "each segment's own value"


def tornado_long(tornado: pl.DataFrame, metric: str, delta: float) -> pl.DataFrame:
    """The tornado's bars as one row per (input, side), in impact order: the figure with the
    input moved (``value``), with your inputs (``base``), their difference (``change``), and
    the input's value before and after the move (``input_from``, ``input_to``; null where each
    segment keeps its own) with its ``kind`` (money, count or pct) for display.

    ``tornado`` is ``sensitivity.tornado`` output; ``metric`` is "ending_arr" or "npv_cash"."""
    low_col, high_col, base_col = (
        ("ending_arr_low", "ending_arr_high", "base_ending_arr")
        if metric == "ending_arr"
        else ("npv_low", "npv_high", "base_npv")
    )
    sides = _sides(delta)
    field = pl.col("input").str.split(" ").list.first()
    return (
        tornado.lazy()
        .with_row_index("rank")
        .select(
            pl.col("rank").cast(pl.Int32),
            "label",
            pl.when(field.is_in(_MONEY_INPUTS))
            .then(pl.lit("money"))
            .when(field.is_in(_COUNT_INPUTS))
            .then(pl.lit("count"))
            .otherwise(pl.lit("pct"))
            .alias("kind"),
            pl.col(base_col).alias("base"),
            pl.col("base_value").alias("input_from"),
            pl.struct(value=pl.col(low_col), input_to=pl.col("low_value")).alias(sides[0]),
            pl.struct(value=pl.col(high_col), input_to=pl.col("high_value")).alias(sides[1]),
        )
        .unpivot(sides, index=["rank", "label", "kind", "base", "input_from"], variable_name="side")
        .unnest("value")
        .select(
            "rank",
            "label",
            "side",
            "value",
            "base",
            (pl.col("value") - pl.col("base")).alias("change"),
            "kind",
            "input_from",
            "input_to",
        )
        .sort("rank", "side")
        .collect(engine="in-memory")
    )


def _sides(delta: float) -> list[str]:
    pct = f"{delta * 100:.0f}%"
    return [f"Input −{pct}", f"Input +{pct}"]


def _input_text(field: str, currency: str) -> str:
    """A Vega expression: an input's value as the editor shows it (money, count or %)."""
    value = f"datum[{quote(field)}]"
    symbol = quote(currency_symbol(currency))
    return (
        f"{value} == null ? {quote(NO_VALUE)} : datum.kind == 'money' ? "
        f"{symbol} + format({value}, ',.2f') : datum.kind == 'count' ? format({value}, ',.1f') "
        f": format({value} * 100, ',.2f') + '%'"
    )


def _signed_money(field: str, currency: str) -> str:
    """A Vega expression: compact signed money for bar labels, '+$45.6k', '−$950', '±$0'."""
    value = f"datum[{quote(field)}]"
    sign = f"({value} > 0 ? '+' : {value} < 0 ? '−' : '±')"
    symbol = quote(currency_symbol(currency))
    return f"{sign} + {symbol} + replace(format(abs({value}), '.3~s'), 'G', 'B')"


def tornado_chart(
    tornado: pl.DataFrame, metric: str, delta: float, currency: str
) -> alt.LayerChart:
    """Tornado: each input moved down and up by ``delta``, bars from the base value of
    ``metric`` to the moved value, largest swing on top, each bar labelled with its change."""
    title = "Ending ARR" if metric == "ending_arr" else "NPV of cash"
    data = tornado_long(tornado, metric, delta)
    order = data.sort("rank").get_column("label").unique(maintain_order=True).to_list()
    pct = f"{delta * 100:.0f}%"
    sides = _sides(delta)
    base_value = data.item(0, "base") if len(data) else 0.0
    # On a narrow screen (a phone) each input's name and its segment go on two lines, so the
    # bars keep most of the width (the chart's own width, not the plot's, decides: the plot's
    # width moves with the labels).
    narrow = "containerSize()[0] > 0 && containerSize()[0] < 640"
    y = alt.Y(
        "label:N",
        title=None,
        sort=order,
        axis=alt.Axis(
            labelLimit=alt.ExprRef(expr=f"{narrow} ? 150 : 320"),
            labelExpr=f"{narrow} ? split(datum.label, {quote(' — ')}) : datum.label",
        ),
    )
    chart = with_money_labels(alt.Chart(data), ["value", "base"], currency).transform_calculate(
        change_text=_signed_money("change", currency),
        input_from_text=_input_text("input_from", currency),
        input_to_text=_input_text("input_to", currency),
    )
    axis = money_axis(title, currency, ticks=8)
    bars = chart.mark_bar(opacity=0.9, height={"band": 0.7}).encode(
        # 48 px beyond the longest bars: room for their labels, off the inputs' names
        x=alt.X("value:Q", axis=axis, scale=alt.Scale(zero=False, padding=48)),
        x2="base:Q",
        y=y,
        color=alt.Color(
            "side:N",
            title=None,
            scale=alt.Scale(domain=sides, range=list(SIDE_COLORS)),
            legend=legend(labels=sides),
        ),
        tooltip=[
            alt.Tooltip("label:N", title="Input"),
            alt.Tooltip("side:N", title="Move"),
            alt.Tooltip("input_from_text:N", title="Input now"),
            alt.Tooltip("input_to_text:N", title="Input moved to"),
            alt.Tooltip("value_label:N", title=title),
            alt.Tooltip("change_text:N", title="Change"),
        ],
    )
    up = chart.transform_filter("datum.change > 0").mark_text(align="left", dx=4, fontSize=11)
    down = chart.transform_filter("datum.change < 0").mark_text(align="right", dx=-4, fontSize=11)
    labels = [
        layer.encode(x="value:Q", y=y, text="change_text:N", color=alt.value(INK))
        for layer in (up, down)
    ]
    base_text = f"{title} with your inputs: {fmt_money(base_value, currency, compact=False)}"
    rule = (
        alt.Chart(pl.DataFrame({"base": [base_value], "label": [base_text]}))
        .mark_rule(color=INK, strokeWidth=1.5)
        .encode(x="base:Q", tooltip=[alt.Tooltip("label:N", title="Base")])
    )
    height = max(SMALL_HEIGHT, 34 * len(order) + 110)  # the whole chart, title and axes included
    return layered(
        bars,
        *labels,
        rule,
        height=height,
        padding={"left": 16, "right": 8, "top": 5, "bottom": 5},
        title=chart_title(
            f"{title}: each input moved −{pct} and +{pct} (base {fmt_money(base_value, currency)})"
        ),
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
    point: tuple[float, float] | None = None,
) -> alt.LayerChart:
    """A heatmap of ``value`` (npv_cash or ending_arr) over annual discount x annual share, from
    ``sensitivity.discount_share_grid``, the user's own (discount, annual share) a marked point.
    No break-even is drawn: the maps count the horizon, the break-even a customer's lifetime."""
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
    d0, d1, s0, s1 = data.select(
        pl.col("d0").min(), pl.col("d1").max(), pl.col("s0").min(), pl.col("s1").max()
    ).row(0)
    x_scale = alt.Scale(domain=[d0, d1], nice=False, zero=False)
    y_scale = alt.Scale(domain=[s0, s1], nice=False, zero=False)
    rects = (
        with_money_labels(alt.Chart(data), ["value", "npv_vs_all_monthly"], currency)
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
                    labelExpr=money_from("datum.value", currency, compact=True),
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
            .mark_point(shape="diamond", size=260, filled=True, color=ORANGE, stroke=INK)
            .encode(
                x=alt.X("d:Q", scale=x_scale),
                y=alt.Y("s:Q", scale=y_scale),
                tooltip=[alt.Tooltip("label:N", title="")],
            )
        )
        layers.append(
            alt.Chart(mark)
            .mark_text(align="left", dx=10, dy=-10, fontWeight="bold", color=INK)
            .encode(
                x=alt.X("d:Q", scale=x_scale),
                y=alt.Y("s:Q", scale=y_scale),
                text=alt.value("Your mix"),
            )
        )
    return layered(
        *layers, height=HEIGHT + 120, title=chart_title(f"{title} by discount and annual share")
    )
