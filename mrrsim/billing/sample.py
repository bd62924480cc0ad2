"""A seeded generator of synthetic subscription exports with known rates.

It simulates a subscription business month by month (numpy draws only) and writes what its
billing system would export: one row per subscription in Baremetrics' import template, or the
same as Stripe subscriptions (API field names or the Dashboard's headers). Every plan change
(an add-on, a switch from monthly to annual billing, a price change at renewal) ends one
subscription at a period boundary and starts the next one there, as billing systems record it.

The rates are exactly what the calibration estimates, so tests can check that it recovers them:
each month a monthly customer churns at its renewal date with probability ``monthly_churn``,
else switches to annual with ``switch_rate``, else takes an add-on (MRR x (1 + upgrade_step))
with ``upgrade_rate``; an annual customer does not renew with probability ``annual_churn``, else
its price changes by ``renewal_step`` with ``renewal_rate``. New customers per month are Poisson
with mean ``new_customers * (1 + acquisition_growth) ** (month - 1)``, annual with probability
``annual_share``; a churned customer comes back with ``reactivation_rate`` a month.

``python -m mrrsim.billing.sample [--out FILE] [--seed S]`` rewrites the bundled sample export.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from mrrsim.billing.formats import BAREMETRICS_COLUMNS

__all__ = [
    "SAMPLE_PATH",
    "SampleSegment",
    "SampleSpec",
    "generate",
    "sample_spec",
    "to_csv",
    "to_stripe",
]

SAMPLE_PATH = Path(__file__).resolve().parents[2] / "data" / "sample-subscriptions.csv"
SAMPLE_SEED = 2026


@dataclass(frozen=True)
class SampleSegment:
    """One product tier with a monthly and an annual plan, and the rates it is drawn with."""

    name: str
    list_price: float
    annual_discount: float = 0.15
    new_customers: float = 20.0
    acquisition_growth: float = 0.0
    annual_share: float = 0.3
    monthly_churn: float = 0.04
    annual_churn: float = 0.2
    switch_rate: float = 0.0
    upgrade_rate: float = 0.0
    upgrade_step: float = 0.2
    renewal_rate: float = 0.0
    renewal_step: float = 0.1
    reactivation_rate: float = 0.0
    seats: tuple[float, ...] = (1.0,)  # probabilities of quantity 1, 2, ...


@dataclass(frozen=True)
class SampleSpec:
    """A synthetic business: its tiers, first month (``YYYY-MM``), length and export date."""

    segments: tuple[SampleSegment, ...]
    first_month: str = "2022-01"
    months: int = 42
    export_day: int = 15  # the export is taken on this day of the month after the last
    currency: str = "usd"
    names: bool = True  # fill customer_name and customer_email with made-up values
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def monthly_expansion(self) -> dict[str, float]:
        """Expected MRR change a month per retained monthly customer, per segment."""
        return {s.name: s.upgrade_rate * s.upgrade_step for s in self.segments}

    @property
    def annual_expansion(self) -> dict[str, float]:
        """Expected MRR change per renewal per renewing annual customer, per segment."""
        return {s.name: s.renewal_rate * s.renewal_step for s in self.segments}


def sample_spec() -> SampleSpec:
    """The bundled sample: three tiers over 42 months, with every kind of movement."""
    return SampleSpec(
        segments=(
            SampleSegment(
                "Starter", 29, annual_discount=0.17, new_customers=28, acquisition_growth=0.02,
                annual_share=0.2, monthly_churn=0.05, annual_churn=0.3, switch_rate=0.01,
                upgrade_rate=0.02, upgrade_step=0.35, renewal_rate=0.1, renewal_step=0.1,
                reactivation_rate=0.01,
            ),
            SampleSegment(
                "Pro", 99, annual_discount=0.2, new_customers=12, acquisition_growth=0.015,
                annual_share=0.4, monthly_churn=0.03, annual_churn=0.15, switch_rate=0.015,
                upgrade_rate=0.03, upgrade_step=0.25, renewal_rate=0.3, renewal_step=0.1,
                reactivation_rate=0.01,
            ),
            SampleSegment(
                "Enterprise", 499, annual_discount=0.1, new_customers=2, acquisition_growth=0.01,
                annual_share=0.75, monthly_churn=0.015, annual_churn=0.08, switch_rate=0.02,
                upgrade_rate=0.02, upgrade_step=0.2, renewal_rate=0.5, renewal_step=0.08,
                reactivation_rate=0.005,
            ),
        ),
    )  # fmt: skip


def _month_start(index: np.ndarray | int) -> np.ndarray:
    """The first day of month index ``year * 12 + month - 1`` as datetime64[D]."""
    idx = np.asarray(index, dtype=np.int64)
    return (idx - (1970 * 12)).astype("datetime64[M]").astype("datetime64[D]")


class _Book:
    """Every subscription started, as growing column lists (ended ones keep their end)."""

    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {
            k: [] for k in ("sub", "cust", "seg", "annual", "amount", "qty", "start", "cancel")
        }
        self.count = 0

    def start(self, cust, seg, annual, amount, qty, start) -> np.ndarray:
        n = len(cust)
        ids = np.arange(self.count, self.count + n)
        self.count += n
        for key, value in zip(
            ("sub", "cust", "seg", "annual", "amount", "qty", "start"),
            (ids, cust, seg, annual, amount, qty, start),
            strict=True,
        ):
            self.cols[key].append(np.asarray(value))
        return ids

    def frame(self, cancels: dict[int, np.datetime64]) -> dict[str, np.ndarray]:
        out = {k: np.concatenate(v) for k, v in self.cols.items() if k != "cancel"}
        cancel = np.full(self.count, np.datetime64("NaT"), dtype="datetime64[D]")
        if cancels:
            keys = np.fromiter(cancels.keys(), dtype=np.int64)
            cancel[keys] = np.array(list(cancels.values()), dtype="datetime64[D]")
        out["cancel"] = cancel
        return out


def generate(spec: SampleSpec, seed: int) -> pl.DataFrame:
    """A Baremetrics-template export (as a DataFrame of text-ready columns) drawn from ``spec``
    with numpy's generator seeded by ``seed``: same seed, same rows."""
    rng = np.random.default_rng(seed)
    segs = spec.segments
    year, month = (int(p) for p in spec.first_month.split("-"))
    first = year * 12 + month - 1
    last = first + spec.months  # the export month (only days up to export_day happen)
    export_date = _month_start(last) + np.timedelta64(spec.export_day - 1, "D")
    price = np.array([s.list_price for s in segs])
    disc = np.array([s.annual_discount for s in segs])
    arr = {
        name: np.array([getattr(s, name) for s in segs])
        for name in (
            "monthly_churn", "annual_churn", "switch_rate", "upgrade_rate", "upgrade_step",
            "renewal_rate", "renewal_step", "reactivation_rate", "annual_share",
        )
    }  # fmt: skip
    book = _Book()
    cancels: dict[int, np.datetime64] = {}
    # active subscriptions: id, customer, segment, annual?, price multiplier, seats, start, day
    act = {
        "sub": np.zeros(0, np.int64), "cust": np.zeros(0, np.int64), "seg": np.zeros(0, np.int64),
        "annual": np.zeros(0, bool), "mult": np.zeros(0), "qty": np.zeros(0, np.int64),
        "m": np.zeros(0, np.int64), "day": np.zeros(0, np.int64),
    }  # fmt: skip
    pool = {"cust": np.zeros(0, np.int64), "seg": np.zeros(0, np.int64)}
    next_customer = 0

    def amount(seg: np.ndarray, annual: np.ndarray, mult: np.ndarray) -> np.ndarray:
        yearly = 12 * price[seg] * (1 - disc[seg])
        return np.round(np.where(annual, yearly, price[seg]) * mult, 2)

    def open_subs(cust, seg, annual, mult, qty, t, day) -> None:
        nonlocal act
        start = _month_start(np.full(len(cust), t)) + (day - 1).astype("timedelta64[D]")
        ids = book.start(cust, seg, annual, amount(seg, annual, mult), qty, start)
        new = {"sub": ids, "cust": cust, "seg": seg, "annual": annual, "mult": mult,
               "qty": qty, "m": np.full(len(cust), t), "day": day}  # fmt: skip
        act = {key: np.concatenate([act[key], new[key]]) for key in act}

    for t in range(first, last + 1):
        month_start = _month_start(t)
        boundary = month_start + (act["day"] - 1).astype("timedelta64[D]")
        due = (act["m"] < t) & (~act["annual"] | ((t - act["m"]) % 12 == 0))
        s = act["seg"]
        u = rng.random((4, len(s)))
        annual = act["annual"]
        churn = due & np.where(
            annual, u[0] < arr["annual_churn"][s], u[0] < arr["monthly_churn"][s]
        )
        rest = due & ~churn
        switch = rest & ~annual & (u[1] < arr["switch_rate"][s])
        upgrade = rest & ~annual & ~switch & (u[2] < arr["upgrade_rate"][s])
        reprice = rest & annual & (u[3] < arr["renewal_rate"][s])
        change = switch | upgrade | reprice
        # churners cancel at some point in their last period; changes the day before the change
        lead = np.where(annual, rng.integers(1, 91, len(s)), rng.integers(1, 28, len(s)))
        for mask, before in ((churn, lead), (change, np.ones(len(s), np.int64))):
            for sub, when in zip(act["sub"][mask], (boundary - before)[mask], strict=True):
                cancels[int(sub)] = when
        mult = act["mult"].copy()
        mult[upgrade] *= 1 + arr["upgrade_step"][s[upgrade]]
        mult[reprice] *= 1 + arr["renewal_step"][s[reprice]]
        mult[switch] = 1.0
        moved = {key: act[key][change] for key in act}
        moved_mult, moved_annual = mult[change], annual[change] | switch[change]
        churned = {"cust": act["cust"][churn], "seg": act["seg"][churn]}
        act = {key: act[key][~(churn | change)] for key in act}
        if len(moved["cust"]):
            open_subs(moved["cust"], moved["seg"], moved_annual, moved_mult, moved["qty"], t,
                      moved["day"])  # fmt: skip
        # reactivations from the pool of churned customers, then new customers
        # (this month's churners join the pool after the draw: a comeback takes a month or more)
        back = rng.random(len(pool["cust"])) < arr["reactivation_rate"][pool["seg"]]
        cust_parts, seg_parts = [pool["cust"][back]], [pool["seg"][back]]
        pool = {
            "cust": np.concatenate([pool["cust"][~back], churned["cust"]]),
            "seg": np.concatenate([pool["seg"][~back], churned["seg"]]),
        }
        for j, seg in enumerate(segs):
            mean = seg.new_customers * (1 + seg.acquisition_growth) ** (t - first)
            n = int(rng.poisson(mean))
            cust_parts.append(np.arange(next_customer, next_customer + n))
            seg_parts.append(np.full(n, j))
            next_customer += n
        cust, seg_idx = np.concatenate(cust_parts), np.concatenate(seg_parts).astype(np.int64)
        n = len(cust)
        if n:
            chooses_annual = rng.random(n) < arr["annual_share"][seg_idx]
            seats = np.ones(n, np.int64)
            for j, seg in enumerate(segs):
                here = seg_idx == j
                probs = np.asarray(seg.seats) / sum(seg.seats)
                seats[here] = rng.choice(np.arange(1, len(probs) + 1), here.sum(), p=probs)
            day = rng.integers(1, 29, n)
            open_subs(cust, seg_idx, chooses_annual, np.ones(n), seats, t, day)
    data = book.frame(cancels)
    keep = data["start"] <= export_date
    data = {key: value[keep] for key, value in data.items()}
    known = data["cancel"] <= export_date
    data["cancel"] = np.where(known, data["cancel"], np.datetime64("NaT"))
    return _baremetrics(spec, data)


def _baremetrics(spec: SampleSpec, data: dict[str, np.ndarray]) -> pl.DataFrame:
    names = [s.name for s in spec.segments]
    frame = pl.DataFrame(
        {
            "sub": data["sub"],
            "cust": data["cust"],
            "seg": data["seg"],
            "annual": data["annual"],
            "amount": data["amount"],
            "qty": data["qty"],
            "start": data["start"],
            "cancel": data["cancel"],
        }
    ).with_columns(pl.col("start").cast(pl.Date), pl.col("cancel").cast(pl.Date))
    seg_name = pl.col("seg").replace_strict(dict(enumerate(names)), return_dtype=pl.String)
    term = pl.when(pl.col("annual")).then(pl.lit("Annual")).otherwise(pl.lit("Monthly"))
    cust_id = pl.format("cus_{}", pl.col("cust").cast(pl.String).str.zfill(6))
    nobody = pl.lit(None, pl.String)
    name = pl.format("Customer {}", pl.col("cust") + 1) if spec.names else nobody
    email = pl.format("customer{}@example.com", pl.col("cust") + 1) if spec.names else nobody
    out = frame.sort("start", "sub").select(
        pl.format("{}_{}", seg_name.str.to_lowercase(), term.str.to_lowercase()).alias("plan_oid"),
        pl.format("{} {}", seg_name, term).alias("plan_name"),
        pl.lit(spec.currency).alias("plan_currency"),
        (pl.col("amount") * 100).round(0).cast(pl.Int64).alias("plan_amount"),
        pl.when(pl.col("annual")).then(pl.lit("year")).otherwise(pl.lit("month")).alias("plan_interval"),
        pl.lit(1).alias("plan_interval_count"),
        cust_id.alias("customer_oid"),
        name.alias("customer_name"),
        email.alias("customer_email"),
        pl.format("sub_{}", pl.col("sub").cast(pl.String).str.zfill(7)).alias("subscription_oid"),
        pl.col("start").dt.to_string("%Y-%m-%d").alias("subscription_started_at"),
        pl.col("cancel").dt.to_string("%Y-%m-%d").alias("subscription_canceled_at"),
        pl.col("qty").alias("subscription_quantity"),
    )  # fmt: skip
    return out.select(BAREMETRICS_COLUMNS)


def to_stripe(frame: pl.DataFrame, *, dashboard: bool = False) -> pl.DataFrame:
    """The same subscriptions as a Stripe export: API field names with Unix-second dates and
    amounts in cents, or (``dashboard``) the Dashboard's headers with "(UTC)" dates and amounts
    in currency units. ``ended_at`` is left empty: the reader derives the end itself."""
    start = pl.col("subscription_started_at").str.to_date()
    canceled = pl.col("subscription_canceled_at").str.to_date()
    if dashboard:
        return frame.select(
            pl.col("subscription_oid").alias("id"),
            pl.col("customer_oid").alias("Customer ID"),
            pl.col("customer_email").alias("Customer Email"),
            pl.col("plan_name").alias("Plan"),
            pl.col("subscription_quantity").alias("Quantity"),
            pl.col("plan_currency").alias("Currency"),
            pl.col("plan_interval").alias("Interval"),
            (pl.col("plan_amount") / 100).alias("Amount"),
            pl.when(canceled.is_null()).then(pl.lit("active")).otherwise(pl.lit("canceled")).alias("Status"),
            start.dt.to_string("%Y-%m-%d 09:30").alias("Start Date (UTC)"),
            canceled.dt.to_string("%Y-%m-%d 17:05").alias("Canceled At (UTC)"),
        )  # fmt: skip
    seconds = pl.duration(hours=12).dt.total_seconds()
    return frame.select(
        pl.col("subscription_oid").alias("id"),
        pl.col("customer_oid").alias("customer"),
        pl.when(canceled.is_null()).then(pl.lit("active")).otherwise(pl.lit("canceled")).alias("status"),
        (start.cast(pl.Datetime("ms")).dt.epoch("s") + seconds).alias("created"),
        (start.cast(pl.Datetime("ms")).dt.epoch("s") + seconds).alias("start_date"),
        (canceled.cast(pl.Datetime("ms")).dt.epoch("s") + seconds).alias("canceled_at"),
        pl.lit(None, pl.String).alias("ended_at"),
        pl.col("plan_currency").alias("currency"),
        pl.col("subscription_quantity").alias("quantity"),
        pl.col("plan_amount"),
        pl.col("plan_interval"),
        pl.col("plan_interval_count"),
        pl.col("plan_name").alias("plan_nickname"),
    )  # fmt: skip


def to_csv(frame: pl.DataFrame) -> bytes:
    """The export as CSV bytes (UTF-8, header row, empty cells for missing values)."""
    return frame.write_csv().encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    """Write the bundled sample export (or another seed's) as CSV."""
    parser = argparse.ArgumentParser(prog="python -m mrrsim.billing.sample", description=__doc__)
    parser.add_argument("--out", type=Path, default=SAMPLE_PATH, help="CSV file to write")
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED)
    args = parser.parse_args(argv)
    frame = generate(sample_spec(), args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(to_csv(frame))
    print(f"wrote {frame.height:,} subscriptions to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
