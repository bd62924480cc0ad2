"""A printable one-page decision summary for a board pack (PDF): the answer per segment and
why, the headline figures of your mix against all-monthly and all-annual, the main chart, the
inputs and the share link. Pure (no Streamlit): fpdf2 lays the page out, vl-convert renders the
chart's Vega-Lite spec to PNG without a browser (both imported only when a summary is made:
they take seconds to import). The fonts (DejaVu Sans) ship with mrrsim, so
any currency symbol, the true minus and user text print the same on every machine."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from mrrsim.formatting import fmt_money, fmt_pct
from mrrsim.glossary import column_label
from mrrsim.headlines import HEADLINES, fmt_value, headline_label
from mrrsim.metrics import PLANS, Summary
from mrrsim.scenario import Scenario

if TYPE_CHECKING:
    from fpdf import FPDF

__all__ = ["chart_png", "decision_pdf"]

_FONTS = Path(__file__).resolve().parent / "fonts"
_FONT = "DejaVu"
_GREY = (242, 242, 242)
_INK = (33, 37, 41)
_MUTED = (95, 99, 104)


def chart_png(spec: dict[str, Any], width: int = 760, height: int = 230) -> bytes:
    """A Vega-Lite spec (``charts.vega_spec``) as a PNG at twice the size, for print. The spec
    fits its container on screen; here it gets a fixed width."""
    datasets = {
        name: rows.to_dicts() if isinstance(rows, pl.DataFrame) else rows
        for name, rows in spec.get("datasets", {}).items()
    }
    fixed = {**spec, "width": width, "height": height, "datasets": datasets}
    fixed["autosize"] = {"type": "fit", "contains": "padding"}
    import vl_convert  # a 2 s import: only when a summary is asked for

    return bytes(vl_convert.vegalite_to_png(fixed, scale=2))


def _pdf() -> FPDF:
    from fpdf import FPDF  # a 3 s import (fontTools): only when a summary is asked for

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(12, 10, 12)
    pdf.set_auto_page_break(auto=False)
    pdf.add_font(_FONT, "", str(_FONTS / "DejaVuSans.ttf"))
    pdf.add_font(_FONT, "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title("Monthly or annual billing: decision summary")
    pdf.add_page()
    pdf.set_text_color(*_INK)
    return pdf


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(1.5)
    pdf.set_font(_FONT, "B", 10.5)
    pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, rows: list[list[str]], widths: tuple[float, ...], size: float = 7.5) -> None:
    from fpdf.fonts import FontFace

    pdf.set_font(_FONT, "", size)
    heading = FontFace(emphasis="BOLD", fill_color=_GREY)
    with pdf.table(
        rows,
        col_widths=widths,
        width=pdf.epw,
        text_align="LEFT",
        line_height=size * 0.5,
        padding=(0.8, 1.2),
        headings_style=heading,
        borders_layout="HORIZONTAL_LINES",
    ):
        pass


def _decision_rows(decision: pl.DataFrame, currency: str) -> list[list[str]]:
    keys = ("segment", "verdict", "discount_now", "break_even_discount", "optimal_discount")
    rows = [[column_label(k) for k in keys] + [column_label("value_at_current")]]
    for r in decision.iter_rows(named=True):
        rows.append(
            [
                r["segment"],
                r["verdict"],
                fmt_pct(r["discount_now"]),
                fmt_pct(r["break_even_discount"]),
                fmt_pct(r["optimal_discount"]),
                fmt_money(r["value_at_current"], currency, compact=False),
            ]
        )
    return rows


def _figure_rows(plans: Mapping[str, Summary], currency: str) -> list[list[str]]:
    rows = [["Figure", *PLANS]]
    for h in HEADLINES:
        if h.key == "break_even_discount":
            continue
        rows.append(
            [headline_label(h), *(fmt_value(h.kind, plans[p][h.key], currency) for p in PLANS)]
        )
    return rows


def _inputs_lines(scenario: Scenario) -> list[str]:
    """The inputs in a few lines: the scenario's, then one line per segment."""
    cur = scenario.currency
    lines = [
        f"Horizon {scenario.horizon_months} months · annual discount for new contracts "
        f"{fmt_pct(scenario.annual_discount)} · cost of capital {fmt_pct(scenario.cost_of_capital)}"
        f" a year · billing effect on churn {fmt_pct(scenario.billing_effect)} · customer "
        f"lifetime counted {scenario.lifetime_months} months · currency {cur}"
    ]
    for seg in scenario.segments:
        lines.append(
            f"{seg.name}: list price {fmt_money(seg.list_price, cur, compact=False)} a month · "
            f"{seg.new_customers:,.0f} new customers a month "
            f"({fmt_pct(seg.acquisition_growth)} growth) · "
            f"{fmt_pct(seg.annual_share)} choose annual at {fmt_pct(scenario.discount_for(seg))} "
            f"off ({fmt_pct(seg.annual_share_at_no_discount)} with none) · monthly churn "
            f"{fmt_pct(seg.monthly_churn)} · annual non-renewal {fmt_pct(seg.annual_churn)} · "
            f"existing {seg.existing_monthly_customers:,.0f} monthly, "
            f"{seg.existing_annual_customers:,.0f} annual"
        )
    return lines


def decision_pdf(
    scenario: Scenario,
    plans: Mapping[str, Summary],
    decision: pl.DataFrame,
    link: str | None,
    chart: bytes | None = None,
) -> bytes:
    """One A4 page: the answer per segment (``decision.decision_table``) and why, the headline
    figures of the three plans, the chart (a PNG, e.g. ``chart_png``), the inputs, the link."""
    currency = scenario.currency
    pdf = _pdf()
    pdf.set_font(_FONT, "B", 15)
    pdf.multi_cell(0, 7, scenario.name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, "", 8.5)
    pdf.set_text_color(*_MUTED)
    pdf.cell(
        0, 5, "Monthly or annual billing: decision summary (mrrsim)", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_text_color(*_INK)

    _heading(pdf, "Monthly or annual, and at what discount?")
    _table(pdf, _decision_rows(decision, currency), (14, 30, 11, 11, 11, 16))
    pdf.ln(1)
    pdf.set_font(_FONT, "", 7.5)
    for sentence in decision.get_column("explanation"):
        pdf.multi_cell(0, 3.6, f"•  {sentence}", align="L", new_x="LMARGIN", new_y="NEXT")
    overall = plans[PLANS[0]]["break_even_discount"]
    pdf.set_text_color(*_MUTED)
    pdf.multi_cell(
        0,
        3.6,
        "Value per new customer: cash over "
        f"{scenario.lifetime_months} months, discounted at {fmt_pct(scenario.cost_of_capital)} a "
        f"year. Break-even discount, all segments weighted by new customers: {fmt_pct(overall)}.",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(*_INK)

    _heading(
        pdf,
        f"The next {scenario.horizon_months} months: your mix against billing everyone one way",
    )
    _table(pdf, _figure_rows(plans, currency), (22, 12, 12, 12))
    if chart is not None:
        pdf.ln(2)
        pdf.image(io.BytesIO(chart), w=pdf.epw)

    _heading(pdf, "Inputs")
    pdf.set_font(_FONT, "", 7)
    for line in _inputs_lines(scenario):
        pdf.multi_cell(0, 3.4, line, align="L", new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "Open this scenario")
    pdf.set_font(_FONT, "", 6.5)
    pdf.set_text_color(20, 90, 180)
    if link:
        from fpdf.enums import WrapMode

        pdf.multi_cell(0, 3, link, link=link, wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.multi_cell(0, 3, "(this scenario is too large for a link)")
    return bytes(pdf.output())
