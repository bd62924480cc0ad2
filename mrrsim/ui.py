"""The shared Streamlit toolkit of the mrrsim app: scenario state, the sidebar editor, sharing,
cached engine calls and display formatting.

This is the only module outside ``app.py`` and ``pages/`` that imports Streamlit. Pages use it
like this::

    from mrrsim import ui

    scenario = ui.current_scenario()          # the last valid scenario being edited
    ui.page_header("Compare", scenario)       # title + the scenario's name, safely as text
    frame = ui.project_cached(scenario)       # engine calls, cached by the scenario's JSON
    st.metric("Ending MRR", ui.fmt_money(value, scenario.currency))
    ui.show_chart(charts.plan_chart(...))     # full-width Altair chart

How the state works. The sidebar editor's widgets hold what the user typed (valid or not) in
``st.session_state``; every run builds a candidate scenario from them with ``parse_scenario``.
When it is valid it becomes the *current scenario*; when not, each problem is shown next to its
input and the last valid scenario keeps driving every number. A scenario is loaded into the
widgets (``load_scenario_into_editor``) from the share link in the URL (query parameter ``s``),
a preset or an uploaded YAML file. ``sync_query_params`` writes the current scenario back into
the URL on every run of every page, so the address bar is always a working share link.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import polars as pl
import streamlit as st

from mrrsim import share
from mrrsim.charts import currency_symbol
from mrrsim.metrics import PLANS, Summary, plan_comparison, plan_variants, renewal_calendar
from mrrsim.metrics import summarize as _summarize
from mrrsim.projection import project
from mrrsim.scenario import Scenario, ScenarioError, parse_scenario
from mrrsim.yamlio import DEFAULT_PRESET, load_preset, loads_scenario, preset_names

__all__ = [
    "DEFAULT_BASE_URL",
    "SEGMENT_FIELDS",
    "current_scenario",
    "escape_md",
    "fmt_count",
    "fmt_delta_count",
    "fmt_delta_money",
    "fmt_delta_pct",
    "fmt_money",
    "fmt_pct",
    "input_problems",
    "load_scenario_into_editor",
    "page_header",
    "plan_comparison_cached",
    "plan_summaries",
    "project_cached",
    "render_editor",
    "renewal_calendar_cached",
    "share_control",
    "share_token",
    "show_chart",
    "show_notices",
    "summary_cached",
    "sync_query_params",
]

DEFAULT_BASE_URL = "http://localhost:8501/"
MAX_SEGMENTS = 20

# Session-state keys owned by this module (widget keys start with "ed.").
_VALID = "mrrsim.valid"
_SEG_IDS = "mrrsim.seg_ids"
_NEXT_ID = "mrrsim.next_id"
_SHADOW = "mrrsim.shadow"
_LINK_ERROR = "mrrsim.link_error"
_UPLOAD_ERROR = "mrrsim.upload_error"
_PROBLEMS = "mrrsim.problems"
_PRESET = "ed.preset"
_UPLOAD = "ed.upload"

Kind = Literal["text", "longtext", "int", "money", "count", "pct"]


@dataclass(frozen=True)
class Field:
    """One editable scenario field: where it lives, how it is shown, and its unit."""

    name: str
    label: str
    kind: Kind
    step: float = 1.0
    help: str = ""


SCENARIO_FIELDS: tuple[Field, ...] = (
    Field("name", "Scenario name", "text"),
    Field("description", "Description", "longtext"),
    Field("horizon_months", "Horizon (months)", "int", 1, "How many months to project (1-120)."),
    Field(
        "annual_discount",
        "Annual discount (%)",
        "pct",
        0.5,
        "Discount off 12 × the monthly list price for paying a year up front. "
        "A segment can override it.",
    ),
    Field(
        "cost_of_capital",
        "Cost of capital (% a year)",
        "pct",
        0.5,
        "The annual rate used to discount future cash in the NPV of cash.",
    ),
    Field("currency", "Currency", "text", help="Display only, e.g. USD, EUR, GBP."),
)

SEGMENT_FIELDS: tuple[Field, ...] = (
    Field("name", "Segment name", "text"),
    Field("list_price", "List price per month", "money", 1.0, "Month-to-month list price."),
    Field("new_customers", "New customers in month 1", "count", 1.0),
    Field(
        "acquisition_growth",
        "Growth of new customers (% a month)",
        "pct",
        0.5,
        "Month-on-month growth of the number of new customers.",
    ),
    Field(
        "annual_share",
        "New customers choosing annual (%)",
        "pct",
        5.0,
        "Share of new customers that pick the annual prepaid plan.",
    ),
    Field(
        "annual_discount",
        "This segment's annual discount (%)",
        "pct",
        0.5,
        "Overrides the scenario's annual discount for this segment.",
    ),
    Field(
        "monthly_churn",
        "Monthly plan: churn (% a month)",
        "pct",
        0.1,
        "Share of month-to-month customers cancelling each month (logo churn).",
    ),
    Field(
        "annual_churn",
        "Annual plan: non-renewal (% per renewal)",
        "pct",
        1.0,
        "Share of annual customers who do not renew at each yearly renewal.",
    ),
    Field(
        "monthly_expansion",
        "Monthly plan: expansion (% a month)",
        "pct",
        0.1,
        "Net MRR change per month of a retained monthly customer (negative = contraction).",
    ),
    Field(
        "annual_expansion",
        "Annual plan: price change at renewal (%)",
        "pct",
        1.0,
        "Price change of an annual customer at each renewal (upsell or downgrade).",
    ),
    Field("existing_monthly_customers", "Existing monthly customers", "count", 10.0),
    Field("existing_annual_customers", "Existing annual customers", "count", 10.0),
)

UNCERTAINTY_FIELDS: tuple[Field, ...] = (
    Field(
        "churn",
        "Churn uncertainty (% CV)",
        "pct",
        5.0,
        "Coefficient of variation of churn across simulated futures (Predictability page).",
    ),
    Field(
        "acquisition",
        "Acquisition uncertainty (% CV)",
        "pct",
        5.0,
        "Coefficient of variation of new customers across simulated futures.",
    ),
)

_LABELS = (
    {f.name: f for f in SCENARIO_FIELDS}
    | {f"segments.{f.name}": f for f in SEGMENT_FIELDS}
    | {f"uncertainty.{f.name}": f for f in UNCERTAINTY_FIELDS}
)

_NEW_SEGMENT: dict[str, float] = {
    "list_price": 100.0,
    "new_customers": 10.0,
    "acquisition_growth": 0.0,
    "annual_share": 0.3,
    "monthly_churn": 0.03,
    "annual_churn": 0.15,
    "monthly_expansion": 0.0,
    "annual_expansion": 0.0,
    "existing_monthly_customers": 0.0,
    "existing_annual_customers": 0.0,
}


# ---------------------------------------------------------------------------------------------
# Formatting (pure)
# ---------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&^=\"'])")


def escape_md(text: str) -> str:
    """Text safe to put inside Markdown (labels, st.markdown): every markup character escaped,
    so a segment called ``**Pro** :red[x]`` shows exactly that."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_money(value: float | None, currency: str, *, compact: bool = True) -> str:
    """Money as a leader reads it: '$1.23M', '$45.6k', '$950' (compact) or '$1,234,567'."""
    if _missing(value):
        return "—"
    assert value is not None
    sign = "-" if value < 0 else ""
    symbol = currency_symbol(currency)
    amount = abs(value)
    if not compact or amount < 1_000:
        return f"{sign}{symbol}{amount:,.0f}"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if amount >= size * 0.9995:
            scaled = amount / size
            digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
            return f"{sign}{symbol}{scaled:,.{digits}f}{suffix}"
    return f"{sign}{symbol}{amount:,.0f}"


def fmt_delta_money(value: float | None, currency: str) -> str:
    """A signed money difference: '+$12.3k', '-$1.05M', '±$0' when it is (nearly) nothing."""
    if _missing(value):
        return "—"
    assert value is not None
    if abs(value) < 0.5:
        return f"±{currency_symbol(currency)}0"
    return ("+" if value > 0 else "") + fmt_money(value, currency)


def fmt_pct(value: float | None, digits: int = 1) -> str:
    """A fraction as a percentage: 0.153 -> '15.3%'."""
    if _missing(value):
        return "—"
    assert value is not None
    return f"{value * 100:,.{digits}f}%"


def fmt_delta_pct(value: float | None, digits: int = 1) -> str:
    """A difference of two fractions in percentage points: 0.012 -> '+1.2 pp'."""
    if _missing(value):
        return "—"
    assert value is not None
    points = value * 100
    if abs(points) < 0.5 * 10**-digits:
        return "±0 pp"
    return f"{points:+,.{digits}f} pp"


def fmt_count(value: float | None) -> str:
    """A (possibly fractional, expected-value) customer count, rounded: '1,234'."""
    if _missing(value):
        return "—"
    assert value is not None
    return f"{value:,.0f}"


def fmt_delta_count(value: float | None) -> str:
    """A signed customer-count difference: '+1,234', '-56', '±0'."""
    if _missing(value):
        return "—"
    assert value is not None
    if abs(value) < 0.5:
        return "±0"
    return f"{value:+,.0f}"


# ---------------------------------------------------------------------------------------------
# Cached engine calls, keyed by the scenario's JSON (not Streamlit's hashing of the model)
# ---------------------------------------------------------------------------------------------


def _json(scenario: Scenario) -> str:
    return scenario.model_dump_json()


def _from_json(text: str) -> Scenario:
    return Scenario.model_validate_json(text)


@st.cache_data(max_entries=64, show_spinner=False)
def _project(text: str) -> pl.DataFrame:
    return project(_from_json(text))


@st.cache_data(max_entries=64, show_spinner=False)
def _plan_summaries(text: str) -> dict[str, Summary]:
    return {
        plan: _summarize(v) for plan, v in zip(PLANS, plan_variants(_from_json(text)), strict=True)
    }


@st.cache_data(max_entries=64, show_spinner=False)
def _plan_comparison(text: str) -> pl.DataFrame:
    return plan_comparison(_from_json(text))


@st.cache_data(max_entries=64, show_spinner=False)
def _renewal_calendar(text: str) -> pl.DataFrame:
    return renewal_calendar(_from_json(text))


@st.cache_data(max_entries=256, show_spinner=False)
def _share_token(text: str) -> tuple[str | None, str | None]:
    try:
        return share.encode(_from_json(text)), None
    except ScenarioError as exc:
        return None, "; ".join(exc.problems)


@st.cache_data(max_entries=32, show_spinner=False)
def _preset(name: str) -> Scenario:
    return load_preset(name)


def project_cached(scenario: Scenario) -> pl.DataFrame:
    """``projection.project(scenario)``, cached (the SPEC section 4 table)."""
    return _project(_json(scenario))


def summary_cached(scenario: Scenario) -> Summary:
    """``metrics.summarize(scenario)``, cached: the very numbers the CLI prints."""
    return _plan_summaries(_json(scenario))[PLANS[0]]


def plan_summaries(scenario: Scenario) -> dict[str, Summary]:
    """``summarize`` of your mix, all-monthly and all-annual, keyed by ``metrics.PLANS``."""
    return _plan_summaries(_json(scenario))


def plan_comparison_cached(scenario: Scenario) -> pl.DataFrame:
    """``metrics.plan_comparison(scenario)``, cached: monthly totals of the three plans."""
    return _plan_comparison(_json(scenario))


def renewal_calendar_cached(scenario: Scenario) -> pl.DataFrame:
    """``metrics.renewal_calendar(scenario)``, cached."""
    return _renewal_calendar(_json(scenario))


def share_token(scenario: Scenario) -> str | None:
    """The share token of a scenario (cached), or None when it is too large for a link."""
    return _share_token(_json(scenario))[0]


# ---------------------------------------------------------------------------------------------
# Scenario state and the editor's widget values
# ---------------------------------------------------------------------------------------------


def _seg_key(seg_id: int, field: str) -> str:
    return f"ed.seg.{seg_id}.{field}"


def _to_widget(field: Field, value: Any) -> Any:
    if field.kind == "pct":
        return float(value) * 100.0
    if field.kind in ("money", "count"):
        return float(value)
    if field.kind == "int":
        return int(value)
    return str(value)


def _from_widget(field: Field, key: str, value: Any) -> Any:
    """The model value of a widget: the exact loaded value when untouched, else converted."""
    shadow: dict[str, tuple[Any, Any]] = st.session_state.get(_SHADOW, {})
    if key in shadow and shadow[key][0] == value and value is not None:
        return shadow[key][1]
    if field.kind == "pct" and isinstance(value, int | float):
        return round(value / 100.0, 12)
    return value


def _set(key: str, field: Field, value: Any) -> None:
    widget = _to_widget(field, value)
    st.session_state[key] = widget
    st.session_state[_SHADOW][key] = (widget, value)


def _set_segment(seg_id: int, values: Mapping[str, Any], scenario_discount: float) -> None:
    for field in SEGMENT_FIELDS:
        value = values.get(field.name)
        if field.name == "annual_discount":
            st.session_state[_seg_key(seg_id, "own_discount")] = value is not None
            value = scenario_discount if value is None else value
        _set(_seg_key(seg_id, field.name), field, value)


def load_scenario_into_editor(scenario: Scenario) -> None:
    """Make ``scenario`` the current scenario and put every value into the editor's widgets.

    Call it before the editor renders (at session start or from a widget callback)."""
    st.session_state[_SHADOW] = {}
    data = scenario.model_dump(mode="python")
    for field in SCENARIO_FIELDS:
        _set(f"ed.{field.name}", field, data[field.name])
    for field in UNCERTAINTY_FIELDS:
        _set(f"ed.uncertainty.{field.name}", field, data["uncertainty"][field.name])
    start = st.session_state.get(_NEXT_ID, 0)
    ids = list(range(start, start + len(scenario.segments)))
    for seg_id, seg in zip(ids, data["segments"], strict=True):
        _set_segment(seg_id, seg, scenario.annual_discount)
    st.session_state[_SEG_IDS] = ids
    st.session_state[_NEXT_ID] = start + len(ids)
    st.session_state[_VALID] = scenario
    st.session_state[_PROBLEMS] = []


def _initial_scenario() -> Scenario:
    """The scenario in the URL's share link, else the default preset (a bad link is reported)."""
    token = st.query_params.get(share.QUERY_KEY)
    if token:
        try:
            return share.decode(token)
        except ScenarioError as exc:
            st.session_state[_LINK_ERROR] = exc.problems
    return _preset(DEFAULT_PRESET)


def _ensure_state() -> None:
    if _VALID not in st.session_state:
        scenario = _initial_scenario()
        from_link = _LINK_ERROR not in st.session_state and share.QUERY_KEY in st.query_params
        st.session_state[_PRESET] = None if from_link else DEFAULT_PRESET
        load_scenario_into_editor(scenario)
    elif any(k not in st.session_state for k in ("ed.name", "ed.horizon_months")):
        load_scenario_into_editor(st.session_state[_VALID])


def current_scenario() -> Scenario:
    """The scenario the app is showing: the last valid state of the sidebar editor.

    At a session's start it comes from the share link in the URL (``?s=``) or, without one or
    when the link is bad, from the default preset."""
    _ensure_state()
    return st.session_state[_VALID]


def input_problems() -> list[str]:
    """The problems of what is currently typed in the editor (empty when it is valid)."""
    return list(st.session_state.get(_PROBLEMS, []))


def _candidate() -> dict[str, Any]:
    """The scenario as plain data, from the editor's widgets (may be invalid)."""
    ss = st.session_state
    data: dict[str, Any] = {
        f.name: _from_widget(f, f"ed.{f.name}", ss.get(f"ed.{f.name}")) for f in SCENARIO_FIELDS
    }
    segments = []
    for seg_id in ss[_SEG_IDS]:
        seg: dict[str, Any] = {}
        for f in SEGMENT_FIELDS:
            key = _seg_key(seg_id, f.name)
            if f.name == "annual_discount" and not ss.get(_seg_key(seg_id, "own_discount")):
                continue
            seg[f.name] = _from_widget(f, key, ss.get(key))
        segments.append(seg)
    data["segments"] = segments
    data["uncertainty"] = {
        f.name: _from_widget(f, f"ed.uncertainty.{f.name}", ss.get(f"ed.uncertainty.{f.name}"))
        for f in UNCERTAINTY_FIELDS
    }
    return data


def _validate_editor() -> list[str]:
    """Validate what is typed; a valid result becomes the current scenario."""
    try:
        scenario = parse_scenario(_candidate())
    except ScenarioError as exc:
        st.session_state[_PROBLEMS] = exc.problems
        return exc.problems
    if scenario != st.session_state[_VALID]:
        st.session_state.pop(_LINK_ERROR, None)
        st.session_state.pop(_UPLOAD_ERROR, None)
    st.session_state[_VALID] = scenario
    st.session_state[_PROBLEMS] = []
    return []


_PATH = re.compile(r"^(?:share link: )?(segments\[(\d+)\]\.|uncertainty\.)?(\w+): (.*)$", re.S)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")


def _pct_text(match: re.Match[str]) -> str:
    value = float(match.group(0).replace(",", "")) * 100
    return f"{value:,.6g}%"


def humanize_problem(problem: str) -> tuple[int | None, str]:
    """(segment index or None, message in the editor's words and units) for one problem line.

    ``segments[1].monthly_churn: must be between 0 and 1 (got 1.5)`` becomes
    ``(1, "Monthly plan: churn (% a month): must be between 0% and 100% (got 150%)")``."""
    match = _PATH.match(problem)
    if match is None:
        return None, problem
    in_segment, index, name, message = match.groups()
    scope = "segments." if index is not None else "uncertainty." if in_segment else ""
    field = _LABELS.get(scope + name)
    if field is None:
        return (int(index) if index is not None else None), problem
    if field.kind == "pct":
        message = _NUMBER.sub(_pct_text, message)
    message = re.sub(r"segments\[(\d+)\]", lambda m: f"segment {int(m.group(1)) + 1}", message)
    return (int(index) if index is not None else None), f"{field.label}: {message}"


# ---------------------------------------------------------------------------------------------
# Widget callbacks (they run before the script, so they may set widget values)
# ---------------------------------------------------------------------------------------------


def _on_preset() -> None:
    name = st.session_state.get(_PRESET)
    if not name:
        return
    try:
        load_scenario_into_editor(_preset(name))
    except ScenarioError as exc:
        st.session_state[_UPLOAD_ERROR] = exc.problems
    else:
        st.session_state.pop(_UPLOAD_ERROR, None)
        st.session_state.pop(_LINK_ERROR, None)


def _on_upload() -> None:
    upload = st.session_state.get(_UPLOAD)
    if upload is None:
        return
    try:
        scenario = loads_scenario(upload.getvalue())
    except ScenarioError as exc:
        st.session_state[_UPLOAD_ERROR] = [f"{upload.name}: {p}" for p in exc.problems]
        return
    load_scenario_into_editor(scenario)
    st.session_state[_PRESET] = None
    st.session_state.pop(_UPLOAD_ERROR, None)
    st.session_state.pop(_LINK_ERROR, None)


def _unique_name(base: str) -> str:
    taken = {
        str(st.session_state.get(_seg_key(i, "name"), "")).strip().casefold()
        for i in st.session_state[_SEG_IDS]
    }
    n = len(st.session_state[_SEG_IDS]) + 1
    while f"{base} {n}".casefold() in taken:
        n += 1
    return f"{base} {n}"


def _on_add_segment() -> None:
    ids: list[int] = st.session_state[_SEG_IDS]
    if len(ids) >= MAX_SEGMENTS:
        return
    seg_id = st.session_state[_NEXT_ID]
    st.session_state[_NEXT_ID] = seg_id + 1
    discount = _from_widget(
        SCENARIO_FIELDS[3], "ed.annual_discount", st.session_state.get("ed.annual_discount")
    )
    values = {"name": _unique_name("Segment"), **_NEW_SEGMENT, "annual_discount": None}
    _set_segment(seg_id, values, discount if isinstance(discount, float) else 0.15)
    st.session_state[_SEG_IDS] = [*ids, seg_id]
    st.session_state[_seg_key(seg_id, "box")] = True


def _on_remove_segment(seg_id: int) -> None:
    ids: list[int] = st.session_state[_SEG_IDS]
    if len(ids) > 1:
        st.session_state[_SEG_IDS] = [i for i in ids if i != seg_id]


# ---------------------------------------------------------------------------------------------
# The sidebar editor
# ---------------------------------------------------------------------------------------------


def _input(field: Field, key: str, *, disabled: bool = False) -> None:
    """One editor widget; its value lives in session state under ``key``."""
    if field.kind == "text":
        st.text_input(field.label, key=key, help=field.help or None, max_chars=200)
    elif field.kind == "longtext":
        st.text_area(field.label, key=key, height=90, max_chars=4000)
    elif field.kind == "int":
        st.number_input(field.label, key=key, step=1, format="%d", help=field.help or None)
    else:
        fmt = "%.2f" if field.kind in ("pct", "money") else "%g"
        st.number_input(
            field.label,
            key=key,
            step=float(field.step),
            format=fmt,
            help=field.help or None,
            disabled=disabled,
        )


def _errors(lines: list[str]) -> None:
    for line in lines:
        st.error(line, icon=":material/error:")


def _keep_widget_state() -> None:
    """Keep the values of editor widgets that are not drawn this run (collapsed segments).

    Streamlit forgets a widget's value when a run does not draw it; writing the value back
    through the Session State API before the widgets render keeps it. The same keeps a
    segment's expander open while its name (the expander's label, part of its identity) is
    being edited."""
    ss = st.session_state
    keys = [f"ed.uncertainty.{f.name}" for f in UNCERTAINTY_FIELDS] + ["ed.uncertainty.box"]
    for seg_id in ss[_SEG_IDS]:
        keys += [_seg_key(seg_id, f.name) for f in SEGMENT_FIELDS]
        keys += [_seg_key(seg_id, "own_discount"), _seg_key(seg_id, "box")]
    for key in keys:
        if key in ss:
            ss[key] = ss[key]


def _segment_fields(seg_id: int, count: int) -> None:
    for field in SEGMENT_FIELDS:
        key = _seg_key(seg_id, field.name)
        if field.name == "annual_discount":
            st.checkbox(
                "Own annual discount for this segment", key=_seg_key(seg_id, "own_discount")
            )
            own = bool(st.session_state.get(_seg_key(seg_id, "own_discount")))
            _input(field, key, disabled=not own)
        else:
            _input(field, key)
    st.button(
        "Remove this segment",
        key=f"ed.seg.{seg_id}.remove",
        on_click=_on_remove_segment,
        args=(seg_id,),
        disabled=count <= 1,
        icon=":material/delete:",
        help="A scenario needs at least one segment." if count <= 1 else None,
    )


def _segment_editor(seg_id: int, problems: list[str], count: int) -> None:
    """One segment's inputs in an expander whose content only runs while it is open, so a
    scenario with many segments stays quick to edit. Problems show even when it is closed."""
    name = str(st.session_state.get(_seg_key(seg_id, "name"), "")).strip()
    box = st.expander(
        escape_md(name) if name else "(unnamed segment)",
        key=_seg_key(seg_id, "box"),
        on_change="rerun",
        icon=":material/error:" if problems else None,
    )
    if box.open:
        with box:
            _errors(problems)
            _segment_fields(seg_id, count)
    else:
        _errors(problems)


def _problem_groups(problems: list[str]) -> dict[str | int, list[str]]:
    """Problems in the editor's words, grouped by where they show: 'general', 'uncertainty' or
    a segment's position."""
    groups: dict[str | int, list[str]] = {}
    for problem in problems:
        index, text = humanize_problem(problem)
        where: str | int = index if index is not None else "general"
        if problem.startswith(("uncertainty", "share link: uncertainty")):
            where = "uncertainty"
        groups.setdefault(where, []).append(text)
    return groups


def render_editor() -> Scenario:
    """Draw the scenario editor in the sidebar and return the current (last valid) scenario.

    Call once per run, from the app's shared frame, before the page runs."""
    _ensure_state()
    problems = _validate_editor()
    groups = _problem_groups(problems)
    _keep_widget_state()

    with st.sidebar:
        st.header("Scenario")
        names = preset_names()
        st.selectbox(
            "Start from a preset",
            names,
            key=_PRESET,
            format_func=lambda n: _preset(n).name if n in names else n,
            placeholder="Choose a preset…",
            on_change=_on_preset,
        )
        st.file_uploader(
            "Or upload a scenario (YAML)",
            type=["yaml", "yml", "json"],
            key=_UPLOAD,
            on_change=_on_upload,
            help="A scenario file as written by the YAML download or `python -m mrrsim`.",
        )
        _errors(st.session_state.get(_UPLOAD_ERROR, []))
        share_slot = st.container()

        if problems:
            st.warning(
                f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in the inputs below. "
                "The figures show the last valid scenario until they are fixed.",
                icon=":material/warning:",
            )
        with st.expander("General", expanded=True):
            _errors(groups.get("general", []))
            for field in SCENARIO_FIELDS:
                _input(field, f"ed.{field.name}")

        ids: list[int] = st.session_state[_SEG_IDS]
        st.subheader("Segments")
        for position, seg_id in enumerate(ids):
            _segment_editor(seg_id, groups.get(position, []), len(ids))
        st.button(
            "Add a segment",
            key="ed.add_segment",
            on_click=_on_add_segment,
            disabled=len(ids) >= MAX_SEGMENTS,
            icon=":material/add:",
        )

        uncertainty = st.expander(
            "Uncertainty (Predictability page)", key="ed.uncertainty.box", on_change="rerun"
        )
        if uncertainty.open:
            with uncertainty:
                for field in UNCERTAINTY_FIELDS:
                    _input(field, f"ed.uncertainty.{field.name}")
        _errors(groups.get("uncertainty", []))

    scenario = st.session_state[_VALID]
    with share_slot:
        share_control(scenario)
    return scenario


# ---------------------------------------------------------------------------------------------
# Sharing and the URL
# ---------------------------------------------------------------------------------------------


def _base_url() -> str:
    """The app's address as the browser sees it (``st.context.url``), or a local default."""
    return st.context.url or DEFAULT_BASE_URL


def sync_query_params(scenario: Scenario | None = None) -> None:
    """Put the current scenario's share token in the URL (``?s=``) unless it is already there.

    Streamlit clears query parameters when the user switches page, so the app frame calls this
    on every run of every page."""
    token = share_token(scenario or current_scenario())
    if token is not None and st.query_params.get(share.QUERY_KEY) != token:
        st.query_params[share.QUERY_KEY] = token


def share_control(scenario: Scenario) -> None:
    """A 'Share' popover with the full link to this scenario, ready to copy."""
    token, problem = _share_token(_json(scenario))
    with st.popover("Share this scenario", icon=":material/link:", width="stretch"):
        if token is None:
            st.warning(problem or "This scenario cannot be shared as a link.")
            return
        url = share.share_url(scenario, _base_url())
        st.caption(
            "Anyone with this link sees exactly these inputs and numbers. Nothing is stored "
            "on a server: the whole scenario is inside the link."
        )
        st.code(url, language=None, wrap_lines=True)
        if not share.is_exact(scenario):
            st.caption("The description was shortened to keep the link short; numbers are exact.")


# ---------------------------------------------------------------------------------------------
# Page helpers
# ---------------------------------------------------------------------------------------------


def show_notices() -> None:
    """Messages for the main area: a share link that could not be opened, and invalid inputs."""
    link_problems = st.session_state.get(_LINK_ERROR)
    if link_problems:
        st.error(
            "This link could not be opened, so the default scenario is shown instead:\n\n"
            + "\n".join(f"- {escape_md(p)}" for p in link_problems),
            icon=":material/link_off:",
        )
    problems = input_problems()
    if problems:
        st.warning(
            "Some inputs in the sidebar are not valid (see the messages there); every figure "
            "on this page is for the last valid scenario.",
            icon=":material/warning:",
        )


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
    st.vega_lite_chart(chart.to_dict(validate=False), width="stretch", **kwargs)


def money_column(label: str, currency: str) -> Any:
    """A ``st.column_config.NumberColumn`` for amounts in the scenario's currency."""
    presets = {"USD": "dollar", "EUR": "euro", "JPY": "yen"}
    return st.column_config.NumberColumn(
        f"{label} ({currency})", format=presets.get(currency.upper(), "localized")
    )


def excel_bytes(sheets: Mapping[str, pl.DataFrame]) -> bytes:
    """An .xlsx workbook with one sheet per frame (full precision, autofit columns)."""
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        for name, frame in sheets.items():
            frame.write_excel(workbook, worksheet=name[:31], autofit=True)
    return buffer.getvalue()


def _offered_discounts(scenario: Scenario) -> list[float]:
    """The annual discounts that apply to segments acquiring new customers, sorted, unique."""
    segments = [seg for seg in scenario.segments if seg.new_customers > 0] or scenario.segments
    return sorted({scenario.discount_for(seg) for seg in segments})


def break_even_sentence(scenario: Scenario, summary: Summary) -> str:
    """One plain sentence: what the break-even annual discount means for this scenario."""
    be = summary["break_even_discount"]
    if be is None:
        return (
            "Break-even is not defined here: the scenario acquires no new customers, and the "
            "comparison is about how new customers are billed."
        )
    offered = _offered_discounts(scenario)
    low, high = offered[0], offered[-1]
    you = (
        f"you offer {fmt_pct(low)}"
        if low == high
        else (f"you offer {fmt_pct(low)} to {fmt_pct(high)} depending on the segment")
    )
    if be <= 0:
        return (
            "Annual billing collects less NPV of cash from new customers than monthly even with "
            f"no discount (it would need a {fmt_pct(-be)} premium to match), so with these churn "
            "and expansion rates monthly billing is worth more to you at any discount."
        )
    head = (
        "Annual billing collects the same NPV of cash from new customers as monthly at a "
        f"{fmt_pct(be)} discount; {you}, "
    )
    tolerance = 0.0005
    if high < be - tolerance:
        return head + "so annual is worth more to you."
    if low > be + tolerance:
        return head + (
            "so the discount gives away more than annual billing brings back: "
            "monthly is worth more to you."
        )
    if high - low > tolerance:
        return head + "so annual pays off in some segments and costs you in others."
    return head + "so the two are worth about the same to you."
