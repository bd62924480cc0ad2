"""The load benchmark (``benchmarks/bench_load.py``) run small, so it cannot rot, with both of
its clients: five websocket sessions for 20 s (several reruns each), and three sessions for
15 s of which two are Chromium pages, each on its own share link, with no errors and no cross-session leaks, and its
headline figures checked against ``summarize()`` on every rerun. Also the websocket client's
protobuf helpers (``benchmarks/load_ws.py``) and the checks that tell a leak from an error.

The browser run needs Debian's Chromium; skipped without it, except in CI (``CI=true``), where
it must run. The same holds for HAProxy and the run through the balancer: two replicas started
by ``deploy/serve.sh``, six sessions, one replica killed mid-run; its sessions reconnect to the
other and show their own scenario again.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from browser_util import chromium_available
from conftest import unavailable
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = 3
SECONDS = 15.0
WS_SESSIONS = 5
WS_SECONDS = 20.0
WS_THINK_S = 2.0
DISCOUNT_ID = "$$ID-4070f04b0cfc634c740debe822fe4068-ed.annual_discount"


def _load(name: str) -> ModuleType:
    path = ROOT / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load("bench_load")


@pytest.fixture(scope="module")
def ws(bench: ModuleType) -> ModuleType:
    return sys.modules["load_ws"]


@pytest.fixture(scope="module")
def browser_bench(bench: ModuleType) -> ModuleType:
    if not chromium_available():
        unavailable(
            "headless Chromium is not available (/usr/bin/chromium or playwright)",
            "the browser load smoke test",
        )
    return bench


@pytest.fixture(scope="module")
def balanced_bench(bench: ModuleType) -> ModuleType:
    if bench.haproxy_path() is None:
        unavailable(
            "HAProxy is not installed (apt-get install haproxy)",
            "the load smoke run through the balancer",
        )
    return bench


# ---------------------------------------------------------------------------------------------
# Scenarios of the sessions
# ---------------------------------------------------------------------------------------------


def test_sessions_get_distinct_scenarios_and_figures(bench: ModuleType) -> None:
    """The sessions really differ (else a leak could not be seen): names, links, figures."""
    scenarios = [bench.session_scenario(i, bench.discount_for(i, 0)) for i in range(50)]
    assert len({s.name for s in scenarios}) == 50
    assert len({bench.share.encode(s) for s in scenarios}) == 50
    assert len({tuple(bench.expected_values(s)) for s in scenarios[:SESSIONS]}) == SESSIONS
    # Each step's discount differs from the last one, so every rerun shows new figures.
    for i in range(SESSIONS):
        steps = [bench.discount_for(i, step) for step in range(10)]
        assert all(a != b for a, b in itertools.pairwise(steps))
        figures = [tuple(bench.expected_values(bench.session_scenario(i, d))) for d in steps]
        assert all(a != b for a, b in itertools.pairwise(figures))


def test_session_case_is_the_scenario_of_that_step(bench: ModuleType) -> None:
    """The cached (discount, scenario, figures) of a step are those computed afresh, also
    once the discounts start over."""
    for step in (0, 3, bench.DISCOUNT_STEPS + 3):
        pct, scenario, figures = bench.session_case(7, step)
        assert pct == bench.discount_for(7, step)
        assert scenario == bench.session_scenario(7, pct)
        assert figures == bench.expected_values(scenario)


# ---------------------------------------------------------------------------------------------
# The websocket client's helpers
# ---------------------------------------------------------------------------------------------


def test_stream_address_and_origin(ws: ModuleType) -> None:
    assert ws.stream_url("http://127.0.0.1:8501/") == "ws://127.0.0.1:8501/_stcore/stream"
    assert ws.stream_url("https://host/app") == "wss://host/app/_stcore/stream"
    assert ws.origin_of("http://127.0.0.1:8501/?s=abc") == "http://127.0.0.1:8501"


def test_user_key_of_widget_ids(ws: ModuleType) -> None:
    assert ws.user_key(DISCOUNT_ID) == "ed.annual_discount"
    assert ws.user_key("$$ID-0123abcd-ed.seg.1.name") == "ed.seg.1.name"
    assert ws.user_key("$$ID-0123abcd-None") is None
    assert ws.user_key("not-a-widget") is None


def _number(value: float | None, *, set_value: bool, integer: bool = False) -> Element:
    element = Element()
    widget = element.number_input
    widget.id = DISCOUNT_ID
    widget.default = 15.0
    widget.data_type = NumberInput.INT if integer else NumberInput.FLOAT
    if value is not None:
        widget.value = value
    widget.set_value = set_value
    return element


def test_widget_state_is_what_a_browser_reports(ws: ModuleType) -> None:
    """The value the server set wins, else the default; integers stay integers; elements that
    are no (modelled) widget give no state."""
    state = ws.widget_state(_number(20.5, set_value=True))
    assert (state.id, state.WhichOneof("value"), state.double_value) == (
        DISCOUNT_ID,
        "double_value",
        20.5,
    )
    assert ws.widget_state(_number(20.5, set_value=False)).double_value == 15.0
    assert ws.widget_state(_number(36, set_value=True, integer=True)).int_value == 36
    text = Element()
    text.text_input.id = "$$ID-ab-ed.name"
    text.text_input.value = "Mine"
    text.text_input.set_value = True
    assert ws.widget_state(text).string_value == "Mine"
    empty = Element()
    empty.text_input.id = "$$ID-ab-ed.currency"
    assert ws.widget_state(empty) is None  # no value and no default: the browser sends none
    metric = Element()
    metric.metric.body = "$1.2M"
    assert ws.widget_state(metric) is None
    radio = Element()
    radio.radio.id = "$$ID-ab-planner.measure"
    assert ws.widget_state(radio) is None


def test_rerun_message_round_trips(ws: ModuleType) -> None:
    states = [WidgetState(id=DISCOUNT_ID, double_value=12.5)]
    message = ws.rerun_message("s=abc", "hash", states, "http://127.0.0.1:1/?s=abc")
    back = BackMsg()
    back.ParseFromString(message.SerializeToString())
    rerun = back.rerun_script
    assert back.WhichOneof("type") == "rerun_script"
    assert (rerun.query_string, rerun.page_script_hash) == ("s=abc", "hash")
    assert list(rerun.widget_states.widgets) == states
    assert list(rerun.cached_message_hashes) == []  # every message comes in full
    assert rerun.context_info.url == "http://127.0.0.1:1/?s=abc"


def _delta(path: tuple[int, ...], fill: str, value: str = "", label: str = "") -> bytes:
    """A serialized delta ForwardMsg: a new element (metric, text, exception, the discount
    input) or an ``add_block`` at ``path``."""
    msg = ForwardMsg()
    msg.metadata.delta_path.extend(path)
    if fill == "block":
        msg.delta.add_block.SetInParent()
    elif fill == "metric":
        msg.delta.new_element.metric.label = label
        msg.delta.new_element.metric.body = value
    elif fill == "text":
        msg.delta.new_element.text.body = value
    elif fill == "exception":
        msg.delta.new_element.exception.type = "ValueError"
        msg.delta.new_element.exception.message = value
    else:
        msg.delta.new_element.CopyFrom(_number(float(value), set_value=True))
    return msg.SerializeToString()


def _control(kind: str, value: object = None) -> bytes:
    msg = ForwardMsg()
    if kind == "new_session":
        msg.new_session.SetInParent()
    elif kind == "navigation":
        msg.navigation.page_script_hash = str(value)
    elif kind == "page_info":
        msg.page_info_changed.query_string = str(value)
    elif kind == "finished":
        msg.script_finished = int(value or 0)  # type: ignore[call-overload]
    else:
        msg.ref_hash = "cached"
    return msg.SerializeToString()


class FakeSocket:
    """The server's side of one script run: queued messages, and what the client sent."""

    def __init__(self, messages: list[bytes]) -> None:
        self.messages = list(messages)
        self.sent: list[bytes] = []

    async def send(self, data: bytes) -> None:
        self.sent.append(data)

    async def recv(self) -> bytes:
        return self.messages.pop(0)


def _run(ws: ModuleType, messages: list[bytes], changes: dict | None = None) -> tuple:
    client = ws.StreamlitClient("http://127.0.0.1:1", "s=old")
    client.widget_ids["ed.annual_discount"] = DISCOUNT_ID
    client._ws = FakeSocket(messages)
    asyncio.run(client.run(changes))
    return client, client._ws


def test_a_script_run_is_read_into_the_page(ws: ModuleType) -> None:
    """Main and sidebar apart, metrics in page order (by delta path, not by arrival), only
    this run's elements, the pushed query string and page kept, widget ids learnt, the changed
    widget sent."""
    messages = [
        _delta((0, 3, 2, 0), "metric", "old", "Before the run"),  # a run that was replaced
        _control("new_session"),
        _control("navigation", "planner"),
        _delta((1, 0), "text", "Sidebar text"),
        _delta((1, 4, 3), "number", "8.0"),
        _delta((0, 1), "text", "Load session 001"),
        _delta((0, 2, 0), "text", "A description"),
        _delta((0, 3, 1, 0), "metric", "$2M", "ARR"),
        _delta((0, 3, 0, 0), "metric", "$1M", "MRR"),
        _delta((0, 9, 0), "metric", "stale", "Gone"),
        _delta((0, 9), "block"),  # replaces the container and what was in it
        _control("page_info", "s=new"),
        _control("finished"),
    ]
    change = {"ed.annual_discount": WidgetState(double_value=12.5)}
    client, socket = _run(ws, messages, change)
    page = client.page
    assert page.metrics() == [("MRR", "$1M"), ("ARR", "$2M")]
    assert page.first_text() == "Load session 001"
    assert page.first_text(ws.SIDEBAR) == "Sidebar text"
    assert page.exceptions() == []
    assert client.query_string == "s=new"
    assert client.url == "http://127.0.0.1:1/?s=new"
    assert client.page_script_hash == "planner"
    sent = BackMsg()
    sent.ParseFromString(socket.sent[0])
    assert sent.rerun_script.query_string == "s=old"  # the address bar when it was sent
    assert list(sent.rerun_script.widget_states.widgets) == [
        WidgetState(id=DISCOUNT_ID, double_value=12.5)
    ]
    # The user's value stands until the app sets another (the server echoes 8.0 with set_value).
    assert client.states[DISCOUNT_ID].double_value == 8.0


def test_a_run_the_app_restarts_is_read_to_its_end(ws: ModuleType) -> None:
    """After st.rerun() (status FINISHED_EARLY_FOR_RERUN) the server runs the script again by
    itself, as when a page's link is the first request a fresh server gets: the client keeps
    reading and keeps only the run that finished."""
    early = ForwardMsg.FINISHED_EARLY_FOR_RERUN
    messages = [
        _control("new_session"),
        _delta((0, 1), "text", "Half a run"),
        _control("finished", early),
        _control("new_session"),
        _delta((0, 1), "text", "Load session 001"),
        _control("finished"),
    ]
    client, _ = _run(ws, messages)
    assert client.page.first_text() == "Load session 001"


def test_protocol_errors(ws: ModuleType) -> None:
    """A cached reference, a run that did not finish well and an unknown widget all refuse."""
    with pytest.raises(ws.ProtocolError, match="cached"):
        _run(ws, [_control("new_session"), _control("ref")])
    broken = ForwardMsg.FINISHED_WITH_COMPILE_ERROR
    with pytest.raises(ws.ProtocolError, match="FINISHED_WITH_COMPILE_ERROR"):
        _run(ws, [_control("new_session"), _control("finished", broken)])
    with pytest.raises(ws.ProtocolError, match="no widget"):
        _run(ws, [], {"ed.nope": WidgetState(double_value=1.0)})


def test_the_checks_tell_leaks_from_errors(bench: ModuleType, ws: ModuleType) -> None:
    """Own figures, name and link pass; another session's figures, name or link are leaks;
    figures of nobody and exceptions are errors."""
    showing: dict[int, list[str]] = {}
    result = bench.Result(sessions=2)
    me, other = (bench.WsSession(i, "http://127.0.0.1:1/", result, 0.0, showing) for i in range(2))
    showing.update({0: me.expected, 1: other.expected})

    def page(
        figures: list[str], name: str, link_of: object, error: str = "", title: str = "Planner"
    ) -> None:
        elements = {(0, 0): Element(), (0, 1): Element(), (0, 3, 0): Element()}
        elements[(0, 0)].heading.body = title
        elements[(0, 1)].text.body = name
        for i, value in enumerate(figures):
            elements[(0, 3, i, 0)] = Element()
            elements[(0, 3, i, 0)].metric.body = value
        if error:
            elements[(0, 9)] = Element()
            elements[(0, 9)].exception.message = error
        me.client.page = ws.AppPage(elements)
        me.client.query_string = "s=" + bench.share.encode(link_of.scenario)

    page(me.expected, me.scenario.name, me)
    assert me._check_own() and result.errors == [] and result.leaks == []
    page(other.expected, me.scenario.name, me)
    assert not me._check_own() and len(result.leaks) == 1 and result.errors == []
    page(me.expected, other.scenario.name, other)
    assert me._check_own() and len(result.leaks) == 3 and result.errors == []
    page(["$0"] * 8, me.scenario.name, me, error="boom")
    assert not me._check_own() and len(result.leaks) == 3 and len(result.errors) == 2
    page(me.expected, me.scenario.name, me, title="Sensitivity")  # the wrong page: an error
    assert me._check_own() and len(result.leaks) == 3 and len(result.errors) == 3
    assert "shows the page 'Sensitivity', not 'planner'" in result.errors[-1]


# ---------------------------------------------------------------------------------------------
# Small real runs
# ---------------------------------------------------------------------------------------------


def _check_run(bench: ModuleType, result: object, sessions: int) -> None:
    summary = result.summary()
    print(bench.report(result))
    assert result.errors == []
    assert result.leaks == []
    assert summary["sessions_opened"] == sessions
    assert summary["reruns"] >= sessions  # every session changed its inputs at least once
    assert len(result.latencies_s) == summary["reruns"]
    assert all(0 < t < bench.RERUN_TIMEOUT_MS / 1000 for t in result.latencies_s)
    assert summary["server_rss_peak_mib"] > 0


def test_a_small_websocket_load_run_has_no_errors_and_no_leaks(bench: ModuleType) -> None:
    result = bench.run(WS_SESSIONS, WS_SECONDS, WS_THINK_S, client="ws")
    _check_run(bench, result, WS_SESSIONS)
    assert result.summary()["reruns"] >= 3 * WS_SESSIONS  # several reruns each
    assert result.client == "ws" and result.browser_cpu_s == 0.0


def test_sessions_opening_every_page_at_once_on_a_fresh_server(bench: ModuleType) -> None:
    """Ten sessions open links to all five pages at once, as the server's first requests (as
    after a restart). This found two bugs: pages drawn outside app.py's frame (no editor, so no
    discount to change) and a half-imported pandas in concurrent first runs."""
    result = bench.run(10, WS_SECONDS, WS_THINK_S, client="ws", pages=bench.PAGES)
    _check_run(bench, result, 10)
    assert sorted(result.page_latencies_s) == sorted(bench.PAGES)
    assert all(len(lat) >= 2 for lat in result.page_latencies_s.values())


@pytest.mark.browser
def test_a_small_mixed_load_run_has_no_errors_and_no_leaks(browser_bench: ModuleType) -> None:
    """Two sessions in Chromium beside one websocket client: the real frontend is exercised,
    and its own latency is reported apart."""
    result = browser_bench.run(SESSIONS, SECONDS, client="ws", browsers=2)
    _check_run(browser_bench, result, SESSIONS)
    summary = result.summary()
    assert summary["browser_sessions"] == 2 and len(result.browser_open_s) == 2
    assert len(result.browser_latencies_s) >= 2  # each page changed its discount
    assert len(result.browser_latencies_s) < summary["reruns"]  # the ws client reran too
    assert summary["browser_rerun_p95_s"] is not None and result.browser_cpu_s > 0
    assert "rerun latency in Chromium (2)" in browser_bench.report(result)


# ---------------------------------------------------------------------------------------------
# Several replicas behind HAProxy (deploy/serve.sh)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["two"], {}, "REPLICAS must be a whole number (got 'two')"),
        (["0"], {}, "REPLICAS must be between 1 and 32 (got 0)"),
        (["2"], {"REPLICA_PORTS": "8611"}, "REPLICA_PORTS lists 1 ports for 2 replicas"),
    ],
)
def test_serve_refuses_bad_settings_at_once(args: list[str], env: dict, message: str) -> None:
    out = subprocess.run(
        ["bash", str(ROOT / "deploy" / "serve.sh"), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2
    assert message in out.stderr


def test_a_small_run_through_the_balancer_survives_a_killed_replica(
    balanced_bench: ModuleType,
) -> None:
    """Six sessions over two replicas, replica 1 killed 8 s in: no errors, no leaks, both
    replicas served sessions, and every session of the killed one reconnected through HAProxy
    to the other with its own scenario (from its link) and carried on."""
    bench = balanced_bench
    result = bench.run(6, WS_SECONDS, WS_THINK_S, client="ws", replicas=2, kill_replica_at=8.0)
    _check_run(bench, result, 6)
    summary = result.summary()
    opened = summary["sessions_opened_per_replica"]
    assert set(opened) == {"r1", "r2"} and sum(opened.values()) == 6
    assert summary["killed_replica"] == "r1"
    assert summary["sessions_per_replica_at_end"] == {"r2": 6}
    assert summary["reconnects"] == opened["r1"]
    assert all(0 < t < 30 for t in result.reconnect_s)
    connections = summary["balancer_connections_per_replica"]
    assert set(connections) == {"r1", "r2"} and all(n > 0 for n in connections.values())
    assert "reconnected, own scenario kept" in bench.report(result)
