"""numba kernels for implicit-feedback ALS (Hu, Koren & Volinsky 2008).

One sweep updates every row ``x_u`` of ``X`` given the other side's factors ``Y``,
solving the regularised weighted least-squares problem

    (Yᵀ C_u Y + λ I) x_u = Yᵀ C_u p_u,   p_ui = 1 where r_ui is stored, 0 elsewhere,
    c_ui = 1 + shift + alpha * r_ui where r_ui is stored, 1 elsewhere

for the rows of the CSR matrix ``(indptr, indices, data)`` (``shift = 0``: Hu et al.'s
``c = 1 + alpha r``; ``shift = -1``: implicit's ``c = alpha r``). With
``gram = YᵀY + λI`` and ``w_ui = c_ui - 1`` the system matrix is
``gram + Σ_i w_ui y_i y_iᵀ`` and the right-hand side is ``Σ_i (1 + w_ui) y_i`` (sums
over the row's stored entries only), so a sweep costs O(nnz k) for conjugate gradient
and O(nnz k² + n_rows k³) for the exact solve.

Rows are independent, so ``prange`` over rows is deterministic whatever the number of
threads. An empty row gets a zero vector. Plain arrays in and out: ``X``, ``Y`` float32
(n, k) C-contiguous, updated in place; ``gram`` float64 (k, k); CSR indices int32.
Each kernel has a NumPy reference (``*_reference``) that the unit tests compare with it.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = [
    "cg_sweep",
    "cg_sweep_reference",
    "cholesky_sweep",
    "cholesky_sweep_reference",
    "gram_matrix",
]


def gram_matrix(Y: np.ndarray, regularization: float) -> np.ndarray:
    """``YᵀY + regularization * I`` in float64 (computed once per sweep, with BLAS)."""
    Y64 = Y.astype(np.float64)
    gram = Y64.T @ Y64
    gram[np.diag_indices_from(gram)] += regularization
    return gram


# -- conjugate gradient --------------------------------------------------------------------


@njit(cache=True, fastmath=True, parallel=True)
def cg_sweep(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    gram: np.ndarray,
    alpha: float,
    shift: float,
    cg_steps: int,
) -> None:
    """``cg_steps`` conjugate-gradient iterations per row, warm-started from ``X``.

    As implicit's ``least_squares_cg``: the system matrix is never formed; ``A p`` is
    ``gram p + Σ_i w_ui (y_i · p) y_i``. Stops early when the squared residual falls
    below 1e-20.
    """
    n_rows, k = X.shape
    G = gram.astype(np.float32)
    for u in prange(n_rows):
        lo = indptr[u]
        hi = indptr[u + 1]
        if lo == hi:
            for f in range(k):
                X[u, f] = 0.0
            continue
        x = X[u]
        r = np.empty(k, dtype=np.float32)
        p = np.empty(k, dtype=np.float32)
        Ap = np.empty(k, dtype=np.float32)
        # r = b - A x
        for a in range(k):
            s = np.float32(0.0)
            for b in range(k):
                s += G[a, b] * x[b]
            r[a] = -s
        for idx in range(lo, hi):
            y = Y[indices[idx]]
            w = np.float32(alpha * data[idx] + shift)
            d = np.float32(0.0)
            for f in range(k):
                d += y[f] * x[f]
            coef = np.float32(1.0) + w - w * d
            for f in range(k):
                r[f] += coef * y[f]
        rs_old = np.float32(0.0)
        for f in range(k):
            p[f] = r[f]
            rs_old += r[f] * r[f]
        if rs_old < 1e-20:
            continue
        for _ in range(cg_steps):
            for a in range(k):
                s = np.float32(0.0)
                for b in range(k):
                    s += G[a, b] * p[b]
                Ap[a] = s
            for idx in range(lo, hi):
                y = Y[indices[idx]]
                w = np.float32(alpha * data[idx] + shift)
                d = np.float32(0.0)
                for f in range(k):
                    d += y[f] * p[f]
                coef = w * d
                for f in range(k):
                    Ap[f] += coef * y[f]
            pAp = np.float32(0.0)
            for f in range(k):
                pAp += p[f] * Ap[f]
            step = rs_old / pAp
            rs_new = np.float32(0.0)
            for f in range(k):
                x[f] += step * p[f]
                r[f] -= step * Ap[f]
                rs_new += r[f] * r[f]
            if rs_new < 1e-20:
                break
            beta = rs_new / rs_old
            for f in range(k):
                p[f] = r[f] + beta * p[f]
            rs_old = rs_new


def _normal_equations(indptr, indices, data, Y, gram, alpha, shift, u):
    """Row ``u``'s system ``A x = b`` of implicit ALS (float64), or None without
    interactions: ``A = YᵀY + reg·I + Yᵀ diag(w) Y`` (``gram`` holds the first two
    terms), ``b = Yᵀ (1 + w)`` over the row's items, ``w = alpha·r + shift``. Shared by
    the references."""
    cols = indices[indptr[u] : indptr[u + 1]]
    if len(cols) == 0:
        return None
    Yu = Y[cols].astype(np.float64)
    w = alpha * data[indptr[u] : indptr[u + 1]].astype(np.float64) + shift
    return gram + (Yu.T * w) @ Yu, Yu.T @ (1.0 + w)


def cg_sweep_reference(indptr, indices, data, X, Y, gram, alpha, shift, cg_steps) -> None:
    """NumPy reference of :func:`cg_sweep` (dense system per row, same iterations)."""
    for u in range(X.shape[0]):
        system = _normal_equations(indptr, indices, data, Y, gram, alpha, shift, u)
        if system is None:
            X[u] = 0.0
            continue
        A, b = system
        x = X[u].astype(np.float64)
        r = b - A @ x
        p = r.copy()
        rs_old = r @ r
        if rs_old < 1e-20:
            continue
        for _ in range(cg_steps):
            Ap = A @ p
            step = rs_old / (p @ Ap)
            x += step * p
            r -= step * Ap
            rs_new = r @ r
            if rs_new < 1e-20:
                break
            p = r + (rs_new / rs_old) * p
            rs_old = rs_new
        X[u] = x


# -- exact solve (Cholesky) ----------------------------------------------------------------


@njit(cache=True, fastmath=True, parallel=True)
def cholesky_sweep(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    gram: np.ndarray,
    alpha: float,
    shift: float,
) -> int:
    """Exact solve per row, in float64.

    The system matrix is padded to a multiple of 8 (identity in the padding) and only
    its lower triangle, in 8x8 tiles, is built, eight interactions at a time (a rank-8
    update per block, with fixed-length inner loops that vectorise). It is factored as
    ``LLᵀ`` in place (Cholesky-Banachiewicz) and solved by substitution. Returns the
    number of rows whose system was not positive definite (left unchanged); 0 whenever
    ``regularization > 0`` and every ``w_ui >= -1`` (confidences ``c_ui >= 0``).
    """
    n_rows, k = X.shape
    kp = (k + 7) // 8 * 8
    failed = 0
    for u in prange(n_rows):
        lo = indptr[u]
        hi = indptr[u + 1]
        if lo == hi:
            for f in range(k):
                X[u, f] = 0.0
            continue
        A = np.zeros((kp, kp), dtype=np.float64)
        for a in range(k):
            for c in range(a + 1):
                A[a, c] = gram[a, c]
        for a in range(k, kp):
            A[a, a] = 1.0
        b = np.zeros(kp, dtype=np.float64)
        Yb = np.zeros((8, kp), dtype=np.float64)
        Sb = np.zeros((kp, 8), dtype=np.float64)
        for start in range(lo, hi, 8):
            for t in range(8):
                if start + t < hi:
                    y = Y[indices[start + t]]
                    w = alpha * np.float64(data[start + t]) + shift
                    for f in range(k):
                        yf = np.float64(y[f])
                        Yb[t, f] = yf
                        Sb[f, t] = w * yf
                        b[f] += (1.0 + w) * yf
                else:
                    for f in range(k):
                        Yb[t, f] = 0.0
                        Sb[f, t] = 0.0
            for a in range(kp):
                for c in range((a // 8 + 1) * 8):
                    acc = A[a, c]
                    for t in range(8):
                        acc += Sb[a, t] * Yb[t, c]
                    A[a, c] = acc
        if not _cholesky_solve(A, b):
            failed += 1
            continue
        for f in range(k):
            X[u, f] = b[f]
    return failed


@njit(cache=True, fastmath=True)
def _cholesky_solve(A: np.ndarray, b: np.ndarray) -> bool:
    """Solve ``A x = b`` in place (``x`` into ``b``) from the lower triangle of ``A``,
    which is overwritten by ``L`` (``A = LLᵀ``). False if ``A`` is not positive
    definite."""
    k = A.shape[0]
    for i in range(k):
        for j in range(i + 1):
            s = A[i, j]
            for p in range(j):
                s -= A[i, p] * A[j, p]
            if i == j:
                if not s > 0.0:
                    return False
                A[i, i] = np.sqrt(s)
            else:
                A[i, j] = s / A[j, j]
    for i in range(k):
        s = b[i]
        for p in range(i):
            s -= A[i, p] * b[p]
        b[i] = s / A[i, i]
    for i in range(k - 1, -1, -1):
        xi = b[i] / A[i, i]
        b[i] = xi
        for c in range(i):
            b[c] -= A[i, c] * xi
    return True


def cholesky_sweep_reference(indptr, indices, data, X, Y, gram, alpha, shift) -> int:
    """NumPy reference of :func:`cholesky_sweep` (``np.linalg.solve`` per row)."""
    failed = 0
    for u in range(X.shape[0]):
        system = _normal_equations(indptr, indices, data, Y, gram, alpha, shift, u)
        if system is None:
            X[u] = 0.0
            continue
        A, b = system
        if np.any(np.linalg.eigvalsh(A) <= 0):
            failed += 1
            continue
        X[u] = np.linalg.solve(A, b)
    return failed
