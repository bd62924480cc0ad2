"""Engine speed: project() and summarize() in process, and the CLI end to end.

Run: ``.venv/bin/python benchmarks/bench_engine.py`` (or ``make bench``). Prints medians of
repeated runs as a table, with the issue's targets beside them; ``import mrrsim`` in a fresh
interpreter shows what the engine's import costs a CLI call or a notebook.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import timings  # noqa: E402

from mrrsim import parse_scenario, project, summarize  # noqa: E402
from mrrsim.policy import Variant  # noqa: E402
from mrrsim.scenario import Scenario  # noqa: E402


def ten_segments() -> Scenario:
    """10 segments x 120 months, every rate set, existing monthly and annual bases, and every
    v2 feature on: signed discounts, renewal calendars, take-up, switching, billing effect."""
    segments = [
        {
            "name": f"Segment {i}",
            "list_price": 19 + 40 * i,
            "new_customers": 200 - 15 * i,
            "acquisition_growth": 0.01 + 0.002 * i,
            "annual_share": 0.1 * i,
            "annual_discount": 0.1 + 0.01 * i,
            "monthly_churn": 0.05 - 0.004 * i,
            "annual_churn": 0.25 - 0.02 * i,
            "monthly_expansion": 0.002 * i - 0.005,
            "annual_expansion": 0.03 * i,
            "existing_monthly_customers": 1000 - 80 * i,
            "existing_annual_renewals": [(100 + 50 * i) * (1 + r % 3) / 24 for r in range(12)],
            "existing_annual_discount": 0.05 + 0.01 * i,
            "annual_share_at_no_discount": 0.05 * i,
            "conversion_rate": 0.005 * (i + 1),
            "conversion_months": [1 + i, 60 + 6 * i],
        }
        for i in range(10)
    ]
    return parse_scenario(
        {"name": "Benchmark", "horizon_months": 120, "billing_effect": 0.6, "segments": segments}
    )


def median_ms(fn: Callable[[], object], repeat: int, warmup: int = 3) -> float:
    return statistics.median(timings(fn, repeat, warmup)) * 1000


def cli_once() -> None:
    subprocess.run(
        [sys.executable, "-m", "mrrsim", "project", "mid-market-mixed"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def python_once(code: str) -> Callable[[], None]:
    """A fresh interpreter running ``code`` (startup included: compare with ``pass``)."""

    def run() -> None:
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)

    return run


def main() -> None:
    sc = ten_segments()
    rows = [
        ("project(), 10 segments x 120 months", median_ms(lambda: project(sc), 50), 10.0),
        (
            "project(), same, discounts moved (movers)",
            median_ms(lambda: project(Variant(sc, "mix", {0: 0.3, 5: 0.05})), 30),
            10.0,
        ),
        ("summarize() incl. 601-point optimum", median_ms(lambda: summarize(sc), 30), 30.0),
        ("python -m mrrsim project <preset>", median_ms(cli_once, 7, warmup=1), 1500.0),
        ("python -c 'import mrrsim'", median_ms(python_once("import mrrsim"), 9, 1), 1000.0),
        ("python -c 'pass' (interpreter alone)", median_ms(python_once("pass"), 9, 1), 1000.0),
    ]
    print(f"{'benchmark':<40} {'median ms':>10} {'target ms':>10}  ok")
    for name, ms, target in rows:
        print(f"{name:<40} {ms:>10.1f} {target:>10.0f}  {'yes' if ms <= target else 'NO'}")


if __name__ == "__main__":
    main()
