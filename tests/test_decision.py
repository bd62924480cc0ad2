"""The Planner's decision per segment: verdicts checked against hand-set cases, the table and
chart frames against the summary, the notes that explain apparent disagreements."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import make

from mrrsim import summarize
from mrrsim.decision import (
    TABLE_COLUMNS,
    decision_display,
    decision_table,
    disagreement_notes,
    take_up_note,
    value_chart_frames,
    verdict,
)
from mrrsim.metrics import PLANS, plan_variants, summarize_many


def _segment(**fields: object) -> dict[str, object]:
    return {
        "name": "A",
        "list_price": 100,
        "new_customers": 50,
        "annual_share": 0.3,
        "monthly_churn": 0.03,
        "annual_churn": 0.15,
        **fields,
    }


def test_annual_pays_below_the_break_even_and_names_it() -> None:
    sc = make([_segment()], annual_discount=0.1)
    dec = summarize(sc).segments[0]
    assert dec.break_even_discount > 0.1
    v = verdict(sc, 0, dec)
    assert v.label.startswith("Annual pays")
    assert f"{dec.break_even_discount * 100:.1f}%" in v.sentence


def test_monthly_is_worth_more_above_the_break_even() -> None:
    sc = make([_segment(annual_churn=0.4)], annual_discount=0.3)
    dec = summarize(sc).segments[0]
    assert 0 <= dec.break_even_discount < 0.3
    assert verdict(sc, 0, dec).label.startswith("Monthly is worth more")


def test_annual_needing_a_premium_says_bill_monthly() -> None:
    """Annual renewal churn of 90% against 1% a month: annual is worth less even at no
    discount, so the break-even is negative."""
    sc = make([_segment(monthly_churn=0.01, annual_churn=0.9)], billing_effect=1.0)
    dec = summarize(sc).segments[0]
    assert dec.break_even_discount < 0
    v = verdict(sc, 0, dec)
    assert v.label.startswith("Bill monthly")
    assert "premium" in v.sentence


def test_a_take_up_response_gives_a_best_discount_to_move_to() -> None:
    sc = make([_segment(annual_share_at_no_discount=0.05, annual_share=0.4)], annual_discount=0.05)
    dec = summarize(sc).segments[0]
    assert dec.optimal_discount > 0.05
    assert dec.value_at_optimal > 1.01 * dec.value_at_current
    v = verdict(sc, 0, dec)
    assert v.label == f"Raise the discount to {dec.optimal_discount * 100:.1f}%"


def test_without_take_up_the_note_says_a_discount_only_costs() -> None:
    sc = make([_segment(), _segment(name="B")], annual_discount=0.15)
    note = take_up_note(sc)
    assert note is not None and "A and B" in note and "best discount is 0%" in note
    assert summarize(sc).segments[0].optimal_discount == 0.0
    responsive = make([_segment(annual_share_at_no_discount=0.1)], annual_discount=0.15)
    assert take_up_note(responsive) is None


def test_table_and_display_follow_the_summary() -> None:
    sc = make([_segment(annual_share_at_no_discount=0.1), _segment(name="B", list_price=900)])
    summary = summarize(sc)
    table = decision_table(sc, summary)
    assert table["segment"].to_list() == ["A", "B"]
    for row, dec in zip(table.iter_rows(named=True), summary.segments, strict=True):
        assert row["break_even_discount"] == dec.break_even_discount
        assert row["gain"] == pytest.approx(dec.value_at_optimal - dec.value_at_current)
    shown = decision_display(table, "USD")
    assert tuple(shown.columns) == TABLE_COLUMNS
    assert shown.row(0)[2] == "15.0%"
    assert shown.row(0)[5].startswith("$") and "," in shown.row(1)[5]


def test_chart_frames_mark_today_best_and_break_even_on_the_curve() -> None:
    sc = make([_segment(annual_share_at_no_discount=0.1)], annual_discount=0.15)
    summary = summarize(sc)
    curve, marks = value_chart_frames(sc, summary)
    assert curve.height == 121 and curve["discount"].max() == pytest.approx(0.6)
    today = marks.filter(pl.col("mark") == "Today").row(0, named=True)
    assert today["discount"] == 0.15
    assert today["value"] == pytest.approx(summary.segments[0].value_at_current, rel=1e-12)
    best = marks.filter(pl.col("mark") == "Best").row(0, named=True)
    assert best["value"] >= curve["value"].max() - 1e-9
    assert marks.filter(pl.col("mark") == "Break-even").height == 1


def test_arr_lower_under_the_mix_is_explained() -> None:
    """Annual pays, yet ARR is lower under the mix (annual customers pay the discounted
    price and the horizon is short): a note says why."""
    sc = make([_segment(annual_share=0.6)], annual_discount=0.2, horizon_months=12)
    plans = dict(zip(PLANS, summarize_many(plan_variants(sc)), strict=True))
    assert plans["Your mix"].ending_arr < plans["All monthly"].ending_arr
    notes = disagreement_notes(sc, plans)
    assert any(note.startswith("ARR ends lower") for note in notes)
