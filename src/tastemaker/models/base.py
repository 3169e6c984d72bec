"""The Recommender protocol: fit / score / recommend / recommend_history / update / predict.

The base class turns every call into one :class:`~tastemaker.models._query.Query`
(known user positions, ordered histories, features of users the model has not seen,
candidate items, context), routes the users the model cannot score to the fallback,
applies the one cold-item policy, excludes seen items and takes the top k. A model
implements ``_fit`` and ``_score(query)`` and declares what it can do in its tags.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker._typing import Index, Scores
from tastemaker._validation import Interval, check, validate
from tastemaker.data import Dataset, IdMap, aligned_rows, check_events, interaction_matrix
from tastemaker.errors import (
    DataError,
    NotFittedError,
    ParameterError,
    TastemakerError,
    hint,
)
from tastemaker.models._query import Query, Sequences, gather_rows
from tastemaker.models._recommendations import (
    COLD_ITEM,
    MODEL,
    POPULAR_FALLBACK,
    UNKNOWN_ITEM,
    Recommendations,
)
from tastemaker.models._tags import Tags
from tastemaker.models._topk import topk

__all__ = [
    "CHUNK_USERS",
    "DEFAULT_SEED",
    "Recommender",
    "check_k",
    "pad_rows",
    "unknown_param_message",
]

logger = logging.getLogger(__name__)

CHUNK_USERS = 1024
"""Users scored per block: bounds memory at CHUNK_USERS x n_items float32."""

DEFAULT_SEED = 42
"""The seed of every seeded model unless ``random_state`` says otherwise: same data, same
parameters, same results, by default."""

MatrixValues = Literal["weight", "binary", "rating", "count"]

UNKNOWN_USER = "unknown user"
NO_HISTORY = "no training history"
NO_KNOWN_ITEMS = "no known items in history"


def check_k(k: Any, what: str = "k") -> int:
    """``k`` as an int >= 1, or a ParameterError saying what was given."""
    flag = what if what.startswith("--") else None
    return int(check(None, what.lstrip("-"), k, Interval("int", 1), flag=flag))


class Recommender:
    """Base class of every model.

    Subclasses store their parameters in ``__init__`` (keywords with defaults, same
    names, no logic), declare their constraints in ``_parameter_constraints``, learn
    in ``_fit`` and score in ``_score(query)``; they declare what they can do by
    overriding ``__tastemaker_tags__``. Everything else (ids, the query, chunking, the
    fallback, cold items, seen-item exclusion, top-k, persistence) lives here.

    Fallback: a user the model cannot score gets the items most training users
    interacted with (source ``fallback:popular``), and the result says why
    (``Recommendations.fallback``): unknown to the model, no training history, or a
    given history naming no item the model knows. A model that scores such users
    itself (``tags.scores_cold_users``: from their features, say) gets them instead.

    Cold items: items the model cannot score (no training interactions, unless
    ``tags.scores_cold_items``) rank after every item it scores (source
    ``cold-item``, no score); ``score`` gives them ``-inf``.

    Attributes (after ``fit``)
    --------------------------
    users_, items_ : IdMap
        The training data's user and item maps; every item in ``items_`` is ranked,
        including items with no interactions.
    seen_ : csr_array of shape (n_users, n_items)
        Training interactions (values as the model learned them: ``matrix_values``).
    item_popularity_ : ndarray of shape (n_items,)
        Distinct users per item in the training data (the fallback ranking).
    sequences_ : Sequences
        Models that use sequences: each training user's history in time order.
    training_data_ : dict
        Provenance of the training data (name, sizes, event weights), in ``model.json``.
    item_table_ : DataFrame or None
        The item side table the model was trained with, kept for filters, re-ranking
        and explanations (saved as Parquet).
    """

    name: ClassVar[str] = ""
    matrix_values: ClassVar[MatrixValues] = "weight"
    """How interactions enter ``seen_`` and query rows: summed ``weight`` (1 per row
    without one), ``binary``, mean ``rating`` or ``count``."""
    search_space: ClassVar[dict[str, tuple]] = {}
    """Hyper-parameter ranges for ``tastemaker tune``: name -> ("int", low, high[, "log"]),
    ("float", low, high[, "log"]) or ("categorical", [choices])."""
    _parameter_constraints: ClassVar[dict[str, Any]] = {}
    """name -> constraint(s) of :mod:`tastemaker._validation`, checked at ``fit``."""

    # -- capabilities ----------------------------------------------------------------
    def __tastemaker_tags__(self) -> Tags:
        """This instance's capabilities; override with ``replace(super()..., ...)``."""
        return Tags()

    @property
    def tags(self) -> Tags:
        """What this model reads and can do (see :class:`Tags`)."""
        return self.__tastemaker_tags__()

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
                raise ParameterError(unknown_param_message(self._label(), key, valid))
            setattr(self, key, value)
        return self

    def clone(self) -> Recommender:
        """An unfitted copy with the same parameters."""
        return type(self)(**self.get_params())

    def seed_unless_set(self, seed: int) -> bool:
        """Set ``random_state=seed`` unless ``random_state`` was set to something other
        than its default; how a run's seed (``evaluate --seed``, ``tune --seed``)
        reaches its models. Returns whether it did (False for unseeded models)."""
        params = self.get_params()
        if "random_state" not in params:
            return False
        if params["random_state"] != self.param_defaults()["random_state"]:
            return False
        self.set_params(random_state=int(seed))
        return True

    def _label(self) -> str:
        """The model's name in messages: the class in Python, the registry name (what
        ``--model`` takes) on the command line."""
        return hint(python=type(self).__name__, cli=self.name or type(self).__name__)

    def _check_params(self) -> None:
        """Validate parameters (``_parameter_constraints``); raise ParameterError.
        Called at the start of ``fit``; override (calling ``super()``) for checks that
        relate several parameters."""
        validate(self._label(), self.get_params(), self._parameter_constraints)

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
        self.__dict__.pop("_cache", None)
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
        if self.tags.uses_sequences:
            self.sequences_ = _training_sequences(data, self.seen_, values)
        self.training_data_ = {
            "name": data.name,
            "n_interactions": int(data.n_interactions),
            "n_users": int(data.n_users),
            "n_items": int(data.n_items),
            "matrix_values": values,
        }
        weights = data.extras.get("event_weights")
        if isinstance(weights, Mapping):
            self.training_data_["event_weights"] = {str(k): float(v) for k, v in weights.items()}
        self._fit(data)
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

    # -- what a model implements ------------------------------------------------------
    def _score(self, query: Query) -> Scores:
        """Scores (``len(query)`` x ``query.n_cols``, float32, higher is better) of the
        query's rows; called only for rows the model can score (see the class doc)."""
        raise NotImplementedError

    def _cold_user_support(self, query: Query) -> np.ndarray:
        """Which rows without any history the model scores itself (bool per row).

        The default follows ``tags.scores_cold_users``; a model that needs something
        per row (features of a segment, say) answers row by row.
        """
        return np.full(len(query), self.tags.scores_cold_users)

    def _update(self, users: np.ndarray) -> None:
        """Refresh what the model keeps per user for ``users`` (positions, possibly new
        users beyond the old ``n_users``) after ``update`` added their events to
        ``seen_`` (and ``sequences_``). Models with ``tags.updates`` implement it."""
        raise NotImplementedError

    def _grows_items(self) -> bool:
        """Whether ``update`` may add items the model has never seen (then
        ``_update`` must size item state to the new ``n_items``)."""
        return False

    def _explain(
        self, user_idx: Index, item_idx: Index, features: pd.DataFrame | None = None
    ) -> list[str] | None:
        """One explanation per (user, item) pair in the model's own terms, or None to
        let the generic explainer speak. ``user_idx`` may be -1 (a user the model does
        not know); ``features`` (one row per pair, or None) are such users' features."""
        return None

    def _extra_state(self) -> dict[str, Any]:
        """Fitted state to save that is not a trailing-underscore attribute."""
        return {}

    def _restore_state(self, state: dict[str, Any]) -> dict[str, Any]:
        """Turn loaded state back into attributes (the inverse of ``_extra_state``)."""
        return state

    def _cached(self, key: str, make: Callable[[], Any]) -> Any:
        """Derived state computed once (``make()``) and reused until ``fit`` or
        ``update`` clears it; never saved, recomputed after ``load``."""
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            cache[key] = make()
        return cache[key]

    # -- building queries ---------------------------------------------------------------
    def _users_query(self, users: Any, items: Index | None, features: Any, context: Any) -> Query:
        """The query of ``recommend`` and ``score``: users by id, training histories."""
        ids = np.asarray(_as_list(users), dtype=object)
        user_idx = self.users_.index_of(ids, missing="mask", what="user")
        lengths = np.diff(self.seen_.indptr)
        known = user_idx >= 0
        trained = known.copy()
        trained[known] = lengths[user_idx[known]] > 0
        return Query(
            user_idx=user_idx,
            user_ids=ids,
            trained=trained,
            X=_take_rows(self.seen_, user_idx),
            sequences=self._stored_sequences(user_idx),
            features=self._features_for(ids, features),
            item_idx=items,
            context=_context_for(ids, context),
            n_items=self.n_items,
        )

    def _stored_sequences(self, user_idx: np.ndarray) -> Sequences | None:
        if not self.tags.uses_sequences:
            return None
        return self.sequences_.take(user_idx)

    def _history_query(
        self,
        history: pd.DataFrame,
        items: Index | None,
        features: Any,
        context: Any,
        combine: bool,
    ) -> Query:
        """The query of ``recommend_history``, ``fold_in``: users given by their events."""
        frame = check_events(history, "history")
        codes, uniques = pd.factorize(frame["user"], sort=False)
        ids = np.asarray(uniques, dtype=object)
        n_rows = len(ids)
        item_idx = self.items_.index_of(frame["item"], missing="mask", what="item")
        unknown = item_idx < 0
        if unknown.any():  # the rows that remain say so: a fallback, or fewer events
            logger.debug(
                "%d history events name items unknown to %s; they cannot be used",
                int(unknown.sum()),
                self._label(),
            )
        keep = ~unknown
        values = self._event_values(frame)
        rows, cols, vals = codes[keep], item_idx[keep], values[keep]
        new = self._events_matrix(rows, cols, vals, n_rows)
        timestamps = frame["timestamp"].to_numpy(np.int64) if "timestamp" in frame else None
        new_seq = None
        if self.tags.uses_sequences:
            ts = None if timestamps is None else timestamps[keep]
            new_seq = Sequences.from_events(rows, cols, vals, ts, n_rows)
        user_idx = self.users_.index_of(ids, missing="mask", what="user")
        trained = np.zeros(n_rows, dtype=bool)
        X, sequences = new, new_seq
        if combine:
            old = _take_rows(self.seen_, user_idx)
            X = _merge_rows(old, new, self.matrix_values)
            if new_seq is not None:
                sequences = self._stored_sequences(user_idx).append(new_seq)
            no_new = np.diff(new.indptr) == 0
            trained = (user_idx >= 0) & no_new & (np.diff(old.indptr) > 0)
        return Query(
            user_idx=user_idx,
            user_ids=ids,
            trained=trained,
            X=X,
            sequences=sequences,
            features=self._features_for(ids, features),
            item_idx=items,
            context=_context_for(ids, context),
            n_items=self.n_items,
        )

    def _event_values(self, frame: pd.DataFrame) -> np.ndarray:
        """The value of each event as the model learned interactions."""
        n = len(frame)
        how = self.matrix_values
        if how == "rating":
            if "rating" not in frame.columns:
                raise DataError(
                    f"{self._label()} learns from ratings: the events need a 'rating' column"
                )
            return frame["rating"].to_numpy(np.float32)
        if how == "weight":
            if "weight" in frame.columns:
                return frame["weight"].to_numpy(np.float32)
            table = self.training_data_.get("event_weights")
            if table and "event" in frame.columns:
                events = frame["event"].astype(str)
                unknown = sorted(set(events) - set(table))
                if unknown:
                    raise DataError(
                        f"events of types {unknown} have no weight: {self._label()} was "
                        f"trained with event weights for {sorted(table)}"
                    )
                return events.map(table).to_numpy(np.float32)
        return np.ones(n, dtype=np.float32)

    def _events_matrix(
        self, rows: np.ndarray, item_idx: np.ndarray, values: np.ndarray, n_rows: int
    ) -> sp.csr_array:
        """Events (row positions, item positions, the values the model learns from) as
        rows over the catalog, aggregated exactly as the training data was."""
        shape = (n_rows, self.n_items)
        return interaction_matrix(rows, item_idx, shape, self.matrix_values, values)

    def _features_for(self, ids: np.ndarray, features: Any) -> pd.DataFrame | None:
        """User features aligned with ``ids`` (NaN rows for users not in ``features``)."""
        if features is None:
            return None
        out = aligned_rows(features, ids, "user", "features")
        return None if len(out.columns) == 0 else out

    # -- routing, scoring, ranking ------------------------------------------------------
    def _routes(self, query: Query, no_history: str | None = None) -> np.ndarray:
        """Per row: None where the model scores the user, else why it falls back."""
        reasons = np.full(len(query), None, dtype=object)
        has_history = np.diff(query.X.indptr) > 0
        if self.tags.folds_in:
            cold = ~has_history & ~query.trained
        else:
            cold = ~query.trained
        if not cold.any():
            return reasons
        supported = self._cold_user_support(query.select(cold))
        for row, ok in zip(np.flatnonzero(cold).tolist(), np.asarray(supported).tolist()):
            if ok:
                continue
            if no_history is not None:
                reasons[row] = no_history
            else:
                reasons[row] = UNKNOWN_USER if query.user_idx[row] < 0 else NO_HISTORY
        return reasons

    def _cold_columns(self, item_idx: Index | None) -> np.ndarray:
        """Columns (items, or candidates) the model cannot score."""
        if self.tags.scores_cold_items:
            n = self.n_items if item_idx is None else len(item_idx)
            return np.zeros(n, dtype=bool)
        cold = self.item_popularity_ == 0
        return cold if item_idx is None else cold[item_idx]

    def _score_rows(self, query: Query, own: np.ndarray) -> Scores:
        """Scores of every row: the model's where ``own`` (cold items -inf), the
        fallback's elsewhere."""
        out = np.empty((len(query), query.n_cols), dtype=np.float32)
        if own.any():
            block = np.asarray(self._score(query.select(own)))
            expected = (int(own.sum()), query.n_cols)
            if block.shape != expected:
                raise TastemakerError(
                    f"{self._label()}._score returned shape {block.shape}, expected {expected}"
                )
            if np.isnan(block).any():
                raise TastemakerError(f"{self._label()} produced NaN scores (a bug)")
            block = block.astype(np.float32, copy=True)
            cold = self._cold_columns(query.item_idx)
            if cold.any():
                block[:, cold] = -np.inf
            out[own] = block
        if (~own).any():
            pop = query.columns(self.item_popularity_[None, :])[0]
            out[~own] = pop
        return out

    def _score_all(self, query: Query, reasons: np.ndarray) -> Scores:
        """:meth:`_score_rows` of every row of ``query``, block by block."""
        out = np.empty((len(query), query.n_cols), dtype=np.float32)
        for start in range(0, len(query), CHUNK_USERS):
            rows = slice(start, start + CHUNK_USERS)
            out[rows] = self._score_rows(query.select(rows), _scored(reasons[rows]))
        return out

    def _rank(
        self,
        query: Query,
        reasons: np.ndarray,
        k: int,
        exclude_seen: bool,
        unknown_items: list[Any],
    ) -> Recommendations:
        """Top-``k`` lists of every row of ``query``, block by block."""
        item_idx = query.item_idx
        n_cols = query.n_cols
        cold = self._cold_columns(item_idx)
        column_of = None
        if item_idx is not None:
            column_of = np.full(self.n_items, -1, dtype=np.int64)
            column_of[item_idx] = np.arange(len(item_idx))
        parts: list[tuple[np.ndarray, ...]] = []
        for start in range(0, len(query), CHUNK_USERS):
            rows = slice(start, start + CHUNK_USERS)
            block_q = query.select(rows)
            own = _scored(reasons[rows])
            scores = self._score_rows(block_q, own)
            excluded = _excluded_columns(block_q.X, column_of) if exclude_seen else None
            if excluded is not None:
                _mask(scores, excluded)
            top, values = topk(scores, min(k, n_cols))
            valid = top >= 0
            row_of = np.broadcast_to(np.arange(len(block_q))[:, None], top.shape)[valid]
            cols = top[valid]
            vals = values[valid].astype(np.float32)
            srcs = np.where(own[row_of], MODEL, POPULAR_FALLBACK).astype(object)
            tail = _tail_entries(valid.sum(axis=1), k, own, cold, excluded, len(unknown_items))
            if tail is not None:  # rows with room left: unscored, then unknown items
                row_of, cols = np.r_[row_of, tail[0]], np.r_[cols, tail[1]]
                vals = np.r_[vals, np.full(len(tail[2]), np.nan, dtype=np.float32)]
                srcs = np.r_[srcs, tail[2]]
                order = np.argsort(row_of, kind="stable")
                row_of, cols, vals, srcs = row_of[order], cols[order], vals[order], srcs[order]
            item_ids = np.empty(len(cols), dtype=object)
            known = cols >= 0
            positions = cols[known] if item_idx is None else item_idx[cols[known]]
            item_ids[known] = self.items_.ids_of(positions)
            item_ids[~known] = [unknown_items[-1 - c] for c in cols[~known].tolist()]
            parts.append((block_q.user_ids[row_of], item_ids, vals, srcs, row_of + start))
        users = _cat([p[0] for p in parts], object)
        items = _cat([p[1] for p in parts], object)
        scores = _cat([p[2] for p in parts], np.float32)
        sources = _cat([p[3] for p in parts], object)
        ranks = _ranks(_cat([p[4] for p in parts], np.int64))
        fallback = {
            u: r for u, r in zip(query.user_ids.tolist(), reasons.tolist()) if r is not None
        }
        return Recommendations(
            users=users,
            items=items,
            ranks=ranks,
            scores=scores,
            sources=sources,
            fallback=fallback,
            unknown_items=list(unknown_items),
            int_users=self.users_.is_int,
            int_items=self.items_.is_int,
        )

    def _candidates(self, items: Any | None) -> tuple[Index | None, list[Any]]:
        """Candidate positions (first occurrence of each, in the given order) and the
        candidate ids the model does not know."""
        if items is None:
            return None, []
        ids = _as_list(items)
        positions = self.items_.index_of(ids, missing="mask", what="item")
        unique = ~pd.Series(ids, dtype=object).duplicated().to_numpy()
        if (~unique).any():
            logger.debug("%d repeated candidate items ranked once", int((~unique).sum()))
        known = unique & (positions >= 0)
        unknown = [i for i, u, p in zip(ids, unique.tolist(), positions.tolist()) if u and p < 0]
        return positions[known].astype(np.int32), unknown

    # -- public scoring -----------------------------------------------------------------
    def score(
        self,
        users: Any,
        items: Any | None = None,
        *,
        features: Any = None,
        context: Any = None,
    ) -> np.ndarray:
        """Scores of ``users`` (rows) for every item, or for ``items`` (columns).

        Higher is better. Seen items are not masked (``recommend`` does that). Users
        the model cannot score get the fallback's scores (item popularity); items it
        cannot score (and candidate ids it does not know) get ``-inf``.

        Returns
        -------
        ndarray of float32, shape (n_users, n_items or len(items))
        """
        self._check_fitted()
        item_idx, unknown_cols = None, np.zeros(0, dtype=bool)
        if items is not None:
            ids = _as_list(items)
            positions = self.items_.index_of(ids, missing="mask", what="item")
            unknown_cols = positions < 0
            item_idx = np.maximum(positions, 0).astype(np.int32)
        query = self._users_query(users, item_idx, features, context)
        out = self._score_all(query, self._routes(query))
        if unknown_cols.any():
            out[:, unknown_cols] = -np.inf
        return out

    def recommend(
        self,
        users: Any,
        k: int = 10,
        exclude_seen: bool = True,
        items: Any | None = None,
        *,
        features: Any = None,
        context: Any = None,
    ) -> Recommendations:
        """Top-``k`` items for each user.

        Parameters
        ----------
        users : id or iterable of ids
            External user ids, matched exactly. Users the model cannot score get the
            popularity fallback (``result.fallback`` says who and why).
        k : int, default=10
            List length (fewer when fewer candidates remain).
        exclude_seen : bool, default=True
            Leave out items the user interacted with in the training data.
        items : iterable of ids, optional
            Candidate items to rank (default: every item the model knows). Repeats
            are ranked once; ids the model does not know rank last.
        features : DataFrame, optional
            Features of users the model has not seen (a ``user`` column or index plus
            feature columns), for models that use them (``tags.uses_features``).
        context : mapping or DataFrame, optional
            Context of the request (one mapping for every user, or a frame with a
            ``user`` column), for models that read it.

        Returns
        -------
        Recommendations
            ``.to_frame()`` gives ``user, item, rank, score, source``; users in the
            order asked, then by rank; ties rank the lower item position first.
        """
        self._check_fitted()
        k = check_k(k)
        item_idx, unknown = self._candidates(items)
        query = self._users_query(users, item_idx, features, context)
        return self._rank(query, self._routes(query), k, exclude_seen, unknown)

    def seen(self, users: Any) -> sp.csr_array:
        """The training interactions of ``users`` as rows over ``items_`` (values as
        learned; empty rows for users the model does not know)."""
        self._check_fitted()
        idx = self.users_.index_of(_as_list(users), missing="mask", what="user")
        return _take_rows(self.seen_, idx)

    # -- users given by their events ----------------------------------------------------
    def _require_fold_in(self) -> None:
        self._check_fitted()
        if not self.tags.folds_in:
            raise ParameterError(
                f"{self._label()} cannot rank users from a history without retraining "
                "(it does not fold in); use a model that can (see `tastemaker models`, "
                "fold-in column) or retrain with the new events"
            )

    def recommend_history(
        self,
        history: pd.DataFrame,
        k: int = 10,
        exclude_seen: bool = True,
        items: Any | None = None,
        *,
        combine: bool = True,
        features: Any = None,
        context: Any = None,
    ) -> Recommendations:
        """Top-``k`` items for users given by their events, without retraining.

        ``history`` has columns ``user`` and ``item`` and optionally ``timestamp``
        (ordering each user's events; otherwise the row order), ``rating``, ``weight``
        and ``event`` (weighted as in training). Its users may be new (an anonymous
        session), or known: with ``combine=True`` (the default) a known user's events
        extend their training history (the latest events); with ``combine=False``
        only the given events count. Ranking goes through fold-in or the model's
        sequence. A user whose events name no item the model knows gets the
        popularity fallback (``result.fallback``). ``exclude_seen`` leaves out the
        items of the history (and, combined, the training history).
        """
        self._require_fold_in()
        k = check_k(k)
        item_idx, unknown = self._candidates(items)
        query = self._history_query(history, item_idx, features, context, combine)
        reasons = self._routes(query, no_history=NO_KNOWN_ITEMS)
        return self._rank(query, reasons, k, exclude_seen, unknown)

    def fold_in(self, history: pd.DataFrame, items: Any | None = None) -> np.ndarray:
        """Scores of the users in ``history`` (in first-seen order) from their events
        alone: known users' training histories are ignored. The scores
        :meth:`recommend_history` ranks by with ``combine=False``.

        Returns
        -------
        ndarray of float32, shape (n_history_users, n_items or len(items))
        """
        self._require_fold_in()
        item_idx = None if items is None else self._item_positions(items)
        query = self._history_query(history, item_idx, None, None, combine=False)
        return self._score_all(query, self._routes(query, no_history=NO_KNOWN_ITEMS))

    def _item_positions(self, items: Any) -> Index:
        return self.items_.index_of(_as_list(items), what="item")

    # -- learning from new events ---------------------------------------------------------
    def update(self, events: pd.DataFrame) -> Recommender:
        """Learn from new events without refitting (models with ``tags.updates``).

        ``events`` has the columns of :meth:`recommend_history`. The events join the
        training interactions (``seen_``, popularity, sequences); new users join the
        model; each affected user's state is recomputed from their whole history, as
        fold-in does. Item-side state (factors, similarities) stays as fitted until
        the next ``fit``. Events naming items the model has never seen are ignored
        and counted in a warning, unless the model can add items (``popular``,
        ``markov``).
        """
        self._check_fitted()
        if not self.tags.updates:
            raise ParameterError(
                f"{self._label()} cannot learn from new events without retraining; fit it "
                "again on the data with the new events (models that can: see "
                "`tastemaker models`, update column)"
            )
        frame = check_events(events, "events")
        item_idx = self.items_.index_of(frame["item"], missing="mask", what="item")
        unknown = item_idx < 0
        if unknown.any():
            if self._grows_items():
                self.items_ = _extended(
                    self.items_, frame.loc[unknown, "item"], "item", self._label()
                )
                grown = len(self.items_) - self.seen_.shape[1]
                self.seen_ = sp.csr_array(
                    (self.seen_.data, self.seen_.indices, self.seen_.indptr),
                    shape=(self.seen_.shape[0], len(self.items_)),
                )
                self.item_popularity_ = np.r_[
                    self.item_popularity_, np.zeros(grown, dtype=np.float32)
                ]
                item_idx = self.items_.index_of(frame["item"], what="item")
            else:
                logger.warning(
                    "%d of %d events name items %s has never seen; ignored until it is retrained",
                    int(unknown.sum()),
                    len(frame),
                    self._label(),
                )
                frame = frame.loc[~unknown].reset_index(drop=True)
                item_idx = item_idx[~unknown]
        if frame.empty:
            return self
        old_users = len(self.users_)
        self.users_ = _extended(self.users_, frame["user"], "user", self._label())
        n_users = len(self.users_)
        if n_users > old_users:
            self.seen_ = _grow_rows(self.seen_, n_users)
            if self.tags.uses_sequences:
                self.sequences_ = self.sequences_.take(
                    np.r_[np.arange(old_users), np.full(n_users - old_users, -1)]
                )
        rows = self.users_.index_of(frame["user"], what="user")
        values = self._event_values(frame)
        delta = self._events_matrix(rows, item_idx, values, n_users)
        self.seen_ = _merge_rows(self.seen_, delta, self.matrix_values)
        self.item_popularity_ = np.bincount(
            self.seen_.indices, minlength=self.seen_.shape[1]
        ).astype(np.float32)
        if self.tags.uses_sequences:
            ts = frame["timestamp"].to_numpy(np.int64) if "timestamp" in frame else None
            if self.sequences_.timestamps is None:
                ts = None
            self.sequences_ = self.sequences_.append(
                Sequences.from_events(rows, item_idx, values, ts, n_users)
            )
        self.__dict__.pop("_cache", None)
        self._update(np.unique(rows).astype(np.int32))
        self.training_data_["n_interactions"] = int(
            self.training_data_.get("n_interactions", 0)
        ) + len(frame)
        self.training_data_["n_updated_events"] = int(
            self.training_data_.get("n_updated_events", 0)
        ) + len(frame)
        logger.info(
            "%s learned from %d new events (%d new users)",
            self._label(),
            len(frame),
            n_users - old_users,
        )
        return self

    # -- rating prediction ----------------------------------------------------------
    def predict(
        self,
        pairs: pd.DataFrame | Iterable[tuple[Any, Any]],
        *,
        return_source: bool = False,
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Predicted ratings for (user, item) pairs (rating models only).

        Parameters
        ----------
        pairs : DataFrame with columns ``user`` and ``item``, or iterable of pairs
            Unknown users or items get the model's documented fallback prediction.
        return_source : bool, default=False
            Also return, per pair, where the prediction came from: ``model``, or
            ``fallback:unknown user``, ``fallback:unknown item``,
            ``fallback:unknown user and item``.
        """
        self._check_fitted()
        if not self.tags.predicts_ratings:
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
        values = np.asarray(self._predict(user_idx, item_idx), dtype=np.float32)
        if not return_source:
            return values
        known_u, known_i = user_idx >= 0, item_idx >= 0
        sources = np.full(len(values), MODEL, dtype=object)
        sources[~known_u & known_i] = "fallback:unknown user"
        sources[known_u & ~known_i] = "fallback:unknown item"
        sources[~known_u & ~known_i] = "fallback:unknown user and item"
        return values, sources

    def _predict(self, user_idx: np.ndarray, item_idx: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # -- persistence ----------------------------------------------------------------
    def save(self, path: Any):
        """Write the fitted model to directory ``path`` (JSON + safetensors, no pickle)."""
        from pathlib import Path

        from tastemaker.models._artifacts import save_model

        self._check_fitted()
        return save_model(self, Path(path))


# -- helpers ---------------------------------------------------------------------------
def _as_list(values: Any) -> list[Any]:
    if isinstance(values, (str, bytes, int, np.integer)):
        return [values]
    if isinstance(values, (pd.Series, pd.Index, np.ndarray)):
        return values.tolist()
    return list(values)


def _extended(id_map: IdMap, ids: pd.Series, what: str, label: str) -> IdMap:
    """``id_map`` with the new ``ids`` appended, or a clear error when their type differs."""
    try:
        return id_map.with_ids(ids)
    except DataError as err:
        kind = "integers" if id_map.is_int else "strings"
        raise DataError(
            f"the events name {what}s whose ids are not {kind} (e.g. {ids.iloc[0]!r}), but "
            f"{label} keys {what}s by {kind}; give new {what}s ids of the same kind"
        ) from err


def _ranks(rows: np.ndarray) -> np.ndarray:
    """1-based rank within each run of equal, consecutive row numbers."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(rows)) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
    return (np.arange(len(rows)) - first + 1).astype(np.int64)


def _cat(parts: list, dtype) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=dtype)
    return np.concatenate([np.asarray(p, dtype=dtype) for p in parts])


def _take_rows(matrix: sp.csr_array, rows: np.ndarray) -> sp.csr_array:
    """Rows ``rows`` of a CSR array; -1 gives an empty row."""
    indptr, positions = gather_rows(matrix.indptr, rows)
    return sp.csr_array(
        (matrix.data[positions], matrix.indices[positions], indptr),
        shape=(len(rows), matrix.shape[1]),
    )


def pad_rows(array: np.ndarray, n_rows: int, fill: float = 0.0) -> np.ndarray:
    """``array`` with rows of ``fill`` appended up to ``n_rows`` (per-user state of users
    that ``update`` adds)."""
    if len(array) >= n_rows:
        return array
    pad = np.full((n_rows - len(array), *array.shape[1:]), fill, dtype=array.dtype)
    return np.concatenate([array, pad])


def _grow_rows(matrix: sp.csr_array, n_rows: int) -> sp.csr_array:
    """``matrix`` with empty rows appended up to ``n_rows``."""
    indptr = np.r_[matrix.indptr, np.full(n_rows - matrix.shape[0], matrix.indptr[-1])]
    return sp.csr_array(
        (matrix.data, matrix.indices, indptr.astype(matrix.indptr.dtype)),
        shape=(n_rows, matrix.shape[1]),
    )


def _merge_rows(old: sp.csr_array, new: sp.csr_array, how: str) -> sp.csr_array:
    """Histories ``old`` extended by ``new`` events: summed weights or counts, binary
    union, or (ratings) the new rating of a pair replacing the old one."""
    if new.nnz == 0:
        return old
    if old.nnz == 0:
        return new
    if how == "rating":
        pattern = new.copy()
        pattern.data[:] = 1.0
        kept = old - old.multiply(pattern)
        merged = sp.csr_array(kept + new)
    else:
        merged = sp.csr_array(old + new)
        if how == "binary":
            merged.data[:] = 1.0
    merged.sort_indices()
    merged.indices = merged.indices.astype(np.int32, copy=False)
    merged.indptr = merged.indptr.astype(old.indptr.dtype, copy=False)
    return sp.csr_array(merged, dtype=np.float32)


def _scored(reasons: np.ndarray) -> np.ndarray:
    """Which rows the model scores itself (no fallback reason)."""
    return np.fromiter((r is None for r in reasons.tolist()), dtype=bool, count=len(reasons))


def _tail_entries(
    counts: np.ndarray,
    k: int,
    own: np.ndarray,
    cold: np.ndarray,
    excluded: list[np.ndarray] | None,
    n_unknown: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Entries after the scored ones for rows with fewer than ``k``: the columns the
    model cannot score (rows it scored), then the unknown candidates (column ``-1 - j``
    for the ``j``-th); as (rows, columns, sources), or None when no row has room."""
    rows, cols, sources = [], [], []
    cold_cols = np.flatnonzero(cold)
    for r in np.flatnonzero(counts < k).tolist():
        fill = cold_cols if own[r] else cold_cols[:0]
        if excluded is not None and len(fill):
            fill = np.setdiff1d(fill, excluded[r], assume_unique=True)
        fill = fill[: k - counts[r]]
        unknown = -1 - np.arange(min(n_unknown, k - counts[r] - len(fill)))
        rows.append(np.full(len(fill) + len(unknown), r))
        cols.append(np.r_[fill, unknown])
        sources += [COLD_ITEM] * len(fill) + [UNKNOWN_ITEM] * len(unknown)
    if not rows:
        return None
    return np.concatenate(rows), np.concatenate(cols), np.asarray(sources, dtype=object)


def _excluded_columns(X: sp.csr_array, column_of: np.ndarray | None) -> list[np.ndarray]:
    """Per row, the columns of its history items (mapped to candidate columns)."""
    out = []
    for r in range(X.shape[0]):
        cols = X.indices[X.indptr[r] : X.indptr[r + 1]].astype(np.int64)
        if column_of is not None:
            cols = column_of[cols]
            cols = cols[cols >= 0]
        out.append(np.sort(cols))
    return out


def _mask(scores: np.ndarray, excluded: list[np.ndarray]) -> None:
    for r, cols in enumerate(excluded):
        if len(cols):
            scores[r, cols] = -np.inf


def _context_for(ids: np.ndarray, context: Any) -> pd.DataFrame | None:
    if context is None:
        return None
    if isinstance(context, Mapping):
        return pd.DataFrame([dict(context)] * len(ids))
    return aligned_rows(context, ids, "user", "context")


def _training_sequences(data: Dataset, seen: sp.csr_array, how: str) -> Sequences:
    """Each training user's events in time order (the file order without timestamps),
    one entry per event with the value the model learns from."""
    if how == "rating":
        values = data.interactions["rating"].to_numpy(np.float32)
    elif how == "weight" and "weight" in data.interactions.columns:
        values = data.interactions["weight"].to_numpy(np.float32)
    else:
        values = np.ones(data.n_interactions, dtype=np.float32)
    ts = data.interactions["timestamp"].to_numpy(np.int64) if data.has_timestamps else None
    return Sequences.from_events(data.user_idx, data.item_idx, values, ts, data.n_users)


def unknown_param_message(label: str, key: str, valid: list[str]) -> str:
    """Unknown parameter ``key`` of ``label``, with the closest valid name."""
    import difflib

    close = difflib.get_close_matches(key, valid, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return (
        f"{label}: unknown parameter {key!r}.{hint} Valid parameters: {', '.join(valid) or 'none'}."
    )
