"""Helpers to drive the real app: start ``streamlit run app.py`` on a free port, launch Debian's
headless Chromium through Playwright, and wait until a Streamlit page has finished running.

Used by ``tests/test_browser.py`` and the browser benchmarks; kept free of pytest so scripts in
``benchmarks/`` can import it too (``sys.path`` must hold ``tests/``)::

    with start_server() as (url, _), launch_browser() as browser:
        page = browser.new_page()
        page.goto(url)
        wait_until_idle(page)

The server runs in its own process group and is always stopped (the whole group) when the
``with`` block ends, even on an error. Playwright's own browsers are never installed or used.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
STREAMLIT = Path(sys.executable).parent / "streamlit"
CHROMIUM = Path(os.environ.get("MRRSIM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
)
SERVER_TIMEOUT_S = 60.0
IDLE_TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1400, "height": 900}

# True when the page has finished a script run: connected, not running, nothing stale on the
# page, no element still waiting for its code to load (Streamlit shows a grey skeleton box in
# its place) and no "Running..." status widget. Streamlit sets these attributes on stApp.
_IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelector('[data-testid="stMain"] [data-testid="stElementContainer"]') !== null
    && document.querySelector('[data-stale="true"]') === null
    && document.querySelector('[data-testid="stSkeleton"]') === null
    && document.querySelector('[data-testid="stStatusWidget"]') === null;
}"""

# True when every chart on view has been drawn by Vega (a canvas or svg of non-zero size);
# charts in hidden tabs are not drawn until their tab is opened, so they are left out.
_CHARTS_JS = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
  .filter(chart => chart.getClientRects().length > 0)
  .every(chart => [...chart.querySelectorAll('canvas, svg.marks')]
    .some(mark => mark.getBoundingClientRect().width > 0))"""


class ServerError(RuntimeError):
    """The Streamlit server did not come up (the message holds the end of its log)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(port: int, app: Path = APP) -> list[str]:
    """The command line of a headless server of ``app`` on 127.0.0.1:``port``."""
    return [
        str(STREAMLIT),
        "run",
        str(app),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (OSError, urllib.error.URLError):
        return False


def _tail(log: IO[str], lines: int = 20) -> str:
    log.flush()
    log.seek(0)
    return "".join(log.readlines()[-lines:])


def stop_server(process: subprocess.Popen[str]) -> None:
    """Stop the server's whole process group: SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _spawn(port: int, log: IO[str], app: Path) -> subprocess.Popen[str]:
    """Start the server in a new session (its own process group), output to ``log``."""
    return subprocess.Popen(
        server_command(port, app),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _await_health(url: str, process: subprocess.Popen[str], log: IO[str], timeout: float) -> None:
    """Return once ``url`` is healthy and served by ``process``; ServerError otherwise."""
    deadline = time.monotonic() + timeout
    while not _healthy(url) or process.poll() is not None:
        if process.poll() is not None:
            raise ServerError(f"streamlit exited with {process.returncode}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise ServerError(f"no healthy server at {url} after {timeout:.0f} s:\n{_tail(log)}")
        time.sleep(0.2)


@contextmanager
def start_server(
    port: int | None = None,
    timeout: float = SERVER_TIMEOUT_S,
    log_path: Path | None = None,
    app: Path = APP,
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run the app (``app.py``, or another script) on ``port`` (a free one by default) and
    yield (base URL, process).

    Waits until ``/_stcore/health`` answers ``ok`` from this very process (a server that exits
    fails at once; with a port of our choosing, taken meanwhile by someone else, it tries
    another) and stops the process group on exit. The server's output goes to ``log_path``
    when given (the place to look for a page's traceback), else to a temporary file."""
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    attempts = 1 if port else 3
    with open(log_path, "w+") if log_path else tempfile.TemporaryFile("w+") as log:
        for attempt in range(1, attempts + 1):
            chosen = port or free_port()
            url = f"http://127.0.0.1:{chosen}/"
            process = _spawn(chosen, log, app)
            try:
                _await_health(url, process, log, timeout)
                break
            except ServerError:
                exited = process.poll() is not None
                stop_server(process)
                if attempt == attempts or not exited:
                    raise
        try:
            yield url, process
        finally:
            stop_server(process)


def chromium_available() -> bool:
    """Whether Debian's Chromium and Playwright's Python package are both installed."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


@contextmanager
def launch_browser() -> Iterator[Browser]:
    """Debian's headless Chromium driven by Playwright (never Playwright's own browsers)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


def _wait_stable(page: Page, script: str, timeout_ms: float, settle_ms: float) -> float:
    """Wait until ``script`` has been true for ``settle_ms`` in a row (polled every 50 ms);
    return the ``time.perf_counter()`` at which it became true for good."""
    deadline = time.perf_counter() + timeout_ms / 1000
    since: float | None = None
    while True:
        now = time.perf_counter()
        if page.evaluate(script):
            since = since if since is not None else now
            if (now - since) * 1000 >= settle_ms:
                return since
        else:
            since = None
        if now > deadline:
            raise TimeoutError(f"page not idle after {timeout_ms / 1000:.0f} s: {page.url}")
        page.wait_for_timeout(50)


def wait_until_idle(
    page: Page, timeout_ms: float = IDLE_TIMEOUT_MS, settle_ms: float = 300, charts: bool = True
) -> float:
    """Wait until the app has finished running and drawing: connected, script not running,
    no stale elements, no status widget and (``charts``) every chart on view drawn, all holding
    for ``settle_ms``, then network idle. Returns the ``time.perf_counter()`` at which the page
    became idle (before the settling time), for timing a page load."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    script = _IDLE_JS if not charts else f"() => ({_IDLE_JS})() && ({_CHARTS_JS})()"
    since = _wait_stable(page, script, timeout_ms, settle_ms)
    page.wait_for_load_state("networkidle", timeout=timeout_ms)
    return since


def query_token(url: str, key: str = "s") -> str | None:
    """The last value of query parameter ``key`` in ``url`` (None when absent)."""
    values = parse_qs(urlsplit(url).query).get(key)
    return values[-1] if values else None


def full_page_screenshot(page: Page, path: Path) -> Path:
    """A screenshot of the whole page, main area and sidebar, however long they are.

    Streamlit scrolls inside its main container, not the document, so Playwright's
    ``full_page`` sees only the viewport: the viewport is grown to the content's height for
    the shot and put back afterwards."""
    size = page.viewport_size or VIEWPORT
    height = page.evaluate(
        """() => Math.max(...['stMain', 'stSidebarContent', 'stAppViewContainer']
            .map(id => document.querySelector(`[data-testid="${id}"]`))
            .filter(Boolean).map(el => el.scrollHeight), window.innerHeight)"""
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 16_000)})
    try:
        wait_until_idle(page)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return path
