"""Ratings outside their scale: found on load (a warning), or refused with ``rating_range``.

A rating of 300 or -2 among ratings from 1 to 5 is almost always a typo or a sentinel
("no rating") that would skew every model learning from ratings. Two checks:

- :func:`out_of_range` - with a stated range (``rating_range=(1, 5)``, ``--rating-range
  1,5``): every rating outside it is refused with a clear error.
- :func:`suspicious_ratings` - without one: ratings far outside the scale the bulk of the
  ratings keeps, or off its step, are reported once (they are kept).

The scale is found from the ratings themselves. The bulk is the ratings between the 1st
and the 99th percentile (``low`` to ``high``); it looks like a rating scale when it holds
at most 101 distinct values (1-5 stars, half stars, 1-10, percentages). A rating is
suspicious when it lies more than half the scale's width outside it (below ``low -
(high - low) / 2`` or above ``high + (high - low) / 2``; a bulk of one value counts as
wide as that value, at least 1), or when at least 99% of the ratings are whole (or half)
numbers and it is not. So among 1-5 stars, -2, 8 and 300 are suspicious, 0 and 6 are
not (plausible ends of a scale), and 3.7 is when 99% are whole. Up to 1% of outliers
are found this way; more than that make up part of the bulk. Ratings that do not look
like a scale (counts, continuous scores) are not checked: state their range instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tastemaker._validation import Check, Interval, check
from tastemaker.errors import DataError, hint

__all__ = [
    "RATING_RANGE",
    "RatingScale",
    "check_rating_range",
    "out_of_range",
    "rating_scale",
    "suspicious_ratings",
]


def _is_range(value: Any) -> bool:
    number = Interval("real")
    return (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(number.accepts(end) for end in value)
        and value[0] < value[1]
    )


RATING_RANGE = Check(_is_range, "a pair of numbers (low, high) with low < high")


def check_rating_range(value: Any, owner: str = "read_interactions") -> tuple[float, float]:
    """``value`` as ``(low, high)`` floats, or a ParameterError in the one wording
    (``--rating-range must be ...`` on the command line)."""
    check(owner, "rating_range", value, RATING_RANGE, flag="--rating-range")
    return float(value[0]), float(value[1])


MAX_LEVELS = 101
"""A bulk of ratings with more distinct values than this is not treated as a scale."""


@dataclass(frozen=True)
class RatingScale:
    """The scale the bulk of the ratings keeps: ``low`` to ``high`` in steps of ``step``
    (None: no common step)."""

    low: float
    high: float
    step: float | None

    def describe(self) -> str:
        steps = f" in steps of {self.step:g}" if self.step else ""
        return f"{self.low:g} to {self.high:g}{steps}"


def rating_scale(ratings: np.ndarray) -> RatingScale | None:
    """The scale of ``ratings`` (see the module notes), or None when they do not look
    like a rating scale or there are none."""
    values = np.asarray(ratings, dtype=np.float64)
    if len(values) == 0:
        return None
    low, high = np.quantile(values, [0.01, 0.99], method="inverted_cdf")
    bulk = values[(values >= low) & (values <= high)]
    if len(np.unique(bulk)) > MAX_LEVELS:
        return None
    step = None
    for candidate in (1.0, 0.5):
        if np.mean(_on_step(values, candidate)) >= 0.99:
            step = candidate
            break
    return RatingScale(float(low), float(high), step)


def _on_step(values: np.ndarray, step: float) -> np.ndarray:
    scaled = values / step
    return np.abs(scaled - np.round(scaled)) < 1e-6


def suspicious_ratings(ratings: np.ndarray) -> tuple[np.ndarray, RatingScale | None]:
    """Which ratings lie far outside the scale of the others or off its step (a boolean
    mask), and that scale (None: the ratings do not look like a scale; nothing flagged)."""
    values = np.asarray(ratings, dtype=np.float64)
    scale = rating_scale(values)
    if scale is None:
        return np.zeros(len(values), dtype=bool), None
    width = scale.high - scale.low
    margin = width / 2 if width > 0 else max(abs(scale.high), 1.0)
    far = (values < scale.low - margin) | (values > scale.high + margin)
    if scale.step is not None:
        far |= ~_on_step(values, scale.step)
    return far, scale


def out_of_range(ratings: np.ndarray, rating_range: tuple[float, float]) -> np.ndarray:
    """Which ratings lie outside ``rating_range`` (both ends included)."""
    low, high = rating_range
    values = np.asarray(ratings, dtype=np.float64)
    return (values < low) | (values > high)


def _listed(ratings: np.ndarray, positions: np.ndarray, where: Callable[[int], str]) -> str:
    shown = "; ".join(f"{where(int(p))}: {float(ratings[p]):g}" for p in positions[:5])
    return shown + (f"; and {len(positions) - 5} more" if len(positions) > 5 else "")


def range_error(
    ratings: np.ndarray,
    outside: np.ndarray,
    rating_range: tuple[float, float],
    where: Callable[[int], str],
    source: str,
) -> DataError:
    """The error for ratings outside a stated range, naming the rows at fault."""
    positions = np.flatnonzero(outside)
    low, high = rating_range
    n = len(positions)
    return DataError(
        f"{source}: {n} rating{'s' if n > 1 else ''} outside the rating range {low:g} to "
        f"{high:g}: {_listed(ratings, positions, where)}. Fix or remove those rows, or "
        + hint(
            python="widen rating_range.",
            cli="widen --rating-range.",
        )
    )


def suspicious_message(
    ratings: np.ndarray,
    suspicious: np.ndarray,
    scale: RatingScale,
    where: Callable[[int], str],
    source: str,
) -> str:
    """The warning for suspicious ratings, naming the rows and how to handle them."""
    positions = np.flatnonzero(suspicious)
    n = len(positions)
    low, high = scale.low, scale.high
    return (
        f"{source}: {n} rating{'s' if n > 1 else ''} do{'' if n > 1 else 'es'} not fit the "
        f"scale of the others ({scale.describe()}), kept: "
        f"{_listed(ratings, positions, where)}. Fix or remove "
        "those rows, or state the scale to refuse ratings outside it: "
        + hint(python=f"rating_range=({low:g}, {high:g}).", cli=f"--rating-range {low:g},{high:g}.")
    )
