"""The "Your data" page driven in process with AppTest: the sample or an upload gives the
history charts and the estimates of ``calibrate``, bad files are reported without a crash, and
"Use as scenario" loads the calibrated scenario and opens the Planner with the actual history.
Also the history chart builders."""

from __future__ import annotations

import hashlib
from pathlib import Path

import altair as alt
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from mrrsim.billing import calibrate, history, read_export
from mrrsim.billing.history import actual_and_projected
from mrrsim.billing.sample import SAMPLE_PATH
from mrrsim.charts import history as charts_history
from mrrsim.projection import project
from mrrsim.scenario import parse_scenario
from mrrsim.ui import data as data_page

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGE = str(APP.parent / "pages" / "your_data.py")
TIMEOUT = 120
# As in test_app.py: app.py from an entry script elsewhere keeps AppTest out of pages/ mode.
ENTRY = (
    f"import runpy, sys\nsys.path.insert(0, {str(APP.parent)!r})\n"
    f"runpy.run_path({str(APP)!r}, run_name='__main__')\n"
)


def open_page() -> AppTest:
    at = AppTest.from_string(ENTRY, default_timeout=TIMEOUT).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def charts(at: AppTest) -> list:
    return at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


@pytest.fixture(scope="module")
def expected():
    export = read_export(SAMPLE_PATH)
    return calibrate(export)


@pytest.fixture(scope="module")
def with_sample() -> AppTest:
    at = open_page()
    at.button(key="data.sample").click().run()
    assert not at.exception
    return at


def test_empty_page_explains_and_offers_the_sample() -> None:
    at = open_page()
    assert at.title[0].value == "Your data"
    assert any("never the uploaded data" in i.value for i in at.info)
    assert any("No file yet" in c.value for c in at.caption)
    assert at.get("download_button")  # the sample export can be downloaded from the page
    assert at.file_uploader[0].label == "Subscription export (CSV, up to 50 MB)"


def test_sample_shows_history_charts_and_the_estimates(with_sample: AppTest, expected) -> None:
    at = with_sample
    assert any("3,611 rows" in c.value for c in at.caption)
    assert len(charts(at)) == 3
    table = at.table[0].value
    got = {(r["Segment"], r["Input"]): r for r in table.to_dict("records")}
    for e in expected.estimates:
        label = data_page._LABELS.get(e.field, e.field)
        row = got[(e.segment, label)]
        assert row["Sample"] == f"{e.sample:,}"
        if e.field == "monthly_churn":
            assert row["Estimate"] == f"{e.value * 100:,.2f}%"
            assert row["90% range"] == f"{e.low * 100:,.2f}% to {e.high * 100:,.2f}%"
    assert [w.value.replace("\\", "") for w in at.warning] == expected.warnings


def test_upload_gives_the_same_as_the_sample(with_sample: AppTest) -> None:
    at = open_page()
    at.file_uploader[0].set_value(("subs.csv", SAMPLE_PATH.read_bytes(), "text/csv")).run()
    assert not at.exception
    assert any("Read your export" in c.value for c in at.caption)
    assert at.table[0].value.equals(with_sample.table[0].value)


def test_bad_files_are_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page()
    at.file_uploader[0].set_value(("x.csv", b"foo,bar\n1,2\n", "text/csv")).run()
    assert not at.exception
    assert at.error[0].value == "The file cannot be used:"
    assert "not a recognised subscription export" in at.text[-1].value
    at.file_uploader[0].set_value(("x.csv", b"", "text/csv")).run()
    assert at.text[-1].value == "the file is empty"
    monkeypatch.setattr(data_page, "MAX_UPLOAD_BYTES", 1000)
    at.file_uploader[0].set_value(("big.csv", SAMPLE_PATH.read_bytes(), "text/csv")).run()
    assert not at.exception
    assert "the limit is 50 MB" in at.error[0].value
    assert not charts(at)


def test_use_as_scenario_opens_the_planner_with_actual_history() -> None:
    at = open_page()
    at.button(key="data.sample").click().run()
    digest = hashlib.sha256(SAMPLE_PATH.read_bytes()).hexdigest()
    at.selectbox(key=f"data.as_of.{digest[:12]}").select("2025-03").run()
    at.number_input(key="data.window").set_value(9).run()
    at.button(key="data.use").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == []
    assert at.title[0].value == "Planner"
    expected = calibrate(read_export(SAMPLE_PATH), as_of="2025-03", window=9)
    assert at.session_state["mrrsim.valid"] == parse_scenario(expected.scenario)
    assert at.session_state["mrrsim.history"]["as_of"] == "2025-03"
    assert any("Solid: actual month-end MRR" in c.value for c in at.caption)


def test_history_charts_build_valid_specs() -> None:
    export = read_export(SAMPLE_PATH)
    hist = history(export, detail=True)
    for chart in (
        charts_history.history_mrr_chart(hist, "USD"),
        charts_history.history_movements_chart(hist, "USD"),
        charts_history.logo_churn_chart(hist),
    ):
        spec = chart.to_dict(validate=True)
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    churn = charts_history.logo_churn_chart(hist).data
    june = churn.filter((pl.col("month") == "2025-06") & (pl.col("series") == "Pro · monthly"))
    rows = hist.filter((pl.col("segment") == "Pro") & (pl.col("term") == "monthly")).sort("month")
    lost = rows.filter(pl.col("month").is_between(pl.lit("2025-04"), pl.lit("2025-06")))[
        "churned_customers"
    ]
    exposed = rows.filter(pl.col("month").is_between(pl.lit("2025-03"), pl.lit("2025-05")))[
        "customers"
    ]
    assert june["churn"][0] == pytest.approx(lost.sum() / exposed.sum())


def test_actual_and_projected_meet_at_month_zero() -> None:
    export = read_export(SAMPLE_PATH)
    hist = history(export)
    result = calibrate(export)
    sc = parse_scenario(result.scenario)
    frame = actual_and_projected(hist, project(sc), "2025-06")
    actual = frame.filter(pl.col("series") == "Actual")
    projected = frame.filter(pl.col("series") == "Projected")
    assert actual["month"].max() == "2025-06" and projected["month"].min() == "2025-06"
    assert projected["month"].max() == "2028-06"  # 36 months after the as-of month
    june = hist.filter((pl.col("segment") == "all") & (pl.col("month") == "2025-06"))["mrr"][0]
    assert projected["mrr"][0] == actual["mrr"][-1] == june
    chart = charts_history.history_projection_chart(frame, "USD")
    assert isinstance(chart, alt.LayerChart)
    chart.to_dict(validate=True)
