"""Baselines: most popular, random, and user/item biases (BaselineOnly)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker._typing import Index, Scores
from tastemaker._validation import SEED, Check, Interval, param_error
from tastemaker.data import Dataset
from tastemaker.errors import DataError, hint
from tastemaker.models._query import Query
from tastemaker.models._tags import Tags
from tastemaker.models.base import DEFAULT_SEED, Recommender, pad_rows
from tastemaker.models.registry import register

__all__ = ["Bias", "Popular", "Random"]


@register("popular")
class Popular(Recommender):
    """Most popular items, overall or within the user's segment.

    Without ``segment_by`` the score of an item is the number of distinct training
    users who interacted with it, the same list for every user (known, unknown or
    given by a history); ties rank the lower item position first.

    With ``segment_by`` (user-table columns, e.g. ``"age,gender"``), users are grouped
    by those columns (numeric ones cut into ``n_bins`` quantile bins of the training
    users) and an item's score for a user in segment ``s`` is its smoothed popularity
    rate in the segment::

        score(s, i) = (c_si + shrinkage * p_i) / (n_s + shrinkage)

    where ``c_si`` users of the segment interacted with ``i``, ``n_s`` training users
    are in it and ``p_i`` is the share of all training users who did: small segments
    lean on the overall popularity. Training users are placed by the user table; users
    the model has not seen are placed by their features (``recommend(...,
    features=...)``, the extra columns of ``recommend --users FILE``). A user whose
    features lack a segment column gets the popularity fallback; a value never seen
    in training (a new category) gives ``n_s = 0``, i.e. the overall rates.

    Parameters
    ----------
    segment_by : str, list of str or None, default=None
        User-table columns defining the segments (a comma-separated string or a list).
    n_bins : int, default=4
        Quantile bins of each numeric segment column.
    shrinkage : float, default=10.0
        Pseudo-users of overall popularity added to every segment.

    Attributes
    ----------
    segments_ : dict
        Per segment column: ``{"kind": "bins", "edges": [...]}`` or
        ``{"kind": "categories", "values": [...]}``.
    user_segment_ : ndarray of int32, shape (n_users,)
        Each training user's segment (-1: not in the user table).
    segment_counts_ : ndarray of float32, shape (n_segments, n_items)
        Distinct users of each segment per item.
    segment_sizes_ : ndarray of float32, shape (n_segments,)
        Training users per segment.
    """

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "segment_by": [
            str,
            Check(
                lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
                "a list of column names",
            ),
            None,
        ],
        "n_bins": Interval("int", 1, 1000),
        "shrinkage": Interval("real", 0),
    }

    def __init__(
        self,
        segment_by: str | list[str] | None = None,
        n_bins: int = 4,
        shrinkage: float = 10.0,
    ) -> None:
        self.segment_by = segment_by
        self.n_bins = n_bins
        self.shrinkage = shrinkage

    def __tastemaker_tags__(self) -> Tags:
        segmented = bool(self._segment_columns())
        return replace(
            super().__tastemaker_tags__(),
            uses_features=segmented,
            scores_cold_users=True,
            scores_cold_items=True,
            folds_in=True,
            updates=True,
        )

    def _segment_columns(self) -> list[str]:
        value = self.segment_by
        if value is None:
            return []
        parts = value.split(",") if isinstance(value, str) else list(value)
        return [p.strip() for p in parts if p.strip()]

    def _check_params(self) -> None:
        super()._check_params()
        columns = self._segment_columns()
        if self.segment_by is not None and not columns:
            raise param_error("popular", "segment_by", "user-table column names", self.segment_by)
        if len(set(columns)) != len(columns):
            raise param_error("popular", "segment_by", "distinct column names", self.segment_by)

    def _fit(self, data: Dataset) -> None:
        columns = self._segment_columns()
        if not columns:
            return
        table = data.users
        if table is None:
            raise DataError(
                f"popular: segment_by={','.join(columns)} needs a user table with those "
                "columns; "
                + hint(python="give the Dataset users=...", cli="pass --user-table FILE")
            )
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise DataError(
                f"popular: segment_by names {missing}, but the user table has columns "
                f"{list(table.columns)}"
            )
        aligned = table.reindex(pd.Index(self.users_.ids))
        self.segments_ = {c: _segment_levels(aligned[c], int(self.n_bins)) for c in columns}
        n_segments = int(np.prod([_n_levels(v) for v in self.segments_.values()]))
        if n_segments > 100_000:
            raise DataError(
                f"popular: segment_by={','.join(columns)} makes {n_segments} segments; "
                "use fewer columns or fewer bins"
            )
        self.user_segment_ = self._segments_of(aligned)
        self._count_segments()

    def _count_segments(self) -> None:
        n_segments = int(np.prod([_n_levels(v) for v in self.segments_.values()]))
        known = self.user_segment_ >= 0
        onehot = sp.csr_array(
            (
                np.ones(int(known.sum()), dtype=np.float32),
                (self.user_segment_[known], np.flatnonzero(known)),
            ),
            shape=(n_segments, self.n_users),
        )
        binary = self.seen_.copy()
        binary.data = np.ones_like(binary.data)
        self.segment_counts_ = np.asarray((onehot @ binary).toarray(), dtype=np.float32)
        self.segment_sizes_ = np.asarray(onehot.sum(axis=1), dtype=np.float32).ravel()

    def _segments_of(self, frame: pd.DataFrame) -> np.ndarray:
        """The segment of each row of ``frame`` (-1 where a column is missing/NaN)."""
        code = np.zeros(len(frame), dtype=np.int64)
        valid = np.ones(len(frame), dtype=bool)
        for column, levels in self.segments_.items():
            values = frame[column] if column in frame.columns else pd.Series([np.nan] * len(frame))
            part = _level_codes(values.reset_index(drop=True), levels)
            valid &= part >= 0
            code = code * _n_levels(levels) + np.maximum(part, 0)
        return np.where(valid, code, -1).astype(np.int32)

    def _cold_user_support(self, query: Query) -> np.ndarray:
        columns = self._segment_columns()
        if not columns:
            return np.ones(len(query), dtype=bool)
        if query.features is None:
            return np.zeros(len(query), dtype=bool)
        present = [c for c in columns if c in query.features.columns]
        if len(present) < len(columns):
            return np.zeros(len(query), dtype=bool)
        return query.features[columns].notna().all(axis=1).to_numpy()

    def _query_segments(self, query: Query) -> np.ndarray:
        segments = np.full(len(query), -1, dtype=np.int32)
        known = query.user_idx >= 0
        segments[known] = self.user_segment_[query.user_idx[known]]
        if query.features is not None:
            fresh = ~query.trained & (segments < 0)
            if fresh.any():
                segments[fresh] = self._segments_of(query.features)[fresh]
        return segments

    def _score(self, query: Query) -> Scores:
        if not self._segment_columns():
            return np.broadcast_to(
                query.columns(self.item_popularity_[None, :]), (len(query), query.n_cols)
            ).copy()
        shares = self.item_popularity_ / max(self.n_users, 1)
        m = float(self.shrinkage)
        segments = self._query_segments(query)
        out = np.empty((len(query), self.n_items), dtype=np.float32)
        for s in np.unique(segments).tolist():
            rows = segments == s
            if s < 0:
                out[rows] = shares
            else:
                out[rows] = (self.segment_counts_[s] + m * shares) / (self.segment_sizes_[s] + m)
        return query.columns(out)

    def _update(self, users: np.ndarray) -> None:
        if self._segment_columns():
            self.user_segment_ = pad_rows(self.user_segment_, self.n_users, fill=-1)
            self._count_segments()

    def _grows_items(self) -> bool:
        return True

    def _explain(
        self, user_idx: Index, item_idx: Index, features: pd.DataFrame | None = None
    ) -> list[str] | None:
        pop = self.item_popularity_
        segmented = bool(self._segment_columns())
        segments = np.full(len(user_idx), -1, dtype=np.int64)
        if segmented:
            known = user_idx >= 0
            segments[known] = self.user_segment_[user_idx[known]]
            if features is not None and (~known).any():
                placed = self._segments_of(features.reset_index(drop=True))
                segments[~known] = placed[~known]
        out = []
        for row, i in enumerate(item_idx.tolist()):
            if i < 0:
                out.append("not in the training catalog")
                continue
            s = int(segments[row])
            if s >= 0:
                out.append(
                    f"popular in your segment ({self._segment_name(s)}): "
                    f"{int(self.segment_counts_[s, i])} of {int(self.segment_sizes_[s])} users "
                    "interacted with it"
                )
            else:
                out.append(f"popular: {int(pop[i])} of {self.n_users} users interacted with it")
        return out

    def _segment_name(self, segment: int) -> str:
        names = []
        for column, levels in reversed(list(self.segments_.items())):
            n = _n_levels(levels)
            code, segment = segment % n, segment // n
            names.append(f"{column} {_level_name(levels, code)}")
        return ", ".join(reversed(names))


def _n_levels(levels: dict[str, Any]) -> int:
    if levels["kind"] == "bins":
        return len(levels["edges"]) - 1
    return len(levels["values"])


def _segment_levels(values: pd.Series, n_bins: int) -> dict[str, Any]:
    """How a segment column is coded: quantile bins (numbers) or its categories."""
    present = values.dropna()
    if len(present) and pd.api.types.is_numeric_dtype(present):
        numbers = present.to_numpy(np.float64)
        quantiles = np.quantile(numbers, np.linspace(0, 1, n_bins + 1))
        edges = np.unique(quantiles)
        if len(edges) < 2:
            edges = np.array([edges[0], edges[0]]) if len(edges) else np.array([0.0, 0.0])
        return {"kind": "bins", "edges": [float(e) for e in edges]}
    return {"kind": "categories", "values": sorted({str(v) for v in present})}


def _level_codes(values: pd.Series, levels: dict[str, Any]) -> np.ndarray:
    """Level of each value: -1 where it is missing (or not a number for a binned
    column), -2 for a category never seen in training (both place the row in no
    segment: the overall rates)."""
    out = np.full(len(values), -1, dtype=np.int64)
    present = values.notna().to_numpy()
    if levels["kind"] == "bins":
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(np.float64)
        ok = present & np.isfinite(numbers)
        inner = np.asarray(levels["edges"][1:-1])
        out[ok] = np.searchsorted(inner, numbers[ok], side="right")
        return out
    lookup = {v: j for j, v in enumerate(levels["values"])}
    codes = values.astype(str).map(lookup).fillna(-2).to_numpy(np.int64)
    out[present] = codes[present]
    return out


def _level_name(levels: dict[str, Any], code: int) -> str:
    if levels["kind"] == "bins":
        edges = levels["edges"]
        low, high = edges[code], edges[code + 1]
        last = code == len(edges) - 2
        return f"[{low:g}, {high:g}{']' if last else ')'}"
    return str(levels["values"][code])


@register("random")
class Random(Recommender):
    """Uniformly random scores: the floor every model must beat.

    Scores depend only on the seed, the user and the item, so repeated calls,
    batches and one-by-one calls agree. Users the model has not seen get scores from
    their id (the same id, the same scores).

    Parameters
    ----------
    random_state : int or None, default=42
        Seed; None draws one at fit time (kept in ``seed_``).

    Attributes
    ----------
    seed_ : int
        The seed used.
    """

    _parameter_constraints: ClassVar[dict[str, Any]] = {"random_state": [SEED, None]}

    def __init__(self, random_state: int | None = DEFAULT_SEED) -> None:
        self.random_state = random_state

    def __tastemaker_tags__(self) -> Tags:
        return replace(
            super().__tastemaker_tags__(),
            scores_cold_users=True,
            scores_cold_items=True,
            folds_in=True,
            updates=True,
        )

    def _fit(self, data: Dataset) -> None:
        rng = np.random.default_rng(self.random_state)
        self.seed_ = int(rng.integers(0, 2**31 - 1))

    def _score(self, query: Query) -> Scores:
        out = np.empty((len(query), self.n_items), dtype=np.float32)
        for row, (user, uid) in enumerate(zip(query.user_idx.tolist(), query.user_ids.tolist())):
            key = user if user >= 0 else _id_key(uid)
            out[row] = np.random.default_rng([self.seed_, key]).random(self.n_items)
        return query.columns(out)

    def _update(self, users: np.ndarray) -> None:
        pass  # nothing is kept per user


def _id_key(user_id: Any) -> int:
    """A stable non-negative key of an external id (its type and text)."""
    import hashlib

    text = f"{type(user_id).__name__}:{user_id}".encode()
    return 2**40 + int(hashlib.sha256(text).hexdigest()[:12], 16)


@register("bias")
class Bias(Recommender):
    """Global mean plus user and item biases (Surprise's BaselineOnly, fitted by ALS).

    Predicts ``mu + b_u + b_i``; for ranking, items are ordered by ``b_i`` (the same
    list for every user, so users without training ratings are ranked by it too).
    Biases are estimated by alternating least squares (Koren 2010, eq. 2-3)::

        b_i = sum_u (r_ui - mu - b_u) / (regularization + n_i)
        b_u = sum_i (r_ui - mu - b_i) / (user_regularization + n_u)

    Unknown users predict ``mu + b_i``; unknown items ``mu + b_u``. Predictions are
    clipped to the training ratings' range (as Surprise does); ranking scores are not.
    Fold-in and ``update`` compute a user's ``b_u`` by the second formula from their
    ratings.

    Parameters
    ----------
    regularization : float, default=10.0
        Shrinkage of item biases towards 0.
    user_regularization : float, default=15.0
        Shrinkage of user biases towards 0.
    n_epochs : int, default=10
        ALS sweeps.

    Attributes
    ----------
    global_mean_ : float
    user_bias_ : ndarray of shape (n_users,)
    item_bias_ : ndarray of shape (n_items,)
    rating_range_ : ndarray of shape (2,)
        Smallest and largest training rating (predictions are clipped to it).
    """

    matrix_values = "rating"
    search_space: ClassVar[dict[str, tuple]] = {
        "regularization": ("float", 0.1, 100.0, "log"),
        "user_regularization": ("float", 0.1, 100.0, "log"),
        "n_epochs": ("int", 1, 30),
    }
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "regularization": Interval("real", 0),
        "user_regularization": Interval("real", 0),
        "n_epochs": Interval("int", 1),
    }

    def __init__(
        self,
        regularization: float = 10.0,
        user_regularization: float = 15.0,
        n_epochs: int = 10,
    ) -> None:
        self.regularization = regularization
        self.user_regularization = user_regularization
        self.n_epochs = n_epochs

    def __tastemaker_tags__(self) -> Tags:
        return replace(
            super().__tastemaker_tags__(),
            predicts_ratings=True,
            scores_cold_users=True,
            folds_in=True,
            updates=True,
        )

    def _fit(self, data: Dataset) -> None:
        X = self.seen_.tocoo()
        users, items, r = X.row, X.col, X.data.astype(np.float64)
        mu = float(r.mean())
        n_u = np.bincount(users, minlength=self.n_users)
        n_i = np.bincount(items, minlength=self.n_items)
        b_u = np.zeros(self.n_users)
        b_i = np.zeros(self.n_items)
        for _ in range(self.n_epochs):
            b_i = np.bincount(items, r - mu - b_u[users], self.n_items) / (
                self.regularization + n_i
            )
            b_u = np.bincount(users, r - mu - b_i[items], self.n_users) / (
                self.user_regularization + n_u
            )
        self.global_mean_ = mu
        self.user_bias_ = b_u.astype(np.float32)
        self.item_bias_ = b_i.astype(np.float32)
        self.rating_range_ = np.array([r.min(), r.max()], dtype=np.float64)

    def _user_biases(self, X: sp.csr_array) -> np.ndarray:
        """``b_u`` of each row of ratings ``X``, items fixed (the ALS user step)."""
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        resid = X.data.astype(np.float64) - self.global_mean_ - self.item_bias_[X.indices]
        counts = np.diff(X.indptr)
        return np.bincount(rows, resid, X.shape[0]) / (self.user_regularization + counts)

    def _score(self, query: Query) -> Scores:
        bias = np.zeros(len(query), dtype=np.float64)
        trained = query.trained
        bias[trained] = self.user_bias_[query.user_idx[trained]]
        if (~trained).any():
            bias[~trained] = self._user_biases(query.X[~trained])
        scores = self.global_mean_ + bias[:, None] + query.columns(self.item_bias_[None, :])
        return scores.astype(np.float32)

    def _predict(self, user_idx: np.ndarray, item_idx: np.ndarray) -> np.ndarray:
        b_u = np.where(user_idx >= 0, self.user_bias_[np.maximum(user_idx, 0)], 0.0)
        b_i = np.where(item_idx >= 0, self.item_bias_[np.maximum(item_idx, 0)], 0.0)
        low, high = self.rating_range_
        return np.clip(self.global_mean_ + b_u + b_i, low, high)

    def _update(self, users: np.ndarray) -> None:
        self.user_bias_ = pad_rows(self.user_bias_, self.n_users)
        self.user_bias_[users] = self._user_biases(self.seen_[users]).astype(np.float32)
