"""Planner: the answer per segment first (monthly or annual, at what discount, and why), then
the headline figures of your mix against all-monthly and all-annual, and the month-by-month
charts a CFO or head of customer success plans with."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import polars as pl
import streamlit as st

from mrrsim import charts, ui
from mrrsim.charts import vega_spec
from mrrsim.decision import TABLE_PARTS, decision_display
from mrrsim.downloads import csv_text, file_stem, finance_workbook, summary_json
from mrrsim.formatting import currency_symbol
from mrrsim.glossary import for_screen
from mrrsim.headlines import plan_cards, plan_table
from mrrsim.metrics import PLANS, Summary
from mrrsim.report import chart_png, decision_pdf
from mrrsim.scenario import Scenario
from mrrsim.ui.data import show_history_overlay
from mrrsim.yamlio import dump_scenario

MIX, MONTHLY, ANNUAL = PLANS
Plans = dict[str, Summary]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YAML, JSON, PDF = "application/x-yaml", "application/json", "application/pdf"


def decision_section(scenario: Scenario) -> None:
    """Per segment: discount now, break-even, best discount, the value of a new customer and
    one plain answer; the value-per-discount chart; the assumptions behind it, editable."""
    st.subheader("Monthly or annual, and at what discount?")
    table, specs, notes = ui.decision_cached(scenario)
    answer, assumptions = st.columns([3, 1], gap="large")
    with answer:
        decision_tables(table, scenario.currency)
        for sentence in table.get_column("explanation"):
            st.markdown(f"- {ui.escape_md(sentence)}")
        for note in notes:
            st.info(ui.escape_md(note), icon=":material/help:")
    with assumptions:
        st.markdown("**Assumptions behind the answer**")
        ui.decision_inputs()
        st.caption(
            "Take-up with no discount is set per segment in the sidebar (it is what makes a best "
            "discount exist)."
        )
    for start in range(0, len(specs), 3):
        for col, spec in zip(st.columns(3), specs[start : start + 3], strict=False):
            with col:
                ui.show_spec(spec)
    st.caption(
        "Value per new customer: the cash a new customer brings over "
        f"{scenario.lifetime_months} months, discounted to its first month at "
        f"{ui.fmt_pct(scenario.cost_of_capital)} a year, at each discount for new annual "
        "contracts. Break-even: the discount at which billing every new customer annually "
        "is worth as much as billing every one monthly. The horizon does not change these."
    )


def decision_tables(table: pl.DataFrame, currency: str) -> None:
    """The decision table in its two narrow parts (``TABLE_PARTS``), static tables that wrap
    their text: side by side where they fit, one under the other on a phone. Their cells are
    Markdown: segment names and the currency's own text are escaped."""
    shown = decision_display(table, currency)
    symbol = currency_symbol(currency)
    shown = shown.with_columns(
        pl.Series("Segment", [ui.escape_md(name) for name in shown["Segment"]]),
        pl.exclude("Segment").str.replace_all(
            symbol, ui.md_amounts(symbol, currency), literal=True
        ),
    )
    with st.container(horizontal=True, gap="medium"):
        for columns in TABLE_PARTS:
            st.table(shown.select(columns), hide_index=True, width="content")


def headline_metrics(scenario: Scenario, plans: Plans) -> None:
    """Eight headline figures of your mix, each with its difference from all-monthly."""
    cards = plan_cards(scenario, plans)
    for row in (cards[:4], cards[4:]):
        for col, card in zip(st.columns(4), row, strict=True):
            col.metric(  # value and delta are Markdown: the currency's own text is escaped
                card.label,
                ui.md_amounts(card.value, scenario.currency),
                delta=None if card.delta is None else ui.md_amounts(card.delta, scenario.currency),
                delta_description=None if card.delta is None else "vs all-monthly",
                delta_color={1: "green", -1: "red"}.get(card.sign, "gray"),
                delta_arrow={1: "up", -1: "down"}.get(card.sign, "off"),
                help=card.help,
                border=True,
            )


def plans_tables(scenario: Scenario, plans: Plans) -> None:
    """The three plans' figures in full, then your mix minus each pure billing choice: two
    narrow tables side by side where they fit, one under the other on a phone (one table of
    six columns was cut off at 390 px with no sign that it scrolls)."""
    symbol = currency_symbol(scenario.currency)
    table = plan_table(scenario, plans).with_columns(  # st.table reads cells as Markdown:
        pl.exclude("Figure").str.replace_all(  # the currency's own text is escaped
            symbol, ui.md_amounts(symbol, scenario.currency), literal=True
        )
    )
    parts = (
        ("The three plans", ["Figure", *PLANS]),
        ("Your mix minus each pure choice", ["Figure", "Mix vs monthly", "Mix vs annual"]),
    )
    with st.container(horizontal=True, gap="medium"):
        for heading, columns in parts:
            with st.container(width="content"):
                st.markdown(f"**{heading}**")
                st.table(table.select(columns), hide_index=True, width="content")


def downloads(scenario: Scenario, plans: Plans) -> None:
    """Projection (CSV, Excel), scenario YAML and summary JSON, built when clicked."""
    stem = file_stem(scenario)
    frame = ui.project_cached(scenario)

    link = ui.share_url(scenario)  # now: the address is only known during the page's run

    def workbook() -> bytes:
        tables = {
            "Projection": frame,
            "Plans by month": ui.plan_comparison_cached(scenario),
            "Renewal calendar": ui.renewal_calendar_cached(scenario),
        }
        decision = ui.decision_cached(scenario)[0]
        return finance_workbook(scenario, plans, decision, link, tables)

    summary = partial(summary_json, scenario, plans)
    files = (
        ("Projection (CSV)", partial(csv_text, frame), "-projection.csv", "text/csv", "table"),
        ("Workbook (Excel)", workbook, ".xlsx", XLSX, "grid_on"),
        ("Scenario (YAML)", partial(dump_scenario, scenario), ".yaml", YAML, "description"),
        ("Summary (JSON)", summary, "-summary.json", JSON, "data_object"),
    )  # fmt: skip
    for col, (label, data, suffix, mime, icon) in zip(st.columns(4), files, strict=True):
        col.download_button(
            label,
            data=data,
            file_name=stem + suffix,
            mime=mime,
            icon=f":material/{icon}:",
            on_click="ignore",
            width="stretch",
        )


def board_summary_button(scenario: Scenario, plans: Plans) -> None:
    """A one-page PDF of the decision for a board pack, built when clicked."""

    link = ui.share_url(scenario)  # now: the address is only known during the page's run

    def board_summary() -> bytes:
        decision = ui.decision_cached(scenario)[0]
        frame = ui.plan_comparison_cached(scenario)
        chart = chart_png(vega_spec(charts.plan_gap_chart(frame, scenario.currency)))
        return decision_pdf(scenario, plans, decision, link, chart)

    st.download_button(
        "Decision summary for a board pack (PDF, one page)",
        data=board_summary,
        file_name=file_stem(scenario) + "-decision.pdf",
        mime=PDF,
        icon=":material/picture_as_pdf:",
        on_click="ignore",
    )


def growth_tab(scenario: Scenario, plan_frame: pl.DataFrame, plans: Plans) -> None:
    frame = ui.project_cached(scenario)
    show_history_overlay(scenario)
    gap = "MRR gained or lost vs all-monthly"
    view = st.radio(
        "Show",
        [gap, "MRR", "ARR"],
        horizontal=True,
        key="planner.measure",
        label_visibility="collapsed",
    )
    if view == gap:
        ui.show_chart(charts.plan_gap_chart(plan_frame, scenario.currency))
        st.caption(
            "Your mix and all-annual, each month, minus all-monthly (the dashed line at zero): "
            "all three keep the same existing base and differ only in how new customers are "
            "billed. All-annual's line bends every 12 months, when its renewals (and "
            "non-renewals) fall due."
        )
    else:
        ui.show_chart(charts.plan_chart(plan_frame, scenario.currency, view.lower()))
        st.caption(
            f"{view} of the three plans from zero: the existing base, the same in all three, "
            "is most of it, so the lines lie close together; the first view shows the gap."
        )
    ui.show_chart(charts.mrr_by_segment_term_chart(frame, scenario.currency))


def movements_tab(scenario: Scenario, plan_frame: pl.DataFrame, plans: Plans) -> None:
    totals = plan_frame.filter(pl.col("plan") == MIX)
    ui.show_chart(charts.movements_chart(totals, scenario.currency))
    ui.show_chart(charts.quick_ratio_chart(totals))
    st.caption(
        "Quick ratio = (new + expansion MRR) ÷ (contraction + churned MRR), as ChartMogul and "
        "Baremetrics define it. Above 1 MRR grows; 4 or more is usually called efficient growth. "
        "Annual non-renewals count in the month the renewal falls due."
    )


def cash_tab(scenario: Scenario, plan_frame: pl.DataFrame, plans: Plans) -> None:
    ui.show_chart(charts.cumulative_cash_chart(plan_frame, scenario.currency))
    plan = st.radio("Billing", list(PLANS), horizontal=True, key="planner.cash_plan")
    ui.show_chart(charts.cash_revenue_chart(plan_frame, plan, scenario.currency))
    st.caption(
        "Revenue is recognised evenly over the service months; annual plans collect 12 months "
        "of cash at signing and at each renewal."
    )


def deferred_tab(scenario: Scenario, plan_frame: pl.DataFrame, plans: Plans) -> None:
    ui.show_chart(charts.deferred_revenue_chart(plan_frame, scenario.currency))
    st.caption(
        "Deferred revenue is cash collected for service not yet delivered: a liability on the "
        "balance sheet, and cash in the bank you can already use. The all-monthly line is not "
        "zero: it is the prepaid balance of the existing annual customers, who stay annual in "
        "every plan, running down to each renewal; new monthly customers add none."
    )


def customers_tab(scenario: Scenario, plan_frame: pl.DataFrame, plans: Plans) -> None:
    ui.show_chart(charts.customers_by_term_chart(ui.project_cached(scenario)))
    st.caption(
        "Expected active customers (averages, so fractions are possible) on each billing term."
    )


def renewals_tab(scenario: Scenario, plan_frame: pl.DataFrame, plans: Plans) -> None:
    calendar = ui.renewal_calendar_cached(scenario)
    ui.show_chart(charts.renewal_chart(calendar, scenario.currency))
    st.caption(
        "Each annual customer renews once a year; this is the MRR customer success has to win "
        "again each month, and the part expected to be lost at the segment's non-renewal rate."
    )
    shown = calendar.filter(pl.col("renewing_mrr") > 0)
    st.dataframe(
        for_screen(shown),
        hide_index=True,
        height=320,
        column_config=ui.glossary_columns(shown.columns, scenario.currency),
    )


def data_tab(scenario: Scenario, plan_frame: pl.DataFrame, plans: Plans) -> None:
    downloads(scenario, plans)
    st.caption(
        "The projection has one row per month, segment and billing term (customers rounded "
        "here; the downloads keep full precision, the same table as `python -m mrrsim "
        "project`). In the CSV, a name that a spreadsheet would run as a formula (starting "
        "with =, +, - or @) gets a leading apostrophe."
    )
    frame = ui.project_cached(scenario)
    st.dataframe(
        for_screen(frame),
        hide_index=True,
        height=420,
        column_config=ui.glossary_columns(frame.columns, scenario.currency),
    )


TABS: dict[str, Callable[[Scenario, pl.DataFrame, Plans], None]] = {
    "MRR & ARR": growth_tab,
    "MRR movements": movements_tab,
    "Cash & revenue": cash_tab,
    "Deferred revenue": deferred_tab,
    "Customers": customers_tab,
    "Renewal calendar": renewals_tab,
    "Data & downloads": data_tab,
}


def main() -> None:
    scenario = ui.current_scenario()
    ui.page_header("Planner", scenario)
    if scenario.description:
        with st.expander("About this scenario"):
            st.text(scenario.description)

    decision_section(scenario)
    plans = ui.plan_summaries(scenario)
    st.subheader(
        f"The next {scenario.horizon_months} months: your mix against billing everyone one way"
    )
    headline_metrics(scenario, plans)

    plans_tables(scenario, plans)
    board_summary_button(scenario, plans)

    # Only the open tab is computed and drawn (lazy tabs): a rerun after an input change
    # builds one or two charts, not all of them.
    plan_frame = ui.plan_comparison_cached(scenario)
    tabs = st.tabs(list(TABS), key="planner.tab", on_change="rerun")
    for tab, draw in zip(tabs, TABS.values(), strict=True):
        if tab.open:
            with tab:
                draw(scenario, plan_frame, plans)


if __name__ == "__main__":
    main()
