"""mrrsim.charts.style: the shared look. User text in Vega expressions is quoted, months get
a continuous or banded axis, plans keep their colours, reference lines carry their labels."""

from __future__ import annotations

import json

import polars as pl

from mrrsim.charts import style
from mrrsim.formatting import currency_symbol


def test_currency_text_is_quoted_inside_vega_expressions() -> None:
    hostile = "X'); alert(1); ('"
    expr = style.money_expr("mrr", hostile)
    assert json.dumps(currency_symbol(hostile)) in expr
    assert style.money_axis("MRR", hostile).labelExpr.count(json.dumps(currency_symbol(hostile)))


def test_month_axis_for_lines_and_bars() -> None:
    frame = pl.DataFrame({"month": list(range(1, 61))})
    line = style.month_x(frame).to_dict()
    assert line["type"] == "quantitative" and line["scale"]["domain"] == [1, 60]
    bars = style.month_x(frame, bars=True).to_dict()
    assert bars["type"] == "ordinal"
    assert "datum.value % 6 == 0" in bars["axis"]["labelExpr"]  # 49-72 months: every 6th


def test_plan_colours_follow_the_plan_not_the_position() -> None:
    color = style.plan_color(["All annual", "Other", "Your mix"]).to_dict()
    assert color["scale"]["domain"] == ["Your mix", "All annual", "Other"]
    assert color["scale"]["range"] == [style.PLAN_COLORS[0], style.PLAN_COLORS[2], style.GREY]


def test_reference_rules_carry_their_labels() -> None:
    rules = style.reference_rules([1.0, 4.0], ["flat", "strong"])
    assert rules.data.to_dicts() == [{"y": 1.0, "label": "flat"}, {"y": 4.0, "label": "strong"}]
    assert rules.to_dict()["encoding"]["tooltip"][0]["field"] == "label"
