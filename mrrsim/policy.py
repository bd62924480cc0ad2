"""Who is on which plan under a billing policy (docs/model.md, "Policies and movers").

The scenario's own mix is what customers choose. Another policy (all-monthly, all-annual, or a
different discount for a segment) moves some of them to the other plan; movers keep the part of
their own retention that billing does not cause (``billing_effect``). Every engine (projection,
Monte Carlo, detection, lifetime values) reads a plan as a tuple of ``Group``: customers of one
segment on one billing term who share their price, churn and expansion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from mrrsim.scenario import Scenario, Segment

__all__ = [
    "POLICIES",
    "Group",
    "Policy",
    "Variant",
    "annual_share_at",
    "as_variant",
    "mover_churns",
    "plan_groups",
]

Policy = Literal["mix", "all_monthly", "all_annual"]
POLICIES: tuple[Policy, ...] = ("mix", "all_monthly", "all_annual")
Term = Literal["monthly", "annual"]
Origin = Literal["chose", "moved", "switched"]


@dataclass(frozen=True)
class Variant:
    """A scenario evaluated under a billing policy, optionally with other discounts for new
    contracts of some segments (segment index -> discount)."""

    scenario: Scenario
    policy: Policy = "mix"
    discounts: Mapping[int, float] = field(default_factory=dict)

    def discount(self, seg_idx: int) -> float:
        """The discount of new annual contracts of a segment under this variant."""
        if seg_idx in self.discounts:
            return self.discounts[seg_idx]
        return self.scenario.discount_for(self.scenario.segments[seg_idx])

    @property
    def horizon(self) -> int:
        return self.scenario.horizon_months


def as_variant(item: Scenario | Variant) -> Variant:
    """A bare scenario is its own mix."""
    return item if isinstance(item, Variant) else Variant(item)


@dataclass(frozen=True)
class Group:
    """Customers of one segment on one billing term with one price, churn and expansion.

    ``share`` is the fraction of the segment's new customers n(t) that joins the group each
    month; ``base`` the existing customers at month 0 (monthly: one count; annual: twelve counts
    by month of first renewal 1..12), paying ``base_price`` a month. Monthly groups lose
    ``conversion`` of their customers of age >= 1 to annual in months ``conversion_months``; the
    switchers join the segment's ``switched`` annual group at ``discount``.
    """

    seg_idx: int
    term: Term
    origin: Origin
    share: float
    price: float
    churn: float
    expansion: float
    base: tuple[float, ...] = ()
    base_price: float = 0.0
    conversion: float = 0.0
    conversion_months: tuple[int, int] = (1, 0)
    discount: float = 0.0

    def conversion_at(self, month: int) -> float:
        """u_t: the share of surviving customers of age >= 1 switching in ``month``."""
        first, last = self.conversion_months
        return self.conversion if first <= month <= last else 0.0


def mover_churns(scenario: Scenario, segment: Segment) -> tuple[float, float]:
    """(renewal churn of customers moved to annual, monthly churn of customers moved to monthly).

    With C the monthly plan's churn over a year, billing causes the share ``billing_effect`` of
    the gap between C and the annual renewal churn; movers keep the rest of their own.
    """
    b = scenario.billing_effect
    yearly = 1.0 - (1.0 - segment.monthly_churn) ** 12
    gap = yearly - segment.annual_churn
    to_annual = min(max(yearly - b * gap, 0.0), 1.0)
    kept_yearly = min(max(segment.annual_churn + b * gap, 0.0), 1.0)
    to_monthly = 1.0 - (1.0 - kept_yearly) ** (1.0 / 12.0)
    return to_annual, to_monthly


def annual_share_at(scenario: Scenario, segment: Segment, discount: float) -> float:
    """s(x): the share of new customers choosing annual at discount x (linear take-up through
    the share at no discount and the scenario's own share at its discount, clipped to 0..1)."""
    own = scenario.discount_for(segment)
    s = segment.annual_share
    if own == 0.0 or discount == own:
        return s
    s0 = segment.take_up_at_no_discount()
    return min(max(s0 + (s - s0) * discount / own, 0.0), 1.0)


def _segment_groups(variant: Variant, seg_idx: int) -> list[Group]:
    sc = variant.scenario
    seg = sc.segments[seg_idx]
    p = seg.list_price
    d = variant.discount(seg_idx)
    s = seg.annual_share
    c_ma, c_am = mover_churns(sc, seg)
    if variant.policy == "all_monthly":
        chose_monthly, moved_monthly, chose_annual, moved_annual = 1.0 - s, s, 0.0, 0.0
    elif variant.policy == "all_annual":
        chose_monthly, moved_monthly, chose_annual, moved_annual = 0.0, 0.0, s, 1.0 - s
    else:
        taken = annual_share_at(sc, seg, d)
        extra = taken - s
        chose_annual = min(taken, s)
        chose_monthly = 1.0 - max(taken, s)
        moved_annual = max(extra, 0.0)
        moved_monthly = max(-extra, 0.0)
    converts = variant.policy != "all_monthly" and seg.conversion_rate > 0
    span = sc.conversion_span(seg)
    u = seg.conversion_rate if converts else 0.0

    def monthly(origin: Origin, share: float, churn: float, base: tuple[float, ...] = ()) -> Group:
        return Group(
            seg_idx, "monthly", origin, share, p, churn, seg.monthly_expansion, base, p,
            conversion=u, conversion_months=span, discount=d,
        )  # fmt: skip

    def annual(origin: Origin, share: float, churn: float, base: tuple[float, ...] = ()) -> Group:
        signed = p * (1.0 - sc.signed_discount_for(seg))
        return Group(
            seg_idx, "annual", origin, share, p * (1.0 - d), churn, seg.annual_expansion, base,
            signed, discount=d,
        )  # fmt: skip

    return [
        monthly("chose", chose_monthly, seg.monthly_churn, (seg.existing_monthly_customers,)),
        monthly("moved", moved_monthly, c_am),
        annual("chose", chose_annual, seg.annual_churn, seg.renewal_calendar()),
        annual("moved", moved_annual, c_ma),
        annual("switched", 0.0, c_ma),
    ]


def plan_groups(item: Scenario | Variant) -> tuple[Group, ...]:
    """Every group of every segment, in scenario order: monthly chose, monthly moved, annual
    chose, annual moved, annual switched (groups may be empty; the shape is fixed)."""
    variant = as_variant(item)
    return tuple(
        g for i in range(len(variant.scenario.segments)) for g in _segment_groups(variant, i)
    )
