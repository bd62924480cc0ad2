"""The command line, run as a user runs it: ``python -m mrrsim`` in a subprocess."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from mrrsim import ScenarioError, load_preset, project, summarize
from mrrsim.projection import COLUMNS

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mrrsim", *args],
        input=stdin,
        text=True,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )


def test_project_csv_full_precision():
    out = run("project", "mid-market-mixed")
    assert out.returncode == 0, out.stderr
    got = pl.read_csv(io.StringIO(out.stdout))
    assert got.columns == list(COLUMNS)
    want = project(load_preset("mid-market-mixed"))
    assert got.select(pl.exclude("month", "segment", "term")).equals(
        want.select(pl.exclude("month", "segment", "term"))
    )


def test_project_json_and_parquet(tmp_path):
    out = run("project", "self-serve-smb", "--format", "json")
    rows = json.loads(out.stdout)
    assert list(rows[0]) == list(COLUMNS)
    target = tmp_path / "p.parquet"
    assert (
        run("project", "self-serve-smb", "--format", "parquet", "--out", str(target)).returncode
        == 0
    )
    assert pl.read_parquet(target).equals(project(load_preset("self-serve-smb")))


def test_summary_json_equals_summarize():
    out = run("summary", "enterprise-annual")
    assert out.returncode == 0
    assert json.loads(out.stdout) == summarize(load_preset("enterprise-annual")).to_dict()


def test_summary_from_stdin_and_nulls():
    text = "name: t\nhorizon_months: 6\nsegments:\n  - name: A\n    list_price: 10\n    existing_monthly_customers: 5\n"
    got = json.loads(run("summary", "-", stdin=text).stdout)
    assert got["ending_mrr"] == 50 and got["nrr_12"] is None and got["break_even_discount"] is None


def test_validate_ok_and_every_problem():
    ok = run("validate", "mid-market-mixed")
    assert ok.returncode == 0 and ok.stdout.startswith("ok: ")
    bad = run(
        "validate",
        "-",
        stdin="name: x\nsegments:\n  - name: A\n    list_price: 0\n    monthly_churn: 1.5\n    montly: 1\n",
    )
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        "error: segments[0].list_price: must be above 0 and at most 1,000,000 (got 0)",
        "error: segments[0].monthly_churn: must be between 0 and 1 (got 1.5)",
        "error: segments[0].montly: unknown field (did you mean 'monthly_churn'?)",
    ]


@pytest.mark.parametrize(
    "args",
    [
        ("project", "no-such-preset"),
        ("project", "/nonexistent/file.yaml"),
        ("project", "mid-market-mixed", "--format", "xml"),
        ("summary",),
        ("frobnicate",),
        (),
        ("simulate", "mid-market-mixed", "--paths", "-3"),
        ("project", "mid-market-mixed", "--out", "/nonexistent/dir/out.csv"),
        ("from-link", "http://localhost:8501/?s=garbage"),
    ],
)
def test_bad_input_exits_2_without_traceback(args):
    out = run(*args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and out.stderr.startswith("error: ")


def test_binary_stdin_is_refused():
    out = subprocess.run(
        [sys.executable, "-m", "mrrsim", "validate", "-"],
        input=b"\x00\xff" * 50,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 2 and b"not UTF-8 text" in out.stderr


def test_hand_checked_preset_month_one():
    """self-serve-smb, Solo, month 1, worked by hand from the preset's inputs:
    monthly: 9000 existing * (1 - 0.055) + 900 * 0.9 new = 9315 customers at $19;
    annual: 100 of 1200 renew (45% leave), 90 new; 1245 customers at 19 * 0.8 = $15.20;
    cash (55 renewals + 90 new) * 12 * 15.20; deferred sum_r 100 (r-1) 15.20 + cash - MRR."""
    rows = pl.read_csv(io.StringIO(run("project", "self-serve-smb").stdout)).head(2).to_dicts()
    assert rows[0]["customers"] == pytest.approx(9315) and rows[0]["mrr"] == pytest.approx(176_985)
    assert rows[0]["contraction_mrr"] == 0 and "-0.0" not in run("project", "self-serve-smb").stdout
    assert rows[1]["customers"] == pytest.approx(1245) and rows[1]["mrr"] == pytest.approx(18_924)
    assert rows[1]["cash"] == pytest.approx(26_448)
    assert rows[1]["deferred_revenue"] == pytest.approx(100_320 + 26_448 - 18_924)


def test_simulate_is_seeded_and_matches_the_python_api():
    from mrrsim import simulate

    out = run("simulate", "self-serve-smb", "--paths", "300", "--seed", "11")
    assert out.returncode == 0, out.stderr
    got = pl.read_csv(io.StringIO(out.stdout))
    assert got.columns == ["month", "metric", "mean", "p10", "p50", "p90"]
    want = simulate(load_preset("self-serve-smb"), paths=300, seed=11)
    assert got.select("mean", "p10", "p50", "p90").equals(want.select("mean", "p10", "p50", "p90"))
    assert run("simulate", "self-serve-smb", "--paths", "300", "--seed", "11").stdout == out.stdout


def test_link_and_from_link_round_trip(tmp_path):
    link = run(
        "link", "enterprise-annual", "--base-url", "https://plan.example.com/app"
    ).stdout.strip()
    assert link.startswith("https://plan.example.com/app?s=v2.") and len(link) <= 2000
    back = run("from-link", link)
    assert back.returncode == 0
    path = tmp_path / "back.yaml"
    path.write_text(back.stdout)
    from mrrsim import load_scenario

    assert load_scenario(path) == load_preset("enterprise-annual")


def test_a_named_pipe_is_refused_at_once(tmp_path):
    """Opening a FIFO for reading would wait for a writer for ever: it is refused unread."""
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    out = subprocess.run(
        [sys.executable, "-m", "mrrsim", "validate", str(fifo)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,  # a hang fails here instead of stalling the suite
    )
    assert out.returncode == 2
    assert out.stderr == f"error: {fifo}: is a named pipe (FIFO), not a scenario file\n"


@pytest.mark.parametrize(
    ("path", "kind"), [("/dev/zero", "a device"), ("/dev/null", "a device"), (".", "a directory")]
)
def test_devices_and_directories_are_refused(path, kind):
    out = run("summary", path)
    assert out.returncode == 2
    assert out.stderr == f"error: {path}: is {kind}, not a scenario file\n"


def test_overlong_names_are_cut_in_messages():
    long_name = "a" * 5_000
    out = run("validate", long_name)
    assert out.returncode == 2
    (line,) = out.stderr.splitlines()
    assert line.startswith("error: aaaa") and line.endswith("...: cannot read (File name too long)")
    assert len(line) < 150
    with pytest.raises(ScenarioError) as info:
        load_preset("b" * 5_000)
    (problem,) = info.value.problems
    assert problem.startswith("unknown preset '" + "b" * 57 + "...' (presets: ")
    assert len(problem) < 250
