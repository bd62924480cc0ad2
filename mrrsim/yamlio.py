"""Reading and writing scenario YAML safely, and finding the bundled presets.

Scenario files and uploads are untrusted: the text is size-checked, decoded, and its YAML events
screened (no anchors/aliases, no tags, bounded nesting and size) before anything is built, so
alias bombs, Python tags and binary files are refused with a clear message.

Plain values are read by YAML 1.2's core rules (``yes`` and ``2020-01-01`` are text, ``1e3`` is a
number). The forms that YAML 1.1 tools (PyYAML's own loader among them) read differently are
refused with what to write instead, rather than read one way or the other: ``1:20`` (base 60),
``010`` (octal in 1.1), ``0x10``, ``0o10``, ``0b10``, ``1_000``, and yes/no/on/off. A key given
twice in one mapping is refused too, naming the key and its lines.
"""

from __future__ import annotations

import os
import re
import stat
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


class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with YAML 1.2 core-schema plain values and no duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A mapping; a key given twice is a problem (YAML says keys are unique, PyYAML
        silently keeps the last)."""
        seen: dict[Any, int] = {}
        problems: list[str] = []
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
                if first is None:
                    seen[key] = line
                    continue
            except TypeError:  # an unhashable key: PyYAML's own message follows
                continue
            problems.append(
                f"line {line}: the key {_clip(str(key))!r} is given twice (also on line "
                f"{first}); keep one"
            )
        if problems:
            raise ScenarioError(problems)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """YAML 1.2 core integers: decimal, ``0o`` octal, ``0x`` hexadecimal."""
        value = str(self.construct_scalar(node))
        if value.startswith("0o"):
            return int(value[2:], 8)
        if value.startswith("0x"):
            return int(value[2:], 16)
        return int(value, 10)


_CORE_SCHEMA = tuple(
    (f"tag:yaml.org,2002:{tag}", re.compile(f"^(?:{pattern})$"), first)
    for tag, pattern, first in (
        ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
        ("bool", r"true|True|TRUE|false|False|FALSE", list("tTfF")),
        ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", list("-+0123456789")),
        (
            "float",
            r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
            list("-+.0123456789"),
        ),
    )
)
_Loader.yaml_implicit_resolvers = {}  # none of SafeLoader's YAML 1.1 resolvers: only these
for _tag, _regexp, _first in _CORE_SCHEMA:
    _Loader.add_implicit_resolver(_tag, _regexp, _first)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)

# Plain values YAML 1.1 reads differently from YAML 1.2 (checked before reading, so the file
# means the same to every YAML tool that accepts it).
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_PREFIXED = re.compile(r"^[-+]?0[bBoOxX][0-9a-fA-F_]+$")
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")
_UNDERSCORED = re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?$")
_YES_NO = frozenset(
    w for base in ("yes", "no", "on", "off", "y", "n") for w in (base, base.title(), base.upper())
)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _old_reading(value: str) -> str:
    """How YAML 1.1 (PyYAML's own loader) reads a short plain value, for the message."""
    if len(value) > 40:
        return ""
    try:
        read = yaml.safe_load(value)
    except (yaml.YAMLError, ValueError):
        return ""
    return f" (old YAML reads it as {'text' if isinstance(read, str) else repr(read)})"


def _look_alike(value: str) -> str | None:
    """What to write instead of a plain value that YAML 1.1 and 1.2 read differently, or None."""
    shown = repr(_clip(value))
    quote = f", or quote it ({shown}) if it is text"
    if value in _YES_NO:
        return f"{shown} is a yes/no word{_old_reading(value)}: write true or false{quote}"
    if _SEXAGESIMAL.match(value):
        what = "a base-60 number"
    elif _PREFIXED.match(value):
        what = "not a decimal number"
    elif _LEADING_ZERO.match(value):
        what = "a number with a leading zero"
    elif "_" in value and _UNDERSCORED.match(value):
        what = "a number with underscores"
    else:
        return None
    return f"{shown} is {what}{_old_reading(value)}: write the number in plain decimal{quote}"


def _screen(text: str) -> None:
    """Walk the YAML events and refuse what a scenario never needs, before constructing it."""
    depth = 0
    documents = 0
    look_alikes: list[str] = []
    try:
        for count, event in enumerate(yaml.parse(text, Loader=_Loader)):
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
            elif isinstance(event, yaml.ScalarEvent) and event.style is None:
                problem = _look_alike(event.value)
                if problem is not None:
                    where = event.start_mark.line + 1 if event.start_mark else "?"
                    look_alikes.append(f"line {where}: {problem}")
    except yaml.YAMLError as exc:
        raise ScenarioError([f"scenario is not valid YAML: {_yaml_problem(exc)}"]) from None
    if look_alikes:
        raise ScenarioError(look_alikes)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{problem}{where}"


def _read_safely(text: str) -> Any:
    """The one YAML document of ``text`` read by ``_Loader``, a ``yaml.SafeLoader`` (plain data
    only: no Python objects, no tags that run code)."""
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def loads_scenario(data: bytes | str) -> Scenario:
    """Parse scenario YAML (or JSON) text into a validated Scenario, or raise ScenarioError."""
    text = _decode(data)
    if not text.strip():
        raise ScenarioError(["scenario file is empty"])
    _screen(text)
    try:
        raw: Any = _read_safely(text)
    except yaml.YAMLError as exc:
        raise ScenarioError([f"scenario is not valid YAML: {_yaml_problem(exc)}"]) from None
    except ScenarioError:
        raise
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
        raise ScenarioError([f"unknown preset {_clip(name, 60)!r} (presets: {known})"])
    return _read_file(PRESETS_DIR / f"{name}.yaml")


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _read_file(path: Path) -> Scenario:
    """A regular file's scenario. The file is opened without blocking and checked before any
    read, so a named pipe, a device or a directory is refused at once instead of hanging or
    reading for ever."""
    shown = _clip(str(path), 80)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ScenarioError([f"{shown}: no such file"]) from None
    except IsADirectoryError:
        raise ScenarioError([f"{shown}: is a directory, not a scenario file"]) from None
    except OSError as exc:
        raise ScenarioError([f"{shown}: cannot read ({exc.strerror})"]) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ScenarioError([f"{shown}: is {_file_kind(info.st_mode)}, not a scenario file"])
    with os.fdopen(fd, "rb") as fh:
        if info.st_size > MAX_BYTES:
            raise ScenarioError([f"{shown}: scenario file is larger than {MAX_BYTES:,} bytes"])
        try:
            data = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise ScenarioError([f"{shown}: cannot read ({exc.strerror})"]) from None
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
    """Text, quoted where a YAML 1.2 reader would take it for something else (``1e3``,
    ``0o10``) or where the reader refuses it as a YAML 1.1 look-alike."""
    if any(c in text for c in "\x85\u2028\u2029"):
        style: str | None = '"'
    elif _look_alike(text) or any(regexp.match(text) for _, regexp, _ in _CORE_SCHEMA):
        style = "'"
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_scenario(scenario: Scenario) -> str:
    """YAML text that loads back to an identical Scenario (any text in names included)."""
    return yaml.dump(
        scenario.to_dict(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )
