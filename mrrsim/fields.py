"""The numeric bounds of the scenario's fields, read from the models themselves, so that every
range in the app (sensitivity moves, Compare's tweaks, input widgets) follows the validation in
``mrrsim.scenario`` instead of retyping it.

A field's bounds are whatever its validator checks: a metadata object with ``lo`` and ``hi``
attributes when the field carries one, else the bounds captured by the range validator
(``scenario._between``), read with ``inspect.getclosurevars``."""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel

__all__ = ["Bounds", "bounds"]


@dataclass(frozen=True)
class Bounds:
    """A field's valid range: ``lo``..``hi``, either end possibly open."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    def inside(self) -> tuple[float, float]:
        """The closed range of valid values: an open end moved to the nearest valid float."""
        lo = math.nextafter(self.lo, math.inf) if self.lo_open else self.lo
        hi = math.nextafter(self.hi, -math.inf) if self.hi_open else self.hi
        return lo, hi

    def clip(self, value: float) -> float:
        """``value`` within [lo, hi] (an open end itself stays invalid, for the validator to
        name)."""
        return min(max(value, self.lo), self.hi)


def _metadata(model: type[BaseModel], name: str) -> list[Any]:
    """The field's metadata, also from inside ``Annotated[...] | None``."""
    info = model.model_fields[name]
    found = list(info.metadata)
    for arg in get_args(info.annotation):
        if get_origin(arg) is Annotated:
            found.extend(arg.__metadata__)
    return found


def _from(item: Any) -> Bounds | None:
    if hasattr(item, "lo") and hasattr(item, "hi"):
        return Bounds(
            float(item.lo),
            float(item.hi),
            bool(getattr(item, "lo_open", False)),
            bool(getattr(item, "hi_open", False)),
        )
    func = getattr(item, "func", None)
    if func is None or not inspect.isfunction(func) or func.__closure__ is None:
        return None
    names = inspect.getclosurevars(func).nonlocals
    if not {"lo", "hi"} <= names.keys():
        return None
    return Bounds(
        float(names["lo"]),
        float(names["hi"]),
        bool(names.get("lo_open", False)),
        bool(names.get("hi_open", False)),
    )


def bounds(model: type[BaseModel], name: str) -> Bounds:
    """The valid range of ``model``'s numeric field ``name`` (LookupError when it has none)."""
    if name not in model.model_fields:
        raise LookupError(f"{model.__name__} has no field {name!r}")
    for item in _metadata(model, name):
        found = _from(item)
        if found is not None:
            return found
    raise LookupError(f"{model.__name__}.{name} has no numeric bounds")
