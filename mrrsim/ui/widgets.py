"""Small page helpers: the page header, full-width charts, money columns and Excel files."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import altair as alt
import polars as pl
import streamlit as st
import xlsxwriter

from mrrsim.scenario import Scenario

__all__ = ["excel_bytes", "money_column", "page_header", "show_chart"]


def page_header(title: str, scenario: Scenario, caption: str | None = None) -> None:
    """The page title, then the scenario's name (as plain text) and an optional caption."""
    st.title(title)
    st.text(scenario.name)
    if caption:
        st.caption(caption)


def show_chart(chart: alt.TopLevelMixin, **kwargs: Any) -> None:
    """An Altair chart at the container's full width, with Streamlit's theme.

    The chart goes to the browser as its Vega-Lite spec without Altair's JSON-schema
    validation, which costs more than building the chart (the chart tests validate every
    builder's spec instead)."""
    show_spec(chart.to_dict(validate=False), **kwargs)


def show_spec(spec: dict[str, Any], **kwargs: Any) -> None:
    """A ready Vega-Lite spec (e.g. one cached with its engine results) at full width."""
    st.vega_lite_chart(spec, width="stretch", **kwargs)


def money_column(label: str, currency: str) -> Any:
    """A ``st.column_config.NumberColumn`` for amounts in the scenario's currency."""
    presets = {"USD": "dollar", "EUR": "euro", "JPY": "yen"}
    return st.column_config.NumberColumn(
        f"{label} ({currency})", format=presets.get(currency.upper(), "localized")
    )


def excel_bytes(sheets: Mapping[str, pl.DataFrame]) -> bytes:
    """An .xlsx workbook with one sheet per frame (full precision, autofit columns)."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        for name, frame in sheets.items():
            frame.write_excel(workbook, worksheet=name[:31], autofit=True)
    return buffer.getvalue()
