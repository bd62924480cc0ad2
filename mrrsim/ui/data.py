"""The "Your data" page: upload a subscription export (or use the bundled sample), see the
actual MRR history, the calibrated estimates, and load them as the scenario being edited.

Reading, history and calibration are cached by the SHA-256 of the file's bytes (and the as-of
month and window), so reruns cost nothing. The file lives in this session's memory only: it is
never written to disk, and share links carry the scenario alone. The actual history is kept in
session state for the Planner, which draws it before month 0 (``show_history_overlay``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from mrrsim.billing import Calibration, Export, calibrate, history, read_export
from mrrsim.billing.history import actual_and_projected
from mrrsim.billing.sample import SAMPLE_PATH
from mrrsim.charts import history as charts_history
from mrrsim.downloads import csv_text
from mrrsim.formatting import fmt_pct
from mrrsim.scenario import Scenario, ScenarioError, parse_scenario
from mrrsim.ui.editor import load_scenario_into_editor
from mrrsim.ui.engine import project_cached
from mrrsim.ui.text import SEGMENT_FIELDS, escape_md
from mrrsim.ui.widgets import page_header, show_chart

__all__ = ["MAX_UPLOAD_MB", "render_your_data", "show_history_overlay"]

MAX_UPLOAD_MB = 50
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1_000_000
PLANNER = Path(__file__).resolve().parents[2] / "pages" / "planner.py"
_UPLOAD = "data.upload"
_USE_SAMPLE = "data.use_sample"
_GO_PLANNER = "data.go_planner"
_HISTORY = "mrrsim.history"  # {"history": frame, "as_of": "YYYY-MM", "currency": str, "source"}
_LABELS = {f.name: f.label for f in SEGMENT_FIELDS} | {
    "existing_annual_discount": "Existing annual contracts: discount (%)",
    "existing_annual_renewals": "Existing annual customers renewing in months 1–12",
}


@st.cache_data(max_entries=4, show_spinner="Reading the export…")
def _read(digest: str, _data: bytes) -> tuple[Export, pl.DataFrame]:
    """The export and its history (with customer counts), keyed by the bytes' digest."""
    export = read_export(_data)
    return export, history(export, detail=True) if export.usable else pl.DataFrame()


@st.cache_data(max_entries=16, show_spinner="Calibrating…")
def _calibrate(digest: str, _data: bytes, as_of: str, window: int) -> Calibration | str:
    """The calibration, or why there is none, keyed by digest, as-of month and window."""
    export, _ = _read(digest, _data)
    try:
        return calibrate(export, as_of=as_of, window=window)
    except ValueError as exc:
        return str(exc)


@st.cache_data(max_entries=1, show_spinner=False)
def _sample_bytes() -> bytes:
    return SAMPLE_PATH.read_bytes()


def _on_sample() -> None:
    st.session_state[_USE_SAMPLE] = True


def _on_upload() -> None:
    st.session_state[_USE_SAMPLE] = False


def _on_use(scenario: dict[str, Any], hist: pl.DataFrame, as_of: str, source: str) -> None:
    """Load the calibrated scenario into the editor (a callback: before the editor draws)."""
    try:
        loaded = parse_scenario(scenario)
    except ScenarioError as exc:
        st.session_state["data.use_error"] = exc.problems
        return
    load_scenario_into_editor(loaded)
    st.session_state["ed.preset"] = None
    st.session_state[_HISTORY] = {
        "history": hist.filter(pl.col("segment") == "all").select("month", "segment", "mrr"),
        "as_of": as_of,
        "source": source,
    }
    st.session_state[_GO_PLANNER] = True


def _source() -> tuple[bytes, str] | None:
    """The chosen file's bytes and a name for it, or None (an oversized upload is refused)."""
    upload = st.session_state.get(_UPLOAD)
    if st.session_state.get(_USE_SAMPLE) or upload is None:
        return (_sample_bytes(), "the sample export") if st.session_state.get(_USE_SAMPLE) else None
    if upload.size > MAX_UPLOAD_BYTES:
        st.error(
            f"The file is {upload.size / 1e6:,.1f} MB; the limit is {MAX_UPLOAD_MB} MB. Export "
            "fewer months, or use `python -m mrrsim calibrate` on your own computer.",
            icon=":material/error:",
        )
        return None
    return upload.getvalue(), "your export"


def _value_text(field: str, value: float, calendar: tuple[int, ...], currency: str) -> str:
    if field == "existing_annual_renewals":
        return ", ".join(str(n) for n in calendar)
    if field == "list_price":
        return f"{value:,.2f} {currency}"
    if field == "new_customers":
        return f"{value:,.1f} a month"
    if field.startswith("existing_") and field.endswith("_customers"):
        return f"{int(value):,}"
    return fmt_pct(value, 2)


def _range_text(kind: str, low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "exact (from the rows)" if kind in ("count", "list", "money") else "—"
    if kind == "rate":
        return f"{fmt_pct(low, 2)} to {fmt_pct(high, 2)}"
    return f"{low:,.1f} to {high:,.1f}"


def estimates_table(result: Calibration, currency: str) -> pl.DataFrame:
    """The estimates as text columns a leader reads: segment, input, estimate, 90% range,
    sample size and what it rests on."""
    rows = []
    for e in result.estimates:
        if e.field == "existing_annual_discount" or e.field == "annual_discount":
            kind = "rate"
        else:
            kind = e.kind
        rows.append(
            {
                "Segment": e.segment,
                "Input": _LABELS.get(e.field, e.field),
                "Estimate": _value_text(e.field, e.value, e.calendar, currency),
                "90% range": _range_text(kind, e.low, e.high),
                "Sample": f"{e.sample:,}",
                "Based on": e.basis + (f" — {e.warning}" if e.warning else ""),
            }
        )
    return pl.DataFrame(rows)


def _summary(export: Export, hist: pl.DataFrame, name: str) -> str:
    months = hist.get_column("month") if hist.height else None
    span = f"{months.min()!s} to {months.max()!s}" if months is not None else "no complete month"
    fmt = {"baremetrics": "Baremetrics import template", "stripe": "Stripe subscriptions"}
    return (
        f"Read {name} ({fmt.get(export.format, export.format)}): {export.rows_read:,} rows, "
        f"{export.subscriptions.height:,} subscriptions used, {export.rows_skipped:,} rows "
        f"skipped, {export.rows_excluded:,} not counted as MRR. History {span}, in "
        f"{export.currency}."
    )


def _problems(export: Export) -> None:
    if not export.problems:
        return
    head = (
        "The file cannot be used:"
        if not export.usable
        else f"{export.rows_skipped:,} rows have problems and are left out:"
    )
    st.error(head, icon=":material/error:")
    with st.expander(f"{len(export.problems)} problem lines", expanded=not export.usable):
        st.text("\n".join(export.problems))


def _uploader() -> None:
    left, right = st.columns([3, 2])
    left.file_uploader(
        f"Subscription export (CSV, up to {MAX_UPLOAD_MB} MB)",
        type=["csv"],
        key=_UPLOAD,
        on_change=_on_upload,
        max_upload_size=MAX_UPLOAD_MB,
        help="Baremetrics' import template, or Stripe subscriptions (API field names or the "
        "Dashboard's export). One currency per file.",
    )
    with right:
        st.button(
            "Try the sample export", key="data.sample", on_click=_on_sample,
            icon=":material/science:", width="stretch",
        )  # fmt: skip
        st.download_button(
            "Download the sample export (CSV)", data=_sample_bytes(),
            file_name="sample-subscriptions.csv", mime="text/csv", on_click="ignore",
            icon=":material/download:", width="stretch",
        )  # fmt: skip


def render_your_data(scenario: Scenario) -> None:
    """The whole "Your data" page."""
    if st.session_state.pop(_GO_PLANNER, False):
        st.switch_page(PLANNER)
    page_header(
        "Your data",
        scenario,
        "Start from your billing records: your actual MRR history, and a scenario whose "
        "rates, existing customers, signed prices and renewal calendar come from them.",
    )
    st.info(
        "Your file is read in this browser session only and never stored. Share links carry "
        "only the scenario, never the uploaded data.",
        icon=":material/lock:",
    )
    _uploader()
    chosen = _source()
    if chosen is None:
        st.caption(
            "No file yet: upload your export, or try the sample (synthetic data of three "
            "tiers over 42 months, made by `python -m mrrsim.billing.sample`)."
        )
        return
    data, name = chosen
    digest = hashlib.sha256(data).hexdigest()
    export, hist = _read(digest, data)
    _problems(export)
    if not export.usable:
        return
    st.caption(_summary(export, hist, name))
    for note in export.notes:
        st.caption(escape_md(note))
    if hist.height == 0:
        st.warning("No subscription was active at the end of a complete month.")
        return
    currency = export.currency
    st.subheader("Actual MRR history")
    show_chart(charts_history.history_mrr_chart(hist, currency))
    show_chart(charts_history.history_movements_chart(hist, currency))
    show_chart(charts_history.logo_churn_chart(hist))
    st.download_button(
        "History (CSV)", data=lambda: csv_text(hist), file_name="mrr-history.csv",
        mime="text/csv", on_click="ignore", icon=":material/table:",
    )  # fmt: skip
    _estimates(data, digest, hist, currency, name)


def _estimates(data: bytes, digest: str, hist: pl.DataFrame, currency: str, name: str) -> None:
    st.subheader("Estimates for a scenario")
    months = hist.get_column("month").unique().sort(descending=True).to_list()
    left, right = st.columns(2)
    as_of = left.selectbox(
        "As of the end of",
        months,
        key=f"data.as_of.{digest[:12]}",  # per file: another file has other months
        help="Month 0 of the scenario.",
    )
    window = right.number_input(
        "Window (months)", min_value=3, max_value=36, value=12, step=1, key="data.window",
        help="The trailing months the rates are estimated over.",
    )  # fmt: skip
    result = _calibrate(digest, data, str(as_of), int(window))
    if isinstance(result, str):
        st.error(escape_md(result), icon=":material/error:")
        return
    for warning in result.warnings:
        st.warning(escape_md(warning), icon=":material/warning:")
    for note in result.notes:
        st.caption(escape_md(note[:1].upper() + note[1:]) + ".")
    st.table(estimates_table(result, currency), hide_index=True)
    st.caption(
        "90% ranges: Wilson intervals for churn and shares, a quasi-Poisson trend for new "
        "customers and their growth, normal intervals for expansion and signed discounts. "
        "Counts, prices and the renewal calendar are exact."
    )
    for problem in st.session_state.pop("data.use_error", []):
        st.error(escape_md(problem), icon=":material/error:")
    left, right = st.columns(2)
    left.button(
        "Use as scenario", type="primary", key="data.use", icon=":material/input:",
        on_click=_on_use, args=(result.scenario, hist, result.as_of, name), width="stretch",
        help="Loads these estimates into the scenario editor and opens the Planner.",
    )  # fmt: skip
    right.download_button(
        "Calibrated scenario (YAML)", data=result.to_yaml(), file_name="calibrated.yaml",
        mime="application/x-yaml", on_click="ignore", icon=":material/description:",
        width="stretch",
    )  # fmt: skip


def show_history_overlay(scenario: Scenario) -> None:
    """On the Planner: actual MRR before month 0 and the projection after it, when a history
    was loaded from the "Your data" page in this session."""
    loaded = st.session_state.get(_HISTORY)
    if not loaded:
        return
    frame = actual_and_projected(loaded["history"], project_cached(scenario), loaded["as_of"])
    show_chart(charts_history.history_projection_chart(frame, scenario.currency))
    st.caption(
        f"Solid: actual month-end MRR from {loaded['source']} up to {loaded['as_of']} "
        "(month 0). Dashed: this scenario's projection. The data stays in this session only."
    )
