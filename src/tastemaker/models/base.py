"""The Recommender protocol: fit / score / recommend / predict / save / load."""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker._typing import Index, Scores
from tastemaker.data import Dataset, IdMap
from tastemaker.errors import DataError, NotFittedError, ParameterError, TastemakerError
from tastemaker.models._topk import topk

__all__ = ["CHUNK_USERS", "Recommender", "check_k"]

logger = logging.getLogger(__name__)

CHUNK_USERS = 1024
"""Users scored per block: bounds memory at CHUNK_USERS x n_items float32."""


def check_k(k: Any, what: str = "k") -> int:
    """``k`` as an int >= 1, or a ParameterError saying what was given."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ParameterError(f"{what} must be an integer >= 1, got {k!r}")
    if k < 1:
        raise ParameterError(f"{what} must be >= 1, got {k}")
    return int(k)


class Recommender:
    """Base class of every model.

    Subclasses store their parameters in ``__init__`` (keywords with defaults, same
    names, no logic), validate them in ``_check_params``, learn in ``_fit`` and score
    known users in ``_score``. Everything else (id mapping, chunking, seen-item
    exclusion, top-k, the fallback for unknown users, persistence) lives here.

    Fallback: a user unknown to the model, or known but without any training
    interaction, is ranked by item popularity in the training data (the number of
    distinct users who interacted with each item), unless the model sets
    ``scores_cold_users = True`` and scores such users itself. ``recommend`` lists
    those users in ``result.attrs["fallback_users"]`` and logs a warning.

    Attributes (after ``fit``)
    --------------------------
    users_, items_ : IdMap
        The training data's user and item maps; every item in ``items_`` is ranked,
        including items with no interactions (a model that cannot score them gives
        them the lowest finite score).
    seen_ : csr_array of shape (n_users, n_items)
        Training interactions (values as the model learned from them).
    item_popularity_ : ndarray of shape (n_items,)
        Distinct users per item in the training data (the fallback ranking).
    training_data_ : dict
        Provenance of the training data (name and sizes), saved in ``model.json``.
    item_table_ : DataFrame or None
        The item side table the model was trained with, kept for filters, re-ranking
        and explanations (saved as Parquet).
    """

    name: ClassVar[str] = ""
    supports_fold_in: ClassVar[bool] = False
    predicts_ratings: ClassVar[bool] = False
    scores_cold_users: ClassVar[bool] = False
    matrix_values: ClassVar[Literal["weight", "binary", "rating", "count"]] = "weight"
    search_space: ClassVar[dict[str, tuple]] = {}
    """Hyper-parameter ranges for ``tastemaker tune``: name -> ("int", low, high[, "log"]),
    ("float", low, high[, "log"]) or ("categorical", [choices])."""

    # -- parameters -----------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [
            p.name
            for p in signature.parameters.values()
            if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]

    @classmethod
    def param_defaults(cls) -> dict[str, Any]:
        """Parameter names and their default values, in signature order."""
        signature = inspect.signature(cls.__init__)
        return {name: signature.parameters[name].default for name in cls._param_names()}

    def get_params(self) -> dict[str, Any]:
        """The model's parameters, as passed to ``__init__``."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Recommender:
        """Change parameters; unknown names raise :class:`ParameterError`."""
        valid = self._param_names()
        for key, value in params.items():
            if key not in valid:
                raise ParameterError(_unknown_param_message(self._label(), key, valid))
            setattr(self, key, value)
        return self

    def clone(self) -> Recommender:
        """An unfitted copy with the same parameters."""
        return type(self)(**self.get_params())

    def _label(self) -> str:
        return self.name or type(self).__name__

    def _check_params(self) -> None:
        """Validate parameters; raise ParameterError. Called at the start of ``fit``."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- fitting --------------------------------------------------------------------
    def fit(self, data: Dataset) -> Recommender:
        """Learn from ``data`` and return ``self``."""
        self._check_params()
        if not isinstance(data, Dataset):
            raise DataError(f"fit expects a tastemaker Dataset, got {type(data).__name__}")
        if data.n_interactions == 0:
            raise DataError(f"{data.name} has no interactions to learn from")
        for attr in [a for a in vars(self) if a.endswith("_") and not a.startswith("_")]:
            delattr(self, attr)
        values = self.matrix_values
        if values == "rating" and not data.has_ratings:
            raise DataError(
                f"{self._label()} learns from ratings, but {data.name} has no 'rating' "
                "column; map one when loading or choose an implicit-feedback model"
            )
        start = time.perf_counter()
        self.users_ = data.user_map
        self.items_ = data.item_map
        self.seen_ = data.user_item_matrix(values)
        # users per item: seen_ holds one entry per distinct (user, item) pair, whatever
        # its values, so no binary copy of it is needed
        self.item_popularity_ = np.bincount(self.seen_.indices, minlength=data.n_items).astype(
            np.float32
        )
        if data.items is not None:
            self.item_table_ = data.items
        self._fit(data)
        self.training_data_ = {
            "name": data.name,
            "n_interactions": int(data.n_interactions),
            "n_users": int(data.n_users),
            "n_items": int(data.n_items),
            "matrix_values": values,
        }
        logger.info(
            "fitted %s: %d users x %d items in %.1fs",
            self._label(),
            data.n_users,
            data.n_items,
            time.perf_counter() - start,
        )
        return self

    def _fit(self, data: Dataset) -> None:
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not hasattr(self, "seen_"):
            raise NotFittedError(f"{self._label()} is not fitted; call fit(data) first.")

    @property
    def n_users(self) -> int:
        self._check_fitted()
        return len(self.users_)

    @property
    def n_items(self) -> int:
        self._check_fitted()
        return len(self.items_)

    # -- scoring --------------------------------------------------------------------
    def _score(self, user_idx: Index, item_idx: Index | None) -> Scores:
        """Scores of known users (rows) for all items or ``item_idx`` (columns)."""
        raise NotImplementedError

    def _fallback_scores(self, n_rows: int, item_idx: Index | None) -> Scores:
        pop = self.item_popularity_ if item_idx is None else self.item_popularity_[item_idx]
        return np.broadcast_to(pop.astype(np.float32), (n_rows, len(pop))).copy()

    def _user_positions(self, users: Any) -> tuple[np.ndarray, np.ndarray]:
        """Positions of external users (-1 if unknown) and whether each is scored by the
        model itself (False: the popularity fallback)."""
        idx = self.users_.index_of(_as_list(users), missing="mask", what="user")
        own = idx >= 0
        if not self.scores_cold_users:
            lengths = np.diff(self.seen_.indptr)
            own[own] = lengths[idx[own]] > 0
        return idx, own

    def _item_positions(self, items: Any | None) -> Index | None:
        if items is None:
            return None
        return self.items_.index_of(_as_list(items), what="item")

    def _score_block(self, idx: np.ndarray, own: np.ndarray, item_idx: Index | None) -> Scores:
        n_cols = self.n_items if item_idx is None else len(item_idx)
        out = np.empty((len(idx), n_cols), dtype=np.float32)
        if own.any():
            block = np.asarray(self._score(idx[own].astype(np.int32), item_idx))
            if block.shape != (int(own.sum()), n_cols):
                raise TastemakerError(
                    f"{self._label()}._score returned shape {block.shape}, "
                    f"expected {(int(own.sum()), n_cols)}"
                )
            if np.isnan(block).any():
                raise TastemakerError(f"{self._label()} produced NaN scores (a bug)")
            out[own] = block
        if (~own).any():
            out[~own] = self._fallback_scores(int((~own).sum()), item_idx)
        return out

    def score(self, users: Any, items: Any | None = None) -> np.ndarray:
        """Scores of ``users`` (rows) for every item, or for ``items`` (columns).

        Higher is better. Seen items are not masked (``recommend`` does that). Users
        without training history get the fallback scores (item popularity).

        Returns
        -------
        ndarray of float32, shape (n_users, n_items or len(items))
        """
        self._check_fitted()
        idx, own = self._user_positions(users)
        item_idx = self._item_positions(items)
        n_cols = self.n_items if item_idx is None else len(item_idx)
        out = np.empty((len(idx), n_cols), dtype=np.float32)
        for start in range(0, len(idx), CHUNK_USERS):
            rows = slice(start, start + CHUNK_USERS)
            out[rows] = self._score_block(idx[rows], own[rows], item_idx)
        return out

    def recommend(
        self,
        users: Any,
        k: int = 10,
        exclude_seen: bool = True,
        items: Any | None = None,
    ) -> pd.DataFrame:
        """Top-``k`` items for each user.

        Parameters
        ----------
        users : id or iterable of ids
            External user ids; unknown users get the popularity fallback (listed in
            ``result.attrs["fallback_users"]``).
        k : int, default=10
            List length (fewer when fewer candidates remain).
        exclude_seen : bool, default=True
            Leave out items the user interacted with in the training data.
        items : iterable of ids, optional
            Candidate items to rank (default: every item the model knows).

        Returns
        -------
        DataFrame with columns ``user``, ``item``, ``rank`` (from 1), ``score``, ordered
        by the input user order, then rank. Ties rank the lower item position first.
        """
        self._check_fitted()
        k = check_k(k)
        user_list = _as_list(users)
        idx, own = self._user_positions(user_list)
        item_idx = self._item_positions(items)

        def blocks():
            for start in range(0, len(idx), CHUNK_USERS):
                chunk = slice(start, start + CHUNK_USERS)
                yield self._score_block(idx[chunk], own[chunk], item_idx), self.seen_, idx[chunk]

        frame = self._top_frame(user_list, blocks(), k, item_idx, exclude_seen)
        frame["user"] = _restore_id_dtype(frame["user"], self.users_)
        fallback = [u for u, o in zip(user_list, own.tolist(), strict=True) if not o]
        frame.attrs["fallback_users"] = fallback
        if fallback:
            shown = ", ".join(map(str, fallback[:5])) + (" ..." if len(fallback) > 5 else "")
            logger.warning(
                "%d of %d users are unknown to %s or have no training history; "
                "they get the popularity fallback: %s",
                len(fallback),
                len(user_list),
                self._label(),
                shown,
            )
        return frame

    def _top_frame(self, user_list, blocks, k, item_idx, exclude_seen) -> pd.DataFrame:
        """Top-k of each score block (seen items masked) as a recommendations frame.

        ``blocks`` yields ``(scores, seen_matrix, seen_rows)``: the rows of
        ``seen_matrix`` at ``seen_rows`` (-1: none) are the items to exclude.
        """
        n_cols = self.n_items if item_idx is None else len(item_idx)
        column_of = None
        if exclude_seen and item_idx is not None:
            column_of = np.full(self.n_items, -1, dtype=np.int64)
            column_of[item_idx] = np.arange(len(item_idx))
        rows_out, items_out, scores_out = [], [], []
        start = 0
        for block, seen, seen_rows in blocks:
            if exclude_seen:
                _mask_rows(block, seen, seen_rows, column_of)
            top, values = topk(block, min(k, n_cols))
            valid = top >= 0
            row_pos = np.broadcast_to(np.arange(start, start + len(block))[:, None], top.shape)
            cols = top[valid]
            rows_out.append(row_pos[valid])
            items_out.append(cols if item_idx is None else item_idx[cols])
            scores_out.append(values[valid])
            start += len(block)
        rows = np.concatenate(rows_out) if rows_out else np.zeros(0, dtype=np.int64)
        item_pos = np.concatenate(items_out) if items_out else np.zeros(0, dtype=np.int64)
        scores = np.concatenate(scores_out) if scores_out else np.zeros(0, dtype=np.float32)
        user_ids = np.asarray(user_list, dtype=object)[rows] if len(rows) else []
        return pd.DataFrame(
            {
                "user": pd.Series(user_ids, dtype=object),
                "item": pd.Series(self.items_.ids_of(item_pos)),
                "rank": _ranks(rows).astype(np.int64),
                "score": scores.astype(np.float32),
            }
        )

    # -- fold-in: users who were not in the training data ----------------------------
    def _fold_in(self, X: sp.csr_array) -> Scores:
        """Scores (n_rows x n_items) of new users whose interactions are the rows of
        ``X`` (values as in ``seen_``), without retraining. Models that can set
        ``supports_fold_in = True`` and implement this."""
        raise NotImplementedError

    def history_matrix(self, history: pd.DataFrame) -> tuple[list[Any], sp.csr_array]:
        """Users (in first-seen order) and their interactions as rows over ``items_``.

        ``history`` has columns ``user``, ``item`` and optionally ``rating`` or
        ``weight`` (the values the model learned from; 1 otherwise). Items unknown to
        the model are ignored and counted in a warning.
        """
        self._check_fitted()
        missing = [c for c in ("user", "item") if c not in history.columns]
        if missing:
            raise DataError(
                f"history needs columns 'user' and 'item'; missing {missing}, "
                f"found {list(history.columns)}"
            )
        item_idx = self.items_.index_of(history["item"], missing="mask", what="item")
        unknown = int((item_idx < 0).sum())
        if unknown:
            logger.warning(
                "%d history rows name items unknown to %s; ignored", unknown, self._label()
            )
        column = {"rating": "rating", "weight": "weight"}.get(self.matrix_values)
        if self.matrix_values == "rating" and "rating" not in history.columns:
            raise DataError(f"{self._label()} folds in ratings: history needs a 'rating' column")
        values = (
            history[column].to_numpy(np.float32)
            if column is not None and column in history.columns
            else np.ones(len(history), dtype=np.float32)
        )
        codes, users = pd.factorize(history["user"], sort=False)
        keep = item_idx >= 0
        X = sp.csr_array(
            (values[keep], (codes[keep], item_idx[keep])),
            shape=(len(users), self.n_items),
            dtype=np.float32,
        )
        X.sum_duplicates()
        if self.matrix_values == "binary":
            X.data[:] = 1.0
        elif self.matrix_values == "rating":
            counts = sp.csr_array(
                (np.ones(int(keep.sum()), dtype=np.float32), (codes[keep], item_idx[keep])),
                shape=X.shape,
            )
            counts.sum_duplicates()
            X.data /= counts.data
        X.sort_indices()
        return list(users), X

    def fold_in(self, history: pd.DataFrame, items: Any | None = None) -> np.ndarray:
        """Scores of the users in ``history`` from their interactions alone.

        The users need not be in the training data (and if they are, their training
        history is ignored): the model is not retrained. See :meth:`history_matrix`.

        Returns
        -------
        ndarray of float32, shape (n_history_users, n_items or len(items))
        """
        self._require_fold_in()
        _, X = self.history_matrix(history)
        item_idx = self._item_positions(items)
        out = np.asarray(self._fold_in_chunks(X), dtype=np.float32)
        return out if item_idx is None else out[:, item_idx]

    def _fold_in_chunks(self, X: sp.csr_array) -> np.ndarray:
        parts = [self._fold_in(X[i : i + CHUNK_USERS]) for i in range(0, X.shape[0], CHUNK_USERS)]
        return np.vstack(parts) if parts else np.zeros((0, self.n_items), dtype=np.float32)

    def recommend_history(
        self,
        history: pd.DataFrame,
        k: int = 10,
        exclude_seen: bool = True,
        items: Any | None = None,
    ) -> pd.DataFrame:
        """Top-``k`` items for users given by their interactions (fold-in).

        Like :meth:`recommend`, for users described by ``history`` (columns ``user``,
        ``item``, optionally ``rating``/``weight``) instead of the training data: the
        service's path for new users and anonymous sessions. ``exclude_seen`` leaves
        out the items in ``history``.
        """
        self._require_fold_in()
        k = check_k(k)
        users, X = self.history_matrix(history)
        item_idx = self._item_positions(items)

        def blocks():
            for start in range(0, X.shape[0], CHUNK_USERS):
                part = X[start : start + CHUNK_USERS]
                scores = np.asarray(self._fold_in(part), dtype=np.float32)
                if item_idx is not None:
                    scores = scores[:, item_idx]
                yield scores, part, np.arange(part.shape[0])

        return self._top_frame(users, blocks(), k, item_idx, exclude_seen)

    def _require_fold_in(self) -> None:
        self._check_fitted()
        if not self.supports_fold_in:
            raise ParameterError(
                f"{self._label()} cannot fold in new users without retraining; "
                "models that can: see `tastemaker models` (fold-in column)"
            )

    # -- rating prediction ----------------------------------------------------------
    def predict(self, pairs: pd.DataFrame | Iterable[tuple[Any, Any]]) -> np.ndarray:
        """Predicted ratings for (user, item) pairs (rating models only).

        Parameters
        ----------
        pairs : DataFrame with columns ``user`` and ``item``, or iterable of pairs
            Unknown users or items get the model's documented fallback prediction.
        """
        self._check_fitted()
        if not self.predicts_ratings:
            raise ParameterError(
                f"{self._label()} ranks items but does not predict ratings; "
                "use a rating model (e.g. 'bias') for predict"
            )
        if not isinstance(pairs, pd.DataFrame):
            pairs = pd.DataFrame(list(pairs), columns=["user", "item"])
        missing = [c for c in ("user", "item") if c not in pairs.columns]
        if missing:
            raise DataError(
                f"pairs need columns 'user' and 'item'; missing {missing}, "
                f"found {list(pairs.columns)}"
            )
        user_idx = self.users_.index_of(pairs["user"], missing="mask", what="user")
        item_idx = self.items_.index_of(pairs["item"], missing="mask", what="item")
        return np.asarray(self._predict(user_idx, item_idx), dtype=np.float32)

    def _predict(self, user_idx: np.ndarray, item_idx: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # -- persistence ----------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the fitted model to directory ``path`` (JSON + safetensors, no pickle)."""
        from tastemaker.models._artifacts import save_model

        self._check_fitted()
        return save_model(self, Path(path))


def _mask_rows(block: Scores, seen: sp.csr_array, rows: np.ndarray, column_of) -> None:
    """Set ``block[r, items of seen row rows[r]]`` to -inf (rows[r] < 0: nothing)."""
    for r, user in enumerate(rows.tolist()):
        if user < 0:
            continue
        cols = seen.indices[seen.indptr[user] : seen.indptr[user + 1]]
        if column_of is not None:
            cols = column_of[cols]
            cols = cols[cols >= 0]
        block[r, cols] = -np.inf


def _as_list(values: Any) -> list[Any]:
    if isinstance(values, (str, bytes, int, np.integer)):
        return [values]
    if isinstance(values, (pd.Series, pd.Index, np.ndarray)):
        return values.tolist()
    return list(values)


def _ranks(rows: np.ndarray) -> np.ndarray:
    """1-based rank within each run of equal, consecutive row numbers."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(rows)) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
    return np.arange(len(rows)) - first + 1


def _restore_id_dtype(ids: pd.Series, id_map: IdMap) -> pd.Series:
    if id_map.is_int and len(ids):
        try:
            return ids.astype(np.int64)
        except (TypeError, ValueError):
            return ids
    return ids


def _unknown_param_message(label: str, key: str, valid: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, valid, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return (
        f"{label}: unknown parameter {key!r}.{hint} Valid parameters: {', '.join(valid) or 'none'}."
    )


def sparse_row(matrix: sp.csr_array, row: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of one CSR row."""
    lo, hi = matrix.indptr[row], matrix.indptr[row + 1]
    return matrix.indices[lo:hi], matrix.data[lo:hi]
