"""The bundled presets: they load, tell their story, and their numbers follow SPEC section 3."""

from __future__ import annotations

import math
import re

import polars as pl
import pytest

from mrrsim import dump_scenario, load_preset, loads_scenario, preset_names, project
from mrrsim.scenario import Scenario
from mrrsim.yamlio import DEFAULT_PRESET, PRESETS_DIR

REQUIRED = {
    "mid-market-mixed",
    "self-serve-smb",
    "enterprise-annual",
    "monthly-to-annual-migration",
}
PRESETS = preset_names()


def test_required_presets_exist_and_the_default_is_one_of_them() -> None:
    assert set(PRESETS) >= REQUIRED
    assert DEFAULT_PRESET in PRESETS
    assert len(PRESETS) >= 5


def test_every_yaml_file_is_a_listed_preset() -> None:
    stems = sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))
    assert stems == PRESETS
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", stem) for stem in stems)


@pytest.mark.parametrize("name", PRESETS)
def test_preset_is_complete_and_within_limits(name: str) -> None:
    s = load_preset(name)
    assert 1 <= len(s.segments) <= 5
    assert 13 <= s.horizon_months <= 120  # long enough for 12-month retention figures
    assert len(s.description) >= 300
    assert "benchmark" in s.description  # says where its figures come from
    assert s.uncertainty.churn > 0 and s.uncertainty.acquisition > 0
    for seg in s.segments:
        assert seg.new_customers > 0
        assert seg.existing_monthly_customers + seg.existing_annual_customers > 0
        # annual customers are the stickier ones in every story told here
        assert 1 - (1 - seg.monthly_churn) ** 12 > seg.annual_churn


@pytest.mark.parametrize("name", PRESETS)
def test_preset_survives_a_yaml_round_trip(name: str) -> None:
    s = load_preset(name)
    assert loads_scenario(dump_scenario(s)) == s


def _ending_by_hand(s: Scenario) -> tuple[float, float]:
    """Ending MRR and customers summed cohort by cohort straight from SPEC section 3."""
    h = s.horizon_months
    mrr = customers = 0.0

    def add(count: float, price: float) -> None:
        nonlocal mrr, customers
        customers += count
        mrr += count * price

    for g in s.segments:
        p, d = g.list_price, s.discount_for(g)
        base = g.existing_monthly_customers * (1 - g.monthly_churn) ** h
        add(base, p * (1 + g.monthly_expansion) ** h)
        for a in range(1, h + 1):
            n = g.new_customers * (1 + g.acquisition_growth) ** (a - 1)
            add(
                n * (1 - g.annual_share) * (1 - g.monthly_churn) ** (h - a),
                p * (1 + g.monthly_expansion) ** (h - a),
            )
            k = (h - a) // 12
            add(
                n * g.annual_share * (1 - g.annual_churn) ** k,
                p * (1 - d) * (1 + g.annual_expansion) ** k,
            )
        for r in range(1, 13):
            k = (h - r) // 12 + 1 if r <= h else 0  # first renewal in month r, then yearly
            add(
                g.existing_annual_customers / 12 * (1 - g.annual_churn) ** k,
                p * (1 - d) * (1 + g.annual_expansion) ** k,
            )
    return mrr, customers


@pytest.mark.parametrize("name", PRESETS)
def test_preset_ending_numbers_match_a_cohort_by_cohort_sum(name: str) -> None:
    s = load_preset(name)
    last = project(s).filter(pl.col("month") == s.horizon_months)
    mrr, customers = _ending_by_hand(s)
    assert math.isclose(last["mrr"].sum(), mrr, rel_tol=1e-12)
    assert math.isclose(last["customers"].sum(), customers, rel_tol=1e-12)


def test_default_preset_by_hand_month_one() -> None:
    """Month-1 MRR of the default, worked out on paper from its YAML.

    Starter: 1800 monthly at 49*(1.002) after one month of expansion, 0.96 surviving, plus
    120*0.85 new at 49; the annual base renewing in month 1 is 250/12 customers at 49*0.85*1.03
    after one renewal with 0.75 surviving, the other 11/12 still at 49*0.85; 120*0.15 new annual
    at 49*0.85. Growth and Scale follow the same pattern.
    """
    s = load_preset("mid-market-mixed")
    first = project(s).filter(pl.col("month") == 1)

    def seg(p, d, n, a_sh, mc, ac, me, ae, em, ea):
        monthly = em * (1 - mc) * p * (1 + me) + n * (1 - a_sh) * p
        renewed = ea / 12 * (1 - ac) * p * (1 - d) * (1 + ae)
        waiting = ea * 11 / 12 * p * (1 - d)
        return monthly + renewed + waiting + n * a_sh * p * (1 - d)

    expected = (
        seg(49, 0.15, 120, 0.15, 0.04, 0.25, 0.002, 0.03, 1800, 250)
        + seg(299, 0.15, 30, 0.45, 0.018, 0.12, 0.008, 0.1, 420, 380)
        + seg(1200, 0.2, 5, 0.8, 0.012, 0.08, 0.008, 0.12, 25, 90)
    )
    assert math.isclose(first["mrr"].sum(), expected, rel_tol=1e-12)
    assert 440_000 < expected < 460_000  # from about $440k in month 0, as its description says


def test_default_preset_tells_a_mixed_billing_story() -> None:
    s = load_preset(DEFAULT_PRESET)
    assert 2 <= len(s.segments) <= 3 and s.horizon_months == 36
    shares = [seg.annual_share for seg in s.segments]
    assert min(shares) < 0.3 and max(shares) > 0.6  # mostly-monthly and mostly-annual segments
    assert all(seg.existing_monthly_customers > 0 for seg in s.segments)
    assert all(seg.existing_annual_customers > 0 for seg in s.segments)


def test_self_serve_is_cheap_monthly_and_churny() -> None:
    s = load_preset("self-serve-smb")
    for seg in s.segments:
        assert seg.list_price < 100 and seg.annual_share <= 0.25 and seg.monthly_churn >= 0.03


def test_enterprise_is_annual_heavy_expensive_and_expands_at_renewal() -> None:
    s = load_preset("enterprise-annual")
    for seg in s.segments:
        assert seg.list_price >= 1000 and seg.annual_share >= 0.8
        assert seg.annual_churn <= 0.15 and seg.annual_expansion > 0


def test_migration_shifts_the_base_from_monthly_to_annual() -> None:
    s = load_preset("monthly-to-annual-migration")
    assert all(
        seg.existing_monthly_customers > 3 * seg.existing_annual_customers for seg in s.segments
    )
    assert all(seg.annual_share >= 0.5 for seg in s.segments)
    frame = project(s)
    share = (
        frame.group_by("month", "term")
        .agg(pl.col("customers").sum())
        .pivot("term", index="month", values="customers")
        .sort("month")
        .select((pl.col("annual") / (pl.col("annual") + pl.col("monthly"))).alias("share"))
        .to_series()
    )
    assert share[0] < 0.15 and share[-1] > 0.5
