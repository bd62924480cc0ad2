"""Starting from actual billing data: read a subscription export (Baremetrics' import template
or Stripe's subscriptions), build its MRR history, and calibrate a scenario from it.

    from mrrsim.billing import read_export, history, calibrate

    export = read_export("subscriptions.csv")   # problems in export.problems, never raised
    table = history(export)                     # month, segment, term, customers, mrr, ...
    result = calibrate(export)                  # result.scenario, result.to_yaml()

No Streamlit, no pandas: polars for the data, numpy for the sample generator's draws.
"""

from mrrsim.billing.calibrate import Calibration, Estimate, calibrate
from mrrsim.billing.formats import Export, read_export
from mrrsim.billing.history import HISTORY_COLUMNS, history

__all__ = [
    "HISTORY_COLUMNS",
    "Calibration",
    "Estimate",
    "Export",
    "calibrate",
    "history",
    "read_export",
]
