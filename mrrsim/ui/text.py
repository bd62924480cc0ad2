"""Words for people: the editor's field labels and units, validation problems in the editor's
words, Markdown escaping and the break-even sentence (money and percentage formatting live in
``mrrsim.formatting``).

Pure functions (no Streamlit), so pages, tests and other front ends can use them alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from mrrsim.formatting import currency_symbol

__all__ = [
    "DECISION_FIELDS",
    "SCENARIO_FIELDS",
    "SEGMENT_FIELDS",
    "UNCERTAINTY_FIELDS",
    "Field",
    "escape_md",
    "humanize_problem",
    "md_amounts",
]

Kind = Literal["text", "longtext", "int", "money", "count", "pct"]


@dataclass(frozen=True)
class Field:
    """One editable scenario field: where it lives, how it is shown, and its unit."""

    name: str
    label: str
    kind: Kind
    step: float = 1.0
    help: str = ""


SCENARIO_FIELDS: tuple[Field, ...] = (
    Field("name", "Scenario name", "text"),
    Field("description", "Description", "longtext"),
    Field("horizon_months", "Horizon (months)", "int", 1, "How many months to project (1-120)."),
    Field(
        "annual_discount",
        "Annual discount for new contracts (%)",
        "pct",
        0.5,
        "Discount off 12 × the monthly list price for paying a year up front, offered to new "
        "customers and to monthly customers who switch. Contracts already signed keep their "
        "own discount (in each segment). A segment can override it.",
    ),
    Field(
        "cost_of_capital",
        "Cost of capital (% a year)",
        "pct",
        0.5,
        "The annual rate used to discount future cash in the NPV of cash.",
    ),
    Field("currency", "Currency", "text", help="Display only, e.g. USD, EUR, GBP."),
)

# The assumptions behind the billing decision: edited beside the Planner's decision table.
DECISION_FIELDS: tuple[Field, ...] = (
    Field(
        "billing_effect",
        "Billing effect on churn (%)",
        "pct",
        5.0,
        "How much of the churn gap between annual and monthly customers billing itself causes. "
        "100%: a customer moved to annual churns like an annual customer. 0%: annual customers "
        "simply are the loyal ones, and moving someone changes nothing about their churn.",
    ),
    Field(
        "lifetime_months",
        "Customer lifetime counted (months)",
        "int",
        12.0,
        "How far ahead the value of a new customer is counted (whole years, 12-600 months).",
    ),
    Field(
        "renewal_notice_months",
        "Renewal notice (months)",
        "int",
        1.0,
        "Months before renewal that annual customers say they will not renew (0-11). Only "
        "changes how soon a churn problem shows on a dashboard (Predictability page).",
    ),
)

SEGMENT_FIELDS: tuple[Field, ...] = (
    Field("name", "Segment name", "text"),
    Field("list_price", "List price per month", "money", 1.0, "Month-to-month list price."),
    Field("new_customers", "New customers in month 1", "count", 1.0),
    Field(
        "acquisition_growth",
        "Growth of new customers (% a month)",
        "pct",
        0.5,
        "Month-on-month growth of the number of new customers.",
    ),
    Field(
        "annual_share",
        "New customers choosing annual (%)",
        "pct",
        5.0,
        "Share of new customers that pick the annual prepaid plan.",
    ),
    Field(
        "annual_discount",
        "This segment's discount for new contracts (%)",
        "pct",
        0.5,
        "Overrides the scenario's annual discount for this segment's new contracts.",
    ),
    Field(
        "annual_share_at_no_discount",
        "Would choose annual with no discount (%)",
        "pct",
        5.0,
        "Take-up with no discount at all. With the share at today's discount it draws a line: a "
        "bigger discount wins more annual customers, a smaller one fewer. This is what makes a "
        "best discount exist.",
    ),
    Field(
        "monthly_churn",
        "Monthly plan: churn (% a month)",
        "pct",
        0.1,
        "Share of month-to-month customers cancelling each month (logo churn).",
    ),
    Field(
        "annual_churn",
        "Annual plan: non-renewal (% per renewal)",
        "pct",
        1.0,
        "Share of annual customers who do not renew at each yearly renewal.",
    ),
    Field(
        "monthly_expansion",
        "Monthly plan: expansion (% a month)",
        "pct",
        0.1,
        "Net MRR change per month of a retained monthly customer (negative = contraction).",
    ),
    Field(
        "annual_expansion",
        "Annual plan: price change at renewal (%)",
        "pct",
        1.0,
        "Price change of an annual customer at each renewal (upsell or downgrade).",
    ),
    Field("existing_monthly_customers", "Existing monthly customers", "count", 10.0),
    Field("existing_annual_customers", "Existing annual customers", "count", 10.0),
    Field(
        "existing_annual_discount",
        "Signed annual contracts: discount (%)",
        "pct",
        0.5,
        "The discount the existing annual customers signed at. They keep it until they renew; "
        "changing the discount for new contracts does not reprice them.",
    ),
    Field(
        "conversion_rate",
        "Monthly customers switching to annual (% a month)",
        "pct",
        0.5,
        "Share of monthly customers (the existing base included) moving to the annual plan each "
        "month of switching, at the discount for new contracts.",
    ),
    Field(
        "conversion_first",
        "Switching from month",
        "int",
        1.0,
        "First month of switching. Same first and last month: a one-month campaign.",
    ),
    Field("conversion_last", "Switching until month", "int", 1.0, "Last month of switching."),
)

UNCERTAINTY_FIELDS: tuple[Field, ...] = (
    Field(
        "churn",
        "Churn uncertainty (% CV)",
        "pct",
        5.0,
        "Coefficient of variation of churn across simulated futures (Predictability page).",
    ),
    Field(
        "acquisition",
        "Acquisition uncertainty (% CV)",
        "pct",
        5.0,
        "Coefficient of variation of new customers across simulated futures.",
    ),
)

_LABELS = (
    {f.name: f for f in (*SCENARIO_FIELDS, *DECISION_FIELDS)}
    | {"segments.conversion_months": Field("conversion_months", "Switching months", "int")}
    | {f"segments.{f.name}": f for f in SEGMENT_FIELDS}
    | {f"uncertainty.{f.name}": f for f in UNCERTAINTY_FIELDS}
)

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&^=\"'])")


def escape_md(text: str) -> str:
    """Text safe to put inside Markdown (labels, st.markdown): every markup character escaped,
    so a segment called ``**Pro** :red[x]`` shows exactly that."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def md_amounts(text: str, currency: str) -> str:
    """Formatted amounts (``fmt_money``, ``fmt_delta_money``, a sentence of them) ready for a
    place Streamlit reads as Markdown: a metric's value or delta, an ``st.table`` cell, a
    sentence. The user's own currency text in them is escaped, so a currency such as ``$x$``
    or ``**X**`` shows as typed instead of as a formula or bold; everything else is left as it
    is (a metric's delta colour follows its leading '-'). A known symbol such as '$' needs
    nothing: it always stands before a digit, and a '$' before a digit never closes a formula
    in Streamlit's Markdown, so '$1.2M (-$0.3M)' stays text."""
    symbol = currency_symbol(currency)
    if not symbol.strip() or symbol.strip() != currency.strip():
        return text
    return text.replace(symbol, escape_md(symbol))


_PATH = re.compile(r"^(?:share link: )?(segments\[(\d+)\]\.|uncertainty\.)?(\w+): (.*)$", re.S)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")


def _pct_text(match: re.Match[str]) -> str:
    value = float(match.group(0).replace(",", "")) * 100
    return f"{value:,.6g}%"


def humanize_problem(problem: str) -> tuple[int | None, str]:
    """(segment index or None, message in the editor's words and units) for one problem line.

    ``segments[1].monthly_churn: must be between 0 and 1 (got 1.5)`` becomes
    ``(1, "Monthly plan: churn (% a month): must be between 0% and 100% (got 150%)")``."""
    match = _PATH.match(problem)
    if match is None:
        return None, problem
    in_segment, index, name, message = match.groups()
    scope = "segments." if index is not None else "uncertainty." if in_segment else ""
    field = _LABELS.get(scope + name)
    if field is None:
        return (int(index) if index is not None else None), problem
    if field.kind == "pct":
        message = _NUMBER.sub(_pct_text, message)
    message = re.sub(r"segments\[(\d+)\]", lambda m: f"segment {int(m.group(1)) + 1}", message)
    return (int(index) if index is not None else None), f"{field.label}: {message}"
