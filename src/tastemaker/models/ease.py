"""EASE: the embarrassingly shallow autoencoder, a closed-form item-item model."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np

from tastemaker._typing import Scores
from tastemaker._validation import Interval, Options
from tastemaker.data import Dataset
from tastemaker.models._common import WEIGHTINGS, Weighting, apply_weighting
from tastemaker.models._ease_kernels import ease_weights
from tastemaker.models._query import Query
from tastemaker.models._tags import Tags
from tastemaker.models.base import Recommender
from tastemaker.models.registry import register

__all__ = ["EASE"]

logger = logging.getLogger(__name__)


@register("ease")
class EASE(Recommender):
    """Embarrassingly shallow autoencoder: a closed-form item-item model (Steck 2019).

    Learns item-item weights ``B`` with a zero diagonal minimising
    ``||X - X B||² + regularization · ||B||²``; the solution is
    ``B = I - P · diagMat(1 / diag(P))`` with ``P = (XᵀX + regularization · I)⁻¹``,
    computed in float64 (a Cholesky inverse). A user's scores are their interaction
    row times ``B``. Fitting costs ``O(n_items³)`` time and ``O(n_items²)`` memory, so
    EASE suits catalogs of up to a few tens of thousands of items.

    Items without training interactions get weight 0 in and out: the model cannot
    score them, so they rank after every scored item. Users who are unknown or have
    no training history get the popularity fallback. Fold-in and ``update`` are exact:
    a history's scores are its (weighted) row times ``weights_``, the same computation
    as for training users.

    Parameters
    ----------
    regularization : float, default=500.0
        L2 penalty ``λ`` on the item-item weights (> 0); larger values give smoother
        scores. On binary data a good value grows with the number of users; with
        ``weighting="log"`` or ``"weight"`` the gram matrix grows with the squared
        values, so scale it up accordingly.
    weighting : {"binary", "log", "weight"}, default="binary"
        How interaction values enter ``X``: ``"binary"`` 1 per (user, item) pair, as in
        the paper; ``"log"`` ``log1p`` of the summed ``weight`` (play counts); ``"weight"``
        the summed weights as they are (without a ``weight`` column, a pair's value is
        its number of rows). Scoring and fold-in use the same transform.

    Attributes
    ----------
    weights_ : ndarray of shape (n_items, n_items), float32
        Item-item weights ``B`` with a zero diagonal; ``weights_[j, i]`` is how much
        an interaction with item ``j`` adds to the score of item ``i``.

    References
    ----------
    H. Steck. Embarrassingly Shallow Autoencoders for Sparse Data. WWW 2019.
    """

    search_space: ClassVar[dict[str, tuple]] = {"regularization": ("float", 1.0, 10_000.0, "log")}
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "regularization": Interval("real", 0, closed="neither"),
        "weighting": Options(WEIGHTINGS),
    }

    def __init__(self, regularization: float = 500.0, weighting: Weighting = "binary") -> None:
        self.regularization = regularization
        self.weighting = weighting

    def __tastemaker_tags__(self) -> Tags:
        return replace(super().__tastemaker_tags__(), folds_in=True, updates=True)

    def _fit(self, data: Dataset) -> None:
        self.weights_ = ease_weights(
            apply_weighting(self.seen_, self.weighting), float(self.regularization)
        )

    def _score(self, query: Query) -> Scores:
        rows = apply_weighting(query.X, self.weighting)
        weights = query.columns(self.weights_)
        return np.asarray(rows @ weights, dtype=np.float32)

    def _update(self, users: np.ndarray) -> None:
        pass  # scores come from the (updated) history rows; weights stay as fitted
