"""Sensitivity: which input moves ending ARR or the NPV of cash most (tornado), and how the
annual discount and the share of customers choosing annual trade off (heatmaps with the
break-even discount and your own position marked)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from mrrsim import sensitivity, ui
from mrrsim.scenario import Scenario
from mrrsim.sensitivity import Metric

MOVES = (5, 10, 15, 20, 25, 30, 40, 50)  # percent
METRIC_LABELS: dict[str, Metric] = {"Ending ARR": "ending_arr", "NPV of cash": "npv_cash"}
TOP_CHOICES = {"8": 8, "12": 12, "20": 20, "All": None}
TABS = ("Which input matters most", "Discount × annual share")  # both fit a phone


def top_sentence(frame: pl.DataFrame, metric: str, delta: float, currency: str) -> str:
    """The biggest lever in one plain sentence."""
    if frame.is_empty():
        return "No input moves this figure (every input is zero)."
    row = frame.row(0, named=True)
    low, high, base = (
        (row["ending_arr_low"], row["ending_arr_high"], row["base_ending_arr"])
        if metric == "ending_arr"
        else (row["npv_low"], row["npv_high"], row["base_npv"])
    )
    name = "ending ARR" if metric == "ending_arr" else "the NPV of cash"
    pct = f"{delta * 100:.0f}%"
    amounts = ui.md_amounts(  # Markdown: the currency's own text escaped
        f"{ui.fmt_money(low, currency)} ({ui.fmt_delta_money(low - base, currency)}), {pct} more "
        f"gives {ui.fmt_money(high, currency)} ({ui.fmt_delta_money(high - base, currency)}), "
        f"against {ui.fmt_money(base, currency)}",
        currency,
    )
    return (
        f"The biggest lever on {name} is **{ui.escape_md(row['label'])}**: {pct} less gives "
        f"{amounts} with your inputs."
    )


def tornado_section(scenario: Scenario) -> None:
    st.subheader("Which input matters most?")
    cols = st.columns([1.4, 1, 1])
    move = cols[0].select_slider(
        "Move each input by",
        options=list(MOVES),
        key="sens.move",
        format_func=lambda v: f"±{v}%",
        help="Each input is moved down and up by this share of its value, one at a time, "
        "everything else unchanged. Inputs at zero have no bar.",
    )
    metric_label = cols[1].radio(
        "Effect on", list(METRIC_LABELS), key="sens.metric", horizontal=True
    )
    top_label = cols[2].radio("Bars shown", list(TOP_CHOICES), key="sens.top", horizontal=True)
    metric = METRIC_LABELS[metric_label]
    delta = move / 100.0
    top = TOP_CHOICES[top_label]
    frame = ui.tornado_cached(scenario, delta, metric, top)
    st.markdown(top_sentence(frame, metric, delta, scenario.currency))
    if not frame.is_empty():
        ui.show_spec(ui.tornado_spec(scenario, delta, metric, top))
    st.caption(
        "Bars run from the figure with your inputs (black line) to the figure with one input "
        "moved; sorted by the larger of the two swings. Moved values stay within each input's "
        "valid range, so a bar can be one-sided (an annual share of 100% cannot rise). For "
        "several segments each input appears per segment and for all segments at once. "
        "Cost of capital only moves the NPV of cash."
    )


def grid_section(scenario: Scenario) -> None:
    st.subheader("Annual discount × share choosing annual")
    point = sensitivity.mix_point(scenario)
    for col, spec in zip(st.columns(2), ui.heatmap_specs(scenario), strict=True):
        with col:
            ui.show_spec(spec)
    st.markdown(
        "These maps count the horizon only, existing customers included. The break-even and "
        "best discount for a new customer, over the customer's whole lifetime, are on the "
        "Planner."
    )
    st.caption(
        "Each cell sets the share choosing annual at today's discount and offers one discount to "
        "every segment's new customers; take-up follows each segment's response to the "
        "discount, and customers it moves between plans keep part of their churn (billing "
        "effect). Existing customers and signed contracts are unchanged. The diamond is your "
        "mix: discount "
        f"{ui.fmt_pct(point[0])} and annual share {ui.fmt_pct(point[1], 0)}, averaged over "
        "segments weighted by new customers per month. Ending ARR is the last month's MRR × 12; "
        f"NPV of cash discounts cash at {ui.fmt_pct(scenario.cost_of_capital)} a year."
    )


def main() -> None:
    scenario = ui.current_scenario()
    ui.page_header(
        "Sensitivity",
        scenario,
        "What moves the result most, and where billing annual starts to cost more than it brings.",
    )
    ui.keep_widget_values(  # the tornado's choices, kept while its tab is closed
        {"sens.move": 20, "sens.metric": next(iter(METRIC_LABELS)), "sens.top": "12"}
    )
    # Each analysis is computed only while its tab is open: an input change recomputes one.
    tornado, grid = st.tabs(list(TABS), key="sens.tab", on_change="rerun")
    if tornado.open:
        with tornado:
            tornado_section(scenario)
    if grid.open:
        with grid:
            grid_section(scenario)


if __name__ == "__main__":
    main()
