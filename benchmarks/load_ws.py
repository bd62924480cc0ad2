"""A browserless Streamlit client: one app session over Streamlit's own websocket protocol.

Used by the load benchmark (``bench_load.py --client ws``) so that many users can be simulated
without a browser each: 50 Chromium tabs on two cores spend the CPU the server needs, and the
server's own latency disappears under the browsers'. This client does what the browser's
Streamlit frontend does for a session, nothing more:

* connects to ``ws://HOST:PORT/_stcore/stream`` with the ``streamlit`` subprotocol and a
  same-origin ``Origin`` header (the server refuses other origins);
* asks for a script run with a ``BackMsg.rerun_script`` holding the address bar's query string,
  the current page's script hash, the widget states it knows and the browser context;
* reads the server's ``ForwardMsg`` stream until ``script_finished``, keeping the elements of the
  run by their delta path (main area, sidebar), the widgets' ids by their keys, the page the
  app navigated to and the query string the app pushed (``page_info_changed``).

Behind a load balancer with sticky sessions (``sticky=True``) the client first loads the page
over HTTP, as a browser does, keeps the cookies the balancer sets (the one naming the replica),
and sends them with the websocket upgrade, so the websocket lands on the replica that served the
page. ``reconnect`` does what the browser's frontend does when the connection drops (a replica
stopped): a new session through the balancer, with the same cookies and the same address bar
(the share link), so the balancer moves it to a live replica and the app reopens the scenario.

No message cache is announced (``cached_message_hashes`` stays empty), so the server sends
every message in full, a little more work for the server than a browser's: a ``ref_hash``
message is a protocol error here. Widget states are sent for the widgets whose value this
client can read unambiguously from their elements (number, text and checkbox inputs) plus the
ones it changed; any other widget keeps its value on the server, as for a widget whose state a
rerun does not carry.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.RootContainer_pb2 import MAIN, SIDEBAR
from streamlit.proto.WidgetStates_pb2 import WidgetState

STREAM_PATH = "_stcore/stream"
SUBPROTOCOL = "streamlit"
FINISHED = ForwardMsg.FINISHED_SUCCESSFULLY
EARLY_FOR_RERUN = ForwardMsg.FINISHED_EARLY_FOR_RERUN
_STATUS_NAMES = {
    value.number: value.name
    for value in ForwardMsg.DESCRIPTOR.enum_types_by_name["ScriptFinishedStatus"].values
}

__all__ = [
    "MAIN",
    "SIDEBAR",
    "AppPage",
    "ProtocolError",
    "StreamlitClient",
    "origin_of",
    "rerun_message",
    "stream_url",
    "user_key",
    "widget_state",
]


class ProtocolError(RuntimeError):
    """The server said something this client cannot follow (a cached reference, a run that
    ended with an error, a closed connection)."""


def stream_url(base_url: str) -> str:
    """The websocket address of a Streamlit app at ``base_url`` (``http://host:port/``)."""
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{scheme}://{parts.netloc}{path}{STREAM_PATH}"


def origin_of(base_url: str) -> str:
    """The ``Origin`` a browser on ``base_url`` sends (the server checks it against Host)."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def user_key(widget_id: str) -> str | None:
    """The key a widget was given in the app (``key=...``), from its element id
    (``$$ID-<hash>-<key>``); None for a widget without a key."""
    if not widget_id.startswith("$$ID-"):
        return None
    _, _, rest = widget_id.partition("$$ID-")
    _, sep, key = rest.partition("-")
    return key if sep and key and key != "None" else None


def widget_state(element: Element) -> WidgetState | None:
    """The state the browser reports for a widget element it has just drawn: the value the
    server set (``set_value``) or else the default; None for other elements, widgets without
    a value, and widget kinds this client does not model."""
    kind = element.WhichOneof("type")
    if kind not in ("number_input", "text_input", "text_area", "checkbox"):
        return None
    widget = getattr(element, kind)
    state = WidgetState(id=widget.id)
    if kind == "checkbox":
        state.bool_value = widget.value if widget.set_value else widget.default
        return state
    if widget.set_value:
        if not widget.HasField("value"):
            return None
        value = widget.value
    elif widget.HasField("default"):
        value = widget.default
    else:
        return None
    if kind != "number_input":
        state.string_value = value
    elif widget.data_type == NumberInput.INT:
        state.int_value = int(value)
    else:
        state.double_value = value
    return state


def rerun_message(
    query_string: str,
    page_script_hash: str,
    states: list[WidgetState],
    url: str,
    page_name: str = "",
) -> BackMsg:
    """The ``BackMsg`` asking for a script run, as the browser sends it: query string, page
    (by script hash, or on the first run by the URL path's ``page_name``), widget states and the
    browser context (``st.context``), no cached message hashes."""
    client_state = ClientState(
        query_string=query_string, page_script_hash=page_script_hash, page_name=page_name
    )
    client_state.widget_states.widgets.extend(states)
    info = client_state.context_info
    info.timezone = "UTC"
    info.timezone_offset = 0
    info.locale = "en-US"
    info.url = url
    info.is_embedded = False
    info.color_scheme = "light"
    return BackMsg(rerun_script=client_state)


@dataclass
class AppPage:
    """The page as the last finished script run left it: elements by delta path, widgets by
    key, and the exceptions shown."""

    elements: dict[tuple[int, ...], Element] = field(default_factory=dict)

    def _in(self, root: int, kind: str) -> list[Element]:
        return [
            element
            for path, element in sorted(self.elements.items())
            if path and path[0] == root and element.WhichOneof("type") == kind
        ]

    def metrics(self, root: int = MAIN) -> list[tuple[str, str]]:
        """(label, value) of every metric in ``root``, in page order."""
        return [(e.metric.label, e.metric.body) for e in self._in(root, "metric")]

    def title(self, root: int = MAIN) -> str | None:
        """The first heading (``st.title``) in ``root``: the page's name."""
        headings = self._in(root, "heading")
        return headings[0].heading.body if headings else None

    def first_text(self, root: int = MAIN) -> str | None:
        """The first plain text (``st.text``) in ``root``, e.g. the scenario's name."""
        texts = self._in(root, "text")
        return texts[0].text.body if texts else None

    def exceptions(self) -> list[str]:
        """The messages of every exception element on the page."""
        return [
            f"{e.exception.type}: {e.exception.message}"
            for _, e in sorted(self.elements.items())
            if e.WhichOneof("type") == "exception"
        ]


class StreamlitClient:
    """One app session over the websocket: ``connect``, then ``run`` (a script run, with
    changed widget values) as often as needed, then ``close``."""

    def __init__(
        self,
        base_url: str,
        query_string: str = "",
        timeout_s: float = 60.0,
        page_name: str = "",
        sticky: bool = False,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.sticky = sticky  # load the page first and send its cookies (a balancer's)
        self.cookies: dict[str, str] = {}
        self.query_string = query_string
        self.page_name = page_name  # the URL path of a page opened directly ("" = the default)
        self.page_script_hash = ""
        self.timeout_s = timeout_s
        self.page = AppPage()
        self.widget_ids: dict[str, str] = {}
        self.states: dict[str, WidgetState] = {}
        self._ws: Any = None

    @property
    def url(self) -> str:
        """The address bar: the app's address, the page's path and the query string the app
        last set."""
        query = f"?{self.query_string}" if self.query_string else ""
        return self.base_url + self.page_name + query

    def _load_page(self) -> None:
        """GET the page as a browser does, sending and keeping cookies (name=value only)."""
        request = urllib.request.Request(self.url)
        if self.cookies:
            request.add_header("Cookie", self._cookie_header())
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()
            response.read()

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    async def connect(self) -> None:
        headers = {}
        if self.sticky:
            await asyncio.to_thread(self._load_page)
            headers["Cookie"] = self._cookie_header()
        self._ws = await websockets.connect(
            stream_url(self.base_url),
            origin=origin_of(self.base_url),  # type: ignore[arg-type]
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            max_size=None,
            open_timeout=self.timeout_s,
            additional_headers=headers or None,
        )

    async def reconnect(self) -> float:
        """After the connection dropped: a new session at the same address (same cookies, same
        query string, same page), its first run read to the end. Returns the seconds taken."""
        started = time.monotonic()
        old, self._ws = self._ws, None
        if old is not None:
            with contextlib.suppress(OSError, websockets.WebSocketException):
                await old.close()
        self.page = AppPage()
        self.widget_ids.clear()
        self.states.clear()
        await self.connect()
        await self.run()
        return time.monotonic() - started

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def run(self, changes: dict[str, WidgetState] | None = None) -> float:
        """Set the widgets in ``changes`` (by key; the state's id is filled in), ask for a
        script run and read until it has finished. Returns the seconds from sending the
        request to ``script_finished``; ProtocolError when the run did not finish well."""
        for key, state in (changes or {}).items():
            if key not in self.widget_ids:
                raise ProtocolError(f"no widget with key {key!r} on the page")
            state.id = self.widget_ids[key]
            self.states[state.id] = state
        message = rerun_message(
            self.query_string,
            self.page_script_hash,
            list(self.states.values()),
            self.url,
            "" if self.page_script_hash else self.page_name,
        )
        started = time.monotonic()
        await self._ws.send(message.SerializeToString())
        await asyncio.wait_for(self._read_run(), timeout=self.timeout_s)
        return time.monotonic() - started

    async def _read_run(self) -> None:
        elements: dict[tuple[int, ...], Element] = {}
        while True:
            try:
                data = await self._ws.recv()
            except websockets.ConnectionClosed as exc:
                raise ProtocolError(f"connection closed: {exc}") from exc
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "ref_hash":
                raise ProtocolError("the server sent a cached-message reference")
            if kind == "new_session":
                elements = {}
            elif kind == "navigation" and msg.navigation.page_script_hash:
                self.page_script_hash = msg.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "delta":
                self._apply(msg, elements)
            elif kind == "script_finished":
                if msg.script_finished == EARLY_FOR_RERUN:
                    continue  # the app called st.rerun(): the server starts the next run itself
                if msg.script_finished != FINISHED:
                    name = _STATUS_NAMES.get(msg.script_finished, str(msg.script_finished))
                    raise ProtocolError(f"script run ended {name}")
                self.page = AppPage(elements)
                return

    def _apply(self, msg: ForwardMsg, elements: dict[tuple[int, ...], Element]) -> None:
        """Keep a new element (or forget what an ``add_block`` replaces) at its delta path,
        and learn the widgets' ids and states as the browser would."""
        path = tuple(msg.metadata.delta_path)
        delta = msg.delta
        if delta.WhichOneof("type") == "add_block":
            for old in [p for p in elements if p[: len(path)] == path]:
                del elements[old]
            return
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        elements[path] = element
        kind = element.WhichOneof("type")
        widget = getattr(element, kind) if kind else None
        widget_id = getattr(widget, "id", "")
        if not isinstance(widget_id, str) or not widget_id.startswith("$$ID-"):
            return
        key = user_key(widget_id)
        if key is not None:
            self.widget_ids[key] = widget_id
        state = widget_state(element)
        # A value the app set wins over the browser's; otherwise the browser keeps its own.
        if state is not None and (widget_id not in self.states or widget.set_value):
            self.states[widget_id] = state
