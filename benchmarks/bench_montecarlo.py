"""Speed of the Monte Carlo engine: 3 segments with an existing base, 60 months, 10,000 paths.

Target: ``simulate`` in at most 2 s. Prints the median (and min/max) of several runs per case.
Run: ``.venv/bin/python benchmarks/bench_montecarlo.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mrrsim.montecarlo import simulate, simulate_paths, simulate_plans
from mrrsim.scenario import Scenario, parse_scenario

PATHS = 10_000
HORIZON = 60
RUNS = 5
TARGET_S = 2.0


def scenario(monthly_expansion: bool = True) -> Scenario:
    """Three tiers with an existing base, a 40/60 mix and uncertainty on churn and acquisition."""
    grow = 1.0 if monthly_expansion else 0.0
    return parse_scenario(
        {
            "name": "bench",
            "horizon_months": HORIZON,
            "uncertainty": {"churn": 0.25, "acquisition": 0.15},
            "segments": [
                {
                    "name": "Starter",
                    "list_price": 29,
                    "new_customers": 300,
                    "acquisition_growth": 0.02,
                    "annual_share": 0.25,
                    "monthly_churn": 0.05,
                    "annual_churn": 0.25,
                    "monthly_expansion": 0.002 * grow,
                    "annual_expansion": 0.03,
                    "existing_monthly_customers": 2500,
                    "existing_annual_customers": 800,
                },
                {
                    "name": "Pro",
                    "list_price": 99,
                    "new_customers": 120,
                    "acquisition_growth": 0.015,
                    "annual_share": 0.4,
                    "monthly_churn": 0.035,
                    "annual_churn": 0.18,
                    "monthly_expansion": 0.006 * grow,
                    "annual_expansion": 0.05,
                    "existing_monthly_customers": 600,
                    "existing_annual_customers": 300,
                },
                {
                    "name": "Enterprise",
                    "list_price": 990,
                    "new_customers": 15,
                    "acquisition_growth": 0.01,
                    "annual_share": 0.8,
                    "monthly_churn": 0.015,
                    "annual_churn": 0.08,
                    "monthly_expansion": 0.01 * grow,
                    "annual_expansion": 0.07,
                    "existing_monthly_customers": 40,
                    "existing_annual_customers": 110,
                },
            ],
        }
    )


def timings(fn: Callable[[], object], runs: int = RUNS) -> list[float]:
    """Wall-clock seconds of ``runs`` calls, after one warm-up call."""
    fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    with_exp = scenario(monthly_expansion=True)
    flat = scenario(monthly_expansion=False)
    cases: list[tuple[str, Callable[[], object]]] = [
        ("simulate (monthly_expansion != 0)", lambda: simulate(with_exp, PATHS, 0)),
        ("simulate (monthly_expansion = 0)", lambda: simulate(flat, PATHS, 0)),
        ("simulate_paths (draws only)", lambda: simulate_paths(with_exp, PATHS, 0)),
        ("simulate_plans (3 plans)", lambda: simulate_plans(with_exp, PATHS, 0)),
    ]
    print(f"Monte Carlo: 3 segments, {HORIZON} months, {PATHS:,} paths, {RUNS} runs each")
    print(f"{'case':<36} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, fn in cases:
        ts = timings(fn)
        print(f"{name:<36} {statistics.median(ts):>9.3f} {min(ts):>7.3f} {max(ts):>7.3f}")
    print(f"target: simulate <= {TARGET_S:.1f} s")


if __name__ == "__main__":
    main()
