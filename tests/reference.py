"""A literal, cohort-by-cohort, month-by-month reading of the model in docs/model.md, in plain
Python: slow, obvious, and independent of the engine (it shares no code with mrrsim's
projection, policy or metrics modules, only the Scenario reader).

Every cohort is followed month by month: its customers, its MRR per customer, and the cohorts
its switchers start. The engine is checked against this on hand-made and random scenarios.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from mrrsim.scenario import Scenario

COLS = (
    "customers",
    "new_customers",
    "churned_customers",
    "switched_customers",
    "mrr",
    "arr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "switched_mrr",
    "cash",
    "revenue",
    "deferred_revenue",
)


@dataclass
class Cohort:
    term: str  # "monthly" | "annual"
    start: int  # acquisition month (<= 0 for the existing base)
    size: float
    price: float  # MRR per customer at start
    churn: float
    expansion: float
    new: bool  # counted as new customers in its start month
    converts: bool = False
    switched: bool = False
    parent: Cohort | None = None
    count: dict[int, float] = field(default_factory=dict)
    per: dict[int, float] = field(default_factory=dict)
    switched_out: dict[int, float] = field(default_factory=dict)  # customers leaving to annual


def _discount(sc: Scenario, seg) -> float:
    return sc.annual_discount if seg.annual_discount is None else seg.annual_discount


def mover_rates(sc: Scenario, seg) -> tuple[float, float]:
    """(renewal churn moved to annual, monthly churn moved to monthly), as the model states."""
    b = sc.billing_effect
    big_c = 1 - (1 - seg.monthly_churn) ** 12
    c_ma = min(max(big_c - b * (big_c - seg.annual_churn), 0.0), 1.0)
    c_am = 1 - (1 - min(max(seg.annual_churn + b * (big_c - seg.annual_churn), 0.0), 1.0)) ** (
        1 / 12
    )
    return c_ma, c_am


def share_at(sc: Scenario, seg, x: float) -> float:
    d = _discount(sc, seg)
    s = seg.annual_share
    if d == 0 or x == d:  # the scenario's own discount moves nobody (s(d) = s, as the model says)
        return s
    s0 = s if seg.annual_share_at_no_discount is None else seg.annual_share_at_no_discount
    return min(max(s0 + (s - s0) * x / d, 0.0), 1.0)


def _segment_cohorts(sc: Scenario, seg, policy: str, d: float) -> tuple[list[Cohort], list[Cohort]]:
    """Every cohort of one segment over the horizon, simulated month by month."""
    h = sc.horizon_months
    p = seg.list_price
    s = seg.annual_share
    c_ma, c_am = mover_rates(sc, seg)
    d_e = d if seg.existing_annual_discount is None else seg.existing_annual_discount
    if policy == "all_monthly":
        groups = [("monthly", 1 - s, seg.monthly_churn), ("monthly", s, c_am)]
    elif policy == "all_annual":
        groups = [("annual", s, seg.annual_churn), ("annual", 1 - s, c_ma)]
    else:
        sx = share_at(sc, seg, d)
        if sx >= s:
            groups = [
                ("monthly", 1 - sx, seg.monthly_churn),
                ("annual", s, seg.annual_churn),
                ("annual", sx - s, c_ma),
            ]
        else:
            groups = [
                ("monthly", 1 - s, seg.monthly_churn),
                ("monthly", s - sx, c_am),
                ("annual", sx, seg.annual_churn),
            ]
    converts = policy != "all_monthly"
    first, last = seg.conversion_months or (1, h)
    u_at = {
        t: (seg.conversion_rate if converts and first <= t <= last else 0.0) for t in range(h + 1)
    }

    monthly = [
        Cohort(
            "monthly",
            0,
            seg.existing_monthly_customers,
            p,
            seg.monthly_churn,
            seg.monthly_expansion,
            new=False,
            converts=True,
        )
    ]
    calendar = seg.existing_annual_renewals or [seg.existing_annual_customers / 12] * 12
    annual = [
        Cohort(
            "annual",
            r - 12,
            calendar[r - 1],
            p * (1 - d_e),
            seg.annual_churn,
            seg.annual_expansion,
            new=False,
        )
        for r in range(1, 13)
    ]
    for c in monthly + annual:
        for t in range(c.start, 1):  # no renewal before month 1
            c.count[t] = c.size
            c.per[t] = c.price
    for t in range(1, h + 1):
        # age the cohorts alive before this month
        born: list[Cohort] = []
        for c in monthly:
            if c.start >= t:
                continue
            survivors = c.count[t - 1] * (1 - c.churn)
            c.per[t] = c.per[t - 1] * (1 + c.expansion)
            out = survivors * u_at[t]
            c.switched_out[t] = out
            c.count[t] = survivors - out
            if out:
                sw = Cohort(
                    "annual",
                    t,
                    out,
                    (1 - d) * c.per[t],
                    c_ma,
                    seg.annual_expansion,
                    new=False,
                    switched=True,
                    parent=c,
                )
                sw.count[t] = out
                sw.per[t] = sw.price
                born.append(sw)
        for c in annual:
            if c.start >= t:
                continue
            if (t - c.start) % 12 == 0:
                c.count[t] = c.count[t - 1] * (1 - c.churn)
                c.per[t] = c.per[t - 1] * (1 + c.expansion)
            else:
                c.count[t] = c.count[t - 1]
                c.per[t] = c.per[t - 1]
        annual += born
        n = seg.new_customers * (1 + seg.acquisition_growth) ** (t - 1)
        for term, share, churn in groups:
            price = p if term == "monthly" else p * (1 - d)
            exp = seg.monthly_expansion if term == "monthly" else seg.annual_expansion
            c = Cohort(term, t, n * share, price, churn, exp, new=True, converts=term == "monthly")
            c.count[t] = c.size
            c.per[t] = c.price
            (monthly if term == "monthly" else annual).append(c)
    return monthly, annual


def _rows_of(t: int, cohorts: list[Cohort], term: str) -> dict:
    row = dict.fromkeys(COLS, 0.0)
    for c in cohorts:
        if c.start > t or t not in c.count:
            continue
        cust, per = c.count[t], c.per[t]
        row["customers"] += cust
        row["mrr"] += cust * per
        if term == "monthly":
            row["cash"] += cust * per
        else:
            if (t - c.start) % 12 == 0:
                row["cash"] += 12 * cust * per
            row["deferred_revenue"] += cust * per * (11 - (t - c.start) % 12)
        if c.start == t:
            if c.switched:
                row["switched_customers"] += cust
                row["switched_mrr"] += cust * per
            else:
                row["new_customers"] += cust
                row["new_mrr"] += cust * per
            continue
        prev_c, prev_p = c.count[t - 1], c.per[t - 1]
        if term == "monthly":
            survivors = prev_c * (1 - c.churn)
            lost = prev_c * c.churn
            out = c.switched_out.get(t, 0.0)
            row["switched_customers"] -= out
            row["switched_mrr"] -= out * per
        else:
            renew = (t - c.start) % 12 == 0
            survivors = prev_c * (1 - c.churn) if renew else prev_c
            lost = prev_c * c.churn if renew else 0.0
        row["churned_customers"] += lost
        row["churned_mrr"] += lost * prev_p
        delta = survivors * (per - prev_p)
        row["expansion_mrr"] += max(delta, 0.0)
        row["contraction_mrr"] += max(-delta, 0.0)
    row["arr"] = 12 * row["mrr"]
    row["revenue"] = row["mrr"]
    return row


def simulate(sc: Scenario, policy: str = "mix", discounts: dict[int, float] | None = None):
    """Per segment: (monthly cohorts, annual cohorts) under a policy and new-contract discounts."""
    discounts = discounts or {}
    return [
        _segment_cohorts(sc, seg, policy, discounts.get(i, _discount(sc, seg)))
        for i, seg in enumerate(sc.segments)
    ]


def reference(
    sc: Scenario, policy: str = "mix", discounts: dict[int, float] | None = None
) -> list[dict]:
    """Rows of the projection table, in the table's order."""
    sims = simulate(sc, policy, discounts)
    rows = []
    for t in range(1, sc.horizon_months + 1):
        for seg, (monthly, annual) in zip(sc.segments, sims, strict=True):
            for term, cohorts in (("monthly", monthly), ("annual", annual)):
                row = _rows_of(t, cohorts, term)
                row.update(month=t, segment=seg.name, term=term)
                rows.append(row)
    return rows


def close(a: float, b: float, rel: float = 1e-9, abs_: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def _retention(sc: Scenario, sims) -> tuple[float | None, float | None]:
    """NRR and GRR over the last 12 months, following switchers onto their annual price."""
    h = sc.horizon_months
    if h < 13:
        return None, None
    then = now = gross = 0.0
    for monthly, annual in sims:
        for c in monthly + annual:
            if c.start > h - 12:
                continue
            c0, p0 = c.count[h - 12], c.per[h - 12]
            then += c0 * p0
            now += c.count[h] * c.per[h]
            gross += c.count[h] * min(p0, c.per[h])
            if c.term == "monthly":
                for child in annual:
                    if child.parent is c and child.start > h - 12:
                        now += child.count[h] * child.per[h]
                        gross += child.count[h] * min(p0, child.per[h])
    if then <= 0:
        return None, None
    return now / then, gross / then


def ltv_monthly(sc: Scenario, p: float, c: float, e: float) -> float:
    delta = (1 + sc.cost_of_capital) ** (-1 / 12)
    return p * sum(((1 - c) * (1 + e) * delta) ** a for a in range(sc.lifetime_months))


def ltv_annual(sc: Scenario, p: float, x: float, c: float, e: float) -> float:
    delta = (1 + sc.cost_of_capital) ** (-1 / 12)
    years = sc.lifetime_months // 12
    return 12 * p * (1 - x) * sum(((1 - c) * (1 + e) * delta**12) ** k for k in range(years))


def value_at(sc: Scenario, seg, x: float) -> float:
    """V(x): the lifetime value of a new customer of the segment when the discount is x."""
    p, s = seg.list_price, seg.annual_share
    c_ma, c_am = mover_rates(sc, seg)
    sx = share_at(sc, seg, x)
    lm = ltv_monthly(sc, p, seg.monthly_churn, seg.monthly_expansion)
    la = ltv_annual(sc, p, x, seg.annual_churn, seg.annual_expansion)
    if sx >= s:
        return (1 - sx) * lm + s * la + (sx - s) * ltv_annual(sc, p, x, c_ma, seg.annual_expansion)
    return (1 - s) * lm + (s - sx) * ltv_monthly(sc, p, c_am, seg.monthly_expansion) + sx * la


def break_even_parts(sc: Scenario, seg) -> tuple[float, float]:
    """(VM, VA(0)): all-monthly and undiscounted all-annual value of a new customer."""
    p, s = seg.list_price, seg.annual_share
    c_ma, c_am = mover_rates(sc, seg)
    vm = (1 - s) * ltv_monthly(sc, p, seg.monthly_churn, seg.monthly_expansion) + s * ltv_monthly(
        sc, p, c_am, seg.monthly_expansion
    )
    va = s * ltv_annual(sc, p, 0, seg.annual_churn, seg.annual_expansion) + (1 - s) * ltv_annual(
        sc, p, 0, c_ma, seg.annual_expansion
    )
    return vm, va


def reference_segments(sc: Scenario) -> list[dict]:
    out = []
    for seg in sc.segments:
        d = _discount(sc, seg)
        vm, va = break_even_parts(sc, seg)
        values = [(value_at(sc, seg, k / 1000), k / 1000) for k in range(601)]
        best = max(v for v, _ in values)
        opt = min(x for v, x in values if v == best)
        out.append(
            {
                "name": seg.name,
                "break_even_discount": 1 - vm / va,
                "optimal_discount": opt,
                "value_at_current": value_at(sc, seg, d),
                "value_at_optimal": best,
                "lifetime_value_monthly": ltv_monthly(
                    sc, seg.list_price, seg.monthly_churn, seg.monthly_expansion
                ),
                "lifetime_value_annual": ltv_annual(
                    sc, seg.list_price, d, seg.annual_churn, seg.annual_expansion
                ),
            }
        )
    return out


def reference_summary(
    sc: Scenario, policy: str = "mix", discounts: dict[int, float] | None = None
) -> dict:
    """The summary metrics, computed cohort by cohort from the literal model."""
    sims = simulate(sc, policy, discounts)
    h = sc.horizon_months
    rows = reference(sc, policy, discounts)
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
    out["nrr_12"], out["grr_12"] = _retention(sc, sims)
    delta = (1 + sc.cost_of_capital) ** (-1 / 12)
    num = den = 0.0
    for seg in sc.segments:
        w = sum(
            seg.new_customers * (1 + seg.acquisition_growth) ** (t - 1) * delta ** (t - 1)
            for t in range(1, h + 1)
        )
        vm, va = break_even_parts(sc, seg)
        num += w * vm
        den += w * va
    out["break_even_discount"] = 1 - num / den if den > 0 else None
    out["segments"] = reference_segments(sc)
    return out
