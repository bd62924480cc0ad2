"""The app's downloads, built only when clicked: the projection as CSV (safe to open in a
spreadsheet), workbooks (a finance team's workbook: inputs, summary with the decision per
segment, formatted tables), the summary as JSON, and file names from the scenario's name. Pure
(no Streamlit), so the CLI and tests can use them too."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from mrrsim.glossary import TERMS, column_label
from mrrsim.headlines import HEADLINES, headline_label
from mrrsim.metrics import PLANS, Summary
from mrrsim.scenario import Scenario
from mrrsim.ui.text import DECISION_FIELDS, SCENARIO_FIELDS, SEGMENT_FIELDS, UNCERTAINTY_FIELDS

__all__ = [
    "csv_text",
    "excel_bytes",
    "file_stem",
    "finance_workbook",
    "plans_frame",
    "summary_json",
]

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


# Excel number formats by kind of value (the cells keep full precision; only the display is
# rounded). Money carries its currency in the column header.
_NUMBER_FORMATS = {
    "money": "#,##0;-#,##0",
    "count": "#,##0.0",
    "int": "0",
    "pct": "0.0%",
    "number": "0.00",
    "month": "0",
}
_MAX_URL = 2_079  # Excel's limit on a link's length; a longer one is written as text


class _Formats:
    """The workbook's cell formats, made once per workbook."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.header = workbook.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bottom": 1, "bg_color": "#F2F2F2"}
        )
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.bold = workbook.add_format({"bold": True})
        self.wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.number = {
            kind: workbook.add_format({"num_format": fmt}) for kind, fmt in _NUMBER_FORMATS.items()
        }

    def of(self, kind: str) -> Format | None:
        """The number format of a kind of value (None: text)."""
        return self.number.get(kind)


def _header(key: str, currency: str) -> str:
    """A column's header: its glossary label, money with its currency ('MRR (USD)')."""
    term = TERMS.get(key)
    if term is not None and term.kind == "money":
        return f"{term.label} ({currency})"
    return column_label(key)


def _write_cell(sheet: Worksheet, row: int, col: int, value: Any, fmt: Format | None) -> None:
    """A value as a number (formatted) or as text, never as a formula or a link."""
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)  # the format: wrapped text, for one


def _table_sheet(
    workbook: xlsxwriter.Workbook, name: str, frame: pl.DataFrame, currency: str, fm: _Formats
) -> None:
    """One engine table: the glossary's headers, number formats by kind, the header row and
    the key columns (month, plan, segment, term) frozen, widths to fit the headers, a filter."""
    sheet = workbook.add_worksheet(name[:31])
    keys = [c for c in frame.columns if c in ("plan", "month", "segment", "term")]
    for col, key in enumerate(frame.columns):
        header = _header(key, currency)
        sheet.write_string(0, col, header, fm.header)
        term = TERMS.get(key)
        kind = term.kind if term is not None else "number"
        width = min(max(len(header) * 0.6 + 3, 10), 28) if kind != "text" else 16
        sheet.set_column(col, col, width, fm.of(kind))
        for row, value in enumerate(frame.get_column(key).to_list(), start=1):
            _write_cell(sheet, row, col, value, fm.of(kind))
    sheet.set_row(0, 45)
    sheet.freeze_panes(1, len(keys))
    sheet.autofilter(0, 0, frame.height, frame.width - 1)


def _write_link(sheet: Worksheet, row: int, col: int, link: str | None) -> None:
    if not link:
        sheet.write_string(row, col, "(this scenario is too large for a link)")
    elif len(link) <= _MAX_URL:
        sheet.write_url(row, col, link, string=link)
    else:
        sheet.write_string(row, col, link)


def _summary_sheet(
    workbook: xlsxwriter.Workbook,
    scenario: Scenario,
    plans: Mapping[str, Summary],
    decision: pl.DataFrame,
    link: str | None,
    fm: _Formats,
) -> None:
    """The headline figures of the three plans and the decision per segment."""
    sheet = workbook.add_worksheet("Summary")
    currency = scenario.currency
    sheet.write_string(0, 0, scenario.name, fm.title)
    sheet.write_string(1, 0, "Share link", fm.bold)
    _write_link(sheet, 1, 1, link)
    sheet.write_string(2, 0, "Horizon", fm.bold)
    sheet.write_string(2, 1, f"{scenario.horizon_months} months")

    top = 4
    for col, text in enumerate(("Figure", *PLANS)):
        sheet.write_string(top, col, text, fm.header)
    row = top
    for h in HEADLINES:
        if h.key == "break_even_discount":
            continue
        row += 1
        label = headline_label(h) + (f" ({currency})" if h.kind == "money" else "")
        sheet.write_string(row, 0, label)
        for col, plan in enumerate(PLANS, start=1):
            _write_cell(sheet, row, col, plans[plan][h.key], fm.of(h.kind))

    row += 2
    sheet.write_string(row, 0, "Monthly or annual, and at what discount? (per segment)", fm.bold)
    row += 1
    columns = [
        "segment",
        "verdict",
        "discount_now",
        "break_even_discount",
        "optimal_discount",
        "value_at_current",
        "value_at_optimal",
        "gain",
        "explanation",
    ]
    for col, key in enumerate(columns):
        sheet.write_string(row, col, _header(key, currency), fm.header)
    for record in decision.select(columns).iter_rows(named=True):
        row += 1
        for col, key in enumerate(columns):
            term = TERMS[key]
            fmt = fm.wrap if key == "explanation" else fm.of(term.kind)
            _write_cell(sheet, row, col, record[key], fmt)
    row += 1
    overall = plans[PLANS[0]]["break_even_discount"]
    # the blended break-even, under the segments' break-even column
    sheet.write_string(row, 0, "All segments (weighted by new customers)")
    _write_cell(sheet, row, 3, overall, fm.of("pct"))

    answers = max((len(str(v)) for v in decision.get_column("verdict").to_list()), default=0)
    sheet.set_column(0, 0, 44)
    sheet.set_column(1, 1, max(16, answers + 2))  # each answer whole
    sheet.set_column(2, 7, 16)
    sheet.set_column(8, 8, 80)
    sheet.freeze_panes(top + 1, 1)


def _field_value(model: Any, name: str) -> Any:
    if name in ("conversion_first", "conversion_last"):
        months = model.conversion_months
        return None if months is None else months[0 if name == "conversion_first" else 1]
    return getattr(model, name)


def _inputs_sheet(
    workbook: xlsxwriter.Workbook, scenario: Scenario, link: str | None, fm: _Formats
) -> None:
    """Every input: the scenario's, the decision's assumptions, the uncertainty, and one column
    per segment; labels as in the editor, percentages and money formatted."""
    sheet = workbook.add_worksheet("Inputs")
    sheet.write_string(0, 0, "Input", fm.header)
    sheet.write_string(0, 1, "Value", fm.header)
    rows: list[tuple[str, Any, str]] = [
        ("Scenario name", scenario.name, "text"),
        ("Description", scenario.description, "text"),
    ]
    for field in (*SCENARIO_FIELDS, *DECISION_FIELDS):
        if field.name not in ("name", "description"):
            rows.append((field.label, getattr(scenario, field.name), field.kind))
    for field in UNCERTAINTY_FIELDS:
        rows.append((field.label, getattr(scenario.uncertainty, field.name), field.kind))
    sheet.write_string(1, 0, "Share link")
    _write_link(sheet, 1, 1, link)
    row = 1
    last = max(3, len(scenario.segments))  # the value columns (one per segment below)
    for label, value, kind in rows:
        row += 1
        sheet.write_string(row, 0, label)
        if label == "Description" and value:
            # across every value column, wrapped, the row as tall as its lines (Excel does not
            # size a merged cell's row): a column 22 wide made it a tower of short lines
            chars = 22 * last
            lines = sum(-(-max(len(part), 1) // chars) for part in str(value).splitlines())
            sheet.merge_range(row, 1, row, last, "", fm.wrap)
            sheet.write_string(row, 1, str(value), fm.wrap)
            sheet.set_row(row, 15 * min(max(lines, 1), 40))
            continue
        _write_cell(sheet, row, 1, value, fm.wrap if kind in ("text", "longtext") else fm.of(kind))

    row += 2
    sheet.write_string(row, 0, "Segment input", fm.header)
    for col, seg in enumerate(scenario.segments, start=1):
        sheet.write_string(row, col, seg.name, fm.header)
    for field in SEGMENT_FIELDS:
        if field.name == "name":
            continue
        row += 1
        label = field.label + (f" ({scenario.currency})" if field.kind == "money" else "")
        sheet.write_string(row, 0, label)
        for col, seg in enumerate(scenario.segments, start=1):
            value = _field_value(seg, field.name)
            if field.name == "annual_discount" and value is None:
                value = scenario.discount_for(seg)
            _write_cell(sheet, row, col, value, fm.of(field.kind))
    if any(seg.existing_annual_renewals for seg in scenario.segments):
        row += 1
        sheet.write_string(row, 0, "Existing annual customers renewing, months 1-12")
        for col, seg in enumerate(scenario.segments, start=1):
            renewals = seg.existing_annual_renewals
            text = "" if not renewals else ", ".join(f"{x:,.1f}" for x in renewals)
            sheet.write_string(row, col, text)
    sheet.set_column(0, 0, 52)
    sheet.set_column(1, max(1, len(scenario.segments)), 22)
    sheet.freeze_panes(1, 1)


def finance_workbook(
    scenario: Scenario,
    plans: Mapping[str, Summary],
    decision: pl.DataFrame,
    link: str | None,
    tables: Mapping[str, pl.DataFrame],
) -> bytes:
    """An .xlsx a finance team can use: Summary (the headline figures of the three plans and
    the decision per segment, from ``decision.decision_table``), Inputs (scenario name, every
    input, the share link), then one sheet per engine table in ``tables`` (human headers,
    money and percent formats, frozen header panes, fitted widths). Values at full
    precision; text is never turned into a formula or a link."""
    buffer = io.BytesIO()
    options = {"strings_to_formulas": False, "strings_to_urls": False, "in_memory": True}
    with xlsxwriter.Workbook(buffer, options) as workbook:
        fm = _Formats(workbook)
        _summary_sheet(workbook, scenario, plans, decision, link, fm)
        _inputs_sheet(workbook, scenario, link, fm)
        for name, frame in tables.items():
            _table_sheet(workbook, name, frame, scenario.currency, fm)
    return buffer.getvalue()
