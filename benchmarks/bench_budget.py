"""Cost of one request on the worst valid scenario: 20 segments, 120 months, large existing
bases, every rate set, uncertainty 0.5. Each case runs in a fresh process and reports its CPU
seconds (all threads) and the process's peak resident memory, against the goal of at most 10 s
of CPU and 500 MB for any request within the validated limits.
Run: ``.venv/bin/python benchmarks/bench_budget.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "Predictability, 1,000 paths asked": "predictability:1000",
    "Predictability, 10,000 paths asked": "predictability:10000",
    "detect alone, 10,000 paths asked": "detect:10000",
    "simulate CLI, 100,000 paths asked": "simulate:100000",
    "tornado, all bars": "tornado",
    "discount x share grid 21 x 21": "grid",
}
CPU_GOAL_S, MEMORY_GOAL_MB = 10.0, 500.0

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from mrrsim.scenario import parse_scenario
from mrrsim import detect, montecarlo, sensitivity
from mrrsim.metrics import plan_variants

seg = dict(list_price=99, new_customers=5000, acquisition_growth=0.02, annual_share=0.4,
           monthly_churn=0.03, annual_churn=0.15, monthly_expansion=0.01, annual_expansion=0.05,
           existing_monthly_customers=2_000_000, existing_annual_customers=1_000_000,
           conversion_rate=0.01)
sc = parse_scenario(dict(name="worst", horizon_months=120,
                         uncertainty=dict(churn=0.5, acquisition=0.5),
                         segments=[dict(seg, name=f"S{{i}}") for i in range(20)]))
case = {case!r}
kind, _, asked = case.partition(":")
base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.process_time()
note = ""
if kind == "predictability":
    paths = montecarlo.affordable_paths(plan_variants(sc), int(asked))
    frame = montecarlo.plan_paths(sc, paths, 0)
    montecarlo.summarize_paths(frame)
    del frame
    dpaths = detect.affordable_paths(sc, paths)
    detect.detect(sc, paths=dpaths)
    note = f"{{paths:,}} paths simulated, {{dpaths:,}} tested"
elif kind == "detect":
    dpaths = detect.affordable_paths(sc, int(asked))
    detect.detect(sc, paths=dpaths)
    note = f"{{dpaths:,}} paths"
elif kind == "simulate":
    paths = montecarlo.affordable_paths([sc], int(asked))
    montecarlo.simulate(sc, paths, 0)
    note = f"{{paths:,}} paths"
elif kind == "tornado":
    frame = sensitivity.tornado(sc, top=None)
    note = f"{{frame.height}} bars"
else:
    frame = sensitivity.discount_share_grid(sc)
    note = f"{{frame.height}} cells"
cpu = time.process_time() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(dict(cpu=cpu, peak_mb=peak / 1024, base_mb=base_rss / 1024, note=note)))
"""


def main() -> int:
    print("Worst valid scenario: 20 segments x 120 months, bases of 3M, uncertainty 0.5")
    print(f"{'case':<38} {'CPU s':>7} {'peak MB':>8} {'(import MB)':>11}  note")
    verdict = 0
    for name, case in CASES.items():
        code = CHILD.format(root=str(ROOT), case=case)
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            print(f"{name:<38} failed: {out.stderr.strip().splitlines()[-1]}")
            verdict = 1
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{name:<38} {r['cpu']:>7.2f} {r['peak_mb']:>8.0f} {r['base_mb']:>11.0f}  {r['note']}"
        )
        if r["cpu"] > CPU_GOAL_S or r["peak_mb"] > MEMORY_GOAL_MB:
            verdict = 1
    print(
        f"goal: <= {CPU_GOAL_S:.0f} s CPU and <= {MEMORY_GOAL_MB:.0f} MB peak per request -> "
        f"{'met' if verdict == 0 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
