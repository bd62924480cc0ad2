"""The charts' shared look, defined once: colours, heights, legends, axes, money text in Vega
expressions, tooltips and reference lines. Every chart family builds on these."""

from __future__ import annotations

import json
import textwrap
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
    "chart_title",
    "fixed_title",
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


# --- titles and legends that fit a phone ---------------------------------------------------------

# Streamlit's chart theme draws titles in 16 px bold and legend labels in 14 px in Source Sans,
# whose characters are on average 7.3-7.9 px and 5.8-6.5 px wide (measured in Chromium).
TITLE_CHAR_PX = 8.0
LABEL_CHAR_PX = 6.4
# A legend entry's symbol, the gap to its label and the gap to the next entry (px).
ENTRY_PX = 28
# Streamlit cuts a title at the chart's width less 40 px, and the y axis takes 50-80 px of the
# chart beside the plot: a title may be about this much (px) wider than the plot.
TITLE_SLACK_PX = 10
# The most lines a title is broken into.
_TITLE_LINES = 4


def _lines(text: str, chars: int) -> list[str]:
    return textwrap.wrap(text, chars, break_long_words=False, break_on_hyphens=False) or [text]


def _balanced(text: str, count: int) -> list[str]:
    """``text`` in at most ``count`` lines, as even in length as words allow."""
    low, high = 1, max(len(text), 1)  # the fewest characters a line needs (bisection)
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if len(_lines(text, mid)) <= count else (mid + 1, high)
    return _lines(text, low)


def chart_title(text: str) -> alt.Title:
    """A title that is never cut off: whole on one line where the plot is wide enough, else
    broken into lines that fit (Streamlit cuts a title wider than the chart with '...', as on
    a phone). The browser picks the lines from the plot's width with a Vega expression, so
    this is for the app's own titles only: user text goes to ``fixed_title``."""
    choices: list[list[str]] = []  # whole, then in 2, 3, ... lines
    for count in range(1, _TITLE_LINES + 1):
        lines = _balanced(text, count)
        if not choices or len(lines) > len(choices[-1]):
            choices.append(lines)
    if len(choices) == 1:
        return alt.Title(text=text, anchor="start")
    expr = json.dumps(choices[-1])
    for lines in reversed(choices[:-1]):
        need = round(max(map(len, lines)) * TITLE_CHAR_PX)
        shown = quote(lines[0]) if len(lines) == 1 else json.dumps(lines)
        expr = f"width + {TITLE_SLACK_PX} >= {need} ? {shown} : {expr}"
    return alt.Title(text=alt.ExprRef(expr=expr), anchor="start")


def fixed_title(text: str, chars: int = 28) -> alt.Title:
    """A title holding user text (a segment's name): lines of at most ``chars`` characters,
    decided here, as user text never goes into a Vega expression."""
    lines = _lines(text, chars)
    return alt.Title(text=lines[0] if len(lines) == 1 else lines, anchor="start")


def _columns_expr(labels: list[str]) -> str:
    """A Vega expression for a legend's number of columns: the most, up to one row, whose
    entries (filled row by row, each column as wide as its widest entry) fit the plot."""
    entries = [round(len(label) * LABEL_CHAR_PX) + ENTRY_PX for label in labels]
    expr = "1"
    for count in range(2, len(entries) + 1):
        need = sum(max(entries[col::count]) for col in range(count))
        expr = f"width >= {need} ? {count} : {expr}"
    return expr


def legend(
    title: str | None = None, /, *, labels: Sequence[str] = (), **options: Any
) -> alt.Legend:
    """The charts' legend: above the plot, with as many entries to a row as the plot's width
    holds (given the ``labels`` shown), so none runs off the side of a phone; a label longer
    than the plot is cut with '...' rather than off the chart."""
    settings: dict[str, Any] = {
        "orient": "top",
        "title": title,
        "labelLimit": alt.ExprRef(expr="clamp(width - 40, 80, 280)"),
    }
    if labels:
        settings["columns"] = alt.ExprRef(expr=_columns_expr([str(label) for label in labels]))
    return alt.Legend(**{**settings, **options})


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
        legend=legend(labels=domain) if key is None else key,
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
        legend=legend(labels=domain) if key is None else key,
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
