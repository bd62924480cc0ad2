"""What reaches Vega cannot break it: line and paragraph separators in names (Vega's expression
parser ends a string at U+2028/U+2029: "Unexpected token ILLEGAL", a blank chart) and numbers
so close to zero that Vega's axis ticks overflow (a list price of 5e-324). Also the currency
text in Markdown cells. The browser test ``test_hostile_names_currency_and_tiny_prices_draw_every_chart``
checks the same in Chromium."""

from __future__ import annotations

import json

import polars as pl

from mrrsim import charts, load_preset, parse_scenario, project
from mrrsim.charts.spec import vega_safe
from mrrsim.formatting import fmt_delta_money, fmt_money
from mrrsim.sensitivity import tornado
from mrrsim.ui.text import escape_md, md_amounts

SEPARATORS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def _scenario(**changes: object) -> object:
    data = load_preset("three-tier-pricing").to_dict()
    data["segments"][0]["name"] = "Starter\u2028line"
    data["segments"][1]["name"] = "Pro\u2029para\x85nel"
    data.update(changes)
    return parse_scenario(data)


def _strings_and_floats(spec: dict) -> tuple[list[str], list[float]]:
    """Every text and float in a spec, its Arrow datasets included."""
    texts: list[str] = []
    floats: list[float] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, float):
            floats.append(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    datasets = spec.pop("datasets", {})
    walk(spec)
    for data in datasets.values():
        walk(data.to_dicts() if isinstance(data, pl.DataFrame) else data)
    return texts, floats


def test_vega_safe_replaces_line_breaks_and_flushes_tiny_numbers() -> None:
    frame = pl.DataFrame({"name": ["a\u2028b", "c\u2029d\ne"], "x": [5e-324, -1e-250], "n": [1, 2]})
    safe = vega_safe(frame)
    assert safe.get_column("name").to_list() == ["a b", "c d e"]
    assert safe.get_column("x").to_list() == [0.0, 0.0]
    assert safe.get_column("n").to_list() == [1, 2]
    clean = pl.DataFrame({"name": ["a b"], "x": [0.0], "y": [1e-10]})
    assert vega_safe(clean) is clean  # nothing to change: the same frame, no copy
    assert vega_safe(clean.head(0)) is not None
    assert vega_safe({"sort": ["a\u2028b", 1e-300, 1e-199, 2.5, True]}) == {
        "sort": ["a b", 0.0, 1e-199, 2.5, True]
    }


def test_segment_chart_spec_holds_no_line_separator() -> None:
    scenario = _scenario()
    spec = charts.vega_spec(charts.mrr_by_segment_term_chart(project(scenario), scenario.currency))
    texts, _ = _strings_and_floats(spec)
    assert any("Starter line" in t for t in texts)  # the names are there, as one line
    assert not [t for t in texts if any(c in t for c in SEPARATORS)]
    assert "\\u2028" not in json.dumps(spec)


def test_a_tiny_list_price_gives_a_tornado_of_zeros_not_subnormals() -> None:
    data = load_preset("three-tier-pricing").to_dict()
    for segment in data["segments"]:
        segment["list_price"] = 5e-324
    scenario = parse_scenario(data)
    frame = tornado(scenario)
    raw = charts.tornado_long(frame, "ending_arr", 0.2)
    assert 0 < raw.get_column("value").abs().max() < 1e-300  # the engine's exact, tiny values
    spec = charts.vega_spec(charts.tornado_chart(frame, "ending_arr", 0.2, "USD"))
    _, floats = _strings_and_floats(spec)
    assert floats and all(x == 0.0 or abs(x) >= 1e-200 for x in floats)


def test_a_currency_of_user_text_is_escaped_where_markdown_reads_it() -> None:
    value = md_amounts(fmt_money(1_234_567, "$x$"), "$x$")
    assert value == escape_md("$x$ ") + "1.23M"
    assert md_amounts(fmt_money(-950, "**X**"), "**X**") == "\u2212" + escape_md("**X** ") + "950"
    delta = md_amounts(fmt_delta_money(-2_500, "$x$"), "$x$")
    assert delta.startswith("\u2212\\$x\\$ ")  # the sign stays first
    assert md_amounts(fmt_delta_money(0.1, "$x$"), "$x$") == "±\\$x\\$ 0"
    sentence = f"{fmt_money(10, '$x$')} and {fmt_money(20, '$x$')}"
    assert md_amounts(sentence, "$x$") == "\\$x\\$ 10 and \\$x\\$ 20"
    assert md_amounts("$1.23M (-$5k)", "USD") == "$1.23M (-$5k)"  # '$' before a digit: text
    assert md_amounts("€5", "EUR") == "€5"
