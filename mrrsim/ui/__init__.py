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
- ``ui.widgets``: page header, full-width charts, money columns (CSV and Excel downloads come
  from ``mrrsim.downloads``).

``app.py`` draws the frame on every run (``render_editor``, ``sync_query_params``,
``show_notices``) before the page runs; pages only read ``current_scenario()``.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Each public name and the submodule it comes from. Submodules load on first use, so
# ``import mrrsim.ui.text`` (pure) does not load Streamlit through ``editor`` or ``widgets``.
_SOURCES = {
    "DEFAULT_BASE_URL": "mrrsim.ui.editor",
    "current_scenario": "mrrsim.ui.editor",
    "decision_inputs": "mrrsim.ui.editor",
    "input_problems": "mrrsim.ui.editor",
    "load_scenario_into_editor": "mrrsim.ui.editor",
    "render_editor": "mrrsim.ui.editor",
    "share_control": "mrrsim.ui.editor",
    "show_notices": "mrrsim.ui.editor",
    "sync_query_params": "mrrsim.ui.editor",
    "cohorts_cached": "mrrsim.ui.engine",
    "comparison_cached": "mrrsim.ui.engine",
    "fan_specs": "mrrsim.ui.engine",
    "heatmap_specs": "mrrsim.ui.engine",
    "plan_comparison_cached": "mrrsim.ui.engine",
    "plan_summaries": "mrrsim.ui.engine",
    "preset_cached": "mrrsim.ui.engine",
    "preset_titles": "mrrsim.ui.engine",
    "project_cached": "mrrsim.ui.engine",
    "renewal_calendar_cached": "mrrsim.ui.engine",
    "sensitivity_grid_cached": "mrrsim.ui.engine",
    "share_token": "mrrsim.ui.engine",
    "share_token_or_problem": "mrrsim.ui.engine",
    "signal_cached": "mrrsim.ui.engine",
    "signal_spec": "mrrsim.ui.engine",
    "simulation_cached": "mrrsim.ui.engine",
    "summary_cached": "mrrsim.ui.engine",
    "tornado_cached": "mrrsim.ui.engine",
    "tornado_spec": "mrrsim.ui.engine",
    "DECISION_FIELDS": "mrrsim.ui.text",
    "SCENARIO_FIELDS": "mrrsim.ui.text",
    "SEGMENT_FIELDS": "mrrsim.ui.text",
    "UNCERTAINTY_FIELDS": "mrrsim.ui.text",
    "break_even_sentence": "mrrsim.ui.text",
    "escape_md": "mrrsim.ui.text",
    "fmt_count": "mrrsim.ui.text",
    "fmt_delta_count": "mrrsim.ui.text",
    "fmt_delta_money": "mrrsim.ui.text",
    "fmt_delta_pct": "mrrsim.ui.text",
    "fmt_money": "mrrsim.ui.text",
    "fmt_pct": "mrrsim.ui.text",
    "humanize_problem": "mrrsim.ui.text",
    "csv_text": "mrrsim.downloads",
    "excel_bytes": "mrrsim.downloads",
    "money_column": "mrrsim.ui.widgets",
    "page_header": "mrrsim.ui.widgets",
    "show_chart": "mrrsim.ui.widgets",
    "show_spec": "mrrsim.ui.widgets",
}


def __getattr__(name: str) -> Any:
    """``ui.<name>``: the name from its submodule, imported on first use (PEP 562)."""
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'mrrsim.ui' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from mrrsim.downloads import csv_text, excel_bytes
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
        signal_cached,
        signal_spec,
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
        break_even_sentence,
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
    "break_even_sentence",
    "cohorts_cached",
    "comparison_cached",
    "csv_text",
    "current_scenario",
    "decision_inputs",
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
    "signal_cached",
    "signal_spec",
    "simulation_cached",
    "summary_cached",
    "sync_query_params",
    "tornado_cached",
    "tornado_spec",
]
