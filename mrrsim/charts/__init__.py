"""Altair charts for the planning pages: pure functions from polars frames to Altair charts.

Every builder selects (and where needed aggregates) only the columns it draws before handing
data to Altair, because every row of a chart's data goes to the browser. Money axes carry the
scenario's currency in their title and a compact label ("$1.2M", "€450k"); tooltips show full
amounts ("$1,234,567"). Nothing here imports Streamlit, so charts are testable alone.

Modules: ``style`` (colours, heights, legends, axes, tooltips, reference lines: the shared
look, defined once), one module per family (``planner``, ``predictability``, ``sensitivity``,
``compare``, ``cohorts``) and ``spec`` (Vega-Lite specs with named polars datasets). Every
builder is re-exported here: ``from mrrsim import charts; charts.plan_chart(...)``.
"""

from mrrsim.charts.cohorts import COHORT_TERM_LABELS, cohort_heatmap, retention_curve_chart
from mrrsim.charts.compare import scenario_lines_chart
from mrrsim.charts.decision import value_curve_chart
from mrrsim.charts.planner import (
    cash_revenue_chart,
    cumulative_cash_chart,
    customers_by_term_chart,
    deferred_revenue_chart,
    movements_chart,
    mrr_by_segment_term_chart,
    plan_chart,
    plan_gap_chart,
    quick_ratio_chart,
    renewal_chart,
)
from mrrsim.charts.predictability import FAN_SERIES, detection_chart, fan_chart, fan_y_max
from mrrsim.charts.sensitivity import grid_heatmap, tornado_chart, tornado_long
from mrrsim.charts.spec import vega_spec
from mrrsim.charts.style import (
    HEIGHT,
    MOVEMENTS,
    PLAN_COLORS,
    PLAN_ORDER,
    SMALL_HEIGHT,
    money_axis,
    money_expr,
)
from mrrsim.formatting import currency_symbol

__all__ = [
    "COHORT_TERM_LABELS",
    "FAN_SERIES",
    "HEIGHT",
    "MOVEMENTS",
    "PLAN_COLORS",
    "PLAN_ORDER",
    "SMALL_HEIGHT",
    "cash_revenue_chart",
    "cohort_heatmap",
    "cumulative_cash_chart",
    "currency_symbol",
    "customers_by_term_chart",
    "deferred_revenue_chart",
    "detection_chart",
    "fan_chart",
    "fan_y_max",
    "grid_heatmap",
    "money_axis",
    "money_expr",
    "movements_chart",
    "mrr_by_segment_term_chart",
    "plan_chart",
    "plan_gap_chart",
    "quick_ratio_chart",
    "renewal_chart",
    "retention_curve_chart",
    "scenario_lines_chart",
    "tornado_chart",
    "tornado_long",
    "value_curve_chart",
    "vega_spec",
]
