"""The one cached layer between the pages and the engine: every ``st.cache_data`` of the app.

Scenarios are hashed by their JSON (``model_dump_json``) rather than by Streamlit's hashing of
the pydantic model: two equal scenarios share one entry, and nothing about the model's
internals leaks into the cache key. Chart specs that cost more to build than the engine call
behind them are cached here too, next to the results they draw."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from mrrsim import charts, decision, montecarlo, sensitivity, share
from mrrsim.cohorts import cohort_retention, retention_curve
from mrrsim.compare import comparison_totals
from mrrsim.detect import Detection, by_month_frame, detect
from mrrsim.metrics import (
    PLANS,
    PlanResults,
    Summary,
    plan_results,
    renewal_calendar,
    summarize_many,
)
from mrrsim.scenario import Scenario, ScenarioError, Uncertainty
from mrrsim.yamlio import load_preset, preset_names

__all__ = [
    "FAN_METRICS",
    "cohorts_cached",
    "comparison_cached",
    "decision_cached",
    "detection_cached",
    "detection_spec",
    "fan_specs",
    "heatmap_specs",
    "plan_comparison_cached",
    "plan_summaries",
    "preset_cached",
    "preset_titles",
    "project_cached",
    "renewal_calendar_cached",
    "sensitivity_grid_cached",
    "share_token",
    "share_token_or_problem",
    "simulation_cached",
    "summary_cached",
    "tornado_cached",
    "tornado_spec",
    "yield_point",
]

FAN_METRICS = ("mrr", "cumulative_cash")


def _scenario_json(scenario: Scenario) -> str:
    return scenario.model_dump_json()


def _cache(max_entries: int) -> Any:
    """``st.cache_data`` that hashes a Scenario argument (also inside a tuple) by its JSON."""
    return st.cache_data(
        max_entries=max_entries, show_spinner=False, hash_funcs={Scenario: _scenario_json}
    )


def _certain(scenario: Scenario) -> Scenario:
    """The scenario without parameter uncertainty, the cache key of everything that ignores it
    (the projection, the summaries, detection): changing the uncertainty inputs reuses them."""
    return scenario.model_copy(update={"uncertainty": Uncertainty()})


# --- Planner: projection, summaries and plan totals in one entry --------------------------------


def _plan_results(scenario: Scenario) -> PlanResults:
    """The planner's engine results in one entry: a changed input costs one miss, not four.
    Keyed without the uncertainty, which only the Monte Carlo reads (so the Predictability
    page's uncertainty inputs leave these cached)."""
    return _deterministic(_certain(scenario))


@_cache(64)
def _deterministic(scenario: Scenario) -> PlanResults:
    return plan_results(scenario)


def project_cached(scenario: Scenario) -> pl.DataFrame:
    """``projection.project(scenario)``, cached (the projection table of docs/model.md)."""
    return _plan_results(scenario).projection


def summary_cached(scenario: Scenario) -> Summary:
    """``metrics.summarize(scenario)``, cached: the very numbers the CLI prints."""
    return _plan_results(scenario).summaries[PLANS[0]]


def plan_summaries(scenario: Scenario) -> dict[str, Summary]:
    """``summarize`` of your mix, all-monthly and all-annual, keyed by ``metrics.PLANS``."""
    return _plan_results(scenario).summaries


def plan_comparison_cached(scenario: Scenario) -> pl.DataFrame:
    """``metrics.plan_comparison(scenario)``, cached: monthly totals of the three plans."""
    return _plan_results(scenario).comparison


@_cache(64)
def decision_cached(
    scenario: Scenario,
) -> tuple[pl.DataFrame, list[dict[str, Any]], list[str]]:
    """The Planner's decision: the table (numbers and verdicts), one value-per-discount chart
    spec per segment, and the notes on headline figures that seem to disagree with the
    verdicts."""
    plans = plan_summaries(scenario)
    summary = plans[PLANS[0]]
    table = decision.decision_table(scenario, summary)
    curve, marks = decision.value_chart_frames(scenario, summary)
    specs = [
        charts.vega_spec(charts.value_curve_chart(curve, marks, scenario.currency, seg.name))
        for seg in scenario.segments
    ]
    return table, specs, decision.disagreement_notes(scenario, plans)


@_cache(64)
def renewal_calendar_cached(scenario: Scenario) -> pl.DataFrame:
    """``metrics.renewal_calendar(scenario)``, cached."""
    return renewal_calendar(scenario)


# --- Presets and share links ---------------------------------------------------------------------


@st.cache_data(max_entries=32, show_spinner=False)
def preset_cached(name: str) -> Scenario:
    """``yamlio.load_preset(name)``, cached."""
    return load_preset(name)


@st.cache_data(max_entries=8, show_spinner=False)
def preset_titles() -> dict[str, str]:
    """{preset file name: the scenario's own name}, for pickers."""
    return {name: load_preset(name).name for name in preset_names()}


@_cache(256)
def share_token_or_problem(scenario: Scenario) -> tuple[str | None, str | None]:
    """(token, None), or (None, why the scenario cannot be shared as a link)."""
    try:
        return share.encode(scenario), None
    except ScenarioError as exc:
        return None, "; ".join(exc.problems)


def share_token(scenario: Scenario) -> str | None:
    """The share token of a scenario (cached), or None when it is too large for a link."""
    return share_token_or_problem(scenario)[0]


# --- Compare and Cohorts -------------------------------------------------------------------------


@_cache(32)
def comparison_cached(
    scenarios: tuple[Scenario, ...], labels: tuple[str, ...]
) -> tuple[pl.DataFrame, list[Summary]]:
    """``compare.comparison_totals`` and each scenario's summary, cached together."""
    return comparison_totals(scenarios, labels), summarize_many(scenarios)


@_cache(32)
def cohorts_cached(scenario: Scenario) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``cohorts.cohort_retention`` and its pooled ``retention_curve``, cached."""
    frame = cohort_retention(scenario)
    return frame, retention_curve(frame)


# --- Sensitivity ---------------------------------------------------------------------------------


@_cache(32)
def tornado_cached(
    scenario: Scenario, delta: float, metric: sensitivity.Metric, top: int | None
) -> pl.DataFrame:
    """``sensitivity.tornado`` for one move and metric, cached."""
    return sensitivity.tornado(scenario, delta, metric=metric, top=top)


@_cache(32)
def tornado_spec(
    scenario: Scenario, delta: float, metric: sensitivity.Metric, top: int | None
) -> dict[str, Any]:
    """The tornado chart's Vega-Lite spec, cached (building Altair charts costs more than
    the tornado itself)."""
    frame = tornado_cached(scenario, delta, metric, top)
    return charts.vega_spec(charts.tornado_chart(frame, metric, delta, scenario.currency))


@_cache(16)
def sensitivity_grid_cached(scenario: Scenario) -> pl.DataFrame:
    """``sensitivity.discount_share_grid`` over 0–40% discount x 0–100% annual share, cached."""
    return sensitivity.discount_share_grid(scenario)


@_cache(16)
def heatmap_specs(scenario: Scenario) -> list[dict[str, Any]]:
    """The two heatmaps' Vega-Lite specs (NPV of cash, ending ARR), cached."""
    grid = sensitivity_grid_cached(scenario)
    point = sensitivity.mix_point(scenario)
    return [
        charts.vega_spec(charts.grid_heatmap(grid, value, scenario.currency, point=point))
        for value in ("npv_cash", "ending_arr")
    ]


# --- Predictability ------------------------------------------------------------------------------


@_cache(16)
def simulation_cached(
    scenario: Scenario, paths: int, seed: int
) -> tuple[pl.DataFrame, dict[str, pl.Series]]:
    """The three plans' P10/P50/P90 by month (MRR and cumulative cash) and each plan's MRR in
    the last month on every path: ``montecarlo.plan_paths`` drawn once with one seed, then
    summarised (``summarize_paths``, the ``simulate_plans`` table) and queried."""
    frame = montecarlo.plan_paths(scenario, paths, seed, checkpoint=yield_point)
    fan = montecarlo.summarize_paths(frame).filter(pl.col("metric").is_in(FAN_METRICS))
    last = frame.filter(pl.col("month") == scenario.horizon_months)
    ending = {plan: last.filter(pl.col("plan") == plan).get_column("mrr") for plan in PLANS}
    return fan, ending


@_cache(32)
def fan_specs(scenario: Scenario, paths: int, seed: int, metric: str) -> list[dict[str, Any]]:
    """One metric's fan charts (one Vega-Lite spec per plan), cached with the simulation so
    that moving the target or the shock does not rebuild them; only the metric on screen is
    built (building a chart costs more than its share of the simulation)."""
    fan, _ = simulation_cached(scenario, paths, seed)
    projection = plan_comparison_cached(scenario)
    top = charts.fan_y_max(fan, projection, metric)
    return [
        charts.vega_spec(
            charts.fan_chart(fan, plan, metric, scenario.currency, projection=projection, y_max=top)
        )
        for plan in PLANS
    ]


def yield_point() -> None:
    """A point where Streamlit may stop this run: reading session state checks for a newer
    rerun or a stop request and raises there, so a superseded run stops computing instead of
    finishing work nobody will see (long engine calls get this as their ``checkpoint``)."""
    _ = "mrrsim.yield" in st.session_state


def detection_cached(
    scenario: Scenario, factor: float, start: int, notice: int, paths: int, seed: int
) -> tuple[dict[str, Detection], pl.DataFrame]:
    """``detect.detect`` for one churn rise and its by-month frame, cached."""
    return _detection(_certain(scenario), factor, start, notice, paths, seed)


@_cache(32)
def _detection(
    scenario: Scenario, factor: float, start: int, notice: int, paths: int, seed: int
) -> tuple[dict[str, Detection], pl.DataFrame]:
    results = detect(scenario, factor, start, paths, seed, notice=notice, checkpoint=yield_point)
    return results, by_month_frame(results, start)


def detection_spec(
    scenario: Scenario, factor: float, start: int, notice: int, paths: int, seed: int
) -> dict[str, Any]:
    """The detection chart's Vega-Lite spec, cached with the detection."""
    return _detection_spec(_certain(scenario), factor, start, notice, paths, seed)


@_cache(32)
def _detection_spec(
    scenario: Scenario, factor: float, start: int, notice: int, paths: int, seed: int
) -> dict[str, Any]:
    _, by_month = _detection(scenario, factor, start, notice, paths, seed)
    return charts.vega_spec(charts.detection_chart(by_month))
