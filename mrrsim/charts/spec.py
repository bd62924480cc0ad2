"""Vega-Lite specs from Altair charts, their polars data as named datasets."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import altair as alt
import polars as pl

__all__ = ["vega_spec"]

# Altair's data transformer is process-wide; each call of ``vega_spec`` enables ours briefly.
_TRANSFORMER_LOCK = threading.Lock()


def _named_dataset(data: Any, datasets: dict[str, Any]) -> dict[str, Any]:
    """Altair data transformer: a polars frame becomes a named dataset of the spec, kept as a
    frame (Streamlit sends a spec's datasets to the browser as Arrow; turning them into inline
    JSON values would go polars -> dicts -> pandas -> Arrow). The name is a hash of the frame's
    schema and rows, so charts of the same data share a name. Anything else stays inline."""
    if not isinstance(data, pl.DataFrame):
        return alt.utils.data.to_values(data)
    digest = hashlib.sha256(str(data.schema).encode())
    digest.update(data.hash_rows(seed=0).to_numpy().tobytes())
    name = "data-" + digest.hexdigest()[:20]
    datasets[name] = data
    return {"name": name}


alt.data_transformers.register("mrrsim_named", _named_dataset)


def vega_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """An Altair chart's Vega-Lite spec, its polars data as named datasets (frames).

    Built without Altair's JSON-schema validation, which costs more than building the chart
    (the chart tests validate every builder's spec instead). The chart fits its container's
    width but keeps the plot's own height: with Vega-Lite's default "fit", a container squeezes
    title, legend, axes and plot into the height, leaving a thin plot."""
    datasets: dict[str, Any] = {}
    with _TRANSFORMER_LOCK, alt.data_transformers.enable("mrrsim_named", datasets=datasets):
        spec = chart.to_dict(validate=False)
    spec.setdefault("autosize", {"type": "fit-x", "contains": "padding"})
    if datasets:
        spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec
