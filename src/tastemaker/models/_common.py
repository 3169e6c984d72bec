"""Helpers shared by the model families: parameter checks and numba thread control."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from tastemaker.errors import ParameterError

__all__ = [
    "SERIAL_BELOW",
    "check_choice",
    "check_float",
    "check_int",
    "check_number",
    "check_seed",
    "numba_threads",
    "serial_below",
]


def check_number(
    label: str,
    name: str,
    value: Any,
    minimum: float,
    *,
    integer: bool = False,
    strict: bool = False,
    optional: bool = False,
) -> None:
    """ParameterError unless ``value`` is a finite number (an int with ``integer``)
    ``>= minimum`` (``>`` with ``strict``), or None with ``optional``.

    The message names the model, the parameter, the bound and what was given:
    ``ALS: parameter "n_factors" must be an int >= 1, got 0.``
    """
    if optional and value is None:
        return
    kind = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    bad = isinstance(value, bool) or not isinstance(value, kind)
    if not bad:
        bad = not np.isfinite(value) or (value <= minimum if strict else value < minimum)
    if bad:
        what = "an int" if integer else "a number"
        op = ">" if strict else ">="
        none = " or None" if optional else ""
        raise ParameterError(
            f'{label}: parameter "{name}" must be {what} {op} {minimum:g}{none}, got {value!r}.'
        )


def check_int(label: str, name: str, value: Any, minimum: int) -> None:
    """ParameterError unless ``value`` is an int >= ``minimum``."""
    check_number(label, name, value, minimum, integer=True)


def check_float(
    label: str, name: str, value: Any, minimum: float, *, strict: bool = False, optional=False
) -> None:
    """ParameterError unless ``value`` is a finite number >= (``strict``: >) ``minimum``."""
    check_number(label, name, value, minimum, strict=strict, optional=optional)


def check_seed(label: str, value: Any) -> None:
    """ParameterError unless ``value`` is None or an int >= 0."""
    if value is not None:
        check_int(label, "random_state", value, 0)


def check_choice(label: str, name: str, value: Any, choices: tuple[str, ...]) -> None:
    """ParameterError unless ``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ParameterError(
            f'{label}: parameter "{name}" must be one of {options}; got {value!r}.'
        )


@contextmanager
def numba_threads(n_threads: int) -> Iterator[int]:
    """Run numba parallel kernels on ``n_threads`` threads (0: all), restoring the
    previous setting afterwards. Yields the number of threads used."""
    import numba

    available = numba.config.NUMBA_NUM_THREADS
    n = available if n_threads == 0 else min(n_threads, available)
    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(previous)


SERIAL_BELOW = 20_000
"""Interactions under which fits run on one thread: starting threads costs more than
it saves on such small problems (results do not depend on the thread count)."""


def serial_below(n_interactions: int, n_threads: int) -> int:
    """``n_threads``, or 1 for problems under ``SERIAL_BELOW`` interactions."""
    return 1 if n_interactions < SERIAL_BELOW else n_threads
