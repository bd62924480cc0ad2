"""The scenario being edited: session state, the sidebar editor, and the share link in the URL.

The sidebar editor's widgets hold what the user typed (valid or not) in ``st.session_state``;
every run builds a candidate scenario from them with ``parse_scenario``. When it is valid it
becomes the *current scenario*; when not, each problem is shown next to its input and the last
valid scenario keeps driving every number. A scenario is loaded into the widgets
(``load_scenario_into_editor``) from the share link in the URL (query parameter ``s``), a preset
or an uploaded YAML file. ``sync_query_params`` writes the current scenario back into the URL
on every run of every page, so the address bar is always a working share link.

Percentages are edited as percent and stored as fractions. A value loaded from a scenario and
left untouched goes back into the scenario bit for bit (not via ``x * 100 / 100``), so a link or
preset reproduces its numbers exactly.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from mrrsim import share
from mrrsim.problems import MAX_SHOWN, capped
from mrrsim.scenario import Scenario, ScenarioError, parse_scenario
from mrrsim.ui.compat import leave_pages_folder_mode
from mrrsim.ui.engine import preset_cached, share_token, share_token_or_problem
from mrrsim.ui.text import (
    DECISION_FIELDS,
    SCENARIO_FIELDS,
    SEGMENT_FIELDS,
    UNCERTAINTY_FIELDS,
    Field,
    escape_md,
    humanize_problem,
)
from mrrsim.yamlio import DEFAULT_PRESET, loads_scenario, preset_names

__all__ = [
    "DEFAULT_BASE_URL",
    "current_scenario",
    "decision_inputs",
    "input_problems",
    "load_scenario_into_editor",
    "render_editor",
    "share_control",
    "show_notices",
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
_FOLDER_RERUN = "mrrsim.folder_rerun"
_PRESET = "ed.preset"
_EDITED_FROM = "mrrsim.edited_from"  # the preset the current scenario was edited from
_UPLOAD = "ed.upload"

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
    "conversion_rate": 0.0,
}
# Segment inputs that are not plain model fields: each is drawn or filled in its own way.
_TOGGLED = {"annual_discount": "own_discount", "annual_share_at_no_discount": "take_up"}
_SPAN = ("conversion_first", "conversion_last")


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


def _set_segment(seg_id: int, values: Mapping[str, Any], scenario: Mapping[str, Any]) -> None:
    """Put one segment's values into its widgets. Optional inputs (own discount, take-up
    response) get a tick box and show what applies when unticked; the switching months show
    the whole horizon by default; the renewal calendar (from billing data) is kept aside."""
    shown = {
        "annual_discount": scenario["annual_discount"],
        "annual_share_at_no_discount": values.get("annual_share", 0.0),
    }
    span = values.get("conversion_months") or (1, scenario["horizon_months"])
    signed = values.get("existing_annual_discount")
    for field in SEGMENT_FIELDS:
        value = values.get(field.name)
        if field.name in _TOGGLED:
            st.session_state[_seg_key(seg_id, _TOGGLED[field.name])] = value is not None
            value = shown[field.name] if value is None else value
        elif field.name in _SPAN:
            value = span[_SPAN.index(field.name)]
        elif field.name == "existing_annual_discount" and signed is None:
            value = values.get("annual_discount") or scenario["annual_discount"]
        _set(_seg_key(seg_id, field.name), field, value)
    st.session_state[_seg_key(seg_id, "calendar")] = values.get("existing_annual_renewals")


def load_scenario_into_editor(scenario: Scenario) -> None:
    """Make ``scenario`` the current scenario and put every value into the editor's widgets.

    Call it before the editor renders (at session start or from a widget callback)."""
    st.session_state[_SHADOW] = {}
    st.session_state.pop(_EDITED_FROM, None)
    data = scenario.model_dump(mode="python")
    for field in (*SCENARIO_FIELDS, *DECISION_FIELDS):
        _set(f"ed.{field.name}", field, data[field.name])
    for field in UNCERTAINTY_FIELDS:
        _set(f"ed.uncertainty.{field.name}", field, data["uncertainty"][field.name])
    start = st.session_state.get(_NEXT_ID, 0)
    ids = list(range(start, start + len(scenario.segments)))
    for seg_id, seg in zip(ids, data["segments"], strict=True):
        _set_segment(seg_id, seg, data)
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
            st.session_state[_LINK_ERROR] = capped(exc.problems)
    return preset_cached(DEFAULT_PRESET)


def _ensure_state() -> None:
    if _VALID not in st.session_state:
        scenario = _initial_scenario()
        from_link = _LINK_ERROR not in st.session_state and share.QUERY_KEY in st.query_params
        st.session_state[_PRESET] = None if from_link else DEFAULT_PRESET
        load_scenario_into_editor(scenario)
    elif any(k not in st.session_state for k in ("ed.name", "ed.horizon_months")):
        load_scenario_into_editor(st.session_state[_VALID])


# Per script thread (one per session's script runner): whether app.py's frame drew the editor.
_RUN = threading.local()


def ensure_in_frame() -> None:
    """Make sure pages run inside app.py's frame (``ui.page_header`` calls this first).

    A page run on its own, outside the frame (Streamlit's legacy pages-folder mode, see
    ``mrrsim.ui.compat``), switches that mode off and reruns through app.py, once: if it is
    still outside after that, it is drawn as it is rather than rerun for ever. Not for widget
    callbacks: they run before app.py's frame in every run."""
    if getattr(_RUN, "in_frame", False):
        return
    leave_pages_folder_mode()
    if st.session_state.get(_FOLDER_RERUN):
        return
    st.session_state[_FOLDER_RERUN] = True
    st.rerun()


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
        f.name: _from_widget(f, f"ed.{f.name}", ss.get(f"ed.{f.name}"))
        for f in (*SCENARIO_FIELDS, *DECISION_FIELDS)
    }
    segments = []
    for seg_id in ss[_SEG_IDS]:
        seg: dict[str, Any] = {}
        for f in SEGMENT_FIELDS:
            key = _seg_key(seg_id, f.name)
            if f.name in _TOGGLED and not ss.get(_seg_key(seg_id, _TOGGLED[f.name])):
                continue
            seg[f.name] = _from_widget(f, key, ss.get(key))
        first, last = (seg.pop(name) for name in _SPAN)
        if seg.get("conversion_rate") and (first, last) != (1, data["horizon_months"]):
            seg["conversion_months"] = [first, last]
        calendar = _calendar(ss.get(_seg_key(seg_id, "calendar")), seg)
        if calendar is not None:
            seg["existing_annual_renewals"] = calendar
        segments.append(seg)
    data["segments"] = segments
    data["uncertainty"] = {
        f.name: _from_widget(f, f"ed.uncertainty.{f.name}", ss.get(f"ed.uncertainty.{f.name}"))
        for f in UNCERTAINTY_FIELDS
    }
    return data


def _calendar(calendar: Any, segment: dict[str, Any]) -> list[float] | None:
    """The renewal calendar loaded with the scenario (from billing data), scaled to the annual
    base typed now: a changed count keeps the calendar's shape."""
    base = segment.get("existing_annual_customers")
    if not calendar or not isinstance(base, int | float):
        return None
    total = sum(calendar)
    if total <= 0 or base <= 0:
        return None
    return list(calendar) if base == total else [r * base / total for r in calendar]


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


# Widget callbacks (they run before the script, so they may set widget values)
# ---------------------------------------------------------------------------------------------


def _on_preset() -> None:
    name = st.session_state.get(_PRESET)
    if not name:
        return
    try:
        load_scenario_into_editor(preset_cached(name))
    except ScenarioError as exc:
        st.session_state[_UPLOAD_ERROR] = capped(exc.problems)
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
        shown = capped(exc.problems)
        st.session_state[_UPLOAD_ERROR] = [
            f"{upload.name}: {p}" for p in shown[:MAX_SHOWN]
        ] + shown[MAX_SHOWN:]
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
    discount = discount if isinstance(discount, float) else 0.15
    horizon = st.session_state.get("ed.horizon_months")
    values = {"name": _unique_name("Segment"), **_NEW_SEGMENT, "existing_annual_discount": discount}
    scenario = {
        "annual_discount": discount,
        "horizon_months": horizon if isinstance(horizon, int) and horizon >= 1 else 36,
    }
    _set_segment(seg_id, values, scenario)
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
        st.number_input(
            field.label, key=key, step=int(field.step), format="%d", help=field.help or None
        )
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


def decision_inputs() -> None:
    """The assumptions behind the billing decision (billing effect, lifetime, renewal notice),
    editable where the decision is shown; they feed the same scenario as the sidebar."""
    _ensure_state()
    for field in DECISION_FIELDS:
        _input(field, f"ed.{field.name}")


def _errors(lines: list[str]) -> None:
    """Problems as error boxes (the first few and a count of the rest); they quote what the
    user typed, so never as Markdown."""
    for line in capped(lines):
        st.error(escape_md(line), icon=":material/error:")


def _keep_widget_state() -> None:
    """Keep the values of editor widgets that are not drawn this run (collapsed segments).

    Streamlit forgets a widget's value when a run does not draw it; writing the value back
    through the Session State API before the widgets render keeps it. The same keeps a
    segment's expander open while its name (the expander's label, part of its identity) is
    being edited."""
    ss = st.session_state
    keys = [f"ed.uncertainty.{f.name}" for f in UNCERTAINTY_FIELDS] + ["ed.uncertainty.box"]
    keys += [f"ed.{f.name}" for f in DECISION_FIELDS]
    for seg_id in ss[_SEG_IDS]:
        keys += [_seg_key(seg_id, f.name) for f in SEGMENT_FIELDS]
        keys += [_seg_key(seg_id, name) for name in (*_TOGGLED.values(), "box")]
    for key in keys:
        if key in ss:
            ss[key] = ss[key]


_TOGGLE_LABELS = {
    "annual_discount": "Own discount for this segment",
    "annual_share_at_no_discount": "Take-up responds to the discount",
}
_FOLLOWS = {"annual_discount": "ed.annual_discount"}  # what an unticked input shows


def _segment_fields(seg_id: int, count: int) -> None:
    for field in SEGMENT_FIELDS:
        key = _seg_key(seg_id, field.name)
        if field.name == "existing_monthly_customers":
            st.caption("Customers today (month 0)")
        elif field.name == "conversion_rate":
            st.caption("Switching monthly customers to annual")
        if field.name not in _TOGGLED:
            _input(field, key)
            continue
        toggle = _seg_key(seg_id, _TOGGLED[field.name])
        st.checkbox(_TOGGLE_LABELS[field.name], key=toggle)
        if not st.session_state.get(toggle):
            # unticked: show what applies now (never a stale value that ticking would apply)
            source = _FOLLOWS.get(field.name, _seg_key(seg_id, "annual_share"))
            if source in st.session_state:
                st.session_state[key] = st.session_state[source]
                st.session_state[_SHADOW][key] = st.session_state[_SHADOW].get(
                    source, (st.session_state[source], None)
                )
        _input(field, key, disabled=not st.session_state.get(toggle))
    if st.session_state.get(_seg_key(seg_id, "calendar")):
        st.caption(
            "The existing annual customers renew on the calendar read from your billing data "
            "(a changed count keeps its shape)."
        )
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


def _edited_from(names: list[str]) -> str | None:
    """The preset the current scenario was edited from, or None (unedited, or not a preset).

    Once an input changes, the preset box is emptied and its placeholder says "Edited from
    <preset>" (choosing the preset again starts over from it); typed back as it was, the box
    shows the preset again. Call before the box is drawn. The options' labels never change:
    the browser sends the chosen option's label back, so a label that changed under it would
    be read as another choice."""
    ss = st.session_state
    chosen = ss.get(_PRESET) or ss.get(_EDITED_FROM)
    if chosen not in names:
        return None
    if current_scenario() == preset_cached(chosen):
        ss[_PRESET] = chosen
        ss.pop(_EDITED_FROM, None)
        return None
    ss[_PRESET] = None
    ss[_EDITED_FROM] = chosen
    return str(chosen)


def render_editor() -> Scenario:
    """Draw the scenario editor in the sidebar and return the current (last valid) scenario.

    Call once per run, from the app's shared frame, before the page runs."""
    _RUN.in_frame = True
    st.session_state[_FOLDER_RERUN] = False
    _ensure_state()
    problems = _validate_editor()
    groups = _problem_groups(problems)
    _keep_widget_state()

    with st.sidebar:
        st.header("Scenario")
        names = preset_names()
        edited_from = _edited_from(names)
        st.selectbox(
            "Start from a preset",
            names,
            key=_PRESET,
            format_func=lambda name: preset_cached(name).name if name in names else name,
            placeholder=(
                f"Edited from {preset_cached(edited_from).name}"
                if edited_from
                else "Choose a preset…"
            ),
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
    """The app's address as the browser's address bar shows it (``st.context.url``, with the
    slash after the host that the address bar adds), or a local default."""
    url = st.context.url or DEFAULT_BASE_URL
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/")) if not parts.path else url


def sync_query_params(scenario: Scenario | None = None) -> None:
    """Put the current scenario's share token in the URL (``?s=``) unless it is already there.

    Streamlit clears query parameters when the user switches page, so the app frame calls this
    on every run of every page."""
    token = share_token(scenario or current_scenario())
    if token is not None and st.query_params.get(share.QUERY_KEY) != token:
        st.query_params[share.QUERY_KEY] = token


def share_url(scenario: Scenario) -> str | None:
    """The full link to this scenario as the browser's address bar shows it, or None when the
    scenario is too large for a link."""
    token = share_token(scenario)
    return None if token is None else share.token_url(token, _base_url())


def share_control(scenario: Scenario) -> None:
    """A 'Share' popover with the full link to this scenario, ready to copy."""
    token, problem = share_token_or_problem(scenario)
    with st.popover("Share this scenario", icon=":material/link:", width="stretch"):
        if token is None:
            st.warning(problem or "This scenario cannot be shared as a link.")
            return
        url = share.token_url(token, _base_url())
        st.caption(
            "Anyone with this link sees exactly these inputs and numbers. Nothing is stored "
            "on a server: the whole scenario is inside the link."
        )
        st.code(url, language=None, wrap_lines=True)
        if not share.is_exact(scenario, token):
            st.caption("The description was shortened to keep the link short; numbers are exact.")


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
