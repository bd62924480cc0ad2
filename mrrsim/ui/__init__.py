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

- ``ui.text``: pure formatting (money, percentages, counts, deltas), Markdown escaping of user
  text, field labels and units, validation problems in the editor's words, the break-even
  sentence. No Streamlit.
- ``ui.engine``: ``st.cache_data`` wrappers of the engine, keyed by ``scenario.model_dump_json()``.
- ``ui.editor``: the scenario in session state, the sidebar editor, the share link and the
  ``?s=`` query parameter, notices for bad links and invalid inputs.
- ``ui.widgets``: page header, full-width charts, money columns, Excel workbooks.

``app.py`` draws the frame on every run (``render_editor``, ``sync_query_params``,
``show_notices``) before the page runs; pages only read ``current_scenario()``.
"""

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
    plan_comparison_cached,
    plan_summaries,
    preset_cached,
    project_cached,
    renewal_calendar_cached,
    share_token,
    summary_cached,
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
    chart_spec,
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
    "break_even_sentence",
    "chart_spec",
    "csv_text",
    "current_scenario",
    "decision_inputs",
    "escape_md",
    "excel_bytes",
    "fmt_count",
    "fmt_delta_count",
    "fmt_delta_money",
    "fmt_delta_pct",
    "fmt_money",
    "fmt_pct",
    "humanize_problem",
    "input_problems",
    "load_scenario_into_editor",
    "money_column",
    "page_header",
    "plan_comparison_cached",
    "plan_summaries",
    "preset_cached",
    "project_cached",
    "render_editor",
    "renewal_calendar_cached",
    "share_control",
    "share_token",
    "show_chart",
    "show_notices",
    "show_spec",
    "summary_cached",
    "sync_query_params",
]
