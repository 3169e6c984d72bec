"""EASE: the embarrassingly shallow autoencoder, a closed-form item-item model."""

from __future__ import annotations

import logging
from typing import ClassVar, Literal

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from tastemaker._typing import Index, Scores
from tastemaker.data import Dataset
from tastemaker.errors import ParameterError
from tastemaker.models._common import check_choice, check_number
from tastemaker.models.base import Recommender
from tastemaker.models.registry import register

__all__ = ["EASE", "Weighting"]

logger = logging.getLogger(__name__)

Weighting = Literal["binary", "log", "weight"]
WEIGHTINGS: tuple[str, ...] = ("binary", "log", "weight")


def apply_weighting(X: sp.csr_array, weighting: str) -> sp.csr_array:
    """``X`` with its values transformed for a linear item-item model.

    ``"binary"``: 1 for every interaction; ``"log"``: ``sign(v) * log1p(|v|)`` of the
    summed weight ``v`` (play counts, clicks); ``"weight"``: the values as they are.
    ``X`` itself is never modified.
    """
    if weighting == "weight":
        return X
    out = X.copy()
    if weighting == "binary":
        out.data = np.ones_like(out.data)
    else:
        out.data = (np.sign(out.data) * np.log1p(np.abs(out.data))).astype(out.data.dtype)
    return out


@register("ease")
class EASE(Recommender):
    """Embarrassingly shallow autoencoder: a closed-form item-item model (Steck 2019).

    Learns item-item weights ``B`` with a zero diagonal minimising
    ``||X - X B||² + regularization · ||B||²``; the solution is
    ``B = I - P · diagMat(1 / diag(P))`` with ``P = (XᵀX + regularization · I)⁻¹``,
    computed in float64 (a Cholesky inverse). A user's scores are their interaction
    row times ``B``. Fitting costs ``O(n_items³)`` time and ``O(n_items²)`` memory, so
    EASE suits catalogs of up to a few tens of thousands of items.

    Items without training interactions get weight 0 in and out, hence score 0 for
    every user (scores of other items can be negative, so 0 is not always last).
    Users who are unknown or have no training history get the popularity fallback.
    Fold-in is exact: a new user's scores are their (weighted) history row times
    ``weights_``, the same computation as for training users.

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

    supports_fold_in = True
    search_space: ClassVar[dict[str, tuple]] = {"regularization": ("float", 1.0, 10_000.0, "log")}

    def __init__(self, regularization: float = 500.0, weighting: Weighting = "binary") -> None:
        self.regularization = regularization
        self.weighting = weighting

    def _check_params(self) -> None:
        check_number("EASE", "regularization", self.regularization, 0.0, strict=True)
        check_choice("EASE", "weighting", self.weighting, WEIGHTINGS)

    def _fit(self, data: Dataset) -> None:
        X = apply_weighting(self.seen_, self.weighting)
        n_items = X.shape[1]
        # Items without interactions form their own diagonal block of the gram matrix:
        # their weights are 0, so only the block of active items is inverted.
        active = np.flatnonzero(np.bincount(X.indices, minlength=n_items))
        Xa = X[:, active].astype(np.float64)
        gram = (Xa.T @ Xa).toarray()
        gram[np.diag_indices_from(gram)] += float(self.regularization)
        inverse = _spd_inverse(gram)  # overwrites gram
        diag = inverse.diagonal().copy()
        np.divide(inverse, -diag, out=inverse)  # B_ij = -P_ij / P_jj
        np.fill_diagonal(inverse, 0.0)
        if len(active) == n_items:
            self.weights_ = inverse.astype(np.float32)
        else:
            weights = np.zeros((n_items, n_items), dtype=np.float32)
            weights[np.ix_(active, active)] = inverse
            self.weights_ = weights
        logger.info("EASE: inverted the gram matrix of %d active items", len(active))

    def _score(self, user_idx: Index, item_idx: Index | None) -> Scores:
        rows = apply_weighting(self.seen_[user_idx], self.weighting)
        weights = self.weights_ if item_idx is None else self.weights_[:, item_idx]
        return np.asarray(rows @ weights, dtype=np.float32)

    def _fold_in(self, X: sp.csr_array) -> Scores:
        return np.asarray(apply_weighting(X, self.weighting) @ self.weights_, dtype=np.float32)


def _spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite C-ordered float64 matrix (Cholesky).

    Works in place: ``matrix.T`` is the same symmetric matrix in Fortran order, which
    LAPACK overwrites without a copy; the result is returned in C order.
    """
    factor, info = lapack.dpotrf(matrix.T, lower=False, overwrite_a=True, clean=False)
    if info == 0:
        inverse, info = lapack.dpotri(factor, lower=False, overwrite_c=True)
    if info != 0:  # cannot happen with regularization > 0 and finite data
        raise ParameterError(
            "EASE: the regularised gram matrix is not positive definite "
            f"(LAPACK info {info}); increase regularization or check the data for inf/NaN."
        )
    _mirror_upper(inverse)
    return inverse.T  # symmetric: the transpose view is the inverse in C order


def _mirror_upper(matrix: np.ndarray, block: int = 1024) -> None:
    """Copy the upper triangle onto the lower one, block by block (no n² temporaries)."""
    n = matrix.shape[0]
    for start in range(0, n, block):
        stop = min(start + block, n)
        matrix[start:stop, :start] = matrix[:start, start:stop].T
        diag = matrix[start:stop, start:stop]
        lower = np.tril_indices(stop - start, -1)
        diag[lower] = diag.T[lower]
