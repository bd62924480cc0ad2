"""The decision chart: one segment's value per new customer against the discount, with today,
the best discount and the break-even marked, in the scenario's currency."""

from __future__ import annotations

import json

from conftest import make

from mrrsim import charts, summarize
from mrrsim.decision import value_chart_frames


def test_one_segment_with_its_three_marks() -> None:
    sc = make(
        [
            {
                "name": "A",
                "list_price": 50,
                "new_customers": 9,
                "annual_share": 0.3,
                "annual_share_at_no_discount": 0.1,
                "monthly_churn": 0.03,
                "annual_churn": 0.2,
            },
            {"name": "B", "list_price": 900, "new_customers": 1, "monthly_churn": 0.01},
        ],
        currency="GBP",
    )
    curve, marks = value_chart_frames(sc, summarize(sc))
    spec = charts.vega_spec(charts.value_curve_chart(curve, marks, sc.currency, "A"))
    (data,) = spec["datasets"].values()
    assert set(data["segment"].to_list()) == {"A"}
    assert sorted(m for m in data["mark"].to_list() if m) == ["Best", "Break-even", "Today"]
    assert data.height == 121 + 3
    assert spec["title"]["text"] == "A"
    axis = spec["layer"][0]["encoding"]["y"]["axis"]
    assert axis["title"] == "Value per new customer (GBP)"
    assert json.dumps("£") in axis["labelExpr"]
    # Colour and shape of the marks share one legend: Vega-Lite merges them, no warning about
    # a "Conflicting legend property".
    points = spec["layer"][2]["encoding"]
    assert points["shape"]["legend"] == points["color"]["legend"]
    assert points["shape"]["scale"]["domain"] == points["color"]["scale"]["domain"]
