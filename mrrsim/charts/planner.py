"""The Planner's charts: the three billing plans month by month (MRR, ARR and the gap to
all-monthly, cash, revenue, deferred revenue) and your mix's make-up (segments and terms,
MRR movements, the quick ratio, the renewal calendar)."""

from __future__ import annotations

import altair as alt
import polars as pl

from mrrsim.charts.style import (
    HEIGHT,
    INK,
    LIGHT_BLUE,
    MONTH_TIP,
    MOVEMENTS,
    PLAN_COLORS,
    PLAN_DASHES,
    PLAN_ORDER,
    PLAN_TIP,
    RED,
    SMALL_HEIGHT,
    TERM_COLORS,
    chart_title,
    layered,
    legend,
    money_axis,
    month_x,
    plan_color,
    plan_dash,
    plan_names,
    reference_rules,
    with_money_labels,
)

__all__ = [
    "cash_revenue_chart",
    "cumulative_cash_chart",
    "customers_by_term_chart",
    "deferred_revenue_chart",
    "movements_chart",
    "mrr_by_segment_term_chart",
    "plan_chart",
    "plan_gap_chart",
    "quick_ratio_chart",
    "renewal_chart",
]


def plan_chart(plans: pl.DataFrame, currency: str, measure: str = "mrr") -> alt.Chart:
    """MRR (or ARR) per month for your mix, all-monthly and all-annual, one line each, from a
    zero baseline (a cut axis made small gaps look like big ones)."""
    title = measure.upper()
    data = plans.select("plan", "month", pl.col(measure).alias("value"))
    base = alt.Chart(data).mark_line(strokeWidth=2.5, point=False)
    return (
        with_money_labels(base, ["value"], currency)
        .encode(
            x=month_x(data),
            y=alt.Y("value:Q", axis=money_axis(title, currency), scale=alt.Scale(zero=True)),
            color=plan_color(plan_names(plans)),
            strokeDash=plan_dash(plan_names(plans)),
            tooltip=[
                PLAN_TIP,
                MONTH_TIP,
                alt.Tooltip("value_label:N", title=title),
            ],
        )
        .properties(
            height=HEIGHT,
            title=chart_title(f"{title} by month: your mix vs all-monthly vs all-annual"),
        )
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
    lines = with_money_labels(alt.Chart(data).mark_line(strokeWidth=2.5), ["gap"], currency).encode(
        x=month_x(data),
        y=alt.Y("gap:Q", axis=money_axis(f"{title} minus all-monthly", currency)),
        color=plan_color(plan_names(data)),
        tooltip=[
            PLAN_TIP,
            MONTH_TIP,
            alt.Tooltip("gap_label:N", title=f"{title} vs all-monthly"),
        ],
    )
    zero = reference_rules(
        [0.0], ["All monthly"], title="Baseline", color=PLAN_COLORS[1], dash=PLAN_DASHES[1]
    )
    return layered(
        lines,
        zero,
        height=HEIGHT,
        title=chart_title(f"{title} gained or lost against billing everyone monthly"),
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
        with_money_labels(base, ["mrr"], currency)
        .encode(
            x=month_x(data),
            y=alt.Y("mrr:Q", stack="zero", axis=money_axis("MRR", currency)),
            color=alt.Color(
                "series:N",
                title="Segment · billing",
                sort=order,
                scale=alt.Scale(scheme="tableau20"),
                legend=legend(labels=order),
            ),
            order=alt.Order("stack:Q"),
            tooltip=[
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("term:N", title="Billing"),
                MONTH_TIP,
                alt.Tooltip("mrr_label:N", title="MRR"),
            ],
        )
        .properties(height=HEIGHT, title=chart_title("MRR by segment and billing term (your mix)"))
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
            x=month_x(data),
            y=alt.Y(
                "customers:Q", stack="zero", title="Active customers", axis=alt.Axis(format=",.0f")
            ),
            color=alt.Color(
                "billing:N",
                title="Billing",
                scale=alt.Scale(domain=["Monthly", "Annual"], range=list(TERM_COLORS)),
                legend=legend(labels=["Monthly", "Annual"]),
            ),
            tooltip=[
                alt.Tooltip("billing:N", title="Billing"),
                MONTH_TIP,
                alt.Tooltip("customers:Q", title="Customers", format=",.0f"),
            ],
        )
        .properties(height=HEIGHT, title=chart_title("Active customers by billing term (your mix)"))
    )


def _movements_long(totals: pl.DataFrame) -> pl.DataFrame:
    """One row per (month, movement), losses as negative amounts."""
    columns = [col for col, _, _, _ in MOVEMENTS]
    return (
        totals.lazy()
        .select("month", *(pl.col(col) * sign for col, _, sign, _ in MOVEMENTS))
        .unpivot(columns, index="month", variable_name="column", value_name="amount")
        .with_columns(
            pl.col("column")
            .replace_strict(
                columns, [label for _, label, _, _ in MOVEMENTS], return_dtype=pl.String
            )
            .alias("movement"),
            pl.col("column")
            .replace_strict(columns, list(range(len(columns))), return_dtype=pl.Int32)
            .alias("rank"),
        )
        .select("month", "movement", "rank", "amount")
        .sort("month", "rank")
        .collect(engine="in-memory")
    )


def movements_chart(totals: pl.DataFrame, currency: str) -> alt.LayerChart:
    """MRR movements per month: new and expansion up, contraction, churn and the discount given
    to switchers down, net as a line."""
    long = _movements_long(totals)
    labels = [label for _, label, _, _ in MOVEMENTS]
    colors = [color for _, _, _, color in MOVEMENTS]
    bars = with_money_labels(alt.Chart(long).mark_bar(), ["amount"], currency).encode(
        x=month_x(long, bars=True),
        y=alt.Y("amount:Q", stack="zero", axis=money_axis("MRR movement", currency)),
        color=alt.Color(
            "movement:N",
            title="Movement",
            scale=alt.Scale(domain=[*labels, "Net new MRR"], range=[*colors, INK]),
            legend=legend(labels=[*labels, "Net new MRR"]),
        ),
        order=alt.Order("rank:Q"),
        tooltip=[
            MONTH_TIP,
            alt.Tooltip("movement:N", title="Movement"),
            alt.Tooltip("amount_label:N", title="MRR"),
        ],
    )
    net_data = totals.select(
        "month", pl.col("net_new_mrr"), pl.lit("Net new MRR").alias("movement")
    )
    net = with_money_labels(
        alt.Chart(net_data).mark_line(strokeWidth=2, point=True), ["net_new_mrr"], currency
    ).encode(
        x=month_x(long, bars=True),
        y=alt.Y("net_new_mrr:Q"),
        color=alt.Color("movement:N"),
        tooltip=[
            MONTH_TIP,
            alt.Tooltip("net_new_mrr_label:N", title="Net new MRR"),
        ],
    )
    return layered(
        bars, net, height=HEIGHT, title=chart_title("Where MRR moves each month (your mix)")
    )


def quick_ratio_chart(totals: pl.DataFrame) -> alt.LayerChart:
    """The SaaS quick ratio per month, (new + expansion) / (contraction + churn), with 1 and 4
    marked: below 1 MRR shrinks, 4 or more is the usual 'efficient growth' benchmark."""
    data = totals.select("month", "quick_ratio").drop_nulls()
    line = (
        alt.Chart(data)
        .mark_line(color=PLAN_COLORS[0], strokeWidth=2, point=True)
        .encode(
            x=month_x(totals),  # a line on a continuous axis (a band's padding has no use here)
            y=alt.Y("quick_ratio:Q", title="Quick ratio (×)", scale=alt.Scale(zero=True)),
            tooltip=[
                MONTH_TIP,
                alt.Tooltip("quick_ratio:Q", title="Quick ratio", format=".2f"),
            ],
        )
    )
    rules = reference_rules([1.0, 4.0], ["1: MRR flat", "4: strong growth"])
    return layered(
        line,
        rules,
        height=SMALL_HEIGHT,
        title=chart_title("Quick ratio: (new + expansion) ÷ (contraction + churn)"),
    )


def cumulative_cash_chart(plans: pl.DataFrame, currency: str) -> alt.Chart:
    """Cumulative cash collected per plan, with cumulative revenue recognised dashed."""
    data = (
        plans.lazy()
        .select(
            "plan",
            "month",
            pl.col("cumulative_cash").alias("Cash collected"),
            pl.col("cumulative_revenue").alias("Revenue recognised"),
        )
        .unpivot(index=["plan", "month"], variable_name="measure", value_name="amount")
        .sort("measure", "month", maintain_order=True)
        .collect(engine="in-memory")
    )
    base = alt.Chart(data).mark_line(strokeWidth=2.5)
    return (
        with_money_labels(base, ["amount"], currency)
        .encode(
            x=month_x(data),
            y=alt.Y("amount:Q", axis=money_axis("Cumulative amount", currency)),
            color=plan_color(plan_names(plans)),
            strokeDash=alt.StrokeDash(
                "measure:N",
                title="Measure",
                scale=alt.Scale(
                    domain=["Cash collected", "Revenue recognised"], range=[[1, 0], [5, 4]]
                ),
                # below the plot: two legends side by side above it ran off a phone's screen
                legend=legend(labels=["Cash collected", "Revenue recognised"], orient="bottom"),
            ),
            tooltip=[
                PLAN_TIP,
                alt.Tooltip("measure:N", title="Measure"),
                MONTH_TIP,
                alt.Tooltip("amount_label:N", title="Cumulative"),
            ],
        )
        .properties(
            height=HEIGHT, title=chart_title("Cumulative cash collected vs revenue recognised")
        )
    )


def cash_revenue_chart(plans: pl.DataFrame, plan: str, currency: str) -> alt.LayerChart:
    """One plan's monthly cash collected (bars) against revenue recognised (line)."""
    data = plans.filter(pl.col("plan") == plan).select("month", "cash", "revenue")
    bars = with_money_labels(
        alt.Chart(data).mark_bar(color=LIGHT_BLUE), ["cash", "revenue"], currency
    ).encode(
        x=month_x(data, bars=True),
        y=alt.Y("cash:Q", axis=money_axis("Amount per month", currency)),
        tooltip=[
            MONTH_TIP,
            alt.Tooltip("cash_label:N", title="Cash collected"),
            alt.Tooltip("revenue_label:N", title="Revenue recognised"),
        ],
    )
    line = (
        with_money_labels(alt.Chart(data), ["revenue"], currency)
        .mark_line(color=RED, strokeWidth=2)
        .encode(
            x=month_x(data, bars=True),
            y=alt.Y("revenue:Q"),
            tooltip=[
                MONTH_TIP,
                alt.Tooltip("revenue_label:N", title="Revenue recognised"),
            ],
        )
    )
    return layered(
        bars,
        line,
        height=HEIGHT,
        title=chart_title(
            f"{plan}: cash collected (bars) vs revenue recognised (red line), per month"
        ),
    )


def deferred_revenue_chart(plans: pl.DataFrame, currency: str) -> alt.Chart:
    """Deferred revenue (cash collected, not yet earned) at each month end, per plan."""
    data = plans.select("plan", "month", "deferred_revenue")
    base = alt.Chart(data).mark_line(strokeWidth=2.5)
    return (
        with_money_labels(base, ["deferred_revenue"], currency)
        .encode(
            x=month_x(data),
            y=alt.Y("deferred_revenue:Q", axis=money_axis("Deferred revenue", currency)),
            color=plan_color(plan_names(plans)),
            tooltip=[
                PLAN_TIP,
                MONTH_TIP,
                alt.Tooltip("deferred_revenue_label:N", title="Deferred revenue"),
            ],
        )
        .properties(height=HEIGHT, title=chart_title("Deferred revenue balance at month end"))
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
    outcomes = ["Expected to renew", "Expected lost"]
    data = (
        totals.lazy()
        .select(
            "month",
            "renewing_mrr",
            (pl.col("renewing_mrr") - pl.col("expected_lost_mrr")).alias(outcomes[0]),
            pl.col("expected_lost_mrr").alias(outcomes[1]),
        )
        .unpivot(outcomes, index=["month", "renewing_mrr"], variable_name="outcome")
        .select(
            "month",
            "outcome",
            pl.col("outcome").replace_strict(outcomes, [0, 1], return_dtype=pl.Int32).alias("rank"),
            pl.col("value").alias("amount"),
            "renewing_mrr",
        )
        .sort("month", "rank")
        .collect(engine="in-memory")
    )
    base = alt.Chart(data).mark_bar()
    return (
        with_money_labels(base, ["amount", "renewing_mrr"], currency)
        .encode(
            x=month_x(data, bars=True),
            y=alt.Y(
                "amount:Q", stack="zero", axis=money_axis("Annual MRR up for renewal", currency)
            ),
            color=alt.Color(
                "outcome:N",
                title=None,
                scale=alt.Scale(domain=outcomes, range=[LIGHT_BLUE, RED]),
                legend=legend(labels=outcomes),
            ),
            order=alt.Order("rank:Q"),
            tooltip=[
                MONTH_TIP,
                alt.Tooltip("renewing_mrr_label:N", title="Up for renewal"),
                alt.Tooltip("outcome:N", title="Part"),
                alt.Tooltip("amount_label:N", title="MRR"),
            ],
        )
        .properties(
            height=HEIGHT,
            title=chart_title("Renewal calendar: annual MRR up for renewal each month"),
        )
    )
