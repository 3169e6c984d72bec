"""Markov: first-order item-to-item transitions, the standard next-item baseline."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker._typing import Index, Scores
from tastemaker._validation import Interval
from tastemaker.data import Dataset
from tastemaker.models._query import Query, Sequences
from tastemaker.models._tags import Tags
from tastemaker.models.base import Recommender
from tastemaker.models.registry import register

__all__ = ["Markov"]


@register("markov")
class Markov(Recommender):
    """First-order Markov chain over items: what follows the user's last item.

    Counts the transitions ``i -> j`` between consecutive events of each training
    user's history in time order (ties in time keep the data's row order) and scores
    the next item by the smoothed transition probability from the user's last item::

        P(j | i) = (T_ij + smoothing * p_j) / (T_i + smoothing)

    where ``T_ij`` counts the transitions, ``T_i`` those leaving ``i`` and ``p_j`` is
    ``j``'s share of all events (popularity): items never seen after ``i`` are ordered by
    popularity, and an item never left (the last of every history) scores by
    popularity alone. With ``window > 1`` the last ``window`` items each vote with
    weight ``decay ** age`` (age 0 for the last item): still first-order transitions,
    read from a few recent items.

    Being a sequence model it ranks from the latest history it is given
    (``recommend_history``: an anonymous session, or a known user's new events), and
    ``update`` adds the transitions of new events exactly. Users without any history
    get the popularity fallback.

    Parameters
    ----------
    smoothing : float, default=1.0
        Pseudo-transitions spread by popularity over every item (> 0).
    window : int, default=1
        How many of the latest items vote (1: the classic first-order chain).
    decay : float, default=0.5
        Weight of each older item in the window, relative to the next newer one.

    Attributes
    ----------
    transitions_ : csr_array of shape (n_items, n_items), float32
        ``T_ij``: how often ``j`` directly followed ``i`` in a training history.
    departures_ : ndarray of shape (n_items,), float32
        ``T_i``: the transitions leaving each item.
    event_share_ : ndarray of shape (n_items,), float32
        ``p_j``: each item's share of the training events.

    References
    ----------
    Rendle, Freudenthaler & Schmidt-Thieme (2010). Factorizing personalized Markov chains
    for next-basket recommendation. WWW (the first-order chain as a baseline).
    """

    matrix_values = "count"
    search_space: ClassVar[dict[str, tuple]] = {
        "smoothing": ("float", 0.01, 100.0, "log"),
        "window": ("int", 1, 5),
        "decay": ("float", 0.05, 1.0),
    }
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "smoothing": Interval("real", 0, closed="neither"),
        "window": Interval("int", 1, 100),
        "decay": Interval("real", 0, 1),
    }

    def __init__(self, smoothing: float = 1.0, window: int = 1, decay: float = 0.5) -> None:
        self.smoothing = smoothing
        self.window = window
        self.decay = decay

    def __tastemaker_tags__(self) -> Tags:
        return replace(
            super().__tastemaker_tags__(), uses_sequences=True, folds_in=True, updates=True
        )

    def _fit(self, data: Dataset) -> None:
        self._count(self.sequences_)

    def _count(self, sequences: Sequences) -> None:
        n_items = self.n_items
        items = sequences.items
        # consecutive events of the same row: positions p, p + 1 inside one row
        follows = np.ones(len(items), dtype=bool)
        follows[sequences.indptr[:-1][sequences.lengths > 0]] = False  # first of a row
        nxt = np.flatnonzero(follows)
        transitions = sp.csr_array(
            (np.ones(len(nxt), dtype=np.float32), (items[nxt - 1], items[nxt])),
            shape=(n_items, n_items),
        )
        transitions.sum_duplicates()
        transitions.sort_indices()
        self.transitions_ = transitions
        self.departures_ = np.asarray(transitions.sum(axis=1), dtype=np.float32).ravel()
        counts = np.bincount(items, minlength=n_items).astype(np.float64)
        self.event_share_ = (counts / max(counts.sum(), 1.0)).astype(np.float32)

    def _score(self, query: Query) -> Scores:
        window = int(self.window)
        last = query.sequences.last_items(window)  # built by the base: uses_sequences
        m = float(self.smoothing)
        out = np.zeros((len(query), self.n_items), dtype=np.float64)
        for age in range(window):
            items = last[:, window - 1 - age]
            valid = items >= 0
            if not valid.any():
                continue
            weight = float(self.decay) ** age
            rows = np.flatnonzero(valid)
            counts = self.transitions_[items[valid]].toarray()
            norm = (self.departures_[items[valid]] + m)[:, None]
            out[rows] += weight * (counts + m * self.event_share_[None, :]) / norm
        return query.columns(out.astype(np.float32))

    def _update(self, users: np.ndarray) -> None:
        self._count(self.sequences_)  # exact: every history's transitions, new events included

    def _grows_items(self) -> bool:
        return True

    def _explain(
        self, user_idx: Index, item_idx: Index, features: pd.DataFrame | None = None
    ) -> list[str] | None:
        last = self.sequences_.take(user_idx).last_items(1)[:, 0]
        out = []
        for prev, item in zip(last.tolist(), item_idx.tolist()):
            if prev < 0 or item < 0:
                out.append("popular: often chosen by other users")
                continue
            lo, hi = self.transitions_.indptr[prev], self.transitions_.indptr[prev + 1]
            cols = self.transitions_.indices[lo:hi]
            hits = self.transitions_.data[lo:hi][cols == item]
            n = int(hits[0]) if len(hits) else 0
            name = self.items_.ids[prev]
            out.append(
                f"often next after {name}: {n} of {int(self.departures_[prev])} times"
                if n
                else f"popular; rarely seen right after {name}"
            )
        return out
