"""Helpers for the chart tests: the data a chart (or one layer) draws, its validated spec, and
monthly sums of projection columns."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl


def data_of(chart: alt.TopLevelMixin, layer: int = 0) -> pl.DataFrame:
    """The frame a chart (or one layer of a layered chart) draws."""
    part = chart.layer[layer] if isinstance(chart, alt.LayerChart) else chart
    data = part.data if isinstance(part.data, pl.DataFrame) else chart.data  # shared by layers
    assert isinstance(data, pl.DataFrame)
    return data


def spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec (validated by Altair) without the inline data."""
    out = chart.to_dict()
    out.pop("datasets", None)
    return out


def encodings(chart: alt.TopLevelMixin) -> list[dict[str, Any]]:
    s = spec(chart)
    return [layer["encoding"] for layer in s.get("layer", [s])]


def month_sum(frame: pl.DataFrame, column: str, by: str | None = None) -> pl.Series:
    keys = ["month", by] if by else ["month"]
    return frame.group_by(keys).agg(pl.col(column).sum()).sort(keys).get_column(column)
