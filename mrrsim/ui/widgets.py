"""Small page helpers: the page header, full-width charts, money columns and Excel files."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import altair as alt
import polars as pl
import streamlit as st
import xlsxwriter
from altair.utils import schemapi

from mrrsim.charts import vega_spec
from mrrsim.scenario import Scenario
from mrrsim.ui.editor import ensure_in_frame

# Altair checks each schema object against the Vega-Lite JSON schema as it is built ("debug
# mode"), which costs more than building the chart. Every builder in ``mrrsim.charts`` is
# validated by the chart tests, so the app builds its charts unchecked.
schemapi.disable_debug_mode()

__all__ = [
    "csv_text",
    "excel_bytes",
    "money_column",
    "page_header",
    "show_chart",
    "show_spec",
]

# A spreadsheet runs a text cell that starts with one of these as a formula.
_FORMULA_START = r"^[=+\-@\t\r]"


def page_header(title: str, scenario: Scenario, caption: str | None = None) -> None:
    """The page title, then the scenario's name (as plain text) and an optional caption.

    A page drawn outside app.py's frame (Streamlit's old pages/-folder mode) reruns through
    it first (``editor.ensure_in_frame``)."""
    ensure_in_frame()
    st.title(title)
    st.text(scenario.name)
    if caption:
        st.caption(caption)


def _warm_up() -> None:
    """Do once, at import, what the first run of every session would otherwise race to do.

    Altair and narwhals import pandas and pyarrow lazily when a chart first meets its data, and
    numpy loads ``numpy.random`` on first use. When the first runs of several sessions did that
    at once, each in its own script thread, one could see a half-imported module
    (``AttributeError: partially initialized module 'pandas'``; found by the load benchmark).
    Done here, it happens once, while this module's import lock keeps other sessions waiting."""
    import numpy.random  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    frame = pl.DataFrame({"month": [1, 2], "value": [0.0, 1.0], "series": ["a", "b"]})
    vega_spec(alt.Chart(frame).mark_line().encode(x="month:Q", y="value:Q", color="series:N"))


_warm_up()


def show_chart(chart: alt.TopLevelMixin, **kwargs: Any) -> None:
    """An Altair chart at the container's full width, with Streamlit's theme."""
    show_spec(vega_spec(chart), **kwargs)


def show_spec(spec: dict[str, Any], **kwargs: Any) -> None:
    """A spec from ``charts.vega_spec`` (e.g. one cached with its engine results) at full width."""
    st.vega_lite_chart(spec, width="stretch", **kwargs)


def money_column(label: str, currency: str) -> Any:
    """A ``st.column_config.NumberColumn`` for amounts in the scenario's currency."""
    presets = {"USD": "dollar", "EUR": "euro", "JPY": "yen"}
    return st.column_config.NumberColumn(
        f"{label} ({currency})", format=presets.get(currency.upper(), "localized")
    )


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
