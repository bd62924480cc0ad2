"""mrrsim.charts.sensitivity: the tornado's bars are the engine's moves (two per input, in
impact order, text formatted by Vega from the numbers), the heatmap marks break-even and your
mix."""

from __future__ import annotations

import json

import polars as pl
import pytest

from mrrsim import charts, sensitivity
from mrrsim.formatting import currency_symbol
from mrrsim.scenario import Scenario
from mrrsim.yamlio import DEFAULT_PRESET, load_preset


@pytest.fixture(scope="module")
def preset() -> Scenario:
    return load_preset(DEFAULT_PRESET)


def test_tornado_long_has_two_bars_per_input_in_impact_order(preset: Scenario) -> None:
    frame = sensitivity.tornado(preset, 0.2, metric="npv_cash", top=5)
    long = charts.tornado_long(frame, "npv_cash", 0.2)
    assert long.height == 10
    assert (
        long.get_column("label").unique(maintain_order=True).to_list()
        == frame.get_column("label").to_list()
    )
    first = long.filter(pl.col("rank") == 0)
    assert set(first.get_column("side")) == {"Input −20%", "Input +20%"}
    row = frame.row(0, named=True)
    assert sorted(first.get_column("change").to_list()) == sorted(
        [row["npv_low"] - row["base_npv"], row["npv_high"] - row["base_npv"]]
    )


def test_grid_heatmap_marks_your_point_and_no_break_even(preset: Scenario) -> None:
    grid = sensitivity.discount_share_grid(preset)
    chart = charts.grid_heatmap(grid, "npv_cash", "USD", point=(0.15, 0.25))
    assert chart.layer[0].data.height == 21 * 21
    assert chart.layer[-1].data.get_column("s").to_list() == [0.25]
    assert all(
        "d" not in layer.data.columns or "s" in layer.data.columns for layer in chart.layer[1:]
    )
    alone = charts.grid_heatmap(grid, "ending_arr", "USD", point=None)
    assert len(alone.layer) == 1


def test_tornado_long_keeps_each_inputs_values_and_kind(preset: Scenario) -> None:
    frame = sensitivity.tornado(preset, 0.2, metric="ending_arr", top=None)
    long = charts.tornado_long(frame, "ending_arr", 0.2)
    by_input = dict(zip(frame.get_column("label"), frame.iter_rows(named=True), strict=True))
    for row in long.iter_rows(named=True):
        source = by_input[row["label"]]
        low = row["side"] == "Input −20%"
        assert row["input_from"] == source["base_value"]
        assert row["input_to"] == source["low_value" if low else "high_value"]
        assert row["value"] == source["ending_arr_low" if low else "ending_arr_high"]
        kind = source["input"].split(" ")[0]
        expected = "money" if kind == "list_price" else "count" if "customers" in kind else "pct"
        assert row["kind"] == expected


def test_tornado_text_is_built_in_vega_with_the_currency_quoted(preset: Scenario) -> None:
    frame = sensitivity.tornado(preset, 0.2, metric="npv_cash", top=3)
    spec = charts.tornado_chart(frame, "npv_cash", 0.2, "X'); alert(1); ('").to_dict()
    calculated = {
        t["as"]: t["calculate"] for t in spec["layer"][0].get("transform", []) if "calculate" in t
    }
    assert {"change_text", "input_from_text", "input_to_text"} <= set(calculated)
    quoted = json.dumps(currency_symbol("X'); alert(1); ('"))
    assert quoted in calculated["change_text"]
    assert quoted in calculated["input_from_text"]
