"""numba kernels for the neighbourhood models (item-knn, user-knn).

Plain arrays in and out. Every kernel has a NumPy reference beside it (``*_reference``)
computing the same quantity the plain way (dense products, sorts); the unit tests check
kernel == reference on small random data. The two heavy kernels come in a parallel
version (rows in strided blocks over the thread pool) and a ``*_serial`` one for small
jobs, where waking the pool costs more than the work; both run the same row worker, so
their results are identical.

Sparse matrices are passed as their CSR arrays (``indptr``, ``indices``, ``data``);
values are float64, indices int32. Neighbour lists are returned in order of decreasing
similarity rounded to float32 (the precision the models store), ties broken by the lower
index: the order ``(similarity descending, index ascending)`` is total, so the kept
neighbours are unique whatever the order in which the kernel meets the candidates.
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
    "top_k_reference",
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


# -- exact top-k of (similarity, index) pairs ---------------------------------------------
#
# A candidate ``(s, j)`` is ranked by its similarity rounded to float32 (the precision
# ``similarity_`` keeps), descending, then by its index, ascending. Both fit in one int64
# key, ascending in that order: the float32's bits, made monotone and negated, in the
# high 32 bits, the index in the low 32. A row's keys are gathered into one array; the
# ``k`` smallest are found by partitioning around pivots drawn from evenly spaced
# samples, and sorted the same way. The partition loop is branch-free (each key is
# written to the front or the back of a buffer), which matters: the candidates arrive
# in no useful order, and a data-dependent branch per candidate mispredicts half the
# time.

_SMALL = 24
"""Ranges up to this size are sorted by insertion."""
_SAMPLE = 15
"""Pivots are taken from this many evenly spaced elements of the range."""
_MEDIAN3_BELOW = 128
"""Sorting: ranges shorter than this take the median of three as pivot."""
_FILTER_SAMPLE = 128
"""Candidates sampled for the threshold that discards most of a long row at once."""
_MAX_ROUNDS = 64
"""Selection rounds before falling back to a heap (never reached on real data)."""
_LOW = (1 << 32) - 1
"""Mask of a key's index bits."""


@njit(cache=True, inline="always")
def _key(bits: int, j: int) -> int:
    """The sort key of a candidate from its float32 similarity's bits (as int32) and its
    index: smaller keys rank higher. Positive floats order like their bits, negative
    ones in reverse; ``-0.0`` must have been made ``+0.0`` before."""
    monotone = bits ^ ((bits >> 31) & 0x7FFFFFFF)  # ascending with the float
    return ((-monotone - 1) << 32) | j  # -monotone - 1 = ~monotone: descending


@njit(cache=True)
def _insertion_sort(keys: np.ndarray, lo: int, hi: int) -> None:
    """Sort ``keys[lo:hi]`` ascending (best first)."""
    for a in range(lo + 1, hi):
        v = keys[a]
        b = a - 1
        while b >= lo and keys[b] > v:
            keys[b + 1] = keys[b]
            b -= 1
        keys[b + 1] = v


@njit(cache=True)
def _sample_pivot(keys, lo, n, rank, sample):
    """The key of rank ``rank`` (0 = best; at most the second worst, so that a partition
    always splits) among ``_SAMPLE`` evenly spaced keys of ``keys[lo:lo + n]``
    (``n >= _SAMPLE``)."""
    for x in range(_SAMPLE):
        sample[x] = keys[lo + (x * (n - 1)) // (_SAMPLE - 1)]
    _insertion_sort(sample, 0, _SAMPLE)
    return sample[min(rank, _SAMPLE - 2)]


@njit(cache=True)
def _median3(keys, lo, n):
    """The middle one of the first, central and last key of ``keys[lo:lo + n]``."""
    a = keys[lo]
    b = keys[lo + n // 2]
    c = keys[lo + n - 1]
    return max(min(a, b), min(max(a, b), c))


@njit(cache=True)
def _partition(keys, lo, n, pivot, buf) -> int:
    """Reorder ``keys[lo:lo + n]`` with the keys up to the pivot first; returns their
    count. Branch-free, through the buffer."""
    nb = 0
    nw = n - 1
    for x in range(lo, lo + n):
        v = keys[x]
        up = v <= pivot
        buf[nb if up else nw] = v
        nb += up
        nw -= not up
    keys[lo : lo + n] = buf[:n]
    return nb


@njit(cache=True)
def _heap_select(keys, lo, n, need, heap) -> None:
    """The ``need`` smallest of ``keys[lo:lo + n]`` moved to its front with a max-heap
    (the O(n log need) fallback of :func:`_select`)."""
    size = 0
    for x in range(lo, lo + n):
        v = keys[x]
        if size < need:  # push: sift up
            pos = size
            size += 1
            while pos > 0 and heap[(pos - 1) // 2] < v:
                heap[pos] = heap[(pos - 1) // 2]
                pos = (pos - 1) // 2
            heap[pos] = v
        elif v < heap[0]:  # replace the largest: sift down
            pos = 0
            while True:
                child = 2 * pos + 1
                if child >= size:
                    break
                if child + 1 < size and heap[child + 1] > heap[child]:
                    child += 1
                if heap[child] <= v:
                    break
                heap[pos] = heap[child]
                pos = child
            heap[pos] = v
    keys[lo : lo + size] = heap[:size]


@njit(cache=True)
def _select(keys, m, k, buf, sample, max_rounds=_MAX_ROUNDS) -> None:
    """Move the ``k`` smallest of ``keys[:m]`` (``m > k``) to the front, in any order.

    Each round partitions the undecided range around a sampled pivot whose rank is
    expected near the number still needed; keys up to a pivot that leaves too few are
    final, keys beyond one that leaves enough are dropped. Every round decides at least
    one key; after ``max_rounds`` a heap finishes the job.
    """
    done = 0
    n = m
    need = k
    rounds = 0
    while need > 0 and n > need:
        if n <= _SMALL:
            _insertion_sort(keys, done, done + n)
            return
        if rounds >= max_rounds:
            _heap_select(keys, done, n, need, buf)
            return
        pivot = _sample_pivot(keys, done, n, (need * _SAMPLE) // n, sample)
        nb = _partition(keys, done, n, pivot, buf)
        if nb >= need:
            n = nb
        else:
            done += nb
            need -= nb
            n -= nb
        rounds += 1


@njit(cache=True)
def _sort(keys, m, buf, sample) -> None:
    """Sort ``keys[:m]`` ascending: quicksort on sampled medians, the smaller part first
    (so the stack stays under 2 log2(m) entries), insertion sort for short ranges."""
    stack = np.empty(128, dtype=np.int64)
    top = 0
    lo = 0
    hi = m
    while True:
        n = hi - lo
        if n <= _SMALL:
            _insertion_sort(keys, lo, hi)
            if top == 0:
                return
            top -= 2
            lo = stack[top]
            hi = stack[top + 1]
            continue
        if n < _MEDIAN3_BELOW:
            pivot = _median3(keys, lo, n)
        else:
            pivot = _sample_pivot(keys, lo, n, _SAMPLE // 2, sample)
        # both pivots leave at least one key on either side: every split is proper
        mid = lo + _partition(keys, lo, n, pivot, buf)
        if mid - lo < hi - mid:
            stack[top] = mid
            stack[top + 1] = hi
            hi = mid
        else:
            stack[top] = lo
            stack[top + 1] = mid
            lo = mid
        top += 2


@njit(cache=True)
def _prefilter(keys, m, k, buf, sample) -> int:
    """Discard at once most keys of a long row that cannot be among its ``k`` best: the
    threshold is the key of rank ``rho`` among ``_FILTER_SAMPLE`` evenly spaced ones
    (``rho`` chosen so that about 1.25 k keys are expected to reach it), kept only if at
    least ``k`` do. Returns the new number of keys."""
    r = _FILTER_SAMPLE
    if m < 4 * k or m < 2 * r:
        return m
    rho = (k * (r + 1) * 5) // (4 * m) + 4
    if rho >= r // 2:
        return m
    size = 0  # the rho best samples so far, in order
    for x in range(r):
        v = keys[(x * (m - 1)) // (r - 1)]
        if size == rho and v >= sample[size - 1]:
            continue
        b = size - 1 if size < rho else size - 2
        if size < rho:
            size += 1
        while b >= 0 and sample[b] > v:
            sample[b + 1] = sample[b]
            b -= 1
        sample[b + 1] = v
    threshold = sample[rho - 1]
    c = 0
    for x in range(m):
        v = keys[x]
        buf[c] = v
        c += v <= threshold
    if c < k:
        return m
    keys[:c] = buf[:c]
    return c


@njit(cache=True)
def _top_k(keys, m, k, buf, sample) -> int:
    """Sort the ``k`` smallest of ``keys[:m]`` to the front; returns their number
    ``min(m, k)``. ``buf`` is scratch of length >= m, ``sample`` of length >=
    ``_FILTER_SAMPLE``."""
    if m > k:
        m = _prefilter(keys, m, k, buf, sample)
        if m > k:
            _select(keys, m, k, buf, sample)
        m = k
    _sort(keys, m, buf, sample)
    return m


def top_k_reference(keys: np.ndarray, k: int) -> np.ndarray:
    """NumPy reference of :func:`_top_k`: the ``k`` smallest keys, sorted."""
    return np.sort(keys)[:k]


def _keys_reference(sims: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Sort keys as :func:`_key` builds them, for float32 similarities ``sims``."""
    bits = (sims.astype(np.float32) + np.float32(0.0)).view(np.int32).astype(np.int64)
    monotone = bits ^ ((bits >> 31) & 0x7FFFFFFF)
    return ((-monotone - 1) << 32) | idx.astype(np.int64)


# -- similarities --------------------------------------------------------------------------


@njit(cache=True)
def _all_ones(data: np.ndarray) -> bool:
    """Whether every value is 1 (binary data: a dot product is then the co-occurrence
    count, and the kernel accumulates the counts alone)."""
    for x in range(data.shape[0]):
        if data[x] != 1.0:
            return False
    return True


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
    out_s = np.zeros((n_q, k), dtype=np.float32)
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
    unit,
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
    touched = np.empty(n_targets + 1, dtype=np.int32)
    sim32 = np.empty(n_targets, dtype=np.float32)  # the row's similarities, by target
    bits = sim32.view(np.int32)
    keys = np.empty(n_targets, dtype=np.int64)
    buf = np.empty(n_targets, dtype=np.int64)
    sample = np.empty(_FILTER_SAMPLE, dtype=np.int64)
    for q in range(first, n_q, step):
        lo, hi = q_indptr[q], q_indptr[q + 1]
        work = 0
        for m in range(lo, hi):
            work += t_indptr[q_indices[m] + 1] - t_indptr[q_indices[m]]
        # many products: sweep every target afterwards; few: list the touched ones
        # (appended without a branch: the slot is written always, kept on first touch)
        dense = 2 * n_targets <= work
        n_touched = 0
        for m in range(lo, hi):
            d = q_indices[m]
            w = q_data[m]
            for p in range(t_indptr[d], t_indptr[d + 1]):
                t = t_indices[p]
                c = shared[t]
                if not dense:
                    touched[n_touched] = t
                    n_touched += c == 0
                shared[t] = c + 1
                if not unit:  # binary data: the dot product is the count
                    acc[t] += w * t_data[p]
        n_cand = 0
        for x in range(n_targets if dense else n_touched):
            t = x if dense else touched[x]
            n = shared[t]
            dot = np.float64(n) if unit else acc[t]
            acc[t] = 0.0
            shared[t] = 0
            if measure == DOT:
                s = dot
            elif measure == COSINE:
                s = dot * inv_q[q] * inv_t[t]
            else:
                s = n / (q_counts[q] + t_counts[t] - n) if n > 0 else 0.0
            s = s * shrink[n] + 0.0  # + 0.0: no -0.0
            sim32[t] = s
            keys[n_cand] = _key(np.int64(bits[t]), t)
            n_cand += (n > 0) & (s > min_similarity) & ((t != q) | (not skip_self))
        size = _top_k(keys, n_cand, k, buf, sample)
        lengths[q] = size
        for x in range(size):
            t = keys[x] & _LOW
            out_j[q, x] = t
            out_s[q, x] = sim32[t]


@njit(cache=True)
def _pack(out_j, out_s, lengths):
    """The first ``lengths[q]`` entries of each row of ``out_j``/``out_s`` as CSR arrays."""
    n_q = lengths.shape[0]
    indptr = np.zeros(n_q + 1, dtype=np.int64)
    for q in range(n_q):
        indptr[q + 1] = indptr[q] + lengths[q]
    indices = np.empty(indptr[n_q], dtype=np.int32)
    sims = np.empty(indptr[n_q], dtype=np.float32)
    for q in range(n_q):
        start = indptr[q]
        for x in range(lengths[q]):
            indices[start + x] = out_j[q, x]
            sims[start + x] = out_s[q, x]
    return indptr, indices, sims


def _pack_reference(out_j, out_s, lengths):
    """NumPy reference of :func:`_pack`."""
    keep = np.arange(out_j.shape[1])[None, :] < lengths[:, None]
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return indptr, out_j[keep].astype(np.int32), out_s[keep].astype(np.float32)


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
    ``skip_self``; of the rest the ``k`` largest are kept, ranked by ``sim`` rounded
    to float32, the precision the models keep (ties: lower index first).
    The dot products are computed row by row (an accumulator per block of query rows,
    swept whole or through the list of touched targets, whichever is cheaper) and each
    row's ``k`` best are selected by sampled-pivot partitions (:func:`_top_k`), so
    memory stays at ``n_queries x k`` plus ``O(n_targets)`` scratch per thread.

    Returns
    -------
    indptr : ndarray of int64, shape (n_queries + 1,)
    indices : ndarray of int32, shape (indptr[-1],)
    sims : ndarray of float32, shape (indptr[-1],)
        The neighbours as CSR arrays: row ``q`` holds ``indices[indptr[q]:indptr[q + 1]]``
        (at most ``k``), most similar first, and their similarities rounded to float32.
    """
    inv_q, inv_t, shrink, out_j, out_s, lengths = _similarity_setup(
        q_indptr, q_norms, t_norms, n_targets, k, shrinkage
    )
    unit = _all_ones(q_data) and _all_ones(t_data)
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
            unit,
            inv_q,
            inv_t,
            shrink,
            out_j,
            out_s,
            lengths,
        )
    return _pack(out_j, out_s, lengths)


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
    unit = _all_ones(q_data) and _all_ones(t_data)
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
        unit,
        inv_q,
        inv_t,
        shrink,
        out_j,
        out_s,
        lengths,
    )
    return _pack(out_j, out_s, lengths)


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
    """NumPy reference of :func:`similarities`: dense products, then a full sort by the
    similarities rounded to float32 (descending), ties by index."""
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
    sim32 = sim.astype(np.float32) + np.float32(0.0)
    out_j = np.full((Q.shape[0], k), -1, dtype=np.int32)
    out_s = np.zeros((Q.shape[0], k), dtype=np.float32)
    lengths = np.zeros(Q.shape[0], dtype=np.int64)
    for q in range(Q.shape[0]):
        keep = (n[q] > 0) & (sim[q] > min_similarity)
        if skip_self and q < n_targets:
            keep[q] = False
        cand = np.flatnonzero(keep)
        order = np.lexsort((cand, -sim32[q, cand]))[:k]
        lengths[q] = len(order)
        out_j[q, : len(order)] = cand[order]
        out_s[q, : len(order)] = sim32[q, cand[order]]
    return _pack_reference(out_j, out_s, lengths)


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
