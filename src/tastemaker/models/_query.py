"""The query: everything a model may read at scoring time, built by the base class.

One query serves ``score``, ``recommend``, ``recommend_history``, ``fold_in`` and
``update``: a matrix model reads the history rows ``X``, a sequence model the ordered
``sequences``, a feature model the ``features`` of users it has not seen. A model reads
what it needs and ignores the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker._typing import Index

__all__ = ["Query", "Sequences", "gather_rows"]


def gather_rows(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a ragged array with offsets ``indptr`` (a CSR matrix, :class:`Sequences`): the
    offsets of the rows ``rows`` (-1: an empty row) and the positions of their entries in
    the source arrays."""
    rows = np.asarray(rows, dtype=np.int64)
    valid = rows >= 0
    lengths = np.zeros(len(rows), dtype=np.int64)
    lengths[valid] = (indptr[1:] - indptr[:-1])[rows[valid]]
    out = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out[1:])
    starts = np.repeat(np.where(valid, indptr[np.maximum(rows, 0)], 0), lengths)
    positions = starts + (np.arange(int(out[-1])) - np.repeat(out[:-1], lengths))
    return out, positions


@dataclass(frozen=True, eq=False)
class Sequences:
    """Ordered histories, one row per user: a ragged array of events.

    Row ``r`` holds the events ``indptr[r]:indptr[r + 1]`` in time order (stable: events
    with equal or no timestamps keep their given order).

    Attributes
    ----------
    indptr : ndarray of int64, shape (n_rows + 1,)
    items : ndarray of int32
        Item positions of the events.
    timestamps : ndarray of int64 or None
        Unix seconds of the events; None when the data has no timestamps.
    values : ndarray of float32
        The event values the model learns from (weights, ratings or 1).
    """

    indptr: np.ndarray
    items: np.ndarray
    timestamps: np.ndarray | None
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.indptr) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def last_items(self, n: int = 1) -> np.ndarray:
        """The last ``n`` items of each row, shape (n_rows, n), most recent last; rows
        shorter than ``n`` are padded with -1 on the left."""
        out = np.full((len(self), n), -1, dtype=np.int32)
        lengths = self.lengths
        for j in range(n):
            has = lengths > j
            out[has, n - 1 - j] = self.items[self.indptr[1:][has] - 1 - j]
        return out

    def take(self, rows: np.ndarray) -> Sequences:
        """The rows ``rows`` (positions; -1 gives an empty row), in that order."""
        indptr, positions = gather_rows(self.indptr, rows)
        ts = None if self.timestamps is None else self.timestamps[positions]
        return Sequences(indptr, self.items[positions], ts, self.values[positions])

    @classmethod
    def from_events(
        cls,
        rows: np.ndarray,
        items: np.ndarray,
        values: np.ndarray,
        timestamps: np.ndarray | None,
        n_rows: int,
    ) -> Sequences:
        """Group events by row (``rows[e]`` in 0..n_rows-1), each row in time order
        (stable: the given order breaks ties and orders events without timestamps)."""
        rows = np.asarray(rows, dtype=np.int64)
        keys = (rows,) if timestamps is None else (timestamps, rows)
        order = np.lexsort(keys) if len(rows) else np.zeros(0, dtype=np.int64)
        counts = np.bincount(rows, minlength=n_rows)
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        ts = None if timestamps is None else np.asarray(timestamps, dtype=np.int64)[order]
        return cls(
            indptr,
            np.asarray(items, dtype=np.int32)[order],
            ts,
            np.asarray(values, dtype=np.float32)[order],
        )

    def append(self, other: Sequences) -> Sequences:
        """Row ``r`` of ``self`` followed by row ``r`` of ``other`` (the latest events),
        each row then put in time order when both have timestamps (ties, and rows
        without timestamps, keep the old events first)."""
        n = len(self)
        rows = np.r_[np.repeat(np.arange(n), self.lengths), np.repeat(np.arange(n), other.lengths)]
        both = self.timestamps is not None and other.timestamps is not None
        ts = np.r_[self.timestamps, other.timestamps] if both else None
        items, values = np.r_[self.items, other.items], np.r_[self.values, other.values]
        return Sequences.from_events(rows, items, values, ts, n)

    def to_arrays(self) -> dict[str, np.ndarray]:
        out = {"indptr": self.indptr, "items": self.items, "values": self.values}
        if self.timestamps is not None:
            out["timestamps"] = self.timestamps
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Sequences:
        return cls(
            np.asarray(arrays["indptr"], dtype=np.int64),
            np.asarray(arrays["items"], dtype=np.int32),
            None if "timestamps" not in arrays else np.asarray(arrays["timestamps"], np.int64),
            np.asarray(arrays["values"], dtype=np.float32),
        )


@dataclass(eq=False)
class Query:
    """What a model sees for one block of users.

    Attributes
    ----------
    user_idx : ndarray of int32, shape (n_rows,)
        Positions of the users in the model's ``users_``; -1 for users it does not know.
    user_ids : ndarray of object, shape (n_rows,)
        The external ids (for messages, and models that key on them).
    trained : ndarray of bool, shape (n_rows,)
        True where the row's history is exactly that user's training history, so a
        model may use what it learned for the user (factors, neighbours) instead of
        folding the history in.
    X : csr_array of shape (n_rows, n_items)
        Each row's history as the model learned interactions (its ``matrix_values``:
        summed weights, ratings, or 1). Rows of users without history are empty.
    sequences : Sequences or None
        The same histories in time order with timestamps; built only for models that
        use sequences.
    features : DataFrame or None
        Features of users the model has not seen, one row per query row (same order;
        missing values as NaN), when the caller gave any.
    item_idx : ndarray of int32 or None
        The candidate items (columns of the scores); None: every item of ``items_``.
    context : DataFrame or None
        Optional context per row (time, device, session, ...).
    n_items : int
        Size of the model's catalog (the columns of ``X``).
    """

    user_idx: Index
    user_ids: np.ndarray
    trained: np.ndarray
    X: sp.csr_array
    sequences: Sequences | None = None
    features: pd.DataFrame | None = None
    item_idx: Index | None = None
    context: pd.DataFrame | None = None
    n_items: int = 0

    def __len__(self) -> int:
        return len(self.user_idx)

    @property
    def n_cols(self) -> int:
        """Number of score columns: candidates, or every item."""
        return self.n_items if self.item_idx is None else len(self.item_idx)

    def select(self, rows: Any) -> Query:
        """The query restricted to ``rows`` (a slice, positions or a boolean mask)."""
        if isinstance(rows, slice):
            positions = np.arange(len(self))[rows]
        else:
            rows = np.asarray(rows)
            positions = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.int64)
        return Query(
            user_idx=self.user_idx[positions],
            user_ids=self.user_ids[positions],
            trained=self.trained[positions],
            X=self.X[positions],
            sequences=None if self.sequences is None else self.sequences.take(positions),
            features=None if self.features is None else _take_rows(self.features, positions),
            item_idx=self.item_idx,
            context=None if self.context is None else _take_rows(self.context, positions),
            n_items=self.n_items,
        )

    def columns(self, scores: np.ndarray) -> np.ndarray:
        """``scores`` over every item restricted to the candidate columns."""
        return scores if self.item_idx is None else scores[:, self.item_idx]


def _take_rows(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    return frame.iloc[positions].reset_index(drop=True)
