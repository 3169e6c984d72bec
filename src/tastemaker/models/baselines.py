"""Baselines: most popular, random, and user/item biases (BaselineOnly)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tastemaker._typing import Index, Scores
from tastemaker.data import Dataset
from tastemaker.models._common import check_number
from tastemaker.models.base import Recommender
from tastemaker.models.registry import register

__all__ = ["Bias", "Popular", "Random"]


@register("popular")
class Popular(Recommender):
    """Most popular items: every user gets the items most users interacted with.

    The score of an item is the number of distinct training users who interacted with
    it; ties rank the lower item position first. Unknown users get the same list.
    """

    def __init__(self) -> None:
        pass

    def _fit(self, data: Dataset) -> None:
        pass  # the base class computes item_popularity_

    def _score(self, user_idx: Index, item_idx: Index | None) -> Scores:
        return self._fallback_scores(len(user_idx), item_idx)

    def _explain(self, user_idx: Index, item_idx: Index) -> list[str]:
        pop = self.item_popularity_
        return [
            f"popular: {int(pop[i])} of {self.n_users} users interacted with it"
            if i >= 0
            else "not in the training catalog"
            for i in item_idx.tolist()
        ]


@register("random")
class Random(Recommender):
    """Uniformly random scores: the floor every model must beat.

    Scores depend only on the seed, the user and the item, so repeated calls,
    batches and one-by-one calls agree.

    Parameters
    ----------
    random_state : int or None, default=None
        Seed; ``None`` draws one at fit time (kept in ``seed_``).

    Attributes
    ----------
    seed_ : int
        The seed used.
    """

    scores_cold_users = True

    def __init__(self, random_state: int | None = None) -> None:
        self.random_state = random_state

    def _check_params(self) -> None:
        if self.random_state is not None:
            check_number("random", "random_state", self.random_state, 0, integer=True)

    def _fit(self, data: Dataset) -> None:
        rng = np.random.default_rng(self.random_state)
        self.seed_ = int(rng.integers(0, 2**31 - 1))

    def _score(self, user_idx: Index, item_idx: Index | None) -> Scores:
        out = np.empty((len(user_idx), self.n_items), dtype=np.float32)
        for row, user in enumerate(user_idx.tolist()):
            out[row] = np.random.default_rng([self.seed_, user]).random(self.n_items)
        return out if item_idx is None else out[:, item_idx]


@register("bias")
class Bias(Recommender):
    """Global mean plus user and item biases (Surprise's BaselineOnly, fitted by ALS).

    Predicts ``mu + b_u + b_i``; for ranking, items are ordered by ``b_i``. Biases
    are estimated by alternating least squares (Koren 2010, eq. 2-3)::

        b_i = sum_u (r_ui - mu - b_u) / (regularization + n_i)
        b_u = sum_i (r_ui - mu - b_i) / (user_regularization + n_u)

    Unknown users predict ``mu + b_i``; unknown items ``mu + b_u``.

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
    """

    predicts_ratings = True
    matrix_values = "rating"
    search_space: ClassVar[dict[str, tuple]] = {
        "regularization": ("float", 0.1, 100.0, "log"),
        "user_regularization": ("float", 0.1, 100.0, "log"),
        "n_epochs": ("int", 1, 30),
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

    def _check_params(self) -> None:
        check_number("bias", "regularization", self.regularization, 0)
        check_number("bias", "user_regularization", self.user_regularization, 0)
        check_number("bias", "n_epochs", self.n_epochs, 1, integer=True)

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

    def _score(self, user_idx: Index, item_idx: Index | None) -> Scores:
        scores = self.global_mean_ + self.user_bias_[user_idx, None] + self.item_bias_[None, :]
        scores = scores.astype(np.float32)
        return scores if item_idx is None else scores[:, item_idx]

    def _predict(self, user_idx: np.ndarray, item_idx: np.ndarray) -> np.ndarray:
        b_u = np.where(user_idx >= 0, self.user_bias_[np.maximum(user_idx, 0)], 0.0)
        b_i = np.where(item_idx >= 0, self.item_bias_[np.maximum(item_idx, 0)], 0.0)
        return self.global_mean_ + b_u + b_i
