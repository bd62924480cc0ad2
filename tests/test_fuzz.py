"""Hostile input, fuzzed: every way a scenario enters mrrsim (YAML/JSON text or bytes, share links,
the command line) ends in a valid Scenario or a clean refusal (``ScenarioError`` / exit status 2
with one ``error:`` line per problem), never another exception, a hang or a memory blow-up.

Each property runs a bounded number of examples (``FUZZ``) so ``make test`` stays fast; hangs are
caught by a wall-clock alarm, memory by ``tracemalloc`` peaks.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import lzma
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from mrrsim import cli, share
from mrrsim.metrics import summarize
from mrrsim.scenario import Scenario, ScenarioError, parse_scenario
from mrrsim.yamlio import (
    DEFAULT_PRESET,
    dump_scenario,
    load_preset,
    load_scenario,
    loads_scenario,
)

ROOT = Path(__file__).resolve().parents[1]
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
HEAVY = settings(FUZZ, max_examples=60)  # each example encodes a link or runs the engine
HANG_S = 20  # far above any real case: a wall-clock guard against hangs, not a speed test
PRESET = load_preset(DEFAULT_PRESET)
PRESET_DATA = PRESET.model_dump(mode="python")
PRESET_YAML = dump_scenario(PRESET)
TOKEN = share.encode(PRESET)


# --- helpers ---------------------------------------------------------------------------------


@contextlib.contextmanager
def time_limit(seconds: float = HANG_S) -> Iterator[None]:
    """Fail (instead of hanging the suite) when the block runs longer than ``seconds``."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


MAX_PROBLEM_CHARS = 400  # a huge input gives a short message, not a copy of itself


def assert_clean_problems(exc: ScenarioError) -> None:
    """A refusal names its problems: a non-empty list of short, non-empty text lines."""
    assert exc.problems
    for problem in exc.problems:
        assert isinstance(problem, str)
        assert problem.strip()
        assert len(problem) <= MAX_PROBLEM_CHARS, problem[:200]


def outcome(fn: Callable[..., Scenario], *args: Any) -> Scenario | ScenarioError:
    """The Scenario, or the ScenarioError; any other exception (or a hang) fails the test."""
    with time_limit():
        try:
            result = fn(*args)
        except ScenarioError as exc:
            assert_clean_problems(exc)
            return exc
    assert isinstance(result, Scenario)
    return result


def run_cli(argv: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    """``cli.main(argv)`` in process with ``stdin`` bytes; (exit status, stdout, stderr)."""
    out, err = io.BytesIO(), io.BytesIO()
    fake_in = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    fake_out = io.TextIOWrapper(out, encoding="utf-8", errors="backslashreplace")
    fake_err = io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace")
    streams = (sys.stdin, sys.stdout, sys.stderr)
    sys.stdin, sys.stdout, sys.stderr = fake_in, fake_out, fake_err
    try:
        with time_limit():
            try:
                code = cli.main(argv)
            except SystemExit as exc:  # argparse's own --help exits; nothing else may
                assert exc.code == 0 and ("-h" in argv or "--help" in argv), argv
                code = 0
        for fake in (fake_out, fake_err):
            if not fake.closed:
                fake.flush()
    finally:
        sys.stdin, sys.stdout, sys.stderr = streams
    return (
        code,
        out.getvalue().decode("utf-8", "replace"),
        err.getvalue().decode("utf-8", "replace"),
    )


def assert_clean_exit(code: int, err: str) -> None:
    """Exit 0, or 2 with only ``error:`` lines: never 1 (an internal error) or a traceback."""
    assert "Traceback" not in err
    assert "internal error" not in err, err
    assert code in (0, 2), (code, err)
    if code == 2:
        assert err.startswith("error: "), err


def resealed(content: bytes, codec: int = 0) -> str:
    """A well-formed v1 token (right checksum) around arbitrary content: anyone can make one."""
    packed = share._deflate(content) if codec == 0 else share._lzma(content)
    return share._seal(bytes([codec]) + packed)


# --- strategies -------------------------------------------------------------------------------

huge_text = st.builds(
    lambda c, n: c * n,
    st.sampled_from(["a", "é", "😀", "\u202e", "<"]),
    st.integers(2_000, 100_000),
)
numbers = st.one_of(
    st.integers(),
    st.sampled_from([10**400, -(10**400), 2**64, -(2**63), 10**4000, 0, -0.0, 1e-320]),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    st.text(max_size=100),
    st.sampled_from(["", " ", "\t\n", "NaN", "inf", "1e999", "0x10", "٣", "１２"]),
)


def nest(depth: int) -> Any:
    """A value buried ``depth`` mappings/lists deep."""
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


plain_data = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=20), inner, max_size=6)
    ),
    max_leaves=30,
)
hostile_values = st.one_of(scalars, plain_data, huge_text, st.integers(1, 40).map(nest))

TOP_KEYS = [k for k in PRESET_DATA if k not in ("segments", "uncertainty")]
SEGMENT_KEYS = list(PRESET_DATA["segments"][0])
UNCERTAINTY_KEYS = list(PRESET_DATA["uncertainty"])


@st.composite
def mutated_scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """The default preset with one to three fields replaced, removed or added; (data, paths of
    the changes)."""
    data = json.loads(json.dumps(PRESET_DATA))
    paths: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["top", "segment", "uncertainty", "segments", "root"]))
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add"]))
        if where == "top":
            holder, key, path = data, draw(st.sampled_from(TOP_KEYS)), ""
        elif where == "segment":
            segments = data.get("segments")
            if not isinstance(segments, list) or not segments:
                continue
            i = draw(st.integers(0, len(segments) - 1))
            if not isinstance(segments[i], dict):
                continue
            holder, key = data["segments"][i], draw(st.sampled_from(SEGMENT_KEYS))
            path = f"segments[{i}]."
        elif where == "uncertainty":
            if not isinstance(data.get("uncertainty"), dict):
                continue
            holder, key = data["uncertainty"], draw(st.sampled_from(UNCERTAINTY_KEYS))
            path = "uncertainty."
        elif where == "segments":
            count = draw(st.sampled_from([0, 1, 21, 50]))
            segments = data.get("segments")
            segments = segments if isinstance(segments, list) else PRESET_DATA["segments"]
            data["segments"] = copy.deepcopy((segments * 50)[:count])
            paths.append("segments")
            continue
        else:
            holder, key, path = data, draw(st.sampled_from(["segments", "uncertainty"])), ""
        if action == "add":
            key = draw(st.one_of(st.text(min_size=1, max_size=30), st.sampled_from(["nmae"])))
            assume(key not in holder)
        if action == "delete":
            holder.pop(key, None)
        else:
            holder[key] = draw(hostile_values)
        paths.append(path + key)
    assume(paths)
    return data, paths


def yaml_text(data: Any) -> str:
    """YAML for arbitrary plain data (``allow_unicode`` so non-ASCII stays readable)."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


names = st.text(min_size=1, max_size=80).map(str.strip).filter(bool)


@st.composite
def named_scenarios(draw: st.DrawFn) -> Scenario:
    """Valid scenarios whose names, segment names and description are any text, and whose
    currency is any code or symbol the model accepts."""
    seg_names = draw(st.lists(names, min_size=1, max_size=5, unique_by=str.casefold))
    return parse_scenario(
        {
            "name": draw(names),
            "description": draw(st.text(max_size=300).map(str.strip)),
            "currency": draw(
                st.text(
                    st.characters(categories=["L", "Nd", "Sc"], include_characters=" .-"),
                    min_size=1,
                    max_size=12,
                )
                .map(str.strip)
                .filter(bool)
            ),
            "segments": [{"name": n, "list_price": 10 + i} for i, n in enumerate(seg_names)],
        }
    )


# --- the scenario loader -------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=4_000))
def test_random_bytes_load_or_are_refused(data: bytes) -> None:
    outcome(loads_scenario, data)


@FUZZ
@given(st.text(max_size=4_000))
@example("name: x\nsegments: [{name: a, list_price: 1" + "0" * 5000 + "}]")
@example("name: x\nsegments: [{name: a, list_price: 0b" + "1" * 20_000 + "}]")
@example("name: 2020-02-30\nsegments: [{name: a, list_price: 1}]")
@example("name: 2020-1-1 25:00:00\nsegments: [{name: a, list_price: 1}]")
@example("name: 9999-12-31 23:59:59 +99:00\nsegments: [{name: a, list_price: 1}]")
@example("[" * 100_000)
@example("- " * 100_000)
def test_random_text_loads_or_is_refused(text: str) -> None:
    outcome(loads_scenario, text)


@FUZZ
@given(plain_data)
@example(nest(300))
@example({"name": "x", "segments": [nest(50)]})
@example({"name": "x" * 100_000, "segments": [{"name": "é" * 100_000, "list_price": 10**400}]})
def test_random_yaml_documents_load_or_are_refused(data: Any) -> None:
    text = yaml_text(data)
    outcome(loads_scenario, text)
    outcome(loads_scenario, text.encode("utf-8"))


@FUZZ
@given(mutated_scenarios())
def test_mutated_scenarios_are_loaded_or_refused_naming_the_field(case: tuple) -> None:
    data, paths = case
    direct = outcome(parse_scenario, data)
    via_yaml = outcome(loads_scenario, yaml_text(data))
    assert type(direct) is type(via_yaml)
    if isinstance(direct, Scenario):
        assert direct == via_yaml
    else:
        fields = {path.split(".")[0].split("[")[0] for path in paths}
        assert any(f in problem for f in fields for problem in direct.problems), (paths, direct)


@FUZZ
@given(st.data())
def test_mutated_yaml_text_loads_or_is_refused(data: st.DataObject) -> None:
    text = PRESET_YAML
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(text)))
        edit = data.draw(st.sampled_from(["insert", "delete", "replace", "cut"]))
        piece = data.draw(
            st.text(max_size=12)
            | st.sampled_from(
                [
                    "&a ",
                    "*a",
                    "!!python/",
                    "<<: ",
                    ": ",
                    "\n  - ",
                    "{",
                    "[",
                    "'",
                    '"',
                    "\t",
                    "\x00",
                    "\ufeff",
                ]
            )
        )
        if edit == "insert":
            text = text[:at] + piece + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + len(piece) :]
        elif edit == "replace":
            text = text[:at] + piece + text[at + len(piece) :]
        else:
            text = text[:at]
    outcome(loads_scenario, text)


@HEAVY
@given(named_scenarios())
def test_any_text_in_names_survives_yaml_and_links_exactly(s: Scenario) -> None:
    assert loads_scenario(dump_scenario(s)) == s
    assert loads_scenario(json.dumps(s.to_dict())) == s
    back = share.decode(share.encode(s))
    assert back.model_copy(update={"description": s.description}) == s


def test_json_with_escaped_emoji_loads_whole_characters() -> None:
    text = json.dumps({"name": "Team 😀", "segments": [{"name": "Pro 🚀", "list_price": 10}]})
    assert "\\ud83d" in text  # json.dumps escapes characters beyond U+FFFF as surrogate pairs
    s = loads_scenario(text)
    assert (s.name, s.segments[0].name) == ("Team 😀", "Pro 🚀")
    assert share.decode(share.encode(s)) == s
    assert run_cli(["project", "-"], text.encode())[0] == 0


@pytest.mark.parametrize("half", ["\ud83d", "\ude00", "x\udfffy"])
def test_half_characters_are_refused_everywhere(half: str) -> None:
    data = {"name": "ok", "segments": [{"name": half, "list_price": 10}]}
    with pytest.raises(ScenarioError, match=r"segments\[0\]\.name: must be valid Unicode"):
        parse_scenario(data)
    with pytest.raises(ScenarioError, match="must be valid Unicode"):
        loads_scenario(json.dumps(data))
    content = json.dumps(["x", [[half, 10]]]).encode()
    with pytest.raises(ScenarioError, match="share link: segments"):
        share.decode(resealed(content))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("horizon_months", 10**400),
        ("annual_discount", -(10**400)),
        ("cost_of_capital", 2**1024),
        ("segments[0].list_price", 10**4000),
        ("segments[0].new_customers", -(2**2000)),
        ("uncertainty.churn", 10**309),
    ],
)
def test_integers_beyond_float_range_are_refused_by_name(field: str, value: int) -> None:
    data = json.loads(json.dumps(PRESET_DATA))
    if field.startswith("segments[0]."):
        data["segments"][0][field.split(".")[1]] = value
    elif field.startswith("uncertainty."):
        data["uncertainty"][field.split(".")[1]] = value
    else:
        data[field] = value
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    assert len(info.value.problems) == 1
    problem = info.value.problems[0]
    assert problem.startswith(f"{field}: must be a finite number")
    assert len(problem) < 200  # the 400-digit value is not echoed back in full


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("horizon_months", "a" * 100_000, "horizon_months: must be a number (got 'aaa"),
        ("name", ["a" * 100_000], "name: must be text (got ['aaa"),
        ("currency", {"k": "€" * 100_000}, "currency: must be text (got {'k': '€€€"),
        ("b" * 100_000, 1, "bbbbbbbbbb"),
    ],
)
def test_huge_wrong_values_give_short_messages(field: str, value: Any, message: str) -> None:
    data = {"name": "x", "segments": [{"name": "a", "list_price": 1}], field: value}
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    (problem,) = info.value.problems
    assert problem.startswith(message)
    assert len(problem) < 150


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: x\nsegments: [{name: a, list_price: 1" + "0" * 5000 + "}]", "digits"),
        ("name: x\nsegments: [{name: a, list_price: 0b" + "1" * 9000 + "}]", "plain decimal"),
    ],
)
def test_yaml_values_python_cannot_build_are_refused_clearly(text: str, words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text)
    assert words in " ".join(info.value.problems)


def test_dates_python_cannot_build_are_just_text() -> None:
    """YAML 1.2 has no timestamps: ``2020-02-30`` is a name like any other."""
    assert loads_scenario("name: 2020-02-30\nsegments: [{name: a, list_price: 1}]").name == (
        "2020-02-30"
    )


def test_special_files_are_refused_quickly() -> None:
    for path in ("/dev/zero", "/dev/urandom", "/", "/proc/self/status"):
        result = outcome(load_scenario, path)
        assert isinstance(result, ScenarioError), path


# --- share links ---------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=3_000))
@example("v1." + "A" * 7_990)
@example("v999999." + TOKEN[3:])
@example("v1.\u0661\u0662")
@example("https://x/?s=" + "&s=".join([TOKEN] * 200))
@example("https://x/?" + "&".join(f"k{i}=v" for i in range(10_000)))
def test_random_strings_are_refused_as_links(text: str) -> None:
    outcome(share.decode, text)
    outcome(share.scenario_from_url, text)
    outcome(share.scenario_from_url, f"http://localhost:8501/?s={text}")


@FUZZ
@given(st.data())
def test_damaged_real_links_are_refused_or_decode_to_a_valid_scenario(data: st.DataObject) -> None:
    token = data.draw(st.sampled_from([TOKEN, share.encode(load_preset("three-tier-pricing"))]))
    chars = list(token)
    for _ in range(data.draw(st.integers(1, 6))):
        if not chars:
            break
        at = data.draw(st.integers(0, len(chars) - 1))
        edit = data.draw(st.sampled_from(["flip", "drop", "dup", "cut", "swapcase"]))
        if edit == "flip":
            chars[at] = chr(ord(chars[at]) ^ (1 << data.draw(st.integers(0, 6))))
        elif edit == "drop":
            del chars[at]
        elif edit == "dup":
            chars.insert(at, chars[at])
        elif edit == "cut":
            chars = chars[: max(at, 1)]
        else:
            chars[at] = chars[at].swapcase()
    damaged = "".join(chars)
    result = outcome(share.decode, damaged)
    if damaged != token:
        assert isinstance(result, ScenarioError)
    outcome(share.scenario_from_url, "https://mrrsim.example/?s=" + damaged)


@FUZZ
@given(plain_data, st.sampled_from([0, 1]))
def test_well_sealed_links_with_any_json_content_are_refused_or_valid(
    data: Any, codec: int
) -> None:
    try:
        content = json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")
    except ValueError:
        content = repr(data).encode("utf-8", "surrogatepass")
    assume(len(content) < 6_000)
    outcome(share.decode, resealed(content, codec))


@FUZZ
@given(mutated_scenarios(), st.sampled_from([0, 1]))
def test_well_sealed_links_with_mutated_scenarios_are_refused_or_valid(
    case: tuple, codec: int
) -> None:
    data, _ = case
    fields = {**data, "uncertainty.churn": None, "uncertainty.acquisition": None}
    if isinstance(data.get("uncertainty"), dict):
        fields["uncertainty.churn"] = data["uncertainty"].get("churn", 0.0)
        fields["uncertainty.acquisition"] = data["uncertainty"].get("acquisition", 0.0)
    if isinstance(data.get("segments"), list):
        fields["segments"] = [
            [seg.get(k) for k, _ in share.SEGMENT_FIELDS] if isinstance(seg, dict) else seg
            for seg in data["segments"]
        ]
    wire = [fields.get(k) for k, _ in share.TOP_FIELDS]
    try:
        content = json.dumps(wire, ensure_ascii=False, allow_nan=True).encode("utf-8")
    except (ValueError, TypeError):
        return
    assume(len(content) < 50_000)
    outcome(share.decode, resealed(content, codec))


def _peak_mib(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        with contextlib.suppress(ScenarioError):
            fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _lzma_zeros(megabytes: int) -> bytes:
    """A raw LZMA stream (the link's filter settings, fast mode) of ``megabytes`` MB of zeros,
    built a megabyte at a time."""
    filters = [{**share._LZMA_FILTERS[0], "preset": 0, "mode": lzma.MODE_FAST}]
    packer = lzma.LZMACompressor(format=lzma.FORMAT_RAW, filters=filters)
    chunk = bytes(1_000_000)
    return b"".join(packer.compress(chunk) for _ in range(megabytes)) + packer.flush()


@pytest.mark.parametrize(
    ("payload", "inflated_mb"),
    [
        (bytes([0]) + share._deflate(bytes(6_000_000)), 6),  # deflate tops out near 1000:1
        (bytes([1]) + _lzma_zeros(6), 6),
        (bytes([1]) + share._lzma(b"[" * 6_000_000), 6),
    ],
)
def test_bombs_that_fit_in_a_link_are_refused_in_bounded_memory(
    payload: bytes, inflated_mb: int
) -> None:
    token = share._seal(payload)
    assert len(token) <= share.MAX_TOKEN_CHARS  # so decoding really starts
    result = outcome(share.decode, token)
    assert isinstance(result, ScenarioError)
    assert "KB of data" in result.problems[0]
    assert _peak_mib(lambda: share.decode(token)) < 4  # inflated, it would be 6 MB


def test_a_100_mb_bomb_is_refused_quickly_and_in_bounded_memory() -> None:
    payload = bytes([1]) + _lzma_zeros(100)
    token = share._seal(payload)
    for text in (token, "https://x/?s=" + token, "v1." + "A" * 100_000_000):
        result = outcome(share.scenario_from_url, text)
        assert isinstance(result, ScenarioError)
        assert "too long" in result.problems[0]
    # Even past the length check, the decompressor stops at its output limit.
    started = time.monotonic()
    with pytest.raises(ScenarioError, match="KB of data"):
        share._inflate(payload)
    assert time.monotonic() - started < 2  # a hang guard: it takes milliseconds
    assert _peak_mib(lambda: share._inflate(payload)) < 4


def test_deeply_nested_json_in_a_link_is_refused() -> None:
    for content in (b"[" * 30_000 + b"]" * 30_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000):
        assert isinstance(outcome(share.decode, resealed(content, 1)), ScenarioError)


def test_a_link_with_a_400_digit_number_is_refused_by_name() -> None:
    content = json.dumps(["x", [["a", 10**400]]]).encode()
    result = outcome(share.decode, resealed(content))
    assert isinstance(result, ScenarioError)
    assert result.problems[0].startswith("share link: segments[0].list_price: must be a finite")


# --- the command line --------------------------------------------------------------------------

COMMANDS = ["project", "summary", "simulate", "validate", "link", "from-link"]
OPTIONS = ["--format", "--out", "--paths", "--seed", "--base-url", "--plans", "-h", "--"]
argv_items = st.one_of(
    st.sampled_from(COMMANDS + OPTIONS + ["-", DEFAULT_PRESET, "csv", "json", "parquet"]),
    st.sampled_from(["0", "1", "-1", "99999999999999999999", "1e3", "", " ", "../../etc/passwd"]),
    st.sampled_from(["/dev/zero", "/", "nope.yaml", TOKEN, TOKEN[:-3], "v1.", "s=" + TOKEN]),
    st.text(max_size=30).filter(lambda s: "\x00" not in s),
)
stdin_data = st.one_of(
    st.binary(max_size=500),
    st.just(PRESET_YAML.encode()),
    mutated_scenarios().map(lambda case: yaml_text(case[0]).encode("utf-8", "surrogatepass")),
)


def _safe_argv(argv: list[str], out_dir: Path) -> list[str]:
    """Keep fuzzed output files inside ``out_dir`` and Monte Carlo runs small."""
    safe = list(argv)
    for i, item in enumerate(safe[:-1]):
        if item == "--out" or item.startswith("--o"):
            safe[i + 1] = str(out_dir / "out.bin")
        if item.startswith("--pa") and safe[i + 1].isdigit() and int(safe[i + 1]) > 50:
            safe[i + 1] = "50"
    return [a for a in safe if not (a.startswith("--o") and "=" in a)]


@FUZZ
@given(argv=st.lists(argv_items, max_size=7), stdin=stdin_data)
def test_random_command_lines_exit_0_or_2_with_a_message(
    argv: list[str], stdin: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    argv = _safe_argv(argv, tmp_path_factory.mktemp("out", numbered=True))
    code, _, err = run_cli(argv, stdin)
    assert_clean_exit(code, err)


@HEAVY
@given(stdin_data, st.sampled_from(["validate", "summary", "link"]))
def test_cli_agrees_with_the_loader_on_stdin(stdin: bytes, command: str) -> None:
    code, out, err = run_cli([command, "-"], stdin)
    assert_clean_exit(code, err)
    loaded = outcome(loads_scenario, stdin)
    if isinstance(loaded, ScenarioError):
        assert code == 2 and not out
        assert err == "".join(f"error: {p}\n" for p in loaded.problems)
    elif command == "validate":
        assert (code, out) == (
            0,
            f"ok: {loaded.name} ({len(loaded.segments)} segment"
            f"{'s' if len(loaded.segments) != 1 else ''}, "
            f"{loaded.horizon_months} months)\n",
        )
    elif command == "summary":
        assert code == 0
        assert json.loads(out)["ending_mrr"] == summarize(loaded)["ending_mrr"]
    else:
        assert code == 2 or share.scenario_from_url(out.strip()) == loaded


@HEAVY
@given(st.text(max_size=200))
def test_from_link_on_random_text_exits_2_with_a_message(text: str) -> None:
    code, out, err = run_cli(["from-link", text])
    assert_clean_exit(code, err)
    assert code == 2 and not out


def test_from_link_round_trips_a_real_link() -> None:
    code, out, err = run_cli(["from-link", share.share_url(PRESET)])
    assert (code, err) == (0, "")
    assert loads_scenario(out) == PRESET


SUBPROCESS_CASES = [
    (["validate", "-"], b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "not UTF-8"),
    (
        ["summary", "-"],
        b"name: x\nsegments: [{name: a, list_price: 1" + b"0" * 400 + b"}]",
        "finite",
    ),
    (["project", "-"], b"name: a\nsegments: [{name: a, list_price: 1:20}]", "base-60"),
    (["validate", "/dev/zero"], b"", "is a device, not a scenario file"),
    (["from-link", "v1." + "A" * 9_000], b"", "too long"),
    (["from-link", resealed(b"\0" * 6_000_000)], b"", "KB of data"),
    (["simulate", DEFAULT_PRESET, "--paths", "10000000000"], b"", "paths"),
    (["link", "-"], b"a: &a [*a]\n", "anchors"),
]


@pytest.mark.parametrize(("argv", "stdin", "words"), SUBPROCESS_CASES)
def test_the_real_command_refuses_with_status_2_and_no_traceback(
    argv: list[str], stdin: bytes, words: str
) -> None:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "mrrsim", *argv],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    assert err.startswith("error: ") and words in err, err
    assert not proc.stdout
    assert time.monotonic() - started < 60


def test_help_exits_0() -> None:
    code, out, _ = run_cli(["--help"])
    assert code == 0 and "from-link" in out


# --- payload shapes of the adversarial pass (issue 14) ----------------------------------------

SEPARATOR_CHARS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
separated_names = st.builds(
    lambda a, sep, b: (a + sep + b).strip() or "x" + sep + "y",
    st.text(max_size=20),
    st.text(st.sampled_from(SEPARATOR_CHARS), min_size=1, max_size=3),
    st.text(max_size=20),
)


@HEAVY
@given(separated_names, separated_names)
@example("Plan\u2028A", "Pro\u2029B")
def test_line_separators_in_names_survive_files_links_and_charts(name: str, segment: str) -> None:
    """Names holding line or paragraph separators load back exactly from YAML and links, and
    nothing Vega gets from them holds one (Vega ended its expression strings there)."""
    from mrrsim import charts, project

    assume(name.strip() and segment.strip())
    try:
        scenario = parse_scenario(
            {"name": name, "segments": [{"name": segment, "list_price": 10, "new_customers": 5}]}
        )
    except ScenarioError as exc:  # a name the model refuses (e.g. blank after trimming)
        assert_clean_problems(exc)
        return
    assert loads_scenario(dump_scenario(scenario)) == scenario
    assert share.decode(share.encode(scenario)) == scenario
    chart = charts.mrr_by_segment_term_chart(project(scenario), scenario.currency)
    spec = charts.vega_spec(chart)
    datasets = spec.pop("datasets", {})
    texts = [json.dumps(spec, ensure_ascii=False)]
    texts += [json.dumps(d.to_dicts(), ensure_ascii=False) for d in datasets.values()]
    assert not any(c in text for text in texts for c in "\u2028\u2029\x85")


YAML_1_1_FORMS = st.one_of(
    st.builds(lambda h, m: f"{h}:{m:02d}", st.integers(0, 999), st.integers(0, 59)),
    st.builds(lambda n: f"0x{n:X}", st.integers(0, 10**6)),
    st.builds(lambda n: f"0o{n:o}", st.integers(0, 10**6)),
    st.builds(lambda n: f"0b{n:b}", st.integers(0, 10**6)),
    st.builds(lambda n: f"0{n:o}", st.integers(1, 10**6)),
    st.builds(lambda a, b: f"{a}_{b:03d}", st.integers(1, 999), st.integers(0, 999)),
    st.sampled_from(["yes", "No", "ON", "off", "Y", "n", "Yes", "OFF"]),
)


@FUZZ
@given(YAML_1_1_FORMS, st.sampled_from(["name", "list_price", "horizon_months", "currency"]))
def test_yaml_1_1_look_alikes_are_refused_wherever_they_stand(form: str, field: str) -> None:
    """``1:20``, ``0x10``, ``0o10``, ``0b1``, ``010``, ``1_000`` and yes/no words are refused
    with their line and what to write instead, in text fields and number fields alike."""
    data = {"name": "x", "segments": [{"name": "a", "list_price": 1}]}
    holder = data["segments"][0] if field == "list_price" else data
    holder[field] = "@@"
    text = yaml_text(data).replace("'@@'", form).replace("@@", form)
    result = outcome(loads_scenario, text)
    assert isinstance(result, ScenarioError), text
    (problem,) = result.problems
    assert problem.startswith("line ") and "write" in problem and repr(form) in problem


@FUZZ
@given(
    st.sampled_from(["name", "currency", "horizon_months", "annual_discount", "segments"]),
    st.integers(1, 4),
)
def test_duplicate_keys_are_refused_naming_the_key(key: str, copies: int) -> None:
    lines = PRESET_YAML.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
    end = next(
        (i for i in range(start + 1, len(lines)) if not lines[i].startswith((" ", "-"))),
        len(lines),
    )
    text = "".join(lines + lines[start:end] * copies)
    result = outcome(loads_scenario, text)
    assert isinstance(result, ScenarioError)
    assert len(result.problems) == copies
    assert all(f"the key {key!r} is given twice" in p for p in result.problems)


@settings(FUZZ, max_examples=10)
@given(st.integers(11, 3_000), st.sampled_from(["top", "segment"]))
@example(9_000, "top")  # each unknown key costs a "did you mean" look-up: about 1 s for 9,000
def test_many_unknown_keys_give_ten_lines_and_a_count(count: int, where: str) -> None:
    """A file with thousands of unknown keys: the CLI prints ten problems and a count."""
    data: dict[str, Any] = {"name": "x", "segments": [{"name": "a", "list_price": 1}]}
    holder = data if where == "top" else data["segments"][0]
    holder.update({f"unknown_{i}": i for i in range(count)})
    code, out, err = run_cli(["validate", "-"], json.dumps(data).encode())
    assert code == 2 and out == "", err[:500]
    lines = err.splitlines()
    assert len(lines) == (count if count <= 11 else 11)
    if count > 11:
        assert lines[-1] == f"error: …and {count - 10:,} more problems"


@settings(FUZZ, max_examples=25)
@given(st.integers(21, 12_000), st.sampled_from([[0, 0], ["x"] * 12, [], [None, -1]]))
def test_short_links_expanding_to_many_problems_print_ten_and_a_count(
    segments: int, segment: list
) -> None:
    """A link of a few hundred characters can hold thousands of bad segments; refusing it
    prints ten problems and a count, in bounded time."""
    content = json.dumps(["n", [segment] * segments], separators=(",", ":")).encode()
    assume(len(content) <= share.MAX_JSON_BYTES)
    token = resealed(content, codec=1)
    started = time.perf_counter()
    code, out, err = run_cli(["from-link", token])
    assert time.perf_counter() - started < HANG_S
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert 1 <= len(lines) <= 11
    if len(lines) == 11:
        assert lines[-1].startswith("error: …and ") and lines[-1].endswith(" more problems")
