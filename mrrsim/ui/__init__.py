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
from typing import Any

# Each module and the public names it gives ``mrrsim.ui``. Submodules load on first use, so
# ``import mrrsim.ui.text`` (pure) does not load Streamlit through ``editor`` or ``widgets``.
_EXPORTS = {
    "mrrsim.ui.editor": (
        "current_scenario decision_inputs DEFAULT_BASE_URL input_problems "
        "load_scenario_into_editor render_editor share_control share_url show_notices "
        "sync_query_params"
    ),
    "mrrsim.ui.engine": (
        "cohorts_cached comparison_cached decision_cached detection_cached detection_spec "
        "fan_specs heatmap_specs "
        "plan_comparison_cached plan_summaries preset_cached preset_titles "
        "project_cached renewal_calendar_cached sensitivity_grid_cached share_token "
        "share_token_or_problem simulation_cached "
        "summary_cached tornado_cached tornado_spec"
    ),
    "mrrsim.ui.text": (
        "DECISION_FIELDS escape_md humanize_problem md_amounts SCENARIO_FIELDS "
        "SEGMENT_FIELDS UNCERTAINTY_FIELDS"
    ),
    "mrrsim.formatting": (
        "fmt_count fmt_delta_count fmt_delta_money fmt_delta_pct fmt_money fmt_pct"
    ),
    "mrrsim.downloads": "csv_text excel_bytes",
    "mrrsim.ui.widgets": (
        "glossary_columns keep_widget_values money_column page_header show_chart show_spec"
    ),
}
_SOURCES = {name: module for module, names in _EXPORTS.items() for name in names.split()}


def __getattr__(name: str) -> Any:
    """``ui.<name>``: the name from its submodule, imported on first use (PEP 562)."""
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'mrrsim.ui' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = sorted(_SOURCES)
