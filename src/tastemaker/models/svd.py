"""Explicit-rating matrix factorisation by SGD: SVD (biased MF) and SVD++."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from tastemaker._progress import progress
from tastemaker._typing import Index, Scores
from tastemaker._validation import SEED, Interval
from tastemaker.data import Dataset
from tastemaker.models import _svd_kernels as kernels
from tastemaker.models._common import numba_threads
from tastemaker.models._query import Query
from tastemaker.models._tags import Tags
from tastemaker.models.base import DEFAULT_SEED, Recommender, pad_rows
from tastemaker.models.registry import register

__all__ = ["SVD", "SVDpp"]

logger = logging.getLogger(__name__)


class _BiasedFactorization(Recommender):
    """Shared machinery of SVD and SVD++: parameters, scoring, prediction, fold-in.

    Subclasses implement ``_fit`` (SGD, then ``_store`` and ``_refine_users``) and
    ``_user_offsets`` / ``_fold_in_offsets`` (the term added to ``p_u``: none for SVD,
    the implicit sum for SVD++).
    """

    matrix_values = "rating"
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "n_factors": Interval("int", 1),
        "n_epochs": Interval("int", 0),
        "learning_rate": Interval("real", 0, closed="neither"),
        "regularization": Interval("real", 0),
        "bias_learning_rate": [Interval("real", 0, closed="neither"), None],
        "bias_regularization": [Interval("real", 0), None],
        "learning_rate_decay": Interval("real", 0, closed="neither"),
        "init_std": Interval("real", 0),
        "refine_users": bool,
        "n_threads": Interval("int", 0),
        "random_state": [SEED, None],
    }

    n_factors: int
    n_epochs: int
    learning_rate: float
    regularization: float
    bias_learning_rate: float | None
    bias_regularization: float | None
    learning_rate_decay: float
    init_std: float
    refine_users: bool
    n_threads: int
    random_state: int | None

    def __tastemaker_tags__(self) -> Tags:
        return replace(
            super().__tastemaker_tags__(), predicts_ratings=True, folds_in=True, updates=True
        )

    # -- helpers --------------------------------------------------------------------
    def _bias_rates(self) -> tuple[float, float]:
        lr = self.learning_rate if self.bias_learning_rate is None else self.bias_learning_rate
        reg = self.regularization if self.bias_regularization is None else self.bias_regularization
        return float(lr), float(reg)

    def _init_state(self, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """Global mean, zero biases (float64) and N(0, init_std) factors (float32)."""
        ratings = self.seen_.data.astype(np.float64)
        mu = float(ratings.mean())
        k = int(self.n_factors)
        P = rng.normal(0.0, self.init_std, (self.n_users, k)).astype(np.float32)
        Q = rng.normal(0.0, self.init_std, (self.n_items, k)).astype(np.float32)
        return mu, np.zeros(self.n_users), np.zeros(self.n_items), P, Q

    def _store(self, mu, user_bias, item_bias, P, Q) -> None:
        """Keep the fitted state; users and items without ratings get zero parameters."""
        users_empty = np.diff(self.seen_.indptr) == 0
        items_empty = self.item_popularity_ == 0
        P[users_empty] = 0.0
        user_bias[users_empty] = 0.0
        Q[items_empty] = 0.0
        item_bias[items_empty] = 0.0
        ratings = self.seen_.data
        self.global_mean_ = float(mu)
        self.min_rating_ = float(ratings.min())
        self.max_rating_ = float(ratings.max())
        self.user_bias_ = user_bias.astype(np.float32)
        self.item_bias_ = item_bias.astype(np.float32)
        self.user_factors_ = P.astype(np.float32)
        self.item_factors_ = Q.astype(np.float32)

    def _epoch_rate(self, epoch: int) -> float:
        return float(self.learning_rate_decay) ** epoch

    def _user_offsets(self, user_idx: np.ndarray) -> np.ndarray | None:
        return None

    # -- scoring --------------------------------------------------------------------
    def _raw_scores(self, bias: np.ndarray, vectors: np.ndarray, item_idx: Index | None):
        Q = self.item_factors_ if item_idx is None else self.item_factors_[item_idx]
        b_i = self.item_bias_ if item_idx is None else self.item_bias_[item_idx]
        scores = vectors.astype(np.float32) @ Q.T
        scores += (self.global_mean_ + bias.astype(np.float32))[:, None]
        scores += b_i[None, :]
        return scores.astype(np.float32, copy=False)

    def _score(self, query: Query) -> Scores:
        n, k = len(query), int(self.n_factors)
        bias = np.empty(n, dtype=np.float32)
        vectors = np.empty((n, k), dtype=np.float32)
        trained = query.trained
        if trained.any():
            idx = query.user_idx[trained]
            offsets = self._user_offsets(idx)
            bias[trained] = self.user_bias_[idx]
            vectors[trained] = self.user_factors_[idx] + (0.0 if offsets is None else offsets)
        if (~trained).any():
            b, v = self._folded(query.X[~trained])
            bias[~trained] = b
            vectors[~trained] = v
        return self._raw_scores(bias, vectors, query.item_idx)

    def _predict(self, user_idx: np.ndarray, item_idx: np.ndarray) -> np.ndarray:
        known_u = user_idx >= 0
        known_i = item_idx >= 0
        u = np.maximum(user_idx, 0)
        i = np.maximum(item_idx, 0)
        vectors = self.user_factors_[u]
        offsets = self._user_offsets(u)
        if offsets is not None:
            vectors = vectors + offsets
        dot = np.einsum("nf,nf->n", vectors, self.item_factors_[i])
        pred = (
            self.global_mean_
            + np.where(known_u, self.user_bias_[u], 0.0)
            + np.where(known_i, self.item_bias_[i], 0.0)
            + np.where(known_u & known_i, dot, 0.0)
        )
        return np.clip(pred, self.min_rating_, self.max_rating_)

    # -- the exact user step and fold-in ---------------------------------------------
    def _solve_users(self, X: sp.csr_array, offsets: np.ndarray) -> tuple[np.ndarray, ...]:
        """``(b_u, p_u)`` of the rows of ``X`` by ridge regression, items fixed (the
        fitted float32 item parameters)."""
        _, reg_bias = self._bias_rates()
        with numba_threads(self.n_threads):
            return kernels.solve_users(
                X.indptr.astype(np.int64),
                X.indices.astype(np.int32),
                X.data.astype(np.float64),
                offsets,
                float(self.global_mean_),
                self.item_bias_.astype(np.float64),
                self.item_factors_.astype(np.float64),
                reg_bias,
                float(self.regularization),
            )

    def _refine_users(self, offsets: np.ndarray) -> None:
        if self.refine_users:
            bias, factors = self._solve_users(self.seen_, offsets)
            self.user_bias_ = bias.astype(np.float32)
            self.user_factors_ = factors.astype(np.float32)

    def _fold_in_offsets(self, X: sp.csr_array) -> np.ndarray:
        return np.zeros((X.shape[0], self.item_factors_.shape[1]))

    def _folded(self, X: sp.csr_array) -> tuple[np.ndarray, np.ndarray]:
        """``(b_u, p_u + offset)`` of history rows ``X`` by the exact user step."""
        X = sp.csr_array(X)
        X.sort_indices()
        offsets = self._fold_in_offsets(X)
        bias, factors = self._solve_users(X, offsets)
        return bias.astype(np.float32), factors.astype(np.float32) + offsets.astype(np.float32)

    def _update(self, users: np.ndarray) -> None:
        n = self.n_users
        self.user_bias_ = pad_rows(self.user_bias_, n)
        self.user_factors_ = pad_rows(self.user_factors_, n)
        X = sp.csr_array(self.seen_[users])
        X.sort_indices()
        offsets = self._fold_in_offsets(X)
        bias, factors = self._solve_users(X, offsets)
        self.user_bias_[users] = bias
        self.user_factors_[users] = factors
        self._store_offsets(users, offsets)

    def _store_offsets(self, users: np.ndarray, offsets: np.ndarray) -> None:
        """Keep the implicit term of updated users (SVD++)."""


@register("svd")
class SVD(_BiasedFactorization):
    """Biased matrix factorisation of explicit ratings by SGD (Surprise's ``SVD``).

    Predicts ``r_ui = mu + b_u + b_i + q_i . p_u`` and minimises, by stochastic
    gradient descent over the training ratings (a fresh random order each epoch)::

        sum_(u,i) [ (r_ui - r_ui_hat) ** 2 + reg_b (b_u ** 2 + b_i ** 2)
                                           + reg (||p_u|| ** 2 + ||q_i|| ** 2) ]

    with the updates of Funk / Koren (2008), exactly as Surprise (``e`` the error)::

        b_u += lr_b (e - reg_b b_u)        p_u += lr (e q_i - reg p_u)
        b_i += lr_b (e - reg_b b_i)        q_i += lr (e p_u - reg q_i)

    The SGD epochs run sequentially on one core, deterministic given ``random_state``
    (Hogwild-style parallel SGD would make results depend on thread timing). With
    ``refine_users=True`` they are followed by one exact minimisation of the same
    objective over the user parameters with the items fixed (a ridge regression per
    user: half an ALS step), which makes fold-in reproduce training users exactly. It
    usually costs accuracy, since SGD also regularises the users by stopping early
    (ML-100K u1 test RMSE: 0.9212 -> 0.9221 with the defaults, 0.949 -> 0.975 with
    Surprise's), and a ``k x k`` solve per user, hence off by default (then the model
    is Surprise's SVD, shuffled each epoch).
    ``n_threads`` parallelises those per-user solves (refinement and fold-in), whose
    results do not depend on the thread count.

    Defaults were tuned (Optuna) on a validation split of ML-100K's u1.base.

    Ranking scores are the (unclipped) predicted ratings over all items; items without
    training ratings rank last. ``predict`` clips to the training rating range.

    Parameters
    ----------
    n_factors : int, default=70
        Latent dimensions.
    n_epochs : int, default=40
        SGD passes over the ratings.
    learning_rate : float, default=0.0177
        Step size ``lr`` of the factors (and of the biases unless
        ``bias_learning_rate`` is set).
    regularization : float, default=0.118
        L2 penalty ``reg`` per rating on the factors (and on the biases unless
        ``bias_regularization`` is set).
    bias_learning_rate : float or None, default=0.0045
        Step size ``lr_b`` of the biases; None: ``learning_rate``.
    bias_regularization : float or None, default=0.044
        L2 penalty ``reg_b`` on the biases; None: ``regularization``.
    learning_rate_decay : float, default=0.99
        Both step sizes are multiplied by this after each epoch.
    init_std : float, default=0.03
        Factors start as draws from N(0, init_std ** 2); biases start at 0.
    refine_users : bool, default=False
        Finish with the exact per-user least-squares step (see above).
    n_threads : int, default=0
        Threads for the per-user solves; 0: all cores.
    random_state : int or None, default=42
        Seed of the initial factors and the SGD order (None: a fresh one).

    Attributes
    ----------
    global_mean_ : float
        Mean training rating ``mu``.
    user_bias_ : ndarray of shape (n_users,)
    item_bias_ : ndarray of shape (n_items,)
    user_factors_ : ndarray of shape (n_users, n_factors)
    item_factors_ : ndarray of shape (n_items, n_factors)
        float32; users and items without training ratings have zero biases and factors.
    min_rating_, max_rating_ : float
        Training rating range (``predict`` clips to it).
    training_loss_ : ndarray of shape (n_epochs,)
        RMSE of the training errors seen during each epoch.

    Notes
    -----
    Unknown users: ``predict`` gives ``mu + b_i``; ``recommend`` gives the popularity
    fallback. Unknown items: ``predict`` gives ``mu + b_u``.

    Fold-in: a new user's ``(b_u, p_u)`` is the exact minimiser of the training
    objective restricted to that user with the items fixed: a ridge regression on the
    user's ratings with penalties ``n_u reg_b`` and ``n_u reg`` (``n_u`` ratings). With
    ``refine_users=True`` this is how training users were finished, so folding in a
    training user's ratings reproduces their scores; without it, up to the SGD noise
    left after the last epoch (ML-100K 80/20: folded-in training users predict the test
    ratings as well as the trained ones, RMSE 0.901 both).

    References
    ----------
    Koren, Bell and Volinsky (2009), "Matrix factorization techniques for recommender
    systems", IEEE Computer 42(8). Hug (2020), "Surprise: a Python library for
    recommender systems", JOSS 5(52).
    """

    search_space: ClassVar[dict[str, tuple]] = {
        "n_factors": ("int", 10, 300, "log"),
        "n_epochs": ("int", 10, 100),
        "learning_rate": ("float", 1e-3, 3e-2, "log"),
        "regularization": ("float", 1e-3, 0.3, "log"),
        "bias_learning_rate": ("float", 1e-3, 3e-2, "log"),
        "bias_regularization": ("float", 1e-3, 0.3, "log"),
        "learning_rate_decay": ("float", 0.9, 1.0),
        "init_std": ("float", 0.005, 0.2, "log"),
    }

    def __init__(
        self,
        n_factors: int = 70,
        n_epochs: int = 40,
        learning_rate: float = 0.0177,
        regularization: float = 0.118,
        bias_learning_rate: float | None = 0.0045,
        bias_regularization: float | None = 0.044,
        learning_rate_decay: float = 0.99,
        init_std: float = 0.03,
        refine_users: bool = False,
        n_threads: int = 0,
        random_state: int | None = DEFAULT_SEED,
    ) -> None:
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.bias_learning_rate = bias_learning_rate
        self.bias_regularization = bias_regularization
        self.learning_rate_decay = learning_rate_decay
        self.init_std = init_std
        self.refine_users = refine_users
        self.n_threads = n_threads
        self.random_state = random_state

    def _fit(self, data: Dataset) -> None:
        rng = np.random.default_rng(self.random_state)
        mu, user_bias, item_bias, P, Q = self._init_state(rng)
        X = self.seen_
        users = np.repeat(np.arange(self.n_users, dtype=np.int32), np.diff(X.indptr))
        items = X.indices.astype(np.int32)
        ratings = X.data.astype(np.float64)
        lr_bias, reg_bias = self._bias_rates()
        losses = np.zeros(self.n_epochs)
        for epoch in progress(range(self.n_epochs), total=self.n_epochs, desc="epochs"):
            order = rng.permutation(len(ratings))
            scale = self._epoch_rate(epoch)
            sse = kernels.svd_epoch(
                users,
                items,
                ratings,
                order,
                mu,
                user_bias,
                item_bias,
                P,
                Q,
                lr_bias * scale,
                float(self.learning_rate) * scale,
                reg_bias,
                float(self.regularization),
            )
            losses[epoch] = np.sqrt(sse / len(ratings))
        self.training_loss_ = losses.astype(np.float32)
        logger.debug(
            "%s: training RMSE %s after %d epochs", self._label(), losses[-1:], len(losses)
        )
        self._store(mu, user_bias, item_bias, P, Q)
        self._refine_users(np.zeros((self.n_users, int(self.n_factors))))


@register("svdpp")
class SVDpp(_BiasedFactorization):
    """SVD++: biased matrix factorisation with implicit feedback (Koren 2008), by SGD.

    Predicts ``r_ui = mu + b_u + b_i + q_i . (p_u + z_u)`` with the implicit term
    ``z_u = |N(u)| ** -0.5 sum_{j in N(u)} y_j``, ``N(u)`` the items ``u`` rated in
    training. Same objective as :class:`SVD` plus ``reg_y ||y_j|| ** 2`` per rating.

    The SGD variant (the usual fast one; documented because implementations differ):
    each epoch visits the users in a fresh random order, and each user's ratings in a
    fresh random order. Per user, ``z_u`` is computed once; every rating then updates
    ``b_u``, ``b_i``, ``p_u`` and ``q_i`` exactly as Surprise's ``SVDpp`` (``q_i`` with
    ``p_u + z_u``) and adds ``e q_i`` to a gradient sum ``g``; after the user's ratings
    each ``y_j``, ``j in N(u)``, gets ``y_j = (1 - lr_y reg_y) ** |N(u)| y_j +
    lr_y |N(u)| ** -0.5 g``: Surprise's per-rating updates of ``y_j`` summed with ``y``
    held fixed during the user's ratings. This costs O(|N(u)| k) per user where
    Surprise's SVDpp costs O(|N(u)| k) per rating. ``refine_users`` and ``n_threads``
    as in :class:`SVD` (the user step keeps ``z_u`` and the items fixed); refinement
    cost 0.007 validation RMSE here, so it is off by default.

    Defaults were tuned (Optuna) on a validation split of ML-100K's u1.base: many
    factors with a small initialisation, slow implicit factors.

    Parameters
    ----------
    n_factors : int, default=240
        Latent dimensions.
    n_epochs : int, default=37
        SGD passes.
    learning_rate : float, default=0.0062
        Step size of ``p_u`` and ``q_i`` (and of the biases and ``y_j`` unless set
        separately).
    regularization : float, default=0.037
        L2 penalty per rating on ``p_u`` and ``q_i`` (and on the biases and ``y_j``
        unless set separately).
    implicit_learning_rate : float or None, default=0.00084
        Step size ``lr_y`` of ``y_j``; None: ``learning_rate``.
    implicit_regularization : float or None, default=0.0022
        Penalty ``reg_y`` on ``y_j``; None: ``regularization``.
    bias_learning_rate : float or None, default=0.0018
        Step size of the biases; None: ``learning_rate``.
    bias_regularization : float or None, default=0.026
        Penalty on the biases; None: ``regularization``.
    learning_rate_decay : float, default=0.997
        Every step size is multiplied by this after each epoch.
    init_std : float, default=0.012
        ``p_u``, ``q_i`` and ``y_j`` start as draws from N(0, init_std ** 2).
    refine_users : bool, default=False
        Finish with the exact per-user least-squares step.
    n_threads : int, default=0
        Threads for the per-user solves; 0: all cores.
    random_state : int or None, default=42
        Seed of the initial factors and the SGD order (None: a fresh one).

    Attributes
    ----------
    global_mean_ : float
    user_bias_ : ndarray of shape (n_users,)
    item_bias_ : ndarray of shape (n_items,)
    user_factors_ : ndarray of shape (n_users, n_factors)
        ``p_u`` (the explicit part).
    item_factors_ : ndarray of shape (n_items, n_factors)
        ``q_i``.
    implicit_factors_ : ndarray of shape (n_items, n_factors)
        ``y_j``.
    user_implicit_ : ndarray of shape (n_users, n_factors)
        ``z_u`` of each training user.
    min_rating_, max_rating_ : float
    training_loss_ : ndarray of shape (n_epochs,)

    Notes
    -----
    Unknown users: ``predict`` gives ``mu + b_i``; ``recommend`` the popularity
    fallback. Unknown items: ``predict`` gives ``mu + b_u``. Items without training
    ratings rank last.

    Fold-in: ``z_u`` from the new user's rated items, then ``(b_u, p_u)`` by the ridge
    regression of :class:`SVD` with ``q_j . z_u`` as an offset (items and ``y`` fixed);
    exact for training users with ``refine_users=True``. Otherwise a little less
    accurate than the trained users, whom SGD also regularises by stopping early
    (ML-100K 80/20 with the defaults: test RMSE 0.895 folded in vs 0.887 trained).

    References
    ----------
    Koren (2008), "Factorization meets the neighborhood: a multifaceted collaborative
    filtering model", KDD.
    """

    search_space: ClassVar[dict[str, tuple]] = {
        **SVD.search_space,
        "implicit_learning_rate": ("float", 1e-4, 3e-2, "log"),
        "implicit_regularization": ("float", 1e-3, 1.0, "log"),
    }

    def __init__(
        self,
        n_factors: int = 240,
        n_epochs: int = 37,
        learning_rate: float = 0.0062,
        regularization: float = 0.037,
        implicit_learning_rate: float | None = 0.00084,
        implicit_regularization: float | None = 0.0022,
        bias_learning_rate: float | None = 0.0018,
        bias_regularization: float | None = 0.026,
        learning_rate_decay: float = 0.997,
        init_std: float = 0.012,
        refine_users: bool = False,
        n_threads: int = 0,
        random_state: int | None = DEFAULT_SEED,
    ) -> None:
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.implicit_learning_rate = implicit_learning_rate
        self.implicit_regularization = implicit_regularization
        self.bias_learning_rate = bias_learning_rate
        self.bias_regularization = bias_regularization
        self.learning_rate_decay = learning_rate_decay
        self.init_std = init_std
        self.refine_users = refine_users
        self.n_threads = n_threads
        self.random_state = random_state

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **_BiasedFactorization._parameter_constraints,
        "implicit_learning_rate": [Interval("real", 0, closed="neither"), None],
        "implicit_regularization": [Interval("real", 0), None],
    }

    def _implicit_rates(self) -> tuple[float, float]:
        lr = self.learning_rate
        if self.implicit_learning_rate is not None:
            lr = self.implicit_learning_rate
        reg = self.regularization
        if self.implicit_regularization is not None:
            reg = self.implicit_regularization
        return float(lr), float(reg)

    def _fit(self, data: Dataset) -> None:
        rng = np.random.default_rng(self.random_state)
        mu, user_bias, item_bias, P, Q = self._init_state(rng)
        Y = rng.normal(0.0, self.init_std, Q.shape).astype(np.float32)
        X = self.seen_
        indptr = X.indptr.astype(np.int64)
        indices = X.indices.astype(np.int32)
        ratings = X.data.astype(np.float64)
        lr_bias, reg_bias = self._bias_rates()
        lr_y, reg_y = self._implicit_rates()
        losses = np.zeros(self.n_epochs)
        for epoch in progress(range(self.n_epochs), total=self.n_epochs, desc="epochs"):
            user_order = rng.permutation(self.n_users)
            keys = rng.random(len(ratings))
            scale = self._epoch_rate(epoch)
            sse = kernels.svdpp_epoch(
                indptr,
                indices,
                ratings,
                user_order,
                keys,
                mu,
                user_bias,
                item_bias,
                P,
                Q,
                Y,
                lr_bias * scale,
                float(self.learning_rate) * scale,
                lr_y * scale,
                reg_bias,
                float(self.regularization),
                reg_y,
            )
            losses[epoch] = np.sqrt(sse / len(ratings))
        self.training_loss_ = losses.astype(np.float32)
        logger.debug(
            "%s: training RMSE %s after %d epochs", self._label(), losses[-1:], len(losses)
        )
        Y[self.item_popularity_ == 0] = 0.0
        self.implicit_factors_ = Y
        offsets = kernels.implicit_sums(indptr, indices, Y)
        self.user_implicit_ = offsets.astype(np.float32)
        self._store(mu, user_bias, item_bias, P, Q)
        self._refine_users(offsets)

    def _user_offsets(self, user_idx: np.ndarray) -> np.ndarray:
        return self.user_implicit_[user_idx]

    def _fold_in_offsets(self, X: sp.csr_array) -> np.ndarray:
        return kernels.implicit_sums(
            X.indptr.astype(np.int64),
            X.indices.astype(np.int32),
            self.implicit_factors_,
        )

    def _store_offsets(self, users: np.ndarray, offsets: np.ndarray) -> None:
        self.user_implicit_ = pad_rows(self.user_implicit_, self.n_users)
        self.user_implicit_[users] = offsets
