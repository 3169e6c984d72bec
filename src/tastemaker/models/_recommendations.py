"""Recommendations: the typed result of ``recommend`` and ``recommend_history``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SOURCES", "Recommendations"]

MODEL = "model"
POPULAR_FALLBACK = "fallback:popular"
COLD_ITEM = "cold-item"
UNKNOWN_ITEM = "unknown-item"

SOURCES: dict[str, str] = {
    MODEL: "ranked by the model's score",
    POPULAR_FALLBACK: "the user got the popularity fallback (score: training users of the item)",
    COLD_ITEM: "an item the model cannot score (no training interactions), ranked after "
    "every item it scored (no score)",
    UNKNOWN_ITEM: "a candidate item unknown to the model, ranked last (no score)",
}
"""Where a row of a recommendation list came from (the ``source`` column)."""


@dataclass(frozen=True, eq=False)
class Recommendations:
    """Top-k lists: one row per (user, item), users in the order asked, then by rank.

    Attributes
    ----------
    users, items : ndarray
        External ids of each row.
    ranks : ndarray of int64
        Position in the user's list, from 1.
    scores : ndarray of float32
        The model's score (a fallback's score for fallback rows; NaN for items the
        model could not score, which rank last).
    sources : ndarray of str
        Where each row came from; see :data:`SOURCES`.
    fallback : dict
        Users who did not get the model's own ranking, and why (``"unknown user"``,
        ``"no training history"``, ``"no known items in history"``, ...).
    unknown_items : list
        Candidate items the model does not know (ranked last, source ``unknown-item``).
    int_users, int_items : bool
        Whether the model's user / item ids are integers (for the frame's dtypes).
    """

    users: np.ndarray
    items: np.ndarray
    ranks: np.ndarray
    scores: np.ndarray
    sources: np.ndarray
    fallback: dict[Any, str] = field(default_factory=dict)
    unknown_items: list[Any] = field(default_factory=list)
    int_users: bool = False
    int_items: bool = False

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        n_users = len(pd.unique(self.users)) if len(self.users) else 0
        return (
            f"Recommendations({len(self)} rows for {n_users} users, "
            f"{len(self.fallback)} fallback users)"
        )

    @property
    def fallback_users(self) -> list[Any]:
        """Users who got a fallback instead of the model's ranking, in the order asked."""
        return list(self.fallback)

    def to_frame(self) -> pd.DataFrame:
        """Columns ``user``, ``item``, ``rank``, ``score``, ``source``."""
        return pd.DataFrame(
            {
                "user": _ids(self.users, self.int_users),
                "item": _ids(self.items, self.int_items),
                "rank": self.ranks.astype(np.int64),
                "score": self.scores.astype(np.float32),
                "source": pd.Series(self.sources, dtype=object),
            }
        )

    def describe_fallback(self, limit: int = 5) -> str | None:
        """One line naming the fallback users by reason, or None when there are none."""
        if not self.fallback:
            return None
        by_reason: dict[str, list[Any]] = {}
        for user, reason in self.fallback.items():
            by_reason.setdefault(reason, []).append(user)
        parts = []
        for reason, users in by_reason.items():
            shown = ", ".join(map(str, users[:limit])) + (" ..." if len(users) > limit else "")
            parts.append(f"{len(users)} ({reason}): {shown}")
        return f"{len(self.fallback)} users got the popularity fallback: " + "; ".join(parts)


def _ids(values: np.ndarray, as_int: bool) -> pd.Series:
    """Ids as given: int64 when the model's ids are integers and every id here is one;
    anything else (``"01"``, an unknown text id) stays as it was, never converted."""
    series = pd.Series(values, dtype=object)
    if as_int and len(series) and pd.api.types.infer_dtype(series, skipna=False) == "integer":
        return series.astype(np.int64)  # integers only (booleans, text and floats stay)
    return series
