"""``python -m mrrsim history`` and ``calibrate``, run in a subprocess as a user runs them."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import polars as pl

from mrrsim.billing import history, read_export
from mrrsim.billing.sample import SAMPLE_PATH
from mrrsim.yamlio import loads_scenario

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = str(SAMPLE_PATH)


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "mrrsim", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )


def test_history_csv_is_the_python_history() -> None:
    out = run("history", SAMPLE)
    assert out.returncode == 0, out.stderr
    got = pl.read_csv(io.BytesIO(out.stdout))
    want = history(read_export(SAMPLE_PATH))
    assert got.columns == want.columns
    assert got.select(pl.exclude("month")).equals(want.select(pl.exclude("month")))
    assert got["month"].cast(pl.String).to_list() == want["month"].to_list()


def test_history_from_stdin_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "history.csv"
    out = run("history", "-", "--out", str(target), stdin=SAMPLE_PATH.read_bytes())
    assert out.returncode == 0, out.stderr
    assert pl.read_csv(target).height == history(read_export(SAMPLE_PATH)).height


def test_calibrate_writes_a_valid_commented_scenario(tmp_path: Path) -> None:
    target = tmp_path / "calibrated.yaml"
    out = run("calibrate", SAMPLE, "--as-of", "2025-03", "--window", "9", "--out", str(target))
    assert out.returncode == 0, out.stderr
    text = target.read_text()
    scenario = loads_scenario(text)
    assert scenario.name == "Calibrated from billing data (as of 2025-03)"
    assert [s.name for s in scenario.segments] == ["Pro", "Enterprise", "Starter"]  # by MRR
    assert "90% range" in text and "# " in text
    warnings = out.stderr.decode().splitlines()
    assert all(line.startswith("warning: ") for line in warnings)


def test_calibrate_with_a_segment_map(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("Pro Monthly: Paid\nPro Annual: Paid\nEnterprise Annual: Paid\n")
    out = run("calibrate", SAMPLE, "--segments", str(mapping))
    assert out.returncode == 0, out.stderr
    names = [s.name for s in loads_scenario(out.stdout).segments]
    assert "Paid" in names and "Pro" not in names


def test_bad_rows_exit_2_one_line_per_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    lines = SAMPLE_PATH.read_text().splitlines()[:50]
    lines[3] = lines[3].replace(",month,", ",fortnight,").replace(",year,", ",fortnight,")
    lines[7] = lines[7].replace(lines[7].split(",")[10], "31/12/2023")
    bad.write_text("\n".join(lines) + "\n")
    out = run("history", str(bad))
    assert out.returncode == 2
    err = out.stderr.decode().splitlines()
    assert err[0].startswith("error: row 4: interval: unknown")
    assert err[1].startswith("error: row 8: start date: not a date")
    assert err[2] == (
        "error: 2 of 49 rows have problems: fix them, or pass --skip-bad-rows to leave them out"
    )
    assert "Traceback" not in out.stderr.decode()
    skipped = run("history", str(bad), "--skip-bad-rows")
    assert skipped.returncode == 0
    assert skipped.stderr.decode().count("skipped: row") == 2


def test_unusable_files_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    cases = {
        str(empty): "error: the file is empty",
        str(tmp_path / "missing.csv"): "error: no such file:",
        str(ROOT / "scenarios" / "mid-market-mixed.yaml"): "error: not a recognised subscription",
    }
    for path, message in cases.items():
        for command in ("history", "calibrate"):
            out = run(command, path)
            assert out.returncode == 2, (command, path)
            assert out.stderr.decode().startswith(message), out.stderr
            assert "Traceback" not in out.stderr.decode()
    for args, message in (
        (("--as-of", "2025/03"), "error: --as-of must be a month as YYYY-MM"),
        (("--as-of", "2001-01"), "error: no subscription is active"),
        (("--segments", str(empty)), "error: "),
    ):
        out = run("calibrate", SAMPLE, *args)
        assert out.returncode == 2 and out.stderr.decode().startswith(message), out.stderr
