"""The scenarios the benchmarks share: three tiers with existing bases and every rate set."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mrrsim.scenario import Scenario, parse_scenario


def three_tiers(horizon: int, *, monthly_expansion: bool = True) -> Scenario:
    """Three tiers with existing bases, a mixed billing split, uncertainty on churn and
    acquisition, and every rate non-zero (monthly expansion optional: the Monte Carlo
    has a faster exact path without it)."""
    grow = 1.0 if monthly_expansion else 0.0
    return parse_scenario(
        {
            "name": "bench",
            "horizon_months": horizon,
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
                    "annual_discount": 0.2,
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


def timings(fn: Callable[[], object], runs: int, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of ``runs`` calls, after ``warmup`` calls that are not counted."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def app_rerun_times(
    at: Any, change: Callable[[Any, int], None], reruns: int
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of ``reruns`` reruns of an opened AppTest, each after
    ``change(at, i)``, after two warm-ups. CPU time (all threads of this process) is steadier
    on a busy machine. Stops on the first exception the page raises."""
    for i in range(2):
        change(at, 1000 + i)
        at.run()
    wall, cpu = [], []
    for i in range(reruns):
        change(at, i)
        start, start_cpu = time.perf_counter(), time.process_time()
        at.run()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        if at.exception:
            raise SystemExit(f"page raised: {at.exception[0].value}")
    return wall, cpu
