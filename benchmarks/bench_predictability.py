"""Speed of the Predictability page: one rerun after one input change, AppTest in process.

Target: median server CPU per rerun at most 250 ms after one input change. Cases: the churn
rise changed (the dashboard test reruns), the churn uncertainty changed (the simulation reruns,
the dashboard test does not: it draws no parameter uncertainty), the random seed changed (the
simulation and the test rerun), the target MRR changed (nothing reruns but the page), the same
scenario.
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


def rerun_times(change: Callable[[AppTest, int], None]) -> tuple[list[float], list[float]]:
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    at.switch_page(PAGE).run()
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
        "churn rise changed (test reruns)": shock,
        "churn uncertainty changed (simulation reruns)": uncertainty,
        "seed changed (simulation and test rerun)": seed,
        "target MRR changed (cached engine)": target,
        "same scenario (cached engine)": same,
    }
    print(f"Predictability rerun, AppTest in process, {RERUNS} reruns per case (ms)")
    print(f"{'case':<48} {'median':>7} {'min':>7} {'max':>7} {'CPU med':>8}")
    for name, change in cases.items():
        wall, cpu = rerun_times(change)
        print(
            f"{name:<48} {statistics.median(wall):7.1f} {min(wall):7.1f} {max(wall):7.1f} "
            f"{statistics.median(cpu):8.1f}"
        )
    print(f"target: CPU median <= {TARGET_MS:.0f} ms after one input change")
    return 0


if __name__ == "__main__":
    sys.exit(main())
