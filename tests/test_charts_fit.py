"""Every chart fits a phone: drawn by Vega (vl-convert, no browser) at a 390 px phone's chart
width and at a desktop's, with Streamlit's chart theme (16 px bold titles cut at the chart's
width less 40 px, 14 px legend labels), no title or legend label is cut with '…' and every
legend lies inside the chart. On a phone a long title is broken into lines, and a legend of
many entries into rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import altair as alt
import polars as pl
import pytest
from test_charts_all import ALL, PLANS, PRESET

from mrrsim import charts
from mrrsim.billing import history, read_export
from mrrsim.billing.history import actual_and_projected
from mrrsim.billing.sample import SAMPLE_PATH
from mrrsim.charts import history as charts_history
from mrrsim.decision import value_chart_frames
from mrrsim.metrics import summarize
from mrrsim.projection import project

vl_convert = pytest.importorskip("vl_convert")

PHONE, DESKTOP = 358, 1100  # the chart's width: a 390 px screen less Streamlit's margins
# Streamlit 1.67's Vega theme (its CustomTheme), the sizes that decide what fits. Its font,
# Source Sans, is not installed for vl-convert: Liberation Sans stands in, 5% smaller, as
# Source Sans text measures 0.90-0.95 of Liberation Sans's at the same size (in Chromium).
THEME = {
    "font": "Liberation Sans",
    "title": {"anchor": "start", "fontSize": 15.2, "fontWeight": "bold", "offset": 26},
    "legend": {
        "labelFontSize": 13.3,
        "titleFontSize": 13.3,
        "titlePadding": 8,
        "labelPadding": 16,
        "columnPadding": 8,
        "rowPadding": 2,
        "padding": 8,
    },
    "axis": {"labelFontSize": 11.4, "titleFontSize": 13.3, "labelLimit": 100},
}

HISTORY = history(read_export(SAMPLE_PATH), detail=True)
FRAME = project(PRESET)
EVERY: dict[str, Callable[[], alt.TopLevelMixin]] = {
    **ALL,
    "cash_revenue_all_annual": lambda: charts.cash_revenue_chart(PLANS, "All annual", "EUR"),
    "history_mrr": lambda: charts_history.history_mrr_chart(HISTORY, "EUR"),
    "history_movements": lambda: charts_history.history_movements_chart(HISTORY, "EUR"),
    "logo_churn": lambda: charts_history.logo_churn_chart(HISTORY),
    "history_projection": lambda: charts_history.history_projection_chart(
        actual_and_projected(HISTORY, FRAME, "2025-06"), "EUR"
    ),
}


def as_streamlit_draws(chart: alt.TopLevelMixin, width: int) -> dict[str, Any]:
    """The spec as Streamlit hands it to Vega in a container ``width`` wide: that width, its
    theme, and the title's limit of the width less 40 px."""
    spec = charts.vega_spec(chart)
    datasets = {
        name: rows.to_dicts() if isinstance(rows, pl.DataFrame) else rows
        for name, rows in spec.get("datasets", {}).items()
    }
    title = spec["title"] if isinstance(spec["title"], dict) else {"text": spec["title"]}
    return {
        **spec,
        "datasets": datasets,
        "width": width,
        "config": THEME,
        "title": {**title, "limit": width - 40},
    }


def nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for item in node.get("items", []):
            yield from nodes(item)


def texts(scene: dict[str, Any], role: str) -> list[Any]:
    return [item["text"] for n in nodes(scene) if n.get("role") == role for item in n["items"]]


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("name", list(EVERY))
def test_titles_and_legends_are_whole_and_inside_the_chart(name: str, width: int) -> None:
    spec = as_streamlit_draws(EVERY[name](), width)
    svg = vl_convert.vegalite_to_svg(spec)
    scene = vl_convert.vegalite_to_scenegraph(spec)
    assert texts(scene["scenegraph"], "title-text"), "a chart without a title"
    assert "…" not in svg, f"{name} at {width} px: text cut with '…'"
    left = scene["origin"][0]
    for node in nodes(scene["scenegraph"]):
        if node.get("role") == "legend":
            for box in node["items"]:
                assert left + box["x"] >= -1, f"{name}: a legend off the left edge"
                assert left + box["x"] + box["width"] <= width + 1, f"{name}: legend runs off"


def test_a_long_title_breaks_into_lines_on_a_phone_only() -> None:
    chart = charts.plan_gap_chart(PLANS, "USD")
    phone = vl_convert.vegalite_to_scenegraph(as_streamlit_draws(chart, PHONE))
    desktop = vl_convert.vegalite_to_scenegraph(as_streamlit_draws(chart, DESKTOP))
    whole = "MRR gained or lost against billing everyone monthly"
    assert texts(desktop["scenegraph"], "title-text") == [whole]
    (lines,) = texts(phone["scenegraph"], "title-text")
    assert isinstance(lines, list) and len(lines) == 2 and " ".join(lines) == whole


def test_a_legend_of_many_entries_takes_rows_on_a_phone() -> None:
    """Six segment · billing entries: one row on a desktop, two or three columns on a phone."""
    chart = charts.mrr_by_segment_term_chart(FRAME, "USD")

    def columns(width: int) -> int:
        scene = vl_convert.vegalite_to_scenegraph(as_streamlit_draws(chart, width))
        labels = [
            (round(item["x"]), round(item["y"]))
            for n in nodes(scene["scenegraph"])
            if n.get("role") == "legend-entry"
            for entry in n["items"]
            for group in entry.get("items", [])
            for item in group.get("items", [])
        ]
        return len({x for x, _ in labels})

    assert columns(DESKTOP) == 6
    assert 1 <= columns(PHONE) < 6


def test_user_text_titles_are_fixed_lines_not_expressions() -> None:
    """A segment's name titles its value chart as plain lines (user text never goes into a
    Vega expression); the app's own titles pick their lines in the browser."""
    long_name = "Enterprise customers in the Nordics and the Baltics"
    curve, marks = value_chart_frames(PRESET, summarize(PRESET))
    title = charts.value_curve_chart(curve, marks, "EUR", long_name).to_dict()["title"]
    assert title["text"] == ["Enterprise customers in the", "Nordics and the Baltics"]
    gap = charts.plan_gap_chart(PLANS, "EUR").to_dict()["title"]
    assert set(gap["text"]) == {"expr"}


@pytest.mark.parametrize("name", list(EVERY))
def test_vega_lite_compiles_every_chart_without_a_warning(
    name: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """Vega-Lite warns in the browser's console when a spec asks for something it then
    ignores (a band padding on a line's point scale, a nominal field as stack order); the
    same compiler, run here on the spec as Streamlit draws it, must have nothing to say."""
    capfd.readouterr()
    vl_convert.vegalite_to_vega(as_streamlit_draws(EVERY[name](), PHONE), show_warnings=True)
    warnings = [line for line in capfd.readouterr().err.splitlines() if "WARN" in line]
    assert warnings == []
