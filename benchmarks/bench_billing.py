"""Billing import speed and memory: ``history`` and ``calibrate`` (each including reading the
CSV) on about 1,000,000 generated subscription rows. Goals: <= 5 s each (median), <= 1.5 GB
peak resident memory. Each measurement runs in a fresh subprocess so its peak memory
(``resource.getrusage``'s ``ru_maxrss``) is its own.

    .venv/bin/python benchmarks/bench_billing.py [--rows 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mrrsim.billing.sample import SampleSegment, SampleSpec, generate, to_csv

GOAL_S = 5.0
GOAL_MB = 1500.0


def big_spec(rows: int) -> SampleSpec:
    """Three tiers over 48 months whose export holds about ``rows`` subscriptions."""
    scale = rows / 1_000_000
    return SampleSpec(
        segments=(
            SampleSegment(
                "Starter", 29, new_customers=6250 * scale, acquisition_growth=0.02,
                annual_share=0.2, monthly_churn=0.05, annual_churn=0.3, switch_rate=0.01,
                upgrade_rate=0.02, renewal_rate=0.1, reactivation_rate=0.01,
            ),
            SampleSegment(
                "Pro", 99, new_customers=2780 * scale, acquisition_growth=0.015,
                annual_share=0.4, monthly_churn=0.03, annual_churn=0.15, switch_rate=0.015,
                upgrade_rate=0.03, renewal_rate=0.3, reactivation_rate=0.01,
            ),
            SampleSegment(
                "Enterprise", 499, new_customers=420 * scale, annual_share=0.75,
                monthly_churn=0.015, annual_churn=0.08, switch_rate=0.02, upgrade_rate=0.02,
                renewal_rate=0.5,
            ),
        ),
        months=48,
        names=True,
    )  # fmt: skip


CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
import mrrsim
from mrrsim.billing import read_export, history, calibrate
before = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
export = read_export({path!r})
{call}
elapsed = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
peak = after.ru_maxrss / 1024
print(json.dumps({{"seconds": elapsed, "cpu": cpu, "peak_mb": peak, "rows": export.rows_read}}))
"""
CALLS = {
    "history": "history(export)",
    "calibrate": "calibrate(export)",
}


def measure(path: Path, what: str) -> dict[str, float]:
    root = str(Path(__file__).resolve().parents[1])
    code = CHILD.format(root=root, path=str(path), call=CALLS[what])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        start = time.perf_counter()
        frame = generate(big_spec(args.rows), seed=1)
        path.write_bytes(to_csv(frame))
        made = time.perf_counter() - start
        size_mb = path.stat().st_size / 1e6
        print(f"generated {frame.height:,} rows ({size_mb:,.0f} MB) in {made:.1f} s")
        print("each step includes reading the CSV; cpu s = user + system time of all threads")
        print(
            f"{'step':<12}{'median s':>10}{'min s':>8}{'max s':>8}{'cpu s':>8}{'peak MB':>9}  goal"
        )
        ok = True
        for what in CALLS:
            runs = [measure(path, what) for _ in range(args.runs)]
            secs = [r["seconds"] for r in runs]
            cpu = statistics.median(r["cpu"] for r in runs)
            peak = max(r["peak_mb"] for r in runs)
            med = statistics.median(secs)
            good = med <= GOAL_S and peak <= GOAL_MB
            ok &= good
            print(
                f"{what:<12}{med:>10.2f}{min(secs):>8.2f}{max(secs):>8.2f}{cpu:>8.2f}{peak:>9.0f}  "
                f"<= {GOAL_S:.0f} s, <= {GOAL_MB:,.0f} MB: {'ok' if good else 'MISSED'}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
