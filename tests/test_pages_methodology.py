"""The Methodology page driven in process with AppTest: it renders every section with its
formulas, and its worked example (month 1 of a segment, computed by hand) equals ``project()``."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from mrrsim import share
from mrrsim.projection import project
from mrrsim.scenario import Scenario
from mrrsim.yamlio import DEFAULT_PRESET, load_preset

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
PAGE = "pages/methodology.py"


def open_methodology(scenario: Scenario | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    if scenario is not None:
        at.query_params[share.QUERY_KEY] = share.encode(scenario)
    at.run()
    return at.switch_page(PAGE).run()


def worked(at: AppTest, term: str) -> dict[str, dict[str, str]]:
    frame = pl.from_pandas(at.dataframe[0 if term == "monthly" else 1].value)
    return {r["Quantity"]: r for r in frame.to_dicts()}


def money(value: float) -> str:
    return f"${value:,.2f}"


@pytest.fixture(scope="module")
def default_page() -> AppTest:
    return open_methodology()


def test_renders_every_section(default_page: AppTest) -> None:
    at = default_page
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "Methodology"
    headers = [h.value for h in at.header]
    for words in (
        "Notation",
        "Cohorts",
        "MRR",
        "Cash",
        "Headline",
        "Monte Carlo",
        "Sensitivity",
        "Share links",
        "Worked example",
    ):
        assert any(words in h for h in headers), words
    formulas = " ".join(f.value for f in at.latex)
    for piece in (r"(1-c)^{t-a}", r"(1-c_a)^{k}", "NPV", "GRR", r"d^{*}", r"\ln(1+\text{CV}^2)"):
        assert piece in formulas, piece


def test_the_worked_example_equals_the_projection(default_page: AppTest) -> None:
    sc = load_preset(DEFAULT_PRESET)
    rows = project(sc).filter(month=1, segment=sc.segments[0].name)
    monthly = rows.filter(term="monthly").row(0, named=True)
    annual = rows.filter(term="annual").row(0, named=True)
    shown_m, shown_a = worked(default_page, "monthly"), worked(default_page, "annual")
    assert shown_m["MRR"]["By hand"] == money(monthly["mrr"]) == "$89,839.34"
    assert shown_m["Customers at month end"]["By hand"] == f"{monthly['customers']:,.2f}"
    assert shown_a["MRR"]["By hand"] == money(annual["mrr"])
    assert shown_a["Cash collected"]["By hand"] == money(annual["cash"])
    assert shown_a["Deferred revenue, month end"]["By hand"] == money(annual["deferred_revenue"])
    for table in (shown_m, shown_a):
        assert {r["Match"] for r in table.values()} == {"✓"}
        assert all(r["By hand"] == r["Projection table"] for r in table.values())


def test_another_segment_of_another_scenario_also_matches() -> None:
    sc = load_preset("enterprise-annual")
    at = open_methodology(sc)
    at.selectbox(key="method.segment").set_value(len(sc.segments) - 1).run()
    assert not at.exception
    name = sc.segments[-1].name
    annual = project(sc).filter(month=1, segment=name, term="annual").row(0, named=True)
    shown = worked(at, "annual")
    assert shown["MRR"]["By hand"] == money(annual["mrr"])
    assert {r["Match"] for r in shown.values()} == {"✓"}
