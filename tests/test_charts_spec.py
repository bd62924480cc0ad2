"""mrrsim.charts.spec: a chart's polars data leaves as named datasets (frames, for Streamlit to
send as Arrow), named by content, and the spec fits the container's width."""

from __future__ import annotations

import altair as alt
import polars as pl

from mrrsim.charts import vega_spec


def _chart(frame: pl.DataFrame) -> alt.Chart:
    return alt.Chart(frame).mark_line().encode(x="month:Q", y="value:Q")


def test_polars_data_becomes_a_named_dataset_kept_as_a_frame() -> None:
    frame = pl.DataFrame({"month": [1, 2], "value": [1.0, 2.0]})
    spec = vega_spec(_chart(frame))
    (name,) = spec["datasets"]
    assert spec["data"] == {"name": name}
    assert spec["datasets"][name].equals(frame)  # the frame itself (made Vega-safe), no JSON
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}


def test_dataset_names_follow_the_content() -> None:
    a = pl.DataFrame({"month": [1, 2], "value": [1.0, 2.0]})
    same = pl.DataFrame({"month": [1, 2], "value": [1.0, 2.0]})
    other = pl.DataFrame({"month": [1, 2], "value": [1.0, 2.5]})
    assert set(vega_spec(_chart(a))["datasets"]) == set(vega_spec(_chart(same))["datasets"])
    assert set(vega_spec(_chart(a))["datasets"]) != set(vega_spec(_chart(other))["datasets"])


def test_layers_with_their_own_data_each_get_a_dataset() -> None:
    a = pl.DataFrame({"month": [1], "value": [1.0]})
    b = pl.DataFrame({"month": [1], "value": [9.0]})
    spec = vega_spec(alt.layer(_chart(a), _chart(b)))
    assert len(spec["datasets"]) == 2
    assert alt.data_transformers.active != "mrrsim_named"  # Altair's setting is left as it was
