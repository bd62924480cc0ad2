"""Compare: the current scenario beside up to three others (presets, a YAML file, a share link,
or the current one with a few inputs changed): headline figures with their differences, and
MRR / ARR and cumulative cash month by month."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from mrrsim import charts, ui
from mrrsim.compare import (
    TWEAK_INPUTS,
    Tweak,
    apply_tweak,
    differences_from_first,
    headline_differences,
    tweak_label,
    unique_labels,
)
from mrrsim.formatting import currency_symbol
from mrrsim.headlines import scenario_tables
from mrrsim.scenario import Scenario, ScenarioError
from mrrsim.share import scenario_from_url
from mrrsim.yamlio import load_preset, loads_scenario

MAX_SCENARIOS = 4
ENTRIES = "compare.entries"  # UI state: the scenarios added to the comparison
NEXT_ID = "compare.next_id"
ERRORS = "compare.errors"
SEEDED = "compare.seeded"

SOURCES = {
    "preset": "Preset",
    "upload": "YAML file",
    "link": "Share link",
    "tweak": "Current scenario with changes",
}


# ---------------------------------------------------------------------------------------------
# Comparison state (UI state only: which scenarios are compared)
# ---------------------------------------------------------------------------------------------


def _entries() -> list[dict[str, Any]]:
    ss = st.session_state
    if ENTRIES not in ss:
        ss[ENTRIES] = []
        ss[NEXT_ID] = 0
    if not ss.get(SEEDED):
        ss[SEEDED] = True
        if not ss[ENTRIES]:
            _add("tweak", Tweak(monthly_churn_change=-0.2))
    return ss[ENTRIES]


def _fail(lines: list[str]) -> None:
    st.session_state[ERRORS] = lines


def _add(source: str, item: Scenario | Tweak) -> bool:
    entries: list[dict[str, Any]] = st.session_state[ENTRIES]
    if len(entries) >= MAX_SCENARIOS - 1:
        _fail([f"A comparison holds at most {MAX_SCENARIOS} scenarios; remove one first."])
        return False
    entry_id = st.session_state[NEXT_ID]
    st.session_state[NEXT_ID] = entry_id + 1
    st.session_state[ENTRIES] = [*entries, {"id": entry_id, "source": source, "item": item}]
    st.session_state.pop(ERRORS, None)
    return True


def _on_add_preset() -> None:
    name = st.session_state.get("compare.preset")
    if not name:
        _fail(["Choose a preset first."])
        return
    try:
        _add("preset", load_preset(name))
    except ScenarioError as exc:
        _fail([f"Preset {name}: {p}" for p in exc.problems])


def _on_add_link() -> None:
    text = str(st.session_state.get("compare.link") or "").strip()
    if not text:
        _fail(["Paste a share link first (it looks like http://…/?s=v1.…)."])
        return
    try:
        scenario = scenario_from_url(text)
    except ScenarioError as exc:
        _fail(["This link could not be opened:", *exc.problems])
        return
    if _add("link", scenario):
        st.session_state["compare.link"] = ""


def _on_upload() -> None:
    upload = st.session_state.get("compare.upload")
    if upload is None:
        return
    try:
        scenario = loads_scenario(upload.getvalue())
    except ScenarioError as exc:
        _fail([f"{upload.name} could not be read:", *exc.problems])
        return
    _add("upload", scenario)


def _on_add_tweak() -> None:
    ss = st.session_state
    tweak = Tweak.from_inputs({e.field: ss.get(f"compare.tw.{e.key}") for e in TWEAK_INPUTS})
    if tweak.is_empty():
        _fail(["Change at least one input to make a different scenario."])
        return
    try:
        apply_tweak(ui.current_scenario(), tweak)
    except ScenarioError as exc:
        _fail(["These changes do not make a valid scenario:", *exc.problems])
        return
    _add("tweak", tweak)


def _on_remove(entry_id: int) -> None:
    st.session_state[ENTRIES] = [e for e in st.session_state[ENTRIES] if e["id"] != entry_id]
    st.session_state.pop(ERRORS, None)


def _resolve(current: Scenario, entries: list[dict[str, Any]]) -> list[tuple[dict, Scenario, str]]:
    """(entry, scenario, name) of each added scenario; tweaks follow the current scenario.

    A tweak the current scenario no longer accepts is reported and left out."""
    out = []
    for entry in entries:
        item = entry["item"]
        if isinstance(item, Tweak):
            try:
                scenario = apply_tweak(current, item)
            except ScenarioError as exc:
                st.error(
                    ui.escape_md(
                        f"“Current with {tweak_label(item)}” no longer makes a valid scenario "
                        "and is left out: " + "; ".join(exc.problems)
                    ),
                    icon=":material/error:",
                )
                continue
            out.append((entry, scenario, f"Current with {tweak_label(item)}"))
        else:
            out.append((entry, item, item.name))
    return out


# ---------------------------------------------------------------------------------------------
# Page sections
# ---------------------------------------------------------------------------------------------


def scenario_list(labels: list[str], resolved: list[tuple[dict, Scenario, str]]) -> None:
    """The scenarios in the comparison, each removable except the current one."""
    first = st.columns([6, 3, 2], vertical_alignment="center")
    first[0].markdown(f"**1\\.** {ui.escape_md(labels[0])}")
    first[1].caption("Current scenario (edit it in the sidebar)")
    for n, ((entry, _, _), label) in enumerate(zip(resolved, labels[1:], strict=True), start=2):
        row = st.columns([6, 3, 2], vertical_alignment="center")
        row[0].markdown(f"**{n}\\.** {ui.escape_md(label)}")
        row[1].caption(SOURCES[entry["source"]])
        row[2].button(
            "Remove",
            key=f"compare.remove.{entry['id']}",
            on_click=_on_remove,
            args=(entry["id"],),
            icon=":material/close:",
        )


def add_controls(full: bool) -> None:
    """Four ways to add a scenario: preset, share link, YAML file, current with changes."""
    with st.expander(
        "Add a scenario to the comparison",
        expanded=False,
        icon=":material/add:",
        key="compare.add_box",
    ):
        if full:
            st.caption(f"The comparison is full ({MAX_SCENARIOS} scenarios); remove one first.")
        tabs = st.tabs(["Current with changes", "Preset", "Share link", "YAML file"])
        with tabs[0], st.form("compare.tweak", border=False):
            st.caption(
                "A copy of the current scenario with a few inputs changed for every segment. "
                "It follows the sidebar: edit the current scenario and the copy changes too. "
                "Leave a box empty (or at 0) to keep that input as it is."
            )
            for row in (TWEAK_INPUTS[:4], TWEAK_INPUTS[4:]):
                for col, entry in zip(st.columns(4), row, strict=False):
                    whole = entry.field == "horizon_months"
                    col.number_input(
                        entry.label,
                        min_value=int(entry.lo) if whole else entry.lo,
                        max_value=int(entry.hi) if whole else entry.hi,
                        value=entry.default,
                        step=int(entry.step) if whole else entry.step,
                        key=f"compare.tw.{entry.key}",
                        placeholder="keep" if entry.default is None else None,
                        help=entry.help or None,
                    )
            st.form_submit_button(
                "Add this variant", on_click=_on_add_tweak, disabled=full, icon=":material/add:"
            )
        with tabs[1]:
            titles = ui.preset_titles()
            cols = st.columns([4, 1], vertical_alignment="bottom")
            cols[0].selectbox(
                "Preset",
                list(titles),
                format_func=lambda n: titles.get(n, n),
                key="compare.preset",
            )
            cols[1].button(
                "Add preset",
                key="compare.add_preset",
                on_click=_on_add_preset,
                disabled=full,
                width="stretch",
            )
        with tabs[2]:
            cols = st.columns([4, 1], vertical_alignment="bottom")
            cols[0].text_input(
                "Share link",
                key="compare.link",
                placeholder="https://…/?s=v1.…",
                help="A link from 'Share this scenario' (or just its v1.… part).",
            )
            cols[1].button(
                "Add link",
                key="compare.add_link",
                on_click=_on_add_link,
                disabled=full,
                width="stretch",
            )
        with tabs[3]:
            st.file_uploader(
                "Scenario file (YAML)",
                type=["yaml", "yml", "json"],
                key="compare.upload",
                on_change=_on_upload,
                disabled=full,
                help="A scenario as written by the planner's YAML download or `python -m mrrsim`.",
            )


def _table(frame: pl.DataFrame, currencies: list[str]) -> None:
    """A static table that wraps its text, so every scenario's column shows on a phone (a grid
    with a pinned Figure column showed part of one scenario at 390 px, with no sign that it
    scrolled). Headers and cells are Markdown: scenario names and each column's currency text
    (``currencies``, one per column after Figure) are escaped."""
    cells = [
        pl.col(name)
        .str.replace_all(symbol, ui.md_amounts(symbol, currency), literal=True)
        .alias(name)
        for name, currency in zip(frame.columns[1:], currencies, strict=True)
        if (symbol := currency_symbol(currency))
    ]
    shown = frame.with_columns(cells).rename(ui.escape_md)
    st.table(shown, hide_index=True, width="content")


def main() -> None:
    current = ui.current_scenario()
    ui.page_header(
        "Compare",
        current,
        "Up to four scenarios side by side. Each is projected over its own horizon; ending "
        "figures are for each scenario's last month.",
    )
    entries = _entries()
    resolved = _resolve(current, entries)
    scenarios = [current, *(sc for _, sc, _ in resolved)]
    labels = unique_labels([current.name, *(name for _, _, name in resolved)])

    scenario_list(labels, resolved)
    add_controls(full=len(entries) >= MAX_SCENARIOS - 1)
    errors = st.session_state.get(ERRORS)
    if errors:
        st.error(
            "\n".join([ui.escape_md(errors[0]), *(f"- {ui.escape_md(e)}" for e in errors[1:])]),
            icon=":material/error:",
        )

    totals, summaries = ui.comparison_cached(tuple(scenarios), tuple(labels))
    st.subheader("Headline figures")
    values, deltas = scenario_tables(scenarios, labels, headline_differences(summaries))
    _table(values, [sc.currency for sc in scenarios])
    if len(scenarios) > 1:
        st.markdown(f"**Difference from the first scenario, {ui.escape_md(labels[0])}**")
        _table(deltas, [current.currency] * (len(scenarios) - 1))
        note = "With the % change; percentages differ in percentage points (pp)."
        if len({sc.currency for sc in scenarios}) > 1:
            note += " The scenarios use different currencies; amounts are not converted."
        st.caption(note)

    if len(scenarios) < 2:
        st.info("Add a scenario above to compare it with the current one.", icon=":material/add:")
    currency = current.currency
    cols = st.columns([1, 3], vertical_alignment="center")
    measure = cols[0].radio(
        "Show", ["MRR", "ARR"], horizontal=True, key="compare.measure", label_visibility="collapsed"
    )
    as_diff = cols[1].toggle(
        f"Show as the difference from {ui.escape_md(labels[0])}",
        key="compare.as_diff",
        disabled=len(scenarios) < 2,
    )
    field = measure.lower()
    diff = bool(as_diff) and len(scenarios) > 1
    data = differences_from_first(totals, [field, "cumulative_cash"]) if diff else totals
    versus = ": difference from the first scenario" if diff else ""
    ui.show_chart(
        charts.scenario_lines_chart(
            data,
            field,
            f"{measure} by month{versus}",
            f"Δ {measure}" if diff else measure,
            currency,
            zero=diff,
        )
    )
    ui.show_chart(
        charts.scenario_lines_chart(
            data,
            "cumulative_cash",
            f"Cumulative cash collected{versus}",
            "Δ cumulative cash" if diff else "Cumulative cash",
            currency,
        )
    )
    st.caption(
        "Annual plans collect a year of cash at signing and at each renewal, so their cash runs "
        "ahead of MRR; a scenario with a shorter horizon ends earlier."
        + (" Differences cover the months both scenarios project." if diff else "")
    )


if __name__ == "__main__":
    main()
