"""The scenario: a frozen, validated description of a subscription business (docs/model.md,
"The scenario").

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

from mrrsim.problems import MAX_SHOWN, capped

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


# Bounded number types: a float refused when it is not a finite number, then kept in range with
# a message that names the range (``mrrsim.fields`` reads the bounds back from the validator).
Share = Annotated[float, BeforeValidator(_number), _between(0, 1)]
Discount = Annotated[float, BeforeValidator(_number), _between(0, 1, hi_open=True)]
Price = Annotated[float, BeforeValidator(_number), _between(0, 1_000_000, lo_open=True)]
NewCount = Annotated[float, BeforeValidator(_number), _between(0, 10_000_000)]
MonthlyRate = Annotated[float, BeforeValidator(_number), _between(-0.5, 0.5)]
RenewalChange = Annotated[float, BeforeValidator(_number), _between(-0.9, 2)]
SwitchRate = Annotated[float, BeforeValidator(_number), _between(0, 0.5)]
Variation = Annotated[float, BeforeValidator(_number), _between(0, 2)]
Name = Annotated[str, _text(80, required=True)]
Count = Annotated[float, BeforeValidator(_number), _between(0, 100_000_000)]
Month = Annotated[int, BeforeValidator(_whole)]


MAX_SEGMENTS = 20


def _field_rule(field: str, message: str, **values: Any) -> PydanticCustomError:
    """A problem found across fields, reported at ``field`` of the model that found it."""
    return PydanticCustomError("field_rule", f"{field}: {message}", values)


def _renewals(value: Any) -> Any:
    """Twelve counts, one per month of first renewal (1..12)."""
    if not isinstance(value, list | tuple):
        raise PydanticCustomError(
            "not_a_list", "must be a list of 12 counts (got {got})", {"got": _clip(repr(value))}
        )
    if len(value) != 12:
        raise PydanticCustomError(
            "twelve", "must list 12 counts, one per month 1..12 (got {n})", {"n": len(value)}
        )
    return value


def _month_span(value: Any) -> Any:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise PydanticCustomError(
            "span",
            "must be [first month, last month] (got {got})",
            {"got": _clip(repr(value))},
        )
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)


class Segment(_Model):
    """One customer segment (a tier or market) with its prices, acquisition and retention."""

    name: Name
    list_price: Price
    new_customers: NewCount = 0.0
    acquisition_growth: MonthlyRate = 0.0
    annual_share: Share = 0.0
    annual_discount: Discount | None = None
    monthly_churn: Share = 0.0
    annual_churn: Share = 0.0
    monthly_expansion: MonthlyRate = 0.0
    annual_expansion: RenewalChange = 0.0
    existing_monthly_customers: Count = 0.0
    existing_annual_customers: Count = 0.0
    existing_annual_discount: Discount | None = None
    existing_annual_renewals: Annotated[tuple[Count, ...], BeforeValidator(_renewals)] | None = None
    annual_share_at_no_discount: Share | None = None
    conversion_rate: SwitchRate = 0.0
    conversion_months: Annotated[tuple[Month, Month], BeforeValidator(_month_span)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _base_from_calendar(cls, data: Any) -> Any:
        """A renewal calendar without a base count gives the base: their sum."""
        if not isinstance(data, dict) or "existing_annual_customers" in data:
            return data
        calendar = data.get("existing_annual_renewals")
        if isinstance(calendar, list | tuple) and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in calendar
        ):
            return {**data, "existing_annual_customers": math.fsum(calendar)}
        return data

    @model_validator(mode="after")
    def _calendar_matches_base(self) -> Self:
        calendar = self.existing_annual_renewals
        if calendar is not None:
            total, base = math.fsum(calendar), self.existing_annual_customers
            if abs(total - base) > 1e-9 * max(abs(total), abs(base)):
                raise _field_rule(
                    "existing_annual_renewals",
                    "must add up to existing_annual_customers ({base}) (got {total})",
                    base=_fmt(base),
                    total=_fmt(total),
                )
        span = self.conversion_months
        if span is not None and span[0] > span[1]:
            raise _field_rule(
                "conversion_months",
                "the first month must not come after the last (got [{a}, {b}])",
                a=span[0],
                b=span[1],
            )
        return self

    def renewal_calendar(self) -> tuple[float, ...]:
        """Existing annual customers by month of first renewal 1..12 (an even spread by default)."""
        if self.existing_annual_renewals is not None:
            return tuple(self.existing_annual_renewals)
        return (self.existing_annual_customers / 12.0,) * 12

    def take_up_at_no_discount(self) -> float:
        """The share that would choose annual with no discount (``annual_share`` by default)."""
        if self.annual_share_at_no_discount is None:
            return self.annual_share
        return self.annual_share_at_no_discount


class Uncertainty(_Model):
    """Coefficients of variation of the per-path multipliers used by the Monte Carlo only."""

    churn: Variation = 0.0
    acquisition: Variation = 0.0


class Scenario(_Model):
    """A whole what-if scenario: global settings plus 1..20 segments."""

    name: Name
    description: Annotated[str, _text(2000, required=False)] = ""
    horizon_months: Annotated[int, BeforeValidator(_whole), _between(1, 120)] = 36
    annual_discount: Discount = 0.15
    cost_of_capital: Share = 0.10
    currency: Annotated[str, _text(12, required=True), AfterValidator(_currency_text)] = "USD"
    billing_effect: Share = 0.5
    lifetime_months: Annotated[int, BeforeValidator(_whole), _between(12, 600)] = 120
    renewal_notice_months: Annotated[int, BeforeValidator(_whole), _between(0, 11)] = 0
    segments: Annotated[tuple[Segment, ...], Field(min_length=1, max_length=MAX_SEGMENTS)]
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)

    @model_validator(mode="before")
    @classmethod
    def _signed_discount_as_written(cls, data: Any) -> Any:
        """Contracts already signed keep the discount written for the segment when the file gives
        none of their own: filled in here, so later edits of the discount never reprice them."""
        if not isinstance(data, dict) or not isinstance(data.get("segments"), list | tuple):
            return data
        top = data.get("annual_discount", 0.15)
        segments = []
        for seg in data["segments"]:
            if isinstance(seg, dict) and seg.get("existing_annual_discount") is None:
                own = seg.get("annual_discount")
                written = top if own is None else own
                if _is_discount(written):
                    seg = {**seg, "existing_annual_discount": written}
            segments.append(seg)
        return {**data, "segments": segments}

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Self:
        """Rules that need the scenario: lifetime in whole years, switching inside the horizon,
        and a take-up response only where there is a discount to respond to."""
        if self.lifetime_months % 12:
            raise _field_rule(
                "lifetime_months",
                "must be a whole number of years, a multiple of 12 (got {got})",
                got=self.lifetime_months,
            )
        for i, seg in enumerate(self.segments):
            span = seg.conversion_months
            if span is not None and not 1 <= span[0] <= span[1] <= self.horizon_months:
                raise _field_rule(
                    f"segments[{i}].conversion_months",
                    "must lie within months 1 and {h} (got [{a}, {b}])",
                    h=self.horizon_months,
                    a=span[0],
                    b=span[1],
                )
            s0 = seg.annual_share_at_no_discount
            if self.discount_for(seg) == 0 and s0 is not None and s0 != seg.annual_share:
                raise _field_rule(
                    f"segments[{i}].annual_share_at_no_discount",
                    "must equal annual_share ({s}) when annual_discount is 0 (got {got})",
                    s=_fmt(seg.annual_share),
                    got=_fmt(s0),
                )
        return self

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

    def signed_discount_for(self, segment: Segment) -> float:
        """The discount of the annual contracts already signed (month 0's base)."""
        if segment.existing_annual_discount is None:
            return self.discount_for(segment)
        return segment.existing_annual_discount

    def conversion_span(self, segment: Segment) -> tuple[int, int]:
        """First and last month of switching (the whole horizon by default)."""
        if segment.conversion_months is None:
            return 1, self.horizon_months
        return segment.conversion_months

    def with_segments(self, **changes: Any) -> Scenario:
        """A copy with the same field changes on every segment, validated like any input."""
        data = self.to_dict(compact=False)
        data["segments"] = [_changed(seg, changes) for seg in data["segments"]]
        return parse_scenario(data)

    def varied(self, **changes: Any) -> Scenario:
        """A copy with scenario-level fields changed, validated like any input. The signed
        contracts' discount stays explicit, so changing the discount never reprices them."""
        return parse_scenario({**self.to_dict(compact=False), **changes})

    def to_dict(self, *, compact: bool = True) -> dict[str, Any]:
        """Plain data for YAML/JSON: unset options dropped, whole floats as ints. ``compact``
        also drops a signed discount equal to the one written for the segment (reading the data
        back fills it in again); variants keep it, so it never follows a changed discount."""
        data = self.model_dump(mode="python")
        for seg, model in zip(data["segments"], self.segments, strict=True):
            for key in _OPTIONAL_SEGMENT_FIELDS:
                if seg.get(key) is None:
                    seg.pop(key, None)
            if compact and seg.get("existing_annual_discount") == self.discount_for(model):
                seg.pop("existing_annual_discount")
        return _tidy(data)


def _changed(segment: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A segment's data with changes; a new annual base count scales its renewal calendar."""
    out = {**segment, **changes}
    calendar = segment.get("existing_annual_renewals")
    rescale = "existing_annual_customers" in changes and "existing_annual_renewals" not in changes
    if calendar is not None and rescale:
        old, new = segment["existing_annual_customers"], changes["existing_annual_customers"]
        out["existing_annual_renewals"] = [r * new / old for r in calendar] if old else None
    return out


_OPTIONAL_SEGMENT_FIELDS = (
    "annual_discount",
    "existing_annual_discount",
    "existing_annual_renewals",
    "annual_share_at_no_discount",
    "conversion_months",
)


def _is_discount(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value < 1
    )


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
    """One readable line per validation problem, each starting with the field path; after
    MAX_SHOWN of them one line counts the rest. Only the lines shown get a "did you mean"
    search (thousands of unknown keys took seconds)."""
    lines: list[str] = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        path = _path(loc)
        kind = err["type"]
        if kind == "duplicate_segment":
            lines.append(err["msg"])
            continue
        if kind == "field_rule":
            lines.append(f"{path}.{err['msg']}" if path else err["msg"])
            continue
        if kind == "extra_forbidden":
            hint = _suggest(loc[:-1], loc[-1]) if len(lines) < MAX_SHOWN else ""
            lines.append(f"{path}: unknown field{hint}")
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
    return capped(lines)


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
    segments = data.get("segments")
    if isinstance(segments, list | tuple) and len(segments) > MAX_SEGMENTS:
        # refused before validating thousands of segments (a short link can expand to that)
        raise ScenarioError(
            [f"segments: must list between 1 and {MAX_SEGMENTS} segments (got {len(segments):,})"]
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_errors(exc)) from None
