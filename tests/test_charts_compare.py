"""mrrsim.charts.compare: one line per scenario over its own months, in comparison order."""

from __future__ import annotations

import polars as pl
from chart_util import data_of

from mrrsim import charts
from mrrsim.compare import Tweak, apply_tweak, comparison_totals
from mrrsim.yamlio import DEFAULT_PRESET, load_preset

PRESET = load_preset(DEFAULT_PRESET)


def test_each_scenario_keeps_its_own_months_and_order() -> None:
    short = apply_tweak(PRESET, Tweak(horizon_months=12))
    totals = comparison_totals([PRESET, short], ["Base", "Short"])
    chart = charts.scenario_lines_chart(totals, "mrr", "MRR by month", "MRR", "USD")
    data = data_of(chart)
    assert data.columns == ["scenario", "order", "month", "value"]
    counts = data.group_by("scenario").agg(pl.len()).sort("scenario")
    assert counts.to_dicts() == [{"scenario": "Base", "len": 36}, {"scenario": "Short", "len": 12}]
    assert data.get_column("value").to_list() == totals.get_column("mrr").to_list()
    color = chart.to_dict()["encoding"]["color"]
    assert color["scale"]["domain"] == ["Base", "Short"]  # the first is the reference colour
