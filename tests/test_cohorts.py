"""Cohort retention (mrrsim.cohorts): hand-checked retention, the sum of cohorts equals the
projection's new-customer part, and the month-1 worked example equals ``project()``."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import make, scenarios
from hypothesis import given

from mrrsim import charts
from mrrsim.cohorts import (
    chart_cohorts,
    cohort_retention,
    first_month_example,
    retention_curve,
    retention_table,
)
from mrrsim.projection import COLUMNS, project
from mrrsim.scenario import Scenario
from mrrsim.yamlio import load_preset


def cell(frame: pl.DataFrame, term: str, cohort: int, age: int, col: str) -> float:
    rows = frame.filter(term=term, cohort=cohort, age=age)
    assert rows.height == 1
    return rows.item(0, col)


def one_segment(**fields: float) -> Scenario:
    seg = {"name": "Pro", "list_price": 100, "new_customers": 100, **fields}
    return make([seg], horizon_months=24, annual_discount=0.2)


def test_monthly_churn_10pc_keeps_72_9pc_at_age_3() -> None:
    frame = cohort_retention(one_segment(monthly_churn=0.1, annual_share=0.0))
    for cohort in (1, 5, 21):
        assert cell(frame, "monthly", cohort, 3, "customers_retention") == pytest.approx(0.729)
    assert cell(frame, "monthly", 1, 0, "customers") == pytest.approx(100)
    assert cell(frame, "monthly", 1, 3, "customers") == pytest.approx(72.9)
    # no expansion: MRR retention equals customer retention
    assert cell(frame, "monthly", 1, 3, "mrr_retention") == pytest.approx(0.729)
    # nobody chose annual: the annual cohorts are empty, retention undefined
    assert cell(frame, "annual", 1, 3, "customers_retention") is None


def test_annual_churn_20pc_steps_at_renewal_only() -> None:
    frame = cohort_retention(one_segment(annual_churn=0.2, annual_share=1.0, annual_expansion=0.1))
    ret = [cell(frame, "annual", 1, age, "customers_retention") for age in range(24)]
    assert ret[:12] == [pytest.approx(1.0)] * 12
    assert ret[12:] == [pytest.approx(0.8)] * 12
    # MRR per customer rises 10% at the renewal: 0.8 * 1.1 = 88% of starting MRR kept
    assert cell(frame, "annual", 1, 12, "mrr_retention") == pytest.approx(0.88)
    assert cell(frame, "annual", 1, 0, "start_mrr") == pytest.approx(100 * 100 * 0.8)


def test_monthly_expansion_lifts_mrr_retention_above_customers_retention() -> None:
    frame = cohort_retention(one_segment(monthly_churn=0.05, monthly_expansion=0.02))
    assert cell(frame, "monthly", 2, 6, "customers_retention") == pytest.approx(0.95**6)
    assert cell(frame, "monthly", 2, 6, "mrr_retention") == pytest.approx((0.95 * 1.02) ** 6)


def test_segments_growing_at_different_rates_change_retention_by_cohort() -> None:
    # A: 100 new a month, flat, churn 20%; B: 100 growing 10% a month, churn 0.
    sc = make(
        [
            {"name": "A", "list_price": 10, "new_customers": 100, "monthly_churn": 0.2},
            {
                "name": "B",
                "list_price": 10,
                "new_customers": 100,
                "acquisition_growth": 0.1,
            },
        ],
        horizon_months=12,
    )
    frame = cohort_retention(sc)
    # cohort 1: (100 * 0.8 + 100) / 200 = 90% after one month
    assert cell(frame, "monthly", 1, 1, "customers_retention") == pytest.approx(0.9)
    # cohort 3: B is 121 strong, so (100 * 0.8 + 121) / 221
    assert cell(frame, "monthly", 3, 1, "customers_retention") == pytest.approx(201 / 221)
    assert cell(frame, "monthly", 3, 0, "start_customers") == pytest.approx(221)


def test_all_terms_is_the_sum_of_monthly_and_annual() -> None:
    frame = cohort_retention(load_preset("mid-market-mixed"))
    wide = frame.pivot(on="term", index=["cohort", "age"], values=["customers", "mrr"])
    for col in ("customers", "mrr"):
        total = wide[f"{col}_monthly"] + wide[f"{col}_annual"]
        assert (wide[f"{col}_all"] - total).abs().max() < 1e-9 * total.abs().max()


def test_one_row_per_cohort_and_age_inside_the_horizon() -> None:
    sc = one_segment(monthly_churn=0.1)
    frame = cohort_retention(sc)
    assert frame.height == 3 * 24 * 25 // 2
    assert frame["month"].max() == 24
    assert (frame["month"] == frame["cohort"] + frame["age"]).all()
    assert frame.select("term").unique(maintain_order=True)["term"].to_list() == [
        "monthly",
        "annual",
        "all",
    ]


def _cohort_sums_match_projection(sc: Scenario) -> None:
    """Summing every cohort per calendar month gives the projection without the existing base."""
    new_only = project(sc.with_segments(existing_monthly_customers=0, existing_annual_customers=0))
    expected = (
        new_only.group_by("month", "term")
        .agg(pl.col("customers").sum(), pl.col("mrr").sum())
        .sort("month", "term")
    )
    got = (
        cohort_retention(sc)
        .filter(pl.col("term") != "all")
        .group_by("month", "term")
        .agg(pl.col("customers").sum(), pl.col("mrr").sum())
        .sort("month", "term")
    )
    assert got.select("month", "term").equals(expected.select("month", "term"))
    for col in ("customers", "mrr"):
        scale = max(1.0, float(expected[col].abs().max()))
        assert (got[col] - expected[col]).abs().max() <= 1e-9 * scale


def test_cohorts_sum_to_the_projections_new_customer_part_preset() -> None:
    _cohort_sums_match_projection(load_preset("mid-market-mixed"))


@given(scenarios(max_segments=3, max_horizon=40))
def test_cohorts_sum_to_the_projections_new_customer_part(sc: Scenario) -> None:
    _cohort_sums_match_projection(sc)


def test_retention_curve_weights_cohorts_by_size() -> None:
    sc = make(
        [
            {"name": "A", "list_price": 10, "new_customers": 100, "monthly_churn": 0.2},
            {"name": "B", "list_price": 10, "new_customers": 100, "acquisition_growth": 0.1},
        ],
        horizon_months=3,
    )
    curve = retention_curve(cohort_retention(sc)).filter(term="monthly")
    # age 1 is reached by cohorts 1 and 2: (180 + 80 + 110) / (200 + 210)
    assert curve.filter(age=1)["customers_retention"].item() == pytest.approx(370 / 410)
    assert curve.filter(age=2)["cohorts"].item() == 1
    assert curve.filter(age=2)["customers_retention"].item() == pytest.approx((64 + 100) / 200)


def test_chart_cohorts_are_monthly_up_to_36_months_then_quarterly() -> None:
    assert chart_cohorts(36) == list(range(1, 37))
    assert chart_cohorts(37) == list(range(1, 38, 3))
    assert chart_cohorts(120)[:4] == [1, 4, 7, 10]
    assert len(chart_cohorts(120)) == 40


@pytest.mark.parametrize("preset", ["mid-market-mixed", "enterprise-annual", "usage-expansion"])
def test_first_month_example_equals_the_projection(preset: str) -> None:
    sc = load_preset(preset)
    example = first_month_example(sc)
    frame = project(sc).filter(month=1, segment=sc.segments[0].name)
    for term in ("monthly", "annual"):
        row = frame.filter(term=term).row(0, named=True)
        for col in COLUMNS[3:]:
            assert example[term][col] == pytest.approx(row[col], rel=1e-12, abs=1e-9), (term, col)


def test_first_month_example_by_hand() -> None:
    sc = make(
        [
            {
                "name": "Pro",
                "list_price": 100,
                "new_customers": 10,
                "annual_share": 0.5,
                "monthly_churn": 0.1,
                "annual_churn": 0.25,
                "monthly_expansion": -0.1,
                "existing_monthly_customers": 100,
                "existing_annual_customers": 120,
            }
        ],
        annual_discount=0.2,
    )
    ex = first_month_example(sc)
    # monthly: 90 kept at $90 + 5 new at $100
    assert ex["monthly"]["mrr"] == pytest.approx(90 * 90 + 5 * 100)
    assert ex["monthly"]["contraction_mrr"] == pytest.approx(90 * 10)
    # annual: 10 renew in month 1, 7.5 stay; 5 new; all at $80
    assert ex["annual"]["customers"] == pytest.approx(110 + 7.5 + 5)
    assert ex["annual"]["cash"] == pytest.approx(12 * 80 * 12.5)
    assert ex["annual"]["opening_deferred"] == pytest.approx(10 * 80 * 66)


def test_retention_table_has_every_cohort_and_the_asked_ages() -> None:
    frame = cohort_retention(one_segment(monthly_churn=0.1, annual_share=0.5, annual_churn=0.2))
    table = retention_table(frame, "customers", [1, 12, 30])
    assert table.columns == ["term", "cohort", "month 1", "month 12", "month 30"]
    assert table.height == 3 * 24
    monthly = table.filter(term="monthly")
    assert monthly["cohort"].to_list() == list(range(1, 25))
    assert monthly.filter(cohort=1)["month 1"].item() == pytest.approx(0.9)
    assert monthly.filter(cohort=12)["month 12"].item() == pytest.approx(0.9**12)
    assert monthly.filter(cohort=13)["month 12"].item() is None  # only 11 months old at H
    assert monthly.filter(cohort=24)["month 1"].item() is None
    assert table["month 30"].null_count() == table.height  # beyond the horizon
    annual = table.filter(term="annual")
    assert annual.filter(cohort=1)["month 12"].item() == pytest.approx(0.8)


def test_heatmap_draws_only_the_cohorts_given_with_room_for_its_legend() -> None:
    sc = load_preset("enterprise-annual")
    frame = cohort_retention(sc)
    cells = frame.filter(pl.col("cohort").is_in(chart_cohorts(60)), term="annual")
    spec = charts.cohort_heatmap(cells, "mrr", "month", sc.currency, domain_max=1.5).to_dict()
    data = next(iter(spec["datasets"].values()))
    assert sorted({row["cohort"] for row in data}) == chart_cohorts(60)
    assert len(data) == cells.height
    assert spec["encoding"]["x"]["field"] == "month"
    assert spec["encoding"]["color"]["scale"]["domain"] == [0, 1.5]
    assert spec["height"] >= 150 + 11 * 20  # the plot keeps ~11 px a cohort row
    titles = {t["title"] for t in spec["encoding"]["tooltip"]}
    assert {"Acquired in month", "Calendar month", "MRR now", "Starting MRR"} <= titles


def test_retention_curve_chart_leaves_out_an_empty_plan() -> None:
    sc = one_segment(monthly_churn=0.1)  # nobody chooses annual
    curve = retention_curve(cohort_retention(sc))
    spec = charts.retention_curve_chart(curve, "customers").to_dict()
    lines = spec["layer"][1]
    assert lines["encoding"]["color"]["scale"]["domain"] == ["Monthly plan", "Both plans"]
    data = spec["datasets"][lines["data"]["name"]]
    assert {row["plan"] for row in data} == {"Monthly plan", "Both plans"}


def test_a_one_month_campaign_moves_switchers_to_the_annual_row_of_their_cohort() -> None:
    # 100 new a month, all monthly, churn 10%; half the survivors of age >= 1 switch in month 3
    # at 20% off; billing effect 1, so switchers renew at the annual churn of 20% (+10% price).
    sc = make(
        [
            {
                "name": "Pro",
                "list_price": 100,
                "new_customers": 100,
                "monthly_churn": 0.1,
                "annual_churn": 0.2,
                "annual_expansion": 0.1,
                "conversion_rate": 0.5,
                "conversion_months": [3, 3],
            }
        ],
        horizon_months=24,
        annual_discount=0.2,
        billing_effect=1.0,
    )
    frame = cohort_retention(sc)
    # cohort 1 in month 3: 81 survivors, 40.5 switch to annual at $80
    assert cell(frame, "monthly", 1, 2, "customers") == pytest.approx(40.5)
    assert cell(frame, "annual", 1, 2, "customers") == pytest.approx(40.5)
    assert cell(frame, "annual", 1, 2, "mrr") == pytest.approx(40.5 * 80)
    assert cell(frame, "annual", 1, 1, "customers") == pytest.approx(0.0)
    # after the campaign the monthly part keeps churning, the annual part waits for month 15
    assert cell(frame, "monthly", 1, 3, "customers") == pytest.approx(36.45)
    assert cell(frame, "annual", 1, 13, "customers") == pytest.approx(40.5)
    assert cell(frame, "annual", 1, 14, "customers") == pytest.approx(32.4)
    assert cell(frame, "annual", 1, 14, "mrr") == pytest.approx(32.4 * 80 * 1.1)
    # cohort 2 is one month old in month 3: 90 survivors, 45 switch; cohort 3 is new, none do
    assert cell(frame, "annual", 2, 1, "customers") == pytest.approx(45.0)
    assert cell(frame, "annual", 3, 0, "customers") == pytest.approx(0.0)
    assert cell(frame, "monthly", 3, 1, "customers") == pytest.approx(90.0)
    # the cohort as a whole keeps both parts: 40.5 + 36.45 customers in month 4
    assert cell(frame, "all", 1, 3, "customers_retention") == pytest.approx(0.7695)


def test_a_steady_rate_compounds_with_churn() -> None:
    sc = one_segment(monthly_churn=0.1, conversion_rate=0.05)
    frame = cohort_retention(sc)
    keep = 0.9 * 0.95
    assert cell(frame, "monthly", 1, 4, "customers") == pytest.approx(100 * keep**4)
    # switched by age 4: 0.9 * 0.05 of those left at each earlier age, none renewing yet
    switched = sum(100 * keep ** (j - 1) * 0.9 * 0.05 for j in range(1, 5))
    assert cell(frame, "annual", 1, 4, "customers") == pytest.approx(switched)
