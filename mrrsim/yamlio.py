"""Reading and writing scenario YAML safely, and finding the bundled presets.

Scenario files and uploads are untrusted: the text is size-checked, decoded, and its YAML events
screened (no anchors/aliases, no tags, bounded nesting and size) before ``yaml.safe_load`` builds
anything, so alias bombs, Python tags and binary files are refused with a clear message.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from mrrsim.scenario import Scenario, ScenarioError, parse_scenario

__all__ = [
    "DEFAULT_PRESET",
    "MAX_BYTES",
    "PRESETS_DIR",
    "dump_scenario",
    "load_preset",
    "load_scenario",
    "loads_scenario",
    "preset_names",
]

MAX_BYTES = 1_000_000
MAX_DEPTH = 12
MAX_EVENTS = 20_000
PRESETS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
DEFAULT_PRESET = "mid-market-mixed"
_PRESET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        if len(data.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise ScenarioError([f"scenario file is larger than {MAX_BYTES:,} bytes"])
        text = data
    else:
        if len(data) > MAX_BYTES:
            raise ScenarioError([f"scenario file is larger than {MAX_BYTES:,} bytes"])
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ScenarioError(
                ["scenario file is not UTF-8 text (is it a binary file?)"]
            ) from None
    if "\x00" in text:
        raise ScenarioError(["scenario file is not text (it contains NUL bytes)"])
    return text


def _screen(text: str) -> None:
    """Walk the YAML events and refuse what a scenario never needs, before constructing it."""
    depth = 0
    documents = 0
    try:
        for count, event in enumerate(yaml.parse(text, Loader=yaml.SafeLoader)):
            if count > MAX_EVENTS:
                raise ScenarioError(["scenario YAML is too large (too many items)"])
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise ScenarioError(
                    ["scenario YAML uses anchors or aliases (& and *), which are not allowed"]
                )
            tag = getattr(event, "tag", None)
            if tag:
                raise ScenarioError([f"scenario YAML uses a tag ({tag}), which is not allowed"])
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise ScenarioError(["scenario YAML holds more than one document"])
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ScenarioError(["scenario YAML is nested too deeply"])
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        raise ScenarioError([f"scenario is not valid YAML: {_yaml_problem(exc)}"]) from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{problem}{where}"


def loads_scenario(data: bytes | str) -> Scenario:
    """Parse scenario YAML (or JSON) text into a validated Scenario, or raise ScenarioError."""
    text = _decode(data)
    if not text.strip():
        raise ScenarioError(["scenario file is empty"])
    _screen(text)
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError([f"scenario is not valid YAML: {_yaml_problem(exc)}"]) from None
    except (ValueError, OverflowError) as exc:  # a value Python cannot build: 2020-02-30, 10**5000
        problem = str(exc).split(";")[0]
        raise ScenarioError([f"scenario has a value that cannot be read: {problem}"]) from None
    return parse_scenario(_join_surrogates(raw))


def _join_surrogates(value: Any) -> Any:
    """JSON writes characters beyond U+FFFF as escaped surrogate pairs (``"\\ud83d\\ude00"``),
    which PyYAML reads as two halves: join each pair back into one character."""
    if isinstance(value, str):
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    if isinstance(value, dict):
        return {_join_surrogates(k): _join_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_join_surrogates(v) for v in value]
    return value


def preset_names() -> list[str]:
    """The bundled presets, by file stem, sorted."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml") if _PRESET_NAME.match(p.stem))


def load_preset(name: str) -> Scenario:
    """Load a bundled preset by name; only files inside ``scenarios/`` are ever read."""
    if not _PRESET_NAME.match(name) or name not in preset_names():
        known = ", ".join(preset_names())
        raise ScenarioError([f"unknown preset {name!r} (presets: {known})"])
    return _read_file(PRESETS_DIR / f"{name}.yaml")


def _read_file(path: Path) -> Scenario:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ScenarioError([f"{path}: scenario file is larger than {MAX_BYTES:,} bytes"])
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise ScenarioError([f"{path}: is a directory, not a scenario file"]) from None
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read ({exc.strerror})"]) from None
    return loads_scenario(data)


def load_scenario(source: str | Path) -> Scenario:
    """Load a scenario from a YAML path or, when no such file exists, a preset name."""
    path = Path(source)
    if isinstance(source, str) and _PRESET_NAME.match(source) and not _exists(path):
        return load_preset(source)
    return _read_file(path)


def _exists(path: Path) -> bool:
    """Whether a file is there; a name the system cannot even look up (too long) is not."""
    try:
        return path.exists()
    except OSError:
        return False


class _Dumper(yaml.SafeDumper):
    """``yaml.SafeDumper`` that double-quotes text holding a Unicode line break.

    PyYAML writes NEL (U+0085) unescaped in single-quoted text, and reading that back folds it
    into a space; double quotes escape it as ``\\N`` (and U+2028, U+2029 as ``\\L``, ``\\P``)."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = '"' if any(c in text for c in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_scenario(scenario: Scenario) -> str:
    """YAML text that loads back to an identical Scenario (any text in names included)."""
    return yaml.dump(
        scenario.to_dict(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )
