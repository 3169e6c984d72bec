"""SLIM: sparse linear item-item model fitted by non-negative elastic net."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from tastemaker._typing import Scores
from tastemaker._validation import Interval, Options
from tastemaker.data import Dataset
from tastemaker.models._common import WEIGHTINGS, Weighting, apply_weighting, numba_threads
from tastemaker.models._query import Query
from tastemaker.models._slim_kernels import slim_columns
from tastemaker.models._tags import Tags
from tastemaker.models.base import Recommender
from tastemaker.models.registry import register

__all__ = ["SLIM"]

logger = logging.getLogger(__name__)

_BLOCK_VALUES = 1 << 23
"""Target items fitted per kernel call: at most this many float64 weights (64 MiB)."""


@register("slim")
class SLIM(Recommender):
    """Sparse linear method: item-item weights by non-negative elastic net (Ning & Karypis 2011).

    Each column ``w = W[:, j]`` solves, independently of the others,

    ``min_{w >= 0, w_j = 0}  1/(2 n_users) ||X[:, j] - X w||² + α ρ ||w||_1 + α (1 - ρ)/2 ||w||²``

    with ``α = regularization`` and ``ρ = l1_ratio``: exactly scikit-learn's
    ``ElasticNet(alpha=regularization, l1_ratio=l1_ratio, positive=True,
    fit_intercept=False)`` fitted on ``X`` with column ``j`` removed. (The paper's
    ``β/2 ||w||² + λ ||w||_1`` on the unscaled loss is ``β = n_users · α (1 - ρ)``,
    ``λ = n_users · α ρ``; with ``ρ = 0`` and without the sign constraint SLIM would be
    :class:`EASE` with ``regularization = n_users · α``.) The columns are fitted by
    cyclic coordinate descent in a numba kernel (visiting only items that co-occur with
    the target often enough to get a weight, and sweeping the non-zero weights alone
    between full sweeps), in parallel over target items; targets are independent, so
    the result does not depend on ``n_threads``. Memory stays near the size of ``X``
    plus the weights (no gram matrix). A user's scores are their interaction row times ``W``.

    Items without training interactions get no weights: the model cannot score them,
    so they rank after every scored item. Users who are unknown or have no training
    history get the popularity fallback. Fold-in and ``update`` are exact: a history's
    scores are its (weighted) row times ``weights_``.

    Parameters
    ----------
    regularization : float, default=0.124
        Overall elastic-net strength ``α`` (> 0; scikit-learn's ``alpha``), relative to
        the squared error averaged over users. With ``weighting="log"`` or ``"weight"``
        the errors grow with the squared values, so scale it up accordingly.
    l1_ratio : float, default=0.00863
        Share ``ρ`` of the penalty that is L1 (in [0, 1]; scikit-learn's ``l1_ratio``);
        more L1 gives sparser weights.
    n_neighbors : int or None, default=None
        Keep only the largest ``n_neighbors`` weights of each column (``None``: every
        non-zero weight).
    n_epochs : int, default=100
        Maximum coordinate-descent sweeps over all candidate items, per target item
        (scikit-learn's ``max_iter``); between two such sweeps the non-zero weights
        alone are swept until they settle (at most ``n_epochs`` times).
    tol : float, default=1e-4
        A target item stops when the largest weight change in a sweep is at most
        ``tol`` times its largest weight.
    weighting : {"binary", "log", "weight"}, default="binary"
        How interaction values enter ``X`` (see :class:`EASE`).
    n_threads : int, default=0
        Threads for fitting (0: all cores).

    Attributes
    ----------
    weights_ : csr_array of shape (n_items, n_items), float32
        Non-negative item-item weights with a zero diagonal; ``weights_[j, i]`` is how
        much an interaction with item ``j`` adds to the score of item ``i``.

    References
    ----------
    X. Ning and G. Karypis. SLIM: Sparse Linear Methods for Top-N Recommender Systems.
    ICDM 2011.
    """

    search_space: ClassVar[dict[str, tuple]] = {
        "regularization": ("float", 1e-3, 3.0, "log"),
        "l1_ratio": ("float", 1e-3, 0.5, "log"),
    }

    def __init__(
        self,
        regularization: float = 0.124,
        l1_ratio: float = 0.00863,
        n_neighbors: int | None = None,
        n_epochs: int = 100,
        tol: float = 1e-4,
        weighting: Weighting = "binary",
        n_threads: int = 0,
    ) -> None:
        self.regularization = regularization
        self.l1_ratio = l1_ratio
        self.n_neighbors = n_neighbors
        self.n_epochs = n_epochs
        self.tol = tol
        self.weighting = weighting
        self.n_threads = n_threads

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "regularization": Interval("real", 0, closed="neither"),
        "l1_ratio": Interval("real", 0, 1),
        "n_neighbors": [Interval("int", 1), None],
        "n_epochs": Interval("int", 1),
        "tol": Interval("real", 0),
        "weighting": Options(WEIGHTINGS),
        "n_threads": Interval("int", 0),
    }

    def __tastemaker_tags__(self) -> Tags:
        return replace(super().__tastemaker_tags__(), folds_in=True, updates=True)

    def _fit(self, data: Dataset) -> None:
        X = apply_weighting(self.seen_, self.weighting).astype(np.float64)
        X.eliminate_zeros()
        n_items = X.shape[1]
        Xc = sp.csc_array(X)
        Xc.sort_indices()
        by_item = (Xc.indptr.astype(np.int64), Xc.indices.astype(np.int32), Xc.data)
        by_user = (X.indptr.astype(np.int64), X.indices.astype(np.int32), X.data)
        restrict = bool(X.nnz == 0 or X.data.min() >= 0)
        l1 = float(self.regularization) * float(self.l1_ratio)
        l2 = float(self.regularization) * (1.0 - float(self.l1_ratio))
        targets = np.flatnonzero(np.diff(Xc.indptr)).astype(np.int64)
        # prange hands each thread a contiguous run of targets; a fixed shuffle spreads
        # the expensive (popular) items evenly. The weights do not depend on the order.
        targets = np.random.default_rng(0).permutation(targets)
        block = max(1, _BLOCK_VALUES // n_items)
        sources, targets_out, values = [], [], []
        with numba_threads(self.n_threads):
            for start in range(0, len(targets), block):
                part = targets[start : start + block]
                out = np.zeros((len(part), n_items))
                slim_columns(
                    *by_item, *by_user, part, l1, l2, int(self.n_epochs), float(self.tol),
                    restrict, out,
                )  # fmt: skip
                if self.n_neighbors is not None and self.n_neighbors < n_items:
                    _keep_top(out, int(self.n_neighbors))
                t, k = np.nonzero(out)
                sources.append(k)
                targets_out.append(part[t])
                values.append(out[t, k])
        cat = np.concatenate
        self.weights_ = sp.csr_array(
            (cat(values).astype(np.float32), (cat(sources), cat(targets_out))),
            shape=(n_items, n_items),
        )
        self.weights_.sort_indices()
        logger.info(
            "SLIM: %d non-zero weights for %d target items (%.1f per item)",
            self.weights_.nnz,
            len(targets),
            self.weights_.nnz / max(len(targets), 1),
        )

    def _score(self, query: Query) -> Scores:
        rows = apply_weighting(query.X, self.weighting)
        weights = self.weights_ if query.item_idx is None else self.weights_[:, query.item_idx]
        return np.asarray((rows @ weights).toarray(), dtype=np.float32)

    def _update(self, users: np.ndarray) -> None:
        pass  # scores come from the (updated) history rows; weights stay as fitted


def _keep_top(out: np.ndarray, n: int) -> None:
    """Zero all but the ``n`` largest values of each row of ``out`` (in place)."""
    crowded = np.flatnonzero(np.count_nonzero(out, axis=1) > n)
    if len(crowded) == 0:
        return
    sub = out[crowded]
    drop = np.argpartition(-sub, n - 1, axis=1)[:, n:]
    np.put_along_axis(sub, drop, 0.0, axis=1)
    out[crowded] = sub
