"""EASE's closed form, shared by ``ease`` and ``hybrid``."""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from tastemaker.errors import ParameterError

__all__ = ["ease_weights", "spd_inverse"]

logger = logging.getLogger(__name__)


def ease_weights(X: sp.csr_array, regularization: float) -> np.ndarray:
    """EASE's item-item weights ``B = I - P diagMat(1 / diag(P))``, ``P = (XᵀX + λI)⁻¹``,
    with a zero diagonal (float32, n_items x n_items).

    Items without interactions form their own diagonal block of the gram matrix: their
    weights are 0, so only the block of active items is inverted.
    """
    n_items = X.shape[1]
    active = np.flatnonzero(np.bincount(X.indices, minlength=n_items))
    Xa = X[:, active].astype(np.float64)
    gram = (Xa.T @ Xa).toarray()
    gram[np.diag_indices_from(gram)] += float(regularization)
    inverse = spd_inverse(gram)  # overwrites gram
    diag = inverse.diagonal().copy()
    np.divide(inverse, -diag, out=inverse)  # B_ij = -P_ij / P_jj
    np.fill_diagonal(inverse, 0.0)
    logger.info("EASE: inverted the gram matrix of %d active items", len(active))
    if len(active) == n_items:
        return inverse.astype(np.float32)
    weights = np.zeros((n_items, n_items), dtype=np.float32)
    weights[np.ix_(active, active)] = inverse
    return weights


def spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite C-ordered float64 matrix (Cholesky).

    Works in place: ``matrix.T`` is the same symmetric matrix in Fortran order, which
    LAPACK overwrites without a copy; the result is returned in C order.
    """
    factor, info = lapack.dpotrf(matrix.T, lower=False, overwrite_a=True, clean=False)
    if info == 0:
        inverse, info = lapack.dpotri(factor, lower=False, overwrite_c=True)
    if info != 0:  # cannot happen with regularization > 0 and finite data
        raise ParameterError(
            "the regularised gram matrix is not positive definite "
            f"(LAPACK info {info}); increase the regularization or check the data for inf/NaN."
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
