"""Tornado, discount x share grid and break-even: hand-checked values, identities, properties."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import reference_summary

from mrrsim import sensitivity
from mrrsim.metrics import summarize, variant_metrics
from mrrsim.policy import Variant
from mrrsim.projection import project
from mrrsim.scenario import Scenario, parse_scenario
from mrrsim.sensitivity import (
    DEFAULT_DISCOUNTS,
    DEFAULT_SHARES,
    discount_share_grid,
    mix_point,
    tornado,
)
from mrrsim.yamlio import load_preset


def scenario(segments: list[dict], **top: object) -> Scenario:
    return parse_scenario({"name": "test", **top, "segments": segments})


TINY = scenario(
    [{"name": "Solo", "list_price": 100, "monthly_churn": 0.1, "existing_monthly_customers": 10}],
    horizon_months=3,
    cost_of_capital=0.1,
)


def tiny_npv(price: float, churn: float, base: float, coc: float) -> float:
    """NPV of TINY by hand: month t has base * (1 - churn)^t customers paying ``price``."""
    return sum(base * (1 - churn) ** t * price * (1 + coc) ** (-(t - 1) / 12) for t in (1, 2, 3))


THREE = scenario(
    [
        {
            "name": "Starter",
            "list_price": 50,
            "new_customers": 100,
            "acquisition_growth": 0.01,
            "annual_share": 0.3,
            "monthly_churn": 0.02,
            "annual_churn": 0.2,
            "monthly_expansion": 0.003,
            "annual_expansion": 0.04,
            "existing_monthly_customers": 500,
            "existing_annual_customers": 240,
        },
        {
            "name": "Pro",
            "list_price": 400,
            "new_customers": 10,
            "annual_share": 0.7,
            "annual_discount": 0.1,
            "monthly_churn": 0.01,
            "annual_churn": 0.1,
            "existing_annual_customers": 36,
        },
        {
            "name": "Enterprise",
            "list_price": 2000,
            "new_customers": 2,
            "annual_share": 1.0,
            "monthly_churn": 0.01,
            "annual_churn": 0.08,
            "annual_expansion": 0.1,
        },
    ],
    horizon_months=24,
    annual_discount=0.15,
)


@pytest.fixture(scope="module")
def three_grid() -> pl.DataFrame:
    return discount_share_grid(THREE)


def by_input(frame: pl.DataFrame) -> dict[str, dict]:
    return {row["input"]: row for row in frame.iter_rows(named=True)}


def project_metrics(sc: Scenario | Variant) -> dict[str, float]:
    """ending ARR, cumulative cash and NPV of one scenario straight from ``project``."""
    frame = project(sc)
    if isinstance(sc, Variant):
        sc = sc.scenario
    h = sc.horizon_months
    cash = frame.group_by("month").agg(pl.col("cash").sum()).sort("month")
    return {
        "ending_arr": 12 * frame.filter(pl.col("month") == h)["mrr"].sum(),
        "cumulative_cash": frame["cash"].sum(),
        "npv_cash": sum(
            c * (1 + sc.cost_of_capital) ** (-(m - 1) / 12) for m, c in cash.iter_rows()
        ),
    }


# --- variant_metrics --------------------------------------------------------------------------


def test_variant_metrics_match_the_literal_reference() -> None:
    variants = [THREE, THREE.model_copy(update={"cost_of_capital": 0.3})]
    got = variant_metrics(variants)
    assert got["variant"].to_list() == [0, 1]
    for row, sc in zip(got.iter_rows(named=True), variants, strict=True):
        ref = reference_summary(sc)
        for key in ("ending_arr", "npv_cash", "cumulative_cash"):
            assert row[key] == pytest.approx(ref[key], rel=1e-12)
    summary = summarize(THREE)
    assert got["ending_arr"][0] == pytest.approx(summary["ending_arr"], rel=1e-12)
    assert got["npv_cash"][0] == pytest.approx(summary["npv_cash"], rel=1e-12)
    assert got["npv_cash"][1] < got["npv_cash"][0]
    assert got["ending_arr"][1] == got["ending_arr"][0]


def test_variant_metrics_needs_one_horizon() -> None:
    with pytest.raises(ValueError, match="one horizon"):
        variant_metrics([THREE, TINY])
    with pytest.raises(ValueError, match="at least one scenario"):
        variant_metrics([])


# --- tornado ----------------------------------------------------------------------------------


def test_tornado_by_hand_on_a_tiny_scenario() -> None:
    bars = by_input(tornado(TINY, top=None))
    # inputs at 0 (new customers, growth, share, expansion, annual churn) get no bar
    assert set(bars) == {
        "list_price",
        "annual_discount",
        "monthly_churn",
        "existing_monthly_customers",
        "cost_of_capital",
        "billing_effect",
    }
    base_arr = 12 * 10 * 0.9**3 * 100
    price = bars["list_price"]
    assert (price["low_value"], price["high_value"]) == pytest.approx((80, 120))
    assert price["base_ending_arr"] == pytest.approx(base_arr, rel=1e-12)
    assert price["ending_arr_low"] == pytest.approx(0.8 * base_arr, rel=1e-12)
    assert price["ending_arr_high"] == pytest.approx(1.2 * base_arr, rel=1e-12)
    assert price["impact"] == pytest.approx(0.2 * base_arr, rel=1e-12)
    assert price["label"] == "List price"
    assert price["segment"] == "Solo"

    churn = bars["monthly_churn"]
    assert (churn["low_value"], churn["high_value"]) == pytest.approx((0.08, 0.12))
    assert churn["ending_arr_low"] == pytest.approx(12 * 1000 * 0.92**3, rel=1e-12)
    assert churn["ending_arr_high"] == pytest.approx(12 * 1000 * 0.88**3, rel=1e-12)
    assert churn["npv_low"] == pytest.approx(tiny_npv(100, 0.08, 10, 0.1), rel=1e-12)
    assert churn["npv_high"] == pytest.approx(tiny_npv(100, 0.12, 10, 0.1), rel=1e-12)
    assert churn["base_npv"] == pytest.approx(tiny_npv(100, 0.1, 10, 0.1), rel=1e-12)

    coc = bars["cost_of_capital"]
    assert coc["ending_arr_low"] == coc["ending_arr_high"] == pytest.approx(base_arr)
    assert coc["impact"] == 0.0
    assert coc["npv_low"] == pytest.approx(tiny_npv(100, 0.1, 10, 0.08), rel=1e-12)
    assert coc["npv_high"] == pytest.approx(tiny_npv(100, 0.1, 10, 0.12), rel=1e-12)
    # no annual customers: the discount moves nothing; nobody is moved, so neither does the
    # billing effect
    assert bars["annual_discount"]["impact"] == 0.0
    assert bars["billing_effect"]["impact"] == 0.0


def test_tornado_sorts_by_impact_and_keeps_top() -> None:
    full = tornado(THREE, top=None)
    impacts = full["impact"].to_list()
    assert impacts == sorted(impacts, reverse=True)
    top5 = tornado(THREE, top=5)
    assert top5["input"].to_list() == full["input"].head(5).to_list()
    assert top5["impact"].to_list() == pytest.approx(impacts[:5], rel=1e-12)
    for row in full.iter_rows(named=True):
        swing = max(
            abs(row["ending_arr_low"] - row["base_ending_arr"]),
            abs(row["ending_arr_high"] - row["base_ending_arr"]),
        )
        assert row["impact"] == pytest.approx(swing, rel=1e-12, abs=1e-9)
    by_npv = tornado(THREE, metric="npv_cash", top=None)
    assert by_npv["impact"].to_list() == sorted(by_npv["impact"].to_list(), reverse=True)
    row = by_input(by_npv)["cost_of_capital"]
    assert row["impact"] == pytest.approx(
        max(abs(row["npv_low"] - row["base_npv"]), abs(row["npv_high"] - row["base_npv"]))
    )
    assert row["impact"] > 0


def test_tornado_labels_and_all_segment_bars_for_several_segments() -> None:
    bars = by_input(tornado(THREE, top=None))
    churn_pro = bars["monthly_churn (Pro)"]
    assert churn_pro["label"] == "Monthly churn — Pro"
    assert churn_pro["segment"] == "Pro"
    everyone = bars["monthly_churn (all segments)"]
    assert everyone["label"] == "Monthly churn — all segments"
    assert everyone["segment"] is None
    assert everyone["low_value"] is None  # the segments' churn rates differ
    # only Starter has monthly expansion: no all-segments duplicate of its bar
    assert "monthly_expansion (Starter)" in bars
    assert "monthly_expansion (all segments)" not in bars
    # the all-segments bar is every segment moved by -20% / +20% at once
    moved = THREE.model_copy(
        update={
            "segments": tuple(
                seg.model_copy(update={"monthly_churn": seg.monthly_churn * 1.2})
                for seg in THREE.segments
            )
        }
    )
    assert everyone["ending_arr_high"] == pytest.approx(
        project_metrics(moved)["ending_arr"], rel=1e-12
    )
    # the effective discount: Pro's own override (0.1), the others the scenario's (0.15)
    assert bars["annual_discount (Pro)"]["base_value"] == pytest.approx(0.1)
    assert bars["annual_discount (Starter)"]["high_value"] == pytest.approx(0.18)


def test_tornado_clips_to_the_valid_ranges() -> None:
    sc = scenario(
        [
            {
                "name": "Edge",
                "list_price": 10,
                "new_customers": 5,
                "annual_share": 1.0,
                "annual_discount": 0.9,
                "monthly_churn": 0.9,
                "annual_churn": 0.5,
                "acquisition_growth": 0.45,
                "annual_expansion": -0.8,
            }
        ],
        horizon_months=14,
    )
    bars = by_input(tornado(sc, top=None))
    assert bars["annual_share"]["high_value"] == 1.0
    assert bars["annual_share"]["low_value"] == pytest.approx(0.8)
    assert bars["annual_share"]["ending_arr_high"] == bars["annual_share"]["base_ending_arr"]
    assert bars["monthly_churn"]["high_value"] == 1.0
    assert bars["acquisition_growth"]["high_value"] == 0.5
    assert bars["annual_expansion"]["low_value"] == -0.9  # -0.8 - 0.16 clipped
    assert bars["annual_expansion"]["high_value"] == pytest.approx(-0.64)
    assert 0.99 < bars["annual_discount"]["high_value"] < 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"delta": 0}, "delta: must be above 0 and below 1 (got 0)"),
        ({"delta": 1.0}, "delta"),
        ({"delta": True}, "delta"),
        ({"metric": "mrr"}, "metric: must be one of ending_arr, npv_cash (got 'mrr')"),
        ({"top": 0}, "top: must be a whole number of at least 1"),
    ],
)
def test_tornado_rejects_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        tornado(TINY, **kwargs)


rates = st.floats(0.0, 0.6)
segment_data = st.fixed_dictionaries(
    {
        "list_price": st.floats(1, 500),
        "new_customers": st.floats(0, 200),
        "acquisition_growth": st.floats(-0.1, 0.1),
        "annual_share": st.floats(0, 1),
        "monthly_churn": rates,
        "annual_churn": rates,
        "monthly_expansion": st.floats(-0.05, 0.05),
        "annual_expansion": st.floats(-0.5, 0.5),
        "existing_monthly_customers": st.floats(0, 1000),
        "existing_annual_customers": st.floats(0, 1000),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    segs=st.lists(segment_data, min_size=1, max_size=3),
    horizon=st.integers(1, 40),
    delta=st.floats(0.01, 0.9),
)
def test_more_churn_never_raises_ending_arr_or_npv(
    segs: list[dict], horizon: int, delta: float
) -> None:
    sc = scenario([{"name": f"S{i}", **s} for i, s in enumerate(segs)], horizon_months=horizon)
    frame = tornado(sc, delta, top=None).filter(pl.col("input").str.contains("churn"))
    for row in frame.iter_rows(named=True):
        for metric, base in (("ending_arr", "base_ending_arr"), ("npv", "base_npv")):
            tol = 1e-9 * max(1.0, abs(row[base]))
            assert row[f"{metric}_high"] <= row[base] + tol
            assert row[f"{metric}_low"] >= row[base] - tol


# --- discount x share grid --------------------------------------------------------------------


def test_grid_shape_and_order(three_grid: pl.DataFrame) -> None:
    grid = three_grid
    assert grid.columns == [
        "annual_discount",
        "annual_share",
        "npv_cash",
        "ending_arr",
        "cumulative_cash",
        "npv_vs_all_monthly",
    ]
    assert grid.height == 21 * 21
    assert grid["annual_discount"].unique().sort().to_list() == pytest.approx(DEFAULT_DISCOUNTS)
    assert grid["annual_share"].head(21).to_list() == pytest.approx(DEFAULT_SHARES)
    assert grid["annual_discount"].is_sorted()
    assert grid.filter(pl.col("annual_share") == 0.0)["npv_vs_all_monthly"].to_list() == [0.0] * 21


def _at_share(sc: Scenario, share: float) -> Scenario:
    return sc.with_segments(annual_share=share)


@pytest.mark.parametrize("take_up", [None, 0.05])
@pytest.mark.parametrize(("discount", "share"), [(0.0, 0.0), (0.14, 0.35), (0.4, 1.0)])
def test_grid_cells_equal_project_of_the_same_variant(
    take_up: float | None, discount: float, share: float
) -> None:
    """A cell is the scenario at that share today, offering ``discount`` to new customers: with
    a take-up response the share moves and movers appear (compared with the engine's variant)."""
    sc = THREE if take_up is None else THREE.with_segments(annual_share_at_no_discount=take_up)
    grid = discount_share_grid(sc, discounts=[discount], shares=[share])
    cell = grid.row(0, named=True)
    n = len(sc.segments)
    direct = project_metrics(
        Variant(_at_share(sc, share), "mix", dict.fromkeys(range(n), discount))
    )
    for key in ("npv_cash", "ending_arr", "cumulative_cash"):
        assert cell[key] == pytest.approx(direct[key], rel=1e-12)
    monthly = project_metrics(Variant(_at_share(sc, share), "all_monthly"))
    assert cell["npv_vs_all_monthly"] == pytest.approx(
        direct["npv_cash"] - monthly["npv_cash"], rel=1e-9, abs=1e-6
    )


def term_metrics(sc: Scenario, term: str) -> dict[str, float]:
    """project_metrics restricted to one billing term."""
    frame = project(sc).filter(pl.col("term") == term)
    h, coc = sc.horizon_months, sc.cost_of_capital
    return {
        "ending_arr": 12 * frame.filter(pl.col("month") == h)["mrr"].sum(),
        "cumulative_cash": frame["cash"].sum(),
        "npv_cash": sum(
            c * (1 + coc) ** (-(m - 1) / 12) for m, c in frame.select("month", "cash").rows()
        ),
    }


def test_grid_is_the_closed_form_in_discount_and_share() -> None:
    """Without a take-up response and with no signed contracts, cohort sizes are linear in the
    share and annual prices scale with (1 - d), so every cell follows from two projections at
    discount 0 (share 1 and share 0), split by term."""
    sc = THREE.with_segments(existing_annual_customers=0.0)
    grid = discount_share_grid(sc)
    one = sc.with_segments(annual_discount=0.0, annual_share=1.0)
    zero = sc.with_segments(annual_discount=0.0, annual_share=0.0)
    xm, xa = term_metrics(one, "monthly"), term_metrics(one, "annual")
    ym, ya = term_metrics(zero, "monthly"), term_metrics(zero, "annual")
    for row in grid.iter_rows(named=True):
        d, s = row["annual_discount"], row["annual_share"]
        for key in ("npv_cash", "ending_arr", "cumulative_cash"):
            monthly = (1 - s) * (ym[key] - xm[key]) + xm[key]
            annual = (1 - d) * (s * (xa[key] - ya[key]) + ya[key])
            assert row[key] == pytest.approx(monthly + annual, rel=1e-9)


def test_grid_keeps_signed_contracts_at_their_price() -> None:
    """Only new contracts get the cell's discount: with no new customers every column of
    discounts is the same."""
    base_only = THREE.with_segments(new_customers=0.0)
    grid = discount_share_grid(base_only, discounts=[0.0, 0.3], shares=[0.5])
    assert grid["npv_cash"][0] == grid["npv_cash"][1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"discounts": [0.1, 1.0]}, "discounts: every value must be at least 0 and below 1"),
        ({"discounts": []}, "discounts: must list at least one value"),
        ({"shares": [0.5, 1.2]}, "shares: every value must be at least 0 and at most 1"),
        ({"shares": [math.nan]}, "shares: every value"),
    ],
)
def test_grid_rejects_bad_axes(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        discount_share_grid(TINY, **kwargs)


def test_mix_point_weights_segments_by_new_customers() -> None:
    sc = parse_scenario(
        {
            "name": "t",
            "annual_discount": 0.1,
            "segments": [
                {"name": "A", "list_price": 10, "new_customers": 30, "annual_share": 0.2},
                {
                    "name": "B",
                    "list_price": 10,
                    "new_customers": 10,
                    "annual_share": 0.6,
                    "annual_discount": 0.3,
                },
            ],
        }
    )
    assert mix_point(sc) == pytest.approx((0.15, 0.3))  # (3 x 0.1 + 0.3) / 4, (3 x 0.2 + 0.6) / 4
    no_new = sc.with_segments(new_customers=0.0)
    assert mix_point(no_new) == pytest.approx((0.2, 0.4))  # equal weights


# --- cost of one request ------------------------------------------------------------------------


def test_batches_give_the_same_numbers_as_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    sc = load_preset("three-tier-pricing")
    whole_grid = sensitivity.discount_share_grid(sc)
    whole_tornado = sensitivity.tornado(sc, top=None)
    # a batch of 7 variants: the 441 + 21 grid variants take 66 batches
    monkeypatch.setattr(sensitivity, "BATCH_ROWS", 7 * sensitivity.variant_rows(sc))
    assert sensitivity.discount_share_grid(sc).equals(whole_grid)
    assert sensitivity.tornado(sc, top=None).equals(whole_tornado)


def test_an_analysis_beyond_the_budget_is_refused_with_a_clear_message() -> None:
    sc = load_preset("three-tier-pricing")
    rows = sensitivity.variant_rows(sc)
    assert rows == 5 * len(sc.segments) * (sc.horizon_months + 12)
    values = [i / 1000 for i in range(0, 1000, 1)]  # 1000 x 1000 cells
    with pytest.raises(sensitivity.AnalysisTooLargeError, match="more than one request may take"):
        sensitivity.discount_share_grid(sc, discounts=values, shares=values)
