"""The "Your data" page in headless Chromium against ``streamlit run app.py``: upload the
bundled sample export, see the history charts and the estimates, use them as the scenario and
land on the Planner with actual MRR drawn before month 0 and the share link carrying the
calibrated scenario. Screenshots go to ``artifacts/screenshots/`` (``$MRRSIM_ARTIFACTS``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_util import (
    ROOT,
    full_page_screenshot,
    query_token,
    start_server,
    wait_until_idle,
)

from mrrsim import share
from mrrsim.billing import calibrate, read_export
from mrrsim.billing.sample import SAMPLE_PATH
from mrrsim.scenario import parse_scenario

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

ARTIFACTS = Path(os.environ.get("MRRSIM_ARTIFACTS", ROOT / "artifacts"))
WAIT_MS = 90_000
WIDE = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def server(browser: Browser) -> Iterator[str]:
    with start_server(log_path=ARTIFACTS / "browser-data-server.log") as (url, _process):
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=WIDE)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.js_errors = errors  # type: ignore[attr-defined]
    yield tab
    context.close()


def assert_no_crash(page: Page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in page.locator("body").inner_text()
    assert page.js_errors == []  # type: ignore[attr-defined]


def drawn_charts(page: Page) -> int:
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
            .filter(c => [...c.querySelectorAll('canvas, svg.marks')]
            .some(m => m.getBoundingClientRect().width > 0)).length"""
    )


def test_upload_the_sample_and_use_it_as_the_scenario(server: str, page: Page) -> None:
    page.goto(f"{server}your_data", wait_until="domcontentloaded", timeout=WAIT_MS)
    page.get_by_text("Try the sample export").first.wait_for(timeout=WAIT_MS)
    wait_until_idle(page, WAIT_MS)
    main = page.locator('[data-testid="stMain"]')
    assert "never the uploaded data" in main.inner_text()
    main.locator('input[type="file"]').set_input_files(str(SAMPLE_PATH))
    page.get_by_text("3,611 subscriptions used").first.wait_for(timeout=WAIT_MS)
    wait_until_idle(page, WAIT_MS)
    assert_no_crash(page)
    assert drawn_charts(page) == 3
    text = main.inner_text()
    expected = calibrate(read_export(SAMPLE_PATH))
    churn = next(e for e in expected.estimates if e.segment == "Pro" and e.field == "monthly_churn")
    assert f"{churn.value * 100:.2f}%" in text
    full_page_screenshot(page, ARTIFACTS / "screenshots" / "your-data-sample.png")

    page.get_by_role("button", name="Use as scenario").click()
    page.get_by_text("Solid: actual month-end MRR").first.wait_for(timeout=WAIT_MS)
    wait_until_idle(page, WAIT_MS)
    assert_no_crash(page)
    assert page.locator("h1").first.inner_text().strip() == "Planner"
    token = query_token(page.url)
    assert token is not None
    assert share.decode(token) == parse_scenario(expected.scenario)
    full_page_screenshot(page, ARTIFACTS / "screenshots" / "planner-from-your-data.png")
