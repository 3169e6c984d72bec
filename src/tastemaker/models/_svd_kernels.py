"""numba kernels for SVD and SVD++ (explicit-rating matrix factorisation by SGD).

Plain arrays in and out. Every kernel has a pure-NumPy reference beside it
(``*_reference``) that performs the same arithmetic in the same order; the unit tests
check kernel == reference on small random data.

Shapes and dtypes: factors ``P`` (n_users, k) and ``Q``/``Y`` (n_items, k) float32
(factor arithmetic in float32 vectorises twice as wide as float64: SVD's epoch runs 3-4x
faster); biases, ratings and errors float64; ``indptr`` int64, indices int32. Arrays
are updated in place.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = [
    "implicit_sums",
    "implicit_sums_reference",
    "solve_users",
    "solve_users_reference",
    "svd_epoch",
    "svd_epoch_reference",
    "svdpp_epoch",
    "svdpp_epoch_reference",
]


# -- SVD: one SGD pass over the ratings in a given order ---------------------------------


@njit(cache=True, fastmath=True)
def svd_epoch(
    users: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    order: np.ndarray,
    mu: float,
    user_bias: np.ndarray,
    item_bias: np.ndarray,
    P: np.ndarray,
    Q: np.ndarray,
    lr_bias: float,
    lr: float,
    reg_bias: float,
    reg: float,
) -> float:
    """One epoch of biased-MF SGD (Surprise's SVD update), ratings taken in ``order``.

    For each rating ``r_ui``: ``e = r_ui - (mu + b_u + b_i + q_i . p_u)``, then
    ``b_u += lr_bias (e - reg_bias b_u)``, ``b_i += lr_bias (e - reg_bias b_i)``,
    ``p_u += lr (e q_i - reg p_u)``, ``q_i += lr (e p_u - reg q_i)`` (old ``p_u``).

    Returns the sum of squared errors seen during the pass.
    """
    k = P.shape[1]
    lr32 = np.float32(lr)
    reg32 = np.float32(reg)
    sse = 0.0
    for t in range(order.shape[0]):
        n = order[t]
        u = users[n]
        i = items[n]
        pu = P[u]
        qi = Q[i]
        dot = np.float32(0.0)
        for f in range(k):
            dot += pu[f] * qi[f]
        err = ratings[n] - (mu + user_bias[u] + item_bias[i] + dot)
        sse += err * err
        user_bias[u] += lr_bias * (err - reg_bias * user_bias[u])
        item_bias[i] += lr_bias * (err - reg_bias * item_bias[i])
        err32 = np.float32(err)
        for f in range(k):
            puf = pu[f]
            qif = qi[f]
            pu[f] = puf + lr32 * (err32 * qif - reg32 * puf)
            qi[f] = qif + lr32 * (err32 * puf - reg32 * qif)
    return sse


def svd_epoch_reference(
    users, items, ratings, order, mu, user_bias, item_bias, P, Q, lr_bias, lr, reg_bias, reg
) -> float:
    """NumPy reference of :func:`svd_epoch` (same updates, same order)."""
    lr32, reg32 = np.float32(lr), np.float32(reg)
    sse = 0.0
    for n in order:
        u, i = users[n], items[n]
        err = ratings[n] - (mu + user_bias[u] + item_bias[i] + float(P[u] @ Q[i]))
        sse += err * err
        user_bias[u] += lr_bias * (err - reg_bias * user_bias[u])
        item_bias[i] += lr_bias * (err - reg_bias * item_bias[i])
        pu, qi, err32 = P[u].copy(), Q[i].copy(), np.float32(err)
        P[u] = pu + lr32 * (err32 * qi - reg32 * pu)
        Q[i] = qi + lr32 * (err32 * pu - reg32 * qi)
    return sse


# -- SVD++: one SGD pass, user by user ---------------------------------------------------


@njit(cache=True, fastmath=True)
def svdpp_epoch(
    indptr: np.ndarray,
    indices: np.ndarray,
    ratings: np.ndarray,
    user_order: np.ndarray,
    keys: np.ndarray,
    mu: float,
    user_bias: np.ndarray,
    item_bias: np.ndarray,
    P: np.ndarray,
    Q: np.ndarray,
    Y: np.ndarray,
    lr_bias: float,
    lr: float,
    lr_implicit: float,
    reg_bias: float,
    reg: float,
    reg_implicit: float,
) -> float:
    """One epoch of SVD++ SGD, users in ``user_order``, each user's ratings in the order
    of ``argsort(keys[indptr[u]:indptr[u+1]])``.

    Per user ``u`` with rated items ``N(u)`` (``n = |N(u)|``, ``s = n ** -0.5``): the
    implicit term ``z = s sum_{j in N(u)} y_j`` is computed once; then for each rating
    ``e = r_ui - (mu + b_u + b_i + q_i . (p_u + z))`` and ``b_u``, ``b_i``, ``p_u`` updated
    as in SVD, ``q_i += lr (e (p_u + z) - reg q_i)``, and ``g += e q_i`` (old ``q_i``)
    accumulated; after the user's ratings, every ``j in N(u)`` gets
    ``y_j = (1 - lr_implicit reg_implicit) ** n y_j + lr_implicit s g`` (the ``n``
    per-rating decays of Surprise's SVDpp compounded, the gradient summed with ``y``
    held fixed during the user's ratings).

    Returns the sum of squared errors seen during the pass.
    """
    k = P.shape[1]
    lr32 = np.float32(lr)
    reg32 = np.float32(reg)
    z = np.zeros(k, dtype=np.float32)
    g = np.zeros(k, dtype=np.float32)
    sse = 0.0
    for t in range(user_order.shape[0]):
        u = user_order[t]
        lo = indptr[u]
        hi = indptr[u + 1]
        n_u = hi - lo
        if n_u == 0:
            continue
        s = np.float32(1.0 / np.sqrt(n_u))
        z[:] = 0.0
        g[:] = 0.0
        for m in range(lo, hi):
            yj = Y[indices[m]]
            for f in range(k):
                z[f] += yj[f]
        for f in range(k):
            z[f] *= s
        pu = P[u]
        perm = np.argsort(keys[lo:hi])
        for m in range(n_u):
            n = lo + perm[m]
            i = indices[n]
            qi = Q[i]
            dot = np.float32(0.0)
            for f in range(k):
                dot += qi[f] * (pu[f] + z[f])
            err = ratings[n] - (mu + user_bias[u] + item_bias[i] + dot)
            sse += err * err
            user_bias[u] += lr_bias * (err - reg_bias * user_bias[u])
            item_bias[i] += lr_bias * (err - reg_bias * item_bias[i])
            err32 = np.float32(err)
            for f in range(k):
                puf = pu[f]
                qif = qi[f]
                pu[f] = puf + lr32 * (err32 * qif - reg32 * puf)
                qi[f] = qif + lr32 * (err32 * (puf + z[f]) - reg32 * qif)
                g[f] += err32 * qif
        decay = np.float32((1.0 - lr_implicit * reg_implicit) ** n_u)
        step = np.float32(lr_implicit) * s
        for f in range(k):
            g[f] *= step
        for m in range(lo, hi):
            yj = Y[indices[m]]
            for f in range(k):
                yj[f] = decay * yj[f] + g[f]
    return sse


def svdpp_epoch_reference(
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
    lr_bias,
    lr,
    lr_implicit,
    reg_bias,
    reg,
    reg_implicit,
) -> float:
    """NumPy reference of :func:`svdpp_epoch` (same updates, same order)."""
    lr32, reg32 = np.float32(lr), np.float32(reg)
    sse = 0.0
    for u in user_order:
        lo, hi = indptr[u], indptr[u + 1]
        n_u = hi - lo
        if n_u == 0:
            continue
        s = np.float32(1.0 / np.sqrt(n_u))
        rated = indices[lo:hi]
        z = Y[rated].sum(axis=0, dtype=np.float32) * s
        g = np.zeros(P.shape[1], dtype=np.float32)
        for m in np.argsort(keys[lo:hi]):
            n = lo + m
            i = indices[n]
            err = ratings[n] - (mu + user_bias[u] + item_bias[i] + float(Q[i] @ (P[u] + z)))
            sse += err * err
            user_bias[u] += lr_bias * (err - reg_bias * user_bias[u])
            item_bias[i] += lr_bias * (err - reg_bias * item_bias[i])
            pu, qi, err32 = P[u].copy(), Q[i].copy(), np.float32(err)
            P[u] = pu + lr32 * (err32 * qi - reg32 * pu)
            Q[i] = qi + lr32 * (err32 * (pu + z) - reg32 * qi)
            g += err32 * qi
        decay = np.float32((1.0 - lr_implicit * reg_implicit) ** n_u)
        Y[rated] = decay * Y[rated] + (np.float32(lr_implicit) * s) * g
    return sse


# -- implicit sums and fold-in -----------------------------------------------------------


@njit(cache=True)
def implicit_sums(indptr: np.ndarray, indices: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``z_u = |N(u)| ** -0.5 sum_{j in N(u)} y_j`` for each CSR row (zero when empty)."""
    n_rows = indptr.shape[0] - 1
    k = Y.shape[1]
    out = np.zeros((n_rows, k))
    for u in range(n_rows):
        lo = indptr[u]
        hi = indptr[u + 1]
        if hi == lo:
            continue
        for m in range(lo, hi):
            yj = Y[indices[m]]
            for f in range(k):
                out[u, f] += yj[f]
        s = 1.0 / np.sqrt(hi - lo)
        for f in range(k):
            out[u, f] *= s
    return out


def implicit_sums_reference(indptr, indices, Y) -> np.ndarray:
    """NumPy reference of :func:`implicit_sums`."""
    out = np.zeros((len(indptr) - 1, Y.shape[1]))
    for u in range(len(indptr) - 1):
        rated = indices[indptr[u] : indptr[u + 1]]
        if len(rated):
            out[u] = Y[rated].sum(axis=0, dtype=np.float64) / np.sqrt(len(rated))
    return out


@njit(cache=True, parallel=True, fastmath=True)
def solve_users(
    indptr: np.ndarray,
    indices: np.ndarray,
    ratings: np.ndarray,
    offsets: np.ndarray,
    mu: float,
    item_bias: np.ndarray,
    Q: np.ndarray,
    reg_bias: float,
    reg: float,
) -> tuple[np.ndarray, np.ndarray]:
    """User biases and factors of CSR rows by ridge regression with the items fixed.

    For row ``u`` with ratings ``r_uj`` (``Q`` and ``offsets`` float64), solve for
    ``x = (b_u, p_u)``::

        min  sum_j (r_uj - mu - b_j - offsets[u] . q_j - b_u - p_u . q_j) ** 2
             + n_u reg_bias b_u ** 2 + n_u reg ||p_u|| ** 2

    (``n_u`` ratings: the per-rating penalties of the SGD objective) by a Cholesky
    factorisation of the normal equations. Rows without ratings get zeros. Rows are
    independent and solved in parallel without BLAS calls (no nested threading): the
    result does not depend on the number of threads.
    """
    n_rows = indptr.shape[0] - 1
    k = Q.shape[1]
    bias = np.zeros(n_rows)
    factors = np.zeros((n_rows, k))
    for u in prange(n_rows):
        lo = indptr[u]
        n_u = indptr[u + 1] - lo
        if n_u == 0:
            continue
        # design matrix [1, q_j] stored transposed: one contiguous row per feature
        design = np.empty((k + 1, n_u))
        target = np.empty(n_u)
        for m in range(n_u):
            j = indices[lo + m]
            value = ratings[lo + m] - mu - item_bias[j]
            design[0, m] = 1.0
            for f in range(k):
                design[f + 1, m] = Q[j, f]
                value -= offsets[u, f] * Q[j, f]
            target[m] = value
        gram = np.empty((k + 1, k + 1))
        rhs = np.empty(k + 1)
        for a in range(k + 1):
            row_a = design[a]
            acc = 0.0
            for m in range(n_u):
                acc += row_a[m] * target[m]
            rhs[a] = acc
            for c in range(a + 1):
                row_c = design[c]
                acc = 0.0
                for m in range(n_u):
                    acc += row_a[m] * row_c[m]
                gram[a, c] = acc
        gram[0, 0] += n_u * reg_bias
        for f in range(1, k + 1):
            gram[f, f] += n_u * reg
        solution = _cholesky_solve(gram, rhs)
        bias[u] = solution[0]
        factors[u, :] = solution[1:]
    return bias, factors


@njit(cache=True, fastmath=True)
def _cholesky_solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``A x = b`` for symmetric positive definite ``A``, reading only its lower
    triangle: Cholesky ``A = L L^T`` (L in place), then two triangular solves."""
    n = b.shape[0]
    for j in range(n):
        row_j = A[j]
        value = row_j[j]
        for p in range(j):
            value -= row_j[p] * row_j[p]
        d = np.sqrt(value)
        row_j[j] = d
        for i in range(j + 1, n):
            row_i = A[i]
            value = row_i[j]
            for p in range(j):
                value -= row_i[p] * row_j[p]
            row_i[j] = value / d
    y = np.empty(n)
    for i in range(n):
        row_i = A[i]
        value = b[i]
        for p in range(i):
            value -= row_i[p] * y[p]
        y[i] = value / row_i[i]
    x = np.empty(n)
    for i in range(n - 1, -1, -1):
        value = y[i]
        for p in range(i + 1, n):
            value -= A[p, i] * x[p]
        x[i] = value / A[i, i]
    return x


def solve_users_reference(
    indptr, indices, ratings, offsets, mu, item_bias, Q, reg_bias, reg
) -> tuple[np.ndarray, np.ndarray]:
    """NumPy reference of :func:`solve_users`."""
    n_rows, k = len(indptr) - 1, Q.shape[1]
    bias, factors = np.zeros(n_rows), np.zeros((n_rows, k))
    for u in range(n_rows):
        items = indices[indptr[u] : indptr[u + 1]]
        if len(items) == 0:
            continue
        target = ratings[indptr[u] : indptr[u + 1]] - mu - item_bias[items] - Q[items] @ offsets[u]
        X = np.hstack([np.ones((len(items), 1)), Q[items]])
        penalty = len(items) * np.r_[reg_bias, np.full(k, reg)]
        solution = np.linalg.solve(X.T @ X + np.diag(penalty), X.T @ target)
        bias[u], factors[u] = solution[0], solution[1:]
    return bias, factors
