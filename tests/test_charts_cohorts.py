"""mrrsim.charts.cohorts: heatmap cells are the engine's retention, the curve is pooled per plan
with 100% marked."""

from __future__ import annotations

import polars as pl
from chart_util import data_of

from mrrsim import charts
from mrrsim.cohorts import cohort_retention, retention_curve
from mrrsim.yamlio import DEFAULT_PRESET, load_preset

PRESET = load_preset(DEFAULT_PRESET)
FRAME = cohort_retention(PRESET)


def test_heatmap_cells_are_the_engines_retention() -> None:
    cells = FRAME.filter(pl.col("term") == "annual")
    data = data_of(charts.cohort_heatmap(cells, "customers", "age", "USD"))
    expected = cells.filter(pl.col("customers_retention").is_not_null())
    assert data.height == expected.height
    assert (
        data.get_column("retained").to_list()
        == expected.get_column("customers_retention").to_list()
    )
    first_year = data.filter(pl.col("age") < 12).get_column("retained")
    assert first_year.min() == 1.0  # annual customers can only leave at a renewal


def test_retention_curve_names_the_plans_and_marks_full_retention() -> None:
    chart = charts.retention_curve_chart(retention_curve(FRAME), "mrr")
    rule, lines = data_of(chart, 0), data_of(chart, 1)
    assert rule.get_column("y").to_list() == [1.0]
    assert set(lines.get_column("plan")) <= set(charts.COHORT_TERM_LABELS.values())
