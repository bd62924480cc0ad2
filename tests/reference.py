"""A literal, per-cohort reading of SPEC section 3 in plain Python: slow, obvious, independent.

The engine is checked against this on hand-made and random scenarios.
"""

from __future__ import annotations

import math

from mrrsim.projection import FLOAT_COLUMNS
from mrrsim.scenario import Scenario

COLS = FLOAT_COLUMNS  # the column names are the contract; everything else is recomputed


def _cohorts(sc: Scenario, seg, term: str) -> list[tuple[int, float]]:
    """(acquisition month, size) of every cohort of one segment and term; month <= 0 is the base."""
    h = sc.horizon_months
    share = seg.annual_share if term == "annual" else 1 - seg.annual_share
    out = []
    if term == "monthly":
        out.append((0, seg.existing_monthly_customers))
    else:
        out += [(r - 12, seg.existing_annual_customers / 12) for r in range(1, 13)]
    for a in range(1, h + 1):
        out.append((a, seg.new_customers * (1 + seg.acquisition_growth) ** (a - 1) * share))
    return out


def _state(
    sc: Scenario, seg, term: str, a: int, n: float, t: int
) -> tuple[float, float, float, float]:
    """(customers, mrr per customer, cash, prepaid months left after t) of a cohort in month t."""
    p = seg.list_price
    if term == "monthly":
        age = t - a
        return n * (1 - seg.monthly_churn) ** age, p * (1 + seg.monthly_expansion) ** age, None, 0
    d = sc.discount_for(seg)
    k = (t - a) // 12
    cust = n * (1 - seg.annual_churn) ** k
    per = p * (1 - d) * (1 + seg.annual_expansion) ** k
    cash = 12 * cust * per if (t - a) % 12 == 0 and t >= 1 else 0.0
    return cust, per, cash, 11 - (t - a) % 12


def reference(sc: Scenario) -> list[dict]:
    """Rows of the projection table, in the SPEC's order."""
    rows = []
    for t in range(1, sc.horizon_months + 1):
        for seg in sc.segments:
            for term in ("monthly", "annual"):
                row = dict.fromkeys(COLS, 0.0)
                row.update(month=t, segment=seg.name, term=term)
                for a, n in _cohorts(sc, seg, term):
                    if a > t:
                        continue
                    cust, per, cash, left = _state(sc, seg, term, a, n, t)
                    row["customers"] += cust
                    row["mrr"] += cust * per
                    row["cash"] += cust * per if term == "monthly" else cash
                    row["deferred_revenue"] += cust * per * left
                    if a == t:
                        row["new_customers"] += n
                        row["new_mrr"] += n * per
                        continue
                    pc, pp, _, _ = _state(sc, seg, term, a, n, t - 1)
                    row["churned_customers"] += pc - cust
                    row["churned_mrr"] += (pc - cust) * pp
                    delta = cust * (per - pp)
                    row["expansion_mrr"] += max(delta, 0.0)
                    row["contraction_mrr"] += max(-delta, 0.0)
                row["arr"] = 12 * row["mrr"]
                row["revenue"] = row["mrr"]
                rows.append(row)
    return rows


def close(a: float, b: float, rel: float = 1e-9, abs_: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def reference_summary(sc: Scenario) -> dict:
    """SPEC section 5, computed cohort by cohort from the literal model."""
    rows = reference(sc)
    h = sc.horizon_months
    last = [r for r in rows if r["month"] == h]
    out = {
        "ending_mrr": sum(r["mrr"] for r in last),
        "ending_arr": 12 * sum(r["mrr"] for r in last),
        "ending_customers": sum(r["customers"] for r in last),
        "cumulative_cash": sum(r["cash"] for r in rows),
        "cumulative_revenue": sum(r["revenue"] for r in rows),
        "npv_cash": sum(
            r["cash"] * (1 + sc.cost_of_capital) ** (-(r["month"] - 1) / 12) for r in rows
        ),
    }
    then = now = gross = 0.0
    if h >= 13:
        for seg in sc.segments:
            for term in ("monthly", "annual"):
                for a, n in _cohorts(sc, seg, term):
                    if a > h - 12:
                        continue
                    c0, p0, _, _ = _state(sc, seg, term, a, n, h - 12)
                    c1, p1, _, _ = _state(sc, seg, term, a, n, h)
                    then += c0 * p0
                    now += c1 * p1
                    gross += c1 * min(p0, p1)
    out["nrr_12"] = now / then if then > 0 else None
    out["grr_12"] = gross / then if then > 0 else None
    if any(seg.new_customers > 0 for seg in sc.segments):
        new_only = sc.with_segments(existing_monthly_customers=0, existing_annual_customers=0)
        monthly = reference_summary_basic(new_only.with_segments(annual_share=0.0))
        annual = reference_summary_basic(
            new_only.with_segments(annual_share=1.0, annual_discount=0.0)
        )
        out["break_even_discount"] = 1 - monthly["npv_cash"] / annual["npv_cash"]
        out["break_even_discount_revenue"] = (
            1 - monthly["cumulative_revenue"] / annual["cumulative_revenue"]
        )
    else:
        out["break_even_discount"] = out["break_even_discount_revenue"] = None
    return out


def reference_summary_basic(sc: Scenario) -> dict:
    rows = reference(sc)
    return {
        "npv_cash": sum(
            r["cash"] * (1 + sc.cost_of_capital) ** (-(r["month"] - 1) / 12) for r in rows
        ),
        "cumulative_revenue": sum(r["revenue"] for r in rows),
    }
