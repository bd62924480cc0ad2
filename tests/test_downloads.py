"""mrrsim.downloads: workbooks at full precision, file names from scenario names, the summary
JSON equal to summarize() of each plan."""

from __future__ import annotations

import io
import json
import zipfile

import polars as pl

from mrrsim.downloads import excel_bytes, file_stem, plans_frame, summary_json
from mrrsim.metrics import PLANS, summarize
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
