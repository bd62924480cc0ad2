"""mrrsim.fields: each numeric field's bounds read from the scenario model agree with what the
model accepts and refuses, at the edges."""

from __future__ import annotations

import math
from typing import Annotated

import pytest
from pydantic import AfterValidator, BaseModel

from mrrsim.fields import Bounds, bounds
from mrrsim.scenario import Scenario, ScenarioError, Segment, Uncertainty
from mrrsim.yamlio import DEFAULT_PRESET, load_preset

NUMERIC = [
    (model, name)
    for model in (Scenario, Segment, Uncertainty)
    for name, info in model.model_fields.items()
    if info.annotation in (int, float) or name == "annual_discount"
]


def _with(model: type, name: str, value: float) -> dict:
    """The default preset as data with one field (of the scenario, its first segment or its
    uncertainty) set to ``value``. Take-up responses are cleared: a discount of 0 with one is a
    cross-field problem, not a bound."""
    data = load_preset(DEFAULT_PRESET).model_dump(mode="python")
    for seg in data["segments"]:
        seg["annual_share_at_no_discount"] = None
    target = {Scenario: data, Segment: data["segments"][0], Uncertainty: data["uncertainty"]}
    target[model][name] = value
    return data


def _valid(data: dict) -> bool:
    try:
        Scenario.model_validate(data)
    except (ScenarioError, ValueError):
        return False
    return True


def test_known_bounds() -> None:
    assert bounds(Segment, "list_price") == Bounds(0.0, 1_000_000.0, lo_open=True)
    assert bounds(Segment, "annual_expansion") == Bounds(-0.9, 2.0)
    assert bounds(Segment, "annual_discount") == Bounds(0.0, 1.0, hi_open=True)  # in "| None"
    assert bounds(Scenario, "horizon_months") == Bounds(1.0, 120.0)
    assert bounds(Uncertainty, "churn") == Bounds(0.0, 2.0)


@pytest.mark.parametrize(("model", "name"), NUMERIC, ids=lambda v: getattr(v, "__name__", v))
def test_bounds_match_what_the_model_accepts(model: type, name: str) -> None:
    b = bounds(model, name)
    lo, hi = b.inside()
    assert _valid(_with(model, name, lo)) and _valid(_with(model, name, hi))

    def step(edge: float) -> float:
        return 1.0 if name == "horizon_months" else max(1e-9, abs(edge) * 1e-12)

    assert not _valid(_with(model, name, b.lo - step(b.lo)))
    assert not _valid(_with(model, name, b.hi + step(b.hi)))
    assert _valid(_with(model, name, b.lo)) is not b.lo_open
    assert _valid(_with(model, name, b.hi)) is not b.hi_open


def test_inside_and_clip() -> None:
    b = Bounds(0.0, 1.0, hi_open=True)
    assert b.inside() == (0.0, math.nextafter(1.0, 0.0))
    assert b.clip(1.5) == 1.0 and b.clip(-2) == 0.0 and b.clip(0.3) == 0.3


def test_fields_without_bounds_and_a_bounds_marker() -> None:
    with pytest.raises(LookupError, match="no numeric bounds"):
        bounds(Segment, "name")
    with pytest.raises(LookupError, match="no field"):
        bounds(Segment, "nope")

    class Marker:
        lo, hi, hi_open = 2, 5, True

    class Model(BaseModel):
        x: Annotated[float, Marker(), AfterValidator(lambda v: v)]

    assert bounds(Model, "x") == Bounds(2.0, 5.0, hi_open=True)
