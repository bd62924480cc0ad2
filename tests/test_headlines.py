"""mrrsim.headlines: the one table of headline figures and its formatter, as the Planner and
Compare show them (hand-checked text from summaries with known numbers)."""

from __future__ import annotations

import pytest

from mrrsim.compare import Tweak, apply_tweak, headline_differences
from mrrsim.headlines import (
    HEADLINES,
    PLANNER_HEADLINES,
    fmt_difference,
    fmt_value,
    headline_label,
    plan_cards,
    plan_table,
    scenario_tables,
)
from mrrsim.metrics import PLANS, SUMMARY_KEYS, summarize
from mrrsim.projection import all_annual, all_monthly
from mrrsim.yamlio import DEFAULT_PRESET, load_preset

PRESET = load_preset(DEFAULT_PRESET)
BY_KEY = {h.key: h for h in HEADLINES}


def test_every_headline_is_a_summary_key_once() -> None:
    keys = [h.key for h in HEADLINES]
    assert len(set(keys)) == len(keys)
    assert set(keys) <= set(SUMMARY_KEYS)
    assert len(PLANNER_HEADLINES) == 8
    assert all(h.help for h in HEADLINES)


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("ending_mrr", "MRR, last month"),
        ("cumulative_cash", "Cash collected, whole horizon"),
        ("grr_12", "GRR, last 12 months"),
        ("npv_cash", "NPV of cash"),
        ("break_even_discount", "Break-even discount"),
    ],
)
def test_one_name_per_figure(key: str, label: str) -> None:
    """Planner, Compare and the downloads call a figure the same: its period in words."""
    assert headline_label(BY_KEY[key]) == label


def test_values_and_differences_by_kind() -> None:
    assert fmt_value("money", 1_234_567, "USD") == "$1.23M"
    assert fmt_value("money", 1_234_567, "USD", full=True) == "$1,234,567"
    assert fmt_value("count", 1234.4, "USD") == "1,234"
    assert fmt_value("pct", 0.153, "USD") == "15.3%"
    assert fmt_difference("money", 12_345, "EUR", rel=0.05) == "+€12.3k (+5.0%)"
    assert fmt_difference("money", -12_345, "USD", full=True) == "\u2212$12,345"
    assert fmt_difference("count", 56, "USD", rel=-0.25) == "+56 (\u221225.0%)"
    assert fmt_difference("pct", 0.012, "USD", rel=0.5) == "+1.2 pp"  # no % of a %
    assert fmt_difference("money", None, "USD") == "—"


def test_plan_cards_and_table_from_the_three_summaries() -> None:
    mix, monthly = summarize(PRESET), summarize(all_monthly(PRESET))
    plans = {PLANS[0]: mix, PLANS[1]: monthly, PLANS[2]: summarize(all_annual(PRESET))}
    cards = {c.label: c for c in plan_cards(PRESET, plans)}
    mrr = cards["MRR, last month"]
    assert mrr.value == fmt_value("money", mix["ending_mrr"], "USD")
    assert mrr.delta == fmt_difference("money", mix["ending_mrr"] - monthly["ending_mrr"], "USD")
    assert cards["Break-even discount"].delta is None
    assert cards["Break-even discount"].sign == 0
    gap = mix["ending_mrr"] - monthly["ending_mrr"]
    assert mrr.sign == (1 if gap > 0 else -1)  # the sign colours the card, not the text
    assert list(cards) == [headline_label(h) for h in PLANNER_HEADLINES]
    table = {row["Figure"]: row for row in plan_table(PRESET, plans).to_dicts()}
    cash = table["Cash collected, whole horizon"]
    gap = mix["cumulative_cash"] - monthly["cumulative_cash"]
    assert cash["Mix vs monthly"] == fmt_difference("money", gap, "USD", full=True)
    assert cash[PLANS[0]] == fmt_value("money", mix["cumulative_cash"], "USD", full=True)
    assert "Break-even discount" not in table  # one number for all plans: on the decision table


def test_scenario_tables_for_compare() -> None:
    short = apply_tweak(PRESET, Tweak(horizon_months=12))
    a, b = summarize(PRESET), summarize(short)
    values, deltas = scenario_tables(
        [PRESET, short], ["Figure", "Figure"], headline_differences([a, b])
    )
    assert values.columns == ["Figure", "Figure (2)", "Figure (3)"]  # names never collide
    assert deltas.columns == ["Figure", "Figure (2)"]
    rows = dict(zip(values["Figure"], values["Figure (3)"], strict=True))
    assert rows["Horizon"] == "12 months"
    assert rows["MRR, last month"] == fmt_value("money", b["ending_mrr"], "USD")
    diffs = dict(zip(deltas["Figure"], deltas["Figure (2)"], strict=True))
    assert diffs["Horizon"] == "\u221224 months"
    rel = (b["ending_mrr"] - a["ending_mrr"]) / a["ending_mrr"]
    assert diffs["MRR, last month"] == fmt_difference(
        "money", b["ending_mrr"] - a["ending_mrr"], "USD", rel=rel
    )
    assert values.height == len(HEADLINES) + 1
