"""Methodology: every definition and formula behind the numbers (docs/model.md, section by
section) in plain words and in maths, and a worked example computed live from the current
scenario that matches the projection table, so a CFO can audit the model."""

from __future__ import annotations

import polars as pl
import streamlit as st

from mrrsim import ui
from mrrsim.cohorts import first_month_example
from mrrsim.formatting import MINUS, currency_symbol
from mrrsim.glossary import column_label
from mrrsim.scenario import Scenario

# (projection column, what to add to its glossary label, formula, kind) for the worked example.
MONTHLY_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("new_customers", "", "n₁·(1−s)", "count"),
    ("churned_customers", "", "E·c", "count"),
    ("switched_customers", " to annual", "−E·(1−c)·u", "count"),
    ("customers", "", "E·(1−c)·(1−u) + n₁·(1−s)", "count"),
    ("new_mrr", "", "n₁·(1−s)·p", "money"),
    ("expansion_mrr", "", "E·(1−c)·p·e, if e > 0", "money"),
    ("contraction_mrr", "", "E·(1−c)·p·|e|, if e < 0", "money"),
    ("churned_mrr", "", "E·c·p", "money"),
    ("switched_mrr", " (leaves monthly)", "−E·(1−c)·u·p(1+e)", "money"),
    ("mrr", "", "E·(1−c)·(1−u)·p(1+e) + n₁·(1−s)·p", "money"),
    ("cash", "", "= MRR (billed monthly)", "money"),
    ("revenue", "", "= MRR", "money"),
    ("deferred_revenue", "", "0 (nothing prepaid)", "money"),
)
ANNUAL_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("new_customers", "", "n₁·s", "count"),
    ("churned_customers", " at renewal", "R₁·c_a", "count"),
    ("switched_customers", " from monthly", "U = E·(1−c)·u", "count"),
    ("customers", "", "A − R₁·c_a + n₁·s + U", "count"),
    ("new_mrr", "", "n₁·s·p(1−d)", "money"),
    ("expansion_mrr", "", "R₁·(1−c_a)·p(1−dₑ)·e_a, if e_a > 0", "money"),
    ("contraction_mrr", "", "R₁·(1−c_a)·p(1−dₑ)·|e_a|, if e_a < 0", "money"),
    ("churned_mrr", "", "R₁·c_a·p(1−dₑ)", "money"),
    ("switched_mrr", " (arrives on annual)", "U·(1−d)·p(1+e)", "money"),
    (
        "mrr",
        "",
        "(A−R₁)·p(1−dₑ) + R₁(1−c_a)·p(1−dₑ)(1+e_a) + n₁·s·p(1−d) + U·(1−d)·p(1+e)",
        "money",
    ),
    (
        "cash",
        "",
        "12 × [R₁(1−c_a)·p(1−dₑ)(1+e_a) + n₁·s·p(1−d) + U·(1−d)·p(1+e)]",
        "money",
    ),
    ("revenue", "", "= MRR", "money"),
    ("deferred_revenue", "", "D₀ + cash − revenue", "money"),
)

WORKED_COLUMNS = ("Quantity = formula", "By hand", "Projection table")


def _amount(value: float, kind: str, currency: str) -> str:
    """Full precision for auditing: money to the cent, customers to two decimals (a negative
    zero shows as 0.00)."""
    sign = MINUS if value < 0 else ""
    unit = currency_symbol(currency) if kind == "money" else ""
    return f"{sign}{unit}{abs(value):,.2f}"


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
    for col, qualifier, formula, kind in MONTHLY_ROWS if term == "monthly" else ANNUAL_ROWS:
        mine, engine = example[col], row[col]
        same = abs(mine - engine) <= 1e-9 * max(1.0, abs(engine))
        out.append(
            {
                "Quantity": column_label(col) + qualifier,
                "Formula": formula,
                "By hand": _amount(mine, kind, scenario.currency),
                "Projection table": _amount(engine, kind, scenario.currency),
                "Match": "✓" if same else "✗",
            }
        )
    return pl.DataFrame(out)


def _show_worked(table: pl.DataFrame, currency: str) -> None:
    """``worked_table`` in three columns that fit a phone (five ran off a 390 px screen): each
    quantity written as its formula, the figure by hand, and the projection table's figure
    with ✓ or ✗. A static table that wraps its text; its cells are Markdown, so the labels,
    the formulas (``c_a`` would turn italic) and the currency's own text are escaped."""
    symbol = currency_symbol(currency)
    rows = [
        (
            f"**{ui.escape_md(r['Quantity'])}** = {ui.escape_md(r['Formula'].removeprefix('= '))}",
            r["By hand"],
            f"{r['Projection table']}\u00a0{r['Match']}",  # kept together
        )
        for r in table.iter_rows(named=True)
    ]
    shown = pl.DataFrame(rows, schema=list(WORKED_COLUMNS), orient="row").with_columns(
        pl.exclude(WORKED_COLUMNS[0]).str.replace_all(
            symbol, ui.md_amounts(symbol, currency), literal=True
        )
    )
    st.table(shown, hide_index=True, width="content")


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
        f"- list price p = {ui.escape_md(money(x['list_price']))} a month; discount for new "
        f"annual contracts d = {ui.fmt_pct(x['discount'], 2)}, so a new annual contract's MRR is "
        f"p(1−d) = {ui.escape_md(money(x['annual_price']))}; contracts already signed keep "
        f"dₑ = {ui.fmt_pct(x['signed_discount'], 2)}, MRR p(1−dₑ) = "
        f"{ui.escape_md(money(x['signed_price']))}\n"
        f"- new customers in month 1 n₁ = {x['new_customers']:,.2f}, of which a share "
        f"s = {ui.fmt_pct(x['annual_share'], 2)} choose annual\n"
        f"- monthly churn c = {ui.fmt_pct(x['monthly_churn'], 2)}, monthly expansion "
        f"e = {ui.fmt_pct(x['monthly_expansion'], 2)}; annual non-renewal "
        f"c_a = {ui.fmt_pct(x['annual_churn'], 2)}, price change at renewal "
        f"e_a = {ui.fmt_pct(x['annual_expansion'], 2)}\n"
        f"- existing monthly customers E = {x['existing_monthly']:,.2f}; existing annual "
        f"customers A = {x['existing_annual']:,.2f}, of whom R₁ = "
        f"{x['renewing_base']:,.2f} renew in month 1\n"
        f"- share of monthly customers switching to annual in month 1 "
        f"u = {ui.fmt_pct(x['conversion_rate'], 2)} (the new customers of month 1 are too "
        "young to switch)"
    )
    projection = ui.project_cached(scenario)
    st.subheader("Monthly plan, month 1")
    _show_worked(worked_table(scenario, segment, "monthly", projection), cur)
    st.subheader("Annual plan, month 1")
    opening = example["annual"]["opening_deferred"]
    st.markdown(
        "Opening deferred revenue of the existing annual base (month 0), at the signed price: "
        f"D₀ = Σᵣ Rᵣ·(r−1)·p(1−dₑ) = **{ui.escape_md(money(opening))}**"
    )
    _show_worked(worked_table(scenario, segment, "annual", projection), cur)
    st.caption(
        "‘By hand’ applies the formulas on this page to the inputs above; ‘Projection table’ "
        "is the same row of the projection (Planner → Data & downloads, or "
        "`python -m mrrsim project`). ✓ means they agree to within rounding (1 part in 10⁹)."
    )


def notation() -> None:
    st.header("Notation and units", anchor="notation")
    st.markdown(
        """
The model is written out in full in the project's `docs/model.md`; each section below names the
section of that document it follows. Months are numbered **t = 1 … H** (H = the horizon);
**month 0** is the existing base. All counts are *expected values*, so fractions of customers
are normal. Every rate is per segment:

| Symbol | Input (sidebar) | Unit |
|---|---|---|
| p | List price per month (month-to-month plan) | currency a month |
| d | Discount for new annual contracts (the segment's own, else the scenario's) | share of 12·p |
| dₑ | Discount of the annual contracts already signed | share of 12·p |
| n₁, g | New customers in month 1, their monthly growth | customers, % a month |
| s, s₀ | New customers choosing annual at d, and at no discount | share |
| c, e | Monthly plan: churn, expansion | % a month |
| c_a, e_a | Annual plan: non-renewal, price change at renewal | % per renewal |
| E, A | Existing monthly and annual customers (month 0) | customers |
| R₁ … R₁₂ | Existing annual customers whose next renewal falls in months 1 … 12 | customers |
| u | Monthly customers switching to annual each month, inside the switching months | % a month |
| b | Billing effect: the share of the churn gap between the plans that billing causes | share |
| L | Customer lifetime counted in the decision | months |
| r | Cost of capital | % a year |
"""
    )


def cohorts_section() -> None:
    st.header("Cohorts: the building block", anchor="cohorts")
    st.markdown(
        "Following docs/model.md, “Projection”. Every number comes from **cohorts**: the "
        "customers acquired in one month, on one billing plan, in one segment. New customers "
        "each month grow at a steady rate and split between the plans:"
    )
    st.latex(r"n(t) = n_1\,(1+g)^{t-1}")
    st.latex(r"\text{monthly: } n(t)(1-s),\quad \text{annual: } n(t)\,s")
    st.markdown(
        "**Monthly plan.** A cohort of N customers acquired in month a loses a share c every "
        "month, a share u(τ) of the rest switches to annual in each switching month τ (see "
        "Switching below), and each retained customer's MRR changes by e every month:"
    )
    st.latex(r"\text{customers}(t) = N \prod_{\tau=a+1}^{t} (1-c)(1-u_\tau)")
    st.latex(r"\text{MRR per customer}(t) = p\,(1+e)^{t-a}")
    st.markdown("Without switching this is the familiar N(1−c)^(t−a):")
    st.latex(r"\text{customers}(t) = N\,(1-c)^{t-a}")
    st.markdown(
        "**Annual plan.** An annual customer pays p(1−d) per month of service, billed as "
        "12·p(1−d) up front. The cohort can only leave at a renewal (months a+12, a+24, …); "
        "with k = ⌊(t−a)/12⌋ renewals passed:"
    )
    st.latex(r"\text{customers}(t) = N\,(1-c_a)^{k}")
    st.latex(r"\text{MRR per customer}(t) = p\,(1-d)\,(1+e_a)^{k}")
    st.markdown(
        "**Signed contracts keep their price and their renewal calendar** (docs/model.md, "
        "“Projection”, signed contracts). The existing monthly customers E form one cohort "
        "acquired in month 0. The existing annual customers renew on their own calendar: R_r "
        "of them first renew in month r (r = 1 … 12; an even A/12 each unless you give the "
        "calendar), then every 12 months, at the non-renewal rate c_a. They keep the price they "
        "signed, p(1−dₑ), raised by e_a at each renewal: changing the discount for new "
        "contracts never reprices them. Until their first renewal they pay nothing inside the "
        "horizon (they paid before month 1), but they count as customers and MRR and their "
        "revenue is recognised."
    )
    st.markdown(
        "The projection table (one row per month, segment and plan) adds up all cohorts. The "
        "Cohorts page shows the new customers' cohorts one by one (the existing base has no "
        "acquisition month inside the horizon); a cohort's switchers stay in it, on its annual "
        "row."
    )


def switching_section() -> None:
    st.header("Switching existing monthly customers to annual", anchor="switching")
    st.markdown(
        "Following docs/model.md, “Switching”. You can move monthly customers to annual, "
        "**steadily** (a share u of the monthly customers accepts each month, e.g. an in-app "
        "offer, between a first and a last month) or in a **one-month campaign** (the first and "
        "the last month are the same). In each switching month, after that month's churn and "
        "expansion, a share u of every monthly cohort at least one month old switches: the "
        "existing base, new customers and movers alike. The switchers of month t form an annual "
        "cohort started in month t:"
    )
    st.latex(r"U_t = u \cdot \text{monthly survivors of age} \geq 1")
    st.latex(
        r"\text{MRR}^{\text{annual}}_{\text{switchers}} = (1-d) \cdot "
        r"\text{MRR}^{\text{monthly}}_{\text{switchers}}"
    )
    st.markdown(
        "They pay 12 × that MRR in month t (cash arrives early: deferred revenue rises by the "
        "eleven months still to come), renew in months t+12, t+24, … and take e_a at each "
        "renewal. Because they were moved by an offer rather than choosing annual at sign-up, "
        "they renew at the movers' churn c_ma (see *Annual or monthly, at what discount*), not "
        "at c_a."
    )
    st.markdown(
        "**Its MRR movement.** A switch is neither new nor churned MRR: the projection table "
        "shows it as *switched* MRR, negative on the monthly row (the monthly MRR that leaves) "
        "and positive on the annual row (the annual MRR that arrives). Per segment and month "
        "the two add up to −d × the monthly MRR switched: the discount given away, which is why "
        "total MRR dips in a campaign month while cash jumps."
    )
    st.latex(
        r"\begin{aligned}&\text{switched}^{\text{monthly}}_t + \text{switched}^{\text{annual}}_t"
        r"\\&\quad = -d \cdot \text{monthly MRR switched}_t\end{aligned}"
    )


def mrr_section() -> None:
    st.header("MRR, ARR and where MRR moves", anchor="mrr")
    st.markdown(
        "Following docs/model.md, “Projection table”. **MRR** (monthly recurring revenue) in "
        "month t is the sum over active customers of their MRR per customer; an annual customer "
        "counts at one twelfth of what they prepaid. **ARR** is 12 × MRR (a run rate, not a "
        "forecast of the next 12 months). Each month's change in MRR is split into five "
        "movements:"
    )
    st.markdown(
        "- **New MRR**: the MRR of the cohorts acquired this month (switchers are not new).\n"
        "- **Expansion MRR** / **Contraction MRR**: the change in MRR of customers who stayed, "
        "since last month, added up per cohort; increases are expansion, decreases contraction "
        "(both shown as positive amounts). On the monthly plan this happens every month (rate "
        "e); on the annual plan only at a renewal (rate e_a).\n"
        "- **Churned MRR**: what the customers lost this month paid last month. Monthly "
        "customers leave any month; annual customers only at a renewal.\n"
        "- **Switched MRR**: monthly customers moving to annual (see Switching), signed."
    )
    st.latex(
        r"\begin{aligned}\text{MRR}_t = {} & \text{MRR}_{t-1} + \text{new}_t + \text{expansion}_t"
        r"\\& - \text{contraction}_t - \text{churned}_t\\& + \text{switched}_t\end{aligned}"
    )
    st.latex(
        r"\begin{aligned}\text{customers}_t = {} & \text{customers}_{t-1}"
        r"\\& + \text{new customers}_t\\& - \text{churned customers}_t"
        r"\\& + \text{switched customers}_t\end{aligned}"
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
        "Following docs/model.md, “Projection”. **Cash collected.** A monthly customer pays its "
        "MRR every month (cash = MRR). An annual customer pays 12 × its MRR in its acquisition "
        "(or switching) month and at each renewal, nothing in between:"
    )
    st.latex(
        r"\begin{aligned}&\text{cash}(t) = 12 \cdot \text{customers}(t)"
        r"\\&\quad \cdot p\,(1-d)\,(1+e_a)^{k}"
        r"\\&\text{in months } a, a+12, a+24, \dots\text{; else } 0\end{aligned}"
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
        "received, at its signed price: the R_r customers who renew in month r have r−1 months "
        "left at month 0 (with an even calendar this is 5.5·A·p(1−dₑ)):"
    )
    st.latex(r"D_0 = \sum_{r=1}^{12} R_r\,(r-1)\,p\,(1-d_e)")
    st.markdown("**Cumulative cash** and **cumulative revenue** are the sums over months 1 to H.")


def summary_section() -> None:
    st.header("Headline figures", anchor="summary")
    st.markdown(
        "Following docs/model.md, “Summary metrics”. **Ending MRR, ARR and customers** are "
        "those of month H, all segments and plans. **NPV of cash** discounts each month's cash "
        "to month 1 at the annual cost of capital r (month 1 is not discounted):"
    )
    st.latex(r"\text{NPV} = \sum_{t=1}^{H} \text{cash}_t\,(1+r)^{-(t-1)/12}")
    st.markdown(
        "**NRR and GRR (12 months).** Take every customer active in month H−12 (all cohorts "
        "acquired up to then, the existing base, movers and switchers included: the set B, "
        "customer i paying m_i(t) of MRR in month t). NRR is their "
        "MRR in month H over their MRR in month H−12: churn, contraction and expansion all "
        "count. A customer who switches to annual after month H−12 is followed: its MRR now is "
        "its annual MRR, so the discount it took counts as contraction. GRR is the same but "
        "each surviving customer counts at most at its MRR of month H−12, so expansion cannot "
        "lift it above 100%. Both are undefined when H < 13 or when there was no MRR in month "
        "H−12."
    )
    st.latex(r"\text{NRR} = \frac{\sum_{i \in B} m_i(H)}{\sum_{i \in B} m_i(H-12)}")
    st.latex(
        r"\text{GRR} = \frac{\sum_{i \in B} \min\big(m_i(H),\, m_i(H-12)\big)}"
        r"{\sum_{i \in B} m_i(H-12)}"
    )
    st.markdown(
        "**All-monthly and all-annual.** The two comparison plans bill every *new* customer "
        "monthly or annually; the customers they move off the plan they would have chosen are "
        "movers (next section). No switching happens under all-monthly. The existing base and "
        "its signed contracts are the same in all three plans."
    )


def decision_section() -> None:
    st.header("Annual or monthly, and at what discount?", anchor="decision")
    st.markdown(
        "Following docs/model.md, “Policies and movers” and “Lifetime values and the "
        "decision”. The answer is per segment and per new customer, because the trade-off "
        "differs: a discount costs money on every annual contract, a prepaid year holds "
        "customers who might have left within months, and annual customers often churn less."
    )
    st.subheader("Billing effect: movers keep part of their churn")
    st.markdown(
        "Annual customers usually churn less than monthly ones. Part of that gap is **caused "
        "by billing** (a prepaid year keeps a customer through a bad quarter); the rest is "
        "**who chooses annual** (committed customers pick the commitment). The billing effect b "
        "says how much is billing. A customer moved to a plan it would not have chosen keeps "
        "the part of its own retention that billing does not cause. With C the monthly plan's "
        "churn over a year:"
    )
    st.latex(r"C = 1-(1-c)^{12}")
    st.markdown(
        "A customer moved to annual renews at c_ma; one moved to monthly churns c_am a month:"
    )
    st.latex(r"c_{ma} = C - b\,(C - c_a)")
    st.latex(r"c_{am} = 1-\big(1 - c_a - b\,(C - c_a)\big)^{1/12}")
    st.markdown(
        "With b = 1 movers take the other plan's churn in full (the most favourable reading of "
        "annual billing); with b = 0 they keep their own. Pushing everyone to annual therefore "
        "gains less than the raw churn gap suggests unless billing really causes it."
    )
    st.subheader("Take-up with no discount: why a best discount exists")
    st.markdown(
        "A share s of new customers chooses annual at today's discount d. With no discount, "
        "fewer would: s₀. Between the two, take-up follows a straight line, so a larger "
        "discount wins more annual customers and a smaller one fewer:"
    )
    st.latex(r"s(x) = \min\big(1, \max(0,\; s_0 + (s - s_0)\,x/d)\big)")
    st.markdown(
        "Each extra point of discount is paid by *every* annual customer, but it only moves "
        "the customers at the margin. The **best discount** is where one more point would cost "
        "more than the movers it wins are worth. If take-up does not respond (s₀ = s), a "
        "discount only costs money and the best discount is 0; the app then says so."
    )
    st.subheader("Lifetime values: why the break-even does not depend on the horizon")
    st.markdown(
        "A new customer is valued over its **lifetime** L (the cash it pays over L months, "
        "discounted to its first month at the cost of capital, δ = (1+r)^(−1/12)), not over "
        "the months left in the chart's horizon. Otherwise a contract signed in the last month "
        "would count a full prepaid year as gain and none of the service it buys, and the "
        "answer would change with the horizon you happen to pick."
    )
    st.latex(r"\text{LTV}_m(c, e) = p \sum_{a=0}^{L-1} \big((1-c)(1+e)\,\delta\big)^a")
    st.latex(
        r"\begin{aligned}&\text{LTV}_a(x; c, e) = 12\,p\,(1-x)\\&\quad \cdot \sum_{k=0}^{L/12-1} "
        r"\big((1-c)(1+e)\,\delta^{12}\big)^k\end{aligned}"
    )
    st.markdown(
        "**Value of a new customer at discount x.** Natural choosers keep their plan and "
        "churn; the customers a discount moves are movers. If s(x) ≥ s:"
    )
    st.latex(
        r"\begin{aligned}V(x) = {} & (1-s(x))\,\text{LTV}_m(c, e)\\& + s\,\text{LTV}_a(x; c_a, e_a)"
        r"\\& + (s(x)-s)\,\text{LTV}_a(x; c_{ma}, e_a)\end{aligned}"
    )
    st.markdown("and if s(x) < s:")
    st.latex(
        r"\begin{aligned}V(x) = {} & (1-s)\,\text{LTV}_m(c, e)"
        r"\\& + (s-s(x))\,\text{LTV}_m(c_{am}, e)\\& + s(x)\,\text{LTV}_a(x; c_a, e_a)\end{aligned}"
    )
    st.markdown(
        "The best discount is the x in 0%, 0.1%, …, 60% with the largest V(x) (the smallest "
        "such x on ties)."
    )
    st.markdown(
        "**Break-even discount.** The discount at which billing every new customer annually "
        "is worth as much as billing every one monthly:"
    )
    st.latex(
        r"\begin{aligned}V_M = {} & (1-s)\,\text{LTV}_m(c, e)\\& + s\,\text{LTV}_m(c_{am}, e)"
        r"\end{aligned}"
    )
    st.latex(
        r"\begin{aligned}&V_A(x) = (1-x)\big[s\,\text{LTV}_a(0; c_a, e_a)"
        r"\\&\quad + (1-s)\,\text{LTV}_a(0; c_{ma}, e_a)\big]\end{aligned}"
    )
    st.latex(r"d^{*} = 1 - \frac{V_M}{V_A(0)}")
    st.markdown(
        "Offer less than d* and annual billing is worth more than monthly; offer more and the "
        "discount gives away more than the prepayment and lower churn bring back. d* can be "
        "negative: annual would then need a premium to match monthly. The blended figure over "
        "all segments weighs each segment by the new customers the plan acquires, discounted "
        "(w = Σₜ n(t)·δ^(t−1)): d* = 1 − Σ w·V_M / Σ w·V_A(0). None of this uses the existing "
        "base or the horizon's end."
    )


def montecarlo_section() -> None:
    st.header("Predictability: the Monte Carlo simulation", anchor="monte-carlo")
    st.markdown(
        "Following docs/model.md, “Monte Carlo”. The projection above is one line of expected "
        "values. To show how wide the outcomes can be, each simulated path draws, once, a "
        "**churn multiplier** and an **acquisition multiplier** from a log-normal distribution "
        "with mean 1 and the coefficient of variation (CV) you set under *Uncertainty* (exactly "
        "1 when the CV is 0):"
    )
    st.latex(r"M = e^{\mu + \sigma Z},\quad Z \sim N(0,1)")
    st.latex(r"\sigma^2 = \ln(1+\text{CV}^2),\quad \mu = -\sigma^2/2")
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
    st.latex(r"z = \frac{O - E}{\sqrt{V}} \ge 2.326")
    st.latex(r"V = \sum \text{exposure}\cdot\text{rate}\cdot(1-\text{rate})")
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
        "input is moved per segment and for all segments at once. Moving the discount for new "
        "contracts moves take-up along its line and creates movers; signed contracts keep their "
        "price. The longest bars are the inputs that matter most."
    )
    st.latex(r"\text{low} = v - \delta\,|v|,\qquad \text{high} = v + \delta\,|v|")
    st.markdown(
        "**Discount × share grid.** Every cell offers one discount to every segment's new "
        "customers and sets the share choosing annual at today's discount; take-up at the "
        "cell's discount and the movers it creates follow as above, and each cell is compared "
        "with all-monthly at the same share. The existing base and its signed contracts are "
        "the same in every cell. The grid counts cash inside the horizon only, so it shows "
        "what a choice does to this plan's numbers; the lifetime break-even and best discount "
        "of the previous sections are what decide the question."
    )


def share_section() -> None:
    st.header("Share links", anchor="share-links")
    st.markdown(
        "A share link carries the whole scenario inside it (nothing is stored on a server), so "
        "any copy of the app opens it and shows exactly the same inputs and numbers. The link "
        "holds every input in a fixed order, compressed, with a version number and a checksum "
        "that catches a link damaged in copying. Links made before the switching, take-up and "
        "billing-effect inputs existed still open, with those inputs at their defaults. A "
        "damaged, truncated, tampered or oversized link is refused with a message and the app "
        "falls back to the default scenario. The checksum is not a signature: an opened link "
        "is validated like any other input. Links stay under 2,000 characters for up to 5 "
        "segments; a very long description may be shortened in the link (the numbers stay "
        "exact)."
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
        "**Contents:** [Notation](#notation) · [Cohorts](#cohorts) · "
        "[Switching](#switching) · [MRR and ARR](#mrr) · [Cash and deferred revenue](#cash) · "
        "[Headline figures](#summary) · [Annual or monthly, at what discount](#decision) · "
        "[Monte Carlo](#monte-carlo) · [Sensitivity](#sensitivity) · "
        "[Share links](#share-links) · [Worked example](#worked-example)"
    )
    notation()
    cohorts_section()
    switching_section()
    mrr_section()
    cash_section()
    summary_section()
    decision_section()
    montecarlo_section()
    sensitivity_section()
    share_section()
    worked_example(scenario)


if __name__ == "__main__":
    main()
