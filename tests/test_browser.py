"""The real app in a real browser: ``streamlit run app.py`` driven by headless Chromium.

A share link opens with every input and headline figure of its scenario (the figures equal
``summarize()`` formatted as the planner formats them); switching pages keeps the scenario; an
edit in the sidebar updates the URL's share link and the figures; a damaged link shows a clear
message and the default scenario, never a traceback. Every page visited is saved as a full-page
screenshot in ``artifacts/screenshots/`` for people to look at, and the server's output in
``artifacts/browser-server.log`` (``$MRRSIM_ARTIFACTS`` moves both).

One server and one browser serve the whole module. Without Chromium these tests are skipped,
except under CI (``CI`` set), where that is an error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browser_util import (
    ROOT,
    VIEWPORT,
    full_page_screenshot,
    query_token,
    start_server,
    wait_until_idle,
)
from conftest import expected_metrics

from mrrsim import share
from mrrsim.decision import verdict
from mrrsim.metrics import summarize
from mrrsim.scenario import Scenario, parse_scenario
from mrrsim.ui import fmt_pct
from mrrsim.yamlio import DEFAULT_PRESET, load_preset

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.browser

ARTIFACTS = Path(os.environ.get("MRRSIM_ARTIFACTS", ROOT / "artifacts"))
SHOTS = ARTIFACTS / "screenshots"
SERVER_LOG = ARTIFACTS / "browser-server.log"
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def server(browser: Browser) -> Iterator[str]:
    """The base URL of one app server shared by the module (started after the browser check)."""
    with start_server(log_path=SERVER_LOG) as (url, _process):
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (own session) whose uncaught JavaScript errors are recorded."""
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.js_errors = errors  # type: ignore[attr-defined]
    yield tab
    context.close()


# --- what the app should show ----------------------------------------------------------------


def shared_scenario() -> Scenario:
    """A non-default scenario: a preset with another discount, currency and name."""
    data = load_preset("three-tier-pricing").to_dict()
    data.update(annual_discount=0.22, currency="EUR", name="Three tiers at 22% off (EUR)")
    return parse_scenario(data)


def edited(scenario: Scenario, **changes: Any) -> Scenario:
    """The scenario with changes as the editor makes them: signed discounts stay as they are."""
    return parse_scenario({**scenario.to_dict(compact=False), **changes})


def expected_inputs(scenario: Scenario) -> dict[str, str]:
    """Sidebar widget keys and the text their inputs must show (formats of mrrsim.ui)."""
    shown = {
        "ed.name": scenario.name,
        "ed.horizon_months": str(scenario.horizon_months),
        "ed.annual_discount": f"{scenario.annual_discount * 100:.2f}",
        "ed.cost_of_capital": f"{scenario.cost_of_capital * 100:.2f}",
        "ed.currency": scenario.currency,
    }
    for i, seg in enumerate(scenario.segments):
        shown |= {
            f"ed.seg.{i}.name": seg.name,
            f"ed.seg.{i}.list_price": f"{seg.list_price:.2f}",
            f"ed.seg.{i}.annual_share": f"{seg.annual_share * 100:.2f}",
            f"ed.seg.{i}.monthly_churn": f"{seg.monthly_churn * 100:.2f}",
            f"ed.seg.{i}.annual_churn": f"{seg.annual_churn * 100:.2f}",
        }
    return shown


# --- what the browser shows --------------------------------------------------------------------


def key_selector(key: str) -> str:
    """CSS for the input of the widget with Streamlit key ``key`` (class ``st-key-…``)."""
    return f".st-key-{re.sub(r'[^a-zA-Z0-9_-]', '-', key)} input"


def shown_metrics(page: Page) -> dict[str, str]:
    """Headline metric values by label, the label cut at its first comma ('MRR, month 36')."""
    pairs = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')].map(m => [
            m.querySelector('[data-testid="stMetricLabel"]').innerText.trim(),
            m.querySelector('[data-testid="stMetricValue"]').innerText.trim()])"""
    )
    return {label.split(",")[0]: value for label, value in pairs}


def open_expander(page: Page, expander: Locator) -> None:
    """Open a sidebar expander unless it is open (collapsed ones may hold no inputs yet)."""
    details = expander.locator("details").first
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()
    expander.locator("details[open] input").first.wait_for(timeout=WAIT_MS)


def open_editor(page: Page, segments: int) -> None:
    """Open the sidebar's General section and the first ``segments`` segments' sections."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    open_expander(page, sidebar.locator('[data-testid="stExpander"]', has_text="General"))
    for i in range(segments):
        open_expander(page, page.locator(f".st-key-ed-seg-{i}-box"))
    wait_until_idle(page, WAIT_MS)


def shown_inputs(page: Page, keys: list[str]) -> dict[str, str]:
    return {key: page.locator(key_selector(key)).input_value() for key in keys}


def shown_scenario(page: Page) -> Scenario:
    """The scenario in the address bar's share link."""
    token = query_token(page.url)
    assert token is not None, f"no ?s= share link in {page.url}"
    return share.decode(token)


def main_text(page: Page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def assert_no_crash(page: Page) -> None:
    """No Streamlit exception box, no Python traceback text, no uncaught JavaScript error."""
    if page.locator('[data-testid="stException"]').count():
        log = SERVER_LOG.read_text(errors="replace")[-3000:]
        pytest.fail(f"exception on {page.url}:\n{main_text(page)[:1000]}\nserver log:\n{log}")
    text = page.locator("body").inner_text()
    assert "Traceback" not in text
    assert not re.search(r'File ".*", line \d+', text)
    assert page.js_errors == []  # type: ignore[attr-defined]


def open_and_wait(page: Page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded", timeout=WAIT_MS)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=WAIT_MS)
    wait_until_idle(page, WAIT_MS)


def nav_links(page: Page) -> dict[str, str]:
    """The sidebar navigation: page title -> link path ('/' for the default page)."""
    pairs = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stSidebarNav"] a')]
            .map(a => [a.innerText.trim().split('\\n').pop().trim(), new URL(a.href).pathname])"""
    )
    return dict(pairs)


def shot(page: Page, name: str) -> None:
    full_page_screenshot(page, SHOTS / f"{name}.png")


# --- the tests ---------------------------------------------------------------------------------


def enter_and_wait(page: Page, field: Locator, value: str) -> None:
    """Type ``value`` into a sidebar input, press Enter and wait until the address bar's share
    link has changed and the app has settled."""
    token = query_token(page.url)
    field.fill(value)
    field.press("Enter")
    page.wait_for_function(
        "token => new URLSearchParams(location.search).get('s') !== token",
        arg=token,
        timeout=WAIT_MS,
    )
    wait_until_idle(page, WAIT_MS)


def test_a_share_link_opens_its_scenario_with_every_input_and_figure(
    server: str, page: Page
) -> None:
    scenario = shared_scenario()
    open_and_wait(page, share.share_url(scenario, base_url=server))
    shot(page, "planner-shared-link")
    assert_no_crash(page)
    assert shown_metrics(page) == expected_metrics(scenario)
    assert shown_metrics(page)["MRR"].startswith("€")
    wanted = expected_inputs(scenario)
    open_editor(page, len(scenario.segments))
    assert shown_inputs(page, list(wanted)) == wanted
    assert scenario.name in main_text(page)
    assert shown_scenario(page) == scenario
    # the first screen answers per segment, with the engine's break-even and best discount
    text = main_text(page)
    for i, dec in enumerate(summarize(scenario).segments):
        assert f"{fmt_pct(dec.break_even_discount)} discount" in text
        assert verdict(scenario, i, dec).sentence.split(":")[0] in text  # e.g. "Annual pays at 22%"


def test_switching_pages_keeps_the_scenario(server: str, page: Page) -> None:
    scenario = shared_scenario()
    open_and_wait(page, share.share_url(scenario, base_url=server))
    links = nav_links(page)
    page_files = sorted(p.name for p in (ROOT / "pages").glob("*.py"))
    if len(page_files) < 2:
        pytest.skip("only the planner page exists, there is no other page to switch to")
    assert len(links) == len(page_files), f"navigation {links} vs page files {page_files}"
    planner = next(title for title, path in links.items() if path == "/")
    for title, path in links.items():
        if path == "/":
            continue
        page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
        page.wait_for_url(re.compile(rf"{re.escape(path)}(\?|$)"), timeout=WAIT_MS)
        wait_until_idle(page, WAIT_MS)
        shot(page, f"page-{path.strip('/')}")
        assert_no_crash(page)
        assert shown_scenario(page) == scenario, title
        assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip() == title
        assert scenario.name in main_text(page), f"{title} does not show the scenario's name"
        assert page.locator(key_selector("ed.annual_discount")).input_value() == "22.00"
    page.locator('[data-testid="stSidebarNav"] a', has_text=planner).click()
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=WAIT_MS)
    wait_until_idle(page, WAIT_MS)
    assert shown_metrics(page) == expected_metrics(scenario)
    assert shown_scenario(page) == scenario


def test_editing_the_discount_updates_the_link_and_the_figures(server: str, page: Page) -> None:
    scenario = shared_scenario()
    open_and_wait(page, share.share_url(scenario, base_url=server))
    before = shown_metrics(page)
    open_editor(page, 0)
    field = page.locator(key_selector("ed.annual_discount"))
    enter_and_wait(page, field, "27.5")
    shot(page, "planner-edited-discount")
    assert_no_crash(page)
    expected = edited(scenario, annual_discount=0.275)
    assert shown_scenario(page) == expected
    assert field.input_value() == "27.50"
    assert shown_metrics(page) == expected_metrics(expected)
    assert shown_metrics(page) != before


def test_edits_in_a_row_each_keep_their_value(server: str, page: Page) -> None:
    """The preset box names the preset the scenario was edited from without changing its
    options' labels (the browser sends the chosen label back: a changed one reloaded the
    preset, every third edit)."""
    open_and_wait(page, server)
    open_editor(page, 0)
    field = page.locator(key_selector("ed.annual_discount"))
    for value in ("12.00", "13.00", "14.00", "16.00"):
        enter_and_wait(page, field, value)
        assert field.input_value() == value
        assert shown_scenario(page).annual_discount == float(value) / 100
    title = load_preset(DEFAULT_PRESET).name
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"] input').first
    assert box.get_attribute("placeholder") == f"Edited from {title}"
    assert_no_crash(page)


def test_a_damaged_link_shows_a_message_and_the_default_scenario(server: str, page: Page) -> None:
    open_and_wait(page, f"{server}?s=v1.garbage")
    shot(page, "planner-damaged-link")
    assert_no_crash(page)
    errors = page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
    message = " ".join(errors)
    assert "This link could not be opened, so the default scenario is shown instead" in message
    assert "share link" in message
    default = load_preset(DEFAULT_PRESET)
    assert shown_metrics(page) == expected_metrics(default)
    assert page.locator(key_selector("ed.name")).input_value() == default.name
    assert shown_scenario(page) == default


def hostile_scenario() -> Scenario:
    """Names holding Unicode line and paragraph separators, a currency that looks like a LaTeX
    formula, and a segment whose list price is the smallest positive float."""
    data = load_preset("three-tier-pricing").to_dict()
    data.update(name="Plan\u2028A\u2029B", currency="$x$")
    data["segments"][0]["name"] = "Starter\u2028line"
    data["segments"][1]["name"] = "Pro\u2029para\x85nel"
    data["segments"][2]["list_price"] = 5e-324
    return parse_scenario(data)


@pytest.mark.parametrize("path", ["", "sensitivity", "cohorts"])
def test_hostile_names_currency_and_tiny_prices_draw_every_chart(
    server: str, page: Page, path: str
) -> None:
    """U+2028/U+2029 in names once blanked every chart ("Unexpected token ILLEGAL"), a list
    price of 5e-324 broke the axes, and a currency of ``$x$`` showed as a formula."""
    scenario = hostile_scenario()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    page.goto(share.share_url(scenario, server + path), wait_until="domcontentloaded")
    page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=WAIT_MS)
    wait_until_idle(page, WAIT_MS)  # every chart on view drawn, or a timeout
    assert_no_crash(page)
    assert not [line for line in console if "ILLEGAL" in line or "Infinity" in line]
    charts = page.locator('[data-testid="stVegaLiteChart"]:visible')
    assert charts.count() >= 1
    assert page.locator('[data-testid="stMain"] .katex').count() == 0  # no formula anywhere
    if not path:
        values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        assert any(v.startswith("$x$ ") for v in values), values
    shot(page, f"hostile-{path or 'planner'}")


def test_tables_offer_no_csv_download_of_unescaped_names(server: str, page: Page) -> None:
    """Streamlit's own table toolbar would write a segment named ``=HYPERLINK(...)`` into a CSV
    as it is, and a spreadsheet would run it; the app turns that export off
    (``client.disableDataExport``), its own CSV download neutralises such names instead."""
    data = load_preset("three-tier-pricing").to_dict()
    data["segments"][0]["name"] = '=HYPERLINK("http://x.example","y")'
    data["segments"][1]["name"] = "+SUM(1,2)"
    scenario = parse_scenario(data)
    page.goto(share.share_url(scenario, server + "cohorts"), wait_until="domcontentloaded")
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for(timeout=WAIT_MS)
    wait_until_idle(page, WAIT_MS)
    table.hover()
    page.wait_for_timeout(500)
    toolbar = page.locator('[data-testid="stElementToolbar"]')
    assert toolbar.count() >= 1  # the toolbar is there (search, full screen) ...
    assert page.get_by_role("button", name="Download as CSV").count() == 0  # ... no download
    assert_no_crash(page)


def test_works_offline_and_without_legend_warnings(server: str, page: Page) -> None:
    """The page icon is served by the app itself (no font CDN: nothing fails offline), and
    Vega reports no conflicting legends on the Planner."""
    failed: list[str] = []
    console: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("console", lambda message: console.append(message.text))
    open_and_wait(page, server)
    wait_until_idle(page)
    icons = page.evaluate(
        "() => [...document.querySelectorAll('link[rel*=icon]')].map(l => l.href)"
    )
    assert icons and all(href.startswith(server) for href in icons)
    assert failed == []
    assert not [m for m in console if "Conflicting legend" in m]


def test_the_board_summary_pdf_downloads_with_this_apps_link(server: str, page: Page) -> None:
    """The PDF is built on click, holds each segment's answer and the link as the address bar
    shows it (this server's address, with its slash), not a default host."""
    import io

    import pypdf

    open_and_wait(page, server)
    wait_until_idle(page)
    with page.expect_download(timeout=WAIT_MS) as info:
        page.get_by_role("button", name="Decision summary for a board pack (PDF, one page)").click()
    reader = pypdf.PdfReader(io.BytesIO(Path(info.value.path()).read_bytes()))
    text = "".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) == 1
    preset = load_preset(DEFAULT_PRESET)
    s = summarize(preset)
    for i, d in enumerate(s.segments):
        assert verdict(preset, i, d).label in text
    assert server.rstrip("/") + "/?s=" in text.replace("\n", "")


@pytest.mark.parametrize("width", [1440, 390])
def test_the_title_sits_near_the_top_and_the_tables_fit(
    browser: Browser, server: str, width: int
) -> None:
    """No band of empty space above the page title (``theme.paddingTop``; Streamlit's default
    left about 100 px), and on a phone the decision and plans tables fit the screen (a six- and
    a seven-column table ran off it with no sign that they scroll). Each view is saved as a
    screenshot."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        open_and_wait(page, server)
        wait_until_idle(page)
        title = page.locator("h1").first.bounding_box()
        assert title is not None and title["y"] < 80, title
        assert page.locator('[data-testid="stTable"]').count() == 4  # decision 2, plans 2
        assert wider_than_their_box(page, width) == []
        full_page_screenshot(page, SHOTS / f"planner-{width}.png")
    finally:
        context.close()


# Each static table, formula and data grid of the main area that is wider than its box (so
# part of it is hidden until scrolled sideways) or than the screen: (kind, first words).
_WIDER_JS = """(screen) => {
  const out = [];
  const main = document.querySelector('[data-testid="stMain"]');
  const add = (kind, box, inner, width, text) => {
    const r = box.getBoundingClientRect();
    if (width > box.clientWidth + 2 || r.right > screen + 1)
      out.push([kind, Math.round(width), box.clientWidth, text.slice(0, 50)]);
  };
  for (const e of main.querySelectorAll('[data-testid="stTable"]')) {
    const t = e.querySelector('table');
    add('table', t.parentElement, t, t.getBoundingClientRect().width, e.innerText);
  }
  for (const e of main.querySelectorAll('.katex-display')) {
    const k = e.querySelector('.katex-html') || e;
    add('formula', e, k, Math.max(k.scrollWidth, k.getBoundingClientRect().width), e.innerText);
  }
  for (const e of main.querySelectorAll('[data-testid="stDataFrame"]'))
    add('grid', e, e, e.scrollWidth, '');
  return out;
}"""


def wider_than_their_box(page: Page, width: int) -> list[list[object]]:
    return page.evaluate(_WIDER_JS, width)


@pytest.mark.parametrize("path", ["compare", "methodology"])
def test_compare_and_methodology_fit_a_phone(browser: Browser, server: str, path: str) -> None:
    """At 390 px every headline table of Compare, every formula of Methodology and its worked
    example fit the screen: nothing is cut off or hides part of itself until scrolled
    sideways (Compare's pinned Figure column left room for part of one scenario; long
    formulas and the five-column worked example ran off the right edge)."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(server + path, wait_until="domcontentloaded", timeout=WAIT_MS)
        main = page.locator('[data-testid="stMain"]')
        main.locator('[data-testid="stTable"], [data-testid="stDataFrame"]').first.wait_for(
            timeout=WAIT_MS
        )
        wait_until_idle(page, WAIT_MS)
        assert wider_than_their_box(page, 390) == []
        formulas = main.locator(".katex-display").count()
        assert formulas > 30 if path == "methodology" else formulas == 0
        assert main.locator('[data-testid="stTable"]').count() == 2
        full_page_screenshot(page, SHOTS / f"{path}-390.png")
    finally:
        context.close()
