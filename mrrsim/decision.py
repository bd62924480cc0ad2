"""The billing decision per segment, in words a leader acts on (docs/model.md, "Lifetime values
and the decision").

Pure functions from a scenario and its summaries to small frames and sentences: the Planner's
decision table, its value-per-discount chart data, and the notes that say why a headline figure
seems to disagree with the verdict. Nothing here formats for a screen beyond plain sentences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from mrrsim.formatting import fmt_delta_money, fmt_money, fmt_pct
from mrrsim.metrics import PLANS, SegmentDecision, Summary, value_curve
from mrrsim.scenario import Scenario

__all__ = [
    "CHART_STEP",
    "TABLE_COLUMNS",
    "TABLE_PARTS",
    "Verdict",
    "decision_display",
    "decision_table",
    "disagreement_notes",
    "take_up_note",
    "value_chart_frames",
    "verdict",
]

CHART_STEP = 0.005  # the value curve is drawn every half point (121 points), marks exactly
_SAME = 0.0005  # discounts closer than this are "the same" (half a grid step of 0.001)
MATERIAL = 0.01  # a best discount worth less than 1% more per new customer is not worth a change
MIX, MONTHLY, ANNUAL = PLANS


@dataclass(frozen=True)
class Verdict:
    """A segment's answer: a short label for the table and one sentence that explains it."""

    label: str
    sentence: str


def _responds(scenario: Scenario, index: int) -> bool:
    seg = scenario.segments[index]
    return seg.take_up_at_no_discount() != seg.annual_share and scenario.discount_for(seg) > 0


def verdict(scenario: Scenario, index: int, decision: SegmentDecision) -> Verdict:
    """Monthly or annual for new customers of one segment, and at what discount."""
    seg = scenario.segments[index]
    cur = scenario.currency
    d = scenario.discount_for(seg)
    be, best = decision.break_even_discount, decision.optimal_discount
    gain = decision.value_at_optimal - decision.value_at_current
    if be < 0:
        head = (
            f"Monthly: even with no discount an annual customer of {seg.name} is worth less than "
            f"a monthly one (annual would need a {fmt_pct(-be)} premium to break even)."
        )
        label = "Bill monthly"
    elif d < be:
        head = (
            f"Annual pays at {fmt_pct(d)}: billing every new {seg.name} customer annually is "
            f"worth more than monthly up to a {fmt_pct(be)} discount."
        )
        label = f"Annual pays at {fmt_pct(d)}"
    else:
        head = (
            f"Monthly is worth more at {fmt_pct(d)}: annual billing of new {seg.name} "
            f"customers only pays below a {fmt_pct(be)} discount."
        )
        label = f"Monthly is worth more at {fmt_pct(d)}"
    if not _responds(scenario, index):
        return Verdict(label, head)
    if abs(best - d) <= _SAME or gain <= 0:
        return Verdict(
            f"Keep {fmt_pct(d)}",
            head + f" {fmt_pct(d)} is the best discount for the take-up you set.",
        )
    if gain < MATERIAL * decision.value_at_current:
        return Verdict(
            f"Keep {fmt_pct(d)}",
            head + f" {fmt_pct(best)} would be worth most for the take-up you set, but less than "
            "1% more per new customer: not worth a price change.",
        )
    worth = (
        f"{fmt_delta_money(gain, cur)} per new customer over {fmt_pct(d)} "
        f"({fmt_pct(gain / decision.value_at_current if decision.value_at_current else None)})"
    )
    if best == 0.0:
        return Verdict(
            "Drop the annual discount",
            head + " With the take-up you set, enough customers choose annual without a "
            f"discount that offering none is worth most: {worth}.",
        )
    direction = "Raise" if best > d else "Lower"
    return Verdict(
        f"{direction} the discount to {fmt_pct(best)}",
        head + f" With the take-up you set, {fmt_pct(best)} is worth most: {worth}.",
    )


def take_up_note(scenario: Scenario) -> str | None:
    """One note for the segments whose take-up does not respond to the discount, if any."""
    names = [
        seg.name
        for i, seg in enumerate(scenario.segments)
        if not _responds(scenario, i) and scenario.discount_for(seg) > 0
    ]
    if not names:
        return None
    which = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (
        f"For {which} no take-up response is set: the same customers choose annual whatever "
        "the discount, so a discount only gives money away and the best discount is 0%. Set "
        "how many would choose annual with no discount (in each segment, sidebar) to find the "
        "discount worth offering."
    )


def decision_table(scenario: Scenario, summary: Summary) -> pl.DataFrame:
    """One row per segment: discount now, break-even, best discount, value of a new customer
    now and at the best discount, the gain, and the verdict (label and sentence)."""
    rows = []
    for i, (seg, dec) in enumerate(zip(scenario.segments, summary.segments, strict=True)):
        v = verdict(scenario, i, dec)
        rows.append(
            {
                "segment": seg.name,
                "discount_now": scenario.discount_for(seg),
                "break_even_discount": dec.break_even_discount,
                "optimal_discount": dec.optimal_discount,
                "value_at_current": dec.value_at_current,
                "value_at_optimal": dec.value_at_optimal,
                "gain": dec.value_at_optimal - dec.value_at_current,
                "new_customers": seg.new_customers,
                "verdict": v.label,
                "explanation": v.sentence,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "segment": pl.String,
            "discount_now": pl.Float64,
            "break_even_discount": pl.Float64,
            "optimal_discount": pl.Float64,
            "value_at_current": pl.Float64,
            "value_at_optimal": pl.Float64,
            "gain": pl.Float64,
            "new_customers": pl.Float64,
            "verdict": pl.String,
            "explanation": pl.String,
        },
    )


TABLE_COLUMNS = (
    "Segment",
    "Answer",
    "Discount now",
    "Break-even discount",
    "Best discount",
    "Value per new customer now",
    "At the best discount",
)
# The table in two narrow parts that sit side by side where they fit and one under the other on
# a phone (its seven columns ran off a 390 px screen): the answer with its discounts, then the
# value of a new customer. Each part starts with the segment.
TABLE_PARTS = (
    ("Segment", "Answer", "Discount now", "Break-even discount", "Best discount"),
    ("Segment", "Value per new customer now", "At the best discount"),
)


def decision_display(table: pl.DataFrame, currency: str) -> pl.DataFrame:
    """``decision_table`` as people read it: the columns of TABLE_COLUMNS, all text (money in
    full, percentages to one decimal), for the screen; downloads keep the numbers."""
    rows = [
        (
            row["segment"],
            row["verdict"],
            fmt_pct(row["discount_now"]),
            fmt_pct(row["break_even_discount"]),
            fmt_pct(row["optimal_discount"]),
            fmt_money(row["value_at_current"], currency, compact=False),
            fmt_money(row["value_at_optimal"], currency, compact=False)
            + ("" if row["gain"] < 0.5 else f" ({fmt_delta_money(row['gain'], currency)})"),
        )
        for row in table.iter_rows(named=True)
    ]
    return pl.DataFrame(rows, schema=list(TABLE_COLUMNS), orient="row")


def value_chart_frames(scenario: Scenario, summary: Summary) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(curve, marks) for the value-per-discount chart.

    curve: segment, discount, annual_share, value, every CHART_STEP from 0 to 60%.
    marks: segment, mark ("Today", "Best", "Break-even"), discount, value (null for a
    break-even outside 0-60%: it is then named in the table, not drawn)."""
    grid = [round(k * CHART_STEP, 6) for k in range(int(0.6 / CHART_STEP) + 1)]
    curve = value_curve(scenario, grid)
    rows = []
    for seg, dec in zip(scenario.segments, summary.segments, strict=True):
        rows.append((seg.name, "Today", scenario.discount_for(seg), dec.value_at_current))
        rows.append((seg.name, "Best", dec.optimal_discount, dec.value_at_optimal))
        be = dec.break_even_discount
        if 0.0 <= be <= 0.6:
            at_be = value_curve(scenario, [be]).filter(pl.col("segment") == seg.name)
            rows.append((seg.name, "Break-even", be, at_be["value"][0]))
    marks = pl.DataFrame(
        rows,
        schema={
            "segment": pl.String,
            "mark": pl.String,
            "discount": pl.Float64,
            "value": pl.Float64,
        },
        orient="row",
    )
    return curve, marks


def disagreement_notes(scenario: Scenario, plans: Mapping[str, Summary]) -> list[str]:
    """Sentences for figures that seem to contradict the verdicts, saying why (and the take-up
    note, when a segment's best discount is 0% only because take-up does not respond)."""
    mix, monthly = plans[MIX], plans[MONTHLY]
    note = take_up_note(scenario)
    notes = [] if note is None else [note]
    annual_pays = any(
        0 <= scenario.discount_for(seg) < dec.break_even_discount and seg.new_customers > 0
        for seg, dec in zip(scenario.segments, mix.segments, strict=True)
    )
    if annual_pays and mix.ending_arr < monthly.ending_arr:
        notes.append(
            "ARR ends lower under your mix than all-monthly, although annual billing pays for "
            "some segments: ARR counts annual customers at their discounted price, while the "
            "answers above count all the cash a new customer brings over its lifetime, with the "
            "lower churn of annual customers and their cash paid up front."
        )
    if annual_pays and mix.npv_cash < monthly.npv_cash:
        notes.append(
            f"NPV of cash over the {scenario.horizon_months}-month horizon is lower under your "
            "mix than all-monthly: the horizon cuts off the later years in which annual "
            f"customers' lower churn pays back. The verdicts count {scenario.lifetime_months} "
            "months of each customer's life."
        )
    if not annual_pays and mix.cumulative_cash > monthly.cumulative_cash:
        notes.append(
            "Cash collected is higher under your mix although monthly is worth more per new "
            "customer: annual customers pay a year up front, so cash arrives sooner, but over "
            "their lifetime the discount costs more than the churn it saves."
        )
    return notes
