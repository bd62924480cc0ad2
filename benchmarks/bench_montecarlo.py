"""Speed of the Monte Carlo engine: 3 segments with an existing base, 60 months, 10,000 paths.

Target: ``simulate`` in at most 0.28 x the time of the plain version (benchmarks/mc_baseline.py:
one exact ``rng.binomial`` per live cohort and month, one thread), measured in the same run.
Prints the median (and min/max) wall-clock seconds of several runs per case, the median CPU
seconds (all threads), and the ratio of the medians.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import three_tiers
from mc_baseline import plain_draw

from mrrsim.montecarlo import simulate, simulate_plans

PATHS = 10_000
HORIZON = 60
RUNS = 5
TARGET_RATIO = 0.28


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


def main() -> int:
    with_exp = three_tiers(HORIZON, monthly_expansion=True)
    flat = three_tiers(HORIZON, monthly_expansion=False)
    cases: list[tuple[str, Callable[[], object]]] = [
        ("plain numpy loop (baseline)", lambda: plain_draw(with_exp, PATHS, 0)),
        ("simulate (monthly_expansion != 0)", lambda: simulate(with_exp, PATHS, 0)),
        ("simulate, all draws exact", lambda: simulate(with_exp, PATHS, 0, exact=True)),
        ("simulate (monthly_expansion = 0)", lambda: simulate(flat, PATHS, 0)),
        # the three plans of 10,000 paths exceed one request's budget: 4,000 each
        ("simulate_plans (3 plans, 4,000 paths)", lambda: simulate_plans(with_exp, 4_000, 0)),
    ]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Monte Carlo: 3 segments, {HORIZON} months, {PATHS:,} paths, {RUNS} runs each")
    print(f"cores: {os.cpu_count()}, load average before: {load}")
    print(f"{'case':<36} {'median s':>9} {'min s':>7} {'max s':>7} {'median CPU s':>13}")
    medians: dict[str, tuple[float, float]] = {}
    for name, fn in cases:
        wall, cpu = timings(fn)
        medians[name] = (statistics.median(wall), statistics.median(cpu))
        print(
            f"{name:<36} {medians[name][0]:>9.3f} {min(wall):>7.3f} {max(wall):>7.3f}"
            f" {medians[name][1]:>13.3f}"
        )
    base_wall, base_cpu = medians[cases[0][0]]
    sim_wall, sim_cpu = medians[cases[1][0]]
    ratio = sim_wall / base_wall
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"simulate / plain: {ratio:.2f} x wall, {sim_cpu / base_cpu:.2f} x CPU "
        f"(target <= {TARGET_RATIO} x wall) -> {'met' if ratio <= TARGET_RATIO else 'MISSED'}"
    )
    print(f"load average after: {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
