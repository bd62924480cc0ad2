"""mrrsim.charts.planner: the data each Planner chart carries equals the engine's numbers (and
the model's identities)."""

from __future__ import annotations

import polars as pl
import pytest
from chart_util import data_of, month_sum
from polars.testing import assert_series_equal

from mrrsim import charts
from mrrsim.metrics import PLANS, monthly_totals, plan_comparison, renewal_calendar
from mrrsim.projection import all_annual, all_monthly, project
from mrrsim.scenario import Scenario
from mrrsim.yamlio import load_preset


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_preset("mid-market-mixed")


@pytest.fixture(scope="module")
def plans(scenario: Scenario) -> pl.DataFrame:
    return plan_comparison(scenario)


@pytest.fixture(scope="module")
def frame(scenario: Scenario) -> pl.DataFrame:
    return project(scenario)


@pytest.fixture(scope="module")
def totals(frame: pl.DataFrame) -> pl.DataFrame:
    return monthly_totals(frame)


def test_plan_chart_draws_each_plans_projected_mrr(scenario: Scenario, plans: pl.DataFrame) -> None:
    data = data_of(charts.plan_chart(plans, "USD", "mrr"))
    assert data.height == 3 * scenario.horizon_months
    for plan, variant in zip(
        PLANS, (scenario, all_monthly(scenario), all_annual(scenario)), strict=True
    ):
        drawn = data.filter(pl.col("plan") == plan).sort("month").get_column("value")
        expected = month_sum(project(variant), "mrr")
        assert_series_equal(drawn, expected, check_names=False, rel_tol=1e-12)
    spec = charts.plan_chart(plans, "USD", "mrr").to_dict()
    assert spec["encoding"]["y"]["scale"]["zero"] is True  # no cut axis exaggerating the gaps


def test_plan_chart_arr_is_twelve_times_mrr(plans: pl.DataFrame) -> None:
    mrr = data_of(charts.plan_chart(plans, "USD", "mrr")).get_column("value")
    arr = data_of(charts.plan_chart(plans, "USD", "arr")).get_column("value")
    assert_series_equal(arr, mrr * 12, check_names=False, rel_tol=1e-12)


def test_gap_chart_is_each_plan_minus_all_monthly(scenario: Scenario, plans: pl.DataFrame) -> None:
    chart = charts.plan_gap_chart(plans, "USD")
    data = data_of(chart, 0)
    assert data.height == 2 * scenario.horizon_months
    assert set(data.get_column("plan")) == {"Your mix", "All annual"}
    monthly = month_sum(project(all_monthly(scenario)), "mrr")
    for plan, variant in (("Your mix", scenario), ("All annual", all_annual(scenario))):
        gap = data.filter(pl.col("plan") == plan).sort("month").get_column("gap")
        expected = month_sum(project(variant), "mrr") - monthly
        assert_series_equal(gap, expected, check_names=False, abs_tol=1e-6)
    assert data_of(chart, 1).get_column("y").to_list() == [0.0]


def test_segment_term_chart_stacks_to_total_mrr(
    frame: pl.DataFrame, totals: pl.DataFrame, scenario: Scenario
) -> None:
    data = data_of(charts.mrr_by_segment_term_chart(frame, "USD"))
    assert data.height == scenario.horizon_months * len(scenario.segments) * 2
    assert data.get_column("series").unique().sort().to_list() == sorted(
        f"{s.name} · {t}" for s in scenario.segments for t in ("monthly", "annual")
    )
    assert_series_equal(month_sum(data, "mrr"), totals.get_column("mrr"), check_names=False)


def test_movements_chart_bars_add_up_to_net_new_mrr(totals: pl.DataFrame) -> None:
    chart = charts.movements_chart(totals, "USD")
    bars = data_of(chart, 0)
    assert bars.height == len(charts.MOVEMENTS) * totals.height
    switched = bars.filter(pl.col("movement").str.starts_with("Switch")).get_column("amount")
    assert (switched <= 0).all()  # the discount given to switchers is a loss
    churn = bars.filter(pl.col("movement") == "Churn").get_column("amount")
    assert_series_equal(churn, -totals.get_column("churned_mrr"), check_names=False)
    assert (bars.filter(pl.col("movement") == "Contraction").get_column("amount") <= 0).all()
    assert (bars.filter(pl.col("movement") == "New").get_column("amount") >= 0).all()
    net = data_of(chart, 1).get_column("net_new_mrr")
    assert_series_equal(month_sum(bars, "amount"), net, check_names=False, rel_tol=1e-9)
    # The identity of docs/model.md: net new MRR is the month-on-month change of MRR.
    mrr = totals.get_column("mrr")
    assert_series_equal(net.slice(1), mrr.diff().slice(1), check_names=False, rel_tol=1e-6)


def test_quick_ratio_chart_uses_the_quick_ratio_definition(totals: pl.DataFrame) -> None:
    data = data_of(charts.quick_ratio_chart(totals))
    gains = totals.get_column("new_mrr") + totals.get_column("expansion_mrr")
    losses = totals.get_column("contraction_mrr") + totals.get_column("churned_mrr")
    assert_series_equal(data.get_column("quick_ratio"), gains / losses, check_names=False)


def test_cash_charts_carry_cash_and_revenue_of_every_plan(
    plans: pl.DataFrame, scenario: Scenario
) -> None:
    cumulative = data_of(charts.cumulative_cash_chart(plans, "USD"))
    assert cumulative.height == 2 * 3 * scenario.horizon_months
    last = cumulative.filter(pl.col("month") == scenario.horizon_months)
    cash = last.filter(pl.col("measure") == "Cash collected").sort("plan")
    for row in cash.iter_rows(named=True):
        variant = plans.filter(pl.col("plan") == row["plan"])
        assert row["amount"] == pytest.approx(variant.get_column("cash").sum(), rel=1e-12)

    monthly = data_of(charts.cash_revenue_chart(plans, "All annual", "USD"))
    expected = plans.filter(pl.col("plan") == "All annual").sort("month")
    assert_series_equal(monthly.get_column("cash"), expected.get_column("cash"))
    assert_series_equal(monthly.get_column("revenue"), expected.get_column("revenue"))


def test_deferred_revenue_follows_the_spec_identity(plans: pl.DataFrame) -> None:
    data = data_of(charts.deferred_revenue_chart(plans, "USD"))
    mix = data.filter(pl.col("plan") == "Your mix").get_column("deferred_revenue")
    flows = plans.filter(pl.col("plan") == "Your mix")
    change = (flows.get_column("cash") - flows.get_column("revenue")).slice(1)
    assert_series_equal(mix.diff().slice(1), change, check_names=False, rel_tol=1e-6)
    monthly = data.filter(pl.col("plan") == "All monthly").get_column("deferred_revenue")
    assert monthly.max() <= mix.max()


def test_customers_chart_splits_customers_by_term(
    frame: pl.DataFrame, totals: pl.DataFrame
) -> None:
    data = data_of(charts.customers_by_term_chart(frame))
    assert set(data.get_column("billing").unique()) == {"Monthly", "Annual"}
    assert_series_equal(
        month_sum(data, "customers"), totals.get_column("customers"), check_names=False
    )
    annual = data.filter(pl.col("billing") == "Annual").sort("month").get_column("customers")
    expected = month_sum(frame.filter(pl.col("term") == "annual"), "customers")
    assert_series_equal(annual, expected, check_names=False)


def test_renewal_chart_splits_renewing_mrr_into_kept_and_lost(scenario: Scenario) -> None:
    calendar = renewal_calendar(scenario)
    data = data_of(charts.renewal_chart(calendar, "USD"))
    lost = data.filter(pl.col("outcome") == "Expected lost").get_column("amount")
    assert_series_equal(lost, month_sum(calendar, "expected_lost_mrr"), check_names=False)
    assert_series_equal(
        month_sum(data, "amount"), month_sum(calendar, "renewing_mrr"), check_names=False
    )
    # The existing annual base renews evenly: month 1 holds a twelfth of it at the price its
    # contracts were signed at (Growth's older contracts: 20% off, new ones 15%).
    growth = scenario.segments[1]
    first = calendar.filter((pl.col("month") == 1) & (pl.col("segment") == growth.name))
    price = growth.list_price * (1 - scenario.signed_discount_for(growth))
    assert scenario.signed_discount_for(growth) != scenario.discount_for(growth)
    assert first.get_column("renewing_mrr")[0] == pytest.approx(
        growth.existing_annual_customers / 12 * price
    )


def test_switching_shows_as_the_discount_given() -> None:
    """The migration preset switches monthly customers to annual: the movement is the discount
    given away, -d times the monthly MRR that switched."""
    sc = load_preset("monthly-to-annual-migration")
    frame = project(sc)
    totals = monthly_totals(frame)
    bars = data_of(charts.movements_chart(totals, "USD"), 0)
    switched = bars.filter(pl.col("movement").str.starts_with("Switch")).get_column("amount")
    monthly_out = (
        frame.filter(pl.col("term") == "monthly")
        .group_by("month")
        .agg(pl.col("switched_mrr").sum())
        .sort("month")["switched_mrr"]
    )
    assert switched.min() < 0
    assert_series_equal(switched, monthly_out * sc.annual_discount, check_names=False, rel_tol=1e-9)


def test_plan_lines_have_one_legend_of_coloured_dashes(plans: pl.DataFrame) -> None:
    """Colour and dash of the plan lines share domain and legend (no Vega legend warning)."""
    enc = charts.plan_chart(plans, "USD", "mrr").to_dict()["encoding"]
    assert enc["strokeDash"]["legend"] == enc["color"]["legend"]
    assert enc["strokeDash"]["scale"]["domain"] == enc["color"]["scale"]["domain"]
    assert len(enc["strokeDash"]["scale"]["range"]) == len(enc["color"]["scale"]["range"]) == 3
