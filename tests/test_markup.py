"""User text is shown as text, never as markup: scenario names, segment names, descriptions and
currencies holding HTML, Markdown or LaTeX reach every page through a share link and must appear
only in plain-text elements (``st.text``, code, data frames, chart data) or escaped with
``ui.escape_md`` wherever Streamlit renders Markdown (markdown, captions, alerts, metrics, tables,
widget labels, expander and tab labels). Downloads carry the raw text unchanged, and the app's
Streamlit settings keep uploads small, XSRF protection on and error details hidden.
"""

from __future__ import annotations

import io
import json
import re
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from mrrsim import share, ui
from mrrsim.metrics import summarize
from mrrsim.projection import project
from mrrsim.scenario import Scenario, ScenarioError, parse_scenario
from mrrsim.ui import escape_md
from mrrsim.yamlio import dump_scenario, loads_scenario

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
TIMEOUT = 120

# Fragments that would turn into markup if a Markdown renderer saw them unescaped.
HOSTILE_SEGMENTS = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "**bold** _it_ :red[x] ~~s~~",
    "[link](javascript:alert(1))",
    "# heading $x^2$ ![i](//e.vu/p.png)",
)
HOSTILE_NAME = "<b>Acme</b> **Q3** [x](javascript:alert(1)) $y$ `c`"
HOSTILE_DESCRIPTION = (
    "# Plan\n<script>alert(2)</script> **b** [l](javascript:alert(3)) $$x$$\n\n"
    + "a very long line of text " * 60
).strip()
# Raw pieces of the hostile text above: each holds a character ``escape_md`` escapes, so it
# can only appear in rendered Markdown if the user's text went in unescaped. (The app's own
# Markdown, such as its bold headings, does not contain them.)
MARKERS = (
    "<img src=x",
    "<script>",
    "<b>Acme",
    "**bold**",
    "**Q3**",
    "_it_",
    ":red[x]",
    "~~s~~",
    "](javascript:",
    "](//e.vu",
    "# heading",
    "# Plan",
    "$x^2$",
    "$y$",
    "$$x$$",
    "`c`",
    "**€**",
)
MARKDOWN_BODY = {
    "markdown",
    "caption",
    "title",
    "header",
    "subheader",
    "error",
    "warning",
    "info",
    "success",
    "toast",
    "latex",
}
WITH_OPTIONS = {"radio", "button_group"}


def hostile_scenario(currency: str = "EUR") -> Scenario:
    return parse_scenario(
        {
            "name": HOSTILE_NAME,
            "description": HOSTILE_DESCRIPTION,
            "currency": currency,
            "segments": [
                {
                    "name": name,
                    "list_price": 40 + 10 * i,
                    "new_customers": 20,
                    "acquisition_growth": 0.01,
                    "annual_share": 0.4,
                    "monthly_churn": 0.03,
                    "annual_churn": 0.12,
                    "monthly_expansion": 0.004,
                    "annual_expansion": 0.03,
                    "existing_monthly_customers": 200,
                    "existing_annual_customers": 80,
                }
                for i, name in enumerate(HOSTILE_SEGMENTS)
            ],
        }
    )


def unescaped(text: str) -> list[str]:
    """The raw (unescaped) pieces of hostile user text in ``text``."""
    return [m for m in MARKERS if re.search(r"(?<!\\)" + re.escape(m), text)]


def nodes(node: Any) -> Iterator[Any]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from nodes(child)


def markdown_texts(at: AppTest) -> Iterator[tuple[str, str]]:
    """(element type, text) for every piece of text Streamlit renders as Markdown."""
    for node in nodes(at._tree):
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        fields = ["body"] if kind in MARKDOWN_BODY else []
        fields += ["label", "help", "delta", "delta_description", "placeholder"]
        if kind == "metric":
            fields.append("body")
        for field in fields:
            value = getattr(proto, field, None)
            if isinstance(value, str) and value:
                yield kind, value
        if kind in WITH_OPTIONS:
            for option in getattr(node, "options", []) or []:
                yield f"{kind} option", str(option)
        if kind == "table":
            frame = node.value
            yield "table header", " | ".join(map(str, frame.columns))
            for row in frame.astype(str).itertuples(index=False):
                yield "table cell", " | ".join(row)


def markup_problems(at: AppTest) -> list[tuple[str, str, list[str]]]:
    return [
        (kind, text[:120], found) for kind, text in markdown_texts(at) if (found := unescaped(text))
    ]


def run_page(token: str, page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params[share.QUERY_KEY] = token
    at.run()
    if page is not None:
        at.switch_page(f"pages/{page}").run()
    return at


PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))


@pytest.fixture(scope="module")
def hostile() -> Scenario:
    return hostile_scenario()


@pytest.fixture(scope="module")
def planner(hostile: Scenario) -> AppTest:
    return run_page(share.encode(hostile))


# --- the checker itself can fail -------------------------------------------------------------


def _markup_app() -> None:
    import streamlit as st

    from mrrsim.ui import escape_md

    st.markdown("**App's own bold**, then a user's **bold** _it_")
    st.caption(escape_md("**bold** from a user, escaped, is fine"))
    st.metric("Label", "$y$ 5")


def test_the_checker_flags_unescaped_markdown() -> None:
    at = AppTest.from_function(_markup_app).run()
    assert not at.exception
    found = {(kind, tuple(markers)) for kind, _, markers in markup_problems(at)}
    assert found == {("markdown", ("**bold**", "_it_")), ("metric", ("$y$",))}
    assert unescaped(escape_md(HOSTILE_NAME)) == []
    assert unescaped(HOSTILE_NAME) == ["<b>Acme", "**Q3**", "](javascript:", "$y$", "`c`"]
    for text in (*HOSTILE_SEGMENTS, HOSTILE_NAME, HOSTILE_DESCRIPTION):
        assert unescaped(text) and not unescaped(escape_md(text))


# --- the running app -------------------------------------------------------------------------


def test_the_link_carries_the_hostile_text_exactly(hostile: Scenario) -> None:
    back = share.decode(share.encode(hostile))
    assert back.name == HOSTILE_NAME
    assert [s.name for s in back.segments] == list(HOSTILE_SEGMENTS)
    assert back.description.startswith("# Plan\n<script>alert(2)</script>")


def test_planner_shows_user_text_as_text_only(planner: AppTest, hostile: Scenario) -> None:
    assert not planner.exception
    assert planner.session_state["mrrsim.valid"] == share.decode(share.encode(hostile))
    assert markup_problems(planner) == []
    # The name is shown, as plain text, right under the title.
    assert HOSTILE_NAME in [t.value for t in planner.text]
    labels = [e.label for e in planner.sidebar.expander]
    for name in HOSTILE_SEGMENTS:
        assert escape_md(name) in labels


def test_no_raw_html_reaches_the_page(planner: AppTest) -> None:
    kinds = {getattr(n, "type", "") for n in nodes(planner._tree)}
    assert "html" not in kinds
    for node in nodes(planner._tree):
        if getattr(node, "type", "") == "markdown":
            assert not node.proto.allow_html, node.proto.body[:80]


@pytest.mark.parametrize("page", [p for p in PAGES if p != "planner.py"])
def test_every_page_shows_user_text_as_text_only(page: str, hostile: Scenario) -> None:
    at = run_page(share.encode(hostile), page)
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] != ["Planner"] or page == "planner.py"
    assert markup_problems(at) == []
    for node in nodes(at._tree):
        if getattr(node, "type", "") == "markdown":
            assert not node.proto.allow_html, node.proto.body[:80]


def test_charts_take_user_text_as_data_and_plain_titles(planner: AppTest) -> None:
    """Segment names reach Vega-Lite only as data values (drawn as text), never inside a Vega
    expression where they could be evaluated. The data travels as Arrow datasets beside the
    spec, and the names must be among its values."""
    protos = [n.proto for n in nodes(planner._tree) if getattr(n, "type", "") == "vega_lite_chart"]
    assert protos
    seen: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for item in value:
                walk(item, f"{path}[]")
        elif isinstance(value, str) and any(m in value for m in ("<img", "javascript", "**")):
            seen.append(path)
            assert not re.search(r"(expr|Expr|calculate|filter|test|signal)(\[\])?$", path), path

    in_data: set[str] = set()
    for proto in protos:
        walk(json.loads(proto.spec), "")
        for dataset in proto.datasets:
            frame = pl.read_ipc_stream(io.BytesIO(dataset.data.data))
            for column in frame.select(pl.col(pl.String)).columns:
                in_data |= set(frame.get_column(column).drop_nulls().to_list())
    assert set(HOSTILE_SEGMENTS) <= in_data  # it is in the chart data, as values


def test_markup_in_the_currency_is_refused_by_the_model() -> None:
    """The currency prefixes every money figure (metrics, tables, sentences), so the model only
    accepts codes and symbols; a link carrying markup there is refused like any bad link."""
    with pytest.raises(ScenarioError, match=r"currency: must be a currency code or symbol"):
        hostile_scenario(currency="**€**")
    for fine in ("USD", "US$", "€", "CHF", "R$", "kr."):
        assert hostile_scenario(currency=fine).currency == fine


def test_problems_in_the_editor_are_shown_escaped() -> None:
    """A duplicate segment name is echoed in the error next to the input: escaped."""
    at = run_page(share.encode(hostile_scenario()))
    second = at.session_state["mrrsim.seg_ids"][1]
    at.session_state[f"ed.seg.{second}.name"] = HOSTILE_SEGMENTS[0]
    at.run()
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert errors  # the duplicate is reported ...
    assert all(unescaped(e) == [] for e in errors), errors  # ... as text


# --- downloads and files ---------------------------------------------------------------------


def test_downloads_carry_the_raw_text_unchanged(hostile: Scenario) -> None:
    csv = project(hostile).write_csv()
    back = pl.read_csv(io.StringIO(csv))
    assert sorted(set(back["segment"])) == sorted(HOSTILE_SEGMENTS)
    yaml_text = dump_scenario(hostile)
    assert loads_scenario(yaml_text) == hostile
    summary = json.dumps(
        {"scenario": hostile.to_dict(), "summary": summarize(hostile).to_dict()},
        ensure_ascii=False,
    )
    data = json.loads(summary)
    assert data["scenario"]["name"] == HOSTILE_NAME
    assert data["scenario"]["description"] == HOSTILE_DESCRIPTION
    assert [s["name"] for s in data["scenario"]["segments"]] == list(HOSTILE_SEGMENTS)


FORMULAS = ("=1+1", '=HYPERLINK("http://e.vu","x")', "+SUM(A1)", "-2+3", "@cmd", "\tx")


def test_downloads_never_hand_a_spreadsheet_a_formula() -> None:
    """A segment name from someone else's link must not run in Excel: the workbook stores it
    as text, and the CSV neutralises it with an apostrophe (numbers unchanged)."""
    frame = pl.DataFrame({"segment": [*FORMULAS, "Growth"], "mrr": [-1.5, 2.0, 3.0, 4, 5, 6, 7]})
    sheet = zipfile.ZipFile(io.BytesIO(ui.excel_bytes({"Projection": frame})))
    cells = sheet.read("xl/worksheets/sheet1.xml").decode()
    strings = sheet.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in cells and "hyperlink" not in cells.lower()
    assert all(escape(name) in strings for name in FORMULAS[:-1])  # kept as text, unchanged
    back = pl.read_csv(io.StringIO(ui.csv_text(frame)))
    assert back["segment"].to_list() == [f"'{name}" for name in FORMULAS] + ["Growth"]
    assert back["mrr"].to_list() == frame["mrr"].to_list()


# --- Streamlit settings ----------------------------------------------------------------------


def test_streamlit_settings_suit_a_public_app() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == 1  # MB; a scenario is a few KB
    assert config["server"]["enableXsrfProtection"] is True
    # Streamlit turns XSRF protection off when CORS is off; keep CORS on with it.
    assert config["server"].get("enableCORS", True) is True
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["showErrorDetails"] in ("none", False)
    # Streamlit's own "Download as CSV" (tables, chart table views) writes =HYPERLINK(...)
    # names unescaped; the app's downloads are the only way out (test_browser checks the button).
    assert config["client"]["disableDataExport"] is True


def test_streamlit_settings_keep_reruns_cheap_for_many_users() -> None:
    """Two defaults meant for development cost over half the server's CPU per rerun under load
    (py-spy, benchmarks/bench_load.py): polling the source files for changes, and a full
    ``gc.collect(2)`` after every run."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"
    assert config["runner"]["postScriptGC"] is False


def test_the_upload_limit_is_what_streamlit_enforces() -> None:
    at = run_page(share.encode(hostile_scenario()))
    uploaders = [n for n in nodes(at._tree) if getattr(n, "type", "") == "file_uploader"]
    assert uploaders
    assert {u.proto.max_upload_size_mb for u in uploaders} == {1}


# --- the code --------------------------------------------------------------------------------

RAW_HTML = re.compile(
    r"unsafe_allow_html|st\.html\(|streamlit\.components|components\.v1|st\.write\("
)


def test_the_app_never_renders_raw_html() -> None:
    """No raw HTML outlet anywhere in the app (``st.write`` is banned too: it renders strings as
    Markdown, so user text would need escaping at every call)."""
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    files += sorted((ROOT / "mrrsim").rglob("*.py"))
    assert len(files) > 5
    hits = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if RAW_HTML.search(line)
    ]
    assert hits == []
