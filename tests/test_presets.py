"""The bundled presets: they load, set every input of the model (docs/model.md, "The
scenario") on purpose, match the literal cohort model, and every figure their descriptions cite
(the engine's answers and the benchmark ranges of their inputs) is what the engine and the inputs
give."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import polars as pl
import pytest
import yaml
from reference import reference_summary

from mrrsim import dump_scenario, load_preset, loads_scenario, preset_names, project, summarize
from mrrsim.decision import verdict
from mrrsim.policy import annual_share_at
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


@pytest.mark.parametrize("name", PRESETS)
def test_preset_numbers_match_the_literal_cohort_model(name: str) -> None:
    """Ending figures, NRR and every segment's decision equal tests/reference.py, the literal
    cohort-by-cohort reading of docs/model.md (switching, signed prices and calendars included)."""
    s = load_preset(name)
    got, ref = summarize(s), reference_summary(s)
    for key in ("ending_mrr", "ending_customers", "cumulative_cash", "nrr_12"):
        assert math.isclose(got[key], ref[key], rel_tol=1e-9), key
    assert math.isclose(got["break_even_discount"], ref["break_even_discount"], rel_tol=1e-9)
    for seg, expected in zip(got["segments"], ref["segments"], strict=True):
        for key in ("break_even_discount", "optimal_discount", "value_at_current"):
            assert math.isclose(getattr(seg, key), expected[key], rel_tol=1e-9), (seg.name, key)


def test_default_preset_by_hand_month_one() -> None:
    """Month-1 MRR of the default, worked out on paper from its YAML.

    Starter: 1800 monthly at 49*(1.002) after one month of expansion, 0.96 surviving, plus
    120*0.85 new at 49; the annual base renewing in month 1 is 250/12 customers at their signed
    49*0.85, times 1.03 after the renewal with 0.75 surviving, the other 11/12 still at 49*0.85;
    120*0.15 new annual at 49*0.85. Growth's base keeps its signed 20% off while new contracts get
    15%; Scale follows the same pattern at 20%. Nobody switches in this preset.
    """
    s = load_preset("mid-market-mixed")
    first = project(s).filter(pl.col("month") == 1)

    def seg(p, d, de, n, a_sh, mc, ac, me, ae, em, ea):
        monthly = em * (1 - mc) * p * (1 + me) + n * (1 - a_sh) * p
        renewed = ea / 12 * (1 - ac) * p * (1 - de) * (1 + ae)
        waiting = ea * 11 / 12 * p * (1 - de)
        return monthly + renewed + waiting + n * a_sh * p * (1 - d)

    expected = (
        seg(49, 0.15, 0.15, 120, 0.15, 0.04, 0.25, 0.002, 0.03, 1800, 250)
        + seg(299, 0.15, 0.2, 30, 0.45, 0.018, 0.12, 0.008, 0.1, 420, 380)
        + seg(1200, 0.2, 0.2, 5, 0.8, 0.012, 0.08, 0.008, 0.12, 25, 90)
    )
    assert math.isclose(first["mrr"].sum(), expected, rel_tol=1e-12)
    opening = 1800 * 49 + 250 * 49 * 0.85 + 420 * 299 + 380 * 299 * 0.8 + 25 * 1200 + 90 * 960
    assert 425_000 < opening < 435_000  # "about $430k MRR", as its description says
    assert 12 * opening == pytest.approx(5.18e6, rel=0.01)  # "roughly $5M ARR"


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


def test_migration_switches_the_monthly_base_steadily_and_in_a_campaign() -> None:
    s = load_preset("monthly-to-annual-migration")
    assert all(
        seg.existing_monthly_customers > 3 * seg.existing_annual_customers for seg in s.segments
    )
    assert all(seg.annual_share >= 0.5 for seg in s.segments)
    core, plus = s.segments
    assert (core.conversion_rate, core.conversion_months) == (0.015, (1, 24))
    assert (plus.conversion_rate, plus.conversion_months) == (0.2, (4, 4))  # one-month campaign
    frame = project(s).filter(term="annual")
    switched = frame.filter(pl.col("switched_customers") > 0)
    months = switched.group_by("segment").agg(
        pl.col("month").min().alias("first"), pl.col("month").max().alias("last")
    )
    assert sorted(months.iter_rows()) == [("Core", 1, 24), ("Plus", 4, 4)]


# Figures the descriptions cite, each tied to its source. Engine answers are parsed generically
# ("<segment>: break-even X%, best discount Y%" and "NRR over the last 12 months is Z%");
# everything else is a phrase with a check of the inputs (benchmark ranges) or of the engine.
Check = Callable[[Scenario], bool]


def _between(field: str, lo: float, hi: float, segments: tuple[str, ...] = ()) -> Check:
    """Every (or the named) segment's input ``field`` within [lo, hi]."""

    def check(s: Scenario) -> bool:
        chosen = [g for g in s.segments if not segments or g.name in segments]
        return bool(chosen) and all(lo <= getattr(g, field) <= hi for g in chosen)

    return check


def _discounts(lo: float, hi: float) -> Check:
    return lambda s: all(lo <= s.discount_for(g) <= hi for g in s.segments)


def _take_up(shares: dict[str, float]) -> Check:
    return lambda s: all(
        annual_share_at(s, g, 0.0) == shares[g.name] for g in s.segments if g.name in shares
    )


def _annual_share_of_customers(month: int, value: str) -> Check:
    def check(s: Scenario) -> bool:
        rows = project(s).filter(month=month)
        share = rows.filter(term="annual")["customers"].sum() / rows["customers"].sum()
        return f"{share * 100:.1f}" == value

    return check


def _opening_mrr(lo: float, hi: float) -> Check:
    """Month-0 MRR (monthly bases at list price, annual bases at their signed price) in range,
    and its ARR rounds to $5M."""

    def check(s: Scenario) -> bool:
        mrr = sum(
            g.existing_monthly_customers * g.list_price
            + g.existing_annual_customers * g.list_price * (1 - s.signed_discount_for(g))
            for g in s.segments
        )
        return lo <= mrr <= hi and round(12 * mrr / 1e6) == 5

    return check


def _extra_cash_from_switching(s: Scenario) -> bool:
    extra = (
        summarize(s)["cumulative_cash"]
        - summarize(s.with_segments(conversion_rate=0))["cumulative_cash"]
    )
    return round(extra / 1e6, 1) == 0.4


def _switchers(s: Scenario) -> bool:
    return round(project(s)["switched_customers"].clip(lower_bound=0).sum(), -2) == 1900


FACTS: dict[str, list[tuple[str, Check]]] = {
    "enterprise-annual": [
        ("at 10% off the monthly list price", _discounts(0.1, 0.1)),
        ("signed at 15% off", _between("existing_annual_discount", 0.15, 0.15)),
        ("3 months' notice", lambda s: s.renewal_notice_months == 3),
        ("only 30% of the churn gap", lambda s: s.billing_effect == 0.3),
        (
            "(85% of Enterprise, 60% of Mid-market)",
            _take_up({"Enterprise": 0.85, "Mid-market": 0.6}),
        ),
        ("annual gross churn of 5-10%", _between("annual_churn", 0.05, 0.10)),
        ("renewal uplifts of 15-20%", _between("annual_expansion", 0.15, 0.20)),
        ("ten-year customer lifetime", lambda s: s.lifetime_months == 120),
    ],
    "mid-market-mixed": [
        ("about $430k MRR (roughly $5M ARR)", _opening_mrr(425_000, 435_000)),
        (
            "45% of new customers take the annual plan at 15% off",
            _between("annual_share", 0.45, 0.45, ("Growth",)),
        ),
        ("(15% would with no discount at all)", _take_up({"Growth": 0.15})),
        ("signed at 20% off", _between("existing_annual_discount", 0.2, 0.2, ("Growth",))),
        ("annual contracts at 20% off; 60% would sign annual anyway", _take_up({"Scale": 0.6})),
        ("half of the churn gap", lambda s: s.billing_effect == 0.5),
        ("over seven years", lambda s: s.lifetime_months == 84),
        (
            "small-business monthly logo churn of 3-7%",
            _between("monthly_churn", 0.03, 0.07, ("Starter",)),
        ),
        ("mid-market 1-2%", _between("monthly_churn", 0.01, 0.02, ("Growth", "Scale"))),
        ("annual non-renewal of 8-25%", _between("annual_churn", 0.08, 0.25)),
        ("annual discounts of 15-20%", _discounts(0.15, 0.2)),
        ("Scale's 20%", lambda s: s.discount_for(s.segments[2]) == 0.2),
    ],
    "monthly-to-annual-migration": [
        ("annual plans at 20% off", _discounts(0.2, 0.2)),
        (
            "(60% of new Core and 70% of new Plus",
            lambda s: [g.annual_share for g in s.segments] == [0.6, 0.7],
        ),
        ("without the discount 25% and 35% would", _take_up({"Core": 0.25, "Plus": 0.35})),
        (
            "1.5% of monthly customers accept each month for two years",
            _between("conversion_rate", 0.015, 0.015, ("Core",)),
        ),
        ("switches 20% of its monthly customers", _between("conversion_rate", 0.2, 0.2, ("Plus",))),
        ("about 1,900 monthly customers switch", _switchers),
        ("from 12.8% in month 1", _annual_share_of_customers(1, "12.8")),
        ("to 66.2% in month 36", _annual_share_of_customers(36, "66.2")),
        ("cash collected is $0.4M higher than without switching", _extra_cash_from_switching),
        ("monthly logo churn of 2-4%", _between("monthly_churn", 0.02, 0.04)),
        ("annual non-renewal of 14-20%", _between("annual_churn", 0.14, 0.20)),
        ("annual discounts of 15-20%", _discounts(0.15, 0.2)),
        ("worth more than monthly at 20% off", _discounts(0.2, 0.2)),
    ],
    "self-serve-smb": [
        ("prepay a year at 20% off", _discounts(0.2, 0.2)),
        ("only 3% of Solo and 6% of Team", _take_up({"Solo": 0.03, "Team": 0.06})),
        ("only 30% of the churn gap", lambda s: s.billing_effect == 0.3),
        ("monthly logo churn of 3-6%", _between("monthly_churn", 0.03, 0.06)),
        ("first-year annual non-renewal of 30-50%", _between("annual_churn", 0.3, 0.5)),
        ("annual discounts of 15-20%", _discounts(0.15, 0.2)),
        ("even at 20% off", _discounts(0.2, 0.2)),
        ("for Team, 20% off", _discounts(0.2, 0.2)),
    ],
    "three-tier-pricing": [
        ('"two months free" (17% off)', lambda s: s.annual_discount == 0.17),
        ("its own 20%", lambda s: s.discount_for(s.segments[2]) == 0.2),
        ("keep the 17% they were signed at", _between("existing_annual_discount", 0.17, 0.17)),
        (
            "6% of Basic, 15% of Pro and 40% of Business",
            _take_up({"Basic": 0.06, "Pro": 0.15, "Business": 0.4}),
        ),
        ("half of the churn gap", lambda s: s.billing_effect == 0.5),
        ("about 5% at the entry tier", _between("monthly_churn", 0.05, 0.05, ("Basic",))),
        ("1-2% for business plans", _between("monthly_churn", 0.01, 0.02, ("Business",))),
        ("annual non-renewal of 10-35%", _between("annual_churn", 0.1, 0.35)),
        ("annual discounts of 15-20%", _discounts(0.15, 0.2)),
        ("Basic and Pro at 17% off", _discounts(0.17, 0.2)),
        ("for Business, 20% off", lambda s: s.discount_for(s.segments[2]) == 0.2),
    ],
    "usage-expansion": [
        ("expand about 2% a month", _between("monthly_expansion", 0.02, 0.02, ("Pay-as-you-go",))),
        ("contracts at 20% off", _discounts(0.2, 0.2)),
        ("typically by a quarter", _between("annual_expansion", 0.25, 0.25, ("Committed use",))),
        ("half of them would commit even without a discount", _take_up({"Committed use": 0.5})),
        ("half of the churn gap", lambda s: s.billing_effect == 0.5),
        ("2 months' notice", lambda s: s.renewal_notice_months == 2),
        ("monthly logo churn of 2-6%", _between("monthly_churn", 0.02, 0.06)),
        ("15-25% discounts for committed spend", _discounts(0.15, 0.25)),
        (
            "NRR over the last 12 months is 102.4%: committed-use accounts grow",
            lambda s: summarize(s)["nrr_12"] > 1,
        ),
    ],
}
DECISION = re.compile(
    r"([A-Z][\w-]*(?: [a-z][\w-]*)?): break-even (-?\d+\.\d)%, best discount (\d+\.\d)%"
)
NRR = re.compile(r"NRR over the last 12 months is (\d+\.\d)%")
FIGURE = re.compile(r"\$?\d[\d,.]*(?:%|[kM]\b)")


def test_every_preset_has_its_facts() -> None:
    assert set(FACTS) == set(PRESETS)


@pytest.mark.parametrize("name", PRESETS)
def test_description_cites_the_engines_answer_for_every_segment(name: str) -> None:
    s = load_preset(name)
    summary = summarize(s)
    cited = {m[1]: (m[2], m[3]) for m in DECISION.finditer(s.description)}
    assert list(cited) == [g.name for g in s.segments]
    for seg in summary["segments"]:
        be, best = cited[seg.name]
        assert be == f"{seg.break_even_discount * 100:.1f}", seg.name
        assert best == f"{seg.optimal_discount * 100:.1f}", seg.name
    assert [m[1] for m in NRR.finditer(s.description)] == [f"{summary['nrr_12'] * 100:.1f}"]


@pytest.mark.parametrize("name", PRESETS)
def test_every_figure_in_the_description_is_checked(name: str) -> None:
    """Each percentage or money figure sits in a checked phrase: an engine answer parsed above
    or a fact whose check holds for this preset's inputs and outputs."""
    s = load_preset(name)
    text = s.description
    covered: list[tuple[int, int]] = [m.span() for m in DECISION.finditer(text)]
    covered += [m.span() for m in NRR.finditer(text)]
    for phrase, check in FACTS[name]:
        start = text.find(phrase)
        assert start >= 0, phrase
        assert check(s), phrase
        covered.append((start, start + len(phrase)))
    unchecked = [
        m.group()
        for m in FIGURE.finditer(text)
        if not any(a <= m.start() and m.end() <= b for a, b in covered)
    ]
    assert unchecked == []


@pytest.mark.parametrize("name", PRESETS)
def test_preset_sets_the_model_inputs_on_purpose(name: str) -> None:
    """The file itself sets billing effect and lifetime, and every segment a take-up response
    (a best discount exists only when fewer customers prepay at a smaller discount)."""
    raw = yaml.safe_load((PRESETS_DIR / f"{name}.yaml").read_text())
    assert {"billing_effect", "lifetime_months"} <= set(raw)
    for seg in raw["segments"]:
        assert seg["annual_share_at_no_discount"] < seg["annual_share"], seg["name"]


# The answer per segment as the Planner words it (mrrsim.decision): the action, and which billing
# pays at today's discount. Each description says the same in words; pinned so a change of
# inputs that flips an answer is seen.
ANSWERS = {
    "enterprise-annual": {
        "Enterprise": ("Drop the annual discount", "Annual pays at 10.0%"),
        "Mid-market": ("Keep 10.0%", "Annual pays at 10.0%"),
    },
    "mid-market-mixed": {
        "Starter": ("Keep 15.0%", "Annual pays at 15.0%"),
        "Growth": ("Lower the discount to 4.6%", "Annual pays at 15.0%"),
        "Scale": ("Drop the annual discount", "Monthly is worth more at 20.0%"),
    },
    "monthly-to-annual-migration": {
        "Core": ("Lower the discount to 7.5%", "Annual pays at 20.0%"),
        "Plus": ("Lower the discount to 2.9%", "Annual pays at 20.0%"),
    },
    "self-serve-smb": {
        "Solo": ("Keep 20.0%", "Annual pays at 20.0%"),
        "Team": ("Lower the discount to 3.7%", "Monthly is worth more at 20.0%"),
    },
    "three-tier-pricing": {
        "Basic": ("Keep 17.0%", "Annual pays at 17.0%"),
        "Pro": ("Lower the discount to 8.1%", "Annual pays at 17.0%"),
        "Business": ("Drop the annual discount", "Monthly is worth more at 20.0%"),
    },
    "usage-expansion": {
        "Pay-as-you-go": ("Drop the annual discount", "Monthly"),
        "Committed use": ("Lower the discount to 3.6%", "Annual pays at 20.0%"),
    },
}


@pytest.mark.parametrize("name", PRESETS)
def test_each_segment_gets_the_answer_its_description_gives(name: str) -> None:
    s = load_preset(name)
    summary = summarize(s)
    got = {}
    for i, seg in enumerate(summary["segments"]):
        answer = verdict(s, i, seg)
        got[seg.name] = (answer.label, answer.sentence.split(":")[0])
    assert got == ANSWERS[name]
