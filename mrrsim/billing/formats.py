"""Reading a subscription export: Baremetrics' import template or Stripe's subscriptions.

Both formats are recognised from the header (case, spacing and "(UTC)" suffixes ignored) and
read with a lazy polars CSV scan of only the columns needed, every value as text, so customer
names and e-mails are never even parsed. Each row becomes one subscription with its monthly
recurring revenue (MRR) and the dates it is active: from its start to the end of the billing
period in which it was cancelled (docs/model.md, "Starting from billing data").

Bad rows are reported one problem per line with their row number (row 1 is the header, as a
spreadsheet numbers them) and skipped; the count of skipped rows is kept. Problems that make the
whole file unusable (not CSV, empty, missing columns, mixed currencies) leave no rows at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

__all__ = [
    "BAREMETRICS_COLUMNS",
    "MAX_PROBLEMS_PER_KIND",
    "STRIPE_COLUMNS",
    "Export",
    "normalize_header",
    "read_export",
]

# Baremetrics' documented import template, in its own order.
BAREMETRICS_COLUMNS = (
    "plan_oid",
    "plan_name",
    "plan_currency",
    "plan_amount",
    "plan_interval",
    "plan_interval_count",
    "customer_oid",
    "customer_name",
    "customer_email",
    "subscription_oid",
    "subscription_started_at",
    "subscription_canceled_at",
    "subscription_quantity",
)
_BAREMETRICS_REQUIRED = (
    "plan_name",
    "plan_currency",
    "plan_amount",
    "plan_interval",
    "customer_oid",
    "subscription_oid",
    "subscription_started_at",
)
# Stripe's subscription fields (API names; the Dashboard's headers normalise to the aliases).
STRIPE_COLUMNS = (
    "id",
    "customer",
    "status",
    "created",
    "start_date",
    "canceled_at",
    "ended_at",
    "cancel_at_period_end",
    "current_period_start",
    "current_period_end",
    "currency",
    "quantity",
    "plan_amount",
    "plan_interval",
    "plan_interval_count",
)
# canonical name -> accepted (normalised) headers, first found wins.
_STRIPE_ALIASES: dict[str, tuple[str, ...]] = {
    "sub": ("id", "subscription_id", "subscription"),
    "customer": ("customer", "customer_id"),
    "start": ("start_date", "start", "created"),
    "canceled": ("canceled_at", "cancelled_at"),
    "ended": ("ended_at",),
    "period_end": ("current_period_end",),
    "status": ("status",),
    "currency": ("currency", "plan_currency"),
    "quantity": ("quantity",),
    "amount_cents": ("plan_amount", "unit_amount", "price_unit_amount"),
    "amount_major": ("amount", "plan_amount_major"),
    "interval": ("plan_interval", "interval", "price_interval", "recurring_interval"),
    "interval_count": ("plan_interval_count", "interval_count", "recurring_interval_count"),
    "plan": (
        "plan_nickname",
        "plan_name",
        "nickname",
        "product_name",
        "product",
        "plan",
        "plan_id",
        "price_id",
        "price",
    ),
}
_STRIPE_REQUIRED = ("sub", "customer", "start", "currency", "amount", "interval")
_STRIPE_LABELS = {
    "sub": "id",
    "customer": "customer",
    "start": "start_date",
    "currency": "currency",
    "amount": "plan_amount (or unit_amount, or the Dashboard's Amount)",
    "interval": "plan_interval (or interval)",
}
_BAREMETRICS_MARKERS = {"plan_oid", "subscription_oid", "customer_oid", "subscription_started_at"}
_STRIPE_MARKERS = {
    "id",
    "customer",
    "customer_id",
    "start_date",
    "current_period_end",
    "cancel_at_period_end",
    "status",
    "plan_interval",
    "interval",
}

INTERVALS = ("day", "week", "month", "year")
_INTERVAL_WORDS = {
    "day": "day", "daily": "day", "days": "day",
    "week": "week", "weekly": "week", "weeks": "week",
    "month": "month", "monthly": "month", "months": "month",
    "year": "year", "yearly": "year", "annual": "year", "annually": "year", "years": "year",
}  # fmt: skip
# MRR per unit of amount for one interval (docs/model.md, "Starting from billing data": year
# /12, week x52/12, day x365/12).
_PER_MONTH = {"day": 365 / 12, "week": 52 / 12, "month": 1.0, "year": 1 / 12}
_MONTHS_PER = {"month": 1, "year": 12}
_DAYS_PER = {"day": 1, "week": 7}
_NEVER_PAID = ("incomplete", "incomplete_expired")
MAX_PROBLEMS_PER_KIND = 20
SNIFF_BYTES = 65_536


@dataclass(frozen=True)
class Export:
    """A subscription export, read and checked.

    ``subscriptions`` has one row per usable subscription: ``row`` (its row in the file),
    ``subscription``, ``customer``, ``plan``, ``currency``, ``interval`` (day, week, month,
    year), ``interval_count``, ``quantity``, ``amount`` (per unit and interval, in currency
    units), ``mrr`` (amount × quantity normalised to a month), ``term`` (``annual`` for billing
    periods of 12 months or more, else ``monthly``), ``start`` and ``end`` (the first day it is
    no longer active; null while it runs). Names and e-mails are not in it."""

    format: str
    subscriptions: pl.DataFrame
    rows_read: int = 0
    rows_skipped: int = 0
    rows_excluded: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    latest_date: object = None

    @property
    def usable(self) -> bool:
        """Whether any subscription could be read."""
        return self.subscriptions.height > 0

    @property
    def currency(self) -> str:
        """The export's one currency (upper case), or USD when there are no rows."""
        if not self.usable:
            return "USD"
        return str(self.subscriptions["currency"][0])


def normalize_header(name: str) -> str:
    """``"Canceled At (UTC)"`` -> ``"canceled_at"``: lower case, no "(UTC)", underscores."""
    text = name.replace("\ufeff", "").strip().lower()
    text = re.sub(r"\(\s*utc\s*\)", " ", text)
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


_EMPTY_COLUMNS = {
    "row": pl.UInt32,
    "subscription": pl.String,
    "customer": pl.String,
    "plan": pl.String,
    "currency": pl.String,
    "interval": pl.String,
    "interval_count": pl.Int32,
    "quantity": pl.Float64,
    "amount": pl.Float64,
    "mrr": pl.Float64,
    "term": pl.String,
    "start": pl.Date,
    "end": pl.Date,
}


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=_EMPTY_COLUMNS)


def _fatal(fmt: str, problems: list[str], rows: int = 0) -> Export:
    return Export(fmt, _empty(), rows_read=rows, rows_skipped=rows, problems=problems)


def _sniff(source: str | Path | bytes) -> tuple[bytes, str | None]:
    """The first bytes of the file, or a problem when it cannot be read as CSV text."""
    try:
        if isinstance(source, bytes):
            head = source[:SNIFF_BYTES]
        else:
            with open(source, "rb") as handle:
                head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        return b"", f"cannot read {source!s}: {exc.strerror}"
    if not head.strip():
        return head, "the file is empty"
    if b"\x00" in head:
        return head, "the file is not CSV text (it holds binary data; export the CSV again)"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a character cut at the sniff's end is fine
            return head, "the file is not UTF-8 CSV text (save it as CSV, UTF-8)"
    return head, None


def _header(head: bytes) -> list[str]:
    first = head.decode("utf-8", "replace").lstrip("\ufeff").splitlines()[0]
    return [cell.strip().strip('"') for cell in first.split(",")]


def _pick(found: dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((found[n] for n in names if n in found), None)


def _date_expr(column: str) -> pl.Expr:
    """ISO dates (``YYYY-MM-DD`` or with ``/``, any time part ignored) or Unix seconds (9 or 10
    digits, 1973-2286); anything else is null."""
    text = pl.col(column).str.strip_chars()
    head = text.str.slice(0, 10)
    iso = head.str.replace_all("/", "-", literal=True).str.to_date("%Y-%m-%d", strict=False)
    seconds = text.str.strip_suffix(".0").str.to_integer(strict=False)
    unix = pl.from_epoch(seconds, time_unit="s").dt.date()
    return pl.coalesce(
        pl.when(text.str.len_bytes() >= 10).then(iso),
        pl.when(seconds.is_between(100_000_000, 9_999_999_999)).then(unix),
    )


def _number_expr(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().str.replace_all(",", "").cast(pl.Float64, strict=False)


def add_months(date: pl.Expr, months: pl.Expr) -> pl.Expr:
    """``date`` plus a whole number of months, the day clamped to the month's last day (Jan 31
    + 1 month = Feb 28/29), as billing systems renew."""
    index = date.dt.year().cast(pl.Int64) * 12 + date.dt.month().cast(pl.Int64) - 1 + months
    year = index // 12
    month = index % 12 + 1
    last_day = pl.date(year, month, 1).dt.month_end().dt.day()
    return pl.date(year, month, pl.min_horizontal(date.dt.day(), last_day))


def with_period_end(
    frame: pl.DataFrame, start: str, when: str, interval: str, count: str, out: str
) -> pl.DataFrame:
    """Add column ``out``: the end of the billing period (anchored on ``start``) that contains
    ``when``, i.e. the first period boundary strictly after it. Built in stages, so polars
    evaluates each part once."""
    months = pl.col(interval).replace_strict(_MONTHS_PER, default=None, return_dtype=pl.Int64)
    days = pl.col(interval).replace_strict(_DAYS_PER, default=None, return_dtype=pl.Int64)
    s, w = pl.col(start), pl.col(when)
    diff = (w.dt.year().cast(pl.Int64) - s.dt.year()) * 12 + (
        w.dt.month().cast(pl.Int64) - s.dt.month()
    )
    start_day, when_day = s.cast(pl.Int64), w.cast(pl.Int64)  # days since 1970-01-01
    staged = (
        frame.with_columns(
            (months * pl.col(count)).alias("_len_m"), (days * pl.col(count)).alias("_len_d")
        )
        .with_columns((diff // pl.col("_len_m") * pl.col("_len_m")).alias("_k0"))
        .with_columns(add_months(s, pl.col("_k0")).alias("_at_k0"))
        .with_columns(
            (pl.col("_k0") + (pl.col("_at_k0") <= w).cast(pl.Int64) * pl.col("_len_m")).alias("_k")
        )
    )
    by_days = start_day + ((when_day - start_day) // pl.col("_len_d") + 1) * pl.col("_len_d")
    return staged.with_columns(
        pl.when(pl.col("_len_m").is_not_null())
        .then(add_months(s, pl.col("_k")))
        .otherwise(by_days.cast(pl.Date))
        .alias(out)
    ).drop("_len_m", "_len_d", "_k0", "_at_k0", "_k")


class _Problems:
    """Problems of one kind per column, at most a few rows each, then a count of the rest."""

    def __init__(self) -> None:
        self.found: list[tuple[int, int, str]] = []
        self.general: list[str] = []
        self.pending: list[tuple[pl.DataFrame, pl.Expr, str | None, str]] = []

    @property
    def lines(self) -> list[str]:
        """Row problems in row order (a kind's overflow line after its rows), then the rest."""
        return [text for _, _, text in sorted(self.found)] + self.general

    def add(self, frame: pl.DataFrame, bad: pl.Expr, column: str | None, text: str) -> None:
        """Queue a check of ``frame`` (rows where ``bad`` holds); ``resolve`` runs the queue."""
        self.pending.append((frame, bad.fill_null(False), column, text))

    def resolve(self) -> None:
        """Run the queued checks: one pass per frame finds which have bad rows at all, then
        only those are listed."""
        by_frame: dict[int, list[tuple[pl.DataFrame, pl.Expr, str | None, str]]] = {}
        for check in self.pending:
            by_frame.setdefault(id(check[0]), []).append(check)
        self.pending = []
        for checks in by_frame.values():
            frame = checks[0][0]
            flags = frame.select(
                bad.any().alias(f"c{i}") for i, (_, bad, _, _) in enumerate(checks)
            )
            for (_, bad, column, text), flagged in zip(checks, flags.row(0), strict=True):
                if flagged:
                    self._list(frame.filter(bad), column, text)

    def _list(self, rows: pl.DataFrame, column: str | None, text: str) -> None:
        shown = rows.head(MAX_PROBLEMS_PER_KIND)
        for rec in shown.iter_rows(named=True):
            got = ""
            if column is not None:
                value = str(rec[column])
                got = f" (got {value[:40]!r})"
            self.found.append((rec["row"], 0, f"row {rec['row']}: {text}{got}"))
        if rows.height > shown.height:
            last = shown["row"][-1]
            self.found.append(
                (last, 1, f"... and {rows.height - shown.height:,} more rows with {text}")
            )


def read_export(source: str | Path | bytes) -> Export:
    """Read a Baremetrics or Stripe subscription export (a path or the file's bytes).

    Never raises on bad input: problems are in ``Export.problems`` (one per line, with row
    numbers), bad rows are skipped and counted, and a file that cannot be used at all comes back
    with no subscriptions."""
    head, problem = _sniff(source)
    if problem:
        return _fatal("unknown", [problem])
    header = _header(head)
    found = {normalize_header(h): h for h in reversed(header) if h.strip()}
    names = set(found)
    if names & _BAREMETRICS_MARKERS:
        fmt = "baremetrics"
        missing = [c for c in _BAREMETRICS_REQUIRED if c not in names]
        if missing:
            return _fatal(
                fmt,
                [
                    "Baremetrics import: missing columns " + ", ".join(missing),
                    "expected columns: " + ", ".join(BAREMETRICS_COLUMNS),
                ],
            )
        cols = {
            "sub": found["subscription_oid"],
            "customer": found["customer_oid"],
            "plan": found["plan_name"],
            "currency": found["plan_currency"],
            "amount_cents": found["plan_amount"],
            "interval": found["plan_interval"],
            "interval_count": found.get("plan_interval_count"),
            "quantity": found.get("subscription_quantity"),
            "start": found["subscription_started_at"],
            "canceled": found.get("subscription_canceled_at"),
        }
    elif names & _STRIPE_MARKERS:
        fmt = "stripe"
        cols = {key: _pick(found, aliases) for key, aliases in _STRIPE_ALIASES.items()}
        have = {k for k, v in cols.items() if v is not None}
        if cols["amount_cents"] or cols["amount_major"]:
            have.add("amount")
        missing = [_STRIPE_LABELS[k] for k in _STRIPE_REQUIRED if k not in have]
        if missing:
            return _fatal(
                fmt,
                [
                    "Stripe subscriptions export: missing columns " + ", ".join(missing),
                    "expected columns: " + ", ".join(STRIPE_COLUMNS),
                ],
            )
    else:
        shown = ", ".join(h for h in header[:8] if h.strip()) or "none"
        return _fatal(
            "unknown",
            [
                f"not a recognised subscription export (columns found: {shown[:200]})",
                "Baremetrics import template expects: " + ", ".join(BAREMETRICS_COLUMNS),
                "Stripe subscriptions export expects: " + ", ".join(STRIPE_COLUMNS),
            ],
        )
    return _read_rows(source, fmt, {k: v for k, v in cols.items() if v is not None})


def _scan(source: str | Path | bytes, cols: dict[str, str]) -> pl.DataFrame:
    """Only the needed columns, as text, renamed to canonical names, with row numbers."""
    wanted = sorted(set(cols.values()))
    frame = pl.scan_csv(
        source,
        infer_schema=False,
        encoding="utf8-lossy",
    ).select(wanted)
    return (
        frame.with_row_index("row", offset=2)
        .select(pl.col("row"), *[pl.col(src).alias(key) for key, src in cols.items()])
        .collect()
    )


def _read_rows(source: str | Path | bytes, fmt: str, cols: dict[str, str]) -> Export:
    try:
        raw = _scan(source, cols)
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _fatal(fmt, [f"the file is not well-formed CSV: {first[:160]}"])
    if raw.height == 0:
        return _fatal(fmt, ["the file has a header but no subscription rows"])
    for key in ("canceled", "ended", "period_end", "status", "quantity", "interval_count"):
        if key not in raw.columns:
            raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias(key))
    if "plan" not in raw.columns:
        raw = raw.with_columns(pl.lit("Subscription").alias("plan"))
    amount = (
        (_number_expr("amount_cents") / 100.0)
        if "amount_cents" in raw.columns
        else _number_expr("amount_major")
    )
    amount_col = "amount_cents" if "amount_cents" in raw.columns else "amount_major"
    parsed = raw.with_columns(
        amount.alias("amount"),
        _number_expr("quantity")
        .fill_null(pl.when(pl.col("quantity").is_null()).then(1.0))
        .alias("qty"),
        _number_expr("interval_count")
        .fill_null(pl.when(pl.col("interval_count").is_null()).then(1.0))
        .alias("count"),
        pl.col("interval")
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(_INTERVAL_WORDS, default=None)
        .alias("unit"),
        _date_expr("start").alias("start_d"),
        _date_expr("canceled").alias("canceled_d"),
        _date_expr("ended").alias("ended_d"),
        _date_expr("period_end").alias("period_end_d"),
        pl.col("currency").str.strip_chars().str.to_uppercase().alias("cur"),
        pl.col("status").str.strip_chars().str.to_lowercase().alias("status_l"),
    )
    problems = _Problems()
    present = {k: pl.col(k).is_not_null() & (pl.col(k).str.strip_chars() != "") for k in cols}

    def bad_date(key: str, label: str) -> None:
        if key in cols:
            problems.add(
                parsed, present[key] & pl.col(f"{key}_d").is_null(), key,
                f"{label}: not a date (use YYYY-MM-DD or Unix seconds)",
            )  # fmt: skip

    checks: list[pl.Expr] = []
    for key, label in (("sub", "subscription id"), ("customer", "customer id")):
        bad = ~present[key]
        problems.add(parsed, bad, None, f"{label}: missing")
        checks.append(bad)
    bad = ~present["start"] if "start" in present else pl.lit(False)
    problems.add(parsed, bad, None, "start date: missing")
    checks.append(bad)
    bad_date("start", "start date")
    checks.append(present["start"] & pl.col("start_d").is_null())
    for key, label in (("canceled", "cancellation date"), ("ended", "end date"),
                       ("period_end", "current period end")):  # fmt: skip
        if key in cols:
            bad_date(key, label)
            checks.append(present[key] & pl.col(f"{key}_d").is_null())
    has_amount = present[amount_col]
    bad = ~has_amount
    problems.add(parsed, bad, None, "amount: missing")
    checks.append(bad)
    bad = has_amount & pl.col("amount").is_null()
    problems.add(parsed, bad, amount_col, "amount: not a number")
    checks.append(bad)
    bad = pl.col("amount") < 0
    problems.add(parsed, bad, amount_col, "amount: negative")
    checks.append(bad.fill_null(False))
    if "quantity" in cols:
        bad = present["quantity"] & (pl.col("qty").is_null() | (pl.col("qty") < 0))
        problems.add(parsed, bad, "quantity", "quantity: not a number of 0 or more")
        checks.append(bad)
    if "interval_count" in cols:
        bad = present["interval_count"] & (
            pl.col("count").is_null() | (pl.col("count") < 1) | (pl.col("count") % 1 != 0)
        )
        problems.add(
            parsed, bad, "interval_count", "interval count: not a whole number of 1 or more"
        )
        checks.append(bad)
    bad = pl.col("unit").is_null()
    problems.add(parsed, bad, "interval", "interval: unknown (use day, week, month or year)")
    checks.append(bad)
    bad = ~present["currency"]
    problems.add(parsed, bad, None, "currency: missing")
    checks.append(bad)

    problems.resolve()
    ok = ~pl.any_horizontal(*[c.fill_null(True) for c in checks])
    rows = parsed.filter(ok)
    # The end: Stripe's ended_at when given, else the end of the billing period in which the
    # subscription was cancelled (or Stripe's current period end when that is later).
    count = pl.col("count").cast(pl.Int64)
    rows = with_period_end(
        rows.with_columns(count.alias("count_i")), "start_d", "canceled_d", "unit", "count_i",
        "computed",
    )  # fmt: skip
    computed = pl.col("computed")
    end = (
        pl.when(pl.col("ended_d").is_not_null())
        .then(pl.col("ended_d"))
        .when(pl.col("canceled_d").is_null())
        .then(None)
        .when(pl.col("period_end_d") > pl.col("canceled_d"))
        .then(pl.col("period_end_d"))
        .otherwise(computed)
    )
    rows = rows.with_columns(end.alias("end_d"))
    before = (pl.col("canceled_d") < pl.col("start_d")) | (pl.col("ended_d") < pl.col("start_d"))
    before = before.fill_null(False)
    problems.add(rows, before, None, "ends (or was cancelled) before it starts")
    problems.resolve()
    rows = rows.filter(~before)
    skipped = raw.height - rows.height

    never_paid = pl.col("status_l").is_in(list(_NEVER_PAID)).fill_null(False)
    free = pl.col("amount") * pl.col("qty") == 0
    notes: list[str] = []
    excluded = rows.filter(never_paid | free).height
    n_never = rows.filter(never_paid).height
    n_free = rows.filter(free & ~never_paid).height
    if n_never:
        notes.append(f"{n_never:,} subscriptions never paid (status incomplete) are not counted")
    if n_free:
        notes.append(f"{n_free:,} free subscriptions (amount 0) are not counted as MRR")
    rows = rows.filter(~(never_paid | free))
    months_per_interval = pl.col("unit").replace_strict(
        {"day": 12 / 365, "week": 12 / 52, "month": 1.0, "year": 12.0}, return_dtype=pl.Float64
    ) * pl.col("count")
    subs = rows.select(
        pl.col("row"),
        pl.col("sub").str.strip_chars().alias("subscription"),
        pl.col("customer").str.strip_chars().alias("customer"),
        pl.col("plan").fill_null("(no plan name)").str.strip_chars().alias("plan"),
        pl.col("cur").alias("currency"),
        pl.col("unit").alias("interval"),
        count.cast(pl.Int32).alias("interval_count"),
        pl.col("qty").alias("quantity"),
        pl.col("amount"),
        (
            pl.col("amount")
            * pl.col("qty")
            * pl.col("unit").replace_strict(_PER_MONTH, return_dtype=pl.Float64)
            / pl.col("count")
        ).alias("mrr"),
        pl.when(months_per_interval >= 12 - 1e-9)
        .then(pl.lit("annual"))
        .otherwise(pl.lit("monthly"))
        .alias("term"),
        pl.col("start_d").alias("start"),
        pl.col("end_d").alias("end"),
    )
    currencies = subs.group_by("currency").len().sort("len", "currency", descending=[True, False])
    if currencies.height > 1:
        listed = ", ".join(f"{c} ({n:,} rows)" for c, n in currencies.iter_rows())
        problems.general.append(f"mixed currencies: {listed}; import one currency at a time")
        return Export(fmt, _empty(), raw.height, raw.height, excluded, problems.lines, notes)
    latest = parsed.select(
        pl.max_horizontal(
            pl.col("start_d").max(), pl.col("canceled_d").max(), pl.col("ended_d").max()
        )
    ).item()
    if subs.height == 0 and not problems.lines:
        problems.general.append("no paying subscriptions in the file")
    return Export(fmt, subs, raw.height, skipped, excluded, problems.lines, notes, latest)
