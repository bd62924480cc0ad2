"""Predictability: how wide the range of outcomes is under each billing plan (Monte Carlo), the
chance of reaching a target MRR, and how soon a churn problem shows on a churn dashboard under
each billing choice (detection delay)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl
import streamlit as st

from mrrsim import detect, montecarlo, ui
from mrrsim.formatting import currency_symbol
from mrrsim.metrics import PLANS, plan_variants
from mrrsim.scenario import Scenario

MIX, MONTHLY, ANNUAL = PLANS
TABS = ("Range of outcomes", "How soon a churn rise shows")
DEFAULT_PATHS = 1_000
MIN_PATHS, MAX_PATHS = 100, 10_000
CV_INPUTS = (
    ("churn", "Churn uncertainty (%)", "How much churn may differ from your inputs in a "
     "simulated future: a coefficient of variation of 25% means churn is typically within about "
     "±25% of what you entered."),
    ("acquisition", "Acquisition uncertainty (%)", "The same for the number of new customers "
     "each month."),
)  # fmt: skip


# --- pure helpers --------------------------------------------------------------------------------


def horizon_quantiles(fan: pl.DataFrame, metric: str, horizon: int) -> dict[str, dict[str, float]]:
    """{plan: {"p10", "p50", "p90"}} of ``metric`` in the last month."""
    rows = fan.filter((pl.col("metric") == metric) & (pl.col("month") == horizon))
    return {
        row["plan"]: {q: row[q] for q in ("p10", "p50", "p90")}
        for row in rows.iter_rows(named=True)
    }


def spread(q: dict[str, float]) -> float | None:
    """(P90 − P10) / P50: the width of the likely range relative to the median."""
    return (q["p90"] - q["p10"]) / q["p50"] if q["p50"] else None


def nice_round(value: float) -> float:
    """A round default target: three significant figures (1,063,412 -> 1,060,000)."""
    if value <= 0 or not math.isfinite(value):
        return 0.0
    digits = 2 - math.floor(math.log10(value))
    return float(round(value, digits))


def check_whole(name: str, value: object, low: int, high: int) -> tuple[int | None, str | None]:
    """(value, None) when ``value`` is a whole number in [low, high], else (None, message)."""
    if value is None or isinstance(value, bool):
        return None, f"{name}: please enter a whole number between {low:,} and {high:,}."
    number = float(value)  # type: ignore[arg-type]
    if not number.is_integer() or not low <= number <= high:
        return None, f"{name}: must be a whole number between {low:,} and {high:,} (got {value})."
    return int(number), None


# --- inputs --------------------------------------------------------------------------------------


def _mirror_cv(name: str) -> None:
    """Copy the page's uncertainty input into the sidebar editor's widget (a callback, so it runs
    before the script): the scenario, and the URL's share link, follow as for any editor input."""
    st.session_state[f"ed.uncertainty.{name}"] = st.session_state[f"pred.cv.{name}"]


def uncertainty_inputs(columns: Sequence) -> None:
    """The two uncertainty inputs of the scenario, mirrored with the sidebar editor's."""
    for col, (name, label, help_text) in zip(columns, CV_INPUTS, strict=True):
        st.session_state[f"pred.cv.{name}"] = st.session_state.get(f"ed.uncertainty.{name}")
        col.number_input(
            label,
            key=f"pred.cv.{name}",
            step=5.0,
            format="%.1f",
            help=help_text + " Also in the sidebar, under Uncertainty; saved in the share link.",
            on_change=_mirror_cv,
            args=(name,),
        )
    problems = [
        ui.humanize_problem(p)[1] for p in ui.input_problems() if p.startswith("uncertainty.")
    ]
    for problem in problems:
        st.error(problem, icon=":material/error:")


def _default_target(scenario: Scenario) -> float:
    return nice_round(ui.summary_cached(scenario)["ending_mrr"] or 0.0)


def target_input(scenario: Scenario, column) -> float | None:
    """The target MRR; its default follows the projection until the user changes it."""
    default = _default_target(scenario)
    ss = st.session_state
    if "pred.target" not in ss or ss.get("pred.target_default") == ss["pred.target"]:
        ss["pred.target"] = default
    ss["pred.target_default"] = default
    value = column.number_input(
        f"Target MRR in month {scenario.horizon_months} ({scenario.currency})",
        key="pred.target",
        step=10_000.0,
        format="%.0f",
        help="The chance of reaching it is read off the simulated futures. By default the "
        "projection's ending MRR, rounded.",
    )
    if value is None or not math.isfinite(value) or value < 0:
        st.error("Target MRR: please enter an amount of 0 or more.", icon=":material/error:")
        return None
    amount = ui.fmt_money(value, scenario.currency, compact=False)
    column.caption(ui.md_amounts(f"Target: {amount} a month", scenario.currency))
    return float(value)


# --- sections ------------------------------------------------------------------------------------


def spread_table(
    scenario: Scenario,
    fan: pl.DataFrame,
    ending: dict[str, pl.Series],
    target: float | None,
) -> pl.DataFrame:
    """Per plan: the MRR and cumulative cash range in the last month, its spread and the chance
    of reaching the target, formatted for display."""
    horizon, currency = scenario.horizon_months, scenario.currency
    mrr = horizon_quantiles(fan, "mrr", horizon)
    cash = horizon_quantiles(fan, "cumulative_cash", horizon)
    rows = []
    for plan in PLANS:
        rows.append(
            {
                "Billing": plan,
                "MRR P10": ui.fmt_money(mrr[plan]["p10"], currency),
                "MRR median": ui.fmt_money(mrr[plan]["p50"], currency),
                "MRR P90": ui.fmt_money(mrr[plan]["p90"], currency),
                "MRR spread": ui.fmt_pct(spread(mrr[plan])),
                "Cash collected P10": ui.fmt_money(cash[plan]["p10"], currency),
                "Cash collected median": ui.fmt_money(cash[plan]["p50"], currency),
                "Cash collected P90": ui.fmt_money(cash[plan]["p90"], currency),
                "Cash collected spread": ui.fmt_pct(spread(cash[plan])),
                "Chance of reaching target": "—"
                if target is None
                else ui.fmt_pct(montecarlo.share_at_least(ending[plan], target), 0),
            }
        )
    return pl.DataFrame(rows)


def spread_sentence(scenario: Scenario, fan: pl.DataFrame) -> str:
    """One plain sentence on what the spread means, using the user's numbers."""
    horizon, currency = scenario.horizon_months, scenario.currency
    mrr = horizon_quantiles(fan, "mrr", horizon)
    spreads = {plan: spread(mrr[plan]) for plan in PLANS}
    mix = mrr[MIX]
    if spreads[MIX] is None:
        return (
            f"Your mix ends month {horizon} with no MRR in at least half of the simulated "
            "futures, so there is no range to compare."
        )
    tight = min((p for p in PLANS if spreads[p] is not None), key=lambda p: spreads[p] or 0.0)
    text = (
        f"In 8 of 10 simulated futures your mix ends month {horizon} with MRR between "
        f"{ui.fmt_money(mix['p10'], currency)} and {ui.fmt_money(mix['p90'], currency)}: a range "
        f"of {ui.fmt_pct(spreads[MIX], 0)} of the median. "
    )
    if spreads[MONTHLY] is None or spreads[ANNUAL] is None:
        return text
    gap = abs((spreads[MONTHLY] or 0.0) - (spreads[ANNUAL] or 0.0))
    if gap < 0.005:
        return text + "All-monthly and all-annual billing are about equally predictable here."
    return text + (
        f"The narrowest range is {tight.lower()} "
        f"({ui.fmt_pct(spreads[tight], 0)}): the smaller the spread, the more predictable the plan."
    )


FAN_VIEWS = {"mrr": "MRR", "cumulative_cash": "Cumulative cash collected"}


def fan_section(scenario: Scenario, paths: int, seed: int) -> None:
    metric = st.segmented_control(
        "Range by month of",
        options=list(FAN_VIEWS),
        format_func=FAN_VIEWS.__getitem__,
        required=True,
        key="pred.fan_metric",
    )
    metric = metric or "mrr"
    st.markdown(f"**{FAN_VIEWS[metric]} by month: likely range (P10–P90) and median**")
    for col, spec in zip(st.columns(3), ui.fan_specs(scenario, paths, seed, metric), strict=True):
        with col:
            ui.show_spec(spec)


def detection_inputs(scenario: Scenario) -> tuple[float, int, int] | None:
    """Shock size, start month and notice months, checked; None (with a message) when bad."""
    horizon = scenario.horizon_months
    cols = st.columns(3)
    factor = cols[0].number_input(
        "Churn rises to (× your churn)",
        key="pred.shock_factor",
        min_value=0.1,
        max_value=detect.MAX_FACTOR,
        step=0.1,
        format="%.2f",
        help="1.5 means churn rises by half: 2% a month becomes 3%, and 10% of annual "
        "customers not renewing becomes 15%.",
    )
    start = cols[1].number_input(
        f"From month (1–{horizon})",
        key="pred.shock_start",
        step=1,
        format="%d",
    )
    notice = cols[2].number_input(
        "Notice annual customers give (months)",
        key="pred.notice",
        step=1,
        format="%d",
        help="How many months before renewal annual customers say they will not renew, so the "
        "dashboard counts them then. Your scenario says "
        f"{scenario.renewal_notice_months}; try other values here.",
    )
    if factor is None or not math.isfinite(factor) or not 0 < factor <= detect.MAX_FACTOR:
        st.error(
            f"Churn rise: please enter a factor above 0 and at most {detect.MAX_FACTOR:g}, "
            "e.g. 1.5.",
            icon=":material/error:",
        )
        return None
    whole_start, problem = check_whole("Month the rise starts", start, 1, horizon)
    whole_notice, notice_problem = check_whole("Notice months", notice, 0, 11)
    for message in (problem, notice_problem):
        if message:
            st.error(message, icon=":material/error:")
    if whole_start is None or whole_notice is None:
        return None
    return float(factor), whole_start, whole_notice


def detection_section(scenario: Scenario, paths: int, seed: int) -> None:
    st.subheader("How soon does a churn problem show on a dashboard?")
    st.caption(
        "A churn dashboard compares the customers lost over the last 3 months with what your "
        "churn rates lead it to expect, and alerts when the gap is too large to be chance (a "
        "1% false-alarm test). Monthly customers can leave every month; annual customers only "
        "at renewal, or when they give notice. Suppose churn rises from the month below on: "
        "the chart shows the chance that the dashboard has alerted by each month, out of the "
        "simulated futures, for each billing choice (your existing customers are the same in "
        "all three)."
    )
    chosen = detection_inputs(scenario)
    if chosen is None:
        return
    factor, start, notice = chosen
    usable = detect.affordable_paths(scenario, paths)
    if usable < paths:
        st.warning(
            f"{paths:,} futures of each billing choice are more than one request may take for "
            f"a scenario this size; the dashboard test below uses {usable:,}.",
            icon=":material/speed:",
        )
    try:
        results, _ = ui.detection_cached(scenario, factor, start, notice, usable, seed)
    except montecarlo.SimulationTooLargeError as exc:
        st.error(f"This scenario cannot be tested: {exc}.", icon=":material/error:")
        return
    if all(r.false_alarm_rate is None for r in results.values()):
        st.info(
            "There is nothing for a churn dashboard to watch here: no customer can churn "
            "(no customers, or churn rates of 0).",
            icon=":material/info:",
        )
        return
    chart_col, side = st.columns([3, 1])
    with chart_col:
        ui.show_spec(ui.detection_spec(scenario, factor, start, notice, usable, seed))
    with side:
        st.markdown("**False alerts a month**")
        for choice, plan in zip(detect.CHOICES, PLANS, strict=True):
            rate = results[choice].false_alarm_rate
            st.metric(
                plan,
                "—" if rate is None else f"{rate * 100:.1f}%",
                help="How often the same dashboard alerts when churn does not rise at all: the "
                "share of months with an alert in the same futures without the rise. The test "
                "is built for about 1%.",
                border=True,
            )
    st.info(detect.describe(results, factor, start), icon=":material/speed:")
    rows = [
        {
            "Billing": plan,
            "Months until half the futures alerted": results[choice].median_months,
            "Chance within 3 months": ui.fmt_pct(results[choice].p_within_3, 0),
            "Chance within 6 months": ui.fmt_pct(results[choice].p_within_6, 0),
        }
        for choice, plan in zip(detect.CHOICES, PLANS, strict=True)
    ]
    st.table(pl.DataFrame(rows), hide_index=True)
    st.caption(
        f"{usable:,} futures per billing choice, seed {seed}, with and without the rise; "
        "empty where fewer than half of the futures alert before the plan ends."
    )


def range_section(scenario: Scenario, paths: int, seed: int, target: float | None) -> None:
    """The range of outcomes of the three plans: spreads, the chance of reaching the target,
    the table and the fan charts."""
    usable = montecarlo.affordable_paths(plan_variants(scenario), paths)
    if usable < paths:
        st.warning(
            f"{paths:,} futures of each plan are more than one request may take for a "
            f"scenario this size; showing {usable:,}.",
            icon=":material/speed:",
        )
        paths = usable
    try:
        with st.spinner(f"Simulating {paths:,} futures of each plan…"):
            fan, ending = ui.simulation_cached(scenario, paths, seed)
    except montecarlo.SimulationTooLargeError as exc:
        st.error(
            f"This scenario cannot be simulated: {exc}.".replace("..", "."),
            icon=":material/error:",
        )
        return
    st.subheader(f"Range of outcomes in month {scenario.horizon_months}")
    mrr = horizon_quantiles(fan, "mrr", scenario.horizon_months)
    for col, plan in zip(st.columns(3), PLANS, strict=True):
        col.metric(
            f"MRR spread, {plan.lower()}",
            ui.fmt_pct(spread(mrr[plan])),
            help="(P90 − P10) ÷ median MRR in the last month: the width of the range that "
            "holds 8 futures in 10, relative to the typical outcome. Smaller is more "
            "predictable.",
            border=True,
        )
    # Streamlit reads these as Markdown: the user's currency text is escaped in them
    currency = scenario.currency
    st.info(ui.md_amounts(spread_sentence(scenario, fan), currency), icon=":material/ssid_chart:")
    # figures as rows and the three plans as columns: narrow enough for a phone (ten
    # columns ran off its screen)
    table = spread_table(scenario, fan, ending, target).transpose(
        include_header=True, header_name="Figure", column_names="Billing"
    )
    symbol = currency_symbol(currency)
    st.table(
        table.with_columns(
            pl.col(pl.String).str.replace_all(symbol, ui.md_amounts(symbol, currency), literal=True)
        ),
        hide_index=True,
    )
    if target is not None:
        st.caption(
            ui.md_amounts(
                "Chance of reaching target: the share of simulated futures whose MRR in "
                f"month {scenario.horizon_months} is at least {ui.fmt_money(target, currency)}"
                f". {paths:,} futures per plan, seed {seed}; the plans share their random "
                "shocks.",
                currency,
            )
        )
    fan_section(scenario, paths, seed)


def main() -> None:
    scenario = ui.current_scenario()
    ui.page_header(
        "Predictability",
        scenario,
        "Not one line but a range: thousands of simulated futures in which churn and new "
        "customers vary around your inputs. The band holds 8 futures in 10 (P10 to P90).",
    )
    with st.container(border=True):
        cols = st.columns([1, 1, 1, 0.8, 1.3])
        uncertainty_inputs(cols[:2])
        paths_raw = cols[2].number_input(
            "Simulated futures (paths)",
            key="pred.paths",
            value=DEFAULT_PATHS,
            step=500,
            format="%d",
            help=f"Between {MIN_PATHS:,} and {MAX_PATHS:,}. More paths give steadier ranges "
            "but take longer; large scenarios get fewer (the page says so).",
        )
        seed_raw = cols[3].number_input(
            "Random seed",
            key="pred.seed",
            value=0,
            step=1,
            format="%d",
            help="The same seed gives the same futures, so results can be reproduced.",
        )
        target = target_input(scenario, cols[4])

    paths, paths_problem = check_whole("Simulated futures", paths_raw, MIN_PATHS, MAX_PATHS)
    seed, seed_problem = check_whole("Random seed", seed_raw, 0, 2**32 - 1)
    for problem in (paths_problem, seed_problem):
        if problem:
            st.error(problem, icon=":material/error:")
    ui.keep_widget_values(  # each tab's inputs, kept while it is closed
        {
            "pred.fan_metric": "mrr",
            "pred.shock_factor": detect.DEFAULT_FACTOR,
            "pred.shock_start": min(detect.DEFAULT_START, scenario.horizon_months),
            "pred.notice": scenario.renewal_notice_months,
        }
    )
    # Each analysis is computed only while its tab is open: an input change simulates the
    # futures one of them needs, not both.
    ranges, dashboard = st.tabs(list(TABS), key="pred.tab", on_change="rerun")
    if ranges.open and paths is not None and seed is not None:
        with ranges:
            range_section(scenario, paths, seed, target)
    if dashboard.open:
        with dashboard:
            detection_section(scenario, paths or DEFAULT_PATHS, seed or 0)


if __name__ == "__main__":
    main()
