"""Share links: exact round trips, bounded length, clean refusal of bad links."""

from __future__ import annotations

import base64
import json
import random
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from mrrsim import load_preset, parse_scenario, preset_names, project, share
from mrrsim.scenario import Scenario, ScenarioError
from mrrsim.share import (
    LINK_LIMIT,
    MAX_JSON_BYTES,
    MAX_TOKEN_CHARS,
    QUERY_KEY,
    decode,
    encode,
    is_exact,
    scenario_from_url,
    share_url,
)

AWKWARD = [0.1 + 0.2, 1e-9, 5e-324, 2.220446049250313e-16, 1 / 3, 0.30000000000000004, -0.0]
SEGMENT_RANGES = {
    "new_customers": (0, 10_000_000),
    "acquisition_growth": (-0.5, 0.5),
    "annual_share": (0, 1),
    "monthly_churn": (0, 1),
    "annual_churn": (0, 1),
    "monthly_expansion": (-0.5, 0.5),
    "annual_expansion": (-0.9, 2),
    "existing_monthly_customers": (0, 100_000_000),
    "existing_annual_customers": (0, 100_000_000),
}


def bits(value: Any) -> Any:
    """Plain data with every float replaced by its exact bit pattern (so -0.0 != 0.0)."""
    if isinstance(value, dict):
        return {k: bits(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [bits(v) for v in value]
    if isinstance(value, float):
        return ("float", struct.pack("<d", value))
    return value


def assert_identical(a: Scenario, b: Scenario) -> None:
    assert a == b
    assert bits(a.model_dump()) == bits(b.model_dump())


def number(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Any float in range, the range's ends, and awkward values that lie in range."""
    inside = [x for x in AWKWARD if lo <= x <= hi]
    return st.one_of(st.sampled_from([float(lo), float(hi), *inside]), st.floats(lo, hi))


names = st.text(min_size=1, max_size=80).map(str.strip).filter(bool)


@st.composite
def scenarios(draw: st.DrawFn, min_segments: int = 1, max_segments: int = 5) -> Scenario:
    """Random valid scenarios: any field set or left out, unicode names, awkward floats."""
    seg_names = draw(
        st.lists(names, min_size=min_segments, max_size=max_segments, unique_by=str.casefold)
    )
    segments = []
    for name in seg_names:
        seg: dict[str, Any] = {"name": name, "list_price": draw(number(1e-9, 1_000_000))}
        for key, (lo, hi) in SEGMENT_RANGES.items():
            if draw(st.booleans()):
                seg[key] = draw(number(lo, hi))
        if draw(st.booleans()):
            seg["annual_discount"] = draw(number(0, 0.999999))
        segments.append(seg)
    data: dict[str, Any] = {"name": draw(names), "segments": segments}
    optional = {
        "description": st.text(max_size=300),
        "horizon_months": st.integers(1, 120),
        "annual_discount": number(0, 0.999999),
        "cost_of_capital": number(0, 1),
        "currency": st.sampled_from(["USD", "EUR", "¥", "CHF", "kr"]),
        "uncertainty": st.fixed_dictionaries(
            {}, optional={"churn": number(0, 2), "acquisition": number(0, 2)}
        ),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            data[key] = draw(strategy)
    return parse_scenario(data)


# --- round trips -------------------------------------------------------------------------


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_round_trips_exactly(name: str) -> None:
    s = load_preset(name)
    token = encode(s)
    assert token.startswith("v2.") and len(token) <= LINK_LIMIT
    back = decode(token)
    assert_identical(back, s)
    assert_frame_equal(project(back), project(s), check_exact=True)
    assert is_exact(s)


@given(scenarios())
def test_random_scenarios_round_trip_bit_for_bit(s: Scenario) -> None:
    token = encode(s)
    assert set(token[3:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert_identical(decode(token), s)
    assert decode(token) == decode(encode(decode(token)))  # stable under re-encoding


@settings(max_examples=20)
@given(scenarios(max_segments=2))
def test_random_scenarios_project_identically_after_a_link(s: Scenario) -> None:
    small = s.model_copy(update={"horizon_months": min(s.horizon_months, 30)})
    assert_frame_equal(project(decode(encode(small))), project(small), check_exact=True)


def test_awkward_floats_keep_their_exact_bits() -> None:
    s = parse_scenario(
        {
            "name": "Ünïcödé ✓ 名前",
            "annual_discount": 0.1 + 0.2,
            "cost_of_capital": 1e-9,
            "segments": [
                {
                    "name": "𝔘𝔫𝔦",
                    "list_price": 5e-324,
                    "monthly_churn": 1 / 3,
                    "monthly_expansion": -0.0,
                    "acquisition_growth": -2.220446049250313e-16,
                    "existing_annual_customers": 99_999_999.99999999,
                    "annual_discount": 0.0,
                }
            ],
        }
    )
    back = decode(encode(s))
    assert_identical(back, s)
    assert back.annual_discount == 0.30000000000000004
    assert struct.pack("<d", back.segments[0].monthly_expansion) == struct.pack("<d", -0.0)
    assert back.segments[0].annual_discount == 0.0  # an explicit 0 override is not dropped
    assert back.discount_for(back.segments[0]) == 0.0


def test_defaults_are_restored_by_the_decoder_itself() -> None:
    """Trailing fields at their default are left out of the link and put back on decoding."""
    s = parse_scenario(
        {"name": "tiny", "segments": [{"name": "A", "list_price": 10, "new_customers": 3}]}
    )
    assert json.loads(share._inflate(_raw(encode(s))[4:])) == ["tiny", [["A", 10, 3]]]
    assert_identical(decode(encode(s)), s)


def test_values_sit_in_the_documented_v1_order() -> None:
    s = parse_scenario(
        {
            "name": "n",
            "description": "d",
            "horizon_months": 24,
            "annual_discount": 0.2,
            "cost_of_capital": 0.05,
            "currency": "EUR",
            "uncertainty": {"churn": 0.3, "acquisition": 0.4},
            "segments": [
                {
                    "name": "A",
                    "list_price": 1.5,
                    "new_customers": 2,
                    "acquisition_growth": 0.01,
                    "annual_share": 0.5,
                    "monthly_churn": 0.03,
                    "annual_churn": 0.1,
                    "monthly_expansion": 0.004,
                    "annual_expansion": 0.06,
                    "existing_monthly_customers": 7,
                    "existing_annual_customers": 8,
                    "annual_discount": 0.25,
                }
            ],
        }
    )
    text = share._inflate(_raw(encode(s))[4:])
    assert text.decode() == (
        '["n",[["A",1.5,2,0.01,0.5,0.03,0.1,0.004,0.06,7,8,0.25]],"d",24,0.2,0.05,"EUR",0.3,0.4]'
    )


# --- length ------------------------------------------------------------------------------


def _worst(description: str, name: Any, rng: random.Random, segments: int = 5) -> Scenario:
    """Every field set, to full 17-digit precision, with 80-character names."""

    def any_in(lo: float, hi: float) -> float:
        return rng.uniform(lo, hi)

    segs = [
        {
            "name": name(i),
            "list_price": any_in(1, 1_000_000),
            "annual_discount": any_in(0, 0.99),
            **{k: any_in(lo, hi) for k, (lo, hi) in SEGMENT_RANGES.items()},
        }
        for i in range(segments)
    ]
    return parse_scenario(
        {
            "name": name(99),
            "description": description,
            "horizon_months": 119,
            "annual_discount": any_in(0, 0.99),
            "cost_of_capital": any_in(0, 1),
            "currency": "EUR-PRO-MAX1",
            "segments": segs,
            "uncertainty": {"churn": any_in(0, 2), "acquisition": any_in(0, 2)},
        }
    )


PROSE = (
    "Our mid-market plan is sold by a small sales team; customers start monthly, most move to "
    "annual after a quarter, and the finance team wants to know what the 18% discount costs. "
    "Renewals cluster in January because of budget cycles, and churn spikes after price changes. "
)


def _readable(i: int) -> str:
    return f"Segment {i:02d}: mid-market customers in Europe, billed in euros – Größe/Ünïcödé plan"[
        :80
    ]


def _random_ascii(rng: random.Random) -> Any:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-+&/()'\"\\"
    return lambda i: "".join(rng.choice(alphabet) for _ in range(79)) + str(i % 10)


def test_realistic_worst_case_fits_exactly() -> None:
    """Five segments, 80-character names, 17-digit numbers and a 1,000-character description."""
    rng = random.Random(7)
    s = _worst((PROSE * 6)[:1000].strip(), _readable, rng)
    assert len(s.name) == len(s.segments[0].name) == 80
    token = encode(s)
    assert len(token) <= LINK_LIMIT
    assert_identical(decode(token), s)


def test_long_descriptions_are_cut_in_the_link_and_every_number_is_kept() -> None:
    rng = random.Random(11)
    noise = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz   ") for _ in range(2000)).strip()
    s = _worst(noise, _random_ascii(rng), rng)
    token = encode(s)
    assert len(token) <= LINK_LIMIT
    back = decode(token)
    assert not is_exact(s)
    assert not is_exact(s, token)  # the same answer from a token already encoded
    assert back.description.endswith("…")
    assert s.description.startswith(back.description[:-1])
    assert len(back.description) > 300  # only as much is cut as needed
    assert_identical(back.model_copy(update={"description": s.description}), s)


@settings(max_examples=30)
@given(st.data())
def test_any_five_segment_scenario_with_latin_names_fits(data: st.DataObject) -> None:
    alphabet = st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x24F),
        st.characters(min_codepoint=0x370, max_codepoint=0x4FF),
    )
    latin = st.text(alphabet, min_size=80, max_size=80).map(str.strip).filter(bool)
    seg_names = data.draw(st.lists(latin, min_size=5, max_size=5, unique_by=str.casefold))
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    description = data.draw(st.text(alphabet, max_size=2000))
    s = _worst(description, lambda i: seg_names[i] if i < 5 else seg_names[0][::-1], rng)
    token = encode(s)
    assert len(token) <= LINK_LIMIT
    back = decode(token)
    assert_identical(back.model_copy(update={"description": s.description}), s)
    assert (back.description == s.description) == is_exact(s)


def test_a_twenty_segment_scenario_still_links() -> None:
    rng = random.Random(3)
    s = _worst(PROSE, lambda i: f"Segment number {i:02d} " + "x" * 60, rng, 20)
    assert_identical(decode(encode(s)), s)


# --- damaged links -----------------------------------------------------------------------


def _raw(token: str) -> bytes:
    body = token[3:]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def _sealed_json(text: bytes, codec: int = share._DEFLATE) -> str:
    """A link with a valid checksum around arbitrary content (as a hostile sender could make)."""
    return share._seal(bytes([codec]) + share._PACKERS[codec](text))


CODECS = sorted(share._PACKERS)


def refused(token: Any) -> str:
    with pytest.raises(ScenarioError) as info:
        decode(token)
    message = str(info.value)
    assert message.startswith("share link")
    return message


@pytest.fixture(scope="module")
def token() -> str:
    return encode(load_preset("mid-market-mixed"))


def test_every_truncation_of_a_real_link_is_refused(token: str) -> None:
    for cut in range(len(token)):
        refused(token[:cut])


def test_every_single_character_change_is_refused(token: str) -> None:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    rng = random.Random(5)
    for i in range(3, len(token)):
        for c in rng.sample([c for c in alphabet if c != token[i]], 3):
            refused(token[:i] + c + token[i + 1 :])


def test_swapped_neighbours_and_inserted_characters_are_refused(token: str) -> None:
    for i in range(3, len(token) - 1):
        if token[i] != token[i + 1]:
            refused(token[:i] + token[i + 1] + token[i] + token[i + 2 :])
        refused(token[:i] + "A" + token[i:])


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("hello", "is not an mrrsim link"),
        ("1.abc", "is not an mrrsim link"),
        ("V1.abc", "is not an mrrsim link"),
        ("v3.AAAAAAAA", "version v3"),
        ("v0.AAAAAAAA", "not an mrrsim link"),
        ("v999999.AAAA", "version v999999"),
        ("v1.", "is truncated"),
        ("v1.abc def", "characters"),
        ("v1.abc+/==", "characters"),
        ("v1.@@@@", "characters"),
        ("v1.%41%42", "characters"),
        ("v1.A", "truncated or damaged"),
        ("v1.AAAAAAAAAAAAAAAA", "checksum"),
        ("v1." + "A" * (MAX_TOKEN_CHARS + 1), "too long"),
    ],
)
def test_malformed_links_name_the_problem(bad: str, words: str) -> None:
    assert words in refused(bad)


@pytest.mark.parametrize("bad", [None, 42, b"v1.abc", ["v1."]])
def test_non_text_is_refused(bad: Any) -> None:
    assert "must be text" in refused(bad)


def test_wrong_version_of_a_real_link_is_refused(token: str) -> None:
    assert "version v3" in refused("v3" + token[2:])


def test_valid_base64_of_garbage_is_refused() -> None:
    rng = random.Random(9)
    for size in (5, 16, 100, 1000):
        garbage = bytes(rng.getrandbits(8) for _ in range(size))
        assert "checksum" in refused("v1." + base64.urlsafe_b64encode(garbage).decode().rstrip("="))
        refused(share._seal(garbage))  # right checksum, content not deflate or not a scenario


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"[1, 2, 3]", "not a scenario"),
        (b'"v1"', "not a scenario"),
        (b"null", "not a scenario"),
        (b'{"name": "x"}', "not a scenario"),
        (
            b'["x", [["A", 10]], "", 36, 0.15, 0.1, "USD", 0, 0, 0.5, 120, 0, "extra"]',
            "not a scenario",
        ),
        (
            b'["x", [["A", 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.1, null, null, null, 0, null, "extra"]]]',
            "not a scenario",
        ),
        (b'["x", [{"name": "A", "list_price": 10}]]', "not a scenario"),
        (b'["x", [["A", 10]], 5]', "description: must be text"),
        (b'["x"]', "segments: required field is missing"),
        (b"[]", "name: required field is missing"),
        (b'["x", []]', "segments: must list between 1 and 20 segments (got 0)"),
        (b"{not json", "not a readable scenario"),
        (b"\xff\xfe\x00", "not a readable scenario"),
        (b"[" * 50_000 + b"]" * 50_000, "more than"),
        (b"[" * 30_000 + b"]" * 30_000, "not a readable scenario"),
        (b"{" * 30_000, "not a readable scenario"),
        (b'["x", [["A", NaN]]]', "segments[0].list_price: must be a finite number"),
        (b'["x", [["A", 1e999]]]', "segments[0].list_price: must be a finite number"),
        (b'["x", [["A", 10]], "", 36, 0.15, 0.1, "USD", 5]', "uncertainty.churn: must be"),
        (b'["x", [["A", 10], ["a", 20]]]', "duplicate segment name"),
    ],
)
@pytest.mark.parametrize("codec", CODECS)
def test_well_sealed_bad_content_is_refused(content: bytes, words: str, codec: int) -> None:
    assert words in refused(_sealed_json(content, codec))


def test_validation_problems_in_a_link_name_the_field() -> None:
    content = b'["x",[["A",10],["B",5,0,0,0,1.5]]]'
    message = refused(_sealed_json(content))
    assert message == "share link: segments[1].monthly_churn: must be between 0 and 1 (got 1.5)"


@pytest.mark.parametrize("codec", CODECS)
def test_zlib_and_lzma_bombs_are_stopped_at_the_output_limit(codec: int) -> None:
    bomb = _sealed_json(b"0" * 5_000_000, codec)
    assert len(bomb) < MAX_TOKEN_CHARS  # small enough to get past the size check
    assert f"more than {MAX_JSON_BYTES // 1024} KB" in refused(bomb)


def test_a_huge_bomb_is_refused_by_size_before_decoding() -> None:
    assert "too long" in refused(_sealed_json(bytes(50_000_000)))


@pytest.mark.parametrize("codec", CODECS)
def test_trailing_data_after_the_compressed_stream_is_refused(codec: int) -> None:
    good = _raw(_sealed_json(b'["x",[["A",10]]]', codec))[4:]
    assert decode(share._seal(good)).segments[0].list_price == 10
    assert "extra data" in refused(share._seal(good + b"extra"))
    assert "incomplete" in refused(share._seal(good[:-3]))


@pytest.mark.parametrize("codec", [2, 7, 255])
def test_unknown_codec_is_refused(codec: int) -> None:
    assert "unknown kind of compression" in refused(share._seal(bytes([codec]) + b"data"))


@given(st.text(max_size=300))
def test_arbitrary_text_never_raises_anything_else(text: str) -> None:
    refused("v1." + text if text[:1] != "v" else text)


@given(st.binary(max_size=400))
def test_arbitrary_sealed_bytes_never_raise_anything_else(payload: bytes) -> None:
    refused(share._seal(payload))


@given(st.binary(max_size=400), st.sampled_from(CODECS))
def test_arbitrary_sealed_compressed_bytes_never_raise_anything_else(
    payload: bytes, codec: int
) -> None:
    refused(_sealed_json(payload, codec))


@given(st.binary(max_size=400), st.sampled_from(CODECS))
def test_arbitrary_bytes_behind_a_codec_byte_never_raise_anything_else(
    payload: bytes, codec: int
) -> None:
    refused(share._seal(bytes([codec]) + payload))


def _cjk(rng: random.Random, n: int) -> str:
    return "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(n))


def test_a_too_large_scenario_is_refused_by_encode() -> None:
    rng = random.Random(2)
    s = _worst(_cjk(rng, 2000), lambda i: _cjk(rng, 80), rng, 20)
    with pytest.raises(ScenarioError, match="too large to share"):
        encode(s)


@pytest.mark.parametrize("seed", range(8))
def test_random_80_character_latin_greek_cyrillic_names_fit(seed: int) -> None:
    """Measured worst case: random names from 700 code points, every number 17 digits."""
    rng = random.Random(seed)
    alphabet = [chr(c) for c in [*range(0x20, 0x250), *range(0x370, 0x500)]]
    s = _worst("", lambda i: "".join(rng.choice(alphabet) for _ in range(80)).strip(), rng)
    token = encode(s)
    assert len(token) <= LINK_LIMIT
    assert_identical(decode(token), s)


def test_long_random_cjk_names_are_the_documented_exception() -> None:
    """Six random 80-character CJK names cannot fit 2,000 characters: the link is longer but
    still exact (real CJK names are shorter and repetitive, and fit)."""
    rng = random.Random(4)
    s = _worst("", lambda i: _cjk(rng, 80), rng)
    token = encode(s)
    assert LINK_LIMIT < len(token) <= MAX_TOKEN_CHARS
    assert_identical(decode(token), s)
    assert _raw(token)[4] == share._LZMA  # the codec that does better on such text


def test_both_codecs_decode_and_the_shorter_one_is_chosen() -> None:
    s = load_preset("three-tier-pricing")
    text = json.dumps(share._wire(s), ensure_ascii=False, separators=(",", ":")).encode()
    tokens = {
        codec: share._seal(bytes([codec]) + pack(text)) for codec, pack in share._PACKERS.items()
    }
    for token in tokens.values():
        assert_identical(decode(token), s)
    assert encode(s) == min(tokens.values(), key=len)


# --- URLs --------------------------------------------------------------------------------


def test_share_url_on_the_default_base(token: str) -> None:
    s = load_preset("mid-market-mixed")
    assert share_url(s) == f"http://localhost:8501/?{QUERY_KEY}={token}"


def test_share_url_keeps_path_and_other_parameters_and_replaces_s(token: str) -> None:
    s = load_preset("mid-market-mixed")
    url = share_url(s, "https://plans.example.com/mrrsim/app?tab=cash&s=v1.old&x=#top")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == (
        "https",
        "plans.example.com",
        "/mrrsim/app",
        "top",
    )
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query == {"tab": ["cash"], "x": [""], "s": [token]}


@pytest.mark.parametrize("name", preset_names())
def test_scenario_from_url_reads_links_and_bare_tokens(name: str) -> None:
    s = load_preset(name)
    url = share_url(s, "https://example.org/app/?tab=1")
    assert_identical(scenario_from_url(url), s)
    assert_identical(scenario_from_url(f"  {url}\n"), s)
    assert_identical(scenario_from_url(encode(s)), s)


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("https://example.org/app/", "no scenario in it"),
        ("https://example.org/app/?t=v1.abc", "no scenario in it"),
        ("just some words", "no scenario in it"),
        ("", "no scenario in it"),
        ("https://example.org/?s=v1.AAAAAAAA", "checksum"),
        ("https://example.org/?s=v7.AAAAAAAA", "version v7"),
        ("x" * 20_000, "too long"),
    ],
)
def test_scenario_from_url_refuses_links_without_a_good_scenario(bad: str, words: str) -> None:
    with pytest.raises(ScenarioError, match=words):
        scenario_from_url(bad)


def test_scenario_from_url_refuses_a_truncated_link(token: str) -> None:
    url = share_url(load_preset("mid-market-mixed"))
    for cut in range(len(url) - len(token) + 3, len(url), 7):
        with pytest.raises(ScenarioError):
            scenario_from_url(url[:cut])


# --- format guards -----------------------------------------------------------------------


def test_the_v1_field_lists_cover_every_model_field() -> None:
    """A field added to the model must be added to the link format (as a new version)."""
    from mrrsim.scenario import Segment, Uncertainty

    top = {name for name, _ in share.TOP_FIELDS}
    expected = (set(Scenario.model_fields) - {"uncertainty"}) | {
        f"uncertainty.{k}" for k in Uncertainty.model_fields
    }
    assert top == expected
    assert {name for name, _ in share.SEGMENT_FIELDS} == set(Segment.model_fields)


def test_link_defaults_match_the_model_defaults_today() -> None:
    """The codec's defaults are the model's; the signed discount's default is the segment's
    discount as written (the codec leaves it out exactly when it equals that)."""
    s = parse_scenario({"name": "d", "segments": [{"name": "A", "list_price": 1}]})
    data = s.model_dump()
    for name, default in share.TOP_FIELDS[2:]:
        group, _, key = name.partition(".")
        assert (data[group][key] if key else data[name]) == default
    for name, default in share.SEGMENT_FIELDS[2:]:
        if name == "existing_annual_discount":
            assert data["segments"][0][name] == s.annual_discount
        else:
            assert data["segments"][0][name] == default


def test_the_codec_imports_no_ui() -> None:
    code = "import sys, mrrsim.share; print('streamlit' in sys.modules)"
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "False"


# A link the first released version made for the mid-market-mixed preset (version 1 of the
# model): it must keep opening, with the inputs it did not know at their defaults.
V1_MID_MARKET = (
    "v1.RwFrjAB9lctug0AMRX8FRYnUSgMCAmraXT8gu-664uEATQRRhmmSfn2vPQ-aTTcRgfHM9bV95nO1XwrIDaPYDbSfa2TR6TxZ"
    "qeKVz_Zy7ZGF3yyVl9Cf7SAvL1MWa31bqRyZbtMgtJCAjOVmEiXKM1Vg9-1OIsVql2v5mGoeUk3dDpKsJISE36Xppft9DwAhVT0"
    "BAeuiSI8yIU-XyXQ82utyz-PyzP0rszv3XEaZ_yT0A7hT2YmIpbmFETVvMTOjGhQa1k16DnAA3ORBOZ7B0k4wdKLqeBf4JL6vhH"
    "wPw9Rwn1x7wi9_8VxpqRm0nXjhUD3MpN-iL7ArMmMLoX11OjBbGRYL0ubqaDdyIBP5cIVfZeUmUEj5BUuoxZJwlbHdQZw56-nUc"
    "ryjU-ImA3nIF6Z2Y_lGN2rMPHyTDv5Avj8lzD5XKMrTRUmCUbHjaZ25ORtRgAXKrfx3m8FwTWyayysgtjZ3zdeM0JGDAlCS6AMLD"
    "0NnLmTvG_iMzC8VK1YcBNvJHn0dWsKpZ1OD4D1mRFqsprHpuWggK9B3RzVsmwRwermCLOsm6rONXzbqb8WzON8E-8dpjP0NgMW7"
    "OOci0ZnGltuAOT78UFjuyLncJYjJyhh-Kkn44dZgziFBkgK6Dfwtk_xLi18"
)


def test_version_one_links_still_open_with_v2_defaults() -> None:
    old = decode(V1_MID_MARKET)
    assert old.billing_effect == 0.5 and old.lifetime_months == 120
    assert old.renewal_notice_months == 0
    for seg in old.segments:
        assert seg.existing_annual_discount == old.discount_for(seg)  # signed at the discount named
        assert seg.existing_annual_renewals is None and seg.conversion_rate == 0
        assert seg.annual_share_at_no_discount is None
    assert [seg.name for seg in old.segments] == ["Starter", "Growth", "Scale"]
    assert old.segments[1].existing_annual_customers == 380


@pytest.mark.parametrize("prefix", ["v01.", "v002.", "v0.", "v3.", "V2."])
def test_versions_are_read_exactly(prefix: str) -> None:
    """Only v1. and v2. are versions; v01. is not v1., and v3. is a newer mrrsim."""
    body = V1_MID_MARKET.removeprefix("v1.")
    with pytest.raises(ScenarioError):
        decode(prefix + body)


def test_v2_inputs_round_trip_exactly() -> None:
    s = parse_scenario(
        {
            "name": "v2",
            "billing_effect": 0.3,
            "lifetime_months": 240,
            "renewal_notice_months": 2,
            "annual_discount": 0.2,
            "segments": [
                {
                    "name": "A",
                    "list_price": 80,
                    "annual_share": 0.3,
                    "annual_share_at_no_discount": 0.1,
                    "existing_annual_discount": 0.1,
                    "existing_annual_renewals": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.5],
                    "conversion_rate": 0.02,
                    "conversion_months": [4, 9],
                }
            ],
        }
    )
    assert decode(encode(s)) == s
    # the discount for new contracts moves; the signed one does not
    edited = s.varied(annual_discount=0.3)
    assert decode(encode(edited)).segments[0].existing_annual_discount == 0.1
