"""Speed of ``detect``: the three billing choices, 1,000 paths each (with and without the
shock), 60 months, 3 segments with existing bases. Target: at most 1 s.
Run: ``.venv/bin/python benchmarks/bench_detect.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import three_tiers

from mrrsim.detect import detect

RUNS = 7
TARGET_S = 1.0


def main() -> int:
    sc = three_tiers(60)
    detect(sc, paths=1000, seed=0)
    wall, cpu = [], []
    for run in range(RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        detect(sc, paths=1000, seed=run)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    median = statistics.median(wall)
    print(f"detect: 3 choices x 1,000 paths, 60 months, 3 segments; {RUNS} runs; load {load}")
    print(f"{'median s':>9} {'min s':>7} {'max s':>7} {'median CPU s':>13}")
    print(f"{median:>9.3f} {min(wall):>7.3f} {max(wall):>7.3f} {statistics.median(cpu):>13.3f}")
    print(f"target: <= {TARGET_S:.1f} s -> {'met' if median <= TARGET_S else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
