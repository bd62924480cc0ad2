"""Vega-Lite specs from Altair charts, their polars data as named datasets."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import altair as alt
import polars as pl

__all__ = ["vega_safe", "vega_spec"]

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


# Vega's expression parser (JavaScript's rules before 2019) ends a string literal at U+2028 and
# U+2029, and Vega-Lite writes data values into expressions (sort orders, legends), so a name
# holding one blanked the chart ("Unexpected token ILLEGAL"): every line break becomes a space.
# Vega computes axis ticks from powers of ten of the data's span, which overflow for subnormal
# numbers (a list price of 5e-324 broke the axes and emptied the tornado): amounts nearer zero
# than _TINY are drawn as zero.
_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_TO_SPACE = str.maketrans(dict.fromkeys(_LINE_BREAKS, " "))
_TINY = 1e-200


def vega_safe(value: Any) -> Any:
    """What Vega can draw: ``value`` (a spec's JSON parts or a polars frame) with every line
    break in text replaced by a space and every float nearer zero than 1e-200 set to 0."""
    if isinstance(value, str):
        return value.translate(_TO_SPACE)
    if isinstance(value, float):
        return 0.0 if abs(value) < _TINY else value
    if isinstance(value, dict):
        return {vega_safe(k): vega_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [vega_safe(v) for v in value]
    if isinstance(value, pl.DataFrame):
        return _vega_safe_frame(value)
    return value


def _vega_safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``vega_safe`` of a frame: the same frame when nothing in it needs changing (the usual
    case, no copy), else one with line breaks and tiny floats replaced."""
    texts = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    floats = [name for name, dtype in frame.schema.items() if dtype.is_float()]
    if not texts and not floats:
        return frame
    breaks = f"[{_LINE_BREAKS}]"
    tiny = [(pl.col(n).abs() < _TINY) & (pl.col(n) != 0) for n in floats]
    found = [pl.col(n).str.contains(breaks).any() for n in texts] + [t.any() for t in tiny]
    if not frame.select(pl.any_horizontal(found)).item():
        return frame
    return frame.with_columns(
        *(pl.col(n).str.replace_all(breaks, " ").alias(n) for n in texts),
        *(
            pl.when(t).then(0.0).otherwise(pl.col(n)).cast(frame.schema[n]).alias(n)
            for n, t in zip(floats, tiny, strict=True)
        ),
    )


def vega_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """An Altair chart's Vega-Lite spec, its polars data as named datasets (frames).

    Built without Altair's JSON-schema validation, which costs more than building the chart
    (the chart tests validate every builder's spec instead). The chart fits its container's
    width but keeps the plot's own height: with Vega-Lite's default "fit", a container squeezes
    title, legend, axes and plot into the height, leaving a thin plot. Spec and data are
    ``vega_safe``: user text and extreme numbers cannot break Vega."""
    datasets: dict[str, Any] = {}
    with _TRANSFORMER_LOCK, alt.data_transformers.enable("mrrsim_named", datasets=datasets):
        spec = vega_safe(chart.to_dict(validate=False))
    spec.setdefault("autosize", {"type": "fit-x", "contains": "padding"})
    if datasets:
        spec["datasets"] = {**spec.get("datasets", {}), **vega_safe(datasets)}
    return spec
