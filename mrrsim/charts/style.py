"""The charts' shared look, defined once: colours, heights, legends, axes, money text in Vega
expressions, tooltips and reference lines. Every chart family builds on these."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import altair as alt
import polars as pl

from mrrsim.formatting import currency_symbol

__all__ = [
    "BLUE",
    "DARK_GREY",
    "GREY",
    "HEIGHT",
    "INK",
    "LIGHT_BLUE",
    "MONTH_TIP",
    "MOVEMENTS",
    "ORANGE",
    "PLAN_COLORS",
    "PLAN_DASHES",
    "PLAN_ORDER",
    "PLAN_TIP",
    "RED",
    "SCENARIO_COLORS",
    "SCENARIO_DASHES",
    "SIDE_COLORS",
    "SMALL_HEIGHT",
    "TERM_COLORS",
    "layered",
    "legend",
    "money_axis",
    "money_expr",
    "money_from",
    "month_x",
    "plan_color",
    "plan_dash",
    "plan_names",
    "quote",
    "reference_rules",
    "with_money_labels",
]

# --- colours -------------------------------------------------------------------------------------

BLUE = "#1f4e99"
ORANGE_DARK = "#e07b39"
GREEN = "#2e8b57"
PURPLE = "#8e44ad"
LIGHT_GREEN = "#7fc97f"
ORANGE = "#f4a261"
RED = "#c0392b"
LIGHT_BLUE = "#8fb3e0"
GREY = "#888888"
DARK_GREY = "#555555"
INK = "#222222"

PLAN_ORDER = ("Your mix", "All monthly", "All annual")
PLAN_COLORS = (BLUE, ORANGE_DARK, GREEN)
PLAN_DASHES = ([1, 0], [6, 3], [2, 2])
TERM_COLORS = (ORANGE_DARK, BLUE)  # monthly, annual
SIDE_COLORS = (ORANGE, BLUE)  # an input moved down, up
SCENARIO_COLORS = (BLUE, ORANGE_DARK, GREEN, PURPLE)
SCENARIO_DASHES = ([1, 0], [7, 3], [2, 2], [8, 3, 2, 3])
# (projection column, label, sign on the chart, colour) of each MRR movement.
MOVEMENTS = (
    ("new_mrr", "New", 1.0, GREEN),
    ("expansion_mrr", "Expansion", 1.0, LIGHT_GREEN),
    ("contraction_mrr", "Contraction", -1.0, ORANGE),
    ("churned_mrr", "Churn", -1.0, RED),
    # switching to annual: per segment the monthly MRR leaves and (1 - d) of it arrives on the
    # annual plan, so the total is the discount given away (zero or negative)
    ("switched_mrr", "Switch to annual (discount given)", 1.0, PURPLE),
)

# --- sizes ---------------------------------------------------------------------------------------

HEIGHT = 320
SMALL_HEIGHT = 240

# --- money text in Vega expressions --------------------------------------------------------------


def quote(text: str) -> str:
    """A Vega expression string literal (user text is never spliced in unquoted)."""
    return json.dumps(text)


def money_from(value: str, currency: str, *, compact: bool) -> str:
    """A Vega expression formatting the expression ``value`` as money: '$1,234,567' or '$1.2M'."""
    sign = f"({value} < 0 ? '−' : '')"
    symbol = quote(currency_symbol(currency))
    if compact:
        digits = f"replace(format(abs({value}), '.3~s'), 'G', 'B')"
    else:
        digits = f"format(abs({value}), ',.0f')"
    return f"{sign} + {symbol} + {digits}"


def money_expr(field: str, currency: str, *, compact: bool = False) -> str:
    """A Vega expression that formats ``datum[field]`` as money: '$1,234,567' or '$1.2M'."""
    return money_from(f"datum[{quote(field)}]", currency, compact=compact)


def with_money_labels(chart: alt.Chart, fields: Sequence[str], currency: str) -> alt.Chart:
    """Add '<field>_label' columns holding full money text, for tooltips."""
    return chart.transform_calculate(**{f"{f}_label": money_expr(f, currency) for f in fields})


# --- axes, legends, colour and dash encodings ----------------------------------------------------


def money_axis(title: str, currency: str, *, ticks: int | None = None) -> alt.Axis:
    """An axis for amounts: the currency in the title, compact money labels (about ``ticks``
    of them when given)."""
    return alt.Axis(
        title=f"{title} ({currency})",
        labelExpr=money_from("datum.value", currency, compact=True),
        tickCount=alt.Undefined if ticks is None else ticks,
    )


def month_x(frame: pl.DataFrame, *, bars: bool = False) -> alt.X:
    """Months 1..H on x: a continuous axis for lines, one band per month for bars."""
    lo, hi = frame.select(pl.col("month").min().alias("lo"), pl.col("month").max().alias("hi")).row(
        0
    )
    lo, hi = (1, 1) if lo is None else (int(lo), int(hi))
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


def legend(title: str | None = None, /, **options: Any) -> alt.Legend:
    """The charts' legend: above the plot, long labels kept whole."""
    return alt.Legend(**{"orient": "top", "title": title, "labelLimit": 280, **options})


def plan_names(frame: pl.DataFrame) -> list[str]:
    """The plans in a frame, in order of appearance."""
    return frame.get_column("plan").unique(maintain_order=True).to_list()


def plan_color(plans: Sequence[str], key: alt.Legend | None = None) -> alt.Color:
    """One colour per billing plan (your mix, all-monthly, all-annual; grey for others), with
    the charts' legend unless another ``key`` is given."""
    domain = [p for p in PLAN_ORDER if p in plans] + [p for p in plans if p not in PLAN_ORDER]
    colors = [PLAN_COLORS[PLAN_ORDER.index(p)] if p in PLAN_ORDER else GREY for p in domain]
    return alt.Color(
        "plan:N",
        title="Billing",
        scale=alt.Scale(domain=domain, range=colors),
        legend=legend() if key is None else key,
    )


def plan_dash(plans: Sequence[str] | None = None, key: alt.Legend | None = None) -> alt.StrokeDash:
    """A dash per billing plan, so lines stay apart in grey scale too. Given the plans drawn
    (and the colour's ``key``), it shares ``plan_color``'s domain and legend, so Vega-Lite draws
    one legend of coloured dashes instead of warning about two conflicting ones."""
    if plans is None:
        return alt.StrokeDash(
            "plan:N", scale=alt.Scale(domain=list(PLAN_ORDER), range=list(PLAN_DASHES)), legend=None
        )
    domain = [p for p in PLAN_ORDER if p in plans] + [p for p in plans if p not in PLAN_ORDER]
    dashes = [PLAN_DASHES[PLAN_ORDER.index(p)] if p in PLAN_ORDER else [1, 0] for p in domain]
    return alt.StrokeDash(
        "plan:N",
        title="Billing",
        scale=alt.Scale(domain=domain, range=dashes),
        legend=legend() if key is None else key,
    )


def layered(*charts: alt.Chart, **properties: Any) -> alt.LayerChart:
    """Charts drawn on top of each other, in order, with the layer's ``properties`` (height,
    title, ...) given at once: ``.properties()`` afterwards validates them and copies every
    layer again, which costs more than building the chart."""
    return alt.LayerChart(layer=list(charts), **properties)


# --- tooltips and reference lines ----------------------------------------------------------------

MONTH_TIP = alt.Tooltip("month:Q", title="Month")
PLAN_TIP = alt.Tooltip("plan:N", title="Billing")


def reference_rules(
    values: Sequence[float],
    labels: Sequence[str] | None = None,
    *,
    title: str = "Reference",
    color: str = GREY,
    dash: Sequence[int] = (4, 4),
) -> alt.Chart:
    """Dashed horizontal lines at ``values`` on the y axis, each with its label as a tooltip."""
    data = pl.DataFrame({"y": [float(v) for v in values]})
    if labels is None:
        return alt.Chart(data).mark_rule(strokeDash=list(dash), color=color).encode(y="y:Q")
    data = data.with_columns(pl.Series("label", list(labels)))
    return (
        alt.Chart(data)
        .mark_rule(strokeDash=list(dash), color=color)
        .encode(y="y:Q", tooltip=[alt.Tooltip("label:N", title=title)])
    )
