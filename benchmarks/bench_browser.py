"""First render of the planner in headless Chromium, against a real ``streamlit run app.py``.

Measures, in fresh browser contexts (each its own Streamlit session), the time from the start
of navigation until the planner's headline metrics are on the page, and until the app is idle
with every chart on view drawn. Three cases, after the server is up:

- cold: the very first visit (the server imports the app and fills its caches);
- default, warm: new visitors opening the app on the default scenario;
- new share link: new visitors opening a link to a scenario not computed before (the engine
  really runs: each link has another annual discount);
- bare page (floor): the same, warm, for a minimal Streamlit page of eight metrics and no
  charts on its own server: what any Streamlit page costs on this machine, to read the others
  against when the machine is busy.

Also prints the CPU seconds the server and Chromium spent per visit (medians; less sensitive
to other load on the machine than wall time) and the load average.
Target: median first full render <= 4 s.

Then, per page (Planner, Compare, Predictability, Sensitivity, Cohorts, Your data with the sample
export, Methodology), in one session as a person uses the app:

- switch: from the click on the page's link in the sidebar to the page settled;
- enter: from pressing Enter on a changed annual discount in the sidebar (a new value each
  time, so the engine really runs) to the page settled;
- page input: the same for the page's own number input, where it has one (Predictability's
  target MRR, Your data's window);
- choice: a click on a choice that changes no input (the Planner's tabs, Sensitivity's
  metric, Cohorts' measure), two per visit.

"Settled" is measured inside the page, in ``performance.now()`` time, by a recorder installed
before Streamlit's own scripts (``SETTLE_JS``): the moment of the click or keydown is the
start; the page is settled once the server has answered (a websocket message), the page is
idle in ``browser_util``'s sense (connected, script not running, nothing stale, no skeleton, no
status widget, every chart on view drawn by Vega) and nothing has happened for ``QUIET_MS``:
no websocket message received, no DOM mutation, no long task (main-thread work of 50 ms or
more, e.g. Vega drawing a chart) ending. The time is that of the last such event.
Also printed per page: when the last websocket message arrived (server and network; the rest
is the browser's work), the kilobytes received over the websocket, and the CPU seconds of the
server and of Chromium (less sensitive than wall time to other load on the machine; Chromium's
include the quiet time and the polling).
Targets: Planner <= 0.4 s and every other page <= 0.8 s (enter, median).

Run: ``.venv/bin/python benchmarks/bench_browser.py [--runs N] [--only first-render|pages]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from browser_util import (
    _CHARTS_JS,
    _IDLE_JS,
    VIEWPORT,
    launch_browser,
    start_server,
    wait_until_idle,
)
from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from mrrsim import share
from mrrsim.scenario import Scenario, parse_scenario
from mrrsim.yamlio import DEFAULT_PRESET, load_preset

TARGET_S = 4.0
BARE_APP = """import streamlit as st
st.set_page_config(layout="wide")
st.sidebar.header("Scenario")
st.title("Floor")
for i, col in enumerate(st.columns(4) * 2):
    col.metric(f"Figure {i}", f"${i}.00M", delta="+1", border=True)
"""
METRIC = '[data-testid="stMetricValue"]'
TIMEOUT_MS = 90_000


def _stat(pid: int | str) -> tuple[str, int, float]:
    """(command name, parent pid, CPU seconds of the process and its reaped children)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text.rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])
    return name, int(fields[1]), ticks / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` (Linux /proc)."""
    return _stat(pid)[2]


def chromium_cpu_seconds() -> float:
    """CPU seconds used so far by the Chromium processes this script started (renderers that
    have exited count through their parent)."""
    procs: dict[int, tuple[str, int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                procs[int(entry.name)] = _stat(entry.name)
            except (OSError, ValueError):
                continue
    mine = {os.getpid()}
    changed = True
    while changed:
        found = {pid for pid, (_, ppid, _) in procs.items() if ppid in mine} - mine
        changed = bool(found)
        mine |= found
    chromium = (cpu for pid, (name, _, cpu) in procs.items() if pid in mine and "chrom" in name)
    return sum(chromium)


def page_state(page: Page) -> str:
    """Where a page that did not finish stands: Streamlit's states and the start of its text."""
    states = page.evaluate(
        """() => { const app = document.querySelector('[data-testid="stApp"]');
            return app ? [app.getAttribute('data-test-script-state'),
                          app.getAttribute('data-test-connection-state')] : null }"""
    )
    return f"app state {states}; page text: {page.locator('body').inner_text()[:300]!r}"


def visit(browser: Browser, url: str, server_pid: int) -> tuple[float, float, float, float]:
    """(seconds to metrics, seconds to idle with charts drawn, server CPU seconds, Chromium CPU
    seconds) of one first visit in a fresh context."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        cpu, browser_cpu = cpu_seconds(server_pid), chromium_cpu_seconds()
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_selector(METRIC, timeout=TIMEOUT_MS)
        metrics_at = time.perf_counter()
        idle_at = wait_until_idle(page, timeout_ms=TIMEOUT_MS)
        return (
            metrics_at - start,
            idle_at - start,
            cpu_seconds(server_pid) - cpu,
            chromium_cpu_seconds() - browser_cpu,
        )
    except (PlaywrightTimeoutError, TimeoutError) as exc:
        raise SystemExit(f"page did not finish: {exc}\n{page_state(page)}") from None
    finally:
        context.close()


def bare_visits(browser: Browser, runs: int) -> list[tuple[float, float, float, float]]:
    """Warm first visits of a minimal Streamlit page (after one discarded cold visit)."""
    with tempfile.TemporaryDirectory(prefix="mrrsim-bare-") as folder:
        app = Path(folder) / "bare.py"
        app.write_text(BARE_APP)
        with start_server(app=app) as (url, process):
            visit(browser, url, process.pid)
            return [visit(browser, url, process.pid) for _ in range(runs)]


def variant(i: int) -> Scenario:
    """The default preset with an annual discount no other run uses."""
    data = load_preset(DEFAULT_PRESET).to_dict()
    data["annual_discount"] = round(0.05 + 0.0125 * i, 4)
    return parse_scenario(data)


def row(name: str, samples: list[tuple[float, float, float, float]]) -> str:
    metrics, idle, cpu, browser_cpu = (list(column) for column in zip(*samples, strict=True))
    return (
        f"{name:<22} {len(idle):>4} {statistics.median(metrics):9.2f} "
        f"{statistics.median(idle):9.2f} {min(idle):7.2f} {max(idle):7.2f} "
        f"{statistics.median(cpu):9.2f} {statistics.median(browser_cpu):9.2f}"
    )


# --- per page: switching to it, and Enter on a changed input ------------------------------------

PAGE_TARGETS_S = {"Planner": 0.4}
OTHER_PAGES_TARGET_S = 0.8
QUIET_MS = 500
DISCOUNT_INPUT = ".st-key-ed-annual_discount input"
# (page title in the sidebar, the page's own number input and a new value for run k, or None)
PAGES: tuple[tuple[str, str | None], ...] = (
    ("Planner", None),
    ("Compare", None),
    ("Predictability", ".st-key-pred-target input"),
    ("Sensitivity", None),
    ("Cohorts", None),
    ("Your data", ".st-key-data-window input"),
    ("Methodology", None),
)

# A choice on the page that changes no input of the scenario (a tab, a view), two options
# clicked in turn: (container's CSS, its options' role, the two options).
CHOICES: dict[str, tuple[str, str, tuple[str, str]]] = {
    "Planner": (".st-key-planner-tab", "tab", ("Cash & revenue", "MRR & ARR")),
    "Sensitivity": (".st-key-sens-metric", "radio", ("NPV of cash", "Ending ARR")),
    "Cohorts": (".st-key-cohorts-measure", "radio", ("MRR", "Customers")),
}


def choose(page: Page, title: str, server_pid: int) -> dict[str, float]:
    """Time a click on the page's choice that is not selected now, until settled."""
    css, role, options = CHOICES[title]
    box = page.locator(css).first
    first = box.get_by_role(role, name=options[0], exact=True).first
    # a tab is selected, a radio (or a segmented control's button) checked
    chosen = first.get_attribute("aria-selected") == "true" if role == "tab" else first.is_checked()
    name = options[1] if chosen else options[0]
    target = box.get_by_role(role, name=name, exact=True).first
    if role == "radio":  # a radio's circle lies under its label: click the text
        target = box.get_by_text(name, exact=True).first
    return settle(page, server_pid, target.click)


# Installed before the page's own scripts (``add_init_script``): records, in performance.now()
# time, every websocket message (and its size), every DOM mutation and every long task;
# ``__speed.arm()`` makes the next click or keydown the
# start of a measurement.
SETTLE_JS = """(() => {
  const rec = window.__speed = {t0: null, armed: false, lastWs: 0, lastMut: 0, lastLong: 0,
                                bytes: 0, messages: 0};
  rec.arm = () => { rec.armed = true; rec.t0 = null; rec.bytes = 0; rec.messages = 0; };
  const start = () => { if (rec.armed) { rec.armed = false; rec.t0 = performance.now(); } };
  for (const type of ['keydown', 'mousedown']) window.addEventListener(type, start, true);
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', event => {
        rec.lastWs = performance.now();
        rec.messages += 1;
        const data = event.data;
        rec.bytes += data.byteLength ?? data.size ?? data.length ?? 0;
      });
    }
  };
  new PerformanceObserver(list => {
    for (const entry of list.getEntries())
      rec.lastLong = Math.max(rec.lastLong, entry.startTime + entry.duration);
  }).observe({type: 'longtask', buffered: true});
  const watch = () => new MutationObserver(() => { rec.lastMut = performance.now(); })
    .observe(document.documentElement,
             {subtree: true, childList: true, attributes: true, characterData: true});
  if (document.documentElement) watch(); else document.addEventListener('readystatechange', watch);
})()"""

# The page is settled: the measured action started, the server answered (at least one message:
# every run ends with one; a very quick run can pass the script state through "running" and
# back within one frame, so that attribute need not change), the app is idle with every chart
# on view drawn, and nothing happened for QUIET_MS.
SETTLED_JS = f"""([quiet]) => {{
  const rec = window.__speed;
  if (rec.t0 === null || rec.messages < 1) return null;
  const last = Math.max(rec.lastWs, rec.lastMut, rec.lastLong, rec.t0);
  // the cheap test first: the idle and chart tests force a layout, kept out of busy moments
  if (performance.now() - last < quiet || !({_IDLE_JS})() || !({_CHARTS_JS})()) return null;
  return {{total: last - rec.t0, ws: Math.max(rec.lastWs - rec.t0, 0), bytes: rec.bytes,
           messages: rec.messages}};
}}"""


def settle(page: Page, server_pid: int, action: Callable[[], None]) -> dict[str, float]:
    """Arm the recorder, do ``action`` (a click or Enter), and wait until the page is settled:
    {"total", "ws" (seconds to the last websocket message), "kb", "cpu" (server CPU seconds),
    "brw" (Chromium's CPU seconds, counted until the settled check saw the page quiet)}."""
    page.evaluate("() => window.__speed.arm()")
    cpu, browser_cpu = cpu_seconds(server_pid), chromium_cpu_seconds()
    action()
    deadline = time.perf_counter() + TIMEOUT_MS / 1000
    while (found := page.evaluate(SETTLED_JS, [QUIET_MS])) is None:
        if time.perf_counter() > deadline:
            rec = page.evaluate(
                "() => { const {arm, ...rec} = window.__speed; "
                "return {...rec, now: performance.now()} }"
            )
            raise SystemExit(f"{page.url} did not settle: {rec}\n{page_state(page)}")
        page.wait_for_timeout(50)
    return {
        "total": found["total"] / 1000,
        "ws": found["ws"] / 1000,
        "kb": found["bytes"] / 1000,
        "cpu": cpu_seconds(server_pid) - cpu,
        "brw": chromium_cpu_seconds() - browser_cpu,
    }


def enter_value(page: Page, selector: str, value: str, server_pid: int) -> dict[str, float]:
    """Type ``value`` into the number input and time pressing Enter until settled."""
    field = page.locator(selector).first
    field.fill(value)
    return settle(page, server_pid, lambda: field.press("Enter"))


def switch_to(page: Page, title: str, server_pid: int) -> dict[str, float]:
    """Time a click on the page's link in the sidebar until settled."""
    link = page.locator('[data-testid="stSidebarNav"] a', has_text=title).first
    found = settle(page, server_pid, link.click)
    heading = page.locator('[data-testid="stMain"] h1').first.inner_text().strip()
    if heading != title:
        raise SystemExit(f"clicked {title!r} but the page says {heading!r}")
    return found


def page_value(selector: str, k: int) -> str:
    """A new value of a page's own input for measurement ``k``: never the default (a target
    ending in 5,000 is not a round default; the window's default is 12 months) and never the
    value of the previous visit (``k`` moves by the number of pages)."""
    if "pred-target" in selector:
        return f"{905_000 + 10_000 * (k % 40):.0f}"
    return str(13 + k % 12)  # Your data's window, 13-24 months


class PageRuns:
    """Per page: the samples of switching to it, of Enter in the sidebar and on its input."""

    def __init__(self, pages: tuple[tuple[str, str | None], ...] = PAGES) -> None:
        self.pages = pages
        self.samples: dict[tuple[str, str], list[dict[str, float]]] = {}
        self.k = 0

    def add(self, title: str, kind: str, sample: dict[str, float]) -> None:
        self.samples.setdefault((title, kind), []).append(sample)

    def round(self, page: Page, pid: int, record: bool) -> None:
        """Visit every page once: switch to it, Enter a new discount, Enter its own input."""
        for title, own in self.pages:
            self.k += 1
            heading = page.locator('[data-testid="stMain"] h1').first.inner_text().strip()
            samples = [] if heading == title else [("switch", switch_to(page, title, pid))]
            if title == "Your data" and not page.get_by_text("Use as scenario").count():
                settle(page, pid, page.get_by_text("Try the sample export").first.click)
            discount = f"{10 + 0.05 * self.k:.2f}"  # never the same twice: the engine runs
            samples.append(("enter", enter_value(page, DISCOUNT_INPUT, discount, pid)))
            if own is not None:
                samples.append(("page input", enter_value(page, own, page_value(own, self.k), pid)))
            if title in CHOICES:
                samples.extend(("choice", choose(page, title, pid)) for _ in range(2))
            if record:
                for kind, sample in samples:
                    self.add(title, kind, sample)

    def table(self) -> list[str]:
        head = (
            f"{'page':<15} {'action':<11} {'n':>3} {'median':>7} {'min':>6} {'max':>6} "
            f"{'last ws':>8} {'KB recv':>8} {'srv CPU':>8} {'brw CPU':>8}"
        )
        lines = [head]
        for title, _ in self.pages:
            for kind in ("switch", "enter", "page input", "choice"):
                got = self.samples.get((title, kind))
                if not got:
                    continue
                total = [g["total"] for g in got]
                med = {
                    key: statistics.median(g[key] for g in got)
                    for key in ("ws", "kb", "cpu", "brw")
                }
                lines.append(
                    f"{title:<15} {kind:<11} {len(got):>3} {statistics.median(total):7.2f} "
                    f"{min(total):6.2f} {max(total):6.2f} {med['ws']:8.2f} {med['kb']:8.1f} "
                    f"{med['cpu']:8.2f} {med['brw']:8.2f}"
                )
        return lines

    def verdicts(self) -> list[tuple[str, float, float]]:
        """(page, median enter seconds, target) per page."""
        out = []
        for title, _ in self.pages:
            got = self.samples.get((title, "enter"), [])
            if got:
                target = PAGE_TARGETS_S.get(title, OTHER_PAGES_TARGET_S)
                out.append((title, statistics.median(g["total"] for g in got), target))
        return out


def page_runs(runs: int, only: list[str] | None = None) -> int:
    """Measure every page (or those titled in ``only``) in one session, after one discarded
    round, and print the table."""
    pages = tuple(p for p in PAGES if not only or p[0] in only)
    with start_server() as (url, process), launch_browser() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        context.add_init_script(SETTLE_JS)
        page = context.new_page()
        page.goto(url, wait_until="commit")
        page.wait_for_selector(METRIC, timeout=TIMEOUT_MS)
        wait_until_idle(page, timeout_ms=TIMEOUT_MS)
        measured = PageRuns(pages)
        try:
            measured.round(page, process.pid, record=False)
            for _ in range(runs):
                measured.round(page, process.pid, record=True)
        except (PlaywrightTimeoutError, TimeoutError) as exc:
            raise SystemExit(f"page did not finish: {exc}\n{page_state(page)}") from None
        finally:
            context.close()
    print(
        "Per page in headless Chromium, one session (seconds; click or Enter to settled, "
        f"settled = idle, charts drawn, {QUIET_MS} ms without websocket message, DOM change "
        "or long task)"
    )
    print("\n".join(measured.table()))
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    missed = 0
    for title, median, target in measured.verdicts():
        met = median <= target
        missed += not met
        print(f"target {title}: enter median <= {target:.1f} s -> {'met' if met else 'MISSED'}")
    return 1 if missed else 0


def first_render(runs: int) -> int:
    """The first render of the planner (cold, warm, share links, bare floor); prints a table."""
    with start_server() as (url, process), launch_browser() as browser:
        cold = [visit(browser, url, process.pid)]
        warm = [visit(browser, url, process.pid) for _ in range(runs)]
        links = [
            visit(browser, share.share_url(variant(i), base_url=url), process.pid)
            for i in range(runs)
        ]
        bare = bare_visits(browser, runs)
    print("Planner first render in headless Chromium, fresh context per visit (seconds)")
    print(
        f"{'case':<22} {'runs':>4} {'metrics':>9} {'idle med':>9} {'min':>7} {'max':>7} "
        f"{'srv CPU':>9} {'brw CPU':>9}"
    )
    for name, samples in (
        ("cold (first visit)", cold),
        ("default, warm", warm),
        ("new share link", links),
        ("bare page (floor)", bare),
    ):
        print(row(name, samples))
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    worst = max(statistics.median(s[1] for s in case) for case in (warm, links))
    verdict = worst <= TARGET_S
    print(
        f"target: median first full render <= {TARGET_S:.0f} s after the server is up -> "
        f"{'met' if verdict else 'MISSED'} ({worst:.2f} s)"
    )
    return 0 if verdict else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions per case (>= 1)")
    parser.add_argument("--only", choices=("first-render", "pages"), help="one part only")
    parser.add_argument("--pages", help="comma-separated page titles (default: every page)")
    args = parser.parse_args()
    runs = max(1, args.runs)
    status = 0
    if args.only in (None, "first-render"):
        status |= first_render(runs)
    if args.only in (None, "pages"):
        status |= page_runs(runs, args.pages.split(",") if args.pages else None)
    return status


if __name__ == "__main__":
    sys.exit(main())
