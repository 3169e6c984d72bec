"""numba kernel of SLIM: non-negative elastic-net coordinate descent, one target at a time.

For a target item ``j`` the kernel minimises, over ``w >= 0`` with ``w[j] = 0``::

    1 / (2 n_users) ||X[:, j] - X w||² + l1 ||w||_1 + l2 / 2 ||w||²

(scikit-learn's ElasticNet objective with ``alpha * l1_ratio = l1`` and
``alpha * (1 - l1_ratio) = l2``) by cyclic coordinate descent on the residual
``e = X[:, j] - X w`` over users, as scikit-learn does: the update of coordinate ``k`` is
``w_k = max(0, X[:, k]·e + d_k w_k - n l1) / (d_k + n l2)`` with ``d_k = ||X[:, k]||²``,
and costs two passes over the users of item ``k``. Two shortcuts keep it cheap:

- candidates: with ``X >= 0`` (and so ``w >= 0``), ``X[:, k]·e + d_k w_k <= X[:, k]·X[:, j]``,
  so only items that co-occur with ``j`` more than ``n l1`` can get a weight; the
  co-occurrences are counted per target from the CSR/CSC arrays (no gram matrix).
- active set (glmnet): after a sweep over all candidates that has not converged, the
  non-zero weights alone are swept until they settle, then the candidates again.

Targets are independent, so the kernel runs them in parallel (``prange``) and the
result does not depend on the number of threads.

``slim_columns_reference`` is the plain NumPy version (dense gram matrix, every item a
candidate, no active set) that the tests compare against.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["slim_columns", "slim_columns_reference"]


@njit(cache=True, parallel=True)
def slim_columns(
    col_indptr: np.ndarray,
    col_users: np.ndarray,
    col_values: np.ndarray,
    row_indptr: np.ndarray,
    row_items: np.ndarray,
    row_values: np.ndarray,
    targets: np.ndarray,
    l1: float,
    l2: float,
    n_epochs: int,
    tol: float,
    restrict: bool,
    out: np.ndarray,
) -> None:
    """Fill ``out[t]`` with the weights predicting item ``targets[t]``.

    Parameters
    ----------
    col_indptr, col_users, col_values : arrays (int64, int32, float64)
        ``X`` (users x items) in CSC form: the users of each item.
    row_indptr, row_items, row_values : arrays (int64, int32, float64)
        The same ``X`` in CSR form: the items of each user.
    targets : int64 array
        Target items (columns of the weight matrix) to fit.
    l1, l2 : float
        L1 / L2 strengths (scikit-learn scaling: the loss is divided by ``n_users``).
    n_epochs : int
        Maximum number of sweeps over all candidates; after each one that has not
        converged, up to ``n_epochs`` sweeps over the non-zero weights alone.
    tol : float
        Stop when the largest change of a weight in a sweep over all candidates is at
        most ``tol`` times the largest weight.
    restrict : bool
        ``X`` is non-negative: visit only items that co-occur with the target more
        than ``n_users * l1``. With ``False`` every item is a candidate.
    out : float64 array of shape (len(targets), n_items), zero on entry
        The weights, one row per target.
    """
    n_users = row_indptr.shape[0] - 1
    n_items = col_indptr.shape[0] - 1
    nl1 = n_users * l1
    nl2 = n_users * l2
    norms = np.zeros(n_items)
    for k in range(n_items):
        for p in range(col_indptr[k], col_indptr[k + 1]):
            norms[k] += col_values[p] * col_values[p]
    for t in prange(targets.shape[0]):
        j = targets[t]
        if restrict:
            candidates = _co_occurring(
                col_indptr, col_users, col_values, row_indptr, row_items, row_values,
                norms, j, nl1,
            )  # fmt: skip
        else:
            candidates = np.flatnonzero(norms > 0.0)
            candidates = candidates[candidates != j]
        residual = np.zeros(n_users)
        for p in range(col_indptr[j], col_indptr[j + 1]):
            residual[col_users[p]] = col_values[p]
        _descend(
            col_indptr, col_users, col_values, norms, candidates, nl1, nl2, n_epochs, tol,
            residual, out[t],
        )  # fmt: skip


@njit(cache=True)
def _co_occurring(
    col_indptr, col_users, col_values, row_indptr, row_items, row_values, norms, j, nl1
):
    """Items ``k != j`` (ascending) with ``X[:, k]·X[:, j] > nl1`` and ``norms[k] > 0``."""
    n_items = col_indptr.shape[0] - 1
    co = np.zeros(n_items)
    is_touched = np.zeros(n_items, dtype=np.bool_)
    touched = np.empty(n_items, dtype=np.int64)
    n_touched = 0
    for p in range(col_indptr[j], col_indptr[j + 1]):
        u = col_users[p]
        x_uj = col_values[p]
        for q in range(row_indptr[u], row_indptr[u + 1]):
            k = row_items[q]
            if not is_touched[k]:
                is_touched[k] = True
                touched[n_touched] = k
                n_touched += 1
            co[k] += x_uj * row_values[q]
    n_cand = 0
    for c in range(n_touched):
        k = touched[c]
        if k != j and co[k] > nl1 and norms[k] > 0.0:
            touched[n_cand] = k
            n_cand += 1
    return np.sort(touched[:n_cand])


@njit(cache=True)
def _descend(
    col_indptr, col_users, col_values, norms, candidates, nl1, nl2, n_epochs, tol, residual, w
):
    """Coordinate descent for one target: ``residual`` = the target column on entry."""
    n_cand = candidates.shape[0]
    active = np.empty(n_cand, dtype=np.int64)
    for _ in range(n_epochs):
        max_delta, max_w = _sweep(
            col_indptr, col_users, col_values, norms, candidates, n_cand, nl1, nl2,
            residual, w,
        )  # fmt: skip
        if max_w == 0.0 or max_delta <= tol * max_w:
            return
        n_active = 0
        for c in range(n_cand):
            if w[candidates[c]] > 0.0:
                active[n_active] = candidates[c]
                n_active += 1
        for _ in range(n_epochs):
            max_delta, max_w = _sweep(
                col_indptr, col_users, col_values, norms, active, n_active, nl1, nl2,
                residual, w,
            )  # fmt: skip
            if max_w == 0.0 or max_delta <= tol * max_w:
                break


@njit(cache=True)
def _sweep(col_indptr, col_users, col_values, norms, items, n, nl1, nl2, residual, w):
    """One cyclic pass over ``items[:n]``; returns (largest change, largest weight)."""
    max_delta = 0.0
    max_w = 0.0
    for c in range(n):
        k = items[c]
        lo, hi = col_indptr[k], col_indptr[k + 1]
        old = w[k]
        rho = norms[k] * old - nl1
        for p in range(lo, hi):
            rho += col_values[p] * residual[col_users[p]]
        new = rho / (norms[k] + nl2) if rho > 0.0 else 0.0
        if new != old:
            delta = new - old
            w[k] = new
            for p in range(lo, hi):
                residual[col_users[p]] -= delta * col_values[p]
            max_delta = max(max_delta, abs(delta))
        max_w = max(max_w, new)
    return max_delta, max_w


def slim_columns_reference(
    gram: np.ndarray,
    targets: np.ndarray,
    n_users: float,
    l1: float,
    l2: float,
    n_epochs: int,
    tol: float,
) -> np.ndarray:
    """Plain NumPy version of :func:`slim_columns` on a dense gram matrix (every item
    a candidate); returns the ``(len(targets), n_items)`` weights."""
    n_items = gram.shape[0]
    diag = np.diag(gram)
    out = np.zeros((len(targets), n_items))
    for t, j in enumerate(targets):
        w = out[t]
        for _ in range(n_epochs):
            max_delta = max_w = 0.0
            for k in range(n_items):
                if k == j or diag[k] <= 0.0:
                    continue
                old = w[k]
                rho = gram[k, j] - gram[k] @ w + diag[k] * old - n_users * l1
                w[k] = max(rho, 0.0) / (diag[k] + n_users * l2)
                max_delta = max(max_delta, abs(w[k] - old))
                max_w = max(max_w, w[k])
            if max_w == 0.0 or max_delta <= tol * max_w:
                break
    return out
