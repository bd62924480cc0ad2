"""The Methodology page driven in process with AppTest: it renders every section with its
formulas, explains the decision model by docs/model.md's section names, and its worked example
(month 1 of a segment, computed by hand, switching and signed prices included) equals
``project()``."""

from __future__ import annotations

import re
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
    """The worked example's rows by quantity: its formula, the figure by hand, the projection
    table's figure and whether they match, read back from the three columns shown (the
    quantity in bold before its formula, the match mark after the projection's figure)."""
    frame = pl.from_pandas(at.table[0 if term == "monthly" else 1].value)
    assert frame.columns == ["Quantity = formula", "By hand", "Projection table"]
    rows = {}
    for cell, by_hand, projection in frame.iter_rows():
        quantity, formula = re.fullmatch(r"\*\*(.+?)\*\* = (.+)", cell).groups()
        value, match = projection.split("\u00a0")
        rows[unescape(quantity)] = {
            "Formula": unescape(formula),
            "By hand": by_hand,
            "Projection table": value,
            "Match": match,
        }
    return rows


def unescape(text: str) -> str:
    """Markdown text as it reads on screen: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", text)


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
        "Switching",
        "MRR",
        "Cash",
        "Headline",
        "Annual or monthly, and at what discount?",
        "Monte Carlo",
        "Sensitivity",
        "Share links",
        "Worked example",
    ):
        assert any(words in h for h in headers), words
    formulas = " ".join(f.value for f in at.latex)
    for piece in (
        r"(1-c)^{t-a}",
        r"(1-c)(1-u_\tau)",
        r"(1-c_a)^{k}",
        "NPV",
        "GRR",
        r"c_{ma} = C - b\,(C - c_a)",
        r"s(x) = \min\big(1, \max(0,\; s_0 + (s - s_0)\,x/d)\big)",
        r"\text{LTV}_m(c, e) = p \sum_{a=0}^{L-1}",
        r"d^{*} = 1 - \frac{V_M}{V_A(0)}",
        r"-d \cdot \text{monthly MRR switched}_t",
        r"D_0 = \sum_{r=1}^{12} R_r\,(r-1)\,p\,(1-d_e)",
        r"\ln(1+\text{CV}^2)",
    ):
        assert piece in formulas, piece


def test_explains_the_decision_plainly_citing_the_model_by_section_name(
    default_page: AppTest,
) -> None:
    subheaders = [h.value for h in default_page.subheader]
    for words in ("Billing effect", "Take-up with no discount", "does not depend on the horizon"):
        assert any(words in h for h in subheaders), words
    text = " ".join(m.value for m in default_page.markdown)
    for section in (
        "Projection",
        "Policies and movers",
        "Switching",
        "Projection table",
        "Summary metrics",
        "Lifetime values and the decision",
        "Monte Carlo",
    ):
        assert f"“{section}”" in text, section
    assert "docs/model.md" in text
    assert "SPEC" not in text and "section 3" not in text
    for idea in ("one-month campaign", "keep the price they signed", "best discount is 0"):
        assert idea in text, idea


def test_the_worked_example_equals_the_projection(default_page: AppTest) -> None:
    sc = load_preset(DEFAULT_PRESET)
    rows = project(sc).filter(month=1, segment=sc.segments[0].name)
    monthly = rows.filter(term="monthly").row(0, named=True)
    annual = rows.filter(term="annual").row(0, named=True)
    shown_m, shown_a = worked(default_page, "monthly"), worked(default_page, "annual")
    assert shown_m["MRR"]["By hand"] == money(monthly["mrr"]) == "$89,839.34"
    assert shown_m["MRR"]["Formula"] == "E·(1−c)·(1−u)·p(1+e) + n₁·(1−s)·p"
    assert shown_a["Churned MRR"]["Formula"] == "R₁·c_a·p(1−dₑ)"
    assert shown_m["Cash collected"]["Formula"] == "MRR (billed monthly)"
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


def test_the_worked_example_shows_switching_and_the_signed_price() -> None:
    # Core switches 1.5% of its monthly customers from month 1; Growth-like signed prices are
    # checked on a scenario whose old contracts were signed at another discount.
    sc = load_preset("monthly-to-annual-migration").with_segments(existing_annual_discount=0.3)
    at = open_methodology(sc)
    assert not at.exception
    rows = project(sc).filter(month=1, segment="Core")
    monthly = rows.filter(term="monthly").row(0, named=True)
    annual = rows.filter(term="annual").row(0, named=True)
    shown_m, shown_a = worked(at, "monthly"), worked(at, "annual")
    # 6000 * 0.965 survivors, 1.5% of them switch: 86.85 customers
    assert shown_m["Customers switching to annual"]["By hand"] == "−86.85"
    assert shown_a["Customers switching from monthly"]["By hand"] == "86.85"
    assert monthly["switched_customers"] == pytest.approx(-86.85)
    assert shown_a["Switched MRR (arrives on annual)"]["By hand"] == money(annual["switched_mrr"])
    # at $79 * 1.003 a month, 20% off: 86.85 * 0.8 * 79 * 1.003
    assert annual["switched_mrr"] == pytest.approx(86.85 * 0.8 * 79 * 1.003)
    # the 400 signed contracts renewing in month 1 (a twelfth) at 30% off, not the new 20%
    assert annual["churned_mrr"] == pytest.approx(400 / 12 * 0.2 * 79 * 0.7)
    assert shown_a["Churned MRR"]["By hand"] == money(annual["churned_mrr"])
    for table in (shown_m, shown_a):
        assert {r["Match"] for r in table.values()} == {"✓"}
    text = " ".join(m.value for m in at.markdown)
    assert "dₑ = 30.00%" in text and "u = 1.50%" in text
