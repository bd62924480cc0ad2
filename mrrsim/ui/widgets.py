"""Small page helpers: the page header, full-width charts and money columns."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl
import streamlit as st
from altair.utils import schemapi

from mrrsim.charts import vega_spec
from mrrsim.glossary import TERMS
from mrrsim.scenario import Scenario
from mrrsim.ui.editor import ensure_in_frame

# Altair checks each schema object against the Vega-Lite JSON schema as it is built ("debug
# mode"), which costs more than building the chart. Every builder in ``mrrsim.charts`` is
# validated by the chart tests, so the app builds its charts unchecked.
schemapi.disable_debug_mode()

__all__ = [
    "glossary_columns",
    "keep_widget_values",
    "money_column",
    "page_header",
    "show_chart",
    "show_spec",
]


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


def keep_widget_values(defaults: dict[str, Any]) -> None:
    """Give each widget key its default (first run) or keep its value (later runs), for the
    inputs of a tab that a run may leave closed, and so not draw: Streamlit forgets the value
    of a widget a run does not draw; writing it back through session state keeps it. Those
    widgets take their defaults from here, not from ``value=`` (a widget given both warns)."""
    for key, default in defaults.items():
        st.session_state[key] = st.session_state.get(key, default)


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


def glossary_columns(columns: list[str], currency: str) -> dict[str, Any]:
    """``column_config`` for a table of engine columns (shown through ``glossary.for_screen``):
    the glossary's label as header, money in the currency, whole customers with thousands
    separators, percentages, months as plain numbers."""
    config: dict[str, Any] = {}
    for col in columns:
        term = TERMS.get(col)
        if term is None:
            continue
        if term.kind == "money":
            config[col] = money_column(term.label, currency)
        elif term.kind == "count":
            config[col] = st.column_config.NumberColumn(term.label, format="localized")
        elif term.kind == "pct":
            config[col] = st.column_config.NumberColumn(term.label, format="percent")
        elif term.kind == "month":
            config[col] = st.column_config.NumberColumn(term.label, format="%d")
        elif term.kind == "number":
            config[col] = st.column_config.NumberColumn(term.label, format="%.2f")
        else:
            config[col] = st.column_config.TextColumn(term.label)
    return config
