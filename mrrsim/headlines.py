"""The headline figures of a scenario as people read them: one table of (key, label, kind,
period, help) and one formatter for values and differences, used by the Planner (your mix
against all-monthly and all-annual) and by Compare (scenarios side by side)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from mrrsim.compare import unique_labels
from mrrsim.formatting import (
    fmt_count,
    fmt_delta_count,
    fmt_delta_money,
    fmt_delta_pct,
    fmt_money,
    fmt_pct,
    fmt_rel,
    fmt_signed_int,
)
from mrrsim.metrics import PLANS, Summary
from mrrsim.scenario import Scenario

__all__ = [
    "HEADLINES",
    "PLANNER_HEADLINES",
    "Card",
    "Headline",
    "figure",
    "fmt_difference",
    "fmt_value",
    "headline_label",
    "plan_cards",
    "plan_table",
    "scenario_tables",
]

Kind = Literal["money", "count", "pct"]
# What a figure covers: the last month, months 1..H, the last 12 months, or no period.
Period = Literal["end", "total", "last12", "none"]


@dataclass(frozen=True)
class Headline:
    """One headline figure: its ``Summary`` key, name, how it is formatted, and its period."""

    key: str
    label: str
    kind: Kind
    period: Period
    help: str


HEADLINES: tuple[Headline, ...] = (
    Headline(
        "ending_mrr",
        "MRR",
        "money",
        "end",
        "Monthly recurring revenue in the last month of the horizon.",
    ),
    Headline(
        "ending_arr", "ARR", "money", "end", "Annual run rate: 12 × the MRR of the last month."
    ),
    Headline(
        "ending_customers", "Customers", "count", "end", "Active customers in the last month."
    ),
    Headline(
        "cumulative_cash",
        "Cash collected",
        "money",
        "total",
        "All cash collected in months 1 to the horizon (annual plans pay a year up front).",
    ),
    Headline(
        "cumulative_revenue",
        "Revenue recognised",
        "money",
        "total",
        "Revenue recognised in months 1 to the horizon, evenly over the service months.",
    ),
    Headline(
        "npv_cash",
        "NPV of cash",
        "money",
        "none",
        "Cash collected, discounted to month 1 at the cost of capital.",
    ),
    Headline(
        "nrr_12",
        "NRR",
        "pct",
        "last12",
        "Net revenue retention over the last 12 months: MRR now of the customers active "
        "12 months ago, over their MRR then (expansion included).",
    ),
    Headline(
        "grr_12",
        "GRR",
        "pct",
        "last12",
        "Gross revenue retention: as NRR, but without expansion (churn and contraction only).",
    ),
    Headline(
        "break_even_discount",
        "Break-even discount",
        "pct",
        "none",
        "The annual discount at which billing every new customer annually is worth as much as "
        "billing every one monthly, over a customer's lifetime (all segments, weighted by the "
        "new customers each acquires). Per segment on the Planner's decision table.",
    ),
)

# The Planner's eight figures (two rows of four cards).
PLANNER_HEADLINES: tuple[Headline, ...] = tuple(
    h for h in HEADLINES if h.key != "cumulative_revenue"
)

# Figures that are one number for all three plans (no difference to show).
_SAME_FOR_ALL_PLANS = frozenset({"break_even_discount"})


def headline_label(headline: Headline) -> str:
    """A figure's one name, with the period it covers, the same on every page and download:
    'MRR, last month', 'Cash collected, whole horizon', 'NRR, last 12 months'."""
    suffix = {"end": ", last month", "total": ", whole horizon", "last12": ", last 12 months"}
    return headline.label + suffix.get(headline.period, "")


def fmt_value(kind: Kind, value: float | None, currency: str, *, full: bool = False) -> str:
    """A figure's value: compact money ('$1.23M') or in full ('$1,234,567'), a count, a %."""
    if kind == "money":
        return fmt_money(value, currency, compact=not full)
    if kind == "count":
        return fmt_count(value)
    return fmt_pct(value)


def fmt_difference(
    kind: Kind,
    diff: float | None,
    currency: str,
    *,
    rel: float | None = None,
    full: bool = False,
) -> str:
    """A difference of two figures: '+$12.3k', '-56', '+1.2 pp'; money and counts followed by
    the relative change when given (' (+5.1%)'); '—' when undefined."""
    if diff is None:
        return "—"
    if kind == "money":
        return fmt_delta_money(diff, currency, compact=not full) + fmt_rel(rel)
    if kind == "count":
        return fmt_delta_count(diff) + fmt_rel(rel)
    return fmt_delta_pct(diff)


def figure(summary: Summary, key: str) -> float | None:
    """One headline figure of a summary as a number (None where it is undefined)."""
    value = summary[key]
    return float(value) if isinstance(value, int | float) else None


def _diff(mine: float | None, other: float | None) -> float | None:
    return None if mine is None or other is None else mine - other


@dataclass(frozen=True)
class Card:
    """One metric card: label, value, its difference from all-monthly (None: none shown), and
    that difference's sign (+1, -1 or 0), which colours it: the text starts with a true minus
    sign, which Streamlit does not read as negative."""

    label: str
    value: str
    delta: str | None
    help: str
    sign: int = 0


def plan_cards(scenario: Scenario, plans: Mapping[str, Summary]) -> list[Card]:
    """The Planner's eight cards: your mix's figures (compact), each with its difference from
    all-monthly; none for the break-even discount (one number for all plans)."""
    mix, monthly, _ = PLANS
    currency = scenario.currency
    cards = []
    for h in PLANNER_HEADLINES:
        mine = figure(plans[mix], h.key)
        diff = _diff(mine, figure(plans[monthly], h.key))
        same = h.key in _SAME_FOR_ALL_PLANS or diff is None
        cards.append(
            Card(
                headline_label(h),
                fmt_value(h.kind, mine, currency),
                None if same else fmt_difference(h.kind, diff, currency),
                h.help,
                0 if same or diff is None or abs(diff) < 1e-9 else (1 if diff > 0 else -1),
            )
        )
    return cards


def plan_table(scenario: Scenario, plans: Mapping[str, Summary]) -> pl.DataFrame:
    """The Planner's figures of the three plans side by side, in full, with your mix's
    differences from each pure billing choice (text, one row per figure). Figures that are one
    number for all three plans (the break-even) are left to the decision table."""
    mix, monthly, annual = PLANS
    currency = scenario.currency
    rows = []
    for h in PLANNER_HEADLINES:
        if h.key in _SAME_FOR_ALL_PLANS:
            continue
        mine = figure(plans[mix], h.key)

        def versus(other: str, h: Headline = h, mine: float | None = mine) -> str:
            if h.key in _SAME_FOR_ALL_PLANS:
                return "—"
            return fmt_difference(
                h.kind, _diff(mine, figure(plans[other], h.key)), currency, full=True
            )

        rows.append(
            {
                "Figure": headline_label(h),
                mix: fmt_value(h.kind, mine, currency, full=True),
                monthly: fmt_value(h.kind, figure(plans[monthly], h.key), currency, full=True),
                annual: fmt_value(h.kind, figure(plans[annual], h.key), currency, full=True),
                "Mix vs monthly": versus(monthly),
                "Mix vs annual": versus(annual),
            }
        )
    return pl.DataFrame(
        rows, schema=dict.fromkeys(["Figure", *PLANS, "Mix vs monthly", "Mix vs annual"], pl.String)
    )


def scenario_tables(
    scenarios: Sequence[Scenario],
    labels: Sequence[str],
    differences: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Compare's two text tables: every headline figure, one column per scenario (in its own
    currency); and the differences from the first scenario, one column per other scenario
    (money and counts with the % change, percentages in percentage points).

    ``differences`` is ``compare.headline_differences`` of the scenarios' summaries; ``labels``
    are unique column headers, one per scenario."""
    currency = scenarios[0].currency
    horizons = [sc.horizon_months for sc in scenarios]
    values = [["Horizon", *(f"{h} months" for h in horizons)]]
    deltas = [
        [
            "Horizon",
            *(fmt_signed_int(h - horizons[0], "months") for h in horizons[1:]),
        ]
    ]
    for h in HEADLINES:
        part = differences.filter(pl.col("key") == h.key).sort("order").to_dicts()
        label = headline_label(h)
        values.append(
            [
                label,
                *(
                    fmt_value(h.kind, r["value"], sc.currency)
                    for r, sc in zip(part, scenarios, strict=True)
                ),
            ]
        )
        deltas.append(
            [
                label,
                *(fmt_difference(h.kind, r["diff"], currency, rel=r["rel_diff"]) for r in part[1:]),
            ]
        )
    return (
        pl.DataFrame(values, schema=unique_labels(["Figure", *labels]), orient="row"),
        pl.DataFrame(deltas, schema=unique_labels(["Figure", *labels[1:]]), orient="row"),
    )
