"""The scenario: a frozen, validated description of a subscription business (SPEC section 2).

Validation errors name the field path and the offending value, e.g.
``segments[1].monthly_churn: must be between 0 and 1 (got 1.5)``, so a leader editing YAML, the
sidebar or a link sees exactly what to fix.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "Scenario",
    "ScenarioError",
    "Segment",
    "Uncertainty",
    "format_errors",
    "parse_scenario",
]


class ScenarioError(ValueError):
    """A scenario could not be read or is invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems) or ["invalid scenario"]
        super().__init__("\n".join(self.problems))


def _fmt(value: float) -> str:
    """A bound as a person writes it: 1000000 -> '1,000,000', 0.5 -> '0.5'."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:g}"


def _number(value: Any) -> Any:
    """Refuse booleans, text and non-finite numbers before pydantic's lax coercion sees them."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError(
            "not_a_number", "must be a number (got {got})", {"got": _clip(repr(value))}
        )
    if isinstance(value, int) and abs(value) > 1e300:  # beyond float range (e.g. 10**400)
        raise PydanticCustomError(
            "not_finite",
            "must be a finite number (got a number of {n} digits)",
            {"n": f"{len(str(abs(value))):,}" if value.bit_length() < 14_000 else "over 4,000"},
        )
    if not math.isfinite(value):
        raise PydanticCustomError(
            "not_finite", "must be a finite number (got {got})", {"got": _clip(repr(value))}
        )
    return value


def _between(lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False) -> Any:
    """A validator that keeps a number inside [lo, hi] (ends optionally open)."""
    lo_word = "above" if lo_open else "at least"
    hi_word = "below" if hi_open else "at most"
    if lo_open or hi_open:
        template = f"must be {lo_word} {_fmt(lo)} and {hi_word} {_fmt(hi)} (got {{got}})"
    else:
        template = f"must be between {_fmt(lo)} and {_fmt(hi)} (got {{got}})"

    def check(value: float) -> float:
        low_ok = value > lo if lo_open else value >= lo
        high_ok = value < hi if hi_open else value <= hi
        if not (low_ok and high_ok):
            raise PydanticCustomError("out_of_range", template, {"got": _fmt_got(value)})
        return value

    return AfterValidator(check)


def _fmt_got(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() and abs(value) < 1e16 else repr(value)


def _whole(value: Any) -> Any:
    """Months are whole numbers: accept 36 or 36.0, refuse 36.5 and text."""
    value = _number(value)
    if not float(value).is_integer():
        raise PydanticCustomError(
            "not_whole", "must be a whole number (got {got})", {"got": _clip(repr(value))}
        )
    return int(value)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(max_len: int, *, required: bool) -> Any:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise PydanticCustomError(
                "not_text", "must be text (got {got})", {"got": _clip(repr(value))}
            )
        if _SURROGATE.search(value):  # half a character: it could not be saved, shown or shared
            raise PydanticCustomError(
                "not_unicode", "must be valid Unicode text (it holds half of a character)", {}
            )
        stripped = value.strip()
        if required and not stripped:
            raise PydanticCustomError("empty", "must not be empty", {})
        if len(stripped) > max_len:
            raise PydanticCustomError(
                "too_long",
                "must be at most {max} characters (got {n})",
                {"max": max_len, "n": len(stripped)},
            )
        return stripped

    return BeforeValidator(check)


def _currency_text(value: str) -> str:
    """A currency is a code or symbol (USD, EUR, US$, €, CHF): letters, digits, currency signs,
    spaces, dots and hyphens only. It prefixes every money figure, so nothing in it may read as
    markup."""
    allowed = all(ch.isalnum() or ch in " .-" or unicodedata.category(ch) == "Sc" for ch in value)
    if not allowed:
        raise PydanticCustomError(
            "currency_chars",
            "must be a currency code or symbol: letters, digits and signs like $ € £ (got {got})",
            {"got": _clip(repr(value))},
        )
    return value


def Num(lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False) -> Any:  # noqa: N802
    """A bounded float field type with a friendly message."""
    return Annotated[
        float, BeforeValidator(_number), _between(lo, hi, lo_open=lo_open, hi_open=hi_open)
    ]


Share = Num(0, 1)
Discount = Num(0, 1, hi_open=True)
Name = Annotated[str, _text(80, required=True)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)


class Segment(_Model):
    """One customer segment (a tier or market) with its prices, acquisition and retention."""

    name: Name
    list_price: Num(0, 1_000_000, lo_open=True)  # type: ignore[valid-type]
    new_customers: Num(0, 10_000_000) = 0.0  # type: ignore[valid-type]
    acquisition_growth: Num(-0.5, 0.5) = 0.0  # type: ignore[valid-type]
    annual_share: Share = 0.0  # type: ignore[valid-type]
    annual_discount: Discount | None = None  # type: ignore[valid-type]
    monthly_churn: Share = 0.0  # type: ignore[valid-type]
    annual_churn: Share = 0.0  # type: ignore[valid-type]
    monthly_expansion: Num(-0.5, 0.5) = 0.0  # type: ignore[valid-type]
    annual_expansion: Num(-0.9, 2) = 0.0  # type: ignore[valid-type]
    existing_monthly_customers: Num(0, 100_000_000) = 0.0  # type: ignore[valid-type]
    existing_annual_customers: Num(0, 100_000_000) = 0.0  # type: ignore[valid-type]


class Uncertainty(_Model):
    """Coefficients of variation of the per-path multipliers used by the Monte Carlo only."""

    churn: Num(0, 2) = 0.0  # type: ignore[valid-type]
    acquisition: Num(0, 2) = 0.0  # type: ignore[valid-type]


class Scenario(_Model):
    """A whole what-if scenario: global settings plus 1..20 segments."""

    name: Name
    description: Annotated[str, _text(2000, required=False)] = ""
    horizon_months: Annotated[int, BeforeValidator(_whole), _between(1, 120)] = 36
    annual_discount: Discount = 0.15  # type: ignore[valid-type]
    cost_of_capital: Share = 0.10  # type: ignore[valid-type]
    currency: Annotated[str, _text(12, required=True), AfterValidator(_currency_text)] = "USD"
    segments: Annotated[tuple[Segment, ...], Field(min_length=1, max_length=20)]
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)

    @model_validator(mode="after")
    def _unique_segment_names(self) -> Self:
        seen: dict[str, int] = {}
        for i, seg in enumerate(self.segments):
            key = seg.name.casefold()
            if key in seen:
                raise PydanticCustomError(
                    "duplicate_segment",
                    "segments[{i}].name: duplicate segment name {name} (also segments[{j}])",
                    {"i": i, "name": repr(seg.name), "j": seen[key]},
                )
            seen[key] = i
        return self

    def discount_for(self, segment: Segment) -> float:
        """The annual discount that applies to a segment (its override, else the scenario's)."""
        if segment.annual_discount is None:
            return self.annual_discount
        return segment.annual_discount

    def with_segments(self, **changes: Any) -> Scenario:
        """A copy with the same field changes on every segment (for counterfactuals)."""
        segments = tuple(seg.model_copy(update=changes) for seg in self.segments)
        return self.model_copy(update={"segments": segments})

    def to_dict(self) -> dict[str, Any]:
        """Plain data for YAML/JSON: unset overrides dropped, whole floats as ints."""
        data = self.model_dump(mode="python")
        for seg in data["segments"]:
            if seg.get("annual_discount") is None:
                seg.pop("annual_discount", None)
        return _tidy(data)


def _tidy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_tidy(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


_FIELDS: dict[str, tuple[str, ...]] = {
    "scenario": tuple(Scenario.model_fields),
    "segment": tuple(Segment.model_fields),
    "uncertainty": tuple(Uncertainty.model_fields),
}


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{_clip(str(part))}" if out else _clip(str(part))
    return out


def _suggest(loc: tuple[Any, ...], key: str) -> str:
    if len(loc) >= 2 and loc[0] == "segments":
        known = _FIELDS["segment"]
    elif loc and loc[0] == "uncertainty":
        known = _FIELDS["uncertainty"]
    else:
        known = _FIELDS["scenario"]
    close = difflib.get_close_matches(str(key), known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def format_errors(exc: ValidationError) -> list[str]:
    """One readable line per validation problem, each starting with the field path."""
    lines: list[str] = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        path = _path(loc)
        kind = err["type"]
        if kind == "duplicate_segment":
            lines.append(err["msg"])
            continue
        if kind == "extra_forbidden":
            lines.append(f"{path}: unknown field{_suggest(loc[:-1], loc[-1])}")
        elif kind == "missing":
            lines.append(f"{path}: required field is missing")
        elif kind in {"too_short", "too_long"} and loc == ("segments",):
            n = len(err.get("input") or ())
            if not 1 <= n <= 20:
                lines.append(f"segments: must list between 1 and 20 segments (got {n})")
        elif kind in {"model_type", "model_attributes_type", "dict_type"}:
            lines.append(f"{path or 'scenario'}: must be a mapping of fields (got {_short(err)})")
        elif kind in {"tuple_type", "list_type"}:
            lines.append(f"{path}: must be a list (got {_short(err)})")
        else:
            lines.append(f"{path}: {err['msg']}" if path else err["msg"])
    return lines


def _short(err: Any) -> str:
    return _clip(repr(err.get("input")))


def _clip(text: str, limit: int = 60) -> str:
    """Echoed input cut to ``limit`` characters, so a huge value gives a short message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_scenario(data: Any) -> Scenario:
    """Validate plain data (from YAML, JSON or a link) into a Scenario, or raise ScenarioError."""
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        raise ScenarioError([f"scenario: must be a mapping of fields (got {kind})"])
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        raise ScenarioError(
            [f"scenario: field names must be text (got {_clip(repr(bad_keys[0]))})"]
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_errors(exc)) from None
