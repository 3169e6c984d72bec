"""One validation layer for parameter constraints, with one wording for every error.

Models, splitters, cleaning steps, metrics and the command line declare what a
parameter may be and call :func:`check` (one value) or :func:`validate` (a dict of
constraints, as scikit-learn's ``_parameter_constraints``). Every refusal reads::

    ALS: parameter "n_factors" must be an int >= 1, got 0.

On the command line (see :func:`tastemaker.errors.interface`) a parameter that came
from a flag is named by the flag instead: ``--k must be an int >= 1, got 0.``

Constraints
-----------
- :class:`Interval` - a number (``int`` or ``real``) within bounds;
- :class:`Options` - one of a fixed set of values;
- ``bool`` - True or False;
- ``None`` - the value may be None;
- ``str`` - any string;
- :data:`SEED` - None or an int >= 0;
- a callable ``value -> bool`` wrapped in :class:`Check` with its description.

A list of constraints means "any of these".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from tastemaker.errors import ParameterError, in_cli

__all__ = [
    "SEED",
    "Check",
    "Interval",
    "Options",
    "check",
    "describe",
    "param_error",
    "validate",
]


@dataclass(frozen=True)
class Interval:
    """A number in ``[low, high]``; ``closed`` says which ends are included.

    ``kind="int"`` accepts Python and NumPy integers (never booleans); ``"real"``
    accepts any finite int or float.
    """

    kind: Literal["int", "real"]
    low: float | None = None
    high: float | None = None
    closed: Literal["both", "left", "right", "neither"] = "both"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, (bool, np.bool_)):
            return False
        kinds = (int, np.integer) if self.kind == "int" else (int, float, np.integer, np.floating)
        if not isinstance(value, kinds):
            return False
        if not math.isfinite(float(value)):
            return False
        if self.low is not None:
            if value < self.low or (value == self.low and self.closed in ("right", "neither")):
                return False
        if self.high is not None:
            if value > self.high or (value == self.high and self.closed in ("left", "neither")):
                return False
        return True

    def describe(self) -> str:
        what = "an int" if self.kind == "int" else "a number"
        low_inc = self.closed in ("both", "left")
        high_inc = self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            left = "[" if low_inc else "("
            right = "]" if high_inc else ")"
            return f"{what} in {left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            return f"{what} {'>=' if low_inc else '>'} {self.low:g}"
        if self.high is not None:
            return f"{what} {'<=' if high_inc else '<'} {self.high:g}"
        return what


@dataclass(frozen=True)
class Options:
    """One of ``values`` (compared with ``==``; strings are case-sensitive)."""

    values: tuple[Any, ...]

    def __init__(self, values: Iterable[Any]) -> None:
        object.__setattr__(self, "values", tuple(values))

    def accepts(self, value: Any) -> bool:
        return any(type(value) is type(v) and value == v for v in self.values) or (
            not isinstance(value, str) and value in self.values
        )

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class Check:
    """A free-form constraint: ``test(value)`` is True when the value is acceptable."""

    test: Callable[[Any], bool]
    description: str

    def accepts(self, value: Any) -> bool:
        try:
            return bool(self.test(value))
        except (TypeError, ValueError):
            return False

    def describe(self) -> str:
        return self.description


SEED = Interval("int", 0)
"""Seeds are ints >= 0 (``random_state``); add ``None`` where a seed may be drawn."""

Constraint = Interval | Options | Check | type | None


def _accepts(constraint: Constraint, value: Any) -> bool:
    if constraint is None:
        return value is None
    if constraint is bool:
        return isinstance(value, (bool, np.bool_))
    if constraint is str:
        return isinstance(value, str)
    if isinstance(constraint, type):
        return isinstance(value, constraint) and not isinstance(value, (bool, np.bool_))
    return constraint.accepts(value)


def _describe_one(constraint: Constraint) -> str:
    if constraint is None:
        return "None"
    if constraint is bool:
        return "True or False"
    if constraint is str:
        return "a string"
    if isinstance(constraint, type):
        return f"a {constraint.__name__}"
    return constraint.describe()


def describe(constraints: Constraint | list[Constraint]) -> str:
    """What the constraints accept, in words: ``an int >= 1 or None``."""
    items = constraints if isinstance(constraints, list) else [constraints]
    parts = [_describe_one(c) for c in items if c is not None]
    if any(c is None for c in items):
        parts.append("None")
    if len(parts) <= 2:
        return " or ".join(parts)
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _shown(value: Any) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def param_error(
    owner: str | None, name: str, expected: str, value: Any, *, flag: str | None = None
) -> ParameterError:
    """The one wording of a refused parameter (see the module docstring)."""
    if flag is not None and in_cli():
        return ParameterError(f"{flag} must be {expected}, got {_shown(value)}.")
    prefix = f"{owner}: " if owner else ""
    return ParameterError(f'{prefix}parameter "{name}" must be {expected}, got {_shown(value)}.')


def check(
    owner: str | None,
    name: str,
    value: Any,
    constraints: Constraint | list[Constraint],
    *,
    flag: str | None = None,
) -> Any:
    """Return ``value`` if it meets any of ``constraints``, else raise ParameterError.

    ``owner`` names what the parameter belongs to (``"ALS"``, ``"RandomHoldout"``);
    ``flag`` is the command-line flag that sets it (``"--k"``), used in the message
    when the command line is running.
    """
    items = constraints if isinstance(constraints, list) else [constraints]
    if any(_accepts(c, value) for c in items):
        return value
    raise param_error(owner, name, describe(items), value, flag=flag)


def validate(
    owner: str,
    params: Mapping[str, Any],
    constraints: Mapping[str, Constraint | list[Constraint]],
) -> None:
    """Check every parameter that has a constraint (see :func:`check`)."""
    for name, constraint in constraints.items():
        if name in params:
            check(owner, name, params[name], constraint)
