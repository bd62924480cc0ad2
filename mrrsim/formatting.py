"""Money, percentages and counts as people read them: one set of formatters for the charts'
text, the UI and the downloads. Pure functions (no Streamlit, no Altair), so any front end and
any test can use them.

One minus sign everywhere: the true minus (U+2212, ``MINUS``), as the charts' axes (d3-format)
draw it, for money, percentages, points and counts alike. Downloads keep plain numbers."""

from __future__ import annotations

import math

__all__ = [
    "MINUS",
    "compact_amount",
    "currency_symbol",
    "fmt_count",
    "fmt_delta_count",
    "fmt_delta_money",
    "fmt_delta_pct",
    "fmt_money",
    "fmt_pct",
    "fmt_rel",
    "fmt_signed_int",
]

MINUS = "\u2212"

_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "CN¥",
    "INR": "₹",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "BRL": "R$",
    "KRW": "₩",
    "ILS": "₪",
    "MXN": "MX$",
}


def compact_amount(amount: float) -> str:
    """A non-negative amount as a leader reads it: 1.23M, 45.6k, 950 (three significant digits)."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if amount >= size * 0.9995:
            scaled = amount / size
            digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
            return f"{scaled:,.{digits}f}{suffix}"
    return f"{amount:,.0f}"


def currency_symbol(currency: str) -> str:
    """A short prefix for amounts: '$' for USD, '€' for EUR, else the code and a space."""
    code = currency.strip()
    return _SYMBOLS.get(code.upper(), f"{code} " if code else "")


def _minus(text: str) -> str:
    """``text`` with a leading hyphen-minus turned into the true minus sign."""
    return MINUS + text[1:] if text.startswith("-") else text


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_money(value: float | None, currency: str, *, compact: bool = True) -> str:
    """Money as a leader reads it: '$1.23M', '$45.6k', '$950' (compact) or '$1,234,567'."""
    if value is None or _missing(value):
        return "—"
    sign = MINUS if value < 0 else ""
    symbol = currency_symbol(currency)
    amount = abs(value)
    shown = compact_amount(amount) if compact and amount >= 1_000 else f"{amount:,.0f}"
    return f"{sign}{symbol}{shown}"


def fmt_delta_money(value: float | None, currency: str, *, compact: bool = True) -> str:
    """A signed money difference: '+$12.3k' (or '+$12,345'), '−$1.05M', '±$0' when it is
    (nearly) nothing."""
    if value is None or _missing(value):
        return "—"
    if abs(value) < 0.5:
        return f"±{currency_symbol(currency)}0"
    return ("+" if value > 0 else "") + fmt_money(value, currency, compact=compact)


def fmt_pct(value: float | None, digits: int = 1) -> str:
    """A fraction as a percentage: 0.153 -> '15.3%'."""
    if value is None or _missing(value):
        return "—"
    return _minus(f"{value * 100:,.{digits}f}%")


def fmt_delta_pct(value: float | None, digits: int = 1) -> str:
    """A difference of two fractions in percentage points: 0.012 -> '+1.2 pp'."""
    if value is None or _missing(value):
        return "—"
    points = value * 100
    if abs(points) < 0.5 * 10**-digits:
        return "±0 pp"
    return _minus(f"{points:+,.{digits}f} pp")


def fmt_rel(value: float | None) -> str:
    """A relative change in brackets after a difference: 0.051 -> ' (+5.1%)'; '' when undefined."""
    if value is None or _missing(value):
        return ""
    return f" ({_minus(f'{value * 100:+.1f}%')})"


def fmt_count(value: float | None) -> str:
    """A (possibly fractional, expected-value) customer count, rounded: '1,234'."""
    if value is None or _missing(value):
        return "—"
    return _minus(f"{value:,.0f}")


def fmt_delta_count(value: float | None) -> str:
    """A signed customer-count difference: '+1,234', '−56', '±0'."""
    if value is None or _missing(value):
        return "—"
    if abs(value) < 0.5:
        return "±0"
    return _minus(f"{value:+,.0f}")


def fmt_signed_int(value: int, unit: str = "") -> str:
    """A signed whole number with its unit: '+12 months', '−24 months', '±0 months'."""
    text = "±0" if value == 0 else _minus(f"{value:+,d}")
    return f"{text} {unit}" if unit else text
