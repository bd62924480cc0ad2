"""mrrsim.compare: tweaked copies of a scenario (through the validator, clipped to each field's
bounds), the tweak form's entries, labels, monthly totals over each scenario's own horizon, and
headline differences from the first scenario."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import make

from mrrsim.compare import (
    TWEAK_INPUTS,
    Tweak,
    apply_tweak,
    comparison_totals,
    differences_from_first,
    headline_differences,
    tweak_label,
    unique_labels,
)
from mrrsim.metrics import monthly_totals, summarize
from mrrsim.projection import project
from mrrsim.scenario import ScenarioError
from mrrsim.yamlio import DEFAULT_PRESET, load_preset

DEFAULT = load_preset(DEFAULT_PRESET)
TWEAKED = apply_tweak(DEFAULT, Tweak(monthly_churn_change=-0.2))


def test_apply_tweak_moves_rates_relatively_and_clips() -> None:
    sc = make(
        [
            {"name": "A", "list_price": 100, "new_customers": 10, "monthly_churn": 0.6},
            {"name": "B", "list_price": 50, "monthly_churn": 0.05, "annual_discount": 0.3},
        ]
    )
    out = apply_tweak(
        sc,
        Tweak(
            monthly_churn_change=1.0, list_price_change=-0.1, annual_share=0.5, horizon_months=12
        ),
    )
    assert [s.monthly_churn for s in out.segments] == [1.0, 0.1]  # 1.2 clipped to 1
    assert [s.list_price for s in out.segments] == [pytest.approx(90), pytest.approx(45)]
    assert [s.annual_share for s in out.segments] == [0.5, 0.5]
    assert out.horizon_months == 12
    assert out.segments[1].annual_discount == 0.3  # discount untouched when not set
    assert apply_tweak(sc, Tweak(annual_discount=0.1)).segments[1].annual_discount is None
    with pytest.raises(ScenarioError, match="list_price"):
        apply_tweak(sc, Tweak(list_price_change=-1.0))


def test_tweak_labels() -> None:
    assert tweak_label(Tweak(annual_discount=0.25, monthly_churn_change=-0.2)) == (
        "annual discount 25%, monthly churn × 0.8"
    )
    assert tweak_label(Tweak(new_customers_change=0.1, horizon_months=48)) == (
        "new customers × 1.1, 48-month horizon"
    )
    assert tweak_label(Tweak()) == "no changes"


def test_unique_labels() -> None:
    assert unique_labels(["A", "a", "B", "A"]) == ["A", "a (2)", "B", "A (3)"]


def test_comparison_totals_keep_each_horizon() -> None:
    short = apply_tweak(DEFAULT, Tweak(horizon_months=12))
    totals = comparison_totals([DEFAULT, short, TWEAKED], ["a", "b", "c"])
    assert totals.group_by("scenario").agg(pl.len()).sort("scenario").to_dicts() == [
        {"scenario": "a", "len": 36},
        {"scenario": "b", "len": 12},
        {"scenario": "c", "len": 36},
    ]
    mine = totals.filter(scenario="b").drop("scenario", "order")
    assert mine.equals(monthly_totals(project(short)))
    diff = differences_from_first(totals, ["mrr"])
    assert diff.filter(scenario="a")["mrr"].abs().max() == 0
    first_12 = totals.filter(scenario="a", month=12)["mrr"].item()
    assert diff.filter(scenario="b", month=12)["mrr"].item() == pytest.approx(
        totals.filter(scenario="b", month=12)["mrr"].item() - first_12
    )


def test_headline_differences_by_hand() -> None:
    a, b = summarize(DEFAULT), summarize(TWEAKED)
    frame = headline_differences([a, b]).filter(key="ending_mrr")
    assert frame["diff"].to_list() == [0.0, pytest.approx(b["ending_mrr"] - a["ending_mrr"])]
    assert frame["rel_diff"][1] == pytest.approx(b["ending_mrr"] / a["ending_mrr"] - 1)


def test_tweak_from_the_forms_percentages() -> None:
    entries = {
        "annual_discount": 25.0,
        "annual_share": None,
        "monthly_churn_change": -20.0,
        "annual_churn_change": 0.0,
        "new_customers_change": None,
        "list_price_change": 10.0,
        "horizon_months": 48.0,
    }
    assert Tweak.from_inputs(entries) == Tweak(
        annual_discount=0.25,
        monthly_churn_change=-0.2,
        list_price_change=pytest.approx(0.1),
        horizon_months=48,
    )
    assert Tweak.from_inputs({}).is_empty()


def test_tweak_form_ranges_follow_the_scenarios_bounds() -> None:
    ranges = {e.field: (e.lo, e.hi) for e in TWEAK_INPUTS}
    assert ranges["annual_discount"] == (0.0, 99.0)  # below 100%: the bound is open
    assert ranges["annual_share"] == (0.0, 100.0)
    assert ranges["horizon_months"] == (1.0, 120.0)
    assert ranges["monthly_churn_change"] == (-100.0, 500.0)
    assert ranges["list_price_change"] == (-99.0, 1000.0)  # a price must stay above 0
    assert {e.field for e in TWEAK_INPUTS} == set(Tweak.__dataclass_fields__)
    assert len({e.key for e in TWEAK_INPUTS}) == len(TWEAK_INPUTS)


def test_every_tweak_at_its_form_limits_is_valid_or_named() -> None:
    """The form's extreme entries make a valid scenario (rates clip into range)."""
    for entry in TWEAK_INPUTS:
        for value in (entry.lo, entry.hi):
            scenario = apply_tweak(DEFAULT, Tweak.from_inputs({entry.field: value}))
            assert scenario.segments


def test_a_new_discount_moves_take_up_along_its_line() -> None:
    # Starter: 15% take annual at 15% off, 3% would with none; the line gives 11% at 10% off.
    starter = DEFAULT.segments[0]
    assert (starter.annual_share, starter.annual_share_at_no_discount) == (0.15, 0.03)
    assert apply_tweak(DEFAULT, Tweak(annual_discount=0.1)).segments[0].annual_share == (
        pytest.approx(0.11)
    )
    none = apply_tweak(DEFAULT, Tweak(annual_discount=0.0)).segments[0]
    assert none.annual_share == 0.03 and none.take_up_at_no_discount() == 0.03
    # a share set with the discount wins over the line
    both = apply_tweak(DEFAULT, Tweak(annual_discount=0.0, annual_share=0.4)).segments[0]
    assert both.annual_share == 0.4 and both.take_up_at_no_discount() == 0.4
