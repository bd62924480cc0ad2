"""Many users at once: N concurrent sessions against one ``streamlit run app.py``.

Each session opens a DIFFERENT share link (its own name, annual discount and churn), then, for
``--seconds``, keeps changing the annual discount in the sidebar and checks that its own
headline figures equal ``summarize()`` of its own edited scenario, formatted by the app's own
formatters. Every rerun also checks that the page shows this session's scenario name, no
exception, and that the share link in the address bar decodes to exactly this session's
scenario; figures, names or links of another session count as cross-session leaks.

Two clients (``--client``):

* ``ws`` (the default): each session is a browserless client speaking Streamlit's websocket
  protocol (``load_ws.py``), as the browser's frontend does: it sends the rerun request with the
  new discount and reads the server's messages until the run has finished. Cheap enough that
  50 sessions on two cores measure the server, not the clients. Rerun latency runs from
  sending the request to ``script_finished`` (the whole page computed and sent).
* ``browser``: each session is its own Playwright context in one headless Chromium (Debian's,
  never Playwright's own). Rerun latency runs from the Enter key that commits the new discount
  to the moment all eight figures show the new values. With many sessions the browsers eat the
  CPU the server needs; kept so the real frontend is exercised too.

Reported: client, sessions, reruns, reruns per second, rerun latency p50/p95/max, time to open
a link p50/p95, the server's resident memory (``/proc/<pid>/status``), errors and leaks.
Goal: 50 sessions, p95 <= 1 s, no errors. Only loopback traffic; every loop is bounded; the
server's process group and the browser are always stopped at the end.

Each user pauses about ``--think`` seconds between edits (20 s by default: change an input, read
the figures, change the next); ``--think 0`` edits back to back, the stress case. Also reported:
CPU seconds of the server, of this client process and of the browser (with Playwright's
driver) during the measured window, and the machine's load average, to show what the latency is
spent on.

Mixed (``--client ws --browsers K``): K of the sessions are Chromium pages and the rest
websocket clients, so real pages are timed while the others load the server; their latency is
reported on its own row.

Pages (``--pages planner,predictability,...``): the websocket sessions open their links on these
pages in turn (by URL path, as a shared ``/predictability?s=...`` link does) and keep changing
the discount there; latency is reported per page. Off the planner a session checks its page's
title, its name, its link and that no exception shows (the eight figures are the planner's).

Several replicas (``--replicas N``, N >= 2): the app runs as ``deploy/serve.sh N`` does it, N
``streamlit run app.py`` behind HAProxy with cookie-based sticky sessions, and the sessions go
through the balancer: each loads its page over HTTP first and sends the balancer's cookie with
its websocket, as a browser does. Reported: how many sessions each replica served (by the
cookie naming it), HAProxy's own count of connections per replica, and the balancer's CPU.
``--kill-replica-at S`` kills replica 1 (SIGKILL) S seconds into the measured window: its
sessions' websockets drop, they reconnect through the balancer as Streamlit's frontend does,
land on a live replica and must show their own scenario again (it is in their link) before
carrying on; reported as reconnects, their time, and the split at the end.

Run: ``.venv/bin/python benchmarks/bench_load.py --sessions 50 --seconds 60 [--think 20]
[--client ws|browser] [--browsers K] [--pages P,Q] [--replicas N [--kill-replica-at S]]``.
"""

from __future__ import annotations

import abc
import argparse
import asyncio
import contextlib
import functools
import itertools
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

from browser_util import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    ServerError,
    free_port,
    query_token,
    start_server,
    stop_server,
)
from load_ws import ProtocolError, StreamlitClient  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

from mrrsim import share  # noqa: E402
from mrrsim.metrics import summarize  # noqa: E402
from mrrsim.scenario import Scenario, parse_scenario  # noqa: E402
from mrrsim.ui import fmt_count, fmt_money, fmt_pct  # noqa: E402
from mrrsim.yamlio import DEFAULT_PRESET, load_preset  # noqa: E402

GOAL_SESSIONS = 50
GOAL_P95_S = 1.0
DEFAULT_THINK_S = 20.0  # a planner changes an input, reads the figures, changes the next one
OPEN_TIMEOUT_MS = 180_000  # opening a link while 50 others open theirs
RERUN_TIMEOUT_MS = 60_000
OPEN_AT_ONCE = 6  # links opened concurrently during the ramp-up
VIEWPORT = {"width": 1280, "height": 800}
DISCOUNT_KEY = "ed.annual_discount"
DISCOUNT_INPUT = ".st-key-ed-annual_discount input"
CLIENTS = ("ws", "browser")
# The app's pages by URL path; only the planner shows the eight headline figures checked.
PAGES = ("planner", "compare", "predictability", "sensitivity", "cohorts")
DISCOUNT_STEPS = 8  # a session's discounts repeat after this many edits
SERVE = ROOT / "deploy" / "serve.sh"
REPLICA_COOKIE = "MRRSIM_REPLICA"  # set by HAProxy (deploy/haproxy.cfg): which replica
CLUSTER_TIMEOUT_S = 120.0

_SHOWN_JS = """() => ({
  metrics: [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stMetric"]')]
    .map(m => [m.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim() ?? '',
               m.querySelector('[data-testid="stMetricValue"]')?.innerText.trim() ?? '']),
  name: document.querySelector('[data-testid="stMain"] [data-testid="stText"]')?.innerText
    .trim() ?? null,
  exceptions: document.querySelectorAll('[data-testid="stException"]').length,
})"""

_MATCH_JS = """(expected) => {
  const shown = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stMetric"]')]
    .map(m => (m.querySelector('[data-testid="stMetricValue"]')?.innerText ?? '').trim());
  return shown.length === expected.length && shown.every((v, i) => v === expected[i]);
}"""

LABELS = (
    ("ending_mrr", "money"),
    ("ending_arr", "money"),
    ("ending_customers", "count"),
    ("cumulative_cash", "money"),
    ("npv_cash", "money"),
    ("nrr_12", "pct"),
    ("grr_12", "pct"),
    ("break_even_discount", "pct"),
)


def session_scenario(session: int, discount_pct: float) -> Scenario:
    """Session ``session``'s scenario: the default preset with its own name, segment churn and
    (``discount_pct`` per cent, as typed into the sidebar) annual discount."""
    data = load_preset(DEFAULT_PRESET).model_dump(mode="python")
    data["name"] = f"Load session {session:03d}"
    data["annual_discount"] = round(discount_pct / 100.0, 12)  # as the editor converts it
    data["segments"][0]["monthly_churn"] = round(0.02 + 0.0004 * session, 6)
    return parse_scenario(data)


def discount_for(session: int, step: int) -> float:
    """The discount (per cent, two decimals) a session types at a step: never the same twice in
    a row, and different from every other session's at the same step."""
    return round(8.0 + (step % DISCOUNT_STEPS) * 2.5 + (session % 50) * 0.02, 2)


def expected_values(scenario: Scenario) -> list[str]:
    """The eight headline figures as the planner formats them, in page order."""
    summary = summarize(scenario)
    out = []
    for key, kind in LABELS:
        value = summary[key]
        if kind == "money":
            out.append(fmt_money(value, scenario.currency))
        elif kind == "count":
            out.append(fmt_count(value))
        else:
            out.append(fmt_pct(value))
    return out


@functools.cache
def session_case(session: int, step: int) -> tuple[float, Scenario, list[str]]:
    """(discount typed, scenario, expected figures) of a session at a step, computed once per
    distinct discount so that the client spends its CPU on the protocol, not on ``summarize``."""
    if step >= DISCOUNT_STEPS:
        return session_case(session, step % DISCOUNT_STEPS)
    pct = discount_for(session, step)
    scenario = session_scenario(session, pct)
    return pct, scenario, expected_values(scenario)


def rss_mib(pid: int) -> float:
    """Resident memory of a process in MiB, from /proc (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes, in seconds, from /proc (gone ones count 0)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` (children, grandchildren, ...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class Result:
    """What a load run measured."""

    sessions: int
    client: str = "ws"
    browsers: int = 0  # sessions in Chromium (all of them with --client browser)
    opened: int = 0
    seconds: float = 0.0
    reruns: int = 0
    latencies_s: list[float] = field(default_factory=list)
    browser_latencies_s: list[float] = field(default_factory=list)
    pages: tuple[str, ...] = ("planner",)  # websocket sessions are spread over these in turn
    page_latencies_s: dict[str, list[float]] = field(default_factory=dict)
    open_s: list[float] = field(default_factory=list)
    browser_open_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    think_s: float = 0.0
    server_cpu_s: float = 0.0
    browser_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    machine_load: float = 0.0
    replicas: int = 1  # >= 2: through HAProxy (deploy/serve.sh)
    opened_on: Counter[str] = field(default_factory=Counter)  # replica -> sessions opened there
    ended_on: Counter[str] = field(default_factory=Counter)  # replica -> sessions there at the end
    balancer_connections: dict[str, int] = field(default_factory=dict)  # HAProxy's stot
    balancer_cpu_s: float = 0.0
    killed_replica: str | None = None
    killed_at_s: float | None = None
    reconnect_s: list[float] = field(default_factory=list)  # each one kept its scenario

    @property
    def reruns_per_s(self) -> float:
        return self.reruns / self.seconds if self.seconds else 0.0

    def quantile(self, values: list[float], q: float) -> float | None:
        if not values:
            return None
        if len(values) == 1:
            return values[0]
        return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]

    def summary(self) -> dict[str, Any]:
        lat = self.latencies_s
        return {
            "client": self.client,
            "sessions": self.sessions,
            "browser_sessions": self.browsers,
            "sessions_opened": self.opened,
            "measured_s": round(self.seconds, 1),
            "reruns": self.reruns,
            "reruns_per_s": round(self.reruns_per_s, 2),
            "rerun_p50_s": _r(self.quantile(lat, 0.50)),
            "rerun_p95_s": _r(self.quantile(lat, 0.95)),
            "rerun_max_s": _r(max(lat) if lat else None),
            "browser_rerun_p50_s": _r(self.quantile(self.browser_latencies_s, 0.50)),
            "browser_rerun_p95_s": _r(self.quantile(self.browser_latencies_s, 0.95)),
            "pages": list(self.pages),
            "page_rerun_p50_s": {
                page: _r(self.quantile(lat, 0.50)) for page, lat in self.page_latencies_s.items()
            },
            "page_rerun_p95_s": {
                page: _r(self.quantile(lat, 0.95)) for page, lat in self.page_latencies_s.items()
            },
            "open_p50_s": _r(self.quantile(self.open_s, 0.50)),
            "open_p95_s": _r(self.quantile(self.open_s, 0.95)),
            "browser_open_p50_s": _r(self.quantile(self.browser_open_s, 0.50)),
            "browser_open_p95_s": _r(self.quantile(self.browser_open_s, 0.95)),
            "server_rss_start_mib": _r(self.rss_mib[0] if self.rss_mib else None, 0),
            "server_rss_peak_mib": _r(max(self.rss_mib) if self.rss_mib else None, 0),
            "server_rss_end_mib": _r(self.rss_mib[-1] if self.rss_mib else None, 0),
            "think_s": self.think_s,
            "server_cpu_s": round(self.server_cpu_s, 1),
            "server_cpu_ms_per_rerun": _r(
                1000 * self.server_cpu_s / self.reruns if self.reruns else None, 0
            ),
            "server_cpu_share": _r(self.server_cpu_s / self.seconds if self.seconds else None, 2),
            "browser_cpu_s": round(self.browser_cpu_s, 1),
            "client_cpu_s": round(self.client_cpu_s, 1),
            "client_cpu_ms_per_rerun": _r(
                1000 * self.client_cpu_s / self.reruns if self.reruns else None, 0
            ),
            "load_average_1min": round(self.machine_load, 1),
            "replicas": self.replicas,
            "sessions_opened_per_replica": dict(sorted(self.opened_on.items())),
            "sessions_per_replica_at_end": dict(sorted(self.ended_on.items())),
            "balancer_connections_per_replica": self.balancer_connections,
            "balancer_cpu_s": round(self.balancer_cpu_s, 1),
            "killed_replica": self.killed_replica,
            "killed_at_s": self.killed_at_s,
            "reconnects": len(self.reconnect_s),
            "reconnect_p50_s": _r(self.quantile(self.reconnect_s, 0.50)),
            "reconnect_max_s": _r(max(self.reconnect_s) if self.reconnect_s else None),
            "errors": len(self.errors),
            "leaks": len(self.leaks),
        }


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


class User(abc.ABC):
    """One simulated user with its own share link: edits, then thinks, until the deadline."""

    def __init__(self, index: int, base_url: str, result: Result, think_s: float = 0.0) -> None:
        self.index = index
        self.think_s = think_s
        self.base_url = base_url
        self.result = result
        self.step = 0
        _, self.scenario, self.expected = session_case(index, 0)

    def _next_case(self) -> float:
        """Move to the next step: its scenario and expected figures; the discount to type."""
        self.step += 1
        pct, self.scenario, self.expected = session_case(self.index, self.step)
        return pct

    def _fail(self, what: str) -> None:
        self.result.errors.append(f"session {self.index}, step {self.step}: {what}")

    @abc.abstractmethod
    async def rerun(self) -> None:
        """Change the discount and check the new figures (each client its own way)."""

    async def run_until(self, deadline: float) -> None:
        """Edit, wait for the new figures, think (0.5x to 1.5x ``think_s``), again."""
        pause = random.Random(self.index)
        if self.think_s:  # spread the sessions' first edits over one think time
            await asyncio.sleep(pause.uniform(0, self.think_s))
        while time.monotonic() < deadline and len(self.result.errors) < 200:
            await self.rerun()
            if self.think_s:
                left = deadline - time.monotonic()
                await asyncio.sleep(max(0.0, min(left, self.think_s * pause.uniform(0.5, 1.5))))


class Session(User):
    """A user in a browser: its own Playwright context and page."""

    def __init__(self, index: int, base_url: str, result: Result, think_s: float = 0.0) -> None:
        super().__init__(index, base_url, result, think_s)
        self.page: Any = None

    async def open(self, browser: Any) -> bool:
        context = await browser.new_context(viewport=VIEWPORT)
        self.page = await context.new_page()
        self.page.on("pageerror", lambda exc: self._fail(f"JavaScript error: {exc}"))
        started = time.monotonic()
        try:
            await self.page.goto(
                share.share_url(self.scenario, self.base_url), timeout=OPEN_TIMEOUT_MS
            )
            await self.page.wait_for_function(
                _MATCH_JS,
                arg=self.expected,
                polling=50,
                timeout=OPEN_TIMEOUT_MS,
            )
            self.result.open_s.append(time.monotonic() - started)
            self.result.browser_open_s.append(self.result.open_s[-1])
            await self._check_own()
            await self._open_general()
        except Exception as exc:  # a session that cannot open is an error, not a crash
            self._fail(f"could not open its link: {type(exc).__name__}: {exc}")
            return False
        self.result.opened += 1
        return True

    async def _open_general(self) -> None:
        """Open the sidebar's General section (where the discount is) unless it is open."""
        section = self.page.locator(
            '[data-testid="stSidebar"] [data-testid="stExpander"]', has_text="General"
        )
        details = section.locator("details").first
        if await details.get_attribute("open") is None:
            await details.locator("summary").first.click()
        await section.locator("details[open] " + DISCOUNT_INPUT).wait_for(timeout=OPEN_TIMEOUT_MS)

    async def _check_own(self) -> None:
        """The page shows this session's name and figures, and its link is this scenario."""
        shown = await self.page.evaluate(_SHOWN_JS)
        if shown["exceptions"]:
            self._fail("the page shows an exception")
        if shown["name"] != self.scenario.name:
            self.result.leaks.append(f"session {self.index} shows scenario name {shown['name']!r}")
        values = [value for _, value in shown["metrics"]]
        if values != self.expected:
            self.result.leaks.append(f"session {self.index} shows figures {values}")
        token = None
        for _ in range(100):  # the URL is updated at the end of the run; allow it to land
            token = query_token(self.page.url)
            if token and share.decode(token) == self.scenario:
                return
            await asyncio.sleep(0.05)
        decoded = share.decode(token).name if token else None
        self.result.leaks.append(f"session {self.index}: its link holds {decoded!r}, not its own")

    async def rerun(self) -> None:
        """Type a new discount, commit it with Enter, and time until the figures are new."""
        pct = self._next_case()
        field = self.page.locator(DISCOUNT_INPUT)
        await field.fill(f"{pct:.2f}")
        started = time.monotonic()
        await field.press("Enter")
        try:
            await self.page.wait_for_function(
                _MATCH_JS, arg=self.expected, polling=20, timeout=RERUN_TIMEOUT_MS
            )
        except Exception as exc:
            self._fail(f"figures not updated: {type(exc).__name__}")
            return
        latency = time.monotonic() - started
        self.result.latencies_s.append(latency)
        self.result.browser_latencies_s.append(latency)
        self.result.reruns += 1
        await self._check_own()


class WsSession(User):
    """A user without a browser: Streamlit's websocket protocol (``load_ws.StreamlitClient``).

    ``showing`` maps every session to the figures it should show now, so figures that are not
    this session's own can be told apart: another session's are a leak, others an error. A
    session on another page than the planner (``page``, opened by its URL path) checks its
    name, its link and that no exception shows; the planner's figures are not on that page."""

    def __init__(
        self,
        index: int,
        base_url: str,
        result: Result,
        think_s: float,
        showing: dict[int, list[str]],
        page: str = "planner",
    ) -> None:
        super().__init__(index, base_url, result, think_s)
        self.showing = showing
        self.page = page
        query = urlsplit(share.share_url(self.scenario, base_url)).query
        path = "" if page == "planner" else page
        self.client = StreamlitClient(
            base_url,
            query,
            timeout_s=OPEN_TIMEOUT_MS / 1000,
            page_name=path,
            sticky=result.replicas > 1,
        )

    @property
    def replica(self) -> str:
        """The replica serving this session (by the balancer's cookie; "-" without one)."""
        return self.client.cookies.get(REPLICA_COOKIE, "-")

    async def open(self) -> bool:
        """Connect with this session's link in the address bar and wait for the first run."""
        self.showing[self.index] = self.expected
        started = time.monotonic()
        try:
            await self.client.connect()
            await self.client.run()
        except (ProtocolError, OSError, TimeoutError, websockets.WebSocketException) as exc:
            self._fail(f"could not open its link: {type(exc).__name__}: {exc}")
            return False
        self.client.timeout_s = RERUN_TIMEOUT_MS / 1000
        if not self._check_own():
            return False
        self.result.open_s.append(time.monotonic() - started)
        self.result.opened += 1
        self.result.opened_on[self.replica] += 1
        return True

    async def close(self) -> None:
        """Close the websocket (already closed or broken ones included)."""
        with contextlib.suppress(OSError, websockets.WebSocketException):
            await self.client.close()

    def _check_own(self) -> bool:
        """The last run showed this session's figures, name and link and no exception; say
        whether the figures were its own."""
        page = self.client.page
        for problem in page.exceptions():
            self._fail(f"the page shows an exception: {problem[:200]}")
        if page.title() != self.page.capitalize():
            self._fail(f"shows the page {page.title()!r}, not {self.page!r}")
        own = self.expected
        values = own  # off the planner there are no headline figures to compare
        if self.page == "planner":
            values = [value for _, value in page.metrics()]
        if values != own:
            if values in [v for i, v in self.showing.items() if i != self.index]:
                self.result.leaks.append(f"session {self.index} shows figures {values}")
            else:
                self._fail(f"figures not updated or wrong: {values}, expected {own}")
        name = page.first_text()
        if name != self.scenario.name:
            self.result.leaks.append(f"session {self.index} shows scenario name {name!r}")
        token = query_token(self.client.url)
        if not token or share.decode(token) != self.scenario:
            decoded = share.decode(token).name if token else None
            self.result.leaks.append(f"session {self.index}: its link holds {decoded!r}")
        return values == own

    async def rerun(self, retry: bool = True) -> None:
        """Send the new discount in a rerun request; time it until the run has finished. Behind
        a balancer, a dropped connection is followed by a reconnection and the same edit."""
        pct = self._next_case()
        self.showing[self.index] = self.expected
        try:
            latency = await self.client.run({DISCOUNT_KEY: WidgetState(double_value=pct)})
        except (ProtocolError, OSError, TimeoutError, websockets.WebSocketException) as exc:
            if retry and self.result.replicas > 1 and await self._reconnect(exc):
                await self.rerun(retry=False)
                return
            self._fail(f"rerun failed: {type(exc).__name__}: {exc}")
            return
        if self._check_own():
            self.result.latencies_s.append(latency)
            self.result.page_latencies_s.setdefault(self.page, []).append(latency)
            self.result.reruns += 1

    async def _reconnect(self, cause: Exception) -> bool:
        """Reconnect as the frontend does after its connection dropped; the new session must
        show this session's scenario from its link: the last one shown, or the edit being sent
        when the connection dropped (if the app had already put it in the link)."""
        try:
            took = await self.client.reconnect()
        except (ProtocolError, OSError, TimeoutError, websockets.WebSocketException) as exc:
            self._fail(
                f"could not reconnect after {type(cause).__name__}: {type(exc).__name__}: {exc}"
            )
            return False
        token = query_token(self.client.url)
        linked = share.decode(token) if token else None
        for step in (self.step - 1, self.step):
            _, scenario, expected = session_case(self.index, step)
            if scenario == linked:
                self.step, self.scenario, self.expected = step, scenario, expected
                break
        else:
            name = linked.name if linked else None
            self.result.leaks.append(f"session {self.index} reconnected with the link of {name!r}")
            return False
        self.showing[self.index] = self.expected
        if not self._check_own():
            return False
        self.result.reconnect_s.append(took)
        return True


def _sample_memory(pids: list[int]) -> float:
    """Resident memory of the server processes together, in MiB."""
    return sum(rss_mib(pid) for pid in pids)


async def _sample(
    pids: list[int], result: Result, stop: asyncio.Event, cpu_seen: dict[int, float]
) -> None:
    """Every 0.5 s: the servers' memory, and each server's CPU time so far (kept after it
    stops, so a replica killed mid-run still counts what it spent)."""
    while not stop.is_set():
        result.rss_mib.append(_sample_memory(pids))
        for pid in pids:
            cpu_seen[pid] = max(cpu_seen.get(pid, 0.0), cpu_seconds([pid]))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.5)
    result.rss_mib.append(_sample_memory(pids))


async def _kill_replica(cluster: Cluster, at_s: float, result: Result) -> None:
    """Kill replica 1 (SIGKILL, as a crash) ``at_s`` seconds from now."""
    await asyncio.sleep(at_s)
    with contextlib.suppress(ProcessLookupError):
        os.kill(cluster.replica_pids[0], signal.SIGKILL)
    result.killed_replica, result.killed_at_s = "r1", at_s


async def _measure(
    users: list[User],
    pids: list[int],
    seconds: float,
    result: Result,
    others: list[int],
    cpu_seen: dict[int, float],
    cluster: Cluster | None = None,
    kill_at_s: float | None = None,
) -> None:
    """Run the opened sessions until ``seconds`` have passed (killing a replica on the way when
    asked); CPU of the servers, the balancer, this process and ``others`` (the browser) over
    exactly that window."""
    server_cpu = {pid: cpu_seconds([pid]) for pid in pids}
    browser_cpu = cpu_seconds(others)
    balancer = [cluster.haproxy_pid] if cluster else []
    balancer_cpu = cpu_seconds(balancer)
    client_cpu = time.process_time()
    started = time.monotonic()
    deadline = started + seconds
    tasks = [u.run_until(deadline) for u in users]
    if cluster is not None and kill_at_s is not None:
        tasks.append(_kill_replica(cluster, kill_at_s, result))
    await asyncio.gather(*tasks)
    result.seconds = time.monotonic() - started
    for pid in pids:
        cpu_seen[pid] = max(cpu_seen.get(pid, 0.0), cpu_seconds([pid]))
    result.server_cpu_s = sum(cpu_seen[pid] - server_cpu[pid] for pid in pids)
    result.balancer_cpu_s = cpu_seconds(balancer) - balancer_cpu
    result.browser_cpu_s = cpu_seconds(others) - browser_cpu
    result.client_cpu_s = time.process_time() - client_cpu
    result.machine_load = os.getloadavg()[0]
    result.ended_on.update(u.replica for u in users if isinstance(u, WsSession))


async def _drive_sessions(
    base_url: str,
    pids: list[int],
    seconds: float,
    result: Result,
    cpu_seen: dict[int, float],
    cluster: Cluster | None = None,
    kill_at_s: float | None = None,
) -> None:
    """Open ``result.sessions`` users (the first ``result.browsers`` in Chromium, the others
    over the websocket protocol), six at a time, then measure them together."""
    showing: dict[int, list[str]] = {}
    for index, step in itertools.product(range(result.sessions), range(DISCOUNT_STEPS)):
        session_case(index, step)  # before any session opens: the server is idle meanwhile
    users: list[User] = [
        Session(i, base_url, result, result.think_s)
        if i < result.browsers
        else WsSession(
            i, base_url, result, result.think_s, showing, result.pages[i % len(result.pages)]
        )
        for i in range(result.sessions)
    ]
    gate = asyncio.Semaphore(OPEN_AT_ONCE)
    async with contextlib.AsyncExitStack() as stack:
        browser: Any = None
        if result.browsers:
            from playwright.async_api import async_playwright

            playwright = await stack.enter_async_context(async_playwright())
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
            )
            stack.push_async_callback(browser.close)
        stack.push_async_callback(
            lambda: asyncio.gather(*(u.close() for u in users if isinstance(u, WsSession)))
        )

        async def open_one(user: User) -> bool:
            async with gate:
                if isinstance(user, Session):
                    return await user.open(browser)
                assert isinstance(user, WsSession)
                return await user.open()

        opened = await asyncio.gather(*(open_one(u) for u in users))
        live = [u for u, ok in zip(users, opened, strict=True) if ok]
        servers = set(pids)
        if cluster is not None:
            servers |= {cluster.serve.pid, *descendants(cluster.serve.pid)}
        browser_pids = [p for p in descendants(os.getpid()) if p not in servers]
        await _measure(live, pids, seconds, result, browser_pids, cpu_seen, cluster, kill_at_s)


async def _drive(
    base_url: str,
    pids: list[int],
    sessions: int,
    seconds: float,
    think_s: float,
    browsers: int,
    pages: tuple[str, ...],
    cluster: Cluster | None = None,
    kill_at_s: float | None = None,
) -> Result:
    client = "browser" if browsers == sessions else "ws"
    result = Result(
        sessions=sessions,
        client=client,
        browsers=browsers,
        think_s=think_s,
        pages=pages,
        replicas=len(cluster.replica_pids) if cluster else 1,
    )
    stop = asyncio.Event()
    cpu_seen: dict[int, float] = {}
    sampler = asyncio.create_task(_sample(pids, result, stop, cpu_seen))
    try:
        await _drive_sessions(base_url, pids, seconds, result, cpu_seen, cluster, kill_at_s)
        if cluster is not None:
            result.balancer_connections = await asyncio.to_thread(cluster.connections)
    finally:
        stop.set()
        await sampler
    return result


@dataclass
class Cluster:
    """The app as ``deploy/serve.sh`` runs it: replicas behind HAProxy."""

    url: str
    serve: subprocess.Popen[str]
    replica_pids: list[int]
    haproxy_pid: int
    stats_url: str

    def connections(self) -> dict[str, int]:
        """HAProxy's count of connections it sent to each replica so far (``stot``)."""
        with urllib.request.urlopen(self.stats_url + ";csv", timeout=5) as response:
            lines = response.read().decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {
            row["svname"]: int(row["stot"] or 0)
            for row in rows
            if row.get("pxname") == "replicas" and row["svname"] not in ("FRONTEND", "BACKEND")
        }


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except OSError:
        return False


def haproxy_path() -> str | None:
    """HAProxy's program (Debian puts it in /usr/sbin, which a user's PATH may lack)."""
    found = shutil.which("haproxy") or "/usr/sbin/haproxy"
    return found if os.access(found, os.X_OK) else None


@contextlib.contextmanager
def start_cluster(replicas: int, timeout_s: float = CLUSTER_TIMEOUT_S) -> Iterator[Cluster]:
    """Run ``deploy/serve.sh replicas`` on free loopback ports, wait until the balancer
    answers, yield the cluster, and stop all of it (the script's process group) at the end."""
    if haproxy_path() is None:
        raise ServerError("haproxy is not installed (Debian: apt-get install haproxy)")
    port, stats, *ports = (free_port() for _ in range(replicas + 2))
    run_dir = Path(tempfile.mkdtemp(prefix="mrrsim-bench-serve."))
    env = {
        **os.environ,
        "PORT": str(port),
        "BIND": "127.0.0.1",
        "STATS_PORT": str(stats),
        "REPLICA_PORTS": " ".join(map(str, ports)),
        "RUN_DIR": str(run_dir),
        "HAPROXY": haproxy_path() or "haproxy",
    }
    url = f"http://127.0.0.1:{port}/"
    with open(run_dir / "serve.log", "w+") as log:
        serve = subprocess.Popen(
            ["bash", str(SERVE), str(replicas)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout_s
            while not ((run_dir / "haproxy.pid").exists() and _healthy(url)):
                if serve.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise ServerError(f"deploy/serve.sh did not come up:\n{log.read()[-2000:]}")
                time.sleep(0.2)
            yield Cluster(
                url=url,
                serve=serve,
                replica_pids=[
                    int((run_dir / f"replica-{i}.pid").read_text()) for i in range(1, replicas + 1)
                ],
                haproxy_pid=int((run_dir / "haproxy.pid").read_text()),
                stats_url=f"http://127.0.0.1:{stats}/",
            )
        finally:
            stop_server(serve)
            shutil.rmtree(run_dir, ignore_errors=True)


def run(
    sessions: int,
    seconds: float,
    think_s: float = 0.0,
    client: str = "ws",
    browsers: int = 0,
    pages: tuple[str, ...] = ("planner",),
    replicas: int = 1,
    kill_replica_at: float | None = None,
) -> Result:
    """Start the app, drive ``sessions`` concurrent users (``client``: "ws" or "browser"; with
    "ws", ``browsers`` of them still in Chromium, the others spread over ``pages`` in turn) for
    ``seconds``, each pausing about ``think_s`` between edits (0 = back to back); stop
    everything. With ``replicas`` >= 2 the app runs behind HAProxy (``deploy/serve.sh``), and
    ``kill_replica_at`` kills replica 1 that many seconds into the measured window."""
    if client not in CLIENTS:
        raise ValueError(f"client must be one of {CLIENTS}, not {client!r}")
    if not 0 <= browsers <= sessions:
        raise ValueError("browsers must be between 0 and the number of sessions")
    if not pages or not set(pages) <= set(PAGES):
        raise ValueError(f"pages must be some of {PAGES}, not {pages!r}")
    if replicas < 1 or (kill_replica_at is not None and replicas < 2):
        raise ValueError("replicas must be 1 or more, and at least 2 to kill one")
    in_chromium = sessions if client == "browser" else browsers
    if replicas == 1:
        with start_server() as (url, process):
            return asyncio.run(
                _drive(url, [process.pid], sessions, seconds, think_s, in_chromium, pages)
            )
    with start_cluster(replicas) as cluster:
        return asyncio.run(
            _drive(
                cluster.url,
                cluster.replica_pids,
                sessions,
                seconds,
                think_s,
                in_chromium,
                pages,
                cluster,
                kill_replica_at,
            )
        )


def _cluster_rows(s: dict[str, Any]) -> list[tuple[str, str]]:
    """The report's rows about replicas, the balancer and a killed replica (if any)."""
    if s["replicas"] < 2:
        return []

    def split(counts: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "-"

    rows = [
        ("replicas (behind HAProxy)", f"{s['replicas']}"),
        ("sessions opened per replica", split(s["sessions_opened_per_replica"])),
        ("sessions per replica at the end", split(s["sessions_per_replica_at_end"])),
        ("HAProxy connections per replica", split(s["balancer_connections_per_replica"])),
        ("balancer CPU", f"{s['balancer_cpu_s']} s"),
    ]
    if s["killed_replica"]:
        rows += [
            ("replica killed", f"{s['killed_replica']} at {s['killed_at_s']:g} s (SIGKILL)"),
            (
                "reconnected, own scenario kept",
                f"{s['reconnects']} (p50 {s['reconnect_p50_s']} s, max {s['reconnect_max_s']} s)",
            ),
        ]
    return rows


def report(result: Result) -> str:
    s = result.summary()
    browser_rows = []
    if s["browser_sessions"]:
        browser_rows = [("browser + driver CPU", f"{s['browser_cpu_s']} s")]
    if 0 < s["browser_sessions"] < s["sessions"]:
        browser_rows.insert(
            0,
            (
                f"rerun latency in Chromium ({s['browser_sessions']}) p50 / p95",
                f"{s['browser_rerun_p50_s']} s / {s['browser_rerun_p95_s']} s "
                "(Enter to new figures shown)",
            ),
        )
        browser_rows.insert(
            1,
            (
                "open a link in Chromium p50 / p95",
                f"{s['browser_open_p50_s']} s / {s['browser_open_p95_s']} s (first full render)",
            ),
        )
    rows = [
        ("client", f"{s['client']}"),
        ("sessions (opened)", f"{s['sessions']} ({s['sessions_opened']})"),
        ("measured", f"{s['measured_s']} s"),
        ("reruns", f"{s['reruns']}"),
        ("reruns per second", f"{s['reruns_per_s']}"),
        ("rerun latency p50", f"{s['rerun_p50_s']} s"),
        ("rerun latency p95", f"{s['rerun_p95_s']} s  (goal <= {GOAL_P95_S} s)"),
        ("rerun latency max", f"{s['rerun_max_s']} s"),
        ("open a link p50 / p95", f"{s['open_p50_s']} s / {s['open_p95_s']} s"),
        (
            "server RSS start / peak / end",
            f"{s['server_rss_start_mib']} / {s['server_rss_peak_mib']} / "
            f"{s['server_rss_end_mib']} MiB",
        ),
        ("think time between edits", f"{s['think_s']} s (0 = back to back)"),
        (
            "server CPU (share of 1 core)",
            f"{s['server_cpu_s']} s ({s['server_cpu_share']}), "
            f"{s['server_cpu_ms_per_rerun']} ms per rerun",
        ),
        (
            "client CPU (this process)",
            f"{s['client_cpu_s']} s, {s['client_cpu_ms_per_rerun']} ms per rerun",
        ),
        *browser_rows,
        *_cluster_rows(s),
        ("machine load average (1 min)", f"{s['load_average_1min']}"),
        ("errors", f"{s['errors']}"),
        ("cross-session leaks", f"{s['leaks']}"),
    ]
    if len(result.pages) > 1:
        at = rows.index(next(r for r in rows if r[0] == "rerun latency max")) + 1
        rows[at:at] = [
            (
                f"rerun latency on {page} p50 / p95",
                f"{s['page_rerun_p50_s'].get(page)} s / {s['page_rerun_p95_s'].get(page)} s",
            )
            for page in result.pages
        ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k.ljust(width)}  {v}" for k, v in rows]
    lines += [f"  error: {e}" for e in result.errors[:10]]
    lines += [f"  leak: {e}" for e in result.leaks[:10]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=GOAL_SESSIONS)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--think",
        type=float,
        default=DEFAULT_THINK_S,
        metavar="S",
        help="a user's pause between edits, 0.5x to 1.5x (0: back to back, the stress case)",
    )
    parser.add_argument(
        "--client",
        choices=CLIENTS,
        default="ws",
        help="ws: Streamlit's websocket protocol, no browser (default); browser: headless Chromium",
    )
    parser.add_argument(
        "--browsers",
        type=int,
        default=0,
        metavar="K",
        help="with --client ws: K of the sessions in headless Chromium, to time real pages "
        "while the others load the server",
    )
    parser.add_argument(
        "--pages",
        default="planner",
        metavar="P,Q",
        help=f"pages the websocket sessions open, in turn (of {', '.join(PAGES)}); "
        "off the planner, each session checks its name, link and page but not the figures",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        metavar="N",
        help="N >= 2: run N replicas behind HAProxy with sticky sessions (deploy/serve.sh)",
    )
    parser.add_argument(
        "--kill-replica-at",
        type=float,
        default=None,
        metavar="S",
        help="with --replicas: kill replica 1 S seconds into the run; its sessions must "
        "reconnect to another replica and keep their scenario",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.replicas <= 8:
        parser.error("--replicas must be 1..8")
    if args.kill_replica_at is not None and (
        args.replicas < 2 or not 0 <= args.kill_replica_at < args.seconds
    ):
        parser.error("--kill-replica-at needs --replicas 2 or more and a time within --seconds")
    if not 1 <= args.sessions <= 200 or not 1 <= args.seconds <= 1800 or not 0 <= args.think <= 600:
        parser.error("--sessions must be 1..200, --seconds 1..1800 and --think 0..600")
    if not 0 <= args.browsers <= args.sessions:
        parser.error("--browsers must be between 0 and --sessions")
    pages = tuple(p.strip() for p in args.pages.split(",") if p.strip())
    if not pages or not set(pages) <= set(PAGES):
        parser.error(f"--pages must be a comma-separated list of {', '.join(PAGES)}")
    mixed = f" ({args.browsers} in Chromium)" if args.browsers and args.client == "ws" else ""
    print(
        f"load: {args.sessions} {args.client} sessions{mixed} for {args.seconds:g} s, "
        f"think {args.think:g} s, on {os.cpu_count()} CPUs"
    )
    if args.replicas > 1:
        killed = f", replica 1 killed at {args.kill_replica_at:g} s" if args.kill_replica_at else ""
        print(f"through HAProxy: {args.replicas} replicas{killed}")
    result = run(
        args.sessions,
        args.seconds,
        args.think,
        args.client,
        args.browsers,
        pages,
        args.replicas,
        args.kill_replica_at,
    )
    print(report(result))
    if args.json:
        data = {**result.summary(), "error_list": result.errors, "leak_list": result.leaks}
        Path(args.json).write_text(json.dumps(data, indent=2))
    return 0 if not result.errors and not result.leaks else 1


if __name__ == "__main__":
    sys.exit(main())
