"""Social: friends' interactions as a signal, around any fold-in model."""

from __future__ import annotations

import copy
import logging
import warnings
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker._typing import Scores
from tastemaker._validation import Check, Interval
from tastemaker.data import Dataset, IdMap
from tastemaker.errors import DataError, DataWarning, ParameterError
from tastemaker.features._tfidf import values as split_values
from tastemaker.models._common import WEIGHTINGS, apply_weighting
from tastemaker.models._query import Query
from tastemaker.models._tags import Tags
from tastemaker.models.base import Recommender
from tastemaker.models.registry import create_model, get_model_class, register

__all__ = ["Social"]

logger = logging.getLogger(__name__)

_PREFIX = "inner__"
"""Saved attributes of the wrapped model carry this prefix."""
_SHARED = (
    "users_",
    "items_",
    "seen_",
    "item_popularity_",
    "training_data_",
    "item_table_",
)
"""Fitted state the wrapped model has in common with the wrapper (saved once)."""


def _l1_rows(matrix: sp.csr_array) -> sp.csr_array:
    """``matrix`` with every non-zero row scaled to sum 1."""
    totals = np.asarray(matrix.sum(axis=1), dtype=np.float64).ravel()
    scale = np.where(totals > 0, 1.0 / np.where(totals > 0, totals, 1.0), 0.0)
    return sp.csr_array(sp.diags_array(scale.astype(np.float32)) @ matrix, dtype=np.float32)


@register("social")
class Social(Recommender):
    """Friends' interactions added to a user's history before a fold-in model scores it.

    A user's history row ``x_u`` (as the wrapped model learns interactions) becomes
    ``x_u + beta * |x_u| * mean_f(x_f / |x_f|)`` before the wrapped model folds it in:
    the mean over the user's friends with training history of their rows, each scaled
    to sum 1, weighted so that the friends count ``beta`` times the user's own history
    (``|x|``: a row's sum; 1 for a user without history). Rows are taken as the wrapped
    model weighs them (EASE's ``weighting``: binary or log values), and the sum is
    scored as it is, so that a friend's item counts less than the user's own.
    ``beta=0`` is the wrapped
    model; a user with friends but no history of their own is scored from the friends
    alone, and one with neither gets the popularity fallback. Every user, trained or
    not, is folded in, so that the friends count for everyone alike; the user's own
    items are still the ones excluded from the list.

    Friends come from ``data.extras[friends]`` (a table ``user, friend``: the friends
    of ``u`` are the ``friend`` of the rows whose ``user`` is ``u``; Last.fm-2k's
    ``user_friends.dat`` lists each friendship in both directions), or from a
    multi-valued column ``friends`` of the user table (``"u2|u7"`` or a list); users
    the model has not seen may bring theirs as a ``friends`` column of
    ``recommend(..., features=...)`` (``recommend --users users.csv``). A friend the
    training data does not know is reported (a :class:`~tastemaker.errors.DataWarning`
    with the count and an example) and left out; a friend who is known but has no
    training history contributes nothing.

    Parameters
    ----------
    model : str, default="ease"
        Registry name of the wrapped model; it must fold histories in (``folds_in``),
        learn from implicit feedback and not read sequences (``ease``, ``item-knn``,
        ``als``, ``slim``, ``mult-vae`` ...).
    model_params : dict or None, default=None
        Parameters of the wrapped model.
    beta : float, default=1.0
        Weight of the friends' mean row relative to the user's own history (>= 0).
        On Last.fm-2k new users (``benchmarks/lastfm_friends.py``, validation carves
        of two seeds) the best value fell from 2 to 4 with 1 revealed artist to 0.5 to
        1 with 5; 1 was within 0.002 NDCG@10 of the best from 3 reveals on.
    friends : str, default="friends"
        Name of the friends table in ``data.extras`` and of the friends column of the
        user table and of query features.

    Attributes
    ----------
    friend_users_ : IdMap
        Users with friends in the training data (ids; they need not have history).
    friend_graph_ : csr_array of shape (len(friend_users_), n_users)
        1 where the row's user has the column's user as a friend.

    References
    ----------
    H. Ma, D. Zhou, C. Liu, M. R. Lyu, I. King. Recommender Systems with Social
    Regularization. WSDM 2011.
    """

    search_space: ClassVar[dict[str, tuple]] = {"beta": ("float", 0.0, 2.0)}
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "model": str,
        "model_params": [Check(lambda v: isinstance(v, dict), "a dict of parameters"), None],
        "beta": Interval("real", 0),
        "friends": str,
    }

    def __init__(
        self,
        model: str = "ease",
        model_params: dict[str, Any] | None = None,
        beta: float = 1.0,
        friends: str = "friends",
    ) -> None:
        self.model = model
        self.model_params = model_params
        self.beta = beta
        self.friends = friends

    @property
    def matrix_values(self) -> str:  # type: ignore[override]
        """The wrapped model's: histories are built as it learns interactions."""
        return get_model_class(self.model).matrix_values

    def _make_inner(self) -> Recommender:
        if self.model == self.name:
            raise ParameterError('social: parameter "model" must name another model, got "social"')
        inner = create_model(self.model, **(self.model_params or {}))
        tags = inner.tags
        if not tags.folds_in or tags.uses_sequences or inner.matrix_values == "rating":
            raise ParameterError(
                f'social: parameter "model" must name a model that folds in histories of '
                f"implicit feedback (ease, item-knn, als, ...), got {self.model!r}"
            )
        return inner

    def _check_params(self) -> None:
        super()._check_params()
        self._make_inner()

    def __tastemaker_tags__(self) -> Tags:
        inner = self.__dict__.get("_inner")
        try:
            inner_tags = (inner or self._make_inner()).tags
        except ParameterError:  # reported by fit
            inner_tags = Tags()
        return replace(
            super().__tastemaker_tags__(),
            folds_in=True,
            uses_features=True,
            scores_cold_users=True,
            scores_cold_items=inner_tags.scores_cold_items,
        )

    # -- fitting --------------------------------------------------------------------------
    def _fit(self, data: Dataset) -> None:
        pairs = self._training_pairs(data)
        inner = self._make_inner()
        inner.fit(data)
        self._inner = inner
        users = pairs["user"].tolist()
        friend_idx = self._known_friends(pairs["friend"], f"{data.name}: friends")
        keep = friend_idx >= 0
        self.friend_users_ = IdMap(users) if users else IdMap(np.zeros(0, dtype=np.int64))
        rows = self.friend_users_.index_of(pairs["user"][keep])
        graph = sp.csr_array(
            (np.ones(int(keep.sum()), dtype=np.float32), (rows, friend_idx[keep])),
            shape=(len(self.friend_users_), self.n_users),
        )
        graph.data[:] = 1.0  # repeated pairs once
        self.friend_graph_ = graph
        logger.info(
            "social: %d friend links of %d users around %s",
            graph.nnz,
            len(self.friend_users_),
            self.model,
        )

    def _training_pairs(self, data: Dataset) -> pd.DataFrame:
        """``user, friend`` pairs from the extras table or the user-table column."""
        table = data.extras.get(self.friends)
        if table is not None:
            if not isinstance(table, pd.DataFrame) or not {"user", "friend"} <= set(table):
                found = list(table.columns) if isinstance(table, pd.DataFrame) else type(table)
                raise DataError(
                    f"{data.name}: extras[{self.friends!r}] must be a table with columns "
                    f"'user' and 'friend'; found {found}"
                )
            return table[["user", "friend"]].dropna().reset_index(drop=True)
        if data.users is not None and self.friends in data.users.columns:
            return _pairs_of(data.users.index.to_numpy(dtype=object), data.users[self.friends])
        logger.warning(
            "social: %s has no friends (a table extras[%r] of user, friend, or a column %r "
            "of the user table); it ranks as %s does",
            data.name,
            self.friends,
            self.friends,
            self.model,
        )
        return pd.DataFrame({"user": pd.Series([], dtype=object), "friend": []})

    def _known_friends(self, friends: pd.Series, where: str, warn: bool = True) -> np.ndarray:
        """Positions of ``friends`` in ``users_`` (-1 for unknown ids, reported when
        ``warn``)."""
        idx = self.users_.index_of(friends.to_numpy(dtype=object), missing="mask", what="user")
        unknown = idx < 0
        if unknown.any() and warn:
            example = friends.iloc[int(np.flatnonzero(unknown)[0])]
            example = example.item() if isinstance(example, np.generic) else example
            warnings.warn(
                f"{where}: {int(unknown.sum())} friend link(s) name users unknown to the "
                f"training data (e.g. {example!r}); they are left out",
                DataWarning,
                stacklevel=4,
            )
        return idx

    # -- state of the wrapped model ------------------------------------------------------
    def _extra_state(self) -> dict[str, Any]:
        inner = self._inner
        state = {
            k: v
            for k, v in vars(inner).items()
            if k.endswith("_") and not k.startswith("_") and k not in _SHARED
        }
        state.update(inner._extra_state())
        return {_PREFIX + k: v for k, v in state.items()}

    def _restore_state(self, state: dict[str, Any]) -> dict[str, Any]:
        inner = self._make_inner()
        own = {k: v for k, v in state.items() if not k.startswith(_PREFIX)}
        wrapped = {k[len(_PREFIX) :]: v for k, v in state.items() if k.startswith(_PREFIX)}
        wrapped.update({k: own[k] for k in _SHARED if k in own})
        for name, value in inner._restore_state(wrapped).items():
            setattr(inner, name, value)
        self._inner = inner
        return own

    # -- scoring --------------------------------------------------------------------------
    def _friend_rows(self, query: Query, warn: bool = False) -> sp.csr_array:
        """Per query row, weights over training users: 1/n for each of its n friends
        with training history. ``warn``: report given friends the training data does not
        know (once per call: the cold-user check)."""
        rows = self.friend_users_.index_of(query.user_ids, missing="mask", what="user")
        picked = sp.csr_array((len(query), self.n_users), dtype=np.float32)
        if len(self.friend_users_):
            known = sp.diags_array((rows >= 0).astype(np.float32))
            picked = sp.csr_array(known @ self.friend_graph_[np.maximum(rows, 0)])
        given = query.features
        if given is not None and self.friends in given.columns:
            pairs = _pairs_of(np.arange(len(query), dtype=object), given[self.friends])
            idx = self._known_friends(pairs["friend"], "the friends given", warn)
            keep = idx >= 0
            extra = sp.csr_array(
                (
                    np.ones(int(keep.sum()), dtype=np.float32),
                    (pairs["user"][keep].to_numpy(np.int64), idx[keep]),
                ),
                shape=picked.shape,
            )
            picked = sp.csr_array(picked + extra)
            picked.data[:] = 1.0
        active = (np.diff(self.seen_.indptr) > 0).astype(np.float32)
        return _l1_rows(sp.csr_array(picked @ sp.diags_array(active)))

    def _scorer(self) -> tuple[Recommender, str]:
        """The wrapped model as it scores augmented rows, and the weighting of the rows
        (EASE's ``weighting``: applied here, before the friends are added, and not again)."""
        inner = self._inner
        weighting = getattr(inner, "weighting", None)
        if weighting not in WEIGHTINGS or weighting == "weight":
            return inner, "weight"

        def make() -> Recommender:
            view = copy.copy(inner)  # shares the fitted arrays
            view.__dict__.pop("_cache", None)
            view.weighting = "weight"
            return view

        return self._cached("scorer", make), weighting

    def _augmented(self, query: Query, weighting: str) -> Query:
        """The query with the friends' mean row added to each history, folded in."""
        X = sp.csr_array(apply_weighting(query.X, weighting), dtype=np.float32)
        if float(self.beta) > 0:
            normed = self._cached(
                "normed", lambda: _l1_rows(apply_weighting(self.seen_, weighting))
            )
            signal = self._friend_rows(query) @ normed
            mass = np.asarray(X.sum(axis=1), dtype=np.float64).ravel()
            mass = np.where(mass > 0, mass, 1.0) * float(self.beta)
            X = sp.csr_array(X + sp.diags_array(mass.astype(np.float32)) @ signal)
        return replace(query, X=X, trained=np.zeros(len(query), dtype=bool))

    def _cold_user_support(self, query: Query) -> np.ndarray:
        if float(self.beta) == 0:
            return np.zeros(len(query), dtype=bool)
        return np.diff(self._friend_rows(query, warn=True).indptr) > 0

    def _score(self, query: Query) -> Scores:
        scorer, weighting = self._scorer()
        return scorer._score(self._augmented(query, weighting))


def _pairs_of(users: np.ndarray, cells: pd.Series) -> pd.DataFrame:
    """``user, friend`` pairs from a multi-valued friends column (``"a|b"`` or lists).
    Friend ids stay as written: :meth:`IdMap.index_of` matches ``"7"`` to the integer id
    7 and never ``"007"``."""
    user, friend = [], []
    for u, cell in zip(users.tolist(), cells.tolist(), strict=True):
        for f in split_values(cell):
            user.append(u)
            friend.append(f)
    return pd.DataFrame(
        {"user": pd.Series(user, dtype=object), "friend": pd.Series(friend, dtype=object)}
    )
