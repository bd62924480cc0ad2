"""Altair charts for the planning pages: pure functions from polars frames to ``alt.Chart``.

Every builder selects (and where needed aggregates) only the columns it draws before handing
data to Altair, because Streamlit ships every row of a chart's data to the browser. Money axes
carry the scenario's currency in their title and a compact label ("$1.2M", "€450k"); tooltips
show full amounts ("$1,234,567"). Nothing here imports Streamlit, so charts are testable alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import altair as alt
import polars as pl

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
    "quick_ratio_chart",
    "renewal_chart",
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

_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "CN¥",
    "INR": "₹",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "BRL": "R$",
    "KRW": "₩",
    "ILS": "₪",
    "MXN": "MX$",
}


def currency_symbol(currency: str) -> str:
    """A short prefix for amounts: '$' for USD, '€' for EUR, else the code and a space."""
    code = currency.strip()
    return _SYMBOLS.get(code.upper(), f"{code} " if code else "")


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
        .collect()
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
        .collect()
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
        .collect()
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
