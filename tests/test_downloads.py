"""mrrsim.downloads: workbooks at full precision, file names from scenario names, the summary
JSON equal to summarize() of each plan."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import openpyxl
import polars as pl
import pytest

from mrrsim.decision import decision_table
from mrrsim.downloads import excel_bytes, file_stem, finance_workbook, plans_frame, summary_json
from mrrsim.metrics import PLANS, plan_comparison, summarize
from mrrsim.projection import all_annual, all_monthly, project
from mrrsim.scenario import parse_scenario
from mrrsim.yamlio import DEFAULT_PRESET, load_preset


def test_excel_workbook_holds_one_sheet_per_frame_at_full_precision() -> None:
    frame = project(load_preset(DEFAULT_PRESET))
    data = excel_bytes({"Projection": frame, "Tiny": pl.DataFrame({"x": [0.1234567891234]})})
    with zipfile.ZipFile(io.BytesIO(data)) as xlsx:
        workbook = xlsx.read("xl/workbook.xml").decode()
        sheet2 = xlsx.read("xl/worksheets/sheet2.xml").decode()
        sheet1 = xlsx.read("xl/worksheets/sheet1.xml").decode()
    assert 'name="Projection"' in workbook
    assert 'name="Tiny"' in workbook
    assert "0.1234567891234" in sheet2
    assert f'<dimension ref="A1:Q{frame.height + 1}"/>' in sheet1


def test_file_stems() -> None:
    def named(name: str) -> str:
        return file_stem(
            parse_scenario({"name": name, "segments": [{"name": "A", "list_price": 1}]})
        )

    assert named("Mid-market SaaS, mixed billing") == "mid-market-saas-mixed-billing"
    assert named("  ***  ") == "scenario"
    assert named("=HYPERLINK(x)") == "hyperlink-x"
    assert len(named("a" * 80)) == 60


def test_summary_json_and_plans_frame_hold_each_plans_summary() -> None:
    preset = load_preset(DEFAULT_PRESET)
    plans = dict(
        zip(PLANS, map(summarize, (preset, all_monthly(preset), all_annual(preset))), strict=True)
    )
    data = json.loads(summary_json(preset, plans))
    assert data["summary"] == json.loads(json.dumps(plans[PLANS[0]].to_dict()))
    assert list(data["plans"]) == list(PLANS)
    assert data["scenario"]["name"] == preset.name
    frame = plans_frame(plans)
    assert frame.get_column("plan").to_list() == list(PLANS)
    assert (
        frame.filter(pl.col("plan") == PLANS[2]).item(0, "npv_cash") == plans[PLANS[2]]["npv_cash"]
    )


def _finance_workbook(link: str | None = "http://localhost:8501/?s=abc") -> tuple[Any, Any]:
    preset = load_preset(DEFAULT_PRESET)
    plans = dict(
        zip(PLANS, map(summarize, (preset, all_monthly(preset), all_annual(preset))), strict=True)
    )
    tables = {"Projection": project(preset), "Plans by month": plan_comparison(preset)}
    decision = decision_table(preset, plans[PLANS[0]])
    data = finance_workbook(preset, plans, decision, link, tables)
    return openpyxl.load_workbook(io.BytesIO(data)), (preset, plans, decision)


def test_finance_workbook_summary_holds_the_figures_and_the_decision_formatted() -> None:
    book, (preset, plans, decision) = _finance_workbook()
    assert book.sheetnames == ["Summary", "Inputs", "Projection", "Plans by month"]
    summary = book["Summary"]
    assert summary["A1"].value == preset.name
    assert summary["B2"].value == "http://localhost:8501/?s=abc"
    assert summary["B2"].hyperlink.target == "http://localhost:8501/?s=abc"
    rows = {r[0].value: r for r in summary.iter_rows() if r[0].value}
    mrr = rows["MRR, last month (USD)"]
    # Excel keeps 15-16 significant digits
    assert [c.value for c in mrr[1:4]] == pytest.approx([plans[p]["ending_mrr"] for p in PLANS])
    assert mrr[1].number_format == "#,##0;-#,##0"
    nrr = rows["NRR, last 12 months"]
    assert nrr[2].value == pytest.approx(plans[PLANS[1]]["nrr_12"])
    assert nrr[2].number_format == "0.0%"
    assert "Break-even discount" not in rows  # one number for all plans: with the decision
    for record in decision.iter_rows(named=True):
        row = rows[record["segment"]]
        assert row[1].value == record["verdict"]
        assert row[3].value == pytest.approx(record["break_even_discount"])
        assert row[3].number_format == "0.0%"
        assert row[8].value == record["explanation"]
        assert row[8].alignment.wrap_text  # the sentence wraps within its column
    overall = rows["All segments (weighted by new customers)"]
    assert overall[3].value == pytest.approx(plans[PLANS[0]]["break_even_discount"])
    assert overall[2].value is None  # the column's header names it
    # the answer column shows each answer whole (the next cell holds a number)
    longest = max(len(v) for v in decision["verdict"])
    assert longest > 16 and summary.column_dimensions["B"].width >= longest
    assert summary.freeze_panes == "B6"


def test_finance_workbook_inputs_sheet_holds_every_input_and_the_link() -> None:
    book, (preset, _, _) = _finance_workbook()
    inputs = book["Inputs"]
    values = {r[0].value: r for r in inputs.iter_rows() if r[0].value}
    assert values["Scenario name"][1].value == preset.name
    description = values["Description"][1]
    assert description.value == preset.description and description.alignment.wrap_text
    assert f"B{description.row}:D{description.row}" in {str(r) for r in inputs.merged_cells.ranges}
    assert inputs.row_dimensions[description.row].height >= 15 * 6  # its lines, not one
    assert values["Share link"][1].value == "http://localhost:8501/?s=abc"
    discount = values["Annual discount for new contracts (%)"][1]
    assert discount.value == preset.annual_discount and discount.number_format == "0.0%"
    assert values["Billing effect on churn (%)"][1].value == preset.billing_effect
    assert values["Customer lifetime counted (months)"][1].value == preset.lifetime_months
    assert values["Churn uncertainty (% CV)"][1].value == preset.uncertainty.churn
    header = values["Segment input"]
    assert [c.value for c in header[1:]] == [s.name for s in preset.segments]
    price = values["List price per month (USD)"]
    assert [c.value for c in price[1:]] == [s.list_price for s in preset.segments]
    churn = values["Monthly plan: churn (% a month)"]
    assert churn[1].value == preset.segments[0].monthly_churn
    assert churn[1].number_format == "0.0%"
    own = values["This segment's discount for new contracts (%)"]
    assert [c.value for c in own[1:]] == [preset.discount_for(s) for s in preset.segments]
    assert inputs.freeze_panes == "B2"


def test_finance_workbook_tables_have_human_headers_formats_and_frozen_panes() -> None:
    book, (preset, _, _) = _finance_workbook(link=None)
    sheet = book["Projection"]
    frame = project(preset)
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["Month", "Segment", "Billing term", "Customers at month end"]
    assert "New MRR (USD)" in headers and "Deferred revenue, month end (USD)" in headers
    assert sheet.freeze_panes == "D2"  # header row and month, segment, term
    assert sheet.max_row == frame.height + 1
    col = headers.index("MRR (USD)") + 1
    assert sheet.cell(2, col).value == pytest.approx(frame.item(0, "mrr"), rel=1e-15)
    assert sheet.cell(2, col).number_format == "#,##0;-#,##0"
    assert sheet.cell(2, 4).number_format == "#,##0.0"
    letter = openpyxl.utils.get_column_letter(col)
    assert sheet.column_dimensions[letter].width >= 10
    assert book["Summary"]["B2"].value == "(this scenario is too large for a link)"
    plans = book["Plans by month"]
    assert plans.freeze_panes == "C2"  # plan and month
    assert "Quick ratio" in [c.value for c in plans[1]]
