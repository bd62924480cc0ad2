"""Every chart of every family, every layer: a validated Vega-Lite spec with a title, each layer
positioned on an axis, each layer that draws data with a tooltip, and each money axis in the
scenario's currency (quoted in its label expression)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import altair as alt
import pytest

from mrrsim import charts, detect, montecarlo, sensitivity
from mrrsim.cohorts import cohort_retention, retention_curve
from mrrsim.compare import comparison_totals
from mrrsim.decision import value_chart_frames
from mrrsim.metrics import monthly_totals, plan_comparison, renewal_calendar, summarize
from mrrsim.projection import project
from mrrsim.yamlio import DEFAULT_PRESET, load_preset

CUR = "EUR"
PRESET = load_preset(DEFAULT_PRESET)
PLANS = plan_comparison(PRESET)
FRAME = project(PRESET)
TOTALS = monthly_totals(FRAME)
COHORTS = cohort_retention(PRESET)
FAN = montecarlo.simulate_plans(PRESET, 100, 0)
DETECTION = detect.by_month_frame(detect.detect(PRESET, 1.5, 13, 100, 0), 13)
TORNADO = sensitivity.tornado(PRESET, 0.2, metric="npv_cash", top=6)
GRID = sensitivity.discount_share_grid(PRESET)
CURVE, MARKS = value_chart_frames(PRESET, summarize(PRESET))

ALL: dict[str, Callable[[], alt.TopLevelMixin]] = {
    "plan": lambda: charts.plan_chart(PLANS, CUR),
    "gap": lambda: charts.plan_gap_chart(PLANS, CUR, "arr"),
    "segment_term": lambda: charts.mrr_by_segment_term_chart(FRAME, CUR),
    "movements": lambda: charts.movements_chart(TOTALS, CUR),
    "quick_ratio": lambda: charts.quick_ratio_chart(TOTALS),
    "cumulative_cash": lambda: charts.cumulative_cash_chart(PLANS, CUR),
    "cash_revenue": lambda: charts.cash_revenue_chart(PLANS, "Your mix", CUR),
    "deferred": lambda: charts.deferred_revenue_chart(PLANS, CUR),
    "customers": lambda: charts.customers_by_term_chart(FRAME),
    "renewals": lambda: charts.renewal_chart(renewal_calendar(PRESET), CUR),
    "fan": lambda: charts.fan_chart(FAN, "Your mix", "mrr", CUR, projection=PLANS, y_max=1e6),
    "detection": lambda: charts.detection_chart(DETECTION),
    "tornado": lambda: charts.tornado_chart(TORNADO, "npv_cash", 0.2, CUR),
    "heatmap": lambda: charts.grid_heatmap(GRID, "npv_cash", CUR, point=(0.1, 0.3)),
    "scenarios": lambda: charts.scenario_lines_chart(
        comparison_totals([PRESET, PRESET], ["A", "B"]), "mrr", "MRR", "MRR", CUR
    ),
    "cohort_heatmap": lambda: charts.cohort_heatmap(COHORTS, "mrr", "age", CUR, title="x"),
    "retention_curve": lambda: charts.retention_curve_chart(retention_curve(COHORTS), "mrr"),
    "value_curve": lambda: charts.value_curve_chart(CURVE, MARKS, CUR, "Growth"),
}


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec.get("layer", [spec])


def _mark(layer: dict[str, Any]) -> str:
    mark = layer["mark"]
    return mark if isinstance(mark, str) else mark["type"]


@pytest.mark.parametrize("name", list(ALL))
def test_every_layer_of_every_chart(name: str) -> None:
    spec = ALL[name]().to_dict()  # validates against the Vega-Lite schema
    assert spec.get("title")
    layers = _layers(spec)
    assert layers
    for layer in layers:
        encoding = layer["encoding"]
        assert {"x", "y"} & set(encoding), f"{name}: a layer without a position"
        if _mark(layer) != "text":
            assert encoding.get("tooltip"), f"{name}: a {_mark(layer)} layer without a tooltip"
        for channel in ("x", "y"):
            axis = encoding.get(channel, {}).get("axis") or {}
            if "labelExpr" in axis and "format(abs(" in axis["labelExpr"]:
                assert axis["title"].endswith(f"({CUR})"), f"{name}: {axis['title']}"
                assert json.dumps("€") in axis["labelExpr"]


def test_the_registry_covers_every_builder() -> None:
    builders = {n for n in charts.__all__ if n.endswith(("_chart", "_heatmap"))}
    used = {
        "plan_chart", "plan_gap_chart", "mrr_by_segment_term_chart", "movements_chart",
        "quick_ratio_chart", "cumulative_cash_chart", "cash_revenue_chart",
        "deferred_revenue_chart", "customers_by_term_chart", "renewal_chart", "fan_chart",
        "detection_chart", "tornado_chart", "grid_heatmap", "scenario_lines_chart",
        "cohort_heatmap", "retention_curve_chart", "value_curve_chart",
    }  # fmt: skip
    assert builders == used
