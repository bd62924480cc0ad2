"""Engine calls for the pages, cached with ``st.cache_data`` and keyed by the scenario's JSON
(``model_dump_json``) rather than Streamlit's hashing of the pydantic model: two equal scenarios
share one entry, and nothing about the model's internals leaks into the cache key."""

from __future__ import annotations

import polars as pl
import streamlit as st

from mrrsim import share
from mrrsim.metrics import PLANS, PlanResults, Summary, plan_results, renewal_calendar
from mrrsim.scenario import Scenario, ScenarioError
from mrrsim.yamlio import load_preset

__all__ = [
    "plan_comparison_cached",
    "plan_summaries",
    "preset_cached",
    "project_cached",
    "renewal_calendar_cached",
    "share_token",
    "share_token_or_problem",
    "summary_cached",
]


def _json(scenario: Scenario) -> str:
    return scenario.model_dump_json()


def _from_json(text: str) -> Scenario:
    return Scenario.model_validate_json(text)


@st.cache_data(max_entries=64, show_spinner=False)
def _plan_results(text: str) -> PlanResults:
    """The planner's engine results in one entry: a changed input costs one miss, not four."""
    return plan_results(_from_json(text))


@st.cache_data(max_entries=64, show_spinner=False)
def _renewal_calendar(text: str) -> pl.DataFrame:
    return renewal_calendar(_from_json(text))


@st.cache_data(max_entries=256, show_spinner=False)
def _share_token(text: str) -> tuple[str | None, str | None]:
    try:
        return share.encode(_from_json(text)), None
    except ScenarioError as exc:
        return None, "; ".join(exc.problems)


@st.cache_data(max_entries=32, show_spinner=False)
def preset_cached(name: str) -> Scenario:
    """``yamlio.load_preset(name)``, cached."""
    return load_preset(name)


def project_cached(scenario: Scenario) -> pl.DataFrame:
    """``projection.project(scenario)``, cached (the SPEC section 4 table)."""
    return _plan_results(_json(scenario)).projection


def summary_cached(scenario: Scenario) -> Summary:
    """``metrics.summarize(scenario)``, cached: the very numbers the CLI prints."""
    return _plan_results(_json(scenario)).summaries[PLANS[0]]


def plan_summaries(scenario: Scenario) -> dict[str, Summary]:
    """``summarize`` of your mix, all-monthly and all-annual, keyed by ``metrics.PLANS``."""
    return _plan_results(_json(scenario)).summaries


def plan_comparison_cached(scenario: Scenario) -> pl.DataFrame:
    """``metrics.plan_comparison(scenario)``, cached: monthly totals of the three plans."""
    return _plan_results(_json(scenario)).comparison


def renewal_calendar_cached(scenario: Scenario) -> pl.DataFrame:
    """``metrics.renewal_calendar(scenario)``, cached."""
    return _renewal_calendar(_json(scenario))


def share_token(scenario: Scenario) -> str | None:
    """The share token of a scenario (cached), or None when it is too large for a link."""
    return _share_token(_json(scenario))[0]


def share_token_or_problem(scenario: Scenario) -> tuple[str | None, str | None]:
    """(token, None), or (None, why the scenario cannot be shared as a link)."""
    return _share_token(_json(scenario))
