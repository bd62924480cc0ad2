"""Summary metrics and the per-segment decision against hand computations and the literal model."""

from __future__ import annotations

import math

import polars as pl
import pytest
from conftest import make, scenarios
from hypothesis import given
from polars.testing import assert_frame_equal
from reference import break_even_parts, reference_summary, value_at

from mrrsim import project, summarize, summarize_many
from mrrsim.metrics import (
    PLANS,
    SUMMARY_KEYS,
    SegmentDecision,
    monthly_totals,
    plan_comparison,
    plan_results,
    plan_variants,
    renewal_calendar,
    value_curve,
)


def _same(a, b, rel: float = 1e-9) -> bool:
    """Equal up to rounding; ``segments`` compared field by field."""
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(_same(x, y, rel) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict | SegmentDecision):
        x = a if isinstance(a, dict) else a.to_dict()
        y = b if isinstance(b, dict) else b.to_dict()
        return x.keys() == y.keys() and all(
            x[k] == y[k] if k == "name" else _same(x[k], y[k], rel) for k in x
        )
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


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
            "segments",
        )
    )
    assert s["ending_arr"] == s.ending_arr == 12 * s["ending_mrr"]
    assert {**dict(s), "segments": [seg.to_dict() for seg in s.segments]} == s.to_dict()


def test_matches_literal_model(mixed):
    got, want = summarize(mixed), reference_summary(mixed)
    for key in SUMMARY_KEYS:
        assert _same(got[key], want[key]), key


@given(scenarios(max_segments=2, max_horizon=30))
def test_random_scenarios_match_literal_model(sc):
    got, want = summarize(sc), reference_summary(sc)
    for key in SUMMARY_KEYS:
        if key == "segments":
            for a, b in zip(got.segments, want["segments"], strict=True):
                # the grid optimum may tie-break differently only when two values agree to ~1e-12
                a, b = a.to_dict(), dict(b)
                if a["optimal_discount"] != b["optimal_discount"]:
                    assert math.isclose(a["value_at_optimal"], b["value_at_optimal"], rel_tol=1e-9)
                    a.pop("optimal_discount"), b.pop("optimal_discount")
                assert _same(a, b, 1e-7)
        else:
            assert _same(got[key], want[key], 1e-7), key


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


def test_lifetime_values_closed_form():
    """p = $100, churn 2% a month, no expansion, cost of capital 0, 10-year lifetime:
    LTV_m = 100 * (1 - 0.98^120) / 0.02; annual at 20% off, renewal churn 10%:
    LTV_a = 12 * 80 * (1 - 0.9^10) / 0.1."""
    sc = make(
        [
            {
                "name": "A",
                "list_price": 100,
                "new_customers": 10,
                "annual_share": 0.3,
                "annual_discount": 0.2,
                "monthly_churn": 0.02,
                "annual_churn": 0.1,
            }
        ],
        cost_of_capital=0.0,
    )
    seg = summarize(sc).segments[0]
    ltv_m = 100 * (1 - 0.98**120) / 0.02
    ltv_a = 12 * 80 * (1 - 0.9**10) / 0.1
    assert seg.lifetime_value_monthly == pytest.approx(ltv_m, rel=1e-12)
    assert seg.lifetime_value_annual == pytest.approx(ltv_a, rel=1e-12)
    assert seg.value_at_current == pytest.approx(0.7 * ltv_m + 0.3 * ltv_a, rel=1e-12)
    # no take-up response: a discount only costs, so the best discount is none
    assert seg.optimal_discount == 0.0
    assert seg.value_at_optimal == pytest.approx(0.7 * ltv_m + 0.3 * ltv_a / 0.8, rel=1e-12)


def test_break_even_makes_all_annual_worth_all_monthly():
    """At the break-even discount x*, (1 - x*) VA(0) = VM: the two plans' values are equal.
    With billing_effect 1 movers take the other plan's churn, so VM is LTV_m and VA(0) is
    LTV_a(0) whatever the mix."""
    sc = make(
        [
            {
                "name": "A",
                "list_price": 50,
                "new_customers": 20,
                "annual_share": 0.4,
                "monthly_churn": 0.04,
                "annual_churn": 0.2,
                "existing_monthly_customers": 999,
            }
        ],
        billing_effect=1.0,
        lifetime_months=60,
    )
    s = summarize(sc)
    delta = 1.1 ** (-1 / 12)
    vm = 50 * sum((0.96 * delta) ** a for a in range(60))
    va0 = 600 * sum((0.8 * delta**12) ** k for k in range(5))
    assert s.segments[0].break_even_discount == pytest.approx(1 - vm / va0, rel=1e-12)
    assert s["break_even_discount"] == pytest.approx(1 - vm / va0, rel=1e-12)
    # horizon-free: the same at 12 and 120 months
    for horizon in (12, 120):
        other = summarize(sc.varied(horizon_months=horizon))
        assert other["break_even_discount"] == pytest.approx(s["break_even_discount"], rel=1e-12)


def test_blended_break_even_weights_by_discounted_acquisitions():
    """Two segments: x* = 1 - sum w VM / sum w VA(0), w = sum_t n(t) delta^(t-1)."""
    sc = make(
        [
            {
                "name": "A",
                "list_price": 20,
                "new_customers": 100,
                "monthly_churn": 0.06,
                "annual_churn": 0.3,
                "acquisition_growth": 0.03,
            },
            {
                "name": "B",
                "list_price": 900,
                "new_customers": 2,
                "monthly_churn": 0.01,
                "annual_churn": 0.05,
                "annual_share": 0.9,
            },
        ],
        horizon_months=24,
    )
    s = summarize(sc)
    delta = 1.1 ** (-1 / 12)
    ws = [
        sum(100 * 1.03 ** (t - 1) * delta ** (t - 1) for t in range(1, 25)),
        sum(2 * delta ** (t - 1) for t in range(1, 25)),
    ]
    parts = [break_even_parts(sc, seg) for seg in sc.segments]
    want = 1 - sum(w * vm for w, (vm, _) in zip(ws, parts, strict=True)) / sum(
        w * va for w, (_, va) in zip(ws, parts, strict=True)
    )
    assert s["break_even_discount"] == pytest.approx(want, rel=1e-12)


def test_optimum_on_its_grid_with_a_take_up_response():
    """Take-up 10% with no discount, 40% at 20%: V(x) is quadratic in x; the optimum is the grid
    point with the largest value, checked against the literal formula at every point."""
    sc = make(
        [
            {
                "name": "A",
                "list_price": 100,
                "new_customers": 10,
                "annual_share": 0.4,
                "annual_share_at_no_discount": 0.1,
                "annual_discount": 0.2,
                "monthly_churn": 0.03,
                "annual_churn": 0.15,
            }
        ]
    )
    seg = summarize(sc).segments[0]
    values = [(value_at(sc, sc.segments[0], k / 1000), k / 1000) for k in range(601)]
    best = max(v for v, _ in values)
    assert seg.optimal_discount == min(x for v, x in values if v == best)
    assert 0 < seg.optimal_discount < 0.6
    assert seg.value_at_optimal == pytest.approx(best, rel=1e-12)
    assert seg.value_at_optimal >= seg.value_at_current
    curve = value_curve(sc)
    assert curve.height == 601
    assert curve.filter(pl.col("discount") == 0.2)["annual_share"].item() == pytest.approx(0.4)
    assert curve.filter(pl.col("discount") == 0.0)["annual_share"].item() == pytest.approx(0.1)


def test_break_even_null_without_new_customers():
    sc = make([{"name": "A", "list_price": 50, "existing_monthly_customers": 100}])
    s = summarize(sc)
    assert s["break_even_discount"] is None
    assert s.segments[0].break_even_discount is not None  # per new customer, still defined


def test_nrr_follows_switchers_onto_their_annual_price():
    """A closed monthly base, churn c, switching u in the last 12 months at discount d: the
    customers of month H - 12 bring ((1-c)(1-u))^12 of their MRR on monthly, plus, for those
    switching in month j, (1-c)^j (1-u)^(j-1) u (1 - d)."""
    c, u, d = 0.02, 0.05, 0.25
    sc = make(
        [
            {
                "name": "A",
                "list_price": 40,
                "annual_discount": d,
                "monthly_churn": c,
                "existing_monthly_customers": 500,
                "conversion_rate": u,
                "conversion_months": [13, 24],
            }
        ],
        horizon_months=24,
    )
    s = summarize(sc)
    kept = ((1 - c) * (1 - u)) ** 12
    switched = sum((1 - c) ** j * (1 - u) ** (j - 1) * u for j in range(1, 13))
    assert s["nrr_12"] == pytest.approx(kept + (1 - d) * switched, rel=1e-12)
    assert s["grr_12"] == pytest.approx(kept + (1 - d) * switched, rel=1e-12)


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
    short = mixed.varied(horizon_months=12)
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
    assert row["net_new_mrr"] == pytest.approx(gains - losses + frame["switched_mrr"].sum())
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
