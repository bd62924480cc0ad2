"""Billing import: formats, history worked out by hand, identities, calibration and bad input."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mrrsim.billing import history, read_export
from mrrsim.billing.formats import BAREMETRICS_COLUMNS, normalize_header
from mrrsim.billing.history import HISTORY_COLUMNS, segment_name
from mrrsim.billing.sample import (
    SAMPLE_PATH,
    generate,
    to_csv,
    to_stripe,
)

HEADER = ",".join(BAREMETRICS_COLUMNS)


def bm(*rows: str) -> bytes:
    """A Baremetrics-template CSV from rows given as the template's columns."""
    return ("\n".join([HEADER, *rows]) + "\n").encode()


# The hand-made export: every case of the issue, history worked out by hand below.
HAND = bm(
    # c1: monthly, cancelled mid-period on 03-05: active to the period end 03-10, churns in March
    "pm,Pro Monthly,usd,10000,month,1,c1,Ann Example,ann@example.com,s1,2024-01-10,2024-03-05,1",
    # c2: annual $960 ($80 MRR), cancelled in June: active to the paid year's end 2025-01-15
    "pa,Pro Annual,usd,96000,year,1,c2,Bo,bo@example.com,s2,2024-01-15,2024-06-01,1",
    # c3: weekly, 3 seats at $10 a week: 10 x 3 x 52 / 12 = $130 MRR from February
    "tw,Team,usd,1000,week,1,c3,Cy,cy@example.com,s3,2024-02-05,,3",
    # c4: every two months, $60: $30 MRR; cancelled 04-10 in the period 03-20..05-20
    "l2,Lite,usd,6000,month,2,c4,Di,di@example.com,s4,2024-01-20,2024-04-10,1",
    # c5: monthly Feb..May, then switches to annual ($80) on 06-01: a contraction in totals
    "pm,Pro Monthly,usd,10000,month,1,c5,Ed,ed@example.com,s5,2024-02-01,2024-05-31,1",
    "pa,Pro Annual,usd,96000,year,1,c5,Ed,ed@example.com,s6,2024-06-01,,1",
    # c6: monthly in January only (ends 02-05), back in April: a reactivation
    "pm,Pro Monthly,usd,10000,month,1,c6,Flo,flo@example.com,s7,2024-01-05,2024-01-20,1",
    "pm,Pro Monthly,usd,10000,month,1,c6,Flo,flo@example.com,s8,2024-04-12,,1",
    # c7: 2 seats from March, 3 seats from 07-03 (old subscription ends there): expansion
    "pm,Pro Monthly,usd,10000,month,1,c7,Gus,gus@example.com,s9,2024-03-03,2024-07-02,2",
    "pm,Pro Monthly,usd,10000,month,1,c7,Gus,gus@example.com,s10,2024-07-03,,3",
)
THROUGH = 2025 * 12 + 1  # 2025-02

# month: (mrr, customers, new, expansion, contraction, churned, reactivation), all customers
HAND_TOTALS = {
    "2024-01": (310, 4, 310, 0, 0, 0, 0),
    "2024-02": (440, 5, 230, 0, 0, 100, 0),
    "2024-03": (540, 5, 200, 0, 0, 100, 0),
    "2024-04": (640, 6, 0, 0, 0, 0, 100),
    "2024-05": (610, 5, 0, 0, 0, 30, 0),
    "2024-06": (590, 5, 0, 0, 20, 0, 0),
    "2024-07": (690, 5, 0, 100, 0, 0, 0),
    **{f"2024-{m:02d}": (690, 5, 0, 0, 0, 0, 0) for m in range(8, 13)},
    "2025-01": (610, 4, 0, 0, 0, 80, 0),
    "2025-02": (610, 4, 0, 0, 0, 0, 0),
}
# (segment, term): {month: (mrr, customers, new, expansion, contraction, churned, reactivation)}
# months not listed repeat the month before with no movements.
HAND_ROWS = {
    ("Pro", "monthly"): {
        "2024-01": (200, 2, 200, 0, 0, 0, 0),
        "2024-02": (200, 2, 100, 0, 0, 100, 0),
        "2024-03": (300, 2, 200, 0, 0, 100, 0),
        "2024-04": (400, 3, 0, 0, 0, 0, 100),
        "2024-06": (300, 2, 0, 0, 0, 100, 0),
        "2024-07": (400, 2, 0, 100, 0, 0, 0),
    },
    ("Pro", "annual"): {
        "2024-01": (80, 1, 80, 0, 0, 0, 0),
        "2024-06": (160, 2, 80, 0, 0, 0, 0),
        "2025-01": (80, 1, 0, 0, 0, 80, 0),
    },
    ("Team", "monthly"): {"2024-01": (0, 0, 0, 0, 0, 0, 0), "2024-02": (130, 1, 130, 0, 0, 0, 0)},
    ("Lite", "monthly"): {"2024-01": (30, 1, 30, 0, 0, 0, 0), "2024-05": (0, 0, 0, 0, 0, 30, 0)},
}
VALUES = ("mrr", "customers", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr")
VALUES += ("reactivation_mrr",)


def months(first: str, last: str) -> list[str]:
    y, m = (int(p) for p in first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def expand(by_month: dict[str, tuple]) -> dict[str, tuple]:
    out, last = {}, None
    for month in months("2024-01", "2025-02"):
        if month in by_month:
            last = by_month[month]
            out[month] = last
        else:
            out[month] = (last[0], last[1], 0, 0, 0, 0, 0)
    return out


@pytest.fixture(scope="module")
def hand() -> pl.DataFrame:
    export = read_export(HAND)
    assert export.problems == [] and export.rows_skipped == 0
    return history(export, through=THROUGH)


def test_hand_totals_month_by_month(hand: pl.DataFrame) -> None:
    totals = hand.filter(pl.col("segment") == "all")
    assert totals["term"].unique().to_list() == ["all"]
    assert totals["month"].to_list() == list(HAND_TOTALS)
    for row in totals.iter_rows(named=True):
        got = tuple(row[c] for c in VALUES)
        assert got == pytest.approx(HAND_TOTALS[row["month"]], abs=1e-9), row["month"]


@pytest.mark.parametrize("key", list(HAND_ROWS))
def test_hand_segment_rows_month_by_month(hand: pl.DataFrame, key: tuple[str, str]) -> None:
    rows = hand.filter((pl.col("segment") == key[0]) & (pl.col("term") == key[1]))
    expected = expand(HAND_ROWS[key])
    assert rows["month"].to_list() == list(expected)
    for row in rows.iter_rows(named=True):
        got = tuple(row[c] for c in VALUES)
        assert got == pytest.approx(expected[row["month"]], abs=1e-9), (key, row["month"])


def test_hand_history_layout(hand: pl.DataFrame) -> None:
    assert tuple(hand.columns) == HISTORY_COLUMNS
    first = hand.filter(pl.col("month") == "2024-01")
    assert first.select("segment", "term").rows() == [
        ("Lite", "monthly"), ("Pro", "monthly"), ("Pro", "annual"), ("Team", "monthly"),
        ("all", "all"),
    ]  # fmt: skip


def test_switch_to_annual_is_contraction_in_totals_not_churn(hand: pl.DataFrame) -> None:
    june = hand.filter(pl.col("month") == "2024-06")
    total = june.filter(pl.col("segment") == "all").row(0, named=True)
    assert (total["churned_mrr"], total["new_mrr"], total["contraction_mrr"]) == (0, 0, 20)


def check_identity(frame: pl.DataFrame) -> None:
    """mrr[t] = mrr[t-1] + new + expansion + reactivation - contraction - churned, and the same
    for customers, on every row (the month before the first is 0)."""
    if frame.height == 0:  # no subscription reached a month end
        return
    checked = (
        frame.sort("segment", "term", "month")
        .with_columns(
            pl.col("mrr").shift(1).over("segment", "term").fill_null(0.0).alias("prev"),
            pl.col("customers").shift(1).over("segment", "term").fill_null(0).alias("prev_n"),
        )
        .with_columns(
            (
                pl.col("prev")
                + pl.col("new_mrr")
                + pl.col("expansion_mrr")
                + pl.col("reactivation_mrr")
                - pl.col("contraction_mrr")
                - pl.col("churned_mrr")
                - pl.col("mrr")
            )
            .abs()
            .alias("gap"),
            (
                pl.col("prev_n")
                + pl.col("new_customers")
                + pl.col("reactivated_customers")
                - pl.col("churned_customers")
                - pl.col("customers")
            ).alias("gap_n"),
        )
    )
    assert checked["gap"].max() < 1e-6
    assert checked["gap_n"].abs().max() == 0
    for col in ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "reactivation_mrr"):
        assert checked[col].min() >= 0


def test_identity_on_hand_export() -> None:
    check_identity(history(read_export(HAND), through=THROUGH, detail=True))


@pytest.fixture(scope="module")
def sample_export():
    return read_export(SAMPLE_PATH)


def test_identity_and_totals_on_sample(sample_export) -> None:
    frame = history(sample_export, detail=True)
    check_identity(frame)
    by_month = (
        frame.filter(pl.col("segment") != "all")
        .group_by("month")
        .agg(pl.col("mrr").sum(), pl.col("customers").sum())
    )
    totals = frame.filter(pl.col("segment") == "all").join(by_month, on="month", suffix="_parts")
    # MRR adds up over segments and terms; customers can be counted on two rows at once
    assert (totals["mrr"] - totals["mrr_parts"]).abs().max() < 1e-6
    assert (totals["customers"] <= totals["customers_parts"]).all()


def test_sample_is_the_seeded_generator_output(sample_export) -> None:
    from mrrsim.billing.sample import SAMPLE_SEED, sample_spec

    assert to_csv(generate(sample_spec(), SAMPLE_SEED)) == SAMPLE_PATH.read_bytes()
    subs = sample_export.subscriptions
    assert 2000 <= subs.height <= 10_000
    assert set(subs["interval"].unique()) == {"month", "year"}
    assert subs["end"].null_count() < subs.height  # cancellations


def test_stripe_formats_give_the_same_history(sample_export) -> None:
    frame = pl.read_csv(SAMPLE_PATH, infer_schema=False).with_columns(
        pl.col("plan_amount", "subscription_quantity", "plan_interval_count").cast(pl.Int64)
    )
    expected = history(sample_export)
    for dashboard in (False, True):
        export = read_export(to_csv(to_stripe(frame, dashboard=dashboard)))
        assert export.format == "stripe" and export.problems == []
        assert history(export).equals(expected)


def test_stripe_fields_ended_at_and_period_end() -> None:
    csv = (
        "id,customer,status,start_date,canceled_at,ended_at,cancel_at_period_end,"
        "current_period_end,currency,quantity,plan_amount,plan_interval,plan_interval_count\n"
        # cancelled at period end: active to current_period_end (2024-04-10)
        "sub_1,cus_1,canceled,2024-01-10,2024-03-01,,true,2024-04-10,eur,1,5000,month,1\n"
        # ended immediately: ended_at is the end
        "sub_2,cus_2,canceled,1704412800,1706745600,1706745600,false,,eur,2,1000,month,1\n"
        # never paid: not counted
        "sub_3,cus_3,incomplete_expired,2024-01-02,,,false,,eur,1,1000,month,1\n"
    )
    export = read_export(csv.encode())
    assert export.problems == [] and export.rows_excluded == 1
    subs = export.subscriptions.sort("subscription")
    assert subs["end"].to_list() == [dt.date(2024, 4, 10), dt.date(2024, 2, 1)]
    assert subs["mrr"].to_list() == [50.0, 20.0]
    assert export.currency == "EUR"


def test_dashboard_headers_are_recognised() -> None:
    assert normalize_header(" Canceled At (UTC) ") == "canceled_at"
    assert normalize_header("\ufeffCustomer ID") == "customer_id"
    csv = (
        "id,Customer ID,Customer Email,Plan,Quantity,Currency,Interval,Amount,Status,"
        "Start Date (UTC),Canceled At (UTC)\n"
        "sub_1,cus_1,x@example.com,Pro Monthly,1,usd,month,99.00,active,2024-01-05 10:00,\n"
    )
    export = read_export(csv.encode())
    assert export.format == "stripe" and export.problems == []
    assert export.subscriptions["mrr"].to_list() == [99.0]


def test_segment_names_drop_interval_words() -> None:
    assert segment_name("Pro Monthly") == "Pro"
    assert segment_name("Pro (Annual)") == "Pro"
    assert segment_name("Starter - yearly") == "Starter"
    assert segment_name("Monthly") == "Monthly"
    assert segment_name("Team Bimonthly") == "Team Bimonthly"


# Bad input --------------------------------------------------------------------------------------


def problems_of(data: bytes) -> list[str]:
    return read_export(data).problems


def test_missing_columns_list_the_expected_ones() -> None:
    problems = problems_of(b"plan_oid,plan_name,customer_oid\np,Pro,c\n")
    assert problems[0].startswith("Baremetrics import: missing columns plan_currency")
    assert "subscription_started_at" in problems[0]
    assert problems[1] == "expected columns: " + ", ".join(BAREMETRICS_COLUMNS)
    unknown = problems_of(b"foo,bar\n1,2\n")
    assert unknown[0].startswith("not a recognised subscription export (columns found: foo, bar")
    assert any("Stripe subscriptions export expects: id, customer" in p for p in unknown)


def test_unparsable_dates_amounts_and_intervals_name_their_rows() -> None:
    export = read_export(
        bm(
            "p,Pro,usd,1000,month,1,c1,,,s1,2024-01-05,,1",
            "p,Pro,usd,1000,month,1,c2,,,s2,05/01/2024,,1",
            "p,Pro,usd,-5,month,1,c3,,,s3,2024-01-05,,1",
            "p,Pro,usd,ten,month,1,c4,,,s4,2024-01-05,,1",
            "p,Pro,usd,1000,fortnight,1,c5,,,s5,2024-01-05,,1",
            "p,Pro,usd,1000,month,1,c6,,,s6,2024-03-05,2024-02-01,1",
            "p,Pro,usd,1000,month,1,c7,,,s7,2024-01-05,not yet,1",
        )
    )
    assert export.problems == [
        "row 3: start date: not a date (use YYYY-MM-DD or Unix seconds) (got '05/01/2024')",
        "row 4: amount: negative (got '-5')",
        "row 5: amount: not a number (got 'ten')",
        "row 6: interval: unknown (use day, week, month or year) (got 'fortnight')",
        "row 7: ends (or was cancelled) before it starts",
        "row 8: cancellation date: not a date (use YYYY-MM-DD or Unix seconds) (got 'not yet')",
    ]
    assert export.rows_read == 7 and export.rows_skipped == 6
    assert export.subscriptions["subscription"].to_list() == ["s1"]


def test_many_bad_rows_are_summarised() -> None:
    rows = [f"p,Pro,usd,x,month,1,c{i},,,s{i},2024-01-05,,1" for i in range(50)]
    problems = problems_of(bm(*rows))
    assert len(problems) == 21
    assert problems[-1] == "... and 30 more rows with amount: not a number"


def test_mixed_currencies_are_refused_naming_them() -> None:
    export = read_export(
        bm(
            "p,Pro,usd,1000,month,1,c1,,,s1,2024-01-05,,1",
            "p,Pro,USD,1000,month,1,c2,,,s2,2024-01-05,,1",
            "p,Pro,eur,1000,month,1,c3,,,s3,2024-01-05,,1",
        )
    )
    assert export.problems == [
        "mixed currencies: USD (2 rows), EUR (1 rows); import one currency at a time"
    ]
    assert not export.usable


def test_empty_and_not_csv_files() -> None:
    assert problems_of(b"") == ["the file is empty"]
    assert problems_of(b"  \n") == ["the file is empty"]
    assert problems_of(b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR") == [
        "the file is not CSV text (it holds binary data; export the CSV again)"
    ]
    assert problems_of(b"\xff\xfe\xfa bad bytes \xff" * 10) == [
        "the file is not UTF-8 CSV text (save it as CSV, UTF-8)"
    ]
    assert problems_of(HEADER.encode() + b"\n") == [
        "the file has a header but no subscription rows"
    ]
    # an unquoted comma in a name shifts the row: its dates no longer parse, so it is reported
    shifted = bm("p,Pro,usd,1000,month,1,c1,Doe, John,j@x.com,s1,2024-01-05,,1")
    assert problems_of(shifted) == [
        "row 2: start date: not a date (use YYYY-MM-DD or Unix seconds) (got 's1')"
    ]
    assert problems_of(bm("p,Pro,usd,1000,month")) == [
        "row 2: customer id: missing",
        "row 2: start date: missing",
        "row 2: subscription id: missing",
    ]


def test_names_and_emails_never_appear() -> None:
    export = read_export(HAND)
    text = " ".join(export.problems + export.notes) + str(export.subscriptions.columns)
    text += export.subscriptions.write_csv()
    assert "Ann Example" not in text and "example.com" not in text
    bad = read_export(bm("p,Pro,usd,zz,month,1,c1,Secret Name,secret@example.com,s1,2024-01-05,,1"))
    assert "Secret" not in "\n".join(bad.problems) and "secret@" not in "\n".join(bad.problems)


# Random exports: the history agrees with a plain row-by-row count -----------------------------

ROW = st.tuples(
    st.integers(0, 5),  # customer
    st.sampled_from(["Pro Monthly", "Pro Annual", "Team", "Lite"]),
    st.integers(100, 50_000),  # cents
    st.sampled_from(["day", "week", "month", "year"]),
    st.integers(1, 3),  # interval count
    st.integers(1, 4),  # quantity
    st.dates(dt.date(2023, 1, 1), dt.date(2024, 12, 31)),
    st.one_of(st.none(), st.integers(0, 500)),  # days to cancellation
)


def _eom(y: int, m: int) -> dt.date:
    return (dt.date(y + m // 12, m % 12 + 1, 1)) - dt.timedelta(days=1)


@settings(max_examples=40, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=25))
def test_random_exports_match_a_row_by_row_count(rows: list[tuple]) -> None:
    lines = []
    for i, (cust, plan, cents, unit, count, qty, start, cancel) in enumerate(rows):
        canceled = "" if cancel is None else (start + dt.timedelta(days=cancel)).isoformat()
        lines.append(f"p,{plan},usd,{cents},{unit},{count},c{cust},,,s{i},{start},{canceled},{qty}")
    export = read_export(bm(*lines))
    assert export.problems == []
    frame = history(export, through=2025 * 12 + 5, detail=True)
    check_identity(frame)
    subs = export.subscriptions.to_dicts()
    for row in frame.filter(pl.col("segment") == "all").iter_rows(named=True):
        y, m = (int(p) for p in row["month"].split("-"))
        eom = _eom(y, m)
        active: dict[str, float] = {}
        for sub in subs:
            if sub["start"] <= eom and (sub["end"] is None or sub["end"] > eom):
                active[sub["customer"]] = active.get(sub["customer"], 0.0) + sub["mrr"]
        assert row["customers"] == len(active)
        assert row["mrr"] == pytest.approx(sum(active.values()), abs=1e-4)
