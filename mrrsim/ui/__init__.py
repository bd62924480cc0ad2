"""The shared Streamlit toolkit of the mrrsim app (the only package outside ``app.py`` and
``pages/`` that imports Streamlit). Pages use it like this::

    from mrrsim import charts, ui

    scenario = ui.current_scenario()          # the last valid scenario being edited
    ui.page_header("Compare", scenario)       # title, then the scenario's name as plain text
    plans = ui.plan_summaries(scenario)       # summarize() of your mix / all-monthly / all-annual
    frame = ui.project_cached(scenario)       # engine calls, cached by the scenario's JSON
    st.metric("MRR", ui.fmt_money(plans["Your mix"]["ending_mrr"], scenario.currency))
    ui.show_chart(charts.plan_chart(...))     # a full-width Altair chart

Modules:

- ``ui.text``: Markdown escaping of user text, field labels and units, validation problems in
  the editor's words, the break-even sentence; money, percentages and counts from
  ``mrrsim.formatting``. No Streamlit: ``import mrrsim.ui.text`` does not load it, because
  this package loads its submodules on first use.
- ``ui.compat``: the one Streamlit internal mrrsim touches (the legacy pages-folder mode).
- ``ui.engine``: every ``st.cache_data`` of the app: engine calls (and the chart specs drawn
  from them), a scenario hashed by ``scenario.model_dump_json()``.
- ``ui.editor``: the scenario in session state, the sidebar editor, the share link and the
  ``?s=`` query parameter, notices for bad links and invalid inputs.
- ``ui.widgets``: page header, full-width charts, money columns, Excel workbooks.

``app.py`` draws the frame on every run (``render_editor``, ``sync_query_params``,
``show_notices``) before the page runs; pages only read ``current_scenario()``.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Each public name and the submodule it comes from. Submodules load on first use, so
# ``import mrrsim.ui.text`` (pure) does not load Streamlit through ``editor`` or ``widgets``.
_SOURCES = {
    "DEFAULT_BASE_URL": "editor",
    "current_scenario": "editor",
    "decision_inputs": "editor",
    "input_problems": "editor",
    "load_scenario_into_editor": "editor",
    "render_editor": "editor",
    "share_control": "editor",
    "show_notices": "editor",
    "sync_query_params": "editor",
    "cohorts_cached": "engine",
    "comparison_cached": "engine",
    "decision_cached": "engine",
    "detection_cached": "engine",
    "detection_spec": "engine",
    "fan_specs": "engine",
    "heatmap_specs": "engine",
    "plan_comparison_cached": "engine",
    "plan_summaries": "engine",
    "preset_cached": "engine",
    "preset_titles": "engine",
    "project_cached": "engine",
    "renewal_calendar_cached": "engine",
    "sensitivity_grid_cached": "engine",
    "share_token": "engine",
    "share_token_or_problem": "engine",
    "simulation_cached": "engine",
    "summary_cached": "engine",
    "tornado_cached": "engine",
    "tornado_spec": "engine",
    "DECISION_FIELDS": "text",
    "SCENARIO_FIELDS": "text",
    "SEGMENT_FIELDS": "text",
    "UNCERTAINTY_FIELDS": "text",
    "escape_md": "text",
    "fmt_count": "text",
    "fmt_delta_count": "text",
    "fmt_delta_money": "text",
    "fmt_delta_pct": "text",
    "fmt_money": "text",
    "fmt_pct": "text",
    "humanize_problem": "text",
    "csv_text": "widgets",
    "excel_bytes": "widgets",
    "money_column": "widgets",
    "page_header": "widgets",
    "show_chart": "widgets",
    "show_spec": "widgets",
}


def __getattr__(name: str) -> Any:
    """``ui.<name>``: the name from its submodule, imported on first use (PEP 562)."""
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'mrrsim.ui' has no attribute {name!r}")
    value = getattr(import_module(f"mrrsim.ui.{module}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from mrrsim.ui.editor import (
        DEFAULT_BASE_URL,
        current_scenario,
        decision_inputs,
        input_problems,
        load_scenario_into_editor,
        render_editor,
        share_control,
        show_notices,
        sync_query_params,
    )
    from mrrsim.ui.engine import (
        cohorts_cached,
        comparison_cached,
        decision_cached,
        detection_cached,
        detection_spec,
        fan_specs,
        heatmap_specs,
        plan_comparison_cached,
        plan_summaries,
        preset_cached,
        preset_titles,
        project_cached,
        renewal_calendar_cached,
        sensitivity_grid_cached,
        share_token,
        share_token_or_problem,
        simulation_cached,
        summary_cached,
        tornado_cached,
        tornado_spec,
    )
    from mrrsim.ui.text import (
        DECISION_FIELDS,
        SCENARIO_FIELDS,
        SEGMENT_FIELDS,
        UNCERTAINTY_FIELDS,
        escape_md,
        fmt_count,
        fmt_delta_count,
        fmt_delta_money,
        fmt_delta_pct,
        fmt_money,
        fmt_pct,
        humanize_problem,
    )
    from mrrsim.ui.widgets import (
        csv_text,
        excel_bytes,
        money_column,
        page_header,
        show_chart,
        show_spec,
    )

__all__ = [
    "DECISION_FIELDS",
    "DEFAULT_BASE_URL",
    "SCENARIO_FIELDS",
    "SEGMENT_FIELDS",
    "UNCERTAINTY_FIELDS",
    "cohorts_cached",
    "comparison_cached",
    "csv_text",
    "current_scenario",
    "decision_cached",
    "decision_inputs",
    "detection_cached",
    "detection_spec",
    "escape_md",
    "excel_bytes",
    "fan_specs",
    "fmt_count",
    "fmt_delta_count",
    "fmt_delta_money",
    "fmt_delta_pct",
    "fmt_money",
    "fmt_pct",
    "heatmap_specs",
    "humanize_problem",
    "input_problems",
    "load_scenario_into_editor",
    "money_column",
    "page_header",
    "plan_comparison_cached",
    "plan_summaries",
    "preset_cached",
    "preset_titles",
    "project_cached",
    "render_editor",
    "renewal_calendar_cached",
    "sensitivity_grid_cached",
    "share_control",
    "share_token",
    "share_token_or_problem",
    "show_chart",
    "show_notices",
    "show_spec",
    "simulation_cached",
    "summary_cached",
    "sync_query_params",
    "tornado_cached",
    "tornado_spec",
]
