"""Speed of the planner page: one rerun after one input change, AppTest in process.

Target: median rerun at most 150 ms. Each rerun sets the annual discount to a value not seen
before, so the engine really recomputes (no cache hits); a second case reruns with the same
scenario (cached engine, only the page is redrawn). Prints a table of medians and ranges.
Run: ``.venv/bin/python benchmarks/bench_app.py``.
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

RERUNS = 15
TARGET_MS = 150.0


def rerun_times(
    change: Callable[[AppTest, int], None], reruns: int = RERUNS
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of ``reruns`` reruns, each after ``change(at, i)``,
    after two warm-ups. CPU time (all threads of this process) is steadier on a busy machine."""
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.session_state["ed.seg.1.box"] = True  # one segment open in the sidebar, as when editing
    at.run()
    return app_rerun_times(at, change, reruns)


def new_discount(at: AppTest, i: int) -> None:
    at.number_input(key="ed.annual_discount").set_value(10.0 + i * 0.25)


def new_churn(at: AppTest, i: int) -> None:
    at.number_input(key="ed.seg.1.monthly_churn").set_value(1.0 + i * 0.05)


def same_scenario(at: AppTest, i: int) -> None:
    """No change: the rerun a click on a tab-less control or a download would cause."""


def main() -> int:
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    cases = {
        "annual discount changed (engine recomputes)": new_discount,
        "segment churn changed (engine recomputes)": new_churn,
        "same scenario (engine cached)": same_scenario,
    }
    print(f"Planner rerun, AppTest in process, {RERUNS} reruns per case (ms)")
    print(f"{'case':<46} {'median':>7} {'min':>7} {'max':>7} {'CPU med':>8}")
    verdict = 0
    for name, change in cases.items():
        wall, cpu = rerun_times(change)
        median = statistics.median(wall)
        print(
            f"{name:<46} {median:7.1f} {min(wall):7.1f} {max(wall):7.1f} "
            f"{statistics.median(cpu):8.1f}"
        )
        if "recomputes" in name and median > TARGET_MS:
            verdict = 1
    print(
        f"target: median <= {TARGET_MS:.0f} ms after an input change -> "
        f"{'met' if verdict == 0 else 'MISSED'}"
    )
    return verdict


if __name__ == "__main__":
    sys.exit(main())
