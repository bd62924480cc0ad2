"""Calibration: recovery of known rates, exact bases and renewal calendar, warnings, YAML."""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl
import pytest

from mrrsim.billing import calibrate, read_export
from mrrsim.billing.calibrate import wilson
from mrrsim.billing.history import segment_name
from mrrsim.billing.sample import SAMPLE_PATH, SampleSegment, SampleSpec, generate, to_csv

RECOVERY = SampleSegment(
    "Pro", 80, annual_discount=0.2, new_customers=40, acquisition_growth=0.03,
    annual_share=0.35, monthly_churn=0.04, annual_churn=0.25, switch_rate=0.01,
    upgrade_rate=0.05, upgrade_step=0.3, renewal_rate=0.4, renewal_step=0.1,
)  # fmt: skip
RECOVERY_SPEC = SampleSpec(segments=(RECOVERY,), months=36, names=False)
TRUTH = {
    "monthly_churn": 0.04,
    "annual_churn": 0.25,
    "annual_share": 0.35,
    "monthly_expansion": 0.05 * 0.3,
    "annual_expansion": 0.4 * 0.1,
    "acquisition_growth": 0.03,
    # month 1 after the as-of month (the 36th month after the first) has this mean
    "new_customers": 40 * 1.03**36,
}
SEEDS = 80


@pytest.fixture(scope="module")
def coverage() -> dict[str, float]:
    hits = dict.fromkeys(TRUTH, 0)
    for seed in range(SEEDS):
        result = calibrate(read_export(to_csv(generate(RECOVERY_SPEC, seed))))
        for e in result.estimates:
            if e.field in TRUTH:
                hits[e.field] += e.low <= TRUTH[e.field] <= e.high
    return {k: v / SEEDS for k, v in hits.items()}


@pytest.mark.parametrize("name", list(TRUTH))
def test_90_percent_intervals_cover_the_truth_about_90_percent_of_the_time(
    coverage: dict[str, float], name: str
) -> None:
    # 80 seeds: a true 90% interval covers 72 +- 2.7; too narrow or too wide falls outside
    assert 0.8 <= coverage[name] <= 0.98, coverage


def test_wilson_interval() -> None:
    # p = 0.1, z = 1.64485, z^2 = 2.70554: centre (0.1 + 0.013528) / 1.027055 = 0.110536,
    # half 1.64485 * sqrt(0.0009 + 0.0000676) / 1.027055 = 0.049818
    low, high = wilson(10, 100)
    assert low == pytest.approx(0.060718, abs=1e-5) and high == pytest.approx(0.160355, abs=1e-5)
    assert wilson(0, 0) == (0.0, 1.0)
    assert wilson(0, 50)[0] == 0.0


def _add_months(date: dt.date, months: int) -> dt.date:
    index = date.year * 12 + date.month - 1 + months
    year, month = divmod(index, 12)
    day = min(date.day, calendar.monthrange(year, month + 1)[1])
    return dt.date(year, month + 1, day)


def _end(start: dt.date, canceled: dt.date | None, months: int) -> dt.date | None:
    if canceled is None:
        return None
    k = 1
    while _add_months(start, k * months) <= canceled:
        k += 1
    return _add_months(start, k * months)


def test_existing_bases_and_renewal_calendar_are_exactly_what_the_rows_say() -> None:
    """Worked out row by row with the standard library, independently of polars."""
    rows = pl.read_csv(SAMPLE_PATH, infer_schema=False).to_dicts()
    as_of = dt.date(2025, 6, 30)
    monthly: dict[str, set[str]] = {}
    annual: dict[tuple[str, str], int] = {}
    annual_mrr: dict[tuple[str, str], float] = {}
    for row in rows:
        start = dt.date.fromisoformat(row["subscription_started_at"])
        cancel = row["subscription_canceled_at"]
        length = 12 if row["plan_interval"] == "year" else 1
        end = _end(start, dt.date.fromisoformat(cancel) if cancel else None, length)
        if not (start <= as_of and (end is None or end > as_of)):
            continue
        seg = segment_name(row["plan_name"])
        if length == 1:
            monthly.setdefault(seg, set()).add(row["customer_oid"])
            continue
        k = 1
        while _add_months(start, 12 * k) <= as_of:
            k += 1
        nxt = _add_months(start, 12 * k)
        if end is not None:
            nxt = min(nxt, end)
        r = (nxt.year * 12 + nxt.month) - (as_of.year * 12 + as_of.month)
        key = (seg, row["customer_oid"])
        annual[key] = min(annual.get(key, 99), r)
        annual_mrr[key] = annual_mrr.get(key, 0.0) + int(row["plan_amount"]) / 100 / 12
    result = calibrate(read_export(SAMPLE_PATH), as_of="2025-06")
    assert result.as_of == "2025-06"
    segments = {s["name"]: s for s in result.scenario["segments"]}
    assert set(segments) == {"Starter", "Pro", "Enterprise"}
    for name, seg in segments.items():
        assert seg["existing_monthly_customers"] == len(monthly[name])
        ours = [r for (s, _), r in annual.items() if s == name]
        assert seg["existing_annual_customers"] == len(ours)
        assert seg["existing_annual_renewals"] == [ours.count(m) for m in range(1, 13)]
        assert sum(seg["existing_annual_renewals"]) == seg["existing_annual_customers"]
        # the signed discount reproduces the annual MRR at month 0 exactly (to rounding)
        total = sum(v for (s, _), v in annual_mrr.items() if s == name)
        implied = len(ours) * seg["list_price"] * (1 - seg["existing_annual_discount"])
        assert implied == pytest.approx(total, rel=1e-5)


def test_hand_checked_monthly_churn_and_interval() -> None:
    """Ten monthly customers from January; two leave in March and one in May; as of June with
    a 5-month window the at-risk customer-months are 10+10+8+8+7 = 43 and 3 were lost."""
    header = (
        "plan_oid,plan_name,plan_currency,plan_amount,plan_interval,plan_interval_count,"
        "customer_oid,customer_name,customer_email,subscription_oid,subscription_started_at,"
        "subscription_canceled_at,subscription_quantity"
    )
    cancels = {0: "2024-03-01", 1: "2024-03-02", 2: "2024-05-03"}
    rows = [
        f"p,Basic Monthly,usd,2000,month,1,c{i},,,s{i},2024-01-05,{cancels.get(i, '')},1"
        for i in range(10)
    ]
    rows.append("q,Basic Annual,usd,20400,year,1,a1,,,t1,2024-02-10,,1")
    export = read_export(("\n".join([header, *rows]) + "\n").encode())
    result = calibrate(export, as_of="2024-06", window=5)
    churn = next(e for e in result.estimates if e.field == "monthly_churn")
    assert (churn.value, churn.sample) == (pytest.approx(3 / 43), 43)
    assert (churn.low, churn.high) == pytest.approx(wilson(3, 43))
    assert churn.warning is not None and "too few to trust" in churn.warning
    seg = result.scenario["segments"][0]
    assert seg["name"] == "Basic" and seg["list_price"] == 20.0
    assert seg["existing_monthly_customers"] == 7 and seg["existing_annual_customers"] == 1
    # $204 a year is $17 a month: 15% below the $20 list price; renews in February (month 8)
    assert seg["existing_annual_discount"] == pytest.approx(0.15)
    assert seg["existing_annual_renewals"] == [0] * 7 + [1] + [0] * 4
    assert any("annual renewals" in w or "annual churn" in w for w in result.warnings)


def test_options_and_errors() -> None:
    export = read_export(SAMPLE_PATH)
    short = calibrate(export, as_of="2024-12", window=6)
    assert short.as_of == "2024-12" and short.window == 6
    assert "2024-07 to 2024-12" in short.scenario["description"]
    mapped = calibrate(export, segments={"Pro Monthly": "Paid", "Pro Annual": "Paid"})
    assert "Paid" in {s["name"] for s in mapped.scenario["segments"]}
    with pytest.raises(ValueError, match="YYYY-MM"):
        calibrate(export, as_of="June")
    with pytest.raises(ValueError, match="window"):
        calibrate(export, window=0)
    with pytest.raises(ValueError, match="no subscription is active"):
        calibrate(export, as_of="2019-01")
    with pytest.raises(ValueError, match="no usable"):
        calibrate(read_export(b""))


def test_yaml_comments_every_estimate() -> None:
    result = calibrate(read_export(SAMPLE_PATH))
    text = result.to_yaml()
    for line in text.splitlines():
        key = line.strip().split(":")[0]
        if key in ("monthly_churn", "annual_churn", "annual_share", "new_customers"):
            assert "# " in line and "90% range" in line, line
        if key in ("existing_monthly_customers", "existing_annual_renewals"):
            assert "# " in line, line


def test_calibration_is_a_valid_scenario_that_round_trips() -> None:
    from mrrsim.scenario import parse_scenario
    from mrrsim.yamlio import dump_scenario, loads_scenario

    result = calibrate(read_export(SAMPLE_PATH))
    scenario = parse_scenario(result.scenario)
    assert loads_scenario(result.to_yaml()) == scenario
    assert loads_scenario(dump_scenario(scenario)) == scenario
    for seg in scenario.segments:
        assert sum(seg.existing_annual_renewals) == seg.existing_annual_customers


def test_the_starting_mrr_gap_is_stated() -> None:
    from mrrsim.scenario import parse_scenario

    export = read_export(SAMPLE_PATH)
    result = calibrate(export)
    scenario = parse_scenario(result.scenario)
    implied = sum(
        s.existing_monthly_customers * s.list_price
        + s.existing_annual_customers * s.list_price * (1 - s.existing_annual_discount)
        for s in scenario.segments
    )
    actual = 126_469.50  # the sample's MRR at the end of 2025-06, recounted row by row
    note = next(n for n in result.notes if n.startswith("the scenario starts at"))
    assert note.startswith(f"the scenario starts at {implied:,.2f} MRR against the actual")
    assert f"{actual:,.2f} ({(implied / actual - 1) * 100:+.1f}%)" in note
