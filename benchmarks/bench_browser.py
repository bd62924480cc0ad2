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
Run: ``.venv/bin/python benchmarks/bench_browser.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from browser_util import VIEWPORT, launch_browser, start_server, wait_until_idle
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh contexts per case (>= 1)")
    runs = max(1, parser.parse_args().runs)
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


if __name__ == "__main__":
    sys.exit(main())
