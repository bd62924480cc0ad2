"""The Streamlit app driven in process with AppTest: headline figures equal ``summarize`` of the
edited scenario, bad input is reported and the last valid numbers stay, share links restore a
scenario exactly, and bad links fall back to the default. Also the UI's pure formatting helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import expected_metrics
from streamlit.testing.v1 import AppTest

from mrrsim import share
from mrrsim.decision import TABLE_COLUMNS, TABLE_PARTS, verdict
from mrrsim.metrics import PLANS, summarize
from mrrsim.projection import all_annual, all_monthly
from mrrsim.scenario import Scenario, parse_scenario
from mrrsim.ui import (
    escape_md,
    fmt_delta_money,
    fmt_money,
    fmt_pct,
    humanize_problem,
)
from mrrsim.yamlio import DEFAULT_PRESET, dump_scenario, load_preset

APP = Path(__file__).resolve().parents[1] / "app.py"
TIMEOUT = 60
# AppTest starts every run in Streamlit's legacy pages-folder mode (a pages/ folder sits next to
# app.py), as a fresh server does: a page found outside app.py's frame ends that mode and reruns
# through the frame (mrrsim.ui.compat), so every test here also exercises that path.


def run_app(token: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if token is not None:
        at.query_params[share.QUERY_KEY] = token
    return at.run()


@pytest.fixture(scope="module")
def default_app() -> AppTest:
    return run_app()


def open_segments(at: AppTest, *positions: int) -> AppTest:
    """Open segment expanders (their inputs only exist while open) and rerun."""
    ids = at.session_state["mrrsim.seg_ids"]
    for position in positions or range(len(ids)):
        at.session_state[f"ed.seg.{ids[position]}.box"] = True
    return at.run()


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first static table with a column of that name (tables are found by what they show,
    not by their position on the page)."""
    found = [t.value for t in at.table if column in t.value.columns]
    assert found, f"no table with a column {column!r}"
    return found[0]


def metrics(at: AppTest) -> dict[str, str]:
    """Headline metric values by label prefix (the label before the first comma)."""
    return {m.label.split(",")[0]: m.value for m in at.metric}


def shown_scenario(at: AppTest) -> Scenario:
    return at.session_state["mrrsim.valid"]


def edited(scenario: Scenario, **changes: object) -> Scenario:
    """The scenario re-validated with top-level or ``segments[i].field`` changes."""
    data = scenario.model_dump(mode="python")
    for key, value in changes.items():
        if key.startswith("seg"):
            index, field = key[3:].split("__")
            data["segments"][int(index)][field] = value
        else:
            data[key] = value
    return parse_scenario(data)


# --- the running app -------------------------------------------------------------------------


def test_app_opens_on_the_default_preset_with_its_summary(default_app: AppTest) -> None:
    assert not default_app.exception
    preset = load_preset(DEFAULT_PRESET)
    assert shown_scenario(default_app) == preset
    assert metrics(default_app) == expected_metrics(preset)
    assert default_app.title[0].value == "Planner"
    assert not default_app.error


def test_pages_run_inside_the_frame_even_in_page_folder_mode() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.run()  # the rerun lands on the planner's own file first, as on a fresh server
    assert not at.exception
    assert at.number_input(key="ed.annual_discount").value == 15.0
    assert at.title[0].value == "Planner"
    assert metrics(at) == expected_metrics(load_preset(DEFAULT_PRESET))


def test_url_always_holds_a_link_to_the_shown_scenario(default_app: AppTest) -> None:
    token = default_app.query_params[share.QUERY_KEY]
    token = token[0] if isinstance(token, list) else token
    assert share.decode(token) == shown_scenario(default_app)


def test_comparison_table_shows_each_plans_summary_in_full(default_app: AppTest) -> None:
    preset = load_preset(DEFAULT_PRESET)
    table = table_with(default_app, PLANS[0]).set_index("Figure")
    assert list(table.columns) == list(PLANS)
    differences = table_with(default_app, "Mix vs monthly").set_index("Figure")
    assert list(differences.columns) == ["Mix vs monthly", "Mix vs annual"]
    for plan, variant in zip(PLANS, (preset, all_monthly(preset), all_annual(preset)), strict=True):
        s = summarize(variant)
        assert table.loc["MRR, last month", plan] == fmt_money(
            s["ending_mrr"], "USD", compact=False
        )
        assert table.loc["NPV of cash", plan] == fmt_money(s["npv_cash"], "USD", compact=False)
        assert table.loc["GRR, last 12 months", plan] == fmt_pct(s["grr_12"])
    mix, monthly = summarize(preset), summarize(all_monthly(preset))
    gap = mix["cumulative_cash"] - monthly["cumulative_cash"]
    assert differences.loc["Cash collected, whole horizon", "Mix vs monthly"] == fmt_delta_money(
        gap, "USD", compact=False
    )


def test_the_first_screen_answers_per_segment(default_app: AppTest) -> None:
    """The first tables are the decision per segment, as the engine computes it, in two
    narrow parts that together hold every column, each led by the segment."""
    preset = load_preset(DEFAULT_PRESET)
    s = summarize(preset)
    answer, value = (t.value for t in default_app.table[:2])
    assert [list(answer.columns), list(value.columns)] == [list(p) for p in TABLE_PARTS]
    assert {*answer.columns, *value.columns} == set(TABLE_COLUMNS)
    assert list(value["Segment"]) == [seg.name for seg in preset.segments]
    assert list(value["Value per new customer now"]) == [
        fmt_money(d.value_at_current, "USD", compact=False) for d in s.segments
    ]
    assert list(answer["Segment"]) == [seg.name for seg in preset.segments]
    assert list(answer["Break-even discount"]) == [
        fmt_pct(d.break_even_discount) for d in s.segments
    ]
    assert list(answer["Answer"]) == [verdict(preset, i, d).label for i, d in enumerate(s.segments)]
    assert default_app.number_input(key="ed.billing_effect").value == 50.0


TABS = (
    "MRR movements",
    "Cash & revenue",
    "Deferred revenue",
    "Customers",
    "Renewal calendar",
    "Data & downloads",
)


def test_every_tab_and_chart_choice_draws_without_errors() -> None:
    at = run_app()
    for view in ("ARR", "MRR gained or lost vs all-monthly"):
        at.radio(key="planner.measure").set_value(view).run()
        assert not at.exception
    for tab in TABS:
        at.session_state["planner.tab"] = tab
        at.run()
        assert not at.exception, tab
        assert not at.error, tab
    # The data tab (the last one) shows the whole projection table.
    preset = load_preset(DEFAULT_PRESET)
    assert at.dataframe[-1].value.shape == (
        preset.horizon_months * len(preset.segments) * 2,
        17,
    )
    # ... for people: the glossary's headers, whole customers, money in the currency.
    table = at.dataframe[-1]
    config = json.loads(table.proto.columns)
    assert config["new_mrr"]["label"] == "New MRR (USD)"
    assert config["customers"]["label"] == "Customers at month end"
    assert table.value["customers"].dtype.kind == "i"


def test_changing_the_annual_discount_changes_the_figures_to_summarize() -> None:
    at = run_app()
    before = metrics(at)
    at.number_input(key="ed.annual_discount").set_value(25.0).run()
    assert not at.exception
    expected = edited(load_preset(DEFAULT_PRESET), annual_discount=0.25)
    assert shown_scenario(at) == expected
    assert metrics(at) == expected_metrics(expected)
    assert metrics(at) != before
    token = at.query_params[share.QUERY_KEY]
    assert share.decode(token[0] if isinstance(token, list) else token) == expected


def test_changing_a_segments_churn_changes_the_figures_to_summarize() -> None:
    at = open_segments(run_app(), 1)
    at.number_input(key="ed.seg.1.monthly_churn").set_value(3.5).run()
    assert not at.exception
    expected = edited(load_preset(DEFAULT_PRESET), seg1__monthly_churn=0.035)
    assert shown_scenario(at) == expected
    assert shown_scenario(at).segments[1].monthly_churn == 0.035
    assert metrics(at) == expected_metrics(expected)


def test_an_emptied_segment_name_is_reported_and_the_last_numbers_stay() -> None:
    at = open_segments(run_app(), 0)
    before = metrics(at)
    at.text_input(key="ed.seg.0.name").set_value("  ").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert escape_md("Segment name: must not be empty") in errors
    assert metrics(at) == before
    assert shown_scenario(at) == load_preset(DEFAULT_PRESET)
    assert at.text_input(key="ed.seg.0.name").value == "  "  # what was typed is kept
    assert any("last valid scenario" in w.value for w in at.warning)


def test_a_duplicate_segment_name_is_reported_then_fixing_it_recovers() -> None:
    at = open_segments(run_app(), 2)
    before = metrics(at)
    at.text_input(key="ed.seg.2.name").set_value("starter").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert escape_md("Segment name: duplicate segment name 'starter' (also segment 1)") in errors
    assert metrics(at) == before
    at.text_input(key="ed.seg.2.name").set_value("Scale Plus").run()
    expected = edited(load_preset(DEFAULT_PRESET), seg2__name="Scale Plus")
    assert not at.error
    assert shown_scenario(at) == expected
    assert metrics(at) == expected_metrics(expected)


def test_an_out_of_range_percentage_is_reported_in_percent() -> None:
    at = open_segments(run_app(), 0)
    at.number_input(key="ed.seg.0.monthly_churn").set_value(150.0).run()
    errors = [e.value for e in at.error]
    message = "Monthly plan: churn (% a month): must be between 0% and 100% (got 150%)"
    assert escape_md(message) in errors
    assert shown_scenario(at) == load_preset(DEFAULT_PRESET)


def test_opening_a_share_link_restores_every_input_and_number() -> None:
    scenario = load_preset("three-tier-pricing")
    at = run_app(share.encode(scenario))
    assert not at.exception
    assert not at.error
    assert shown_scenario(at) == scenario
    assert metrics(at) == expected_metrics(scenario)
    assert at.text_input(key="ed.name").value == scenario.name
    open_segments(at)
    assert shown_scenario(at) == scenario
    ids = at.session_state["mrrsim.seg_ids"]
    assert len(ids) == len(scenario.segments)
    for seg_id, seg in zip(ids, scenario.segments, strict=True):
        assert at.text_input(key=f"ed.seg.{seg_id}.name").value == seg.name
        assert at.number_input(key=f"ed.seg.{seg_id}.list_price").value == seg.list_price
        assert at.number_input(key=f"ed.seg.{seg_id}.annual_share").value == pytest.approx(
            seg.annual_share * 100
        )
    assert at.number_input(key="ed.horizon_months").value == scenario.horizon_months


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("v1.AZcDtJ2V226CQBCGX8ULTdoEiKxs", "damaged or incomplete"),
        ("hello", "not an mrrsim link"),
        ("v9.abc", "version v9"),
    ],
)
def test_a_damaged_link_shows_an_error_and_falls_back_to_the_default(
    token: str, words: str
) -> None:
    at = run_app(token)
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "could not be opened" in message
    assert words in message
    assert shown_scenario(at) == load_preset(DEFAULT_PRESET)
    assert metrics(at) == expected_metrics(load_preset(DEFAULT_PRESET))


def test_a_tampered_link_is_refused() -> None:
    token = share.encode(load_preset("three-tier-pricing"))
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    at = run_app(flipped)
    assert "could not be opened" in " ".join(e.value for e in at.error)
    assert shown_scenario(at) == load_preset(DEFAULT_PRESET)


def test_choosing_a_preset_loads_it() -> None:
    at = run_app()
    at.selectbox(key="ed.preset").set_value("enterprise-annual").run()
    assert not at.exception
    scenario = load_preset("enterprise-annual")
    assert shown_scenario(at) == scenario
    assert metrics(at) == expected_metrics(scenario)


def test_uploading_a_scenario_loads_it() -> None:
    at = run_app()
    scenario = load_preset("self-serve-smb")
    text = dump_scenario(scenario).encode()
    at.file_uploader(key="ed.upload").set_value(("mine.yaml", text, "application/x-yaml")).run()
    assert not at.exception
    assert shown_scenario(at) == scenario
    assert metrics(at) == expected_metrics(scenario)


def test_a_bad_upload_is_reported_and_the_scenario_kept() -> None:
    at = run_app()
    bad = b"name: x\nsegments:\n  - name: A\n    list_price: -5\n    monthly_churnn: 0.1\n"
    at.file_uploader(key="ed.upload").set_value(("bad.yaml", bad, "application/x-yaml")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    first = "bad.yaml: segments[0].list_price: must be above 0 and at most 1,000,000 (got -5)"
    second = "bad.yaml: segments[0].monthly_churnn: unknown field (did you mean 'monthly_churn'?)"
    assert escape_md(first) in errors
    assert escape_md(second) in errors
    assert shown_scenario(at) == load_preset(DEFAULT_PRESET)
    assert metrics(at) == expected_metrics(load_preset(DEFAULT_PRESET))


def test_adding_and_removing_a_segment() -> None:
    at = run_app()
    at.button(key="ed.add_segment").click().run()
    scenario = shown_scenario(at)
    assert [s.name for s in scenario.segments] == ["Starter", "Growth", "Scale", "Segment 4"]
    assert scenario.segments[3].list_price == 100
    assert metrics(at) == expected_metrics(scenario)
    new_id = at.session_state["mrrsim.seg_ids"][3]
    at.button(key=f"ed.seg.{new_id}.remove").click().run()
    assert shown_scenario(at) == load_preset(DEFAULT_PRESET)


def test_a_segment_discount_override_can_be_switched_on() -> None:
    at = open_segments(run_app(), 0)
    at.checkbox(key="ed.seg.0.own_discount").check().run()
    at.number_input(key="ed.seg.0.annual_discount").set_value(30.0).run()
    expected = edited(load_preset(DEFAULT_PRESET), seg0__annual_discount=0.3)
    assert shown_scenario(at) == expected
    assert metrics(at) == expected_metrics(expected)


def test_an_unticked_own_discount_follows_the_scenario_discount() -> None:
    """The greyed segment discount shows the scenario's current discount, and ticking it
    applies that value, not the one shown when the page opened."""
    at = open_segments(run_app(), 0)
    at.number_input(key="ed.annual_discount").set_value(25.0).run()
    assert at.number_input(key="ed.seg.0.annual_discount").value == 25.0
    at.checkbox(key="ed.seg.0.own_discount").check().run()
    assert not at.exception
    assert shown_scenario(at).segments[0].annual_discount == 0.25


def test_the_signed_discount_is_edited_apart_from_new_contracts() -> None:
    at = open_segments(run_app(), 1)
    signed = load_preset(DEFAULT_PRESET).segments[1].existing_annual_discount
    at.number_input(key="ed.annual_discount").set_value(30.0).run()
    growth = shown_scenario(at).segments[1]
    assert (growth.existing_annual_discount, shown_scenario(at).discount_for(growth)) == (
        signed,
        0.3,
    )
    at.number_input(key="ed.seg.1.existing_annual_discount").set_value(10.0).run()
    growth = shown_scenario(at).segments[1]
    assert (growth.existing_annual_discount, shown_scenario(at).discount_for(growth)) == (0.1, 0.3)


def test_switching_and_take_up_inputs_reach_the_scenario() -> None:
    at = open_segments(run_app(), 0)
    at.number_input(key="ed.seg.0.conversion_rate").set_value(5.0).run()
    assert shown_scenario(at).segments[0].conversion_months is None  # the whole horizon
    at.number_input(key="ed.seg.0.conversion_first").set_value(6).run()
    at.number_input(key="ed.seg.0.conversion_last").set_value(6).run()
    at.checkbox(key="ed.seg.0.take_up").check().run()
    at.number_input(key="ed.seg.0.annual_share_at_no_discount").set_value(5.0).run()
    assert not at.exception
    starter = shown_scenario(at).segments[0]
    assert (starter.conversion_rate, starter.conversion_months) == (0.05, (6, 6))
    assert starter.annual_share_at_no_discount == 0.05
    assert summarize(shown_scenario(at)).segments[0].optimal_discount > 0


def test_decision_assumptions_on_the_planner_feed_the_scenario() -> None:
    at = run_app()
    at.number_input(key="ed.billing_effect").set_value(80.0).run()
    at.number_input(key="ed.lifetime_months").set_value(60).run()
    assert not at.exception
    assert (shown_scenario(at).billing_effect, shown_scenario(at).lifetime_months) == (0.8, 60)
    at.number_input(key="ed.lifetime_months").set_value(50).run()
    assert shown_scenario(at).lifetime_months == 60  # the last valid scenario keeps driving
    assert any("multiple of 12" in p for p in at.session_state["mrrsim.problems"])
    assert any("not valid" in w.value for w in at.main.warning)


def test_segment_names_are_shown_as_text_not_markdown() -> None:
    at = open_segments(run_app(), 0)
    at.text_input(key="ed.seg.0.name").set_value("**Bold** :red[x]").run()
    assert not at.exception
    assert shown_scenario(at).segments[0].name == "**Bold** :red[x]"
    labels = [e.label for e in at.sidebar.expander]
    assert escape_md("**Bold** :red[x]") in labels


# --- pure helpers ------------------------------------------------------------------------------


def test_escape_md_neutralises_markup() -> None:
    assert escape_md("**Pro** [x](y)") == r"\*\*Pro\*\* \[x\]\(y\)"
    assert escape_md("a\nb") == "a b"


@pytest.mark.parametrize(
    ("problem", "index", "text"),
    [
        (
            "segments[1].monthly_churn: must be between 0 and 1 (got 1.5)",
            1,
            "Monthly plan: churn (% a month): must be between 0% and 100% (got 150%)",
        ),
        (
            "annual_discount: must be at least 0 and below 1 (got 1)",
            None,
            "Annual discount for new contracts (%): must be at least 0% and below 100% (got 100%)",
        ),
        (
            "segments[2].name: duplicate segment name 'Pro' (also segments[0])",
            2,
            "Segment name: duplicate segment name 'Pro' (also segment 1)",
        ),
        (
            "segments[0].list_price: must be above 0 and at most 1,000,000 (got 0)",
            0,
            "List price per month: must be above 0 and at most 1,000,000 (got 0)",
        ),
        (
            "segments: must list between 1 and 20 segments (got 0)",
            None,
            "segments: must list between 1 and 20 segments (got 0)",
        ),
    ],
)
def test_humanize_problem(problem: str, index: int | None, text: str) -> None:
    assert humanize_problem(problem) == (index, text)


def test_the_preset_box_says_edited_from_once_an_input_changes() -> None:
    at = run_app()
    title = load_preset(DEFAULT_PRESET).name
    options = at.selectbox(key="ed.preset").options
    assert title in options
    assert at.selectbox(key="ed.preset").value == DEFAULT_PRESET
    for discount in (25.0, 26.0, 27.0):  # every edit keeps its value (none reloads the preset)
        at.number_input(key="ed.annual_discount").set_value(discount).run()
        box = at.selectbox(key="ed.preset")
        assert box.value is None
        assert box.proto.placeholder == f"Edited from {title}"
        assert box.options == options  # the labels the browser sends back never change
        assert shown_scenario(at).annual_discount == discount / 100
    at.number_input(key="ed.annual_discount").set_value(15.0).run()  # back as it was
    assert at.selectbox(key="ed.preset").value == DEFAULT_PRESET
    assert at.selectbox(key="ed.preset").proto.placeholder == "Choose a preset…"
    at.number_input(key="ed.annual_discount").set_value(30.0).run()
    at.selectbox(key="ed.preset").set_value(DEFAULT_PRESET).run()  # chosen again: starts over
    assert shown_scenario(at) == load_preset(DEFAULT_PRESET)
    assert at.selectbox(key="ed.preset").value == DEFAULT_PRESET
