"""Sensitivity: which input moves ending ARR or the NPV of cash most (tornado), and how the
annual discount and the share of customers choosing annual trade off (heatmaps with the
break-even discount and your own position marked)."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from mrrsim import charts, sensitivity, ui
from mrrsim.scenario import Scenario

MOVES = (5, 10, 15, 20, 25, 30, 40, 50)  # percent
METRIC_LABELS = {"Ending ARR": "ending_arr", "NPV of cash": "npv_cash"}
TOP_CHOICES = {"8": 8, "12": 12, "20": 20, "All": None}


@st.cache_data(max_entries=32, show_spinner=False)
def tornado_cached(text: str, delta: float, metric: str, top: int | None) -> pl.DataFrame:
    """``sensitivity.tornado`` for one move and metric, cached."""
    scenario = Scenario.model_validate_json(text)
    return sensitivity.tornado(scenario, delta, metric=metric, top=top)  # type: ignore[arg-type]


@st.cache_data(max_entries=16, show_spinner=False)
def grid_cached(text: str) -> pl.DataFrame:
    """``sensitivity.discount_share_grid`` over 0–40% discount x 0–100% annual share, cached."""
    return sensitivity.discount_share_grid(Scenario.model_validate_json(text))


@st.cache_data(max_entries=32, show_spinner=False)
def tornado_spec(text: str, delta: float, metric: str, top: int | None) -> dict[str, Any]:
    """The tornado chart's Vega-Lite spec, cached (building Altair charts costs more than
    the tornado itself)."""
    frame = tornado_cached(text, delta, metric, top)
    currency = Scenario.model_validate_json(text).currency
    return ui.chart_spec(charts.tornado_chart(frame, metric, delta, currency))


@st.cache_data(max_entries=16, show_spinner=False)
def heatmap_specs(text: str) -> list[dict[str, Any]]:
    """The two heatmaps' Vega-Lite specs (NPV of cash, ending ARR), cached."""
    scenario = Scenario.model_validate_json(text)
    grid = grid_cached(text)
    point = current_point(scenario)
    return [
        ui.chart_spec(charts.grid_heatmap(grid, value, scenario.currency, point=point))
        for value in ("npv_cash", "ending_arr")
    ]


def current_point(scenario: Scenario) -> tuple[float, float]:
    """Where your mix sits on the grid: the annual discount and annual share averaged over
    segments, weighted by their new customers in month 1 (equally when there are none)."""
    weights = [seg.new_customers for seg in scenario.segments]
    if sum(weights) <= 0:
        weights = [1.0] * len(scenario.segments)
    total = sum(weights)
    discount = sum(
        w * scenario.discount_for(seg) for w, seg in zip(weights, scenario.segments, strict=True)
    )
    share = sum(w * seg.annual_share for w, seg in zip(weights, scenario.segments, strict=True))
    return discount / total, share / total


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
    return (
        f"The biggest lever on {name} is **{ui.escape_md(row['label'])}**: {pct} less gives "
        f"{ui.fmt_money(low, currency)} ({ui.fmt_delta_money(low - base, currency)}), {pct} more "
        f"gives {ui.fmt_money(high, currency)} ({ui.fmt_delta_money(high - base, currency)}), "
        f"against {ui.fmt_money(base, currency)} with your inputs."
    )


def tornado_section(scenario: Scenario) -> None:
    st.subheader("Which input matters most?")
    cols = st.columns([1.4, 1, 1])
    move = cols[0].select_slider(
        "Move each input by",
        options=list(MOVES),
        value=20,
        key="sens.move",
        format_func=lambda v: f"±{v}%",
        help="Each input is moved down and up by this share of its value, one at a time, "
        "everything else unchanged. Inputs at zero have no bar.",
    )
    metric_label = cols[1].radio(
        "Effect on", list(METRIC_LABELS), key="sens.metric", horizontal=True
    )
    top_label = cols[2].radio(
        "Bars shown", list(TOP_CHOICES), index=1, key="sens.top", horizontal=True
    )
    metric = METRIC_LABELS[metric_label]
    delta = move / 100.0
    frame = tornado_cached(scenario.model_dump_json(), delta, metric, TOP_CHOICES[top_label])
    st.markdown(top_sentence(frame, metric, delta, scenario.currency))
    if not frame.is_empty():
        ui.show_spec(
            tornado_spec(scenario.model_dump_json(), delta, metric, TOP_CHOICES[top_label])
        )
    st.caption(
        "Bars run from the figure with your inputs (black line) to the figure with one input "
        "moved; sorted by the larger of the two swings. Moved values stay within each input's "
        "valid range, so a bar can be one-sided (an annual share of 100% cannot rise). For "
        "several segments each input appears per segment and for all segments at once. "
        "Cost of capital only moves the NPV of cash."
    )


def grid_section(scenario: Scenario) -> None:
    st.subheader("Annual discount × share choosing annual")
    point = current_point(scenario)
    for col, spec in zip(st.columns(2), heatmap_specs(scenario.model_dump_json()), strict=True):
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
    tornado_section(scenario)
    st.divider()
    grid_section(scenario)


main()
