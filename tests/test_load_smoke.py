"""The load benchmark (``benchmarks/bench_load.py``) run small, so it cannot rot: three concurrent
browser sessions for 15 s, each on its own share link, with no errors and no cross-session
leaks, and its headline figures checked against ``summarize()`` on every rerun.

Needs Debian's Chromium; skipped without it, except in CI (``CI=true``), where it must run.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
from browser_util import chromium_available

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = 3
SECONDS = 15.0


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _bench() -> ModuleType:
    path = ROOT / "benchmarks" / "bench_load.py"
    spec = importlib.util.spec_from_file_location("bench_load", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    if not chromium_available():
        reason = "headless Chromium is not available (/usr/bin/chromium or playwright)"
        if _in_ci():
            pytest.fail(f"{reason}; CI must run the load smoke test")
        pytest.skip(reason)
    return _bench()


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


def test_a_small_load_run_has_no_errors_and_no_leaks(bench: ModuleType) -> None:
    result = bench.run(SESSIONS, SECONDS)
    summary = result.summary()
    print(bench.report(result))
    assert result.errors == []
    assert result.leaks == []
    assert summary["sessions_opened"] == SESSIONS
    assert summary["reruns"] >= SESSIONS  # every session changed its inputs at least once
    assert len(result.latencies_s) == summary["reruns"]
    assert all(0 < t < bench.RERUN_TIMEOUT_MS / 1000 for t in result.latencies_s)
    assert summary["server_rss_peak_mib"] > 0
