"""Share links that carry a whole scenario, with no server-side storage.

Token format ``v2.<base64url>``: the base64url text (no padding) holds a 4-byte checksum (the
first bytes of SHA-256 over the version prefix and the payload) followed by the payload: one codec
byte and the scenario as compact positional JSON (values in the fixed field order of
``TOP_FIELDS`` and ``SEGMENT_FIELDS``, no key names), compressed by whichever codec is shorter for
it: raw deflate against a fixed preset dictionary (best for ordinary scenarios) or raw LZMA (best
for long non-English names and many-digit numbers). Floats are written with ``repr`` (the shortest
text that reads back bit for bit), whole floats as integers, and trailing fields equal to their
default are left out; the decoder puts those defaults back itself, so a link keeps its meaning
even if the model's defaults change later.

Version 2 appends the inputs of model version 2 (billing effect, lifetime, renewal notice; per
segment the signed contracts' discount, their renewal calendar, take-up with no discount and
switching) to version 1's field lists, which are otherwise unchanged. So a ``v1.`` link, made
before those inputs existed, decodes with the same code and opens with their defaults; its
contracts were signed at the discount it names, which is what the default says. The version is
read exactly (``v1.`` or ``v2.``; ``v01.`` is not a version).

The checksum catches links damaged in copying; it is not a signature (anyone can make a valid
link), which is why every decoded scenario is validated like any other untrusted input. Tokens
are size-checked before decoding and decompression is bounded, so a hostile link costs little.

Links stay within ``LINK_LIMIT`` characters for scenarios of up to 5 segments: the bundled
presets take 545-655, five segments with 80-character names and a 2,000-character English
description about 1,550-1,760. When a description would push a link over the limit (in practice
only with many-digit numbers everywhere, or text that does not compress), the description in the
link is cut, ending in ``…``, to fit; every other input, and so every number, is still reproduced
exactly, and ``is_exact`` tells whether that happened. The one case that cannot fit is long names
in scripts with thousands of characters (six random 80-character CJK names: about 2,250); such a
link is longer than the limit but still exact, up to ``MAX_TOKEN_CHARS``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import lzma
import math
import re
import zlib
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mrrsim.problems import prefixed
from mrrsim.scenario import Scenario, ScenarioError, parse_scenario

__all__ = [
    "LINK_LIMIT",
    "MAX_JSON_BYTES",
    "MAX_TOKEN_CHARS",
    "QUERY_KEY",
    "VERSION",
    "decode",
    "encode",
    "is_exact",
    "scenario_from_url",
    "share_url",
    "token_url",
]

QUERY_KEY = "s"
VERSION = 2
READABLE_VERSIONS = (1, 2)
LINK_LIMIT = 2_000
MAX_TOKEN_CHARS = 8_000
MAX_JSON_BYTES = 64 * 1024
ELLIPSIS = "…"
_PREFIX = f"v{VERSION}."
_CHECK_BYTES = 4
_VERSIONED = re.compile(r"v([1-9]\d{0,5})\.(.*)", re.DOTALL)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")

_REQUIRED = object()
TOP_FIELDS: tuple[tuple[str, Any], ...] = (
    ("name", _REQUIRED),
    ("segments", _REQUIRED),
    ("description", ""),
    ("horizon_months", 36),
    ("annual_discount", 0.15),
    ("cost_of_capital", 0.1),
    ("currency", "USD"),
    ("uncertainty.churn", 0.0),
    ("uncertainty.acquisition", 0.0),
    ("billing_effect", 0.5),
    ("lifetime_months", 120),
    ("renewal_notice_months", 0),
)
SEGMENT_FIELDS: tuple[tuple[str, Any], ...] = (
    ("name", _REQUIRED),
    ("list_price", _REQUIRED),
    ("new_customers", 0.0),
    ("acquisition_growth", 0.0),
    ("annual_share", 0.0),
    ("monthly_churn", 0.0),
    ("annual_churn", 0.0),
    ("monthly_expansion", 0.0),
    ("annual_expansion", 0.0),
    ("existing_monthly_customers", 0.0),
    ("existing_annual_customers", 0.0),
    ("annual_discount", None),
    ("existing_annual_discount", None),
    ("existing_annual_renewals", None),
    ("annual_share_at_no_discount", None),
    ("conversion_rate", 0.0),
    ("conversion_months", None),
)

_ZDICT = (
    b" the and of to a in for on is that with as are by at from or this it an be its their"
    b" than more less each every per not but so new existing base customer customers plan plans"
    b" monthly annual annually month months year years billing billed price pricing prices list"
    b" discount discounts churn churned renewal renewals renew expansion contraction revenue"
    b" cash MRR ARR SaaS B2B subscription subscriptions segment segments tier tiers small"
    b" business businesses enterprise mid-market self-serve team teams seats usage growth grow"
    b" contract contracts prepay prepaid up front retention net gross logo logos sales product"
    b" products company companies market scenario compare mix percent Starter Basic Pro Plus"
    b" Growth Scale Business Enterprise Team Free Premium Standard Professional Core"
    b' ["",[["",99,100,0.02,0.5,0.03,0.1,0.005,0.05,1000,500,0.2],'
    b'["",1200,10,0.01,0.8,0.015,0.08,0.01,0.1,25,90]],"",36,0.15,0.1,"USD",0.25,0.2]'
)

_DEFLATE, _LZMA = 0, 1
_LZMA_FILTERS = [
    {
        "id": lzma.FILTER_LZMA1,
        "preset": 9 | lzma.PRESET_EXTREME,
        "dict_size": 1 << 16,
        "lc": 2,
        "lp": 0,
        "pb": 0,
    }
]


def _same(value: Any, default: Any) -> bool:
    """True when a value is exactly its default (0.0 and -0.0 differ here)."""
    if isinstance(value, float) and isinstance(default, int | float):
        return value == default and math.copysign(1.0, value) == math.copysign(1.0, default)
    return type(value) is type(default) and value == default


def _compact_value(value: Any) -> Any:
    """Whole floats as integers (shorter), keeping -0.0 and anything beyond exact int range."""
    if isinstance(value, list | tuple):
        return [_compact_value(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return value if math.copysign(1.0, value) < 0 and value == 0 else int(value)
    return value


def _row(values: dict[str, Any], fields: tuple[tuple[str, Any], ...]) -> list[Any]:
    """Values in the fixed field order (absent optional ones as their default), with trailing
    defaults left out."""
    row = [values.get(name, default) for name, default in fields]
    while row and _same(row[-1], fields[len(row) - 1][1]):
        row.pop()
    return [_compact_value(v) for v in row]


def _wire(scenario: Scenario) -> list[Any]:
    """The scenario as positional JSON data: fixed field order, trailing defaults left out, a
    signed discount equal to the segment's own left out too (reading fills it back in)."""
    data = scenario.model_dump(mode="python")
    for seg, model in zip(data["segments"], scenario.segments, strict=True):
        if _same(seg["existing_annual_discount"], scenario.discount_for(model)):
            seg["existing_annual_discount"] = None
    flat = {
        **data,
        "segments": [_row(seg, SEGMENT_FIELDS) for seg in data["segments"]],
        **{f"uncertainty.{k}": v for k, v in data["uncertainty"].items()},
    }
    return _row(flat, TOP_FIELDS)


def _unwire(data: Any) -> dict[str, Any]:
    """Positional data back to named fields, with the v1 defaults put back (no validation)."""
    shape_error = _fail("is damaged (its content is not a scenario)")
    if not isinstance(data, list) or len(data) > len(TOP_FIELDS):
        raise shape_error
    top = _named(data, TOP_FIELDS)
    segments = top.get("segments")
    if "segments" in top:
        if not isinstance(segments, list):
            raise shape_error
        if not all(isinstance(s, list) and len(s) <= len(SEGMENT_FIELDS) for s in segments):
            raise shape_error
        top["segments"] = [_named(seg, SEGMENT_FIELDS) for seg in segments]
    top["uncertainty"] = {key: top.pop(f"uncertainty.{key}") for key in ("churn", "acquisition")}
    return top


def _named(row: list[Any], fields: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, (name, default) in enumerate(fields):
        if i < len(row):
            out[name] = row[i]
        elif default is not _REQUIRED and default is not None:
            out[name] = default
    return out


def _checksum(payload: bytes, prefix: str = _PREFIX) -> bytes:
    return hashlib.sha256(prefix.encode("ascii") + payload).digest()[:_CHECK_BYTES]


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, _ZDICT)
    return packer.compress(data) + packer.flush()


def _lzma(data: bytes) -> bytes:
    return lzma.compress(data, format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)


_PACKERS = {_DEFLATE: _deflate, _LZMA: _lzma}


def _compress(data: bytes) -> bytes:
    """The shorter of the two codecs, tagged with its codec byte."""
    candidates = (bytes([codec]) + pack(data) for codec, pack in _PACKERS.items())
    return min(candidates, key=len)


def _seal(payload: bytes) -> str:
    """Prefix, checksum and base64url (no padding) around a compressed payload."""
    return _PREFIX + base64.urlsafe_b64encode(_checksum(payload) + payload).decode("ascii").rstrip(
        "="
    )


def _pack(scenario: Scenario) -> str:
    text = json.dumps(_wire(scenario), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _seal(_compress(text.encode("utf-8")))


def _cut(scenario: Scenario, keep: int) -> Scenario:
    """The scenario with only the first ``keep`` characters of its description, marked as cut."""
    text = scenario.description[:keep].rstrip() + ELLIPSIS if keep >= 0 else ""
    return scenario.model_copy(update={"description": text})


def _fitted(scenario: Scenario) -> str | None:
    """The token with the longest cut of the description that fits LINK_LIMIT, if any does."""
    bare = _pack(_cut(scenario, -1))
    if len(bare) > LINK_LIMIT:
        return None
    lo, hi = 0, len(scenario.description) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(_pack(_cut(scenario, mid))) <= LINK_LIMIT:
            lo = mid
        else:
            hi = mid - 1
    token = _pack(_cut(scenario, lo))
    return token if len(token) <= LINK_LIMIT else bare


def encode(scenario: Scenario) -> str:
    """The share token of a scenario (``v2.…``, URL-safe).

    At most LINK_LIMIT characters whenever that is possible by cutting the description alone;
    otherwise the exact, longer token, or ScenarioError when it would exceed MAX_TOKEN_CHARS.
    """
    token = _pack(scenario)
    if len(token) > LINK_LIMIT and scenario.description:
        token = _fitted(scenario) or token
    if len(token) > MAX_TOKEN_CHARS:
        raise ScenarioError(
            [
                f"scenario is too large to share as a link ({len(token):,} characters; "
                f"at most {MAX_TOKEN_CHARS:,}): download it as YAML instead"
            ]
        )
    return token


def is_exact(scenario: Scenario, token: str | None = None) -> bool:
    """True when the link reproduces the scenario exactly (False if its description was cut);
    ``token``, when given, is ``encode(scenario)`` already computed."""
    return decode(token or encode(scenario)).description == scenario.description


def _fail(problem: str) -> ScenarioError:
    return ScenarioError([f"share link {problem}"])


def _payload(token: str) -> bytes:
    """Check the token's shape, version and checksum; return the compressed payload."""
    if len(token) > MAX_TOKEN_CHARS:
        raise _fail(f"is too long ({len(token):,} characters; at most {MAX_TOKEN_CHARS:,})")
    if not token:
        raise _fail("is empty")
    match = _VERSIONED.fullmatch(token)
    if match is None:
        raise _fail(f"is not an mrrsim link (it should start with {_PREFIX!r})")
    version = int(match.group(1))
    if version not in READABLE_VERSIONS:
        raise _fail(
            f"has version v{version}, which this mrrsim cannot read "
            f"(it reads v{READABLE_VERSIONS[0]} to v{READABLE_VERSIONS[-1]}); "
            "open it with a newer mrrsim"
        )
    body = match.group(2)
    if not _BASE64URL.fullmatch(body):
        raise _fail("contains characters that do not belong in it; copy the whole link again")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise _fail("is truncated or damaged; copy the whole link again") from None
    if len(raw) <= _CHECK_BYTES:
        raise _fail("is truncated; copy the whole link again")
    if base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") != body:
        raise _fail("is damaged (its last character is wrong); copy the whole link again")
    check, payload = raw[:_CHECK_BYTES], raw[_CHECK_BYTES:]
    if _checksum(payload, f"v{version}.") != check:
        raise _fail("is damaged or incomplete (its checksum does not match); copy it again")
    return payload


def _inflate(payload: bytes) -> bytes:
    """Decompress at most MAX_JSON_BYTES; refuse anything larger, truncated or trailing."""
    codec, body = payload[0], payload[1:]
    if codec == _DEFLATE:
        unpacker: Any = zlib.decompressobj(-15, zdict=_ZDICT)
    elif codec == _LZMA:
        unpacker = lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)
    else:
        raise _fail("is damaged (unknown kind of compression)")
    try:
        out = unpacker.decompress(body, MAX_JSON_BYTES + 1)
    except (zlib.error, lzma.LZMAError):
        raise _fail("is damaged (its content cannot be decompressed)") from None
    if len(out) > MAX_JSON_BYTES or getattr(unpacker, "unconsumed_tail", b""):
        raise _fail(f"holds more than {MAX_JSON_BYTES // 1024} KB of data, more than any scenario")
    if not unpacker.eof or unpacker.unused_data:
        raise _fail("is damaged (its content is incomplete or has extra data)")
    return out


def decode(token: str) -> Scenario:
    """The scenario inside a share token, or ScenarioError saying what is wrong with it."""
    if not isinstance(token, str):
        raise _fail(f"must be text (got {type(token).__name__})")
    text = _inflate(_payload(token.strip()))
    try:
        data = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _fail("is damaged (its content is not a readable scenario)") from None
    fields = _unwire(data)
    try:
        return parse_scenario(fields)
    except ScenarioError as exc:
        raise ScenarioError(prefixed(exc.problems, "share link: ")) from None


def share_url(scenario: Scenario, base_url: str = "http://localhost:8501/") -> str:
    """``base_url`` with ``?s=<token>``: path and other query parameters kept, any old ``s``
    replaced."""
    return token_url(encode(scenario), base_url)


def token_url(token: str, base_url: str = "http://localhost:8501/") -> str:
    """``share_url`` for a token already encoded."""
    parts = urlsplit(base_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != QUERY_KEY]
    query.append((QUERY_KEY, token))
    return urlunsplit(parts._replace(query=urlencode(query)))


def scenario_from_url(url_or_token: str) -> Scenario:
    """The scenario in a full share URL (its ``s`` parameter) or in a bare token."""
    if not isinstance(url_or_token, str):
        raise _fail(f"must be text (got {type(url_or_token).__name__})")
    text = url_or_token.strip()
    if len(text) > MAX_TOKEN_CHARS + 4_096:
        raise _fail(f"is too long ({len(text):,} characters)")
    if _VERSIONED.fullmatch(text) and not any(c in text for c in "/?&=#"):
        return decode(text)
    try:
        parts = urlsplit(text)
        values = [v for k, v in parse_qsl(parts.query, max_num_fields=100) if k == QUERY_KEY]
    except ValueError:
        raise _fail("is not a valid URL") from None
    if not values:
        raise _fail(f"has no scenario in it (no ?{QUERY_KEY}= part); paste the whole link")
    return decode(values[-1])
