"""The app's downloads, built only when clicked: the projection as CSV (safe to open in a
spreadsheet), workbooks, the summary as JSON, and file names from the scenario's name. Pure
(no Streamlit), so the CLI and tests can use them too."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping

import polars as pl
import xlsxwriter

from mrrsim.metrics import PLANS, Summary
from mrrsim.scenario import Scenario

__all__ = ["csv_text", "excel_bytes", "file_stem", "plans_frame", "summary_json"]

# A spreadsheet runs a text cell that starts with one of these as a formula.
_FORMULA_START = r"^[=+\-@\t\r]"


def csv_text(frame: pl.DataFrame) -> str:
    """The frame as CSV for people who open it in a spreadsheet: a text cell that would run as
    a formula (it starts with =, +, -, @, a tab or a carriage return, e.g. a segment named
    ``=HYPERLINK(...)`` from someone else's link) gets a leading apostrophe, as OWASP advises
    against CSV injection. Numbers are written unchanged, at full precision."""
    text = frame.select(pl.col(pl.String)).columns
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(_FORMULA_START))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text
    ).write_csv()


def excel_bytes(sheets: Mapping[str, pl.DataFrame]) -> bytes:
    """An .xlsx workbook with one sheet per frame (full precision, autofit columns). Text is
    always written as text: never turned into a formula or a link, whatever it starts with."""
    buffer = io.BytesIO()
    options = {"strings_to_formulas": False, "strings_to_urls": False}
    with xlsxwriter.Workbook(buffer, options) as workbook:
        for name, frame in sheets.items():
            frame.write_excel(workbook, worksheet=name[:31], autofit=True)
    return buffer.getvalue()


def file_stem(scenario: Scenario) -> str:
    """A file name from the scenario's name: lower case letters, digits and single hyphens, at
    most 60 characters ('scenario' when nothing is left)."""
    stem = "".join(c if c.isalnum() else "-" for c in scenario.name.lower()).strip("-")
    return "-".join(part for part in stem.split("-") if part)[:60] or "scenario"


def plans_frame(plans: Mapping[str, Summary]) -> pl.DataFrame:
    """One row per plan: its name and every summary figure."""
    return pl.DataFrame([{"plan": plan, **summ.to_dict()} for plan, summ in plans.items()])


def summary_json(scenario: Scenario, plans: Mapping[str, Summary]) -> str:
    """The scenario, your mix's summary and every plan's (keyed by ``metrics.PLANS``), as
    indented JSON."""
    return json.dumps(
        {
            "scenario": scenario.to_dict(),
            "summary": plans[PLANS[0]].to_dict(),
            "plans": {plan: summ.to_dict() for plan, summ in plans.items()},
        },
        indent=2,
        ensure_ascii=False,
    )
