"""numba kernels for the neighbourhood models (item-knn, user-knn).

Plain arrays in and out. Every kernel has a NumPy reference beside it (``*_reference``)
computing the same quantity the plain way (dense products, sorts); the unit tests check
kernel == reference on small random data. The two heavy kernels come in a parallel
version (rows in strided blocks over the thread pool) and a ``*_serial`` one for small
jobs, where waking the pool costs more than the work; both run the same row worker, so
their results are identical.

Sparse matrices are passed as their CSR arrays (``indptr``, ``indices``, ``data``);
values are float64, indices int32. Neighbour lists are returned in order of decreasing
similarity, ties broken by the lower index.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit, prange

__all__ = [
    "COSINE",
    "DOT",
    "JACCARD",
    "neighbour_average",
    "neighbour_average_reference",
    "neighbour_average_serial",
    "row_stats",
    "row_stats_reference",
    "similarities",
    "similarities_reference",
    "similarities_serial",
]

DOT = 0
"""Similarity = dot product of the two rows."""
COSINE = 1
"""Similarity = dot product / (norm of one row x norm of the other)."""
JACCARD = 2
"""Similarity = co-occurrences / (count of one row + count of the other - co-occurrences)."""

_N_BLOCKS = 256
"""Rows are processed in this many strided blocks (each with its own scratch arrays)."""


@njit(cache=True)
def row_stats(indptr: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum and Euclidean norm of each CSR row, summed left to right.

    The fixed summation order makes a row's statistics the same whether it is computed
    inside a large matrix (fit) or alone (fold-in).
    """
    n = indptr.shape[0] - 1
    sums = np.zeros(n)
    norms = np.zeros(n)
    for r in range(n):
        s = 0.0
        q = 0.0
        for m in range(indptr[r], indptr[r + 1]):
            s += data[m]
            q += data[m] * data[m]
        sums[r] = s
        norms[r] = np.sqrt(q)
    return sums, norms


def row_stats_reference(indptr: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NumPy reference of :func:`row_stats`."""
    n = len(indptr) - 1
    sums = np.array([data[indptr[r] : indptr[r + 1]].sum() for r in range(n)], dtype=np.float64)
    norms = np.array(
        [np.sqrt((data[indptr[r] : indptr[r + 1]] ** 2).sum()) for r in range(n)],
        dtype=np.float64,
    )
    return sums, norms


@njit(cache=True, inline="always")
def _worse(s_a: float, j_a: int, s_b: float, j_b: int) -> bool:
    """Whether candidate a ranks below candidate b (lower similarity, then higher index)."""
    return s_a < s_b or (s_a == s_b and j_a > j_b)


@njit(cache=True, inline="always")
def _sift_down(heap_s: np.ndarray, heap_j: np.ndarray, size: int, pos: int) -> None:
    """Restore the min-heap (worst candidate at the root) below ``pos``."""
    while True:
        child = 2 * pos + 1
        if child >= size:
            return
        if child + 1 < size and _worse(
            heap_s[child + 1], heap_j[child + 1], heap_s[child], heap_j[child]
        ):
            child += 1
        if _worse(heap_s[child], heap_j[child], heap_s[pos], heap_j[pos]):
            heap_s[pos], heap_s[child] = heap_s[child], heap_s[pos]
            heap_j[pos], heap_j[child] = heap_j[child], heap_j[pos]
            pos = child
        else:
            return


@njit(cache=True, inline="always")
def _push(heap_s: np.ndarray, heap_j: np.ndarray, size: int, k: int, s: float, j: int) -> int:
    """Offer candidate (s, j) to a heap holding the best ``size <= k``; the new size."""
    if size < k:
        pos = size
        heap_s[pos] = s
        heap_j[pos] = j
        while pos > 0:  # sift up
            parent = (pos - 1) // 2
            if _worse(heap_s[pos], heap_j[pos], heap_s[parent], heap_j[parent]):
                heap_s[pos], heap_s[parent] = heap_s[parent], heap_s[pos]
                heap_j[pos], heap_j[parent] = heap_j[parent], heap_j[pos]
                pos = parent
            else:
                break
        return size + 1
    if _worse(heap_s[0], heap_j[0], s, j):
        heap_s[0] = s
        heap_j[0] = j
        _sift_down(heap_s, heap_j, size, 0)
    return size


@njit(cache=True)
def _similarity_setup(q_indptr, q_norms, t_norms, n_targets, k, shrinkage):
    """Inverse norms (0 for a zero norm), the shrinkage table ``n / (n + shrinkage)``
    and the output arrays of :func:`similarities`."""
    n_q = q_indptr.shape[0] - 1
    inv_q = np.zeros(n_q)
    max_shared = 0
    for q in range(n_q):
        if q_norms[q] > 0.0:
            inv_q[q] = 1.0 / q_norms[q]
        max_shared = max(max_shared, q_indptr[q + 1] - q_indptr[q])
    inv_t = np.zeros(n_targets)
    for t in range(n_targets):
        if t_norms[t] > 0.0:
            inv_t[t] = 1.0 / t_norms[t]
    shrink = np.ones(max_shared + 1)
    if shrinkage > 0.0:
        for n in range(max_shared + 1):
            shrink[n] = n / (n + shrinkage)
    out_j = np.full((n_q, k), -1, dtype=np.int32)
    out_s = np.zeros((n_q, k))
    lengths = np.zeros(n_q, dtype=np.int64)
    return inv_q, inv_t, shrink, out_j, out_s, lengths


@njit(cache=True)
def _similarity_rows(
    first,
    step,
    q_indptr,
    q_indices,
    q_data,
    q_counts,
    t_indptr,
    t_indices,
    t_data,
    t_counts,
    n_targets,
    k,
    measure,
    min_similarity,
    skip_self,
    inv_q,
    inv_t,
    shrink,
    out_j,
    out_s,
    lengths,
):
    """:func:`similarities` for query rows ``first, first + step, ...`` (one scratch)."""
    n_q = q_indptr.shape[0] - 1
    acc = np.zeros(n_targets)
    shared = np.zeros(n_targets, dtype=np.int32)
    touched = np.empty(n_targets, dtype=np.int32)
    heap_s = np.empty(k)
    heap_j = np.empty(k, dtype=np.int32)
    for q in range(first, n_q, step):
        lo, hi = q_indptr[q], q_indptr[q + 1]
        work = 0
        for m in range(lo, hi):
            work += t_indptr[q_indices[m] + 1] - t_indptr[q_indices[m]]
        # many products: sweep every target afterwards; few: track the touched ones
        dense = n_targets <= 2 * work
        n_touched = 0
        if dense:
            for m in range(lo, hi):
                d = q_indices[m]
                w = q_data[m]
                for p in range(t_indptr[d], t_indptr[d + 1]):
                    t = t_indices[p]
                    shared[t] += 1
                    acc[t] += w * t_data[p]
        else:
            for m in range(lo, hi):
                d = q_indices[m]
                w = q_data[m]
                for p in range(t_indptr[d], t_indptr[d + 1]):
                    t = t_indices[p]
                    if shared[t] == 0:
                        touched[n_touched] = t
                        n_touched += 1
                    shared[t] += 1
                    acc[t] += w * t_data[p]
        size = 0
        for x in range(n_targets if dense else n_touched):
            t = x if dense else touched[x]
            n = shared[t]
            if n == 0:
                continue
            dot = acc[t]
            acc[t] = 0.0
            shared[t] = 0
            if skip_self and t == q:
                continue
            if measure == DOT:
                s = dot
            elif measure == COSINE:
                s = dot * inv_q[q] * inv_t[t]
            else:
                s = n / (q_counts[q] + t_counts[t] - n)
            s *= shrink[n]
            if s > min_similarity and (size < k or not _worse(s, t, heap_s[0], heap_j[0])):
                size = _push(heap_s, heap_j, size, k, s, t)
        lengths[q] = size
        for pos in range(size - 1, -1, -1):  # heap sort: worst to the back
            out_s[q, pos] = heap_s[0]
            out_j[q, pos] = heap_j[0]
            heap_s[0] = heap_s[pos]
            heap_j[0] = heap_j[pos]
            _sift_down(heap_s, heap_j, pos, 0)


@njit(cache=True, parallel=True)
def similarities(
    q_indptr: np.ndarray,
    q_indices: np.ndarray,
    q_data: np.ndarray,
    q_norms: np.ndarray,
    q_counts: np.ndarray,
    t_indptr: np.ndarray,
    t_indices: np.ndarray,
    t_data: np.ndarray,
    t_norms: np.ndarray,
    t_counts: np.ndarray,
    n_targets: int,
    k: int,
    measure: int,
    shrinkage: float,
    min_similarity: float,
    skip_self: bool,
):
    """The ``k`` most similar targets of each query row.

    Queries are the rows of ``Q`` (CSR, ``n_queries x d``); targets are the columns of
    ``T`` (given as CSR ``d x n_targets``, i.e. the target rows transposed). For each
    query ``q`` and each target ``t`` sharing at least one nonzero dimension with it::

        dot = sum_d Q[q, d] T[d, t]          n = number of shared dimensions
        sim = dot                                         (measure DOT)
            = dot (1 / q_norms[q]) (1 / t_norms[t])       (COSINE; 0 if a norm is 0)
            = n / (q_counts[q] + t_counts[t] - n)         (JACCARD)
        sim *= n / (n + shrinkage)

    Targets with ``sim <= min_similarity`` are dropped, and ``t == q`` too when
    ``skip_self``; of the rest the ``k`` largest are kept (ties: lower index first).
    The dot products are computed row by row (an accumulator per block of query rows,
    swept whole or through the list of touched targets, whichever is cheaper), so memory
    stays at ``n_queries x k`` plus ``n_targets`` scratch per thread.

    Returns
    -------
    indices : ndarray of int32, shape (n_queries, k)
        Neighbour indices, most similar first; -1 pads rows with fewer than ``k``.
    sims : ndarray of float64, shape (n_queries, k)
        Their similarities (0 where padded).
    lengths : ndarray of int64, shape (n_queries,)
        Number of neighbours found for each row.
    """
    inv_q, inv_t, shrink, out_j, out_s, lengths = _similarity_setup(
        q_indptr, q_norms, t_norms, n_targets, k, shrinkage
    )
    n_blocks = min(q_indptr.shape[0] - 1, _N_BLOCKS)
    for b in prange(n_blocks):
        _similarity_rows(
            b,
            n_blocks,
            q_indptr,
            q_indices,
            q_data,
            q_counts,
            t_indptr,
            t_indices,
            t_data,
            t_counts,
            n_targets,
            k,
            measure,
            min_similarity,
            skip_self,
            inv_q,
            inv_t,
            shrink,
            out_j,
            out_s,
            lengths,
        )
    return out_j, out_s, lengths


@njit(cache=True)
def similarities_serial(
    q_indptr: np.ndarray,
    q_indices: np.ndarray,
    q_data: np.ndarray,
    q_norms: np.ndarray,
    q_counts: np.ndarray,
    t_indptr: np.ndarray,
    t_indices: np.ndarray,
    t_data: np.ndarray,
    t_norms: np.ndarray,
    t_counts: np.ndarray,
    n_targets: int,
    k: int,
    measure: int,
    shrinkage: float,
    min_similarity: float,
    skip_self: bool,
):
    """:func:`similarities` on the calling thread (no thread pool: cheaper for small jobs)."""
    inv_q, inv_t, shrink, out_j, out_s, lengths = _similarity_setup(
        q_indptr, q_norms, t_norms, n_targets, k, shrinkage
    )
    _similarity_rows(
        0,
        1,
        q_indptr,
        q_indices,
        q_data,
        q_counts,
        t_indptr,
        t_indices,
        t_data,
        t_counts,
        n_targets,
        k,
        measure,
        min_similarity,
        skip_self,
        inv_q,
        inv_t,
        shrink,
        out_j,
        out_s,
        lengths,
    )
    return out_j, out_s, lengths


def similarities_reference(
    q_indptr,
    q_indices,
    q_data,
    q_norms,
    q_counts,
    t_indptr,
    t_indices,
    t_data,
    t_norms,
    t_counts,
    n_targets,
    k,
    measure,
    shrinkage,
    min_similarity,
    skip_self,
):
    """NumPy reference of :func:`similarities`: dense products, then a full sort."""
    d = len(t_indptr) - 1
    Q = sp.csr_array((q_data, q_indices, q_indptr), shape=(len(q_indptr) - 1, d)).toarray()
    T = sp.csr_array((t_data, t_indices, t_indptr), shape=(d, n_targets)).toarray()
    dot = Q @ T
    # entries stored as explicit zeros still count as shared dimensions in the kernel
    Qs = sp.csr_array((np.ones_like(q_data), q_indices, q_indptr), shape=(Q.shape[0], d))
    Ts = sp.csr_array((np.ones_like(t_data), t_indices, t_indptr), shape=(d, n_targets))
    n = (Qs @ Ts).toarray()
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == DOT:
            sim = dot
        elif measure == COSINE:
            inv_q = np.where(q_norms > 0, 1.0 / q_norms, 0.0)
            inv_t = np.where(t_norms > 0, 1.0 / t_norms, 0.0)
            sim = dot * inv_q[:, None] * inv_t[None, :]
        else:
            sim = n / (q_counts[:, None] + t_counts[None, :] - n)
        sim = sim * (n / (n + shrinkage))
    out_j = np.full((Q.shape[0], k), -1, dtype=np.int32)
    out_s = np.zeros((Q.shape[0], k))
    lengths = np.zeros(Q.shape[0], dtype=np.int64)
    for q in range(Q.shape[0]):
        keep = (n[q] > 0) & (sim[q] > min_similarity)
        if skip_self and q < n_targets:
            keep[q] = False
        cand = np.flatnonzero(keep)
        order = np.lexsort((cand, -sim[q, cand]))[:k]
        lengths[q] = len(order)
        out_j[q, : len(order)] = cand[order]
        out_s[q, : len(order)] = sim[q, cand[order]]
    return out_j, out_s, lengths


@njit(cache=True)
def _average_groups(
    first,
    step,
    s_indptr,
    s_indices,
    s_data,
    m_indptr,
    m_indices,
    m_data,
    group_ptr,
    group_rows,
    targets,
    k,
    n_cols,
    average,
    counts,
):
    """:func:`neighbour_average` for groups ``first, first + step, ...`` (one scratch)."""
    n_groups = group_ptr.shape[0] - 1
    values = np.zeros(n_cols)
    present = np.zeros(n_cols, dtype=np.bool_)
    for g in range(first, n_groups, step):
        row = group_rows[g]
        lo = m_indptr[row]
        hi = m_indptr[row + 1]
        for m in range(lo, hi):
            present[m_indices[m]] = True
            values[m_indices[m]] = m_data[m]
        for p in range(group_ptr[g], group_ptr[g + 1]):
            t = targets[p]
            num = 0.0
            den = 0.0
            found = 0
            for x in range(s_indptr[t], s_indptr[t + 1]):
                if found >= k:
                    break
                c = s_indices[x]
                if present[c]:
                    num += s_data[x] * values[c]
                    den += abs(s_data[x])
                    found += 1
            counts[p] = found
            if den > 0.0:
                average[p] = num / den
        for m in range(lo, hi):
            present[m_indices[m]] = False


@njit(cache=True, parallel=True)
def neighbour_average(
    s_indptr: np.ndarray,
    s_indices: np.ndarray,
    s_data: np.ndarray,
    m_indptr: np.ndarray,
    m_indices: np.ndarray,
    m_data: np.ndarray,
    group_ptr: np.ndarray,
    group_rows: np.ndarray,
    targets: np.ndarray,
    k: int,
    n_cols: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Similarity-weighted average of a row's values over a target's ``k`` nearest
    neighbours found in that row.

    Pairs ``p`` come in groups: group ``g`` holds pairs ``group_ptr[g]:group_ptr[g+1]``,
    all reading row ``group_rows[g]`` of ``M`` (CSR, values ``m``). Pair ``p`` walks row
    ``targets[p]`` of ``S`` (CSR, neighbours stored most similar first) and takes the
    first ``k`` neighbours ``c`` present in that ``M`` row::

        average[p] = sum_c s_c m_c / sum_c |s_c|         (0 if no neighbour)

    Item-knn: ``M`` = users' residuals (group = user), ``S`` = item neighbours (target =
    item). User-knn: ``M`` = items' residuals by user (group = item), ``S`` = user
    neighbours (target = user).

    Returns
    -------
    average : ndarray of float64, shape (n_pairs,)
    counts : ndarray of int32, shape (n_pairs,)
        Neighbours used for each pair.
    """
    average = np.zeros(targets.shape[0])
    counts = np.zeros(targets.shape[0], dtype=np.int32)
    n_blocks = min(group_ptr.shape[0] - 1, _N_BLOCKS)
    for b in prange(n_blocks):
        _average_groups(
            b,
            n_blocks,
            s_indptr,
            s_indices,
            s_data,
            m_indptr,
            m_indices,
            m_data,
            group_ptr,
            group_rows,
            targets,
            k,
            n_cols,
            average,
            counts,
        )
    return average, counts


@njit(cache=True)
def neighbour_average_serial(
    s_indptr: np.ndarray,
    s_indices: np.ndarray,
    s_data: np.ndarray,
    m_indptr: np.ndarray,
    m_indices: np.ndarray,
    m_data: np.ndarray,
    group_ptr: np.ndarray,
    group_rows: np.ndarray,
    targets: np.ndarray,
    k: int,
    n_cols: int,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`neighbour_average` on the calling thread (no thread pool)."""
    average = np.zeros(targets.shape[0])
    counts = np.zeros(targets.shape[0], dtype=np.int32)
    _average_groups(
        0,
        1,
        s_indptr,
        s_indices,
        s_data,
        m_indptr,
        m_indices,
        m_data,
        group_ptr,
        group_rows,
        targets,
        k,
        n_cols,
        average,
        counts,
    )
    return average, counts


def neighbour_average_reference(
    s_indptr,
    s_indices,
    s_data,
    m_indptr,
    m_indices,
    m_data,
    group_ptr,
    group_rows,
    targets,
    k,
    n_cols,
):
    """NumPy reference of :func:`neighbour_average`: one pair at a time with sets."""
    average = np.zeros(len(targets))
    counts = np.zeros(len(targets), dtype=np.int32)
    for g in range(len(group_ptr) - 1):
        row = group_rows[g]
        cols = m_indices[m_indptr[row] : m_indptr[row + 1]]
        vals = dict(zip(cols.tolist(), m_data[m_indptr[row] : m_indptr[row + 1]].tolist()))
        for p in range(group_ptr[g], group_ptr[g + 1]):
            t = targets[p]
            nbrs = s_indices[s_indptr[t] : s_indptr[t + 1]]
            sims = s_data[s_indptr[t] : s_indptr[t + 1]].astype(np.float64)
            hit = np.array([c in vals for c in nbrs.tolist()], dtype=bool)
            use_c, use_s = nbrs[hit][:k], sims[hit][:k]
            counts[p] = len(use_c)
            den = np.abs(use_s).sum()
            if den > 0:
                average[p] = (use_s * np.array([vals[c] for c in use_c.tolist()])).sum() / den
    return average, counts
