"""The Compare page's chart: one money line per scenario over its own months."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from mrrsim.charts.style import (
    HEIGHT,
    MONTH_TIP,
    SCENARIO_COLORS,
    SCENARIO_DASHES,
    chart_title,
    legend,
    money_axis,
    month_x,
    with_money_labels,
)

__all__ = ["scenario_lines_chart"]


def _scenario_encodings(labels: Sequence[str]) -> tuple[alt.Color, alt.StrokeDash]:
    """Colour and dash per scenario, in comparison order (the first is the reference)."""
    domain = list(labels)
    n = len(domain)
    colors = [SCENARIO_COLORS[i % len(SCENARIO_COLORS)] for i in range(n)]
    dashes = [SCENARIO_DASHES[i % len(SCENARIO_DASHES)] for i in range(n)]
    key = legend(labels=domain, symbolStrokeWidth=3, symbolSize=300)
    # The same legend on colour and dash: Vega-Lite merges them into one legend of coloured
    # dashes (two different ones make it warn about a conflicting legend property).
    return (
        alt.Color(
            "scenario:N",
            title="Scenario",
            sort=domain,
            scale=alt.Scale(domain=domain, range=colors),
            legend=key,
        ),
        alt.StrokeDash(
            "scenario:N",
            title="Scenario",
            sort=domain,
            scale=alt.Scale(domain=domain, range=dashes),
            legend=key,
        ),
    )


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
    color, dash = _scenario_encodings(labels)
    base = alt.Chart(data).mark_line(strokeWidth=2.5)
    return (
        with_money_labels(base, ["value"], currency)
        .encode(
            x=month_x(data),
            y=alt.Y("value:Q", axis=money_axis(axis_title, currency), scale=alt.Scale(zero=zero)),
            color=color,
            strokeDash=dash,
            order=alt.Order("month:Q"),
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                MONTH_TIP,
                alt.Tooltip("value_label:N", title=axis_title),
            ],
        )
        .properties(height=HEIGHT, title=chart_title(title))
    )
