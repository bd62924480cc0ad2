"""The projection against closed forms, hand-computed cases, the literal model and the identities of docs/model.md."""

from __future__ import annotations

import math

import polars as pl
import pytest
from conftest import make, scenarios
from hypothesis import assume, given
from hypothesis import strategies as st
from reference import COLS, close, reference

from mrrsim import all_annual, all_monthly, project, project_many
from mrrsim.projection import COLUMNS


def _col(frame: pl.DataFrame, term: str, column: str) -> list[float]:
    return frame.filter(pl.col("term") == term)[column].to_list()


def test_columns_rows_and_order(mixed):
    df = project(mixed)
    assert df.columns == list(COLUMNS)
    assert df.height == 40 * 2 * 2
    assert df["month"].to_list()[:4] == [1, 1, 1, 1]
    assert df["segment"].to_list()[:4] == ["Pro", "Pro", "Enterprise", "Enterprise"]
    assert df["term"].to_list()[:4] == ["monthly", "annual", "monthly", "annual"]
    assert df["month"].to_list()[-1] == 40


def test_zero_rows_are_kept():
    df = project(make([{"name": "A", "list_price": 10, "new_customers": 5}], horizon_months=3))
    annual = df.filter(pl.col("term") == "annual")
    assert annual.height == 3
    assert annual.select(pl.exclude("month", "segment", "term")).sum_horizontal().to_list() == [
        0,
        0,
        0,
    ]


def test_constant_churn_closed_form():
    """n new a month, churn c: customers n(1-(1-c)^t)/c, tending to n/c."""
    n, c = 100.0, 0.05
    df = project(
        make(
            [{"name": "A", "list_price": 20, "new_customers": n, "monthly_churn": c}],
            horizon_months=120,
        )
    )
    got = _col(df, "monthly", "customers")
    for t in (1, 2, 12, 60, 120):
        assert got[t - 1] == pytest.approx(n * (1 - (1 - c) ** t) / c, rel=1e-12)
    assert got[-1] == pytest.approx(n / c, rel=0.01)
    assert _col(df, "monthly", "mrr")[-1] == pytest.approx(20 * got[-1], rel=1e-12)


def test_hand_computed_monthly_case():
    """100 existing at $10, 10 new a month, 10% churn, 5% expansion: months 1 and 2 by hand."""
    df = project(
        make(
            [
                {
                    "name": "A",
                    "list_price": 10,
                    "new_customers": 10,
                    "monthly_churn": 0.1,
                    "monthly_expansion": 0.05,
                    "existing_monthly_customers": 100,
                }
            ],
            horizon_months=2,
        )
    )
    m = df.filter(pl.col("term") == "monthly").to_dicts()
    # month 1: base 100 -> 90 survivors at 10.5, plus 10 new at 10
    assert m[0]["customers"] == pytest.approx(100.0)
    assert m[0]["churned_customers"] == pytest.approx(10.0)
    assert m[0]["churned_mrr"] == pytest.approx(100.0)
    assert m[0]["expansion_mrr"] == pytest.approx(45.0)
    assert m[0]["mrr"] == pytest.approx(90 * 10.5 + 100)
    # month 2: base 81 at 11.025, month-1 cohort 9 at 10.5, 10 new at 10
    assert m[1]["customers"] == pytest.approx(81 + 9 + 10)
    assert m[1]["mrr"] == pytest.approx(81 * 11.025 + 9 * 10.5 + 100)
    assert m[1]["churned_mrr"] == pytest.approx(9 * 10.5 + 1 * 10)
    assert m[1]["cash"] == m[1]["mrr"]
    assert m[1]["deferred_revenue"] == 0


def test_annual_cohort_steps_only_at_renewals():
    """One annual cohort of 100 at $100 list, 20% off, 30% non-renewal, +10% at renewal."""
    df = project(
        make(
            [
                {
                    "name": "A",
                    "list_price": 100,
                    "new_customers": 100,
                    "annual_share": 1,
                    "acquisition_growth": -0.5,
                    "annual_churn": 0.3,
                    "annual_expansion": 0.1,
                }
            ],
            horizon_months=30,
            annual_discount=0.2,
        )
    )
    # growth -50% makes later cohorts small; isolate cohort 1 via the literal model instead:
    single = make(
        [
            {
                "name": "A",
                "list_price": 100,
                "existing_annual_customers": 0,
                "new_customers": 100,
                "annual_share": 1,
                "annual_churn": 0.3,
                "annual_expansion": 0.1,
            }
        ],
        horizon_months=30,
        annual_discount=0.2,
    )
    one = project(single.model_copy(update={"horizon_months": 1}))
    assert _col(one, "annual", "cash") == [pytest.approx(100 * 12 * 80)]
    assert _col(one, "annual", "deferred_revenue") == [pytest.approx(100 * 11 * 80)]
    rows = [r for r in reference(single) if r["term"] == "annual"]
    got = project(single).filter(pl.col("term") == "annual").to_dicts()
    for r, g in zip(rows, got, strict=True):
        for c in COLS:
            assert close(r[c], g[c]), (c, r["month"])
    assert df.height == 60


def test_single_annual_cohort_counts_step_at_renewal():
    """A base cohort renewing in month r: flat until r, then a step down (churn) and up (price)."""
    sc = make(
        [
            {
                "name": "A",
                "list_price": 50,
                "existing_annual_customers": 1200,
                "annual_churn": 0.25,
                "annual_expansion": 0.2,
            }
        ],
        horizon_months=24,
        annual_discount=0.1,
    )
    df = project(sc)
    cust = _col(df, "annual", "customers")
    # 100 customers renew in each of months 1..12; 25% of each group leaves at its renewal
    assert cust[0] == pytest.approx(1200 - 25)
    assert cust[11] == pytest.approx(900)
    assert cust[12] == pytest.approx(900 - 75 * 0.25)
    cash = _col(df, "annual", "cash")
    assert cash[0] == pytest.approx(75 * 12 * 45 * 1.2)
    assert cash[12] == pytest.approx(75 * 0.75 * 12 * 45 * 1.44)
    # deferred revenue at month 0 is sum_r 100*(r-1)*45; identity gives month 1 from it
    d0 = sum(100 * (r - 1) * 45 for r in range(1, 13))
    mrr1 = _col(df, "annual", "mrr")[0]
    assert _col(df, "annual", "deferred_revenue")[0] == pytest.approx(d0 + cash[0] - mrr1)


def test_matches_literal_model(mixed):
    got = project(mixed).to_dicts()
    want = reference(mixed)
    assert len(got) == len(want)
    for r, g in zip(want, got, strict=True):
        assert (g["month"], g["segment"], g["term"]) == (r["month"], r["segment"], r["term"])
        for c in COLS:
            assert close(r[c], g[c]), (c, r["month"], r["segment"], r["term"], r[c], g[c])


@given(scenarios(max_segments=2, max_horizon=30))
def test_random_scenarios_match_literal_model(sc):
    got = project(sc).to_dicts()
    for r, g in zip(reference(sc), got, strict=True):
        for c in COLS:
            assert math.isclose(r[c], g[c], rel_tol=1e-9, abs_tol=1e-7 * (1 + abs(r[c]))), c


def _previous(frame: pl.DataFrame, sc) -> pl.DataFrame:
    """Month-0 values per (segment, term): the existing base at its signed price."""
    rows = []
    for seg in sc.segments:
        price = seg.list_price * (1 - sc.signed_discount_for(seg))
        calendar = seg.renewal_calendar()
        a0 = seg.existing_annual_customers
        rows.append(
            (
                seg.name,
                "monthly",
                seg.existing_monthly_customers,
                seg.existing_monthly_customers * seg.list_price,
                0.0,
            )
        )
        rows.append(
            (
                seg.name,
                "annual",
                a0,
                a0 * price,
                sum(calendar[r - 1] * (r - 1) * price for r in range(1, 13)),
            )
        )
    return pl.DataFrame(
        rows, schema=["segment", "term", "customers", "mrr", "deferred_revenue"], orient="row"
    )


@given(scenarios())
def test_identities_hold_on_every_row(sc):
    df = project(sc)
    base = _previous(df, sc).with_columns(pl.lit(0, pl.Int64).alias("month"))
    prev = pl.concat([base, df.select(base.columns)]).with_columns(pl.col("month") + 1)
    joined = df.join(prev, on=["month", "segment", "term"], suffix="_prev")
    assert joined.height == df.height
    for row in joined.iter_rows(named=True):
        scale = (
            1
            + abs(row["mrr"])
            + abs(row["mrr_prev"])
            + abs(row["cash"])
            + row["deferred_revenue_prev"]
        )
        mrr = (
            row["mrr_prev"]
            + row["new_mrr"]
            + row["expansion_mrr"]
            - row["contraction_mrr"]
            - row["churned_mrr"]
            + row["switched_mrr"]
        )
        assert math.isclose(row["mrr"], mrr, abs_tol=1e-9 * scale)
        cust = (
            row["customers_prev"]
            + row["new_customers"]
            - row["churned_customers"]
            + row["switched_customers"]
        )
        assert math.isclose(
            row["customers"],
            cust,
            abs_tol=1e-9 * (1 + row["customers_prev"] + row["new_customers"]),
        )
        deferred = row["deferred_revenue_prev"] + row["cash"] - row["revenue"]
        assert math.isclose(row["deferred_revenue"], deferred, abs_tol=1e-9 * scale)
        assert row["arr"] == 12 * row["mrr"]
        assert row["revenue"] == row["mrr"]


@given(scenarios())
def test_nothing_is_negative_but_switching_out(sc):
    df = project(sc)
    unsigned = pl.exclude("month", "segment", "term", "switched_customers", "switched_mrr")
    assert df.select(unsigned.min()).min_horizontal().item() >= 0
    monthly = df.filter(pl.col("term") == "monthly")
    annual = df.filter(pl.col("term") == "annual")
    assert (
        monthly.select(pl.col("switched_customers", "switched_mrr").max()).max_horizontal().item()
        <= 0
    )
    assert (
        annual.select(pl.col("switched_customers", "switched_mrr").min()).min_horizontal().item()
        >= 0
    )


@given(scenarios())
def test_switched_mrr_loses_exactly_the_discount(sc):
    """Per segment and month, the annual row gains (1 - d) of the monthly MRR that switches."""
    df = project(sc)
    for seg in sc.segments:
        d = sc.discount_for(seg)
        rows = df.filter(pl.col("segment") == seg.name)
        out = rows.filter(pl.col("term") == "monthly")["switched_mrr"].to_list()
        into = rows.filter(pl.col("term") == "annual")["switched_mrr"].to_list()
        for o, i in zip(out, into, strict=True):
            assert math.isclose(o + i, d * o, rel_tol=1e-12, abs_tol=1e-9)


@given(scenarios(max_segments=2, v2=False))
def test_counterfactuals_bracket_the_mix(sc):
    """With billing_effect 1 and no switching (version 1 of the model), customers, MRR and cash
    are linear in a segment's annual share, so each segment's totals under the mix lie between
    its all-monthly and all-annual totals every month."""
    frames = project_many([sc, all_monthly(sc), all_annual(sc)])
    totals = frames.group_by("variant", "month", "segment").agg(
        pl.col("customers", "mrr", "cash").sum()
    )
    for col in ("customers", "mrr", "cash"):
        wide = totals.pivot(on="variant", index=["month", "segment"], values=col)
        for mix, lo_hi_a, lo_hi_b in wide.select("0", "1", "2").iter_rows():
            lo, hi = min(lo_hi_a, lo_hi_b), max(lo_hi_a, lo_hi_b)
            assert lo - 1e-9 * (1 + abs(hi)) <= mix <= hi + 1e-9 * (1 + abs(hi))


def test_all_annual_has_no_monthly_new_customers(mixed):
    df = project(all_annual(mixed))
    assert df.filter(pl.col("term") == "monthly")["new_customers"].sum() == 0
    df = project(all_monthly(mixed))
    assert df.filter(pl.col("term") == "annual")["new_customers"].sum() == 0


def test_project_many_equals_project(mixed):
    other = mixed.with_segments(monthly_churn=0.01)
    many = project_many([mixed, other])
    assert many.filter(pl.col("variant") == 1).drop("variant").equals(project(other))
    assert many.filter(pl.col("variant") == 0).drop("variant").equals(project(mixed))


def test_project_many_refuses_mixed_horizons(mixed):
    with pytest.raises(ValueError, match="one horizon"):
        project_many([mixed, mixed.model_copy(update={"horizon_months": 12})])


def test_tiny_rates_keep_their_precision():
    """Churn and expansion of 1e-12 give flows exact to the last digits (no 1 - (1 - c))."""
    sc = make(
        [
            {
                "name": "A",
                "list_price": 100,
                "monthly_churn": 1e-12,
                "monthly_expansion": 1e-12,
                "existing_monthly_customers": 1000,
            }
        ],
        horizon_months=1,
    )
    row = project(sc).row(0, named=True)
    assert row["churned_customers"] == pytest.approx(1e-9, rel=1e-12)
    assert row["churned_mrr"] == pytest.approx(1e-7, rel=1e-12)
    assert row["expansion_mrr"] == pytest.approx((1 - 1e-12) * 1e-12 * 100_000, rel=1e-12)


@given(scenarios(max_segments=2, max_horizon=30, v2=False))
def test_billing_effect_one_gives_version_one_counterfactuals(sc):
    """With billing_effect 1 movers take the other plan's churn, so all-annual and all-monthly
    equal the mix with every new customer choosing that plan (version 1's counterfactuals).

    The movers' monthly churn goes through a year and back, 1 - (1 - C)^(1/12) with
    C = 1 - (1 - c)^12, which keeps about 1e-16 / (1 - c)^12 of relative precision at high
    churn and about 1e-16 / c at tiny churn: monthly churn is kept to 0 or 1e-6..0.8 here and
    the tolerance is 1e-6."""
    assume(all(s.monthly_churn == 0 or 1e-6 <= s.monthly_churn <= 0.8 for s in sc.segments))
    for variant, share in ((all_annual(sc), 1.0), (all_monthly(sc), 0.0)):
        got = project(variant)
        want = project(sc.with_segments(annual_share=share))
        for col in COLS:
            for a, b in zip(got[col], want[col], strict=True):
                assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9 * (1 + abs(b))), col


@given(scenarios(max_segments=2, max_horizon=24), st.floats(0, 0.95))
def test_signed_contracts_ignore_the_discount_for_new_ones(sc, discount):
    """Changing the discount for new contracts changes nothing about the existing annual base:
    with no new customers and no switching, the whole table is the same."""
    base_only = sc.with_segments(
        new_customers=0.0, conversion_rate=0.0, annual_share_at_no_discount=None
    )
    other = base_only.with_segments(annual_discount=None).varied(annual_discount=discount)
    assert project(other).equals(project(base_only))


def test_one_month_campaign_closed_form():
    """1,000 monthly customers at $100, churn 2%, 10% switch in month 3 only at a 20% discount:
    980 * 0.98 = 960.4 survive month 2; month 3: 960.4 * 0.98 = 941.192 survive, 94.1192 switch
    and pay 12 * 80 = $960 each up front; they renew in month 15 at the movers' churn."""
    sc = make(
        [
            {
                "name": "A",
                "list_price": 100,
                "annual_discount": 0.2,
                "monthly_churn": 0.02,
                "annual_churn": 0.1,
                "existing_monthly_customers": 1000,
                "conversion_rate": 0.1,
                "conversion_months": [3, 3],
            }
        ],
        horizon_months=15,
        billing_effect=0.5,
    )
    df = project(sc)
    m3 = df.filter((pl.col("month") == 3) & (pl.col("term") == "monthly")).row(0, named=True)
    a3 = df.filter((pl.col("month") == 3) & (pl.col("term") == "annual")).row(0, named=True)
    assert m3["switched_customers"] == pytest.approx(-94.1192)
    assert m3["customers"] == pytest.approx(941.192 - 94.1192)
    assert m3["switched_mrr"] == pytest.approx(-9411.92)
    assert a3["switched_customers"] == pytest.approx(94.1192)
    assert a3["switched_mrr"] == pytest.approx(94.1192 * 80)
    assert a3["cash"] == pytest.approx(94.1192 * 960)
    assert a3["deferred_revenue"] == pytest.approx(94.1192 * 80 * 11)
    assert a3["new_customers"] == 0
    big_c = 1 - 0.98**12
    c_ma = big_c - 0.5 * (big_c - 0.1)
    a15 = df.filter((pl.col("month") == 15) & (pl.col("term") == "annual")).row(0, named=True)
    assert a15["churned_customers"] == pytest.approx(94.1192 * c_ma)
    assert a15["customers"] == pytest.approx(94.1192 * (1 - c_ma))
    m4 = df.filter((pl.col("month") == 4) & (pl.col("term") == "monthly")).row(0, named=True)
    assert m4["switched_customers"] == 0
    assert m4["customers"] == pytest.approx(847.0728 * 0.98)


def test_steady_switching_closed_form():
    """A steady rate u on a closed monthly base: N (1-c)^t (1-u)^t stay monthly, and in month t
    u (1-c) of last month's monthly customers switch (no renewal within 12 months)."""
    c, u, n0 = 0.03, 0.05, 2000.0
    sc = make(
        [
            {
                "name": "A",
                "list_price": 50,
                "monthly_churn": c,
                "existing_monthly_customers": n0,
                "conversion_rate": u,
            }
        ],
        horizon_months=12,
    )
    df = project(sc)
    monthly = df.filter(pl.col("term") == "monthly")["customers"].to_list()
    annual = df.filter(pl.col("term") == "annual")["customers"].to_list()
    for t in range(1, 13):
        assert monthly[t - 1] == pytest.approx(n0 * ((1 - c) * (1 - u)) ** t)
        switched = sum(n0 * ((1 - c) * (1 - u)) ** (k - 1) * (1 - c) * u for k in range(1, t + 1))
        assert annual[t - 1] == pytest.approx(switched)


def test_all_monthly_has_no_switching():
    sc = make(
        [
            {
                "name": "A",
                "list_price": 50,
                "annual_share": 0.5,
                "new_customers": 10,
                "existing_monthly_customers": 100,
                "conversion_rate": 0.1,
            }
        ]
    )
    df = project(all_monthly(sc))
    assert df["switched_customers"].abs().max() == 0
    assert project(all_annual(sc))["switched_customers"].abs().max() > 0
