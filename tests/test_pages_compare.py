"""The Compare page driven in process with AppTest: its headline figures equal ``summarize`` of
every scenario compared (with their differences from the first), scenarios with other horizons
work, bad share links and files are reported while the page keeps working, and the comparison
survives switching pages. The pure side (mrrsim.compare) is in test_compare.py."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from mrrsim import share
from mrrsim.compare import (
    Tweak,
    apply_tweak,
)
from mrrsim.metrics import summarize
from mrrsim.scenario import Scenario
from mrrsim.ui import escape_md, fmt_count, fmt_delta_money, fmt_delta_pct, fmt_money, fmt_pct
from mrrsim.yamlio import DEFAULT_PRESET, dump_scenario, load_preset

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
PAGE = "pages/compare.py"


def open_compare(token: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    if token is not None:
        at.query_params[share.QUERY_KEY] = token
    at.run()
    return at.switch_page(PAGE).run()


def table(at: AppTest, which: int = 0) -> pl.DataFrame:
    """The headline figures (0) or their differences from the first scenario (1), as the user
    reads them (the static tables' headers are Markdown, their escapes removed here)."""
    return pl.from_pandas(at.table[which].value).rename(unescape)


def unescape(text: str) -> str:
    """Markdown text as it reads on screen: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", text)


def column(at: AppTest, header: str) -> dict[str, str]:
    """One scenario's figures by row label."""
    frame = table(at)
    return dict(zip(frame["Figure"], frame[header], strict=True))


def deltas(at: AppTest, header: str) -> dict[str, str]:
    """One scenario's differences from the first scenario by row label."""
    frame = table(at, 1)
    return dict(zip(frame["Figure"], frame[header], strict=True))


def expected_column(scenario: Scenario) -> dict[str, str]:
    s = summarize(scenario)
    cur = scenario.currency
    return {
        "Horizon": f"{scenario.horizon_months} months",
        "MRR, last month": fmt_money(s["ending_mrr"], cur),
        "ARR, last month": fmt_money(s["ending_arr"], cur),
        "Customers, last month": fmt_count(s["ending_customers"]),
        "Cash collected, whole horizon": fmt_money(s["cumulative_cash"], cur),
        "Revenue recognised, whole horizon": fmt_money(s["cumulative_revenue"], cur),
        "NPV of cash": fmt_money(s["npv_cash"], cur),
        "NRR, last 12 months": fmt_pct(s["nrr_12"]),
        "GRR, last 12 months": fmt_pct(s["grr_12"]),
        "Break-even discount": fmt_pct(s["break_even_discount"]),
    }


def error_text(at: AppTest) -> str:
    """The error messages as the user reads them (Markdown escapes removed)."""
    return unescape(" ".join(e.value for e in at.error))


def entries(at: AppTest) -> list[dict]:
    return at.session_state["compare.entries"]


DEFAULT = load_preset(DEFAULT_PRESET)
TWEAKED = apply_tweak(DEFAULT, Tweak(monthly_churn_change=-0.2))


@pytest.fixture(scope="module")
def default_compare() -> AppTest:
    return open_compare()


# --- the page --------------------------------------------------------------------------------


def test_opens_with_the_current_scenario_and_a_lower_churn_copy(default_compare: AppTest) -> None:
    at = default_compare
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "Compare"
    frame = table(at)
    label = "Current with monthly churn × 0.8"
    assert frame.columns == ["Figure", DEFAULT.name, label]
    assert table(at, 1).columns == ["Figure", label]
    assert column(at, DEFAULT.name) == expected_column(DEFAULT)
    assert column(at, label) == expected_column(TWEAKED)
    assert len(at.get("vega_lite_chart")) == 2


def test_differences_are_formatted_from_summarize(default_compare: AppTest) -> None:
    a, b = summarize(DEFAULT), summarize(TWEAKED)
    diff = deltas(default_compare, "Current with monthly churn × 0.8")
    mrr = b["ending_mrr"] - a["ending_mrr"]
    assert diff["MRR, last month"] == (
        f"{fmt_delta_money(mrr, 'USD')} ({mrr / a['ending_mrr'] * 100:+.1f}%)"
    )
    customers = b["ending_customers"] - a["ending_customers"]
    assert diff["Customers, last month"].startswith(f"{customers:+,.0f} (")
    assert diff["NRR, last 12 months"] == fmt_delta_pct(b["nrr_12"] - a["nrr_12"])
    assert diff["Horizon"] == "±0 months"
    assert mrr > 0  # lower churn keeps more MRR


def test_a_preset_with_another_horizon_is_compared_over_its_own_months() -> None:
    at = open_compare()
    at.selectbox(key="compare.preset").set_value("enterprise-annual").run()
    at.button(key="compare.add_preset").click().run()
    assert not at.exception
    assert not at.error
    preset = load_preset("enterprise-annual")
    assert preset.horizon_months == 60
    assert column(at, preset.name) == expected_column(preset)
    assert deltas(at, preset.name)["Horizon"] == "+24 months"
    assert column(at, DEFAULT.name) == expected_column(DEFAULT)


def test_a_bad_share_link_shows_an_error_and_the_page_keeps_working() -> None:
    at = open_compare()
    before = table(at)
    at.text_input(key="compare.link").set_value("https://x.test/?s=v1.AZcDtJ2V226CQBCGX8ULTd").run()
    at.button(key="compare.add_link").click().run()
    assert not at.exception
    assert "This link could not be opened" in error_text(at)
    assert "damaged" in error_text(at) or "truncated" in error_text(at)
    assert table(at).equals(before)
    assert len(entries(at)) == 1
    # the page still works: a good link is added next
    good = load_preset("three-tier-pricing")
    at.text_input(key="compare.link").set_value(share.share_url(good)).run()
    at.button(key="compare.add_link").click().run()
    assert not at.error
    assert column(at, good.name) == expected_column(good)
    assert at.text_input(key="compare.link").value == ""


def test_a_bad_yaml_file_is_reported_and_a_good_one_added() -> None:
    at = open_compare()
    at.file_uploader(key="compare.upload").set_value(("oops.yaml", b"name: [", "text/yaml")).run()
    assert not at.exception
    assert "oops.yaml could not be read" in error_text(at)
    assert "not valid YAML" in error_text(at)
    assert len(entries(at)) == 1
    other = load_preset("self-serve-smb")
    text = dump_scenario(other).encode()
    at.file_uploader(key="compare.upload").set_value(("smb.yaml", text, "text/yaml")).run()
    assert not at.error
    assert column(at, other.name) == expected_column(other)  # a 24-month horizon
    assert deltas(at, other.name)["Horizon"] == "\u221212 months"


def test_a_tweaked_copy_follows_the_form() -> None:
    at = open_compare()
    at.number_input(key="compare.tw.discount").set_value(25.0)
    at.number_input(key="compare.tw.monthly_churn").set_value(0.0)
    at.button(key="FormSubmitter:compare.tweak-Add this variant").click().run()
    assert not at.exception
    assert not at.error
    expected = apply_tweak(DEFAULT, Tweak(annual_discount=0.25))
    assert all(expected.discount_for(seg) == 0.25 for seg in expected.segments)
    assert column(at, "Current with annual discount 25%") == expected_column(expected)


def test_an_empty_tweak_is_refused_with_a_message() -> None:
    at = open_compare()
    at.number_input(key="compare.tw.monthly_churn").set_value(0.0)
    at.button(key="FormSubmitter:compare.tweak-Add this variant").click().run()
    assert "Change at least one input" in error_text(at)
    assert len(entries(at)) == 1


def test_the_comparison_survives_switching_pages_and_a_removal() -> None:
    at = open_compare()
    at.selectbox(key="compare.preset").set_value("usage-expansion").run()
    at.button(key="compare.add_preset").click().run()
    kept = list(entries(at))
    at.switch_page("pages/planner.py").run()
    assert at.title[0].value == "Planner"
    at.switch_page(PAGE).run()
    assert entries(at) == kept
    assert load_preset("usage-expansion").name in table(at).columns
    at.button(key=f"compare.remove.{kept[0]['id']}").click().run()
    assert table(at).columns == ["Figure", DEFAULT.name, kept[1]["item"].name]


def test_at_most_four_scenarios() -> None:
    at = open_compare()
    for preset in ("usage-expansion", "three-tier-pricing"):
        at.selectbox(key="compare.preset").set_value(preset).run()
        at.button(key="compare.add_preset").click().run()
    assert len(table(at).columns) == 1 + 4
    assert len(table(at, 1).columns) == 1 + 3
    assert at.button(key="compare.add_preset").disabled


def test_the_current_scenario_follows_the_sidebar_and_names_are_text() -> None:
    at = open_compare()
    at.text_input(key="ed.name").set_value("**Bold** :red[x]").run()
    assert not at.exception
    assert "**Bold** :red[x]" in table(at).columns
    assert any(escape_md("**Bold** :red[x]") in m.value for m in at.markdown)
    at.number_input(key="ed.annual_discount").set_value(25.0).run()
    current = at.session_state["mrrsim.valid"]
    assert current.annual_discount == 0.25
    assert column(at, current.name) == expected_column(current)
    tweaked = apply_tweak(current, Tweak(monthly_churn_change=-0.2))
    assert column(at, "Current with monthly churn × 0.8") == expected_column(tweaked)


def test_a_damaged_link_in_the_url_still_opens_the_page() -> None:
    at = open_compare("v1.AZcDtJ2V226CQBCGX8ULTdoEiKxs")
    assert not at.exception
    assert "could not be opened" in error_text(at)
    assert column(at, DEFAULT.name) == expected_column(DEFAULT)
