"""Predictability: how wide the range of outcomes is under each billing plan (Monte Carlo), the
chance of reaching a target MRR, and how soon a churn problem shows in MRR (signal speed)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl
import streamlit as st

from mrrsim import montecarlo, ui
from mrrsim.metrics import PLANS
from mrrsim.scenario import Scenario

MIX, MONTHLY, ANNUAL = PLANS
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


def fan_section(scenario: Scenario, paths: int, seed: int) -> None:
    specs = ui.fan_specs(scenario, paths, seed)
    for metric, heading in (("mrr", "MRR"), ("cumulative_cash", "Cumulative cash collected")):
        st.markdown(f"**{heading} by month: likely range (P10–P90) and median**")
        for col, spec in zip(st.columns(3), specs[metric], strict=True):
            with col:
                ui.show_spec(spec)


def signal_sentence(summary: pl.DataFrame) -> str:
    """Monthly vs annual: which shows the churn problem sooner, and by how many months."""
    rows = {row["plan"]: row for row in summary.iter_rows(named=True)}
    monthly, annual = rows[MONTHLY], rows[ANNUAL]
    m50, a50 = monthly["months_to_50"], annual["months_to_50"]
    if m50 is not None and a50 is None:
        return (
            "Under all-annual billing the shock does not show in MRR at all in its first 12 "
            "months (no annual customer renews in that window); under all-monthly half of its "
            f"first-year effect is visible after {m50} months."
        )
    if m50 is None or a50 is None:
        return (
            "Under all-monthly billing the shock does not show in MRR in its first 12 months "
            "(no monthly customer is exposed to it), so the two cannot be compared."
        )
    diff = a50 - m50
    months = f"{abs(diff)} month{'s' if abs(diff) != 1 else ''}"
    if diff > 0:
        head = f"Monthly billing shows a churn problem {months} sooner than annual billing"
    elif diff < 0:
        head = f"Here annual billing shows the churn problem {months} sooner than monthly billing"
    else:
        head = "Monthly and annual billing show half of the churn problem equally soon"
    return (
        f"{head}: half of its first-year effect is visible in MRR after {m50} months "
        f"under all-monthly and {a50} under all-annual."
    )


def signal_section(scenario: Scenario) -> None:
    st.subheader("Signal speed: how soon does a churn problem show in MRR?")
    st.caption(
        "Suppose churn suddenly rises (by the factor below, from the start month on) for every "
        "customer. Monthly customers can leave any month; annual customers only at renewal. "
        "The chart shows how much of the shock's first-12-month effect on MRR is visible month "
        "by month; each plan is measured against its own effect, whose size is in the table "
        "below (switch to 'MRR lost' to compare sizes)."
    )
    horizon = scenario.horizon_months
    cols = st.columns([1, 1, 1.4])
    factor = cols[0].number_input(
        "Churn shock (× churn)",
        key="pred.shock_factor",
        value=1.5,
        step=0.1,
        format="%.2f",
        help="1.5 means churn rises by half: 2% a month becomes 3%.",
    )
    start = cols[1].number_input(
        f"Shock starts in month (1–{horizon})",
        key="pred.shock_start",
        value=min(13, horizon),
        step=1,
        format="%d",
    )
    new_only = cols[2].checkbox(
        "New customers only (leave the existing base out)",
        key="pred.shock_new_only",
        help="The existing base is billed the same in all three plans; leaving it out isolates "
        "the effect of how new customers are billed.",
    )
    measure = cols[2].radio(
        "Show",
        ["Share of 12-month effect", "MRR lost (% of MRR)"],
        key="pred.shock_measure",
        horizontal=True,
    )
    if factor is None or not math.isfinite(factor) or factor <= 0:
        st.error("Churn shock: please enter a factor above 0, e.g. 1.5.", icon=":material/error:")
        return
    whole_start, problem = check_whole("Shock start month", start, 1, horizon)
    if whole_start is None:
        st.error(problem, icon=":material/error:")
        return
    _, summary = ui.signal_cached(scenario, float(factor), whole_start, not new_only)
    if summary.filter(pl.col("effect_12") != 0.0).is_empty():
        st.info(
            "This shock changes nothing here (no churn to scale, or no customers exposed).",
            icon=":material/info:",
        )
        return
    key = "visible_share" if measure.startswith("Share") else "gap_pct"
    ui.show_spec(ui.signal_spec(scenario, float(factor), whole_start, not new_only, key))
    st.info(signal_sentence(summary), icon=":material/speed:")
    table = summary.select(
        pl.col("plan").alias("Billing"),
        pl.col("months_to_50").alias("Months until 50% visible"),
        pl.col("months_to_90").alias("Months until 90% visible"),
        pl.col("months_to_notice").alias("Months until MRR is 1% lower"),
        pl.col("effect_12")
        .map_elements(lambda v: ui.fmt_money(v, scenario.currency), return_dtype=pl.String)
        .alias("MRR lost after 12 months"),
        pl.col("effect_12_pct")
        .map_elements(ui.fmt_pct, return_dtype=pl.String)
        .alias("… as % of MRR"),
    )
    st.table(table, hide_index=True)


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
            "but take longer (10,000 takes about 20 seconds).",
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
    if paths is not None and seed is not None:
        with st.spinner(f"Simulating {paths:,} futures of each plan…"):
            fan, ending = ui.simulation_cached(scenario, paths, seed)
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
        st.info(spread_sentence(scenario, fan), icon=":material/ssid_chart:")
        st.table(spread_table(scenario, fan, ending, target), hide_index=True)
        if target is not None:
            st.caption(
                f"Chance of reaching target: the share of simulated futures whose MRR in month "
                f"{scenario.horizon_months} is at least {ui.fmt_money(target, scenario.currency)}"
                f". {paths:,} futures per plan, seed {seed}; the plans share their random shocks."
            )
        fan_section(scenario, paths, seed)
    st.divider()
    signal_section(scenario)


if __name__ == "__main__":
    main()
