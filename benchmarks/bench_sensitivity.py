"""Speed of the batch analyses: tornado and 21 x 21 discount/share grid.

Targets (3 segments with an existing base): tornado <= 0.5 s, grid <= 1 s at 36 months.
Prints the median (and min/max) of several runs per case, after one warm-up run.
Run: ``.venv/bin/python benchmarks/bench_sensitivity.py``.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import three_tiers, timings

from mrrsim.sensitivity import discount_share_grid, tornado

RUNS = 7


def main() -> None:
    s36, s120 = three_tiers(36), three_tiers(120)
    bars = tornado(s36, top=None).height
    cases: list[tuple[str, Callable[[], object], float | None]] = [
        (f"tornado, 36 months ({bars} bars)", lambda: tornado(s36), 0.5),
        ("tornado, 120 months", lambda: tornado(s120), None),
        ("grid 21x21, 36 months", lambda: discount_share_grid(s36), 1.0),
        ("grid 21x21, 120 months", lambda: discount_share_grid(s120), None),
    ]
    print(f"Sensitivity: 3 segments with existing bases, {RUNS} runs each")
    print(f"{'case':<34} {'median s':>9} {'min s':>7} {'max s':>7} {'target s':>9}")
    for name, fn, target in cases:
        ts = timings(fn, RUNS)
        goal = f"{target:.1f}" if target is not None else "-"
        print(f"{name:<34} {statistics.median(ts):>9.3f} {min(ts):>7.3f} {max(ts):>7.3f} {goal:>9}")


if __name__ == "__main__":
    main()
