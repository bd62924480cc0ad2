"""Signal speed of a churn shock: hand checks, a literal two-regime reference, SPEC identities."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mrrsim.metrics import PLANS
from mrrsim.projection import project
from mrrsim.scenario import Scenario, parse_scenario
from mrrsim.signal import signal_speed


def scenario(segments: list[dict], **top: object) -> Scenario:
    return parse_scenario({"name": "test", **top, "segments": segments})


def plan(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    return frame.filter(pl.col("plan") == name).sort("month")


def summary_row(summary: pl.DataFrame, name: str) -> dict:
    return summary.filter(pl.col("plan") == name).row(0, named=True)


def reference_mrr(sc: Scenario, share: float, factor: float, start: int, months: int) -> list:
    """(baseline, shocked) total MRR per month, cohort by cohort, straight from SPEC section 3.

    A monthly customer's survival into month j uses the shocked rate when j >= start; an annual
    renewal in month j uses the shocked rate when j >= start.
    """
    out = []
    for t in range(1, months + 1):
        base = shocked = 0.0
        for seg in sc.segments:
            p, d = seg.list_price, sc.discount_for(seg)
            c0, c1 = seg.monthly_churn, min(1.0, seg.monthly_churn * factor)
            q0, q1 = seg.annual_churn, min(1.0, seg.annual_churn * factor)
            monthly = [(0, seg.existing_monthly_customers)]
            annual = [(r - 12, seg.existing_annual_customers / 12) for r in range(1, 13)]
            for a in range(1, t + 1):
                n = seg.new_customers * (1 + seg.acquisition_growth) ** (a - 1)
                monthly.append((a, n * (1 - share)))
                annual.append((a, n * share))
            for a, n in monthly:
                per = p * (1 + seg.monthly_expansion) ** (t - a)
                base += n * (1 - c0) ** (t - a) * per
                surv = math.prod((1 - c1) if j >= start else (1 - c0) for j in range(a + 1, t + 1))
                shocked += n * surv * per
            for a, n in annual:
                renewals = [a + 12 * i for i in range(1, (t - a) // 12 + 1)]
                per = p * (1 - d) * (1 + seg.annual_expansion) ** len(renewals)
                base += n * (1 - q0) ** len(renewals) * per
                surv = math.prod((1 - q1) if j >= start else (1 - q0) for j in renewals)
                shocked += n * surv * per
        out.append((base, shocked))
    return out


# --- hand checks ------------------------------------------------------------------------------


def test_all_monthly_gap_appears_in_the_shock_month() -> None:
    n, p, c, f, m = 1000.0, 50.0, 0.04, 1.5, 7
    sc = scenario(
        [{"name": "M", "list_price": p, "monthly_churn": c, "existing_monthly_customers": n}],
        horizon_months=24,
    )
    frame, summary = signal_speed(sc, factor=f, start=m)
    rows = plan(frame, "All monthly")
    r0, r1 = 1 - c, 1 - c * f
    for t, gap in rows.select("month", "gap").rows():
        expected = 0.0 if t < m else n * p * (r0**t - r0 ** (m - 1) * r1 ** (t - m + 1))
        assert gap == pytest.approx(expected, rel=1e-12, abs=1e-9)
    assert rows.filter(pl.col("month") < m)["gap"].to_list() == [0.0] * (m - 1)
    assert rows.filter(pl.col("month") == m)["gap"].item() == pytest.approx(
        n * p * r0 ** (m - 1) * (r0 - r1), rel=1e-12
    )
    effect = n * p * (r0 ** (m + 11) - r0 ** (m - 1) * r1**12)
    row = summary_row(summary, "All monthly")
    assert row["first_visible_month"] == m
    assert row["effect_12"] == pytest.approx(effect, rel=1e-12)
    assert row["effect_12_pct"] == pytest.approx(effect / (n * p * r0 ** (m + 11)), rel=1e-12)
    # no annual customers at all: the three plans are the same business
    for name in PLANS:
        assert plan(frame, name)["gap"].to_list() == pytest.approx(rows["gap"].to_list())


def test_all_annual_gap_only_at_renewals() -> None:
    """An annual base of 1,200 renews 100 customers a month; shocked from month 13 each month's
    renewing cohort loses (q1 - q0) more of its customers, so the gap grows by one cohort's step
    a month and 1/12 of the 12-month effect shows per month."""
    a0, p, d, q, x, f = 1200.0, 100.0, 0.2, 0.1, 0.05, 2.0
    sc = scenario(
        [
            {
                "name": "A",
                "list_price": p,
                "annual_churn": q,
                "annual_expansion": x,
                "existing_annual_customers": a0,
            }
        ],
        horizon_months=30,
        annual_discount=d,
    )
    frame, summary = signal_speed(sc, factor=f, start=13)
    rows = plan(frame, "All annual")
    step = (a0 / 12) * (1 - q) * p * (1 - d) * (1 + x) ** 2 * (q * f - q)
    for t, gap, share in rows.select("month", "gap", "visible_share").rows():
        if t <= 12:
            assert gap == 0.0
        elif t <= 24:
            assert gap == pytest.approx((t - 12) * step, rel=1e-12)
            assert share == pytest.approx((t - 12) / 12, rel=1e-12)
    row = summary_row(summary, "All annual")
    assert (row["first_visible_month"], row["months_to_50"], row["months_to_90"]) == (13, 6, 11)
    assert row["effect_12"] == pytest.approx(12 * step, rel=1e-12)


def test_a_new_annual_cohort_shows_nothing_until_its_renewal() -> None:
    """New annual customers from month 1 and a shock from month 1: no annual customer meets the
    shocked rate before the first cohort's renewal in month 13, then one cohort a month."""
    n, p, d, q, f = 10.0, 100.0, 0.1, 0.2, 1.5
    sc = scenario(
        [
            {
                "name": "A",
                "list_price": p,
                "new_customers": n,
                "annual_share": 1.0,
                "monthly_churn": 0.03,
                "annual_churn": q,
            }
        ],
        horizon_months=24,
        annual_discount=d,
    )
    frame, summary = signal_speed(sc, factor=f, start=1)
    rows = plan(frame, "All annual")
    for t, gap in rows.select("month", "gap").rows():
        expected = 0.0 if t <= 12 else (t - 12) * n * p * (1 - d) * (q * f - q)
        assert gap == pytest.approx(expected, rel=1e-12, abs=1e-12)
    annual, monthly = summary_row(summary, "All annual"), summary_row(summary, "All monthly")
    assert annual["first_visible_month"] == 13
    assert monthly["first_visible_month"] == 2  # month 1's customers are new: no churn yet
    assert annual["effect_12"] == 0.0  # nothing visible by month 12 ...
    assert annual["months_to_50"] is None  # ... so the share of it is undefined
    # month 13: gap 90 on MRR 12 * 900 + 720 (0.78%); month 14: 180 on 12 * 900 + 2 * 720 (1.5%)
    assert annual["months_to_notice"] == 14


# --- identities and the literal reference -----------------------------------------------------


MIXED = scenario(
    [
        {
            "name": "Starter",
            "list_price": 30,
            "new_customers": 200,
            "acquisition_growth": 0.02,
            "annual_share": 0.25,
            "monthly_churn": 0.05,
            "annual_churn": 0.3,
            "monthly_expansion": 0.002,
            "annual_expansion": -0.05,
            "existing_monthly_customers": 800,
            "existing_annual_customers": 150,
        },
        {
            "name": "Pro",
            "list_price": 250,
            "new_customers": 20,
            "annual_share": 0.6,
            "annual_discount": 0.2,
            "monthly_churn": 0.7,
            "annual_churn": 0.12,
            "annual_expansion": 0.07,
            "existing_annual_customers": 90,
        },
    ],
    horizon_months=30,
)


def _v1_plans(sc):
    """All-monthly and all-annual as version 1 of the model read them (no movers)."""
    return sc.with_segments(annual_share=0.0), sc.with_segments(annual_share=1.0)


def test_baseline_is_the_engine_projection_of_each_plan() -> None:
    frame, _ = signal_speed(MIXED, factor=1.3, start=10)
    for name, sc in zip(PLANS, (MIXED, *_v1_plans(MIXED)), strict=True):
        engine = project(sc).group_by("month").agg(pl.col("mrr").sum()).sort("month")
        got = plan(frame, name).filter(pl.col("month") <= sc.horizon_months)
        assert got["baseline_mrr"].to_list() == pytest.approx(engine["mrr"].to_list(), rel=1e-12)


def test_a_shock_from_month_one_is_the_engine_with_higher_churn() -> None:
    factor = 1.6  # Pro's monthly churn 0.7 * 1.6 is clipped to 1
    frame, _ = signal_speed(MIXED, factor=factor, start=1)
    shocked = MIXED.model_copy(
        update={
            "segments": tuple(
                seg.model_copy(
                    update={
                        "monthly_churn": min(1.0, seg.monthly_churn * factor),
                        "annual_churn": min(1.0, seg.annual_churn * factor),
                    }
                )
                for seg in MIXED.segments
            )
        }
    )
    for name, sc in zip(PLANS, (shocked, *_v1_plans(shocked)), strict=True):
        engine = project(sc).group_by("month").agg(pl.col("mrr").sum()).sort("month")
        got = plan(frame, name)
        assert got["shocked_mrr"].to_list() == pytest.approx(engine["mrr"].to_list(), rel=1e-12)


def test_months_extend_to_the_twelfth_month_of_the_shock() -> None:
    frame, summary = signal_speed(MIXED, start=30)
    assert frame["month"].max() == 41
    assert frame.height == 3 * 41
    assert summary["effect_12"].null_count() == 0
    assert frame.columns == [
        "plan",
        "month",
        "baseline_mrr",
        "shocked_mrr",
        "gap",
        "gap_pct",
        "visible_share",
    ]
    assert summary["plan"].to_list() == list(PLANS)


def test_no_shock_no_gap_and_no_customers_no_rows_missing() -> None:
    frame, summary = signal_speed(MIXED, factor=1.0)
    assert frame["gap"].abs().max() == 0.0
    assert summary["first_visible_month"].null_count() == 3
    assert summary["months_to_50"].null_count() == 3
    base_only = MIXED.with_segments(new_customers=0.0)
    frame, _ = signal_speed(base_only, existing_base=False)
    assert frame.height == 3 * 30
    assert frame["baseline_mrr"].abs().max() == 0.0


@settings(max_examples=20, deadline=None)
@given(
    churn=st.tuples(st.floats(0, 0.3), st.floats(0, 0.6)),
    growth=st.floats(-0.2, 0.2),
    share=st.floats(0, 1),
    expansion=st.tuples(st.floats(-0.05, 0.05), st.floats(-0.5, 0.5)),
    base=st.tuples(st.floats(0, 500), st.floats(0, 500)),
    factor=st.floats(0.2, 4),
    horizon=st.integers(1, 26),
    data=st.data(),
)
def test_matches_the_literal_two_regime_reference(
    churn: tuple[float, float],
    growth: float,
    share: float,
    expansion: tuple[float, float],
    base: tuple[float, float],
    factor: float,
    horizon: int,
    data: st.DataObject,
) -> None:
    start = data.draw(st.integers(1, horizon))
    sc = scenario(
        [
            {
                "name": "S",
                "list_price": 40,
                "new_customers": 30,
                "acquisition_growth": growth,
                "annual_share": share,
                "monthly_churn": churn[0],
                "annual_churn": churn[1],
                "monthly_expansion": expansion[0],
                "annual_expansion": expansion[1],
                "existing_monthly_customers": base[0],
                "existing_annual_customers": base[1],
            }
        ],
        horizon_months=horizon,
    )
    frame, _ = signal_speed(sc, factor=factor, start=start)
    months = max(horizon, start + 11)
    for name, plan_share in zip(PLANS, (share, 0.0, 1.0), strict=True):
        got = plan(frame, name).select("baseline_mrr", "shocked_mrr").rows()
        want = reference_mrr(sc, plan_share, factor, start, months)
        assert len(got) == len(want)
        for (gb, gs), (wb, ws) in zip(got, want, strict=True):
            assert gb == pytest.approx(wb, rel=1e-9, abs=1e-9)
            assert gs == pytest.approx(ws, rel=1e-9, abs=1e-9)
            if factor >= 1:  # more churn never adds MRR
                assert gs <= gb + 1e-9 * max(1.0, gb)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"factor": 0}, "factor: must be a finite number above 0 (got 0)"),
        ({"factor": -1.5}, "factor: must be a finite number above 0"),
        ({"factor": math.inf}, "factor: must be a finite number above 0"),
        ({"factor": "2"}, "factor: must be a number (got '2')"),
        ({"start": 0}, "start: must be a whole month between 1 and 30 (got 0)"),
        ({"start": 31}, "start: must be a whole month between 1 and 30 (got 31)"),
        ({"start": 2.5}, "start: must be a whole month"),
        ({"start": True}, "start: must be a whole month"),
        ({"notice": 0}, "notice: must be above 0 and below 1 (got 0)"),
    ],
)
def test_rejects_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        signal_speed(MIXED, **kwargs)
