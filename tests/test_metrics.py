"""Summary metrics (SPEC section 5) against hand computations and the literal model."""

from __future__ import annotations

import math

import polars as pl
import pytest
from conftest import make, scenarios
from hypothesis import given
from polars.testing import assert_frame_equal
from reference import reference_summary

from mrrsim import project, summarize, summarize_many
from mrrsim.metrics import (
    PLANS,
    SUMMARY_KEYS,
    monthly_totals,
    plan_comparison,
    plan_results,
    plan_variants,
    renewal_calendar,
)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def test_keys_and_mapping_interface(mixed):
    s = summarize(mixed)
    assert (
        tuple(s)
        == SUMMARY_KEYS
        == (
            "ending_mrr",
            "ending_arr",
            "ending_customers",
            "cumulative_cash",
            "cumulative_revenue",
            "npv_cash",
            "nrr_12",
            "grr_12",
            "break_even_discount",
            "break_even_discount_revenue",
        )
    )
    assert s["ending_arr"] == s.ending_arr == 12 * s["ending_mrr"]
    assert dict(s) == s.to_dict()


def test_matches_literal_model(mixed):
    got, want = summarize(mixed), reference_summary(mixed)
    for key in SUMMARY_KEYS:
        assert _same(got[key], want[key]), key


@given(scenarios(max_segments=2, max_horizon=30))
def test_random_scenarios_match_literal_model(sc):
    got, want = summarize(sc), reference_summary(sc)
    for key in SUMMARY_KEYS:
        a, b = got[key], want[key]
        if a is None or b is None:
            assert a is None and b is None, key
        else:
            assert math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-7), key


def test_hand_computed_one_year():
    """10 new monthly customers a month at $100, no churn, 12 months, 12% cost of capital."""
    sc = make(
        [{"name": "A", "list_price": 100, "new_customers": 10}],
        horizon_months=12,
        cost_of_capital=0.12,
    )
    s = summarize(sc)
    assert s["ending_customers"] == pytest.approx(120)
    assert s["ending_mrr"] == pytest.approx(12_000)
    assert s["cumulative_cash"] == pytest.approx(1000 * sum(range(1, 13)))
    assert s["npv_cash"] == pytest.approx(
        sum(1000 * t / 1.12 ** ((t - 1) / 12) for t in range(1, 13))
    )
    assert s["nrr_12"] is None and s["grr_12"] is None


def test_break_even_discount_closed_form_one_month():
    """H = 1: monthly collects p*n, annual at no discount 12*p*n, so break-even is 1 - 1/12."""
    sc = make([{"name": "A", "list_price": 40, "new_customers": 5}], horizon_months=1)
    s = summarize(sc)
    assert s["break_even_discount"] == pytest.approx(11 / 12)
    assert s["break_even_discount_revenue"] == pytest.approx(0.0)


def test_break_even_discount_makes_npvs_equal():
    sc = make(
        [
            {
                "name": "A",
                "list_price": 50,
                "new_customers": 20,
                "monthly_churn": 0.04,
                "annual_churn": 0.2,
                "existing_monthly_customers": 999,
            }
        ],
        horizon_months=36,
    )
    d = summarize(sc)["break_even_discount"]
    new_only = sc.with_segments(existing_monthly_customers=0.0)
    monthly = summarize(new_only.with_segments(annual_share=0.0))["npv_cash"]
    annual = summarize(new_only.with_segments(annual_share=1.0, annual_discount=d))["npv_cash"]
    assert annual == pytest.approx(monthly, rel=1e-12)


def test_break_even_null_without_new_customers():
    sc = make([{"name": "A", "list_price": 50, "existing_monthly_customers": 100}])
    s = summarize(sc)
    assert s["break_even_discount"] is None and s["break_even_discount_revenue"] is None


def test_nrr_grr_closed_form_monthly():
    """Monthly only, churn c, expansion e: NRR = ((1-c)(1+e))^12, GRR = (1-c)^12 when e > 0."""
    sc = make(
        [
            {
                "name": "A",
                "list_price": 10,
                "new_customers": 7,
                "monthly_churn": 0.03,
                "monthly_expansion": 0.01,
                "existing_monthly_customers": 50,
            }
        ],
        horizon_months=24,
    )
    s = summarize(sc)
    assert s["nrr_12"] == pytest.approx((0.97 * 1.01) ** 12, rel=1e-12)
    assert s["grr_12"] == pytest.approx(0.97**12, rel=1e-12)


def test_grr_with_contraction_counts_the_lower_price():
    sc = make(
        [
            {
                "name": "A",
                "list_price": 10,
                "monthly_churn": 0.05,
                "monthly_expansion": -0.02,
                "existing_monthly_customers": 50,
            }
        ],
        horizon_months=13,
    )
    s = summarize(sc)
    assert s["nrr_12"] == pytest.approx((0.95 * 0.98) ** 12, rel=1e-12)
    assert s["grr_12"] == s["nrr_12"]


def test_nrr_annual_one_renewal_in_twelve_months():
    sc = make(
        [
            {
                "name": "A",
                "list_price": 10,
                "annual_share": 1,
                "new_customers": 3,
                "annual_churn": 0.1,
                "annual_expansion": 0.07,
                "existing_annual_customers": 120,
            }
        ],
        horizon_months=30,
    )
    s = summarize(sc)
    assert s["nrr_12"] == pytest.approx(0.9 * 1.07, rel=1e-12)
    assert s["grr_12"] == pytest.approx(0.9, rel=1e-12)


def test_nrr_null_when_base_mrr_is_zero():
    sc = make(
        [{"name": "A", "list_price": 10, "new_customers": 0, "existing_monthly_customers": 0}],
        horizon_months=24,
    )
    assert summarize(sc)["nrr_12"] is None


def test_summarize_many_mixed_horizons(mixed):
    short = mixed.model_copy(update={"horizon_months": 12})
    many = summarize_many([mixed, short, mixed])
    assert many == [summarize(mixed), summarize(short), summarize(mixed)]


def test_monthly_totals_and_quick_ratio(mixed):
    totals = monthly_totals(project(mixed))
    assert totals.height == 40
    row = totals.row(4, named=True)
    frame = project(mixed).filter(pl.col("month") == 5)
    assert row["mrr"] == pytest.approx(frame["mrr"].sum())
    gains = frame["new_mrr"].sum() + frame["expansion_mrr"].sum()
    losses = frame["contraction_mrr"].sum() + frame["churned_mrr"].sum()
    assert row["quick_ratio"] == pytest.approx(gains / losses)
    assert row["net_new_mrr"] == pytest.approx(gains - losses)
    assert totals["cumulative_cash"].to_list()[-1] == pytest.approx(
        summarize(mixed)["cumulative_cash"]
    )


def test_plan_comparison_matches_counterfactual_summaries(mixed):
    plans = plan_comparison(mixed)
    assert plans["plan"].unique(maintain_order=True).to_list() == list(PLANS)
    ending = plans.filter(pl.col("month") == 40)
    from mrrsim import all_annual, all_monthly

    expected = [summarize(s)["ending_mrr"] for s in (mixed, all_monthly(mixed), all_annual(mixed))]
    assert ending["mrr"].to_list() == pytest.approx(expected, rel=1e-12)


@given(scenarios())
def test_plan_results_equal_the_separate_calls_exactly(sc):
    """The app's one-pass bundle shows exactly what the CLI computes, to the last bit."""
    results = plan_results(sc)
    assert_frame_equal(results.projection, project(sc), check_exact=True)
    assert_frame_equal(results.comparison, plan_comparison(sc), check_exact=True)
    assert list(results.summaries) == list(PLANS)
    assert list(results.summaries.values()) == [summarize(v) for v in plan_variants(sc)]


def test_renewal_calendar_existing_base():
    sc = make(
        [{"name": "A", "list_price": 100, "existing_annual_customers": 240, "annual_churn": 0.25}],
        horizon_months=13,
        annual_discount=0.25,
    )
    cal = renewal_calendar(sc)
    assert cal.height == 13
    first = cal.row(0, named=True)
    assert first["renewing_customers"] == pytest.approx(20)
    assert first["renewing_mrr"] == pytest.approx(20 * 75)
    assert first["expected_lost_mrr"] == pytest.approx(5 * 75)
    assert cal.row(12, named=True)["renewing_customers"] == pytest.approx(15)


def test_every_preset_summary_matches_the_literal_model():
    """The numbers `python -m mrrsim summary <preset>` prints, checked cohort by cohort."""
    from mrrsim import load_preset, preset_names

    for name in preset_names():
        sc = load_preset(name)
        got, want = summarize(sc), reference_summary(sc)
        for key in SUMMARY_KEYS:
            assert _same(got[key], want[key]), (name, key)
