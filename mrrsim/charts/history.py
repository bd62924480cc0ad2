"""Altair charts of actual billing history (the "Your data" page and the Planner's actual vs
projected MRR): pure functions from the frames of ``mrrsim.billing`` to ``alt.Chart``.

Months are calendar months on a UTC time axis ("Jan 2025"); money axes carry the currency in
their title with compact labels, tooltips show full amounts. No Streamlit here.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from mrrsim.billing.history import ALL
from mrrsim.charts.style import chart_title, legend, money_axis, money_expr

__all__ = [
    "HISTORY_MOVEMENTS",
    "history_movements_chart",
    "history_mrr_chart",
    "history_projection_chart",
    "logo_churn_chart",
]

HEIGHT = 320
HISTORY_MOVEMENTS = (
    ("new_mrr", "New", 1.0, "#2e8b57"),
    ("expansion_mrr", "Expansion", 1.0, "#7fc97f"),
    ("reactivation_mrr", "Reactivation", 1.0, "#5fa8d3"),
    ("contraction_mrr", "Contraction", -1.0, "#f4a261"),
    ("churned_mrr", "Churn", -1.0, "#c0392b"),
)


def _date(column: str = "month") -> pl.Expr:
    """``YYYY-MM`` as the month's first day in ISO text, for a temporal axis."""
    return pl.concat_str(pl.col(column), pl.lit("-01")).alias("date")


def _month_x(title: str = "Month") -> alt.X:
    return alt.X(
        "date:T",
        title=title,
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount="month", labelOverlap=True),
    )


def _month(title: str = "Month") -> alt.Tooltip:
    return alt.Tooltip("month:N", title=title)


def _plans(history: pl.DataFrame) -> pl.DataFrame:
    return history.filter(pl.col("segment") != ALL).with_columns(
        pl.concat_str("segment", pl.lit(" · "), "term").alias("series"), _date()
    )


def _series_color(data: pl.DataFrame) -> alt.Color:
    """One color per segment · term, the same in every chart of the page (history order)."""
    order = data.get_column("series").unique(maintain_order=True).to_list()
    return alt.Color(
        "series:N",
        title="Segment · billing",
        sort=order,
        scale=alt.Scale(domain=order, scheme="tableau20"),
        legend=legend("Segment · billing", labels=order),
    )


def history_mrr_chart(history: pl.DataFrame, currency: str) -> alt.Chart:
    """Month-end MRR stacked by segment and billing term, in the legend's order (a number to
    stack by: Vega-Lite ignores, with a warning, a text field as the stacking order)."""
    data = _plans(history).select("date", "month", "series", "segment", "term", "mrr", "customers")
    order = data.get_column("series").unique(maintain_order=True).to_list()
    data = data.with_columns(
        pl.col("series")
        .replace_strict(order, list(range(len(order))), return_dtype=pl.Int32)
        .alias("stack_order")
    )
    return (
        alt.Chart(data)
        .mark_area(opacity=0.85)
        .transform_calculate(mrr_label=money_expr("mrr", currency))
        .encode(
            x=_month_x(),
            y=alt.Y("mrr:Q", stack="zero", axis=money_axis("Month-end MRR", currency)),
            color=_series_color(data),
            order=alt.Order("stack_order:Q"),
            tooltip=[
                _month(),
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("term:N", title="Billing"),
                alt.Tooltip("mrr_label:N", title="MRR"),
                alt.Tooltip("customers:Q", title="Customers", format=","),
            ],
        )
        .properties(
            height=HEIGHT, title=chart_title("Actual MRR by segment and billing term (month end)")
        )
    )


def history_movements_chart(history: pl.DataFrame, currency: str) -> alt.TopLevelMixin:
    """All customers' MRR movements per month as bars (gains up, losses down) with the net
    change as a line; a switch between plans of one customer counts once, as its net change."""
    totals = history.filter(pl.col("segment") == ALL).with_columns(_date())
    long = pl.concat(
        [
            totals.select(
                "date",
                "month",
                pl.lit(label).alias("movement"),
                pl.lit(rank, dtype=pl.Int32).alias("rank"),
                (pl.col(col) * sign).alias("amount"),
            )
            for rank, (col, label, sign, _) in enumerate(HISTORY_MOVEMENTS)
        ]
    ).sort("date", "rank")
    net = totals.select(
        "date",
        "month",
        (
            pl.col("new_mrr")
            + pl.col("expansion_mrr")
            + pl.col("reactivation_mrr")
            - pl.col("contraction_mrr")
            - pl.col("churned_mrr")
        ).alias("net"),
        pl.lit("Net change").alias("movement"),
    )
    labels = [label for _, label, _, _ in HISTORY_MOVEMENTS]
    colors = [color for _, _, _, color in HISTORY_MOVEMENTS]
    color = alt.Color(
        "movement:N",
        title="Movement",
        scale=alt.Scale(domain=[*labels, "Net change"], range=[*colors, "#222222"]),
        legend=legend("Movement", labels=[*labels, "Net change"]),
    )
    bars = (
        alt.Chart(long)
        .mark_bar()
        .transform_calculate(amount_label=money_expr("amount", currency))
        .encode(
            x=_month_x(),
            y=alt.Y("amount:Q", stack="zero", axis=money_axis("MRR movement", currency)),
            color=color,
            order=alt.Order("rank:Q"),
            tooltip=[
                _month(),
                alt.Tooltip("movement:N", title="Movement"),
                alt.Tooltip("amount_label:N", title="MRR"),
            ],
        )
    )
    line = (
        alt.Chart(net)
        .mark_line(strokeWidth=2, point=True)
        .transform_calculate(net_label=money_expr("net", currency))
        .encode(
            x=_month_x(),
            y=alt.Y("net:Q"),
            color=color,
            tooltip=[_month(), alt.Tooltip("net_label:N", title="Net change in MRR")],
        )
    )
    return alt.layer(bars, line).properties(
        height=HEIGHT, title=chart_title("Where MRR moved each month (all customers)")
    )


def logo_churn_chart(history: pl.DataFrame, months: int = 3) -> alt.Chart:
    """Logo churn per segment and term over the trailing ``months`` months: customers lost
    in them over the customers at the start of each (needs ``history(..., detail=True)``).
    Annual plans only lose customers at renewals, so theirs is lower and lumpier."""
    plans = _plans(history)

    def trailing(column: str) -> pl.Expr:
        return pl.col(column).rolling_sum(months, min_samples=1).over("series")

    data = (
        plans.sort("series", "month")
        .with_columns(pl.col("customers").shift(1).over("series").fill_null(0).alias("at_start"))
        .with_columns(
            trailing("churned_customers").alias("lost"), trailing("at_start").alias("exposed")
        )
        .filter(pl.col("exposed") > 0)
        .select(
            "date", "month", "series", "segment", "term", "lost", "exposed",
            (pl.col("lost") / pl.col("exposed")).alias("churn"),
        )
    )  # fmt: skip
    return (
        alt.Chart(data)
        .mark_line(point=True, strokeWidth=1.8)
        .encode(
            x=_month_x(),
            y=alt.Y(
                "churn:Q",
                title="Customers lost a month (% at its start)",
                axis=alt.Axis(format=".0%"),
            ),
            color=_series_color(plans),
            tooltip=[
                _month(),
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("term:N", title="Billing"),
                alt.Tooltip(
                    "churn:Q", title=f"Logo churn a month ({months}-month average)", format=".2%"
                ),
                alt.Tooltip("lost:Q", title=f"Customers lost in {months} months", format=","),
                alt.Tooltip("exposed:Q", title="Customer-months at risk", format=","),
            ],
        )
        .properties(
            height=HEIGHT,
            title=chart_title(f"Logo churn by plan (trailing {months}-month average)"),
        )
    )


def history_projection_chart(frame: pl.DataFrame, currency: str) -> alt.TopLevelMixin:
    """Actual MRR up to the as-of month (solid) and the scenario's projection after it
    (dashed), on one calendar axis, with the as-of month marked. ``frame`` comes from
    ``mrrsim.billing.history.actual_and_projected``."""
    data = frame.with_columns(_date())
    as_of = data.filter(pl.col("series") == "Actual").get_column("month").max()
    key = legend(labels=["Actual", "Projected"])  # one legend: each line's colour and dash
    color = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=["Actual", "Projected"], range=["#1b2430", "#1f4e99"]),
        legend=key,
    )
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=2.5)
        .transform_calculate(mrr_label=money_expr("mrr", currency))
        .encode(
            x=_month_x(),
            y=alt.Y("mrr:Q", axis=money_axis("MRR", currency), scale=alt.Scale(zero=False)),
            color=color,
            strokeDash=alt.StrokeDash(
                "series:N",
                title=None,
                scale=alt.Scale(domain=["Actual", "Projected"], range=[[1, 0], [6, 4]]),
                legend=key,
            ),
            tooltip=[
                _month(),
                alt.Tooltip("series:N", title="Line"),
                alt.Tooltip("mrr_label:N", title="MRR"),
            ],
        )
    )
    rule_data = pl.DataFrame({"month": [str(as_of)], "label": [f"As of {as_of!s} (month 0)"]})
    rule = (
        alt.Chart(rule_data.with_columns(_date()))
        .mark_rule(strokeDash=[3, 3], color="#888888")
        .encode(x="date:T", tooltip=[alt.Tooltip("label:N", title="Start of projection")])
    )
    return alt.layer(lines, rule).properties(
        height=HEIGHT, title=chart_title("MRR: actual (from your billing data) and projected")
    )
