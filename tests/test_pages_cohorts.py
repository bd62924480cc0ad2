"""The Cohorts page driven in process with AppTest: its figures equal the cohort engine's
(``cohort_retention`` / ``retention_curve``) for the scenario shown, it switches measure and axis
without errors, handles a scenario with no annual cohorts, and thins cohorts on long horizons."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from conftest import make
from streamlit.testing.v1 import AppTest

from mrrsim import share
from mrrsim.cohorts import chart_cohorts, cohort_retention, retention_curve
from mrrsim.scenario import Scenario
from mrrsim.ui import fmt_pct
from mrrsim.yamlio import DEFAULT_PRESET, load_preset

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
PAGE = "pages/cohorts.py"


def open_cohorts(scenario: Scenario | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    if scenario is not None:
        at.query_params[share.QUERY_KEY] = share.encode(scenario)
    at.run()
    return at.switch_page(PAGE).run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_metrics(scenario: Scenario) -> dict[str, str]:
    curve = retention_curve(cohort_retention(scenario))
    age = min(12, scenario.horizon_months - 1)
    row = {
        (r["term"], m): r[f"{m}_retention"]
        for r in curve.filter(age=age).to_dicts()
        for m in ("customers", "mrr")
    }
    return {
        "Monthly plan · customers": fmt_pct(row["monthly", "customers"]),
        "Annual plan · customers": fmt_pct(row["annual", "customers"]),
        "Monthly plan · MRR": fmt_pct(row["monthly", "mrr"]),
        "Annual plan · MRR": fmt_pct(row["annual", "mrr"]),
    }


@pytest.fixture(scope="module")
def default_cohorts() -> AppTest:
    return open_cohorts()


def test_the_page_shows_the_engines_retention(default_cohorts: AppTest) -> None:
    at = default_cohorts
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "Cohorts"
    assert metrics(at) == expected_metrics(load_preset(DEFAULT_PRESET))
    assert len(at.get("vega_lite_chart")) == 3  # two heatmaps and the retention curve


def test_the_cohort_table_is_the_engines(default_cohorts: AppTest) -> None:
    shown = pl.from_pandas(default_cohorts.dataframe[0].value)
    frame = cohort_retention(load_preset(DEFAULT_PRESET)).filter(term="all")
    assert shown["cohort"].to_list() == list(range(1, 37))
    at_12 = frame.filter(cohort=5, age=12)["customers_retention"].item()
    assert shown.filter(cohort=5)["month 12"].item() == pytest.approx(at_12 * 100)
    assert shown.filter(cohort=30)["month 12"].item() is None  # not 12 months old yet


def test_switching_measure_axis_and_table_term() -> None:
    at = open_cohorts()
    before = pl.from_pandas(at.dataframe[0].value)
    at.button_group(key="cohorts.measure").set_value("MRR").run()
    at.button_group(key="cohorts.x").set_value("Calendar month").run()
    at.button_group(key="cohorts.table_term").set_value("annual").run()
    assert not at.exception
    shown = pl.from_pandas(at.dataframe[0].value)
    assert not shown.equals(before)
    frame = cohort_retention(load_preset(DEFAULT_PRESET)).filter(term="annual")
    expected = frame.filter(cohort=2, age=12)["mrr_retention"].item()
    assert shown.filter(cohort=2)["month 12"].item() == pytest.approx(expected * 100)
    # an annual cohort keeps 100% of its customers (and MRR) until its first renewal
    assert shown.filter(cohort=2)["month 6"].item() == pytest.approx(100)


def test_a_scenario_without_annual_customers_says_so() -> None:
    sc = make(
        [{"name": "Solo", "list_price": 50, "new_customers": 40, "monthly_churn": 0.1}],
        horizon_months=24,
    )
    at = open_cohorts(sc)
    assert not at.exception
    assert any("No new customers choose the annual plan" in i.value for i in at.info)
    shown = metrics(at)
    assert shown["Monthly plan · customers"] == fmt_pct(0.9**12) == "28.2%"
    assert shown["Annual plan · customers"] == "—"
    assert len(at.get("vega_lite_chart")) == 2


def test_long_horizons_show_every_third_cohort() -> None:
    sc = load_preset("enterprise-annual")
    assert sc.horizon_months == 60
    at = open_cohorts(sc)
    assert not at.exception
    assert any("every third cohort is shown" in c.value for c in at.caption)
    assert metrics(at) == expected_metrics(sc)
    assert chart_cohorts(60)[:3] == [1, 4, 7]


def test_no_new_customers_shows_a_message_not_a_chart() -> None:
    sc = make([{"name": "Base", "list_price": 50, "existing_monthly_customers": 100}])
    at = open_cohorts(sc)
    assert not at.exception
    assert any("acquires no new customers" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")


def test_switchers_show_on_the_annual_rows_of_their_cohort() -> None:
    sc = make(
        [
            {
                "name": "Core",
                "list_price": 80,
                "new_customers": 100,
                "monthly_churn": 0.05,
                "annual_share": 0.2,
                "annual_churn": 0.2,
                "conversion_rate": 0.03,
            }
        ],
        horizon_months=24,
    )
    at = open_cohorts(sc)
    assert not at.exception
    assert any("switch to annual stay in their cohort" in c.value for c in at.caption)
    assert metrics(at) == expected_metrics(sc)
    frame = cohort_retention(sc)
    # the annual cohorts grow with switchers: above 100% of their 20 starting customers
    grown = frame.filter(term="annual", cohort=1, age=11)["customers_retention"].item()
    assert grown > 1.0
    assert metrics(at)["Annual plan · customers"] == fmt_pct(
        retention_curve(frame).filter(term="annual", age=12)["customers_retention"].item()
    )
