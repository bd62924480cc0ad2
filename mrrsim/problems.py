"""Showing lists of problems to people: the first few and a count of the rest.

A hostile input can name thousands of problems (a short share link expanding to 24,902 lines, a
file with 9,000 unknown keys); printing or drawing every one costs seconds and helps no one. The
command line, the sidebar and the link notice all show at most ``MAX_SHOWN`` of them.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MAX_SHOWN", "capped", "more_problems", "prefixed"]

MAX_SHOWN = 10


def more_problems(count: int) -> str:
    """The line that stands for ``count`` problems not shown: '…and 24,892 more problems'."""
    return f"…and {count:,} more problem{'s' if count != 1 else ''}"


def capped(problems: Sequence[str], limit: int = MAX_SHOWN) -> list[str]:
    """The first ``limit`` problems, then one line counting the rest.

    A list one longer than ``limit`` is shown whole (a line saying "1 more" would take the place
    of that problem), which also makes capping a capped list change nothing. Only the lines shown
    are copied, so capping a huge list costs next to nothing."""
    if len(problems) <= limit + 1:
        return list(problems)
    return [*problems[:limit], more_problems(len(problems) - limit)]


def prefixed(problems: Sequence[str], prefix: str) -> list[str]:
    """Each problem with ``prefix`` before it ('share link: '), but not the line counting the
    problems not shown."""
    return [p if p.startswith("…and ") else prefix + p for p in problems]
