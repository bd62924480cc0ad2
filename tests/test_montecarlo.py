"""The Monte Carlo engine (docs/model.md, "Monte Carlo"): pinned seeded values checked by hand,
exact conservation cases, movers and switching, convergence to the deterministic projection,
the normal approximation against all-exact draws, the budget, and properties."""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
import pytest
from conftest import make, scenarios
from hypothesis import given, settings
from hypothesis import strategies as st

from mrrsim import montecarlo as mc
from mrrsim.metrics import PLANS, plan_variants
from mrrsim.montecarlo import (
    MAX_DRAWS,
    METRICS,
    SimulationTooLargeError,
    affordable_paths,
    draw_binomial,
    draw_poisson,
    ending_distribution,
    existing_annual_spread,
    largest_remainders,
    multiplier,
    plan_paths,
    prob_reaching,
    simulate,
    simulate_paths,
    simulate_plans,
    simulation_draws,
    summarize_paths,
)
from mrrsim.policy import Variant
from mrrsim.projection import project
from mrrsim.scenario import Scenario


def halving(**top: object) -> Scenario:
    """10 monthly customers at 10 a month, each leaving with probability 1/2 every month."""
    seg = {"name": "A", "list_price": 10, "existing_monthly_customers": 10, "monthly_churn": 0.5}
    return make([seg], horizon_months=3, **top)


def with_uncertainty(sc: Scenario, churn: float, acquisition: float) -> Scenario:
    return sc.model_copy(
        update={
            "uncertainty": sc.uncertainty.model_copy(
                update={"churn": churn, "acquisition": acquisition}
            )
        }
    )


def column(frame: pl.DataFrame, metric: str, stat: str) -> list[float]:
    return frame.filter(pl.col("metric") == metric).sort("month")[stat].to_list()


# --- pinned seeded values, each checked by reasoning -------------------------------------------


def test_pinned_paths_of_a_halving_base() -> None:
    # Seed 7, 4 paths. Month 1 survivors ~ Binomial(10, 1/2) per path; every later month a
    # Binomial of the previous count, so counts never rise; MRR = 10 * customers, cash = MRR.
    paths = simulate_paths(halving(), paths=4, seed=7)
    customers = paths.sort("path", "month")["customers"].to_list()
    assert customers == [4, 2, 1, 6, 3, 1, 7, 3, 1, 4, 0, 0]
    assert paths["mrr"].to_list() == [10.0 * c for c in customers]
    assert paths["arr"].to_list() == [120.0 * c for c in customers]
    assert paths["cash"].to_list() == paths["mrr"].to_list()
    assert paths.filter(pl.col("path") == 2)["cumulative_cash"].to_list() == [70.0, 100.0, 110.0]


def test_pinned_paths_with_monthly_expansion_track_each_age() -> None:
    # Base 4 and Poisson(2) new a month, churn 1/2, price 10 * 1.1^age: 10, 11, 12.1 by age.
    # Every MRR must decompose into those prices with no cohort growing: path 0 month 1 is 1
    # base customer at 11 + 3 new at 10 = 41; month 2 is 1 aged 1 at 11 + 1 new = 21 (the base
    # is gone); month 3 is 4 new = 40. Path 2 month 1 is 2 base at 11 + 1 new = 32; month 3 is
    # 2 aged 1 at 11 + 2 new = 42.
    sc = make(
        [
            {
                "name": "A",
                "list_price": 10,
                "existing_monthly_customers": 4,
                "new_customers": 2,
                "monthly_churn": 0.5,
                "monthly_expansion": 0.1,
            },
        ],
        horizon_months=3,
    )
    paths = simulate_paths(sc, paths=3, seed=5)
    assert paths["customers"].to_list() == [4, 2, 4, 2, 2, 6, 3, 2, 4]
    expected = [41.0, 21.0, 40.0, 21.0, 21.0, 60.0, 32.0, 20.0, 42.0]
    assert paths["mrr"].to_list() == pytest.approx(expected, rel=1e-12)
    assert paths["cash"].to_list() == paths["mrr"].to_list()


def test_pinned_quantiles_use_linear_interpolation() -> None:
    # Month-1 customers of the four paths above are 4, 6, 7, 4 -> sorted 4, 4, 6, 7.
    # Linear interpolation at position q * (n - 1): p10 at 0.3 -> 4, p50 at 1.5 -> 4 + 0.5 *
    # (6 - 4) = 5, p90 at 2.7 -> 6 + 0.7 * (7 - 6) = 6.7; mean 21 / 4 = 5.25.
    out = simulate(halving(), paths=4, seed=7)
    row = out.filter((pl.col("metric") == "customers") & (pl.col("month") == 1))
    assert row.select("mean", "p10", "p50", "p90").row(0) == pytest.approx((5.25, 4.0, 5.0, 6.7))
    # Cumulative cash per path: 70, 100, 110, 40 -> sorted 40, 70, 100, 110: p10 40 + 0.3 * 30,
    # p50 70 + 0.5 * 30, p90 100 + 0.7 * 10.
    last = out.filter((pl.col("metric") == "cumulative_cash") & (pl.col("month") == 3))
    assert last.select("mean", "p10", "p50", "p90").row(0) == pytest.approx((80, 49, 85, 107))


def test_pinned_annual_renewals() -> None:
    # 24 annual customers -> 2 first renew in each of months 1..12 at 100 * (1 - 0.25) = 75 a
    # month; each renewal keeps a Binomial(2, 1/2). Cash = 12 * 75 * renewed customers.
    sc = make(
        [{"name": "B", "list_price": 100, "existing_annual_customers": 24, "annual_churn": 0.5}],
        horizon_months=13,
        annual_discount=0.25,
    )
    paths = simulate_paths(sc, paths=2, seed=7)
    first = paths.filter(pl.col("path") == 0)
    # 1 of 2 kept in months 1, 2 and 3, none in month 4
    assert first["customers"].to_list()[:4] == [23, 22, 21, 19]
    assert first["cash"].to_list()[:4] == [900.0, 900.0, 900.0, 0.0]
    assert first["mrr"].to_list()[:2] == [23 * 75.0, 22 * 75.0]
    # Month 13: month 1's single survivor renews again and stays (cash 900, as many customers).
    assert first.filter(pl.col("month") == 13).select("customers", "cash").row(0) == (10, 900.0)
    # Path 1 keeps 1, 2, 1, 0, 2, 0, 1, 2, 1, 0, 2, 1 in months 1..12 and month 1's survivor
    # leaves in month 13: 13 renewals of 900.
    assert paths.filter(pl.col("path") == 1)["cumulative_cash"].to_list()[-1] == 11700.0


# --- shape, order, determinism ------------------------------------------------------------------


def test_columns_rows_and_order(mixed: Scenario) -> None:
    out = simulate(mixed, paths=50, seed=3)
    h = mixed.horizon_months
    assert out.columns == ["month", "metric", "mean", "p10", "p50", "p90"]
    assert out.schema["month"] == pl.Int64 and out.schema["metric"] == pl.String
    assert out["metric"].to_list() == [m for m in METRICS for _ in range(h)]
    assert out["month"].to_list() == list(range(1, h + 1)) * len(METRICS)


def test_same_seed_same_numbers_other_seed_other_numbers(mixed: Scenario) -> None:
    sc = with_uncertainty(mixed, 0.3, 0.2)
    first = simulate(sc, paths=300, seed=11)
    assert first.equals(simulate(sc, paths=300, seed=11))
    other = simulate(sc, paths=300, seed=12)
    assert not first.equals(other)
    assert column(first, "mrr", "mean")[-1] != column(other, "mrr", "mean")[-1]


def test_numbers_do_not_depend_on_the_thread_count(
    mixed: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = with_uncertainty(mixed, 0.3, 0.2)
    paths = 2 * mc.CHUNK + 7  # three chunks
    monkeypatch.setattr(mc.os, "cpu_count", lambda: 1)
    serial = simulate_paths(sc, paths=paths, seed=5)
    monkeypatch.setattr(mc.os, "cpu_count", lambda: 3)
    assert serial.equals(simulate_paths(sc, paths=paths, seed=5))


def test_quantiles_are_ordered_on_every_row(mixed: Scenario) -> None:
    out = simulate(with_uncertainty(mixed, 0.5, 0.5), paths=400, seed=2)
    assert out.filter(
        ~((pl.col("p10") <= pl.col("p50")) & (pl.col("p50") <= pl.col("p90")))
    ).is_empty()


# --- exact conservation cases ------------------------------------------------------------------


def test_no_churn_no_acquisition_keeps_the_rounded_base_in_every_path() -> None:
    # Rounding is half to even: 2.5 -> 2 monthly, 36.5 -> 36 annual; 7.6 -> 8 monthly.
    sc = make(
        [
            {
                "name": "A",
                "list_price": 10,
                "existing_monthly_customers": 2.5,
                "existing_annual_customers": 36.5,
                "monthly_expansion": 0.1,
            },
            {"name": "B", "list_price": 1, "existing_monthly_customers": 7.6},
        ],
        horizon_months=14,
        uncertainty={"churn": 2, "acquisition": 2},
    )
    paths = simulate_paths(sc, paths=200, seed=9)
    assert set(paths["customers"].to_list()) == {2 + 36 + 8}
    # MRR is exact too: monthly 2 * 10 * 1.1^t + 8, annual 36 * 10 * 0.85 (before renewals).
    month3 = paths.filter(pl.col("month") == 3)["mrr"]
    assert month3.min() == pytest.approx(20 * 1.1**3 + 8 + 306, rel=1e-12)
    assert month3.max() == month3.min()


def test_existing_annual_base_spreads_remainder_to_earliest_months() -> None:
    assert existing_annual_spread(25) == [3] + [2] * 11
    assert existing_annual_spread(12.5) == [1] * 12  # 12.5 rounds half to even -> 12
    assert existing_annual_spread(13.5) == [2, 2] + [1] * 10  # 13.5 -> 14
    assert existing_annual_spread(0) == [0] * 12


def test_annual_base_of_25_renews_3_then_2_a_month() -> None:
    seg = {"name": "A", "list_price": 100, "existing_annual_customers": 25}
    # Churn 1: every renewal is lost, so the count falls by the spread, in every path.
    lost = simulate_paths(make([{**seg, "annual_churn": 1}], horizon_months=13), paths=20, seed=1)
    expected = [25 - 3 - 2 * (t - 1) for t in range(1, 13)] + [0]
    for _, group in lost.group_by("path"):
        assert group.sort("month")["customers"].to_list() == expected
    assert set(lost.filter(pl.col("month") == 13)["mrr"].to_list()) == {0.0}
    # Churn 0: cash = 12 * 85 per renewing customer, 3 in months 1 and 13, else 2.
    kept = simulate_paths(make([seg], horizon_months=13), paths=5, seed=1)
    per = 12 * 100 * 0.85
    assert set(kept.filter(pl.col("month").is_in([1, 13]))["cash"].to_list()) == {3 * per}
    assert set(kept.filter(pl.col("month") == 7)["cash"].to_list()) == {2 * per}


# --- convergence to the deterministic projection -----------------------------------------------


CONVERGE = make(
    [
        {
            "name": "A",
            "list_price": 50,
            "new_customers": 40,
            "acquisition_growth": 0.01,
            "annual_share": 0.4,
            "monthly_churn": 0.03,
            "annual_churn": 0.2,
            "monthly_expansion": 0.005,
            "annual_expansion": 0.05,
            "existing_monthly_customers": 500,
            "existing_annual_customers": 240,
        },
        {
            "name": "B",
            "list_price": 200,
            "new_customers": 10,
            "annual_share": 0.7,
            "monthly_churn": 0.02,
            "annual_churn": 0.1,
            "existing_monthly_customers": 100,
            "existing_annual_customers": 120,
        },
    ],
    horizon_months=30,
)


def test_mean_converges_to_the_projection_without_uncertainty() -> None:
    # Whole existing counts and annual bases divisible by 12 make the expectation of every draw
    # equal the projection exactly (Poisson and Binomial means), so only sampling error is left.
    # With 4000 paths the standard error of a mean is sd / sqrt(4000): for customers (~1000-1800,
    # sd ~ 30-40) that is ~0.6, i.e. ~0.05% relative. We require |mean - projection| within
    # 5 standard errors for every month and metric, and relative error below 1% (the 1% bound
    # is ~20 standard errors wide; the 5-SE bound is the sharp one).
    paths = 4000
    det = (
        project(CONVERGE)
        .group_by("month")
        .agg(pl.col("mrr", "customers", "cash").sum())
        .sort("month")
        .with_columns(pl.col("cash").cum_sum().alias("cumulative_cash"))
    )
    sims = simulate_paths(CONVERGE, paths=paths, seed=1)
    stats = sims.group_by("month").agg(
        *(pl.col(m).cast(pl.Float64).mean().alias(f"{m}_mean") for m in det.columns[1:]),
        *(pl.col(m).cast(pl.Float64).std().alias(f"{m}_sd") for m in det.columns[1:]),
    )
    joined = det.join(stats, on="month").sort("month")
    assert joined.height == CONVERGE.horizon_months
    for metric in ("mrr", "customers", "cash", "cumulative_cash"):
        gap = (joined[f"{metric}_mean"] - joined[metric]).abs()
        se = joined[f"{metric}_sd"] / math.sqrt(paths)
        assert (gap <= 5 * se).all(), metric
        assert ((gap / joined[metric]) < 0.01).all(), metric


def test_shortcut_for_flat_monthly_price_matches_per_age_draws() -> None:
    # monthly_expansion = 0 draws the whole monthly term as one Binomial; a tiny expansion forces
    # per-age draws. Same law: means and spreads agree within sampling error.
    base = {
        "name": "A",
        "list_price": 10,
        "new_customers": 30,
        "monthly_churn": 0.1,
        "existing_monthly_customers": 200,
    }
    flat = simulate_paths(make([base], horizon_months=24), paths=3000, seed=1)
    aged = simulate_paths(
        make([{**base, "monthly_expansion": 1e-12}], horizon_months=24), paths=3000, seed=2
    )
    a = flat.filter(pl.col("month") == 24)["customers"].cast(pl.Float64)
    b = aged.filter(pl.col("month") == 24)["customers"].cast(pl.Float64)
    se = math.sqrt((a.var() + b.var()) / 3000)
    assert abs(a.mean() - b.mean()) < 5 * se
    assert a.std() == pytest.approx(b.std(), rel=0.1)
    # Expected: 200 * 0.9^24 + sum_{a=1..24} 30 * 0.9^(24-a) = 200 * 0.9^24 + 300 * (1 - 0.9^24).
    assert a.mean() == pytest.approx(200 * 0.9**24 + 300 * (1 - 0.9**24), rel=0.01)


# --- uncertainty --------------------------------------------------------------------------------


def test_multiplier_has_mean_one_and_the_given_cv() -> None:
    z = np.random.default_rng(0).standard_normal(400_000)
    assert np.array_equal(multiplier(z, 0.0), np.ones_like(z))
    for cv in (0.25, 1.0):
        m = multiplier(z, cv)
        assert m.mean() == pytest.approx(1.0, abs=0.01)
        assert m.std() / m.mean() == pytest.approx(cv, rel=0.05)
        assert (m > 0).all()


def test_spread_grows_with_churn_uncertainty() -> None:
    widths = []
    for cv in (0.0, 0.2, 0.6, 1.5):
        out = simulate(with_uncertainty(CONVERGE, cv, 0.0), paths=1500, seed=4)
        last = out.filter((pl.col("metric") == "mrr") & (pl.col("month") == 30))
        widths.append(last["p90"].item() - last["p10"].item())
    assert widths == sorted(widths) and len(set(widths)) == 4
    assert widths[-1] > 3 * widths[0]


def test_spread_grows_with_acquisition_uncertainty() -> None:
    widths = []
    for cv in (0.0, 0.3, 1.0):
        out = simulate(with_uncertainty(CONVERGE, 0.0, cv), paths=1500, seed=4)
        last = out.filter((pl.col("metric") == "customers") & (pl.col("month") == 30))
        widths.append(last["p90"].item() - last["p10"].item())
    assert widths[0] < widths[1] < widths[2]


# --- plans, ending values, probability of a target ---------------------------------------------


def test_simulate_plans_stacks_the_three_plans() -> None:
    sc = with_uncertainty(CONVERGE, 0.3, 0.2)
    plans = simulate_plans(sc, paths=200, seed=8)
    h = sc.horizon_months
    assert plans.columns == ["plan", "month", "metric", "mean", "p10", "p50", "p90"]
    assert plans["plan"].to_list() == [p for p in PLANS for _ in range(len(METRICS) * h)]
    for plan, variant in zip(PLANS, plan_variants(sc), strict=True):
        alone = simulate(variant, paths=200, seed=8)
        assert plans.filter(pl.col("plan") == plan).drop("plan").equals(alone)
    # All-annual collects a year up front from its new customers: month-1 cash is higher.
    month1 = plans.filter((pl.col("metric") == "cash") & (pl.col("month") == 1))
    by_plan = dict(zip(month1["plan"], month1["mean"], strict=True))
    assert by_plan["All annual"] > by_plan["Your mix"] > by_plan["All monthly"]


def test_plans_that_keep_the_same_customers_draw_them_once() -> None:
    # Nobody chooses annual: your mix and all-monthly hold the same group of monthly customers
    # (drawn once, on the group's own stream), so the two plans are the same futures path by
    # path; all-annual, whose new customers all pay a year ahead, is not.
    sc = with_uncertainty(CONVERGE.with_segments(annual_share=0.0), 0.3, 0.2)
    drawn = plan_paths(sc, paths=120, seed=4)
    mix, monthly, annual = (drawn.filter(pl.col("plan") == p).drop("plan") for p in PLANS)
    assert mix.equals(monthly)
    assert not mix.equals(annual)


def test_draw_once_then_summarise_and_query() -> None:
    sc = with_uncertainty(CONVERGE, 0.3, 0.2)
    drawn = plan_paths(sc, paths=150, seed=3)
    assert drawn.columns == ["plan", "path", "month", *METRICS]
    assert drawn.height == 3 * 150 * sc.horizon_months
    assert summarize_paths(drawn).equals(simulate_plans(sc, paths=150, seed=3))
    mix = drawn.filter(pl.col("plan") == "Your mix").drop("plan")
    assert mix.equals(simulate_paths(sc, paths=150, seed=3))
    assert summarize_paths(mix).equals(simulate(sc, paths=150, seed=3))


def test_ending_distribution_and_probability_of_a_target() -> None:
    sc = with_uncertainty(CONVERGE, 0.4, 0.3)
    ending = ending_distribution(sc, paths=500, seed=6)
    assert ending.columns == ["path", "mrr", "arr", "customers", "cumulative_cash"]
    assert ending.height == 500
    last = simulate_paths(sc, paths=500, seed=6).filter(pl.col("month") == 30)
    assert ending["mrr"].to_list() == last["mrr"].to_list()
    median = float(ending["mrr"].median())
    assert prob_reaching(sc, 0.0, paths=500, seed=6) == 1.0
    assert prob_reaching(sc, 1e12, paths=500, seed=6) == 0.0
    share = (ending["mrr"] >= median).mean()
    assert prob_reaching(sc, median, paths=500, seed=6) == share
    assert 0.49 <= share <= 0.51


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paths", "seed", "message"),
    [
        (0, 0, "paths: must be between 1 and 100,000 (got 0)"),
        (100_001, 0, "paths: must be between 1 and 100,000 (got 100001)"),
        (2.5, 0, "paths: must be a whole number (got 2.5)"),
        (True, 0, "paths: must be a whole number (got True)"),
        ("10", 0, "paths: must be a whole number (got '10')"),
        (10, -1, "seed: must be zero or more (got -1)"),
        (10, 1.0, "seed: must be a whole number (got 1.0)"),
        (10, None, "seed: must be a whole number (got None)"),
    ],
)
def test_bad_paths_or_seed_raise_a_clear_message(paths: object, seed: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        simulate(halving(), paths=paths, seed=seed)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_bad_target_and_runaway_acquisition_raise_clear_messages() -> None:
    with pytest.raises(ValueError, match="target_mrr: must be a finite number"):
        prob_reaching(halving(), math.inf)
    huge = make(
        [
            {
                "name": "Rocket",
                "list_price": 1,
                "new_customers": 10_000_000,
                "acquisition_growth": 0.5,
            }
        ],
        horizon_months=120,
    )
    with pytest.raises(ValueError, match=r"segments\[0\] \(Rocket\): new customers reach"):
        simulate(huge, paths=10, seed=0)


def test_numpy_integers_are_accepted() -> None:
    out = simulate(halving(), paths=np.int64(4), seed=np.uint32(7))
    assert out.equals(simulate(halving(), paths=4, seed=7))


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=25)
@given(
    sc=scenarios(max_segments=2, max_horizon=26),
    churn=st.floats(0, 2),
    acquisition=st.floats(0, 2),
    seed=st.integers(0, 2**32),
)
def test_paths_never_go_negative_and_cash_accumulates(
    sc: Scenario, churn: float, acquisition: float, seed: int
) -> None:
    paths = simulate_paths(with_uncertainty(sc, churn, acquisition), paths=12, seed=seed)
    assert paths.height == 12 * sc.horizon_months
    assert paths["customers"].min() >= 0
    assert paths["mrr"].min() >= 0 and paths["cash"].min() >= 0
    assert (paths["arr"] == paths["mrr"] * 12).all()
    steps = paths.select(pl.col("cumulative_cash").diff().over("path").drop_nulls())
    assert steps["cumulative_cash"].min() is None or steps["cumulative_cash"].min() >= 0
    summary = simulate(with_uncertainty(sc, churn, acquisition), paths=12, seed=seed)
    assert (summary["p10"] <= summary["p50"]).all() and (summary["p50"] <= summary["p90"]).all()


# --- v2: switching, movers, the existing annual base, the normal approximation, the budget ------


def test_switchers_form_annual_cohorts_at_the_discounted_price() -> None:
    # 1000 monthly customers at 100, nobody churns, 10% switch in months 1..3 at discount 0.2:
    # every path keeps 1000 customers; MRR falls by 20 per switcher (100 monthly -> 80 annual),
    # so S_t = (100,000 - mrr_t) / 20 customers have switched by month t; each switch month
    # bills 12 x 80 per switcher on top of the monthly MRR, and again 12 months later.
    sc = make(
        [
            {
                "name": "A",
                "list_price": 100,
                "existing_monthly_customers": 1000,
                "conversion_rate": 0.1,
                "conversion_months": [1, 3],
            }
        ],
        horizon_months=15,
        annual_discount=0.2,
    )
    paths = simulate_paths(sc, paths=50, seed=3)
    assert set(paths["customers"].to_list()) == {1000}
    for _, one in paths.group_by("path"):
        mrr = one.sort("month")["mrr"].to_list()
        cash = one.sort("month")["cash"].to_list()
        switched = [round((100_000 - m) / 20) for m in mrr]
        assert all(
            m == pytest.approx(100_000 - 20 * s, abs=1e-6)
            for m, s in zip(mrr, switched, strict=True)
        )
        assert switched[2] == switched[-1]  # no switching after month 3
        new = [switched[0]] + [b - a for a, b in itertools.pairwise(switched)]
        monthly = [100.0 * (1000 - s) for s in switched]
        for t in (1, 2, 3, 13, 14, 15):
            assert cash[t - 1] == pytest.approx(monthly[t - 1] + 960.0 * new[(t - 1) % 12])
        assert cash[3] == pytest.approx(monthly[3])
    # about 1000 * (1 - 0.9^3) = 271 switch on average
    final = paths.filter(pl.col("month") == 15)["mrr"]
    assert ((100_000 - final.mean()) / 20) == pytest.approx(271, rel=0.05)


def test_renewal_calendar_is_rounded_by_largest_remainders() -> None:
    assert largest_remainders([1.5, 2.5] + [0.0] * 10) == [2, 2] + [0] * 10
    assert largest_remainders([0.4] * 12) == [1] * 5 + [0] * 7  # 4.8 -> 5, ties to the earliest
    assert largest_remainders([2.0, 0.7, 0.3]) == [2, 1, 0]


def test_existing_annual_base_keeps_its_signed_price_and_calendar() -> None:
    # 6 customers renew in month 2 and 2.4 + 3.6 = 6 in months 5 and 6 (rounded 2 and 4); they
    # signed at 10% off 100 while new contracts get 30% off: cash 12 x 90 per renewal.
    calendar = [0, 6, 0, 0, 2.4, 3.6] + [0] * 6
    sc = make(
        [
            {
                "name": "A",
                "list_price": 100,
                "existing_annual_renewals": calendar,
                "existing_annual_discount": 0.1,
            }
        ],
        horizon_months=14,
        annual_discount=0.3,
    )
    paths = simulate_paths(sc, paths=5, seed=1)
    cash = paths.filter(pl.col("path") == 0).sort("month")["cash"].to_list()
    expected = [0.0] * 14
    for month, count in ((2, 6), (5, 2), (6, 4), (14, 6)):
        expected[month - 1] = 12 * 90.0 * count
    assert cash == expected
    assert set(paths["mrr"].to_list()) == {12 * 90.0}


POLICY_CASE = make(
    [
        {
            "name": "A",
            "list_price": 50,
            "new_customers": 60,
            "acquisition_growth": 0.01,
            "annual_share": 0.4,
            "annual_share_at_no_discount": 0.2,
            "monthly_churn": 0.04,
            "annual_churn": 0.2,
            "monthly_expansion": 0.01,
            "annual_expansion": 0.05,
            "existing_monthly_customers": 500,
            "existing_annual_renewals": [30, 10, 20, 0, 40, 20, 10, 30, 20, 10, 30, 20],
            "existing_annual_discount": 0.1,
            "conversion_rate": 0.03,
            "conversion_months": [4, 20],
        },
        {
            "name": "B",
            "list_price": 200,
            "new_customers": 8,
            "annual_share": 0.7,
            "monthly_churn": 0.02,
            "annual_churn": 0.1,
            "existing_monthly_customers": 100,
        },
    ],
    horizon_months=30,
    billing_effect=0.4,
)


@pytest.mark.parametrize(
    "variant",
    [
        Variant(POLICY_CASE),
        Variant(POLICY_CASE, "all_monthly"),
        Variant(POLICY_CASE, "all_annual"),
        Variant(POLICY_CASE, discounts={0: 0.3}),
    ],
    ids=["mix", "all_monthly", "all_annual", "other_discount"],
)
def test_mean_converges_to_the_projection_with_movers_and_switching(variant: Variant) -> None:
    # Every draw's expectation is the projection's (whole existing counts: the calendar sums to
    # 240 in whole customers), so only sampling error is left: each month's mean must lie within
    # 5 standard errors of project() (sd / sqrt(paths), a 1-in-1.7-million miss per month if
    # the engines agree) and within 1% of it. The one averaged quantity, the MRR per customer of
    # a switch cohort, changes only the spread, not the mean.
    paths = 3000
    det = (
        project(variant)
        .group_by("month")
        .agg(pl.col("mrr", "customers", "cash").sum())
        .sort("month")
    )
    sims = simulate_paths(variant, paths=paths, seed=2)
    stats = sims.group_by("month").agg(
        *(
            pl.col(m).cast(pl.Float64).mean().alias(f"{m}_mean")
            for m in ("mrr", "customers", "cash")
        ),
        *(pl.col(m).cast(pl.Float64).std().alias(f"{m}_sd") for m in ("mrr", "customers", "cash")),
    )
    joined = det.join(stats, on="month").sort("month")
    for metric in ("mrr", "customers", "cash"):
        gap = (joined[f"{metric}_mean"] - joined[metric]).abs()
        se = joined[f"{metric}_sd"] / math.sqrt(paths)
        assert (gap <= 5 * se + 1e-9).all(), metric
        assert ((gap / joined[metric]) < 0.01).all(), metric


def _frequencies_match(draws: np.ndarray, pmf: list[float]) -> None:
    """Each outcome's share within 5 standard errors of its probability (and nothing else)."""
    counts = np.bincount(draws, minlength=len(pmf))
    assert counts[len(pmf) :].sum() <= 5 * math.sqrt(draws.size * max(1.0 - sum(pmf), 0.0)) + 1
    for k, p in enumerate(pmf):
        se = math.sqrt(p * (1.0 - p) / draws.size)
        assert abs(counts[k] / draws.size - p) <= 5 * se + 1e-12, (k, counts[k], p)


def test_small_draws_follow_the_exact_distributions() -> None:
    # Variances under 50 are drawn exactly (by inversion): every outcome's frequency matches
    # its probability. Binomial(10, 0.3), Binomial(40, 0.9) (drawn as 40 - Binomial(40, 0.1)),
    # Poisson(0.5), Poisson(3) and Poisson(45) (numba's sampler above a mean of 40).
    size = 200_000
    binom = draw_binomial(np.random.default_rng(4), np.full(size, 10, dtype=np.int64), 0.3)
    _frequencies_match(binom, [math.comb(10, k) * 0.3**k * 0.7 ** (10 - k) for k in range(11)])
    high = draw_binomial(np.random.default_rng(5), np.full(size, 40, dtype=np.int64), 0.9)
    _frequencies_match(high, [math.comb(40, k) * 0.9**k * 0.1 ** (40 - k) for k in range(41)])
    for lam in (0.5, 3.0, 45.0):
        drawn = draw_poisson(np.random.default_rng(6), np.full(size, lam))
        pmf = [math.exp(-lam + k * math.log(lam) - math.lgamma(k + 1)) for k in range(120)]
        _frequencies_match(drawn, pmf)
    # edge cases: nobody to draw from, certain outcomes, a zero mean
    n = np.array([0, 5, 5, 7], dtype=np.int64)
    assert draw_binomial(np.random.default_rng(1), n, np.array([0.5, 0.0, 1.0, 1.0])).tolist() == [
        0, 0, 5, 7,
    ]  # fmt: skip
    assert draw_poisson(np.random.default_rng(1), np.zeros(3)).tolist() == [0, 0, 0]


def test_large_draws_follow_the_normal() -> None:
    big = draw_binomial(np.random.default_rng(5), np.full(200_000, 1000, dtype=np.int64), 0.5)
    assert big.min() >= 0 and big.max() <= 1000
    assert big.mean() == pytest.approx(500, abs=0.1)  # 5 standard errors of 0.025
    assert big.var() == pytest.approx(250, rel=0.02)  # 0.5 * 0.5 * 1000, SE about 0.3%
    many = draw_poisson(np.random.default_rng(6), np.full(200_000, 400.0))
    assert many.mean() == pytest.approx(400, abs=0.25) and many.var() == pytest.approx(
        400, rel=0.02
    )


LARGE = make(
    [
        {
            "name": "Big",
            "list_price": 40,
            "new_customers": 900,
            "acquisition_growth": 0.01,
            "annual_share": 0.3,
            "monthly_churn": 0.04,
            "annual_churn": 0.2,
            "monthly_expansion": 0.005,
            "annual_expansion": 0.04,
            "existing_monthly_customers": 30_000,
            "existing_annual_customers": 12_000,
            "conversion_rate": 0.01,
        },
        {
            "name": "Small",
            "list_price": 400,
            "new_customers": 4,
            "annual_share": 0.5,
            "monthly_churn": 0.02,
            "annual_churn": 0.1,
            "monthly_expansion": 0.01,
            "existing_monthly_customers": 30,
        },
    ],
    horizon_months=24,
    uncertainty={"churn": 0.1, "acquisition": 0.05},
)


def test_normal_approximation_matches_all_exact_quantiles() -> None:
    # The same scenario drawn with the approximation (large Binomials and Poissons as rounded
    # normals, new cohorts as marked Poisson counts) and with every draw exact (the plain
    # per-cohort Binomials). Tolerance: 0.15 sd of the metric across paths. With 4000 paths a
    # quantile's standard error is about 1.7 sd / sqrt(4000) = 0.027 sd per run, 0.038 sd for the
    # difference of two runs, so 0.15 sd is 4 standard errors; the approximation's own error is
    # far smaller: a rounded normal misses a Binomial's skewness (1 - 2q) / sqrt(var) <= 0.14 at
    # var >= 50, which moves P10/P90 by about skew / 6 x (z^2 - 1) = 0.015 sd.
    paths = 4000
    approx = simulate_paths(LARGE, paths=paths, seed=1)
    exact = simulate_paths(LARGE, paths=paths, seed=2, exact=True)
    for month in (1, 6, 12, 13, 24):
        for metric in ("mrr", "customers", "cash"):
            a = approx.filter(pl.col("month") == month)[metric].cast(pl.Float64)
            b = exact.filter(pl.col("month") == month)[metric].cast(pl.Float64)
            sd = float(b.std() or 0.0)
            for q in (0.1, 0.5, 0.9):
                gap = abs(float(a.quantile(q)) - float(b.quantile(q)))
                assert gap <= 0.15 * sd + 1e-6, (month, metric, q, gap, sd)


def test_a_simulation_beyond_the_budget_is_refused_with_the_paths_it_allows() -> None:
    worst = make(
        [
            {
                "name": f"S{i}",
                "list_price": 50,
                "new_customers": 1000,
                "annual_share": 0.3,
                "monthly_churn": 0.03,
                "annual_churn": 0.2,
                "monthly_expansion": 0.01,
                "existing_monthly_customers": 100_000,
                "existing_annual_customers": 50_000,
            }
            for i in range(20)
        ],
        horizon_months=120,
    )
    # per segment and path: 7260 cohort-months of the monthly term (one cohort per age) and one
    # draw a month for the annual term (nobody switches, so no switch cohorts)
    draws = simulation_draws(worst, 1)
    assert draws == 20 * (120 * 121 // 2 + 120)
    most = affordable_paths([worst], 10_000)
    assert most == MAX_DRAWS // draws
    with pytest.raises(SimulationTooLargeError, match=f"use at most {most:,} paths"):
        simulate(worst, paths=most + 1, seed=0)


def test_share_at_least_counts_paths_at_or_above_the_target() -> None:
    values = pl.Series([1.0, 2.0, 2.0, 3.0])
    assert mc.share_at_least(values, 2.0) == 0.75  # at the target counts
    assert mc.share_at_least(values, 3.5) == 0.0
    assert mc.share_at_least(pl.Series([], dtype=pl.Float64), 1.0) == 0.0


class SupersededError(Exception):
    """What Streamlit raises at a yield point when a newer rerun has replaced this one."""


def test_a_superseded_request_stops_between_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # 5 chunks on one thread: the checkpoint runs before each; when it raises at the third,
    # only two chunks were drawn.
    drawn: list[int] = []
    real = mc._draw_chunk

    def counting(*args: object) -> object:
        drawn.append(1)
        return real(*args)  # type: ignore[arg-type]

    calls = iter(range(100))

    def checkpoint() -> None:
        if next(calls) == 2:
            raise SupersededError

    monkeypatch.setattr(mc, "_draw_chunk", counting)
    monkeypatch.setattr(mc.os, "cpu_count", lambda: 1)
    with pytest.raises(SupersededError):
        plan_paths(CONVERGE, paths=5 * mc.CHUNK, seed=0, checkpoint=checkpoint)
    assert len(drawn) == 2
