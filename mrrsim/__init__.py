"""mrrsim: what-if planning for subscription billing (monthly vs annual prepaid, or a mix)."""

from mrrsim.billing import calibrate, history, read_export
from mrrsim.metrics import Summary, summarize, summarize_many
from mrrsim.montecarlo import simulate
from mrrsim.projection import all_annual, all_monthly, project, project_many
from mrrsim.scenario import Scenario, ScenarioError, Segment, Uncertainty, parse_scenario
from mrrsim.yamlio import dump_scenario, load_preset, load_scenario, loads_scenario, preset_names

__all__ = [
    "Scenario",
    "ScenarioError",
    "Segment",
    "Summary",
    "Uncertainty",
    "all_annual",
    "all_monthly",
    "calibrate",
    "dump_scenario",
    "history",
    "load_preset",
    "load_scenario",
    "loads_scenario",
    "parse_scenario",
    "preset_names",
    "project",
    "project_many",
    "read_export",
    "simulate",
    "summarize",
    "summarize_many",
]
