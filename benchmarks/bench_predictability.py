"""Speed of the Predictability page: one rerun after one input change, AppTest in process.

Target: median server CPU per rerun at most 250 ms after one input change. The page computes
only its open tab. Cases: the churn rise changed (its tab open: the dashboard test reruns), the
churn uncertainty changed (the range tab open: the simulation reruns), the random seed changed
(the range tab: the simulation reruns; the dashboard's tab: the test), the target MRR changed
(nothing reruns but the page), the same scenario.
Run: ``.venv/bin/python benchmarks/bench_predictability.py``.
"""

from __future__ import annotations

import logging
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "app.py"
sys.path.insert(0, str(APP.parent))

from common import app_rerun_times  # noqa: E402

PAGE = str(APP.parent / "pages" / "predictability.py")
RERUNS = 9
TARGET_MS = 250.0


RANGES, DASHBOARD = "Range of outcomes", "How soon a churn rise shows"  # the page's tabs


def rerun_times(
    change: Callable[[AppTest, int], None], tab: str
) -> tuple[list[float], list[float]]:
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    at.switch_page(PAGE)
    at.session_state["pred.tab"] = tab
    at.run()
    return app_rerun_times(at, change, RERUNS)


def shock(at: AppTest, i: int) -> None:
    at.number_input(key="pred.shock_factor").set_value(1.2 + i * 0.01)


def uncertainty(at: AppTest, i: int) -> None:
    at.number_input(key="pred.cv.churn").set_value(20.0 + i)


def seed(at: AppTest, i: int) -> None:
    at.number_input(key="pred.seed").set_value(10 + i)


def target(at: AppTest, i: int) -> None:
    at.number_input(key="pred.target").set_value(1_000_000.0 + i * 1000)


def same(at: AppTest, i: int) -> None:
    """No change."""


def main() -> int:
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    cases = {
        "churn rise changed (test reruns)": (shock, DASHBOARD),
        "churn uncertainty changed (simulation reruns)": (uncertainty, RANGES),
        "seed changed, ranges (simulation reruns)": (seed, RANGES),
        "seed changed, dashboard (test reruns)": (seed, DASHBOARD),
        "target MRR changed (cached engine)": (target, RANGES),
        "same scenario (cached engine)": (same, RANGES),
    }
    print(f"Predictability rerun, AppTest in process, {RERUNS} reruns per case (ms)")
    print(f"{'case':<48} {'median':>7} {'min':>7} {'max':>7} {'CPU med':>8}")
    for name, (change, tab) in cases.items():
        wall, cpu = rerun_times(change, tab)
        print(
            f"{name:<48} {statistics.median(wall):7.1f} {min(wall):7.1f} {max(wall):7.1f} "
            f"{statistics.median(cpu):8.1f}"
        )
    print(f"target: CPU median <= {TARGET_MS:.0f} ms after one input change")
    return 0


if __name__ == "__main__":
    sys.exit(main())
