"""Cohorts: how each month's new customers stay, and what happens to their MRR, on monthly and
on annual billing, as retention heatmaps, a pooled retention curve and a cohort table."""

from __future__ import annotations

import polars as pl
import streamlit as st

from mrrsim import charts, ui
from mrrsim.cohorts import MONTHLY_COHORTS_UP_TO, chart_cohorts, retention_table
from mrrsim.scenario import Scenario

MEASURES = {"Customers": "customers", "MRR": "mrr"}
X_AXES = {"Months since acquisition": "age", "Calendar month": "month"}
TERMS = {"monthly": "Monthly plan", "annual": "Annual plan", "all": "Both plans"}
TABLE_AGES = (1, 3, 6, 12, 24, 36, 48, 60, 84, 119)


def _retained_at(curve: pl.DataFrame, term: str, measure: str, age: int) -> float | None:
    rows = curve.filter((pl.col("term") == term) & (pl.col("age") == age))
    return rows.item(0, f"{measure}_retention") if rows.height else None


def key_figures(scenario: Scenario, curve: pl.DataFrame) -> None:
    """Share of customers and of MRR kept after 12 months (or the longest age available)."""
    age = min(12, scenario.horizon_months - 1)
    st.markdown(f"**Kept {age} months after acquisition** (all cohorts, weighted by size)")
    cols = st.columns(4)
    for col, (term, measure, label) in zip(
        cols,
        (
            ("monthly", "customers", "Monthly plan · customers"),
            ("annual", "customers", "Annual plan · customers"),
            ("monthly", "mrr", "Monthly plan · MRR"),
            ("annual", "mrr", "Annual plan · MRR"),
        ),
        strict=True,
    ):
        col.metric(
            label,
            ui.fmt_pct(_retained_at(curve, term, measure, age)),
            help=(
                f"Of the {'customers' if measure == 'customers' else 'MRR'} new cohorts start "
                f"with, the share still there {age} months after acquisition, over every cohort "
                "old enough (weighted by size). MRR includes expansion and price changes."
            ),
            border=True,
        )


def heatmaps(scenario: Scenario, frame: pl.DataFrame, measure: str, x: str) -> None:
    """Monthly and annual cohorts side by side, on one colour scale."""
    shown = frame.filter(pl.col("cohort").is_in(chart_cohorts(scenario.horizon_months)))
    ret = f"{measure}_retention"
    top = shown.filter(pl.col("term") != "all").get_column(ret).max()
    domain_max = max(1.0, float(top)) if top is not None else 1.0
    what = "customers still active" if measure == "customers" else "starting MRR kept"
    cols = st.columns(2)
    for col, term in zip(cols, ("monthly", "annual"), strict=True):
        cells = shown.filter(pl.col("term") == term)
        with col:
            if cells.get_column(ret).drop_nulls().is_empty():
                st.info(
                    f"No new customers choose the {TERMS[term].lower()} in this scenario, so "
                    "there are no cohorts to show.",
                    icon=":material/info:",
                )
                continue
            ui.show_chart(
                charts.cohort_heatmap(
                    cells,
                    measure,
                    x,
                    scenario.currency,
                    domain_max=domain_max,
                    title=f"{TERMS[term]}: % of {what}",
                )
            )
    sampled = scenario.horizon_months > MONTHLY_COHORTS_UP_TO
    st.caption(
        "Each row is the cohort of new customers acquired in one month (all segments together; "
        "the existing base is left out), each column "
        + ("a month of its life" if x == "age" else "a calendar month")
        + ". Annual customers can only leave at a renewal, so annual rows stay at 100% for 12 "
        "months and then step down. "
        + (
            "Monthly customers who switch to annual stay in their cohort and move to its annual "
            "row: the monthly row falls by the switchers too, and the annual row can rise above "
            "100% of what it started with. "
            if any(seg.conversion_rate > 0 for seg in scenario.segments)
            else ""
        )
        + (
            "To keep the chart light, every third cohort is shown (months 1, 4, 7, …); the "
            "figures and the table below cover every cohort."
            if sampled
            else f"Every cohort is shown (horizons over {MONTHLY_COHORTS_UP_TO} months show "
            "every third)."
        )
    )


def cohort_table(scenario: Scenario, frame: pl.DataFrame, measure: str) -> None:
    """Retention of every cohort at a few ages, as a table."""
    ages = [a for a in TABLE_AGES if a < scenario.horizon_months]
    table = retention_table(frame, measure, ages)
    what = "customers" if measure == "customers" else "MRR"
    term = st.segmented_control(
        "Billing", list(TERMS), format_func=TERMS.get, default="all", key="cohorts.table_term"
    )
    columns = [f"month {a}" for a in ages]
    shown = (
        table.filter(pl.col("term") == (term or "all"))
        .drop("term")
        .with_columns(pl.col(columns) * 100.0)
    )
    st.dataframe(
        shown,
        hide_index=True,
        height=360,
        column_config={
            "cohort": st.column_config.NumberColumn("Acquired in month", format="%d"),
            **{
                f"month {a}": st.column_config.NumberColumn(
                    f"After {a} mo", format="%.1f%%", help=f"% of starting {what} after {a} months"
                )
                for a in ages
            },
        },
    )
    st.caption(
        f"% of each cohort's starting {what} still there after the given number of months; "
        "empty where the cohort has not reached that age within the horizon."
    )


def main() -> None:
    scenario = ui.current_scenario()
    ui.page_header(
        "Cohorts",
        scenario,
        "How the customers won each month stay, and what happens to their MRR, on monthly and "
        "on annual billing.",
    )
    frame, curve = ui.cohorts_cached(scenario)
    if frame.get_column("customers_retention").drop_nulls().is_empty():
        st.info(
            "This scenario acquires no new customers, so it has no cohorts to show. Set "
            "'New customers in month 1' of a segment in the sidebar.",
            icon=":material/info:",
        )
        return
    key_figures(scenario, curve)
    cols = st.columns(2)
    measure_label = cols[0].segmented_control(
        "Retention of", list(MEASURES), default="Customers", key="cohorts.measure"
    )
    x_label = cols[1].segmented_control(
        "Across", list(X_AXES), default="Months since acquisition", key="cohorts.x"
    )
    measure = MEASURES[measure_label or "Customers"]
    x = X_AXES[x_label or "Months since acquisition"]
    heatmaps(scenario, frame, measure, x)
    ui.show_chart(charts.retention_curve_chart(curve, measure))
    st.caption(
        "All cohorts pooled: at each age, what the cohorts old enough to reach it still hold, "
        "over what they started with. MRR retention above 100% means expansion outgrows churn."
    )
    st.subheader("Cohort table")
    cohort_table(scenario, frame, measure)


if __name__ == "__main__":
    main()
