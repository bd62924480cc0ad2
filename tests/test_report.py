"""mrrsim.report: the one-page decision summary holds the answer per segment, the headline
figures, the chart, the inputs and the link, on one page whatever the currency's symbol."""

from __future__ import annotations

import io

import pypdf

from mrrsim import charts
from mrrsim.charts import vega_spec
from mrrsim.decision import decision_table
from mrrsim.formatting import fmt_money, fmt_pct
from mrrsim.metrics import PLANS, Summary, plan_comparison, summarize
from mrrsim.projection import all_annual, all_monthly
from mrrsim.report import chart_png, decision_pdf
from mrrsim.scenario import Scenario, parse_scenario
from mrrsim.yamlio import DEFAULT_PRESET, load_preset

LINK = "http://localhost:8501/?s=" + "x" * 600


def _text(data: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return len(reader.pages), " ".join(p.extract_text() for p in reader.pages)


def _plans(scenario: Scenario) -> dict[str, Summary]:
    items = (scenario, all_monthly(scenario), all_annual(scenario))
    return dict(zip(PLANS, map(summarize, items), strict=True))


def test_the_summary_holds_each_segments_answer_figures_inputs_and_link() -> None:
    preset = load_preset(DEFAULT_PRESET)
    plans = _plans(preset)
    decision = decision_table(preset, plans[PLANS[0]])
    chart = chart_png(vega_spec(charts.plan_gap_chart(plan_comparison(preset), "USD")))
    assert chart.startswith(b"\x89PNG")
    pages, text = _text(decision_pdf(preset, plans, decision, LINK, chart))
    flat = " ".join(text.split())
    assert pages == 1
    assert preset.name in flat
    for row in decision.iter_rows(named=True):
        assert f"{row['segment']} {row['verdict']}" in flat
        assert fmt_pct(row["break_even_discount"]) in flat
        assert " ".join(row["explanation"].split()) in flat
    assert "MRR, last month" in flat
    assert fmt_money(plans[PLANS[1]]["ending_mrr"], "USD") in flat
    assert f"Horizon {preset.horizon_months} months" in flat
    assert LINK in text.replace("\n", "")


def test_any_currency_and_negative_amounts_print() -> None:
    """The shipped font holds the true minus and symbols like the euro and the rupee."""
    data = load_preset(DEFAULT_PRESET).to_dict()
    data["currency"] = "INR"
    data["segments"][0]["name"] = "Équipe ₹ −"
    scenario = parse_scenario(data)
    plans = _plans(scenario)
    decision = decision_table(scenario, plans[PLANS[0]])
    pages, text = _text(decision_pdf(scenario, plans, decision, None))
    assert pages == 1
    assert "Équipe ₹ −" in text and "₹" in text
    assert "too large for a link" in text
    assert "Inputs" in text
