"""Shared fixtures and hypothesis strategies for the engine tests."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from browser_util import CHROMIUM, chromium_available, launch_browser

from mrrsim import Scenario, parse_scenario, summarize
from mrrsim.formatting import fmt_count, fmt_money, fmt_pct

settings.register_profile(
    "mrrsim", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("mrrsim")

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def in_ci() -> bool:
    """True in CI (``CI`` set to anything but empty, 0, false or no)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str, needed_for: str) -> NoReturn:
    """Skip a test whose tool is missing, but fail in CI, which must run every test."""
    if in_ci():
        pytest.fail(f"{reason}; CI must run {needed_for} (.ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium driven by Playwright, one per test module."""
    if not chromium_available():
        unavailable(
            f"headless Chromium is not available ({CHROMIUM} or the playwright package)",
            "the browser tests",
        )
    with launch_browser() as launched:
        yield launched


def make(segments: list[dict], **top: object) -> Scenario:
    """A scenario from a few fields (the rest default)."""
    return parse_scenario({"name": "test", **top, "segments": segments})


@pytest.fixture
def mixed() -> Scenario:
    """Two segments exercising every field, including churn of 1 and negative expansion."""
    return make(
        [
            {
                "name": "Pro",
                "list_price": 99,
                "new_customers": 120,
                "acquisition_growth": 0.02,
                "annual_share": 0.4,
                "annual_discount": 0.2,
                "monthly_churn": 0.035,
                "annual_churn": 0.18,
                "monthly_expansion": 0.006,
                "annual_expansion": 0.05,
                "existing_monthly_customers": 600,
                "existing_annual_customers": 300,
            },
            {
                "name": "Enterprise",
                "list_price": 1000,
                "new_customers": 3,
                "acquisition_growth": -0.1,
                "annual_share": 0.9,
                "monthly_churn": 1,
                "annual_churn": 1,
                "monthly_expansion": -0.02,
                "annual_expansion": -0.3,
                "existing_monthly_customers": 7,
                "existing_annual_customers": 13,
            },
        ],
        horizon_months=40,
    )


def _rate(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.one_of(
        st.sampled_from([lo, hi, 0.0 if lo <= 0 <= hi else lo]),
        st.floats(lo, hi, allow_subnormal=False),
    )


segment_data = st.fixed_dictionaries(
    {
        "list_price": st.floats(0.5, 5000),
        "new_customers": st.one_of(st.just(0.0), st.floats(1e-3, 500)),
        "acquisition_growth": _rate(-0.5, 0.5),
        "annual_share": _rate(0, 1),
        "monthly_churn": _rate(0, 1),
        "annual_churn": _rate(0, 1),
        "monthly_expansion": _rate(-0.5, 0.5),
        "annual_expansion": _rate(-0.9, 2),
        "existing_monthly_customers": st.one_of(st.just(0.0), st.floats(1e-3, 5000)),
    },
    optional={
        "annual_discount": st.floats(0, 0.95),
        "existing_annual_customers": st.one_of(st.just(0.0), st.floats(1e-3, 5000)),
        "existing_annual_discount": st.floats(0, 0.95),
        "existing_annual_renewals": st.lists(
            st.one_of(st.just(0.0), st.floats(1e-3, 500)), min_size=12, max_size=12
        ),
        "annual_share_at_no_discount": _rate(0, 1),
        "conversion_rate": _rate(0, 0.5),
    },
)


@st.composite
def scenarios(
    draw: st.DrawFn, max_segments: int = 3, max_horizon: int = 60, v2: bool = True
) -> Scenario:
    """Random valid scenarios across the whole allowed range of every rate; ``v2=False`` keeps
    to version 1's inputs (no movers' own churn, switching, signed discounts or calendars)."""
    horizon = draw(st.integers(1, max_horizon))
    discount = draw(st.floats(0, 0.95))
    segs = []
    for i, seg in enumerate(draw(st.lists(segment_data, min_size=1, max_size=max_segments))):
        seg = {"name": f"S{i}", **seg}
        if "existing_annual_renewals" in seg:
            seg.pop("existing_annual_customers", None)
        if not v2:
            for key in (
                "existing_annual_discount",
                "existing_annual_renewals",
                "annual_share_at_no_discount",
                "conversion_rate",
            ):
                seg.pop(key, None)
        if seg.get("annual_discount", discount) == 0:
            seg.pop("annual_share_at_no_discount", None)
        if seg.get("conversion_rate") and draw(st.booleans()):
            first = draw(st.integers(1, horizon))
            seg["conversion_months"] = [first, draw(st.integers(first, horizon))]
        segs.append(seg)
    top = {"billing_effect": draw(_rate(0, 1)), "lifetime_months": 12 * draw(st.integers(1, 50))}
    return make(
        segs,
        horizon_months=horizon,
        annual_discount=discount,
        cost_of_capital=draw(st.floats(0, 1)),
        **(top if v2 else {"billing_effect": 1.0}),
    )


def expected_metrics(scenario: Scenario) -> dict[str, str]:
    """The planner's headline figures for a scenario (AppTest and browser tests alike):
    summarize(), formatted by mrrsim.formatting."""
    s = summarize(scenario)
    cur = scenario.currency
    return {
        "MRR": fmt_money(s["ending_mrr"], cur),
        "ARR": fmt_money(s["ending_arr"], cur),
        "Customers": fmt_count(s["ending_customers"]),
        "Cash collected": fmt_money(s["cumulative_cash"], cur),
        "NPV of cash": fmt_money(s["npv_cash"], cur),
        "NRR": fmt_pct(s["nrr_12"]),
        "GRR": fmt_pct(s["grr_12"]),
        "Break-even discount": fmt_pct(s["break_even_discount"]),
    }
