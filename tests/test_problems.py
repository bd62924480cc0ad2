"""Long problem lists are shown as the first ten and a count of the rest: in the command line,
the sidebar and the notice of a bad share link."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_app import APP, TIMEOUT
from test_cli import run

from mrrsim import share
from mrrsim.problems import MAX_SHOWN, capped, more_problems
from mrrsim.scenario import ScenarioError
from mrrsim.ui import escape_md

ROOT = Path(__file__).resolve().parents[1]
UNKNOWN_KEYS = "name: x\nsegments: [{name: a, list_price: 1}]\n" + "".join(
    f"k{i}: 1\n" for i in range(9_000)
)


BAD_SEGMENT = [0, 0, -1, 9, 9, 9, 9, 9, 9, -1, -1, 9, 9, "x", 9, 9, "x"]  # every field wrong


def refused_cli_lines(*args: str, stdin: str | None = None) -> list[str]:
    """The lines ``python -m mrrsim ARGS`` writes to stderr, asserting it refused (exit 2)."""
    out = run(*args, stdin=stdin)
    assert out.returncode == 2
    return out.stderr.splitlines()


def huge_link(segments: int = 20, row: list | None = None) -> str:
    """A short, well-sealed link whose content is many bad segments (as anyone can make): 20 of
    them give hundreds of problems; thousands are refused by their count alone."""
    rows = [BAD_SEGMENT if row is None else row] * segments
    content = json.dumps(["n", rows], separators=(",", ":")).encode()
    return share._seal(bytes([1]) + share._lzma(content))


def test_capped_keeps_short_lists_and_counts_the_rest() -> None:
    lines = [f"p{i}" for i in range(25)]
    assert capped(lines[:3]) == ["p0", "p1", "p2"]
    assert capped(lines[:11]) == lines[:11]  # "1 more" would hide no line
    assert capped(lines) == [*lines[:10], "…and 15 more problems"]
    assert capped(capped(lines)) == capped(lines)
    assert capped(lines, 2) == ["p0", "p1", "…and 23 more problems"]
    assert more_problems(1) == "…and 1 more problem"
    assert more_problems(24_892) == "…and 24,892 more problems"


def test_a_short_link_expanding_to_thousands_of_segments_is_refused_at_once() -> None:
    """The shape the issue found: a link of a few hundred characters holding 6,000 bad
    segments (over 10,000 problems) is refused by its segment count, before any of them is
    validated: one line. Twenty bad segments give hundreds of problems, cut to the first ten."""
    token = huge_link(6_000, [0, 0])
    assert len(token) < 300
    with pytest.raises(ScenarioError) as info:
        share.decode(token)
    assert info.value.problems == [
        "share link: segments: must list between 1 and 20 segments (got 6,000)"
    ]
    with pytest.raises(ScenarioError) as info:
        share.decode(huge_link())
    assert len(info.value.problems) == MAX_SHOWN + 1
    assert info.value.problems[-1].startswith("…and ")


def test_the_cli_prints_the_first_ten_problems_and_a_count() -> None:
    lines = refused_cli_lines("validate", "-", stdin=UNKNOWN_KEYS)
    assert len(lines) == MAX_SHOWN + 1
    assert lines[0] == "error: k0: unknown field"
    assert lines[-1] == "error: …and 8,990 more problems"
    lines = refused_cli_lines("from-link", huge_link())
    assert len(lines) == MAX_SHOWN + 1
    assert lines[0] == "error: share link: segments[0].name: must be text (got 0)"
    assert lines[-1].startswith("error: …and ") and lines[-1].endswith(" more problems")


def test_a_link_with_thousands_of_problems_shows_ten_and_a_count() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params[share.QUERY_KEY] = huge_link()
    at.run()
    assert not at.exception
    (notice,) = [e.value for e in at.error if "could not be opened" in e.value]
    items = [line for line in notice.splitlines() if line.startswith("- ")]
    assert len(items) == MAX_SHOWN + 1
    assert items[-1].startswith("- …and ") and items[-1].endswith(" more problems")
    assert len(notice) < 2_000  # was 2 MB of page text, 9.7 s for a browser to draw


def test_an_upload_with_thousands_of_unknown_keys_shows_ten_boxes_and_a_count() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    upload = ("keys.yaml", UNKNOWN_KEYS.encode(), "application/x-yaml")
    at.file_uploader(key="ed.upload").set_value(upload).run()
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert len(errors) == MAX_SHOWN + 1
    assert errors[0] == escape_md("keys.yaml: k0: unknown field")
    assert errors[-1] == escape_md("…and 8,990 more problems")
