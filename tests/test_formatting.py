"""mrrsim.formatting: money, percentages and counts as people read them, checked by hand."""

from __future__ import annotations

import pytest

from mrrsim.formatting import (
    MINUS,
    compact_amount,
    currency_symbol,
    fmt_count,
    fmt_delta_count,
    fmt_delta_money,
    fmt_delta_pct,
    fmt_money,
    fmt_pct,
    fmt_rel,
    fmt_signed_int,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "$0"),
        (950.4, "$950"),
        (45_612, "$45.6k"),
        (1_234_567, "$1.23M"),
        (13_000_000, "$13.0M"),
        (999_999, "$1.00M"),
        (-24_100, "\u2212$24.1k"),
        (2.5e9, "$2.50B"),
        (None, "—"),
    ],
)
def test_fmt_money(value: float | None, text: str) -> None:
    assert fmt_money(value, "USD") == text


def test_fmt_money_full_and_other_currencies() -> None:
    assert fmt_money(1_234_567.4, "USD", compact=False) == "$1,234,567"
    assert fmt_money(45_600, "EUR") == "€45.6k"
    assert fmt_money(45_600, "SEK") == "SEK 45.6k"


def test_fmt_deltas_and_percentages() -> None:
    assert fmt_delta_money(12_345, "USD") == "+$12.3k"
    assert fmt_delta_money(-1_050_000, "USD") == "\u2212$1.05M"
    assert fmt_delta_money(0.2, "USD") == "±$0"
    assert fmt_pct(0.153) == "15.3%"
    assert fmt_pct(None) == "—"
    assert fmt_delta_pct(0.012) == "+1.2 pp"
    assert fmt_delta_pct(-0.031) == "\u22123.1 pp"
    assert fmt_delta_pct(0.0) == "±0 pp"


def test_compact_amounts_keep_three_significant_digits() -> None:
    assert compact_amount(999.4) == "999"
    assert compact_amount(999.5) == "1.00k"  # rounds up into the next unit, not "1000"
    assert compact_amount(12_345) == "12.3k"
    assert compact_amount(123_456_789) == "123M"


def test_currency_symbols() -> None:
    assert currency_symbol("usd") == "$"
    assert currency_symbol(" GBP ") == "£"
    assert currency_symbol("SEK") == "SEK "
    assert currency_symbol("") == ""


def test_counts_and_relative_changes() -> None:
    assert fmt_count(1234.6) == "1,235"
    assert fmt_count(float("nan")) == "—"
    assert fmt_delta_count(-56.2) == "\u221256"
    assert fmt_delta_count(0.4) == "±0"
    assert fmt_rel(0.051) == " (+5.1%)"
    assert fmt_rel(-0.5) == " (\u221250.0%)"
    assert fmt_rel(None) == ""


def test_one_minus_sign_for_money_percentages_and_counts() -> None:
    """Every negative number on screen carries the true minus (U+2212), never a hyphen."""
    shown = [
        fmt_money(-5, "USD"),
        fmt_delta_money(-5, "USD"),
        fmt_pct(-0.2),
        fmt_delta_pct(-0.2),
        fmt_count(-3),
        fmt_delta_count(-3),
        fmt_rel(-0.2),
        fmt_signed_int(-24, "months"),
    ]
    assert all(MINUS in text and "-" not in text for text in shown)
    assert fmt_pct(-0.2) == "\u221220.0%"
    assert fmt_signed_int(12, "months") == "+12 months"
    assert fmt_signed_int(0) == "±0"
