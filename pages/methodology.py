"""Methodology: every definition and formula behind the numbers (SPEC sections 3 to 8) in plain
words and in maths, and a worked example computed live from the current scenario that matches
the projection table, so a CFO can audit the model."""

from __future__ import annotations

import polars as pl
import streamlit as st

from mrrsim import ui
from mrrsim.cohorts import first_month_example
from mrrsim.formatting import currency_symbol
from mrrsim.scenario import Scenario

# (projection column, label, formula in words and symbols, kind) for the worked example.
MONTHLY_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("new_customers", "New customers", "n₁·(1−s)", "count"),
    ("churned_customers", "Customers lost", "E·c", "count"),
    ("customers", "Customers at month end", "E·(1−c) + n₁·(1−s)", "count"),
    ("new_mrr", "New MRR", "n₁·(1−s)·p", "money"),
    ("expansion_mrr", "Expansion MRR", "E·(1−c)·p·e, if e > 0", "money"),
    ("contraction_mrr", "Contraction MRR", "E·(1−c)·p·|e|, if e < 0", "money"),
    ("churned_mrr", "Churned MRR", "E·c·p", "money"),
    ("mrr", "MRR", "E·(1−c)·p·(1+e) + n₁·(1−s)·p", "money"),
    ("cash", "Cash collected", "= MRR (billed monthly)", "money"),
    ("revenue", "Revenue recognised", "= MRR", "money"),
    ("deferred_revenue", "Deferred revenue, month end", "0 (nothing prepaid)", "money"),
)
ANNUAL_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("new_customers", "New customers", "n₁·s", "count"),
    ("churned_customers", "Customers lost at renewal", "(A/12)·c_a", "count"),
    ("customers", "Customers at month end", "A − (A/12)·c_a + n₁·s", "count"),
    ("new_mrr", "New MRR", "n₁·s·p(1−d)", "money"),
    ("expansion_mrr", "Expansion MRR", "(A/12)·(1−c_a)·p(1−d)·e_a, if e_a > 0", "money"),
    ("contraction_mrr", "Contraction MRR", "(A/12)·(1−c_a)·p(1−d)·|e_a|, if e_a < 0", "money"),
    ("churned_mrr", "Churned MRR", "(A/12)·c_a·p(1−d)", "money"),
    (
        "mrr",
        "MRR",
        "(11A/12)·p(1−d) + (A/12)(1−c_a)·p(1−d)(1+e_a) + n₁·s·p(1−d)",
        "money",
    ),
    ("cash", "Cash collected", "12 × [(A/12)(1−c_a)·p(1−d)(1+e_a) + n₁·s·p(1−d)]", "money"),
    ("revenue", "Revenue recognised", "= MRR", "money"),
    ("deferred_revenue", "Deferred revenue, month end", "D₀ + cash − revenue", "money"),
)


def _amount(value: float, kind: str, currency: str) -> str:
    """Full precision for auditing: money to the cent, customers to two decimals."""
    if kind == "money":
        sign = "−" if value < 0 else ""
        return f"{sign}{currency_symbol(currency)}{abs(value):,.2f}"
    return f"{value:,.2f}"


def worked_table(
    scenario: Scenario, segment: int, term: str, projection: pl.DataFrame
) -> pl.DataFrame:
    """By-hand month-1 figures of one segment and term beside the projection table's."""
    example = first_month_example(scenario, segment)[term]
    name = scenario.segments[segment].name
    row = projection.filter(
        (pl.col("month") == 1) & (pl.col("segment") == name) & (pl.col("term") == term)
    ).row(0, named=True)
    out = []
    for col, label, formula, kind in MONTHLY_ROWS if term == "monthly" else ANNUAL_ROWS:
        mine, engine = example[col], row[col]
        same = abs(mine - engine) <= 1e-9 * max(1.0, abs(engine))
        out.append(
            {
                "Quantity": label,
                "Formula": formula,
                "By hand": _amount(mine, kind, scenario.currency),
                "Projection table": _amount(engine, kind, scenario.currency),
                "Match": "✓" if same else "✗",
            }
        )
    return pl.DataFrame(out)


def _show_worked(table: pl.DataFrame) -> None:
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=35 * (table.height + 1) + 3,
        column_config={
            "Quantity": st.column_config.TextColumn(width=200),
            "Formula": st.column_config.TextColumn(width=420),
            "Match": st.column_config.TextColumn(width=60),
        },
    )


def worked_example(scenario: Scenario) -> None:
    """Month 1 of one segment, computed from the formulas and checked against ``project()``."""
    st.header("Worked example: month 1 of your scenario", anchor="worked-example")
    names = [seg.name for seg in scenario.segments]
    segment = st.selectbox(
        "Segment",
        list(range(len(names))),
        format_func=lambda i: names[i],
        key="method.segment",
    )
    segment = segment if segment is not None and segment < len(names) else 0
    example = first_month_example(scenario, segment)
    x = example["inputs"]
    cur = scenario.currency

    def money(value: float) -> str:
        return _amount(value, "money", cur)

    st.markdown(
        "The inputs of this segment, in the symbols used above:\n\n"
        f"- list price p = {ui.escape_md(money(x['list_price']))} a month; annual discount "
        f"d = {ui.fmt_pct(x['discount'], 2)}, so the annual plan's MRR per customer is "
        f"p(1−d) = {ui.escape_md(money(x['annual_price']))}\n"
        f"- new customers in month 1 n₁ = {x['new_customers']:,.2f}, of which a share "
        f"s = {ui.fmt_pct(x['annual_share'], 2)} choose annual\n"
        f"- monthly churn c = {ui.fmt_pct(x['monthly_churn'], 2)}, monthly expansion "
        f"e = {ui.fmt_pct(x['monthly_expansion'], 2)}; annual non-renewal "
        f"c_a = {ui.fmt_pct(x['annual_churn'], 2)}, price change at renewal "
        f"e_a = {ui.fmt_pct(x['annual_expansion'], 2)}\n"
        f"- existing monthly customers E = {x['existing_monthly']:,.2f}; existing annual "
        f"customers A = {x['existing_annual']:,.2f}, of whom A/12 = "
        f"{x['renewing_base']:,.2f} renew in month 1"
    )
    projection = ui.project_cached(scenario)
    st.subheader("Monthly plan, month 1")
    _show_worked(worked_table(scenario, segment, "monthly", projection))
    st.subheader("Annual plan, month 1")
    opening = example["annual"]["opening_deferred"]
    st.markdown(
        "Opening deferred revenue of the existing annual base (month 0): "
        f"D₀ = Σᵣ (A/12)·(r−1)·p(1−d) = 66 · (A/12) · p(1−d) = "
        f"**{ui.escape_md(money(opening))}**"
    )
    _show_worked(worked_table(scenario, segment, "annual", projection))
    st.caption(
        "‘By hand’ applies the formulas on this page to the inputs above; ‘Projection table’ "
        "is the same row of the projection (Planner → Data & downloads, or "
        "`python -m mrrsim project`). ✓ means they agree to within rounding (1 part in 10⁹)."
    )


def notation() -> None:
    st.header("Notation and units", anchor="notation")
    st.markdown(
        """
Months are numbered **t = 1 … H** (H = the horizon); **month 0** is the existing base. All
counts are *expected values*, so fractions of customers are normal. Every rate is per segment:

| Symbol | Input (sidebar) | Unit |
|---|---|---|
| p | List price per month (month-to-month plan) | currency a month |
| d | Annual discount (the segment's own, else the scenario's) | share of 12·p |
| n₁, g | New customers in month 1, their monthly growth | customers, % a month |
| s | New customers choosing annual | share |
| c, e | Monthly plan: churn, expansion | % a month |
| c_a, e_a | Annual plan: non-renewal, price change at renewal | % per renewal |
| E, A | Existing monthly and annual customers (month 0) | customers |
| r | Cost of capital | % a year |
"""
    )


def cohorts_section() -> None:
    st.header("Cohorts: the building block", anchor="cohorts")
    st.markdown(
        "Every number comes from **cohorts**: the customers acquired in one month, on one "
        "billing plan, in one segment. New customers each month grow at a steady rate and split "
        "between the plans:"
    )
    st.latex(
        r"n(t) = n_1\,(1+g)^{t-1},\qquad \text{monthly: } n(t)(1-s),\quad "
        r"\text{annual: } n(t)\,s"
    )
    st.markdown(
        "**Monthly plan.** A cohort of N customers acquired in month a loses a share c every "
        "month and each retained customer's MRR changes by e every month:"
    )
    st.latex(
        r"\text{customers}(t) = N\,(1-c)^{t-a},\qquad "
        r"\text{MRR per customer}(t) = p\,(1+e)^{t-a}"
    )
    st.markdown(
        "**Annual plan.** An annual customer pays p(1−d) per month of service, billed as "
        "12·p(1−d) up front. The cohort can only leave at a renewal (months a+12, a+24, …); "
        "with k = ⌊(t−a)/12⌋ renewals passed:"
    )
    st.latex(
        r"\text{customers}(t) = N\,(1-c_a)^{k},\qquad "
        r"\text{MRR per customer}(t) = p\,(1-d)\,(1+e_a)^{k}"
    )
    st.markdown(
        "**Existing base.** The existing monthly customers E form one cohort acquired in month "
        "0. The existing annual customers A are spread evenly over the year: A/12 of them "
        "first renew in each of months 1 to 12, then every 12 months. Until their first renewal "
        "they pay nothing inside the horizon (they paid before month 1), but they count as "
        "customers and MRR and their revenue is recognised."
    )
    st.markdown(
        "The projection table (one row per month, segment and plan) adds up all cohorts. The "
        "Cohorts page shows the cohorts one by one; there the existing base is left out because "
        "it has no acquisition month inside the horizon."
    )


def mrr_section() -> None:
    st.header("MRR, ARR and where MRR moves", anchor="mrr")
    st.markdown(
        "**MRR** (monthly recurring revenue) in month t is the sum over active customers of "
        "their MRR per customer; an annual customer counts at p(1−d)(1+e_a)ᵏ, one twelfth of "
        "what they prepaid. **ARR** is 12 × MRR (a run rate, not a forecast of the next 12 "
        "months). Each month's change in MRR is split into four movements, all reported as "
        "positive amounts:"
    )
    st.markdown(
        "- **New MRR**: the MRR of the cohort acquired this month.\n"
        "- **Expansion MRR** / **Contraction MRR**: the change in MRR of customers who stayed, "
        "since last month, added up per cohort; increases are expansion, decreases contraction. "
        "On the monthly plan this happens every month (rate e); on the annual plan only at a "
        "renewal (rate e_a).\n"
        "- **Churned MRR**: what the customers lost this month paid last month. Monthly "
        "customers leave any month; annual customers only at a renewal."
    )
    st.latex(
        r"\text{MRR}_t = \text{MRR}_{t-1} + \text{new}_t + \text{expansion}_t "
        r"- \text{contraction}_t - \text{churned}_t"
    )
    st.latex(
        r"\text{customers}_t = \text{customers}_{t-1} + \text{new customers}_t "
        r"- \text{churned customers}_t"
    )
    st.markdown(
        "These identities hold on every row of the projection table (month 0 = the existing "
        "base), and the engine's tests check them."
    )
    st.markdown(
        "**Quick ratio** (as ChartMogul and Baremetrics define it): above 1 MRR grows, 4 or "
        "more is usually called efficient growth; undefined in a month with no losses."
    )
    st.latex(
        r"\text{quick ratio}_t = \frac{\text{new}_t + \text{expansion}_t}"
        r"{\text{contraction}_t + \text{churned}_t}"
    )


def cash_section() -> None:
    st.header("Cash, revenue recognition and deferred revenue", anchor="cash")
    st.markdown(
        "**Cash collected.** A monthly customer pays its MRR every month (cash = MRR). An annual "
        "customer pays 12 × its MRR in its acquisition month and at each renewal, nothing in "
        "between:"
    )
    st.latex(
        r"\text{cash}(t) = 12 \cdot \text{customers}(t) \cdot p\,(1-d)\,(1+e_a)^{k}"
        r"\quad \text{when } (t-a) \text{ is a multiple of 12, else } 0"
    )
    st.markdown(
        "**Revenue** is recognised ratably, one month of service at a time, so revenue = MRR "
        "in every month, whatever the billing. **Deferred revenue** is cash collected for "
        "service not yet delivered: a liability on the balance sheet (and cash you already "
        "hold). It is zero for monthly customers; for annual customers it is the prepaid months "
        "still to come. At each month end:"
    )
    st.latex(r"D_t = D_{t-1} + \text{cash}_t - \text{revenue}_t")
    st.markdown(
        "The existing annual base starts with the service it prepaid and has not yet "
        "received: the A/12 customers who renew in month r have r−1 months left at month 0:"
    )
    st.latex(
        r"D_0 = \sum_{r=1}^{12} \frac{A}{12}\,(r-1)\,p\,(1-d) = 66 \cdot \frac{A}{12}"
        r"\cdot p\,(1-d) = 5.5\,A\,p\,(1-d)"
    )
    st.markdown("**Cumulative cash** and **cumulative revenue** are the sums over months 1 to H.")


def summary_section() -> None:
    st.header("Headline figures", anchor="summary")
    st.markdown(
        "**Ending MRR, ARR and customers** are those of month H, all segments and plans. "
        "**NPV of cash** discounts each month's cash to month 1 at the annual cost of capital "
        "r (month 1 is not discounted):"
    )
    st.latex(r"\text{NPV} = \sum_{t=1}^{H} \text{cash}_t\,(1+r)^{-(t-1)/12}")
    st.markdown(
        "**NRR and GRR (12 months).** Take every customer active in month H−12 (all cohorts "
        "acquired up to then, existing base included). NRR is their MRR in month H over their "
        "MRR in month H−12: churn, contraction and expansion all count. GRR is the same but "
        "each surviving customer counts at most at its MRR of month H−12, so expansion cannot "
        "lift it above 100%. Both are undefined when H < 13 or when there was no MRR in month "
        "H−12."
    )
    st.latex(
        r"\text{NRR} = \frac{\sum_{i \in B} \text{MRR}_i(H)}{\sum_{i \in B} "
        r"\text{MRR}_i(H-12)},\qquad \text{GRR} = \frac{\sum_{i \in B} "
        r"\min(\text{MRR}_i(H), \text{MRR}_i(H-12))}{\sum_{i \in B} \text{MRR}_i(H-12)}"
    )
    st.markdown(
        "Over any 12 months a monthly customer survives 12 monthly churn events and its price "
        "moves by (1+e)¹²; an annual customer passes exactly one renewal, so its MRR is kept "
        "at (1−c_a)(1+e_a)."
    )
    st.markdown(
        "**Break-even annual discount (NPV of cash).** For new customers only (the existing "
        "base is left out), the one discount applied to every segment at which billing "
        "everyone annually and billing everyone monthly collect the same NPV of cash. The "
        "annual plan's cash scales with (1−d), so it follows from two projections:"
    )
    st.latex(
        r"d^{*} = 1 - \frac{\text{NPV}(\text{all monthly})}{\text{NPV}(\text{all annual "
        r"at } d = 0)}"
    )
    st.markdown(
        "Offer less than d* and annual billing is worth more to you; offer more and the "
        "discount gives away more than the prepayment and lower churn bring back. d* can be "
        "negative: annual would then need a premium to match monthly. It is undefined when "
        "no new customers are acquired. **Break-even on revenue** is the same with cumulative "
        "recognised revenue (not discounted) in place of the NPV of cash."
    )
    st.markdown(
        "**All-monthly and all-annual.** Every comparison with ‘all monthly’ or ‘all annual’ is "
        "the same scenario with the share choosing annual set to 0% or 100% in every segment; "
        "the existing base is the same in all three."
    )


def montecarlo_section() -> None:
    st.header("Predictability: the Monte Carlo simulation", anchor="monte-carlo")
    st.markdown(
        "The projection above is one line of expected values. To show how wide the outcomes "
        "can be, each simulated path draws, once, a **churn multiplier** and an **acquisition "
        "multiplier** from a log-normal distribution with mean 1 and the coefficient of "
        "variation (CV) you set under *Uncertainty* (exactly 1 when the CV is 0):"
    )
    st.latex(
        r"M = e^{\mu + \sigma Z},\quad \sigma^2 = \ln(1+\text{CV}^2),\quad "
        r"\mu = -\sigma^2/2,\quad Z \sim N(0,1)"
    )
    st.markdown(
        "Churn rates are multiplied by the churn multiplier and capped at 100%. Then, month by "
        "month, whole customers are drawn: new customers ~ Poisson(n(t) · multiplier), each "
        "choosing annual with probability s; monthly survivors ~ Binomial(count, 1−c) per "
        "cohort; annual survivors at a renewal ~ Binomial(count, 1−c_a); in the switching "
        "months, switchers ~ Binomial(survivors, u), who start an annual contract at (1−d) times "
        "their monthly MRR. Customers moved by all-monthly or all-annual keep their own churn "
        "as in the projection. Existing customers are rounded to whole customers and the annual "
        "base keeps its renewal calendar (rounded by largest remainders) and its signed price. "
        "Large counts are drawn with the normal approximation (a Binomial or Poisson with a "
        "variance of 50 or more, as a rounded normal), small ones exactly."
    )
    st.markdown(
        "The Predictability page shows, per month, the mean and the **P10, median and P90** "
        "over paths: one path in ten ends below P10, one in ten above P90. The same seed gives "
        "the same numbers, and the three plans share each path's shocks, so their ranges "
        "compare like for like. With no uncertainty the average over many paths converges to "
        "the projection."
    )
    st.markdown(
        "**How soon a churn problem shows.** A churn dashboard watches, each month t, the "
        "monthly customers active at the end of month t−1 and the annual customers whose "
        "renewal falls in month t + n (n = the months of notice they give), and counts those "
        "lost. Over the last 3 months it compares the losses O with those expected at your "
        "rates, E = Σ exposure · rate, and alerts when the gap is too large to be chance:"
    )
    st.latex(
        r"z = \frac{O - E}{\sqrt{V}} \ge 2.326,\qquad V = \sum \text{exposure}\cdot"
        r"\text{rate}\cdot(1-\text{rate})"
    )
    st.markdown(
        "(a one-sided test that alerts in about 1% of months when nothing changed). Churn is "
        "then multiplied by k from month m on, and the same futures are simulated (without "
        "parameter uncertainty) for your mix, all-monthly and all-annual: the chart shows the "
        "share of futures that have alerted by each month since the rise, and the false-alert "
        "rate is measured on the same futures without the rise."
    )


def sensitivity_section() -> None:
    st.header("Sensitivity", anchor="sensitivity")
    st.markdown(
        "**Tornado.** Each input is moved down and up by the same relative amount (20% by "
        "default: a churn of 4% becomes 3.2% and 4.8%), one at a time, everything else "
        "unchanged, and the change in ending ARR or NPV of cash is drawn as a bar. Inputs at 0 "
        "have no relative move and get no bar; moved values stay within the valid ranges (a "
        "share of 100% cannot rise), so a bar can be one-sided. With several segments each "
        "input is moved per segment and for all segments at once. The longest bars are the "
        "inputs that matter most."
    )
    st.latex(r"\text{low} = v - \delta\,|v|,\qquad \text{high} = v + \delta\,|v|")
    st.markdown(
        "**Discount × share grid.** Every cell applies one annual discount and one share "
        "choosing annual to every segment and shows the NPV of cash against all-monthly at "
        "that discount. That difference is exactly linear in the discount (below, "
        "NPV₁ is all-annual at no discount and NPV₀ all-monthly, new customers only), so it "
        "crosses zero at the break-even discount d* for every share s:"
    )
    st.latex(r"\Delta\text{NPV}(d, s) = s\,\big((1-d)\,\text{NPV}_1 - \text{NPV}_0\big)")


def share_section() -> None:
    st.header("Share links", anchor="share-links")
    st.markdown(
        "A share link carries the whole scenario inside it (nothing is stored on a server), so "
        "any copy of the app opens it and shows exactly the same inputs and numbers. The link "
        "holds every input in a fixed order, compressed, with a version number (v1) and a "
        "checksum that catches a link damaged in copying. A damaged, truncated, tampered or "
        "oversized link is refused with a message and the app falls back to the default "
        "scenario. The checksum is not a signature: an opened link is validated like any other "
        "input. Links stay under 2,000 characters for up to 5 segments; a very long "
        "description may be shortened in the link (the numbers stay exact)."
    )


def main() -> None:
    scenario = ui.current_scenario()
    ui.page_header(
        "Methodology",
        scenario,
        "How every number in mrrsim is calculated, in plain words and in formulas, with a "
        "worked example from the scenario above that you can check against the projection.",
    )
    st.markdown(
        "**Contents:** [Notation](#notation) · [Cohorts](#cohorts) · [MRR and ARR](#mrr) · "
        "[Cash and deferred revenue](#cash) · [Headline figures](#summary) · "
        "[Monte Carlo](#monte-carlo) · [Sensitivity](#sensitivity) · "
        "[Share links](#share-links) · [Worked example](#worked-example)"
    )
    notation()
    cohorts_section()
    mrr_section()
    cash_section()
    summary_section()
    montecarlo_section()
    sensitivity_section()
    share_section()
    worked_example(scenario)


if __name__ == "__main__":
    main()
