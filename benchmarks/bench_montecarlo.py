"""Speed of the Monte Carlo engine: 3 segments with an existing base, 60 months, 10,000 paths.

Target: ``simulate`` in at most 2 s. Prints the median (and min/max) of several runs per case.
Run: ``.venv/bin/python benchmarks/bench_montecarlo.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import three_tiers

from mrrsim.montecarlo import _draw, simulate, simulate_paths, simulate_plans

PATHS = 10_000
HORIZON = 60
RUNS = 5
TARGET_S = 2.0


def timings(fn: Callable[[], object], runs: int = RUNS) -> tuple[list[float], list[float]]:
    """Wall-clock and process CPU seconds of ``runs`` calls, after one warm-up call.

    CPU time (all threads) is printed too: on a shared machine the wall clock mostly measures
    the other processes, while CPU time shows the work this engine does.
    """
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def main() -> None:
    with_exp = three_tiers(HORIZON, monthly_expansion=True)
    flat = three_tiers(HORIZON, monthly_expansion=False)
    cases: list[tuple[str, Callable[[], object]]] = [
        ("simulate (monthly_expansion != 0)", lambda: simulate(with_exp, PATHS, 0)),
        ("simulate (monthly_expansion = 0)", lambda: simulate(flat, PATHS, 0)),
        ("  of which draws (numpy)", lambda: _draw(with_exp, PATHS, 0)),
        ("simulate_paths (per-path frame)", lambda: simulate_paths(with_exp, PATHS, 0)),
        ("simulate_plans (3 plans)", lambda: simulate_plans(with_exp, PATHS, 0)),
    ]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Monte Carlo: 3 segments, {HORIZON} months, {PATHS:,} paths, {RUNS} runs each")
    print(f"cores: {os.cpu_count()}, load average before: {load}")
    print(f"{'case':<36} {'median s':>9} {'min s':>7} {'max s':>7} {'median CPU s':>13}")
    for name, fn in cases:
        wall, cpu = timings(fn)
        print(
            f"{name:<36} {statistics.median(wall):>9.3f} {min(wall):>7.3f} {max(wall):>7.3f}"
            f" {statistics.median(cpu):>13.3f}"
        )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"target: simulate <= {TARGET_S:.1f} s wall; load average after: {load}")


if __name__ == "__main__":
    main()
