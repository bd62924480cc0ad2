"""Planner: the headline figures of the scenario, your mix against all-monthly and all-annual,
and the month-by-month charts a CFO or head of customer success plans with."""

from __future__ import annotations

import json
from collections.abc import Callable

import polars as pl
import streamlit as st

from mrrsim import charts, ui
from mrrsim.formatting import currency_symbol
from mrrsim.headlines import plan_cards, plan_table
from mrrsim.metrics import PLANS, Summary
from mrrsim.scenario import Scenario
from mrrsim.yamlio import dump_scenario

MIX, MONTHLY, ANNUAL = PLANS
Plans = dict[str, Summary]


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
                help=card.help,
                border=True,
            )


def _summary_json(scenario: Scenario, plans: Plans) -> str:
    return json.dumps(
        {
            "scenario": scenario.to_dict(),
            "summary": plans[MIX].to_dict(),
            "plans": {plan: summ.to_dict() for plan, summ in plans.items()},
        },
        indent=2,
        ensure_ascii=False,
    )


def _file_stem(scenario: Scenario) -> str:
    stem = "".join(c if c.isalnum() else "-" for c in scenario.name.lower()).strip("-")
    return "-".join(part for part in stem.split("-") if part)[:60] or "scenario"


def downloads(scenario: Scenario, plans: Plans) -> None:
    """Projection (CSV, Excel), scenario YAML and summary JSON, built when clicked."""
    stem = _file_stem(scenario)
    frame = ui.project_cached(scenario)
    cols = st.columns(4)
    cols[0].download_button(
        "Projection (CSV)",
        data=lambda: ui.csv_text(frame),
        file_name=f"{stem}-projection.csv",
        mime="text/csv",
        icon=":material/table:",
        on_click="ignore",
        width="stretch",
    )
    cols[1].download_button(
        "Projection and plans (Excel)",
        data=lambda: ui.excel_bytes(
            {
                "Projection": frame,
                "Plans by month": ui.plan_comparison_cached(scenario),
                "Renewals": ui.renewal_calendar_cached(scenario),
                "Summary": pl.DataFrame(
                    [{"plan": plan, **summ.to_dict()} for plan, summ in plans.items()]
                ),
            }
        ),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/grid_on:",
        on_click="ignore",
        width="stretch",
    )
    cols[2].download_button(
        "Scenario (YAML)",
        data=lambda: dump_scenario(scenario),
        file_name=f"{stem}.yaml",
        mime="application/x-yaml",
        icon=":material/description:",
        on_click="ignore",
        width="stretch",
    )
    cols[3].download_button(
        "Summary (JSON)",
        data=lambda: _summary_json(scenario, plans),
        file_name=f"{stem}-summary.json",
        mime="application/json",
        icon=":material/data_object:",
        on_click="ignore",
        width="stretch",
    )


def growth_tab(scenario: Scenario, plan_frame: pl.DataFrame, plans: Plans) -> None:
    frame = ui.project_cached(scenario)
    view = st.radio(
        "Show",
        ["MRR", "ARR", "MRR gained or lost vs all-monthly"],
        horizontal=True,
        key="planner.measure",
        label_visibility="collapsed",
    )
    if view.startswith("MRR gained"):
        ui.show_chart(charts.plan_gap_chart(plan_frame, scenario.currency))
    else:
        ui.show_chart(charts.plan_chart(plan_frame, scenario.currency, view.lower()))
    st.caption(
        "All-monthly and all-annual bill every new customer one way; the existing base is the "
        "same in all three. Annual churn only shows at renewal, so annual lines fall in steps."
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
        "balance sheet, and cash in the bank you can already use. Monthly plans carry none."
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
    currency = scenario.currency
    st.dataframe(
        calendar.filter(pl.col("renewing_mrr") > 0),
        hide_index=True,
        height=320,
        column_config={
            "month": st.column_config.NumberColumn("Month", format="%d"),
            "segment": st.column_config.TextColumn("Segment"),
            "renewing_customers": st.column_config.NumberColumn(
                "Customers up for renewal", format="%.1f"
            ),
            "renewing_mrr": ui.money_column("MRR up for renewal", currency),
            "expected_lost_customers": st.column_config.NumberColumn(
                "Customers expected lost", format="%.1f"
            ),
            "expected_lost_mrr": ui.money_column("MRR expected lost", currency),
        },
    )


def data_tab(scenario: Scenario, plan_frame: pl.DataFrame, plans: Plans) -> None:
    downloads(scenario, plans)
    st.caption(
        "The projection has one row per month, segment and billing term, at full precision "
        "(the same table as `python -m mrrsim project`). In the CSV, a name that a spreadsheet "
        "would run as a formula (starting with =, +, - or @) gets a leading apostrophe."
    )
    currency = scenario.currency
    money = ("mrr", "arr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr")
    money += ("cash", "revenue", "deferred_revenue")
    counts = ("customers", "new_customers", "churned_customers")
    st.dataframe(
        ui.project_cached(scenario),
        hide_index=True,
        height=420,
        column_config={c: ui.money_column(c, currency) for c in money}
        | {c: st.column_config.NumberColumn(c, format="%.1f") for c in counts},
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

    plans = ui.plan_summaries(scenario)
    headline_metrics(scenario, plans)
    st.info(ui.break_even_sentence(scenario, plans[MIX]), icon=":material/balance:")

    st.subheader("Your mix vs billing everyone monthly or everyone annually")
    symbol = currency_symbol(scenario.currency)
    st.table(  # st.table reads its cells as Markdown: the currency's own text escaped
        plan_table(scenario, plans).with_columns(
            pl.exclude("Figure").str.replace_all(
                symbol, ui.md_amounts(symbol, scenario.currency), literal=True
            )
        ),
        hide_index=True,
    )

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
