"""numba kernels for BPR (Rendle et al. 2009): SGD over (user, positive, negative) triples.

Parallel without races: an epoch is stratified (as DSGD, Gemulla et al. 2011). Users and
items are dealt at random into ``n_blocks`` blocks each; sub-epoch ``s`` processes the
blocks ``(b, (b + s) mod n_blocks)`` for every user block ``b`` in parallel. Those
blocks share no user and no item, so no two threads touch the same factors, and each
block is processed sequentially with its own random stream: the result depends on
``n_blocks`` and the seeds, never on the number of threads or their scheduling. Within
block ``(b, c)`` positives are drawn (with replacement) from the block's interactions
and negatives uniformly from item block ``c``, skipping items the user interacted with.
With ``n_blocks = 1`` this is plain sequential BPR with uniform negatives.

Random numbers come from splitmix64 on a uint64 state per block, reproduced exactly by
the NumPy reference (``bpr_epoch_reference``), which the unit tests compare with the
kernel. Plain arrays in and out: factors float32 C-contiguous, updated in place.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = [
    "bpr_epoch",
    "bpr_epoch_reference",
    "group_by_key",
    "group_by_key_reference",
    "seen_bitset",
    "seen_bitset_reference",
    "splitmix64_reference",
]

_MASK = (1 << 64) - 1


@njit(cache=True, inline="always")
def _splitmix64(state: np.uint64) -> tuple[np.uint64, np.uint64]:
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return state, z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def _below(r: np.uint64, n: np.int64) -> np.int64:
    """A number in [0, n) from 64 random bits (multiply-shift on the top 32 bits)."""
    return np.int64(((r >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(cache=True, inline="always")
def _contains(indices: np.ndarray, lo: np.int64, hi: np.int64, item: np.int32) -> bool:
    """Whether the sorted ``indices[lo:hi]`` holds ``item`` (binary search)."""
    end = hi
    while lo < hi:
        mid = (lo + hi) >> 1
        if indices[mid] < item:
            lo = mid + 1
        else:
            hi = mid
    return lo < end and indices[lo] == item


@njit(cache=True)
def seen_bitset(indptr: np.ndarray, indices: np.ndarray, n_items: int) -> np.ndarray:
    """Users x items membership bits, uint64 (n_users, ceil(n_items / 64)): bit ``j % 64``
    of word ``j // 64`` of row ``u`` is set when user ``u`` interacted with item ``j``."""
    n_users = indptr.shape[0] - 1
    bits = np.zeros((n_users, (n_items + 63) // 64), dtype=np.uint64)
    for u in range(n_users):
        for t in range(indptr[u], indptr[u + 1]):
            j = indices[t]
            bits[u, j >> 6] |= np.uint64(1) << np.uint64(j & 63)
    return bits


def seen_bitset_reference(indptr: np.ndarray, indices: np.ndarray, n_items: int) -> np.ndarray:
    """NumPy reference of :func:`seen_bitset`."""
    n_users = len(indptr) - 1
    dense = np.zeros((n_users, (n_items + 63) // 64 * 64), dtype=bool)
    dense[np.repeat(np.arange(n_users), np.diff(indptr)), indices] = True
    weights = np.uint64(1) << np.arange(64, dtype=np.uint64)
    return (dense.reshape(n_users, -1, 64) * weights).sum(axis=2, dtype=np.uint64)


@njit(cache=True)
def group_by_key(keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``0..len(keys)-1`` grouped by key (stable counting sort).

    Returns ``(order, ptr)``: the positions with key ``g`` are
    ``order[ptr[g]:ptr[g + 1]]``, in increasing order.
    """
    counts = np.zeros(n_keys + 1, dtype=np.int64)
    for t in range(keys.shape[0]):
        counts[keys[t] + 1] += 1
    ptr = np.cumsum(counts)
    fill = ptr[:-1].copy()
    order = np.empty(keys.shape[0], dtype=np.int64)
    for t in range(keys.shape[0]):
        g = keys[t]
        order[fill[g]] = t
        fill[g] += 1
    return order, ptr


def group_by_key_reference(keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """NumPy reference of :func:`group_by_key`."""
    order = np.argsort(keys, kind="stable").astype(np.int64)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=n_keys))]).astype(np.int64)
    return order, ptr


@njit(cache=True, fastmath=True, parallel=True)
def bpr_epoch(
    indptr: np.ndarray,
    indices: np.ndarray,
    user_of: np.ndarray,
    P: np.ndarray,
    Q: np.ndarray,
    bias: np.ndarray,
    pos_order: np.ndarray,
    pos_ptr: np.ndarray,
    item_order: np.ndarray,
    item_ptr: np.ndarray,
    seeds: np.ndarray,
    learning_rate: float,
    regularization: float,
    max_tries: int,
    seen_bits: np.ndarray,
) -> int:
    """One stratified BPR epoch; returns the number of skipped triples (no negative
    found in ``max_tries`` draws).

    Parameters
    ----------
    indptr, indices : CSR structure of the users x items interactions (sorted indices).
    user_of : int32 (nnz,), the user of each stored interaction.
    P, Q : float32 (n_users, k), (n_items, k) factors; bias : float32 (n_items,).
    pos_order, pos_ptr : interactions grouped by block ``b * n_blocks + c`` (user block
        ``b``, item block ``c``), as from :func:`group_by_key`.
    item_order, item_ptr : items grouped by item block.
    seeds : uint64 (n_blocks²,), the random state of each block for this epoch.
    seen_bits : uint64 (n_users, words) from :func:`seen_bitset`, or shape (0, 0): then
        whether a user has seen a candidate is a binary search in its CSR row (slower;
        the draws and the result are the same).
    """
    use_bits = seen_bits.shape[0] > 0
    n_blocks = item_ptr.shape[0] - 1
    k = P.shape[1]
    lr = np.float32(learning_rate)
    reg = np.float32(regularization)
    skipped = 0
    for s in range(n_blocks):
        for b in prange(n_blocks):
            c = (b + s) % n_blocks
            blk = b * n_blocks + c
            lo = pos_ptr[blk]
            n = pos_ptr[blk + 1] - lo
            c_lo = item_ptr[c]
            n_cand = item_ptr[c + 1] - c_lo
            state = seeds[blk]
            for _ in range(n):
                state, r = _splitmix64(state)
                t = pos_order[lo + _below(r, n)]
                u = user_of[t]
                i = indices[t]
                j = -1
                for _try in range(max_tries):
                    state, r = _splitmix64(state)
                    cand = item_order[c_lo + _below(r, n_cand)]
                    if use_bits:
                        word = seen_bits[u, cand >> 6]
                        seen = ((word >> np.uint64(cand & 63)) & np.uint64(1)) != 0
                    else:
                        seen = _contains(indices, indptr[u], indptr[u + 1], cand)
                    if not seen:
                        j = cand
                        break
                if j < 0:
                    skipped += 1
                    continue
                x = bias[i] - bias[j]
                for f in range(k):
                    x += P[u, f] * (Q[i, f] - Q[j, f])
                # z = sigmoid(-x), the gradient scale; clipped so exp stays finite
                z = np.float32(1.0) / (np.float32(1.0) + np.exp(min(x, np.float32(40.0))))
                for f in range(k):
                    pu = P[u, f]
                    qi = Q[i, f]
                    qj = Q[j, f]
                    P[u, f] = pu + lr * (z * (qi - qj) - reg * pu)
                    Q[i, f] = qi + lr * (z * pu - reg * qi)
                    Q[j, f] = qj + lr * (-z * pu - reg * qj)
                bias[i] += lr * (z - reg * bias[i])
                bias[j] += lr * (-z - reg * bias[j])
    return skipped


def splitmix64_reference(state: int) -> tuple[int, int]:
    """Python-int splitmix64: ``(new_state, output)``, as the kernel's generator."""
    state = (state + 0x9E3779B97F4A7C15) & _MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return state, z ^ (z >> 31)


def bpr_epoch_reference(
    indptr,
    indices,
    user_of,
    P,
    Q,
    bias,
    pos_order,
    pos_ptr,
    item_order,
    item_ptr,
    seeds,
    learning_rate,
    regularization,
    max_tries,
    seen_bits=None,
) -> int:
    """NumPy reference of :func:`bpr_epoch`: the same draws and updates, block by block
    (``seen_bits`` is ignored: a set of the user's items answers the same question)."""
    n_blocks = len(item_ptr) - 1
    lr = np.float32(learning_rate)
    reg = np.float32(regularization)
    skipped = 0
    for s in range(n_blocks):
        for b in range(n_blocks):
            c = (b + s) % n_blocks
            blk = b * n_blocks + c
            lo, n = int(pos_ptr[blk]), int(pos_ptr[blk + 1] - pos_ptr[blk])
            candidates = item_order[item_ptr[c] : item_ptr[c + 1]]
            state = int(seeds[blk])
            for _ in range(n):
                state, r = splitmix64_reference(state)
                t = pos_order[lo + (((r >> 32) * n) >> 32)]
                u, i = user_of[t], indices[t]
                seen = set(indices[indptr[u] : indptr[u + 1]].tolist())
                j = -1
                for _try in range(max_tries):
                    state, r = splitmix64_reference(state)
                    cand = int(candidates[((r >> 32) * len(candidates)) >> 32])
                    if cand not in seen:
                        j = cand
                        break
                if j < 0:
                    skipped += 1
                    continue
                x = bias[i] - bias[j] + P[u] @ (Q[i] - Q[j])
                z = np.float32(1.0 / (1.0 + np.exp(min(x, 40.0))))
                pu, qi, qj = P[u].copy(), Q[i].copy(), Q[j].copy()
                P[u] = pu + lr * (z * (qi - qj) - reg * pu)
                Q[i] = qi + lr * (z * pu - reg * qi)
                Q[j] = qj + lr * (-z * pu - reg * qj)
                bias[i] += lr * (z - reg * bias[i])
                bias[j] += lr * (-z - reg * bias[j])
    return skipped
