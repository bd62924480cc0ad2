"""One vocabulary: the name people read for every column of the engine's tables (projection,
plans by month, renewal calendar, decision table), used by the screen's tables, the Excel
headers and the Methodology page, so a figure is called the same everywhere. Headline figures
(MRR, cash collected, NRR, ...) are named in ``mrrsim.headlines``. Pure (no Streamlit)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import polars as pl

__all__ = ["TERMS", "Term", "column_label", "for_screen", "human_columns"]

# How a column's values are formatted: money, an (expected, so fractional) customer count, a
# fraction shown as a percentage, a plain number, a month index, or text.
TermKind = Literal["money", "count", "pct", "number", "month", "text"]


@dataclass(frozen=True)
class Term:
    """One column: its code name, the label people read, and how its values are formatted."""

    key: str
    label: str
    kind: TermKind


TERMS: dict[str, Term] = {
    t.key: t
    for t in (
        Term("month", "Month", "month"),
        Term("plan", "Plan", "text"),
        Term("segment", "Segment", "text"),
        Term("term", "Billing term", "text"),
        Term("customers", "Customers at month end", "count"),
        Term("new_customers", "New customers", "count"),
        Term("churned_customers", "Customers lost", "count"),
        Term("switched_customers", "Customers switching", "count"),
        Term("mrr", "MRR", "money"),
        Term("arr", "ARR", "money"),
        Term("new_mrr", "New MRR", "money"),
        Term("expansion_mrr", "Expansion MRR", "money"),
        Term("contraction_mrr", "Contraction MRR", "money"),
        Term("churned_mrr", "Churned MRR", "money"),
        Term("switched_mrr", "Switched MRR", "money"),
        Term("net_new_mrr", "Net new MRR", "money"),
        Term("quick_ratio", "Quick ratio", "number"),
        Term("cash", "Cash collected", "money"),
        Term("revenue", "Revenue recognised", "money"),
        Term("deferred_revenue", "Deferred revenue, month end", "money"),
        Term("cumulative_cash", "Cash collected to date", "money"),
        Term("cumulative_revenue", "Revenue recognised to date", "money"),
        Term("renewing_customers", "Customers up for renewal", "count"),
        Term("renewing_mrr", "MRR up for renewal", "money"),
        Term("expected_lost_customers", "Customers expected lost", "count"),
        Term("expected_lost_mrr", "MRR expected lost", "money"),
        Term("discount_now", "Discount now", "pct"),
        Term("break_even_discount", "Break-even discount", "pct"),
        Term("optimal_discount", "Best discount", "pct"),
        Term("value_at_current", "Value per new customer now", "money"),
        Term("value_at_optimal", "Value per new customer at the best discount", "money"),
        Term("gain", "Gain per new customer at the best discount", "money"),
        Term("verdict", "Answer", "text"),
        Term("explanation", "Why", "text"),
    )
}


def column_label(key: str) -> str:
    """The label of a column (its code name when the glossary does not know it)."""
    term = TERMS.get(key)
    return key if term is None else term.label


def human_columns(columns: Iterable[str]) -> dict[str, str]:
    """{code name: label} for the columns of a table, to rename it for people."""
    return {c: column_label(c) for c in columns}


def for_screen(frame: pl.DataFrame) -> pl.DataFrame:
    """A table as people read it on screen: expected customer counts rounded to whole
    customers (no '1830.0'); every other column unchanged. Downloads and the CLI keep full
    precision."""
    counts = [c for c in frame.columns if c in TERMS and TERMS[c].kind == "count"]
    return frame.with_columns(pl.col(c).round(0).cast(pl.Int64).alias(c) for c in counts)
